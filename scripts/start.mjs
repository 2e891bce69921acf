#!/usr/bin/env node
// The main job: open VS Code with Insight Proof loaded from this repository on the sample
// workspace samples/, and keep it running until Ctrl-C. `npm start` builds first, then runs this.
//
//   node scripts/start.mjs [--port N] [--no-browser] [--demo-model]
//
// With a desktop VS Code (`code` on PATH, or INSIGHT_PROOF_VSCODE_EXECUTABLE) and a display, that
// VS Code opens an Extension Development Host window. Otherwise code-server (VS Code 1.139.1 in the
// browser, installed once into the tool cache) serves it on http://127.0.0.1:PORT/, and a browser
// opens when this machine has one and a display. There the extension is installed as a link to this
// repository (so it runs the build `npm start` just made), not loaded through a development URL:
// that would need VS Code's smoke-test mode, which hides every notification toast. State
// (settings, logs) persists in the tool cache.
//
// --demo-model also starts the demo model server (demo/server.mjs, recorded answers for the sample
// theorems) on a free loopback port and points the extension at it through the user settings of a
// separate profile (start-demo/ in the tool cache), so the person's own settings are never touched.
// Ctrl-C stops everything this started: code-server (its whole process group) and the demo server.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_MODEL_ID, startDemoServer } from '../demo/server.mjs';
import { cleanupStack } from './cleanups.mjs';
import { CODE_SERVER_VERSION, VSCODE_VERSION, linkExtension, startCodeServer, writeQuietSettings } from './code-server.mjs';
import { cacheRoot, log, repoRoot } from './toolchain.mjs';

const samples = join(repoRoot, 'samples');

function usage() {
  return 'usage: node scripts/start.mjs [--port N] [--no-browser] [--demo-model]';
}

/** What this run started, stopped newest first on Ctrl-C, on a failure and when VS Code ends. */
const cleanups = cleanupStack(log);
function stopEverything(reason) {
  return cleanups.stop(reason && `${reason}; stopping what \`npm start\` started.`);
}

function parseOptions(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        'no-browser': { type: 'boolean', default: false },
        'demo-model': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; ${usage()}`, { cause: error });
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number from 0 to 65535, not "${values.port}".`);
  return { port, openBrowser: !values['no-browser'], demoModel: values['demo-model'], help: values.help };
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

/**
 * Runs until the desktop window is closed (or Ctrl-C, which leaves the user's window alone). With
 * the demo model, the window gets its own profile, whose settings point at the demo server.
 */
function startDesktop(executable, demo) {
  log(`Opening ${samples} in ${executable} with Insight Proof loaded from ${repoRoot}.`);
  const profile = [];
  if (demo) {
    const userDataDir = join(cacheRoot(), 'start-demo', 'desktop-user-data');
    writeDemoSettings(userDataDir, demo.baseUrl);
    profile.push(`--user-data-dir=${userDataDir}`);
    printDemo(demo);
  }
  const child = spawn(executable, ['--new-window', '--wait', ...profile, `--extensionDevelopmentPath=${repoRoot}`, samples], { stdio: 'inherit' });
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

/** The samples folder opens on its README, a short guide to the extension. */
const START_SETTINGS = { 'workbench.startupEditor': 'readme' };

/**
 * Points a profile's user settings at the demo server (its port changes from run to run). Other
 * settings in the file stay as the person left them; a file that is not plain JSON (comments) is
 * kept as settings.json.bak and replaced.
 */
function writeDemoSettings(userDataDir, baseUrl) {
  writeQuietSettings(userDataDir, START_SETTINGS);
  const file = join(userDataDir, 'User', 'settings.json');
  let settings;
  try {
    settings = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    copyFileSync(file, `${file}.bak`);
    log(`${file} is not plain JSON; kept it as settings.json.bak and wrote the demo settings afresh.`);
    settings = {};
  }
  settings['insightProof.baseUrl'] = baseUrl;
  settings['insightProof.model'] = DEMO_MODEL_ID;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
}

/** Says where the model comes from: the profile's setting, or how to get one. */
function printModelHint(userDataDir) {
  let baseUrl;
  try {
    baseUrl = JSON.parse(readFileSync(join(userDataDir, 'User', 'settings.json'), 'utf8'))['insightProof.baseUrl'];
  } catch {
    baseUrl = undefined;
  }
  if (typeof baseUrl === 'string' && baseUrl.trim() !== '') {
    console.log(`Model server: ${baseUrl} (insightProof.baseUrl in this profile's settings).`);
  } else {
    console.log('Model server: none set yet. When you first prove, Insight Proof offers a server it finds on this machine (vLLM, Ollama, LM Studio, llama.cpp); `npm start -- --demo-model` adds a demo model instead.');
  }
}

function printDemo(demo) {
  console.log(`Demo model: ${demo.baseUrl} replays recorded answers for the ${demo.answers} sample theorems in samples/workbook.md; it is not a real model (see "Serving a real model" in README.md).`);
}

async function startInCodeServer({ port, openBrowser }, demo) {
  const runDir = join(cacheRoot(), demo ? 'start-demo' : 'start');
  mkdirSync(runDir, { recursive: true });
  if (demo) writeDemoSettings(join(runDir, 'user-data'), demo.baseUrl);
  linkExtension({ extensionsDir: join(runDir, 'extensions'), extensionPath: repoRoot });
  const server = await startCodeServer({ workspaceFolder: samples, runDir, port, log, settings: START_SETTINGS, smokeTestDriver: false });
  cleanups.push(() => server.stop());

  // Slashes stay readable in the folder path; everything else is encoded.
  const url = `${server.origin}/?folder=${encodeURIComponent(samples).replaceAll('%2F', '/')}`;
  console.log('');
  console.log(`Insight Proof is running in VS Code ${VSCODE_VERSION} (code-server ${CODE_SERVER_VERSION}) on the sample workspace ${samples}.`);
  if (demo) printDemo(demo);
  else printModelHint(join(runDir, 'user-data'));
  console.log(`Open: ${url}`);
  console.log(`(code-server listens on 127.0.0.1 only: from another computer, forward the port first, for example ssh -L ${server.port}:127.0.0.1:${server.port} <this machine>)`);
  console.log('Press Ctrl-C to stop.');
  console.log('');
  if (openBrowser) openInBrowser(url);

  const code = await server.exited;
  if (!cleanups.stopping) {
    await stopEverything(`code-server exited (${code})`);
    throw new Error(`code-server stopped unexpectedly (${code}); see ${server.logFile}, then run \`npm start\` again.`);
  }
  return 0;
}

/** The demo model server, in this process: it stops with it. */
async function startDemo() {
  const demo = await startDemoServer({ log: (line) => process.stderr.write(`[demo model] ${line}\n`) });
  cleanups.push(() => demo.close());
  return demo;
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
  for (const [signal, code] of [['SIGINT', 0], ['SIGTERM', 143], ['SIGHUP', 129]]) {
    process.on(signal, () => void stopEverything(`${signal} received`).finally(() => process.exit(code)));
  }
  const demo = options.demoModel ? await startDemo() : undefined;
  const desktop = desktopVsCode();
  return desktop ? startDesktop(desktop, demo) : startInCodeServer(options, demo);
}

try {
  process.exitCode = await main();
} catch (error) {
  log(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
await stopEverything();
