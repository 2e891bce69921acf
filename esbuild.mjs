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
import { commonOptions, shippedBundles } from './scripts/bundles.mjs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// Reports what went wrong in one line per problem, as the esbuild sample's problem matcher expects.
const plugins = [problemReporter()];

/**
 * The integration suite's files: index.ts plus every *.test.ts, and the untrusted-workspace pass's
 * untrusted/*.test.ts (built to out/test/integration/untrusted/), bundled separately for the VS Code
 * test host.
 */
function integrationEntryPoints() {
  const dir = 'test/integration';
  const untrusted = join(dir, 'untrusted');
  return [
    ...readdirSync(dir).filter((name) => name === 'index.ts' || name.endsWith('.test.ts')).map((name) => join(dir, name)),
    ...readdirSync(untrusted).filter((name) => name.endsWith('.test.ts')).map((name) => join(untrusted, name)),
  ];
}

const contexts = await Promise.all(shippedBundles({ production, plugins }).map((options) => esbuild.context(options)));
if (!production) {
  rmSync('out/test', { recursive: true, force: true });
  contexts.push(
    await esbuild.context({
      ...commonOptions({ plugins }),
      entryPoints: integrationEntryPoints(),
      outdir: 'out/test/integration',
      // Paths below test/integration keep their folders (untrusted/ stays a subfolder).
      outbase: 'test/integration',
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
