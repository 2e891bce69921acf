#!/usr/bin/env node
// Runs the integration suite (out/test/integration/index.js, built by `node esbuild.mjs`) inside a
// real VS Code and exits non-zero when a test fails, when no test ran, or when the run hangs.
//
// Where a desktop VS Code is available (INSIGHT_PROOF_VSCODE_EXECUTABLE, or
// INSIGHT_PROOF_USE_TEST_ELECTRON=1 to let @vscode/test-electron download one) the suite runs there.
// Otherwise it runs in code-server's extension host (VS Code 1.139.1) driven by headless Chromium
// (playwright-core with the system's Chromium); code-server is installed once into the tool cache
// by scripts/code-server.mjs. The workbench reports the suite's output and its end to the page
// (window.codeAutomationLog / window.codeAutomationExit), which this script defines.
//
// Environment:
//   INSIGHT_PROOF_RESULT_FILE          where to write {"passed","failed","skipped","vscodeVersion"}
//   INSIGHT_PROOF_INTEGRATION_TIMEOUT_MS  hard limit for the run once VS Code is installed (default 10 min)
//   INSIGHT_PROOF_VSCODE_EXECUTABLE    a desktop VS Code to run the suite in
//   INSIGHT_PROOF_USE_TEST_ELECTRON=1  download a desktop VS Code with @vscode/test-electron
//   INSIGHT_PROOF_VSCODE_VERSION       the version @vscode/test-electron downloads (default 1.139.1)
//   INSIGHT_PROOF_CHROMIUM             the Chromium binary (default /usr/bin/chromium)
//   INSIGHT_PROOF_INTEGRATION_MODE=untrusted  the untrusted-workspace pass instead of the main suite:
//       workspace trust on, the folder not trusted, only out/test/integration/untrusted/*.test.js
//       (see untrustedSetup below); artifacts in out/integration-run-untrusted/
//
// Artifacts (logs, the workspace copy the tests wrote to, a screenshot on failure) stay in
// out/integration-run/ (out/integration-run-untrusted/) until the next run.
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { launchChromium } from '../../scripts/chromium.mjs';
import { cleanupStack } from '../../scripts/cleanups.mjs';
import { lockRunDir } from '../../scripts/runLock.mjs';
import { VSCODE_VERSION, ensureCodeServer, startCodeServer, workbenchUrl, writeQuietSettings } from '../../scripts/code-server.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const mode = process.env.INSIGHT_PROOF_INTEGRATION_MODE || 'trusted';
if (mode !== 'trusted' && mode !== 'untrusted') {
  process.stderr.write(`[integration] INSIGHT_PROOF_INTEGRATION_MODE must be "untrusted" or unset, not "${mode}".\n`);
  process.exit(1);
}
const untrusted = mode === 'untrusted';
/** Every VS Code run of this checkout (both passes, the benchmark) takes this directory's lock. */
const lockedRunDir = join(repoRoot, 'out', 'integration-run');
const artifactsDir = untrusted ? join(repoRoot, 'out', 'integration-run-untrusted') : lockedRunDir;
const testsIndex = join(repoRoot, 'out', 'test', 'integration', 'index.js');
const fixtureWorkspace = join(repoRoot, 'test', 'fixtures', 'workspace');
const suiteResultFile = join(artifactsDir, 'mocha-result.json');
const RESULT_LINE_PREFIX = 'INSIGHT_PROOF_MOCHA_RESULT ';
/** Starts every console line of the suite's extension host, to tell it from the workbench's own log. */
const OUTPUT_MARK = '\u2063[suite] ';

const resultFile = process.env.INSIGHT_PROOF_RESULT_FILE ? resolve(process.env.INSIGHT_PROOF_RESULT_FILE) : undefined;
const timeoutMs = Number(process.env.INSIGHT_PROOF_INTEGRATION_TIMEOUT_MS || 10 * 60_000);

/** Set once a signal asks us to stop: from then on the interrupted run's own errors are not news. */
let interrupted = false;

function log(message) {
  process.stderr.write(`[integration] ${message}\n`);
}

/** Things this run started, stopped newest first on every way out (success, failure, timeout, signal). */
const cleanups = cleanupStack(log);
function cleanup() {
  return cleanups.stop();
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal} received; stopping what this run started.`);
    void cleanup().finally(() => process.exit(code));
  });
}

/** Rejects after the hard timeout; the run is then treated as hung. */
function hardTimeout() {
  let timer;
  const promise = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`The integration run did not finish within ${Math.round(timeoutMs / 1000)} s; a test or the test host hangs (raise INSIGHT_PROOF_INTEGRATION_TIMEOUT_MS if the machine is just slow).`)),
      timeoutMs,
    );
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/** The Mocha counts the suite reported: its result file first, else its last output line. */
function readSuiteResult(outputLines) {
  if (existsSync(suiteResultFile)) return JSON.parse(readFileSync(suiteResultFile, 'utf8'));
  const line = outputLines.findLast((candidate) => candidate.startsWith(RESULT_LINE_PREFIX));
  return line ? JSON.parse(line.slice(RESULT_LINE_PREFIX.length)) : undefined;
}

/**
 * The untrusted pass's window, set up before it opens (a cloned repository's settings are there
 * from the start): the user settings turn workspace trust on without any prompt and point
 * Insight Proof at server A; the workspace's .vscode/settings.json points it at server B, with
 * models only B serves. The two ports are reserved here and the scripted servers are started on
 * them by the test itself (test/integration/untrusted/), inside the extension host, where it can
 * read what each server received; the harness process holds no server.
 */
async function untrustedSetup(workspace) {
  const portA = await freePort();
  let portB = await freePort();
  while (portB === portA) portB = await freePort();
  const user = { baseUrl: `http://127.0.0.1:${portA}/v1`, model: 'user-model-a' };
  const repository = { baseUrl: `http://127.0.0.1:${portB}/v1`, model: 'repository-model-b', proofModel: 'repository-prover-b' };
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  writeFileSync(
    join(workspace, '.vscode', 'settings.json'),
    // The preset is not restricted: the test sees it take effect, so the file is read at all.
    `${JSON.stringify({ 'insightProof.baseUrl': repository.baseUrl, 'insightProof.model': repository.model, 'insightProof.stageModels': { proof: repository.proofModel }, 'insightProof.preset': 'instruct' }, null, 2)}\n`,
  );
  const settings = {
    'security.workspace.trust.enabled': true,
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.emptyWindow': false,
    'security.workspace.trust.banner': 'never',
    'insightProof.baseUrl': user.baseUrl,
    'insightProof.model': user.model,
  };
  return { settings, user, repository };
}

/** A loopback port free right now (the kernel does not hand it out again at once). */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

/**
 * During the untrusted pass: the status bar, which only the page shows, must name the user's model
 * and never the repository's. It is read every 250 ms while the tests run (the extension host, and
 * with it the item, is gone once they end). `stop()` returns a failure sentence, or undefined.
 */
function watchStatusBar(page, { user, repository }) {
  const statusBar = page.locator('#workbench\\.parts\\.statusbar');
  let sawUser = false;
  let sawRepository = '';
  let last = '';
  let watching = true;
  const done = (async () => {
    while (watching) {
      const text = await statusBar.innerText({ timeout: 1_000 }).catch(() => '');
      if (text) last = text.split('\n').filter(Boolean).join(' | ');
      if (text.includes(user.model)) sawUser = true;
      if (text.includes(repository.model)) sawRepository = last;
      await new Promise((resolveDelay) => setTimeout(resolveDelay, 250));
    }
  })();
  let verdict;
  return {
    stop() {
      watching = false;
      verdict ??= done.then(() => {
        if (sawRepository) return `The status bar named the repository's model ${repository.model}: ${sawRepository}`;
        if (!sawUser) return `The status bar never named the user's model ${user.model}; it last showed: ${last}`;
        process.stdout.write(`    ✔ the status bar named the user's model (${user.model}) and never the repository's\n`);
        return undefined;
      });
      return verdict;
    },
  };
}

async function runInCodeServer(workspace, untrustedWindow) {
  await ensureCodeServer({ log });
  const timeout = hardTimeout();
  cleanups.push(timeout.cancel);
  const started = Date.now();
  const outputLines = [];
  let page;
  try {
    const server = await startCodeServer({
      workspaceFolder: workspace,
      runDir: artifactsDir,
      log,
      // code-server's extension host inherits this, so the suite writes its counts for us.
      env: { INSIGHT_PROOF_RESULT_FILE: suiteResultFile, INSIGHT_PROOF_OUTPUT_MARK: OUTPUT_MARK, INSIGHT_PROOF_INTEGRATION_MODE: mode },
      ...(untrustedWindow ? { settings: untrustedWindow.settings, workspaceTrust: true } : {}),
    });
    cleanups.push(server.stop);
    log(`code-server ${server.origin} (pid group ${server.pid}) is up after ${((Date.now() - started) / 1000).toFixed(1)} s.`);

    const { browser, chromiumPid } = await launchChromium({ runDir: artifactsDir, cleanups });

    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const consoleLog = join(artifactsDir, 'browser-console.log');
    page.on('console', (message) => appendFileSync(consoleLog, `[${message.type()}] ${message.text()}\n`));
    page.on('pageerror', (error) => appendFileSync(consoleLog, `[pageerror] ${error.stack ?? error.message}\n`));

    // The workbench sends its log and the extension host's console output here; the suite marks
    // its own lines (see test/integration/index.ts), only those are shown, all are kept.
    const workbenchOutput = join(artifactsDir, 'workbench-output.log');
    await page.exposeFunction('codeAutomationLog', (level, args) => {
      const text = format(...(Array.isArray(args) ? args : [args]));
      appendFileSync(workbenchOutput, `[${level}] ${text}\n`);
      if (!text.startsWith(OUTPUT_MARK)) return;
      const suiteText = text.slice(OUTPUT_MARK.length);
      outputLines.push(...suiteText.split('\n'));
      process.stdout.write(`${suiteText}\n`);
    });
    // ...and calls this once `run()` of the test module has settled.
    let reportExit;
    const exited = new Promise((resolveExit) => (reportExit = resolveExit));
    await page.exposeFunction('codeAutomationExit', (code, logs) => {
      saveWorkbenchLogs(logs);
      reportExit(Number(code));
    });

    const url = workbenchUrl({ origin: server.origin, folder: workspace, extensionDevelopmentPath: repoRoot, extensionTestsPath: testsIndex });
    writeFileSync(join(artifactsDir, 'workbench-url.txt'), `${url}\n`);
    log(`Chromium (pid group ${chromiumPid}) opens the workbench; tests start when it has loaded.`);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    const statusBarWatch = untrustedWindow ? watchStatusBar(page, untrustedWindow) : undefined;
    cleanups.push(() => statusBarWatch?.stop());

    const serverDied = server.exited.then((code) => {
      throw new Error(`code-server stopped (${code}) during the run; see ${server.logFile}.`);
    });
    const pageCrashed = new Promise((_, reject) => {
      page.once('crash', () => reject(new Error(`The workbench page crashed in Chromium; see ${join(artifactsDir, 'browser-console.log')}.`)));
    });
    const exitCode = await Promise.race([exited, serverDied, pageCrashed, timeout.promise]);
    log(`The test host finished with exit code ${exitCode} after ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    const result = readSuiteResult(outputLines);
    if (result && statusBarWatch) {
      const problem = await statusBarWatch.stop();
      if (problem) {
        process.stdout.write(`    ✖ ${problem}\n`);
        result.failed += 1;
      } else {
        result.passed += 1;
      }
    }
    if (exitCode !== 0 || !result || result.failed > 0) await screenshot(page);
    return { exitCode, result };
  } catch (error) {
    if (page && !interrupted) await screenshot(page);
    throw error;
  }
}

async function runInDesktopVsCode(workspace, untrustedWindow) {
  const { runTests } = await import('@vscode/test-electron');
  const userDataDir = join(artifactsDir, 'user-data');
  writeQuietSettings(userDataDir, untrustedWindow?.settings);
  const executable = process.env.INSIGHT_PROOF_VSCODE_EXECUTABLE;
  const version = process.env.INSIGHT_PROOF_VSCODE_VERSION || VSCODE_VERSION;
  log(executable ? `Running the suite in the desktop VS Code at ${executable}.` : `Running the suite in desktop VS Code ${version} (downloaded by @vscode/test-electron).`);
  const timeout = hardTimeout();
  cleanups.push(timeout.cancel);
  // runTests spawns VS Code as our child; on a hang or a signal, stop exactly our descendants.
  cleanups.push(() => killDescendants(process.pid));
  const run = runTests({
    ...(executable ? { vscodeExecutablePath: executable } : { version }),
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: testsIndex,
    launchArgs: [
      workspace,
      `--user-data-dir=${userDataDir}`,
      `--extensions-dir=${join(artifactsDir, 'extensions')}`,
      ...(untrustedWindow ? [] : ['--disable-workspace-trust']),
      '--skip-welcome',
      '--skip-release-notes',
      '--disable-gpu',
    ],
    extensionTestsEnv: { INSIGHT_PROOF_RESULT_FILE: suiteResultFile, INSIGHT_PROOF_INTEGRATION_MODE: mode },
  }).then(
    (code) => code,
    (error) => {
      log(`The desktop VS Code run failed: ${error instanceof Error ? error.message : String(error)}. Without INSIGHT_PROOF_VSCODE_EXECUTABLE and INSIGHT_PROOF_USE_TEST_ELECTRON the suite runs in code-server instead.`);
      return 1;
    },
  );
  const exitCode = await Promise.race([run, timeout.promise]);
  return { exitCode, result: readSuiteResult([]) };
}

/** Every process below `pid`, found through /proc's parent links (Linux). Deepest first. */
function descendants(pid) {
  let entries;
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const children = new Map();
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const found = [];
  const visit = (parent) => {
    for (const child of children.get(parent) ?? []) {
      visit(child);
      found.push(child);
    }
  };
  visit(pid);
  return found;
}

function killDescendants(pid) {
  for (const child of descendants(pid)) {
    try {
      process.kill(child, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

async function screenshot(page) {
  const path = join(artifactsDir, 'failure.png');
  try {
    await page.screenshot({ path, timeout: 10_000 });
    log(`Screenshot of the workbench: ${path}`);
  } catch (error) {
    log(`No screenshot (${error instanceof Error ? error.message : String(error)}).`);
  }
}

/** The workbench hands over its log files at exit: keep them with the other artifacts. */
function saveWorkbenchLogs(logs) {
  if (!Array.isArray(logs)) return;
  const dir = join(artifactsDir, 'workbench-logs');
  for (const entry of logs) {
    if (!entry || typeof entry.relativePath !== 'string' || typeof entry.contents !== 'string') continue;
    const path = resolve(dir, entry.relativePath);
    if (!path.startsWith(`${dir}/`)) continue;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, entry.contents);
  }
}

async function main() {
  if (resultFile) rmSync(resultFile, { force: true });
  // One run at a time per checkout: runs share out/integration-run (the VS Code benchmark takes
  // the same lock).
  cleanups.push(await lockRunDir(lockedRunDir, { waitingFor: 'another integration run', log }));
  if (!existsSync(testsIndex)) {
    throw new Error(`${testsIndex} does not exist; build the suite with \`node esbuild.mjs\` (or \`npm run build\`) first.`);
  }
  rmSync(artifactsDir, { recursive: true, force: true });
  mkdirSync(artifactsDir, { recursive: true });
  // Tests may write files: they get a fresh copy of the fixture folder every run.
  const workspace = join(artifactsDir, 'workspace');
  cpSync(fixtureWorkspace, workspace, { recursive: true });

  const desktop = Boolean(process.env.INSIGHT_PROOF_VSCODE_EXECUTABLE) || process.env.INSIGHT_PROOF_USE_TEST_ELECTRON === '1';
  const started = Date.now();
  const untrustedWindow = untrusted ? await untrustedSetup(workspace) : undefined;
  if (untrustedWindow) log(`Untrusted pass: workspace trust on, ${workspace} not trusted; user settings name ${untrustedWindow.user.baseUrl}, the workspace's ${untrustedWindow.repository.baseUrl}.`);
  const { exitCode, result } = desktop ? await runInDesktopVsCode(workspace, untrustedWindow) : await runInCodeServer(workspace, untrustedWindow);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);

  if (!result) {
    throw new Error(`The suite reported no test counts (test host exit code ${exitCode}); see the output above and ${artifactsDir}.`);
  }
  const counts = { passed: result.passed, failed: result.failed, skipped: result.skipped, vscodeVersion: result.vscodeVersion };
  if (resultFile) {
    mkdirSync(dirname(resultFile), { recursive: true });
    writeFileSync(resultFile, `${JSON.stringify(counts, null, 2)}\n`);
  }
  log(`VS Code ${counts.vscodeVersion}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped in ${seconds} s.`);
  if (counts.failed > 0) return fail(`${counts.failed} integration test(s) failed; the Mocha output above shows which, and ${artifactsDir} holds logs and a screenshot.`);
  if (counts.passed === 0) return fail(`No integration test ran; check that test/integration/${untrusted ? 'untrusted/' : ''}*.test.ts exist and were built with \`node esbuild.mjs\`.`);
  if (exitCode !== 0) return fail(`The test host exited with code ${exitCode} although no test failed; see ${artifactsDir}.`);
  return 0;
}

function fail(message) {
  log(message);
  return 1;
}

let exitCode;
try {
  exitCode = await main();
} catch (error) {
  if (!interrupted) log(error instanceof Error ? error.message : String(error));
  exitCode = 1;
}
await cleanup();
process.exit(exitCode);
