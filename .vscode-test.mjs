// @vscode/test-cli configuration, for machines that can download a desktop VS Code (or have one):
//
//   node esbuild.mjs && npx vscode-test            (on a headless Linux: xvfb-run -a npx vscode-test)
//
// It runs the same compiled suite as `npm test`, which uses test/harness/run-integration.mjs and,
// where no desktop VS Code can run, code-server's extension host in headless Chromium. The VS Code
// version matches the one code-server 4.139.1 carries, so both ways test the same release.
import { defineConfig } from '@vscode/test-cli';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Tests write files into the workspace: they get a fresh copy of the fixture folder, never the
// fixture itself.
const workspaceFolder = join(mkdtempSync(join(tmpdir(), 'insight-proof-workspace-')), 'workspace');
cpSync(join(import.meta.dirname, 'test', 'fixtures', 'workspace'), workspaceFolder, { recursive: true });

export default defineConfig({
  label: 'integration',
  files: 'out/test/integration/*.test.js',
  version: process.env.INSIGHT_PROOF_VSCODE_VERSION || '1.139.1',
  workspaceFolder,
  launchArgs: ['--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
  mocha: {
    ui: 'bdd',
    timeout: 20_000,
    slow: 2_000,
    color: false,
  },
});
