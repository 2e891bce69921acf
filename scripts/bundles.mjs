// What the package ships, as esbuild options: one place, used by esbuild.mjs and by the tests that
// build the real layout into a temporary folder.
//
//   dist/extension.js  the VS Code adapters: small, loaded at activation
//   dist/core.js       the core (parsers, pipeline, model client with the `openai` SDK, exporters),
//                      shared: the extension requires it on first use, the command line at start
//   dist/cli.js        the command-line front end
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const coreDir = join(repoRoot, 'src', 'core') + sep;

/**
 * @param {{ production?: boolean, outdir?: string, plugins?: import('esbuild').Plugin[] }} options
 * @returns {import('esbuild').BuildOptions[]}
 */
export function shippedBundles({ production = false, outdir = join(repoRoot, 'dist'), plugins = [] } = {}) {
  const common = commonOptions({ production, plugins });
  return [
    {
      ...common,
      entryPoints: ['src/vscode/extension.ts'],
      outfile: join(outdir, 'extension.js'),
      plugins: [...plugins, sharedCore(/\/coreModules\.ts$/, (importer) => importer.endsWith(join('src', 'vscode', 'core.ts')))],
      // require() rather than import(): the extension host loads extensions as CommonJS.
      supported: { 'dynamic-import': false },
    },
    { ...common, entryPoints: ['src/core/index.ts'], outfile: join(outdir, 'core.js') },
    {
      ...common,
      entryPoints: ['src/cli/main.ts'],
      outfile: join(outdir, 'cli.js'),
      banner: { js: '#!/usr/bin/env node' },
      plugins: [...plugins, sharedCore(/\/core\/.*\.ts$/, (importer) => importer.includes(`${sep}src${sep}cli${sep}`))],
    },
  ];
}

/**
 * What every bundle shares: CommonJS for Node 20+, `vscode` external, minified for production and
 * with source maps in development (the shape of the esbuild sample of vscode-extension-samples).
 * @param {{ production?: boolean, plugins?: import('esbuild').Plugin[] }} options
 * @returns {import('esbuild').BuildOptions}
 */
export function commonOptions({ production = false, plugins = [] } = {}) {
  return {
    absWorkingDir: repoRoot,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    minify: production,
    sourcemap: !production,
    sourcesContent: false,
    legalComments: production ? 'none' : 'inline',
    logLevel: 'warning',
    external: ['vscode'],
    plugins,
  };
}

/**
 * Resolves imports of the core to the shared bundle `./core.js` (which exports every module of
 * src/core through src/core/index.ts), so the core is shipped once, not in every bundle.
 */
function sharedCore(filter, fromImporter) {
  return {
    name: 'shared-core',
    setup(build) {
      build.onResolve({ filter }, (args) => {
        if (!fromImporter(args.importer)) return undefined;
        const target = join(args.resolveDir, args.path);
        const isCore = target.startsWith(coreDir) || args.path.endsWith('coreModules.ts');
        return isCore ? { path: './core.js', external: true } : undefined;
      });
    },
  };
}
