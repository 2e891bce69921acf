// The integration suite's entry point: VS Code's extension host loads this module (built to
// out/test/integration/index.js) as `extensionTestsPath` and awaits `run()`. The same module serves
// @vscode/test-electron on a desktop VS Code and code-server's extension host in a browser.
//
// It prints Mocha's spec reporter lines through console.log (the host forwards them to the test
// driver), then one machine-readable result line, and writes the counts to the file named by
// INSIGHT_PROOF_RESULT_FILE when the host passes that variable on.
import { readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { format, stripVTControlCharacters } from 'node:util';
import type MochaClass from 'mocha';
import * as vscode from 'vscode';

/** Prefix of the last line the suite prints; the harness reads the JSON after it. */
export const RESULT_LINE_PREFIX = 'INSIGHT_PROOF_MOCHA_RESULT ';

export interface SuiteResult {
  passed: number;
  failed: number;
  skipped: number;
  vscodeVersion: string;
}

/**
 * Mocha 12 is an ES module package whose CommonJS build is its default export; loading it at run
 * time from the repository's node_modules keeps one copy of Mocha for both test hosts.
 */
function loadMocha(): typeof MochaClass {
  const loaded = createRequire(__filename)('mocha') as typeof MochaClass | { default: typeof MochaClass };
  return typeof loaded === 'function' ? loaded : loaded.default;
}

type ConsoleMethod = 'log' | 'info' | 'warn' | 'error';

/**
 * code-server's workbench passes the extension host's console output to the test driver mixed with
 * its own log lines. While the suite runs, every console line of this extension host starts with
 * `mark` (given by the harness in INSIGHT_PROOF_OUTPUT_MARK) so the driver can show only those.
 * Arguments are formatted here: the workbench drops messages whose first argument is not a string.
 * VS Code's extension host makes console methods ignore assignment, so they are redefined as
 * properties and the original definitions put back afterwards. Returns the function that does that.
 */
function markConsoleOutput(mark: string): () => void {
  const methods: ConsoleMethod[] = ['log', 'info', 'warn', 'error'];
  const saved = methods.map((method) => ({ method, descriptor: Object.getOwnPropertyDescriptor(console, method) }));
  for (const { method, descriptor } of saved) {
    if (descriptor && !descriptor.configurable) continue;
    const forward = console[method];
    const marked = (...args: unknown[]) => forward.call(console, `${mark}${format(...args)}`);
    Object.defineProperty(console, method, { configurable: true, enumerable: descriptor?.enumerable ?? true, get: () => marked, set: () => undefined });
  }
  return () => {
    for (const { method, descriptor } of saved) {
      if (descriptor?.configurable) Object.defineProperty(console, method, descriptor);
    }
  };
}

/**
 * Promise rejections nobody handled while the suite ran, anywhere in this extension host (the
 * extension, the tests, the scripted server): each one fails the run.
 */
function watchUnhandledRejections(): { stop(): string[] } {
  const pending = new Map<Promise<unknown>, string>();
  const onUnhandled = (reason: unknown, promise: Promise<unknown>) => pending.set(promise, reason instanceof Error ? (reason.stack ?? reason.message) : format(reason));
  const onHandledLater = (promise: Promise<unknown>) => pending.delete(promise);
  process.on('unhandledRejection', onUnhandled);
  process.on('rejectionHandled', onHandledLater);
  return {
    stop() {
      process.off('unhandledRejection', onUnhandled);
      process.off('rejectionHandled', onHandledLater);
      return [...pending.values()];
    },
  };
}

/**
 * The folder whose *.test.js files this run loads. The harness runs two passes: the main suite
 * (this folder) in a trusted window, and with INSIGHT_PROOF_INTEGRATION_MODE=untrusted the tests of
 * the untrusted/ subfolder, which need a window opened with workspace trust on and the folder not
 * trusted (see test/harness/run-integration.mjs).
 */
function testDirectory(): string {
  return process.env.INSIGHT_PROOF_INTEGRATION_MODE === 'untrusted' ? join(__dirname, 'untrusted') : __dirname;
}

export function run(): Promise<void> {
  const Mocha = loadMocha();
  const rejections = watchUnhandledRejections();
  const reporterBase = Mocha.reporters.Base as unknown as { consoleLog: (...args: unknown[]) => void; symbols: Record<string, string> };
  // Reporters print through Base.consoleLog, captured when Mocha first loads: send it through
  // whatever console.log is at the time of printing.
  reporterBase.consoleLog = (...args) => console.log(...args);
  // Mocha's ✔/✖ come pre-coloured whenever the environment looks like a terminal or CI, whatever
  // the `color` option says; the log lines stay plain text.
  for (const [name, symbol] of Object.entries(reporterBase.symbols)) reporterBase.symbols[name] = stripVTControlCharacters(symbol);
  const mark = process.env.INSIGHT_PROOF_OUTPUT_MARK;
  const restoreConsole = mark ? markConsoleOutput(mark) : () => undefined;
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    color: false,
    // A hung test fails with its name after 20 s instead of holding the whole run until the
    // harness's overall timeout.
    timeout: 20_000,
    slow: 2_000,
  });
  const testDir = testDirectory();
  const testFiles = readdirSync(testDir)
    .filter((name) => name.endsWith('.test.js'))
    .sort();
  for (const file of testFiles) mocha.addFile(join(testDir, file));

  return new Promise<void>((resolveRun, reject) => {
    const runner = mocha.run(() => {
      const stats = runner.stats;
      const unhandled = rejections.stop();
      for (const reason of unhandled) console.log(`  ✖ Unhandled promise rejection in the extension host: ${reason}`);
      const result: SuiteResult = {
        passed: stats?.passes ?? 0,
        failed: (stats?.failures ?? 0) + unhandled.length,
        skipped: stats?.pending ?? 0,
        vscodeVersion: vscode.version,
      };
      console.log(`${RESULT_LINE_PREFIX}${JSON.stringify(result)}`);
      restoreConsole();
      const resultFile = process.env.INSIGHT_PROOF_RESULT_FILE;
      if (resultFile) writeFileSync(resultFile, `${JSON.stringify(result, null, 2)}\n`);

      if (result.failed > 0) reject(new Error(`${result.failed} integration test(s) failed; the Mocha output above shows which and why.`));
      else if (result.passed === 0) reject(new Error(`No integration tests ran; build them with \`node esbuild.mjs\` (found ${testFiles.length} test file(s) in ${testDir}).`));
      else resolveRun();
    });
  });
}
