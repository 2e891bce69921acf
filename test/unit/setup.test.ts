// The unhandled-rejection guard of the unit suite (setup.ts) really fails a run.
import './setup.ts';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SETUP = fileURLToPath(new URL('./setup.ts', import.meta.url));

test('a test that passes but leaves an unhandled rejection behind fails the run, with the reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'insight-proof-guard-'));
  try {
    const file = join(dir, 'late.test.mjs');
    writeFileSync(
      file,
      [
        "import { test } from 'node:test';",
        "test('passes', () => {",
        "  setTimeout(() => void Promise.reject(new Error('rejected after the test ended')), 10);",
        '});',
        '',
      ].join('\n'),
    );
    // A fresh test run, not a child of this one (the runner marks its children through NODE_TEST_CONTEXT).
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const run = spawnSync(process.execPath, ['--import', SETUP, '--test', '--test-reporter=spec', file], { encoding: 'utf8', env, timeout: 60_000 });
    const output = `${run.stdout}${run.stderr}`;
    assert.notEqual(run.status, 0, output);
    assert.match(output, /Unhandled promise rejection #1 \(this fails the unit run\): Error: rejected after the test ended\n\s+at /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
