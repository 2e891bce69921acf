import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { lockRunDir, releaseRunDir, runLockFile } from '../../scripts/runLock.mjs';

function tempRunDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'run-lock-')), 'run');
}

test('a free run directory is locked with our PID and released', async () => {
  const runDir = tempRunDir();
  const release = await lockRunDir(runDir, { waitingFor: 'another run' });
  assert.equal(readFileSync(runLockFile(runDir), 'utf8'), String(process.pid));
  release();
  assert.equal(existsSync(runLockFile(runDir)), false);
  rmSync(dirname(runDir), { force: true, recursive: true });
});

test('a lock left by a process that no longer exists, or by our own PID, is taken over without waiting', async () => {
  const runDir = tempRunDir();
  const exited = spawn(process.execPath, ['-e', '']);
  const deadPid = exited.pid;
  await new Promise((resolve) => exited.once('exit', resolve));
  for (const stalePid of [deadPid, process.pid]) {
    writeFileSync(runLockFile(runDir), String(stalePid));
    const messages: string[] = [];
    const release = await lockRunDir(runDir, { waitingFor: 'another run', log: (message) => messages.push(message) });
    assert.equal(readFileSync(runLockFile(runDir), 'utf8'), String(process.pid));
    assert.deepEqual(messages, []);
    release();
  }
  rmSync(dirname(runDir), { force: true, recursive: true });
});

test('a lock held by a live process is waited for, with one message naming what we wait for', async () => {
  const runDir = tempRunDir();
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
  try {
    writeFileSync(runLockFile(runDir), String(holder.pid));
    const messages: string[] = [];
    let acquired = false;
    const locking = lockRunDir(runDir, { waitingFor: 'another integration run', log: (message) => messages.push(message) }).then((release) => {
      acquired = true;
      return release;
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(acquired, false);
    assert.deepEqual(messages, [`Waiting for another integration run (pid ${holder.pid}) to finish; it holds ${runLockFile(runDir)}.`]);
    // Releasing only removes a lock we hold: the other run's stays.
    releaseRunDir(runDir);
    assert.equal(readFileSync(runLockFile(runDir), 'utf8'), String(holder.pid));
    holder.kill('SIGKILL');
    const release = await locking;
    assert.equal(readFileSync(runLockFile(runDir), 'utf8'), String(process.pid));
    assert.equal(messages.length, 1);
    release();
  } finally {
    holder.kill('SIGKILL');
    rmSync(dirname(runDir), { force: true, recursive: true });
  }
});
