// One run at a time per run directory: the integration harness, the workbench driver's callers (the
// end-to-end UI test, the screenshots) and the VS Code benchmark each take `<runDir>.lock` before
// they use a run directory (the benchmark takes the integration run's, so its figures never
// measure the contention of a test run). The lock file holds the owner's PID.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** @param {string} runDir */
export function runLockFile(runDir) {
  return `${runDir}.lock`;
}

/**
 * A lock is stale when its PID is not a live process, or is our own (a lock this process left
 * behind, e.g. after an earlier run in the same process failed before releasing it).
 * @param {number} owner
 */
function isStale(owner) {
  if (!Number.isInteger(owner) || owner <= 0 || owner === process.pid) return true;
  try {
    process.kill(owner, 0);
    return false;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else, so it is alive.
    return !(error && typeof error === 'object' && 'code' in error && error.code === 'EPERM');
  }
}

/**
 * Takes `<runDir>.lock`, waiting (polling every second) while a live process holds it; a stale
 * lock is taken over. Logs once, while waiting: "Waiting for <waitingFor> (pid N) to finish; it
 * holds <lock file>."
 * @param {string} runDir
 * @param {{ waitingFor: string, log?: (message: string) => void }} options
 *   waitingFor: what the other holder is, e.g. "another integration run".
 * @returns {Promise<() => void>} releases the lock (only while it is still ours)
 */
export async function lockRunDir(runDir, { waitingFor, log = () => undefined }) {
  const lock = runLockFile(runDir);
  mkdirSync(dirname(lock), { recursive: true });
  let announced = false;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return () => releaseRunDir(runDir);
    } catch (error) {
      if (!(error && typeof error === 'object' && 'code' in error && error.code === 'EEXIST')) throw error;
    }
    let owner;
    try {
      owner = Number(readFileSync(lock, 'utf8').trim());
    } catch {
      // Released between our attempt and our read: try again at once.
      continue;
    }
    if (isStale(owner)) {
      rmSync(lock, { force: true });
      continue;
    }
    if (!announced) log(`Waiting for ${waitingFor} (pid ${owner}) to finish; it holds ${lock}.`);
    announced = true;
    await new Promise((resolveDelay) => setTimeout(resolveDelay, 1000));
  }
}

/**
 * Removes `<runDir>.lock` if this process holds it (a signal handler may call this while we are
 * still waiting for another run's lock: that one is left alone).
 * @param {string} runDir
 */
export function releaseRunDir(runDir) {
  const lock = runLockFile(runDir);
  try {
    if (Number(readFileSync(lock, 'utf8').trim()) === process.pid) rmSync(lock, { force: true });
  } catch {
    // No lock file: nothing to release.
  }
}
