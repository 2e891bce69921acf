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
//
// Artifacts (logs, the workspace copy the tests wrote to, a screenshot on failure) stay in
// out/integration-run/ until the next run.
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { launchChromium } from '../../scripts/chromium.mjs';
import { cleanupStack } from '../../scripts/cleanups.mjs';
import { lockRunDir } from '../../scripts/runLock.mjs';
import { VSCODE_VERSION, ensureCodeServer, startCodeServer, workbenchUrl, writeQuietSettings } from '../../scripts/code-server.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const artifactsDir = join(repoRoot, 'out', 'integration-run');
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

async function runInCodeServer(workspace) {
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
      env: { INSIGHT_PROOF_RESULT_FILE: suiteResultFile, INSIGHT_PROOF_OUTPUT_MARK: OUTPUT_MARK },
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

    const serverDied = server.exited.then((code) => {
      throw new Error(`code-server stopped (${code}) during the run; see ${server.logFile}.`);
    });
    const pageCrashed = new Promise((_, reject) => {
      page.once('crash', () => reject(new Error(`The workbench page crashed in Chromium; see ${join(artifactsDir, 'browser-console.log')}.`)));
    });
    const exitCode = await Promise.race([exited, serverDied, pageCrashed, timeout.promise]);
    log(`The test host finished with exit code ${exitCode} after ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    const result = readSuiteResult(outputLines);
    if (exitCode !== 0 || !result || result.failed > 0) await screenshot(page);
    return { exitCode, result };
  } catch (error) {
    if (page && !interrupted) await screenshot(page);
    throw error;
  }
}

async function runInDesktopVsCode(workspace) {
  const { runTests } = await import('@vscode/test-electron');
  const userDataDir = join(artifactsDir, 'user-data');
  writeQuietSettings(userDataDir);
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
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
      '--disable-gpu',
    ],
    extensionTestsEnv: { INSIGHT_PROOF_RESULT_FILE: suiteResultFile },
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
  cleanups.push(await lockRunDir(artifactsDir, { waitingFor: 'another integration run', log }));
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
  const { exitCode, result } = desktop ? await runInDesktopVsCode(workspace) : await runInCodeServer(workspace);
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
  if (counts.passed === 0) return fail('No integration test ran; check that test/integration/*.test.ts exist and were built with `node esbuild.mjs`.');
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
