// Builds the extension and the command-line tool (the shape of the esbuild sample of
// microsoft/vscode-extension-samples): CommonJS for Node, `vscode` external, minified for
// production and with source maps in development. Types are checked separately by `tsc --noEmit`.
//
//   node esbuild.mjs                 development build of dist/ and out/test/
//   node esbuild.mjs --production    minified dist/ only (what the .vsix ships)
//   node esbuild.mjs --watch         rebuild on change
import * as esbuild from 'esbuild';
import { chmodSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const common = {
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
  // Reports what went wrong in one line per problem, as the esbuild sample's problem matcher expects.
  plugins: [problemReporter()],
};

/** The integration suite's files: index.ts plus every *.test.ts, bundled separately for the VS Code test host. */
function integrationEntryPoints() {
  const dir = 'test/integration';
  return readdirSync(dir)
    .filter((name) => name === 'index.ts' || name.endsWith('.test.ts'))
    .map((name) => join(dir, name));
}

const contexts = [
  // The extension's own code is small; the core (parsers, pipeline, client, the `openai` SDK) goes
  // into dist/core.js, which src/vscode/core.ts requires on first use, so activation never parses it.
  await esbuild.context({ ...common, entryPoints: ['src/vscode/extension.ts'], outfile: 'dist/extension.js', plugins: [...common.plugins, coreAsSeparateBundle()],
    // require() rather than import(): the extension host loads extensions as CommonJS.
    supported: { 'dynamic-import': false } }),
  await esbuild.context({ ...common, entryPoints: ['src/vscode/coreModules.ts'], outfile: 'dist/core.js' }),
  await esbuild.context({
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
  }),
];
if (!production) {
  rmSync('out/test', { recursive: true, force: true });
  contexts.push(
    await esbuild.context({
      ...common,
      entryPoints: integrationEntryPoints(),
      outdir: 'out/test/integration',
      // Mocha is loaded from node_modules at run time by the test host, never bundled.
      external: ['vscode', 'mocha'],
    }),
  );
}

if (watch) {
  await Promise.all(contexts.map((context) => context.watch()));
} else {
  await Promise.all(contexts.map((context) => context.rebuild()));
  await Promise.all(contexts.map((context) => context.dispose()));
  chmodSync('dist/cli.js', 0o755);
}

/** Resolves the lazy `import('./coreModules.ts')` of src/vscode/core.ts to the separate bundle dist/core.js. */
function coreAsSeparateBundle() {
  return {
    name: 'core-as-separate-bundle',
    setup(build) {
      build.onResolve({ filter: /\/coreModules\.ts$/ }, (args) =>
        args.importer.endsWith(join('src', 'vscode', 'core.ts')) ? { path: './core.js', external: true } : undefined,
      );
    },
  };
}

function problemReporter() {
  return {
    name: 'problem-reporter',
    setup(build) {
      build.onEnd((result) => {
        for (const { text, location } of result.errors) {
          console.error(`✘ [ERROR] ${text}`);
          if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
        }
        if (result.errors.length > 0 && !watch) process.exitCode = 1;
      });
    },
  };
}
