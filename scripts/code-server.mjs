// code-server: VS Code's own server and web workbench, used where no desktop VS Code can run (no
// internet to download one, no display). The integration suite and `npm start` use it.
//
// Installed once into the tool cache (outside the repository) with Node 24, because code-server's
// postinstall accepts no other Node and reads the version from npm's user agent. A marker file is
// written last, so an install that was interrupted is redone on the next run.
//
// Built-in modules only: this runs before anything but the repository's node_modules exists.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cacheRoot, envWithNode, ensureNode24, findNpmCli } from './toolchain.mjs';

export const CODE_SERVER_VERSION = '4.139.1';
/** The VS Code release code-server 4.139.1 carries. */
export const VSCODE_VERSION = '1.139.1';

const COMPLETE_MARKER = '.insight-proof-install-complete';
const LISTENING = /HTTP server listening on (http:\/\/[^\s/]+)\/?/;

export function codeServerDir() {
  return join(cacheRoot(), `code-server-${CODE_SERVER_VERSION}`);
}

/**
 * Makes sure code-server is installed in the cache and returns what is needed to run it.
 * A cold install compiles native modules and takes several minutes; later calls return at once.
 * @param {{ log?: (message: string) => void }} [options]
 * @returns {Promise<{ dir: string, entry: string, node: string }>}
 */
export async function ensureCodeServer({ log = defaultLog } = {}) {
  const dir = codeServerDir();
  const node = ensureNode24();
  const entry = join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const marker = join(dir, COMPLETE_MARKER);
  if (existsSync(marker) && existsSync(entry)) return { dir, entry, node };

  mkdirSync(dir, { recursive: true });
  const lock = join(dir, '.install-lock');
  const ownsLock = await acquireLock(lock, marker, log);
  try {
    if (existsSync(marker) && existsSync(entry)) return { dir, entry, node };
    // Whatever a previous, unfinished install left behind is not trusted.
    rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
    rmSync(join(dir, 'package-lock.json'), { force: true });
    writeFileSync(
      join(dir, 'package.json'),
      `${JSON.stringify(
        {
          name: 'insight-proof-code-server',
          private: true,
          description: 'code-server for the Insight Proof integration tests and `npm start`; installed by scripts/code-server.mjs.',
          // npm 11 runs dependency install scripts only when approved here; these two must build.
          allowScripts: { 'code-server': true, argon2: true },
        },
        null,
        2,
      )}\n`,
    );
    const installLog = join(dir, 'install.log');
    log(`Installing code-server ${CODE_SERVER_VERSION} (VS Code ${VSCODE_VERSION}) into ${dir}; the first time takes several minutes (native modules are compiled). Output: ${installLog}`);
    const started = Date.now();
    const code = await runLogged(
      node,
      [findNpmCli(), 'install', '--no-audit', '--no-fund', '--no-save', '--loglevel=warn', `code-server@${CODE_SERVER_VERSION}`],
      { cwd: dir, env: envWithNode(node, { npm_config_update_notifier: 'false' }), logFile: installLog, log, started },
    );
    if (code !== 0 || !existsSync(entry) || !existsSync(join(dir, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules'))) {
      const tail = readFileSync(installLog, 'utf8').split('\n').slice(-30).join('\n');
      throw new Error(
        `${tail}\nInstalling code-server ${CODE_SERVER_VERSION} failed (see ${installLog}); make sure the packages build-essential, python3, pkg-config and libkrb5-dev are installed and the npm registry is reachable, then run the command again.`,
      );
    }
    writeFileSync(marker, `code-server ${CODE_SERVER_VERSION} installed with ${node} at ${new Date().toISOString()}\n`);
    log(`code-server ${CODE_SERVER_VERSION} installed in ${Math.round((Date.now() - started) / 1000)} s.`);
    return { dir, entry, node };
  } finally {
    if (ownsLock) rmSync(lock, { force: true });
  }
}

/**
 * Starts code-server in its own process group (so stopping it stops everything it spawned) on a
 * free port of 127.0.0.1, with all its state in `runDir`.
 * @param {{
 *   workspaceFolder: string,
 *   runDir: string,
 *   log?: (message: string) => void,
 *   port?: number,
 *   env?: Record<string, string>,
 *   settings?: Record<string, unknown>,
 *   tmpDir?: string,
 *   startTimeoutMs?: number,
 *   smokeTestDriver?: boolean,
 *   workspaceTrust?: boolean,
 * }} options
 *   workspaceTrust: leave workspace trust on (the settings decide whether it is enabled), so a
 *   window can be untrusted; by default it is disabled and every folder is trusted.
 * @returns {Promise<{ port: number, origin: string, pid: number, logFile: string, exited: Promise<number | null>, stop: () => Promise<void> }>}
 */
export async function startCodeServer({ workspaceFolder, runDir, log = defaultLog, port = 0, env = {}, settings = {}, tmpDir, startTimeoutMs = 60_000, smokeTestDriver = true, workspaceTrust = false }) {
  const { entry, node } = await ensureCodeServer({ log });
  const userDataDir = join(runDir, 'user-data');
  const extensionsDir = join(runDir, 'extensions');
  const tmp = tmpDir ?? socketFriendlyTmpDir(runDir);
  for (const dir of [userDataDir, extensionsDir, tmp]) mkdirSync(dir, { recursive: true });
  writeQuietSettings(userDataDir, settings);

  const logFile = join(runDir, 'code-server.log');
  const logStream = createWriteStream(logFile);
  const args = [
    entry,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    ...(workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--ignore-last-opened',
    // Only with the smoke-test driver does the web workbench read development options from the URL
    // (extensionDevelopmentPath, extensionTestsPath). It also hides notification toasts: windows
    // for people (`npm start`) go without it and load the extension with linkExtension() instead.
    ...(smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    workspaceFolder,
  ];
  const child = spawn(node, args, {
    cwd: runDir,
    // detached = setsid: code-server and the extension hosts it forks share one new process group.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...envWithNode(node),
      // An empty gallery: no attempts to reach the online marketplace.
      EXTENSIONS_GALLERY: '{}',
      // VS Code's sockets and temp files stay in the run directory.
      TMPDIR: tmp,
      ...env,
    },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`Could not start code-server with ${node}; check that the file exists and is executable.`);
  const exited = new Promise((resolveExit) => child.on('exit', (code, signal) => resolveExit(code ?? (signal ? -1 : null))));
  // If this process ends without calling stop() (an uncaught error), code-server must not outlive it.
  const killOnExit = () => killGroup(pid, 'SIGKILL');
  process.on('exit', killOnExit);

  let stopped = false;
  async function stop() {
    if (stopped) return;
    stopped = true;
    process.off('exit', killOnExit);
    // code-server first, alone, so it can shut down and reap its extension host and other
    // children; then whatever of its process group is left.
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // It has exited already.
    }
    await Promise.race([exited, delay(2000)]);
    for (const signal of ['SIGTERM', 'SIGKILL']) {
      if (!(await groupGone(pid, 0))) killGroup(pid, signal);
      if (await groupGone(pid, 2000)) break;
    }
    logStream.end();
    if (!tmpDir && !tmp.startsWith(runDir)) rmSync(tmp, { recursive: true, force: true });
  }

  const origin = await new Promise((resolveOrigin, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`code-server did not start listening within ${startTimeoutMs / 1000} s; see ${logFile}.`)), startTimeoutMs);
    const onData = (chunk) => {
      logStream.write(chunk);
      if (buffered === null) return;
      buffered += chunk.toString();
      const match = LISTENING.exec(buffered);
      if (match) {
        buffered = null;
        clearTimeout(timer);
        resolveOrigin(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`Could not start code-server: ${error.message}.`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      const lastLines = typeof buffered === 'string' ? buffered.trim().split('\n').slice(-5).join('\n') : '';
      reject(new Error(`${lastLines}\ncode-server exited (${code}) before it was ready; read the lines above (for example: the port is taken; choose another) and ${logFile}.`.trim()));
    });
  }).catch(async (error) => {
    await stop();
    throw error;
  });
  const actualPort = Number(new URL(origin).port);
  return { port: actualPort, origin, pid, logFile, exited, stop };
}

/**
 * The workbench URL that opens `folder` with the extension under development loaded and, when
 * `extensionTestsPath` is given, runs that test module in the extension host. The `vscode-remote`
 * authority must be the exact host:port the browser uses.
 * @param {{ origin: string, folder: string, extensionDevelopmentPath: string, extensionTestsPath?: string }} options
 */
export function workbenchUrl({ origin, folder, extensionDevelopmentPath, extensionTestsPath }) {
  const { host } = new URL(origin);
  const remote = (path) => `vscode-remote://${host}${path.startsWith('/') ? '' : '/'}${path}`;
  const payload = [['extensionDevelopmentPath', remote(extensionDevelopmentPath)]];
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  // Slashes stay readable in the folder path; everything else is encoded.
  const folderParam = encodeURIComponent(folder).replaceAll('%2F', '/');
  return `${new URL(origin).origin}/?folder=${folderParam}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/**
 * Installs the extension at `extensionPath` (this repository) into code-server's extensions folder
 * as a symbolic link, so it loads like an installed extension and runs the repository's current
 * build: no .vsix, no development URL (which needs the smoke-test driver). Older links of the same
 * extension are replaced, and the folder's extensions.json lists it: code-server loads only the
 * extensions listed there.
 * @param {{ extensionsDir: string, extensionPath: string }} options
 */
export function linkExtension({ extensionsDir, extensionPath }) {
  const manifest = JSON.parse(readFileSync(join(extensionPath, 'package.json'), 'utf8'));
  const id = `${manifest.publisher}.${manifest.name}`.toLowerCase();
  const folder = `${id}-${manifest.version}`;
  mkdirSync(extensionsDir, { recursive: true });
  for (const entry of readdirSync(extensionsDir)) {
    if (!entry.startsWith(`${id}-`)) continue;
    const path = join(extensionsDir, entry);
    if (entry === folder && lstatSync(path).isSymbolicLink() && readlinkSync(path) === extensionPath) continue;
    rmSync(path, { recursive: true, force: true });
  }
  const link = join(extensionsDir, folder);
  if (!existsSync(link)) symlinkSync(extensionPath, link, 'dir');
  const listFile = join(extensionsDir, 'extensions.json');
  let listed;
  try {
    const parsed = JSON.parse(readFileSync(listFile, 'utf8'));
    listed = Array.isArray(parsed) ? parsed : [];
  } catch {
    listed = [];
  }
  listed = listed.filter((entry) => entry?.identifier?.id?.toLowerCase() !== id);
  listed.push({ identifier: { id }, version: manifest.version, location: { $mid: 1, path: link, scheme: 'file' }, relativeLocation: folder });
  writeFileSync(listFile, JSON.stringify(listed));
}

/**
 * Gives a fresh user data folder settings for a clean, quiet window, with `overrides` on top. A
 * folder that has settings already keeps them: they may be the user's own.
 */
export function writeQuietSettings(userDataDir, overrides = {}) {
  const settingsFile = join(userDataDir, 'User', 'settings.json');
  if (existsSync(settingsFile)) return;
  mkdirSync(dirname(settingsFile), { recursive: true });
  writeFileSync(settingsFile, `${JSON.stringify({ ...QUIET_SETTINGS, ...overrides }, null, 2)}\n`);
}

/** No welcome page, no tips, no telemetry, no update checks, no prompts about the parent git repository. */
const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  // 'off', not false: VS Code 1.139 migrates the old boolean by rewriting settings.json at startup,
  // and an extension host reading the settings during that rewrite can miss them until a reload.
  'extensions.autoUpdate': 'off',
  'security.workspace.trust.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  // No chat panel or agent host: nothing here can sign in, and they only add load and log noise.
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/** Sends a signal to a whole process group; true when the group existed. */
export function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * True while a process of the group is still running. Zombies do not count: a child whose parent
 * died first is reparented to init, which may reap it only later, but it no longer runs.
 */
export function groupAlive(pgid) {
  if (!killGroup(pgid, 0)) return false;
  let entries;
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  return entries.some((entry) => {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name: state, ppid, pgrp, ...
      const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(group) === pgid && state !== 'Z';
    } catch {
      return false;
    }
  });
}

/**
 * VS Code puts its Unix sockets in TMPDIR, and socket paths must stay under 108 bytes: use the run
 * directory's tmp/ when its path is short, else a fresh folder in the system's temp directory.
 */
function socketFriendlyTmpDir(runDir) {
  const inRunDir = join(runDir, 'tmp');
  return inRunDir.length <= 50 ? inRunDir : mkdtempSync(join(tmpdir(), 'insight-proof-'));
}

/** Polls until no process of the group is left; false when some still are after `timeoutMs`. */
async function groupGone(pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await delay(50);
  }
  return true;
}

function delay(ms) {
  return new Promise((resolveDelay) => setTimeout(resolveDelay, ms));
}

function defaultLog(message) {
  process.stderr.write(`[insight-proof] ${message}\n`);
}

/** Runs a command with its output in a file, saying every minute that it is still going. */
function runLogged(command, args, { cwd, env, logFile, log, started }) {
  return new Promise((resolveRun, reject) => {
    const out = createWriteStream(logFile);
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    const ticker = setInterval(() => log(`… still installing code-server (${Math.round((Date.now() - started) / 1000)} s)`), 60_000);
    const forward = (signal) => child.kill(signal);
    process.once('SIGINT', forward);
    process.once('SIGTERM', forward);
    child.on('error', (error) => {
      clearInterval(ticker);
      reject(new Error(`Could not run npm to install code-server: ${error.message}.`));
    });
    child.on('close', (code) => {
      clearInterval(ticker);
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      out.end(() => resolveRun(code));
    });
  });
}

/**
 * One installer at a time: a second process waits for the first (or takes over a dead one's lock).
 * Resolves true when this process holds the lock, false when the other one finished the install.
 */
async function acquireLock(lock, marker, log) {
  let announced = false;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return true;
    } catch {
      const owner = Number(readFileSync(lock, 'utf8'));
      let alive;
      try {
        process.kill(owner, 0);
        alive = owner !== process.pid;
      } catch {
        alive = false;
      }
      if (!alive) {
        rmSync(lock, { force: true });
        continue;
      }
      if (existsSync(marker)) return false;
      if (!announced) log(`Another process (${owner}) is installing code-server; waiting for it.`);
      announced = true;
      await delay(2000);
    }
  }
}
