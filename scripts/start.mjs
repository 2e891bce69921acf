#!/usr/bin/env node
// The main job: open VS Code with Insight Proof loaded from this repository on the sample
// workspace samples/, and keep it running until Ctrl-C. `npm start` builds first, then runs this.
//
//   node scripts/start.mjs [--port N] [--no-browser]
//
// With a desktop VS Code (`code` on PATH, or INSIGHT_PROOF_VSCODE_EXECUTABLE) and a display, that
// VS Code opens an Extension Development Host window. Otherwise code-server (VS Code 1.139.1 in the
// browser, installed once into the tool cache) serves it on http://127.0.0.1:PORT/, and a browser
// opens when this machine has one and a display. State (settings, logs) persists in the tool cache.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CODE_SERVER_VERSION, VSCODE_VERSION, startCodeServer, workbenchUrl } from './code-server.mjs';
import { cacheRoot, log, repoRoot } from './toolchain.mjs';

const samples = join(repoRoot, 'samples');

function usage() {
  return 'usage: node scripts/start.mjs [--port N] [--no-browser]';
}

function parseOptions(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { port: { type: 'string' }, 'no-browser': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
      strict: true,
    }));
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; ${usage()}`, { cause: error });
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number from 0 to 65535, not "${values.port}".`);
  return { port, openBrowser: !values['no-browser'], help: values.help };
}

function hasDisplay() {
  if (process.platform === 'darwin' || process.platform === 'win32') return true;
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** A desktop VS Code to use, or undefined: it needs a display to show its window. */
function desktopVsCode() {
  const configured = process.env.INSIGHT_PROOF_VSCODE_EXECUTABLE;
  if (configured) return configured;
  return hasDisplay() && onPath('code') ? 'code' : undefined;
}

/** Runs until the desktop window is closed (or Ctrl-C, which leaves the user's window alone). */
function startDesktop(executable) {
  log(`Opening ${samples} in ${executable} with Insight Proof loaded from ${repoRoot}.`);
  const child = spawn(executable, ['--new-window', '--wait', `--extensionDevelopmentPath=${repoRoot}`, samples], { stdio: 'inherit' });
  return new Promise((resolveRun, reject) => {
    child.on('error', (error) => reject(new Error(`Could not start ${executable}: ${error.message}. Set INSIGHT_PROOF_VSCODE_EXECUTABLE to a VS Code binary, or unset it to use code-server.`)));
    child.on('exit', (code) => resolveRun(code ?? 0));
  });
}

/** Opens the URL in the user's browser when there is one to open; never fails the job. */
function openInBrowser(url) {
  const candidates = [];
  if (process.env.BROWSER) candidates.push(process.env.BROWSER);
  if (process.platform === 'darwin') candidates.push('open');
  else if (hasDisplay()) candidates.push('xdg-open');
  const opener = candidates.find((command) => onPath(command.split(' ')[0]));
  if (!opener) {
    log('No browser to open here (no display or none configured): open the URL above yourself, for example through an SSH tunnel to the port.');
    return;
  }
  try {
    const [command, ...args] = opener.split(' ');
    const child = spawn(command, [...args, url], { stdio: 'ignore', detached: true });
    child.on('error', () => log(`Could not run ${opener}; open the URL above yourself.`));
    child.unref();
  } catch {
    log(`Could not run ${opener}; open the URL above yourself.`);
  }
}

async function startInCodeServer({ port, openBrowser }) {
  const runDir = join(cacheRoot(), 'start');
  mkdirSync(runDir, { recursive: true });
  const server = await startCodeServer({
    workspaceFolder: samples,
    runDir,
    port,
    log,
    // The samples folder opens on its README, a short guide to the extension.
    settings: { 'workbench.startupEditor': 'readme' },
  });
  let stopping;
  const stop = (reason) => {
    stopping ??= (async () => {
      log(`${reason}; stopping code-server.`);
      await server.stop();
    })();
    return stopping;
  };
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
    process.on(signal, () => void stop(`${signal} received`).finally(() => process.exit(code === 130 ? 0 : code)));
  }

  const url = workbenchUrl({ origin: server.origin, folder: samples, extensionDevelopmentPath: repoRoot });
  console.log('');
  console.log(`Insight Proof is running in VS Code ${VSCODE_VERSION} (code-server ${CODE_SERVER_VERSION}) on the sample workspace ${samples}.`);
  console.log(`Open: ${url}`);
  console.log(`(only from this machine; keep the address as printed: the extension is loaded from the host:port in it)`);
  console.log('Press Ctrl-C to stop.');
  console.log('');
  if (openBrowser) openInBrowser(url);

  const code = await server.exited;
  if (!stopping) {
    await stop(`code-server exited (${code})`);
    throw new Error(`code-server stopped unexpectedly (${code}); see ${server.logFile}, then run \`npm start\` again.`);
  }
  return 0;
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    console.log(usage());
    return 0;
  }
  if (!existsSync(join(repoRoot, 'dist', 'extension.js'))) {
    throw new Error('dist/extension.js is missing; run `npm start` (it builds first) or `node esbuild.mjs`.');
  }
  if (!existsSync(samples)) throw new Error(`The sample workspace ${samples} is missing; restore it with \`git checkout -- samples\`.`);
  const desktop = desktopVsCode();
  return desktop ? startDesktop(desktop) : startInCodeServer(options);
}

try {
  process.exitCode = await main();
} catch (error) {
  log(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
