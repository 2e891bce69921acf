// The cases that need a real VS Code: activation against an empty extension, loading the bundle,
// and the Proof Hierarchy view's getChildren with hundreds of hierarchies. VS Code 1.139.1 runs as
// code-server (scripts/code-server.mjs) driven by headless Chromium, as in the integration suite.
//
// Both extensions are installed the way a .vsix is installed: the real one is the `extension/`
// folder of the .vsix the size case built, the empty one has the same package shape; each is
// copied into code-server's extensions folder as `publisher.name-version`. Every window is a fresh
// extension host that runs bench/vscodeHost.ts as its extension tests module (from a tiny
// development extension that contributes nothing), which activates both the same way.
import { appendFileSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { format } from 'node:util';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import type { Browser } from 'playwright-core';
import { createHierarchy, type Hierarchy } from '../src/core/hierarchy.ts';
import { hierarchiesFromDocument, renderProofBlock } from '../src/core/insertBlock.ts';
import { acceptLayer } from '../src/core/layers.ts';
import { runPipeline } from '../src/core/pipeline.ts';
import { lockRunDir } from '../scripts/runLock.mjs';
import { FakeModelClient } from '../test/unit/fakeModelClient.ts';
import { proofAnswer, SKETCH_ANSWER, TECHNIQUES_ANSWER } from './fixtures.ts';
import { median, round, type CaseResult } from './stats.ts';
import type { HostConfig, HostResult } from './vscodeHost.ts';

type Log = (message: string) => void;

/** What this file uses of scripts/code-server.mjs (plain JavaScript, shared with the integration harness). */
interface CodeServerModule {
  ensureCodeServer(options: { log: Log }): Promise<unknown>;
  startCodeServer(options: { workspaceFolder: string; runDir: string; log: Log; env: Record<string, string> }): Promise<{ origin: string; stop(): Promise<void> }>;
}

/** What this file uses of scripts/chromium.mjs (plain JavaScript, shared with the integration harness). */
interface ChromiumModule {
  launchChromium(options: { runDir: string; cleanups: { push(cleanup: () => Promise<void>): unknown } }): Promise<{ browser: Browser }>;
}

const EMPTY_ID = 'insight-proof-bench.empty-extension';
const HOST_ID = 'insight-proof-bench.benchmark-host';
const REQUIRE_COPIES = 15;
const TREE_BATCH = 250;
const TREE_DOCUMENTS = 2;
const WINDOW_TIMEOUT_MS = 120_000;

/** The extension tests module lives in a development extension of its own that contributes nothing. */
function writeHostExtension(dir: string, realPackage: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'benchmark-host', displayName: 'Insight Proof benchmark host', publisher: 'insight-proof-bench', version: '0.0.1', license: 'MIT', engines: realPackage.engines, main: './activate.js', activationEvents: [] }, null, 2)}\n`,
  );
  writeFileSync(join(dir, 'activate.js'), '"use strict";\nexports.activate = function activate() { return {}; };\n');
}

/** An extension with the real one's package shape (engines, main, activation events) whose activate() does nothing. */
function writeEmptyExtension(dir: string, realPackage: Record<string, unknown>): void {
  mkdirSync(join(dir, 'dist'), { recursive: true });
  const [publisher, name] = EMPTY_ID.split('.');
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name, displayName: 'Empty extension (benchmark baseline)', publisher, version: '0.0.1', license: 'MIT', engines: realPackage.engines, main: './dist/extension.js', activationEvents: realPackage.activationEvents }, null, 2)}\n`,
  );
  writeFileSync(join(dir, 'dist', 'extension.js'), '"use strict";\nexports.activate = function activate() { return {}; };\nexports.deactivate = function deactivate() {};\n');
}

/** Markdown files of theorems each followed by its inserted proof block, TREE_BATCH per file. */
async function writeTreeDocuments(workspace: string): Promise<{ path: string; expectedTotal: number }[]> {
  const client = new FakeModelClient({}, (stage) => (stage === 'techniques' ? TECHNIQUES_ANSWER : stage === 'sketch' ? SKETCH_ANSWER : proofAnswer(1500)));
  let template = await runPipeline(createHierarchy({ problem: 'x' }), client, { preset: 'deepinsight', model: 'insight-bench-model' }, { deltaIntervalMs: 1000 });
  for (const stage of ['techniques', 'sketch', 'proof'] as const) template = acceptLayer(template, stage);
  const documents: { path: string; expectedTotal: number }[] = [];
  for (let file = 0; file < TREE_DOCUMENTS; file += 1) {
    const parts: string[] = [`# Problem set ${file + 1}`, ''];
    for (let index = 0; index < TREE_BATCH; index += 1) {
      const number = file * TREE_BATCH + index + 1;
      const problem = `**Theorem ${number}.** For every integer $n \\ge ${number}$, the number $n^5 - n$ is divisible by $30$.`;
      const hierarchy: Hierarchy = { ...template, id: `ip-bench${String(number).padStart(6, '0')}`, problem };
      parts.push(problem, '', renderProofBlock(hierarchy));
    }
    const text = parts.join('\n');
    const restored = hierarchiesFromDocument(text, 'file:///check.md');
    if (restored.length !== TREE_BATCH) throw new Error(`The tree document would restore ${restored.length} hierarchies, not ${TREE_BATCH}.`);
    const path = join(workspace, `problem-set-${file + 1}.md`);
    writeFileSync(path, text);
    documents.push({ path, expectedTotal: (file + 1) * TREE_BATCH });
  }
  return documents;
}

export interface VsCodeBench {
  results: CaseResult[];
  vscodeVersion: string;
}

export async function benchVsCode(repoRoot: string, extensionDir: string, runs: number, log: Log): Promise<VsCodeBench> {
  const runDir = join(repoRoot, 'out', 'bench-run', 'vscode');
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const realPackage = JSON.parse(readFileSync(join(extensionDir, 'package.json'), 'utf8')) as Record<string, unknown>;
  const realId = `${String(realPackage.publisher)}.${String(realPackage.name)}`;
  const extensionsDir = join(runDir, 'code-server', 'extensions');
  cpSync(extensionDir, join(extensionsDir, `${realId}-${String(realPackage.version)}`), { recursive: true });
  writeEmptyExtension(join(extensionsDir, `${EMPTY_ID}-0.0.1`), realPackage);
  const hostDir = join(runDir, 'benchmark-host');
  writeHostExtension(hostDir, realPackage);
  const hostIndex = join(hostDir, 'index.js');
  await esbuild.build({ entryPoints: [join(repoRoot, 'bench', 'vscodeHost.ts')], outfile: hostIndex, bundle: true, format: 'cjs', platform: 'node', target: 'node20', external: ['vscode'], logLevel: 'error' });
  const requireCopies = Array.from({ length: REQUIRE_COPIES }, (_, index) => {
    const copy = join(runDir, 'bundle-copies', `extension-${index}.js`);
    mkdirSync(dirname(copy), { recursive: true });
    copyFileSync(join(extensionDir, 'dist', 'extension.js'), copy);
    return copy;
  });
  const workspace = join(runDir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  const treeDocuments = await writeTreeDocuments(workspace);
  const configFile = join(runDir, 'config.json');

  const { ensureCodeServer, startCodeServer } = (await import(pathToFileURL(join(repoRoot, 'scripts', 'code-server.mjs')).href)) as CodeServerModule;
  const { launchChromium } = (await import(pathToFileURL(join(repoRoot, 'scripts', 'chromium.mjs')).href)) as ChromiumModule;
  await ensureCodeServer({ log });
  // One VS Code run at a time per checkout, shared with the integration harness: figures taken
  // while another VS Code runs tests would measure the contention.
  const release = await lockRunDir(join(repoRoot, 'out', 'integration-run'), { waitingFor: 'another VS Code run (integration tests or benchmark)', log });
  const cleanups: (() => Promise<void> | void)[] = [release];
  const hostResults: HostResult[] = [];
  try {
    const server = await startCodeServer({ workspaceFolder: workspace, runDir: join(runDir, 'code-server'), log, env: { INSIGHT_PROOF_BENCH_CONFIG: configFile } });
    cleanups.push(server.stop);
    const { browser } = await launchChromium({ runDir, cleanups });

    const { host } = new URL(server.origin);
    const remote = (path: string) => `vscode-remote://${host}${path}`;
    // The workbench reads the payload into a Map: one development extension only, the benchmark host.
    const payload = [
      ['extensionDevelopmentPath', remote(hostDir)],
      ['extensionTestsPath', remote(hostIndex)],
    ];
    const url = `${server.origin}/?folder=${encodeURIComponent(workspace).replaceAll('%2F', '/')}&payload=${encodeURIComponent(JSON.stringify(payload))}`;

    for (let run = 0; run < runs; run += 1) {
      const resultFile = join(runDir, `result-${run}.json`);
      const config: HostConfig = {
        run,
        // Alternating which extension activates first, so neither always pays for the host's first activation.
        order: run % 2 === 0 ? 'real-first' : 'empty-first',
        realId,
        emptyId: EMPTY_ID,
        warmUpId: HOST_ID,
        requireCopies,
        treeDocuments,
        treeRepetitions: 100,
        resultFile,
      };
      writeFileSync(configFile, JSON.stringify(config));
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      try {
        const exited = new Promise<number>((resolve) => {
          void page.exposeFunction('codeAutomationExit', (code: unknown) => resolve(Number(code)));
        });
        const windowLog = join(runDir, `window-${run}.log`);
        await page.exposeFunction('codeAutomationLog', (level: unknown, args: unknown) => {
          appendFileSync(windowLog, `[${String(level)}] ${format(...(Array.isArray(args) ? args : [args]))}\n`);
        });
        const started = Date.now();
        await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Benchmark window ${run} did not finish within ${WINDOW_TIMEOUT_MS / 1000} s; see ${windowLog}.`)), WINDOW_TIMEOUT_MS);
        });
        await Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
        if (!existsSync(resultFile)) throw new Error(`Benchmark window ${run} wrote no result; see ${windowLog} and ${join(runDir, 'code-server', 'code-server.log')}.`);
        const result = JSON.parse(readFileSync(resultFile, 'utf8')) as HostResult;
        if (result.error) throw new Error(`Benchmark window ${run} failed (its log: ${windowLog}): ${result.error}`);
        hostResults.push(result);
        log(`vscode: window ${run + 1}/${runs} (${config.order}): activate ${round(result.activateMs.real, 1)} ms real ${JSON.stringify(result.marks.real)}, ${round(result.activateMs.empty, 1)} ms empty ${JSON.stringify(result.marks.empty)}, warm-up ${round(result.activateMs.warmUp, 1)} ms after settling ${round(result.settle.waitedMs)} ms (round trip ${round(result.settle.roundTripMs, 2)} ms); bundle load ${round(median(result.requireMs), 2)} ms; getChildren ${result.tree.map((figures) => `${round(figures.medianMs, 3)} ms at ${figures.hierarchies}`).join(', ')} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      } finally {
        await page.close().catch(() => undefined);
      }
    }
  } finally {
    const stopping = performance.now();
    for (const cleanup of cleanups.reverse()) await cleanup();
    log(`vscode: stopped Chromium and code-server in ${((performance.now() - stopping) / 1000).toFixed(1)} s.`);
  }
  return { results: vscodeResults(hostResults), vscodeVersion: hostResults[0]?.vscodeVersion ?? 'unknown' };
}

function markMedian(runs: readonly HostResult[], which: 'real' | 'empty', mark: keyof HostResult['marks']['real']): number | undefined {
  const values = runs.map((run) => run.marks[which][mark]).filter((value): value is number => value !== undefined);
  return values.length ? median(values) : undefined;
}

function vscodeResults(runs: readonly HostResult[]): CaseResult[] {
  const real = runs.map((run) => run.activateMs.real);
  const empty = runs.map((run) => run.activateMs.empty);
  const overhead = median(real) - median(empty);
  const requireMs = runs.flatMap((run) => run.requireMs);
  const results: CaseResult[] = [
    {
      id: 'activation',
      title: 'Activation: median activate() of the extension minus that of an empty extension',
      value: round(overhead, 1),
      unit: 'ms',
      budget: { max: 20, text: '≤ 20 ms over the empty extension' },
      details: {
        realMedianMs: round(median(real), 1),
        emptyMedianMs: round(median(empty), 1),
        windows: runs.length,
        realSamplesMs: real.map((value) => round(value, 1)),
        emptySamplesMs: empty.map((value) => round(value, 1)),
        // VS Code's own marks (a millisecond clock): loading the main module, and the activate() call.
        realCodeLoadingMs: markMedian(runs, 'real', 'codeLoadingMs'),
        realActivateCallMs: markMedian(runs, 'real', 'activateMs'),
        emptyCodeLoadingMs: markMedian(runs, 'empty', 'codeLoadingMs'),
        emptyActivateCallMs: markMedian(runs, 'empty', 'activateMs'),
        settledAfterMs: round(median(runs.map((run) => run.settle.waitedMs))),
        what: 'In each of several fresh VS Code windows (code-server 4.139.1, extension host on Node 24), the benchmark module calls vscode.extensions.getExtension(id).activate() for the extension installed from the .vsix and for an empty extension with the same package shape installed the same way, alternating which goes first, and times each with performance.now(). Before that the window is left to settle (round trips to the workbench under 5 ms) and a third, empty extension is activated first, so neither pays for the extension host\'s first activation. Activation includes loading the extension\'s main bundle; the *CodeLoadingMs and *ActivateCallMs figures are VS Code\'s own marks for those two parts.',
      },
    },
    {
      id: 'bundle-load',
      title: 'Loading dist/extension.js (require of the shipped bundle)',
      value: round(median(requireMs), 2),
      unit: 'ms',
      details: { samples: requireMs.length, what: 'require() of fresh copies of the shipped dist/extension.js inside the extension host; the core (dist/core.js) is loaded only on first use and is not part of this.' },
    },
  ];
  const sizes = runs[0]?.tree.map((figures) => figures.hierarchies) ?? [];
  const treeFigures = sizes.map((size) => {
    const perRun = runs.map((run) => run.tree.find((figures) => figures.hierarchies === size)!);
    return { size, medianMs: median(perRun.map((figures) => figures.medianMs)), firstMs: median(perRun.map((figures) => figures.firstMs)), wholeViewMs: median(perRun.map((figures) => figures.wholeViewMs)) };
  });
  const smallest = treeFigures[0];
  for (const figures of treeFigures) {
    const budgeted = figures === treeFigures.at(-1);
    results.push({
      id: `tree-get-children-${figures.size}`,
      title: `Proof Hierarchy view: getChildren() with ${figures.size} hierarchies`,
      value: round(figures.medianMs, 3),
      unit: 'ms',
      ...(budgeted ? { budget: { max: 10, text: '≤ 10 ms' } } : {}),
      details: {
        firstCallMs: round(figures.firstMs, 3),
        wholeViewMs: round(figures.wholeViewMs, 2),
        ...(budgeted && smallest && smallest !== figures ? { growth: { sizeFactor: round(figures.size / smallest.size), timeFactor: round(figures.medianMs / smallest.medianMs), wholeViewTimeFactor: round(figures.wholeViewMs / smallest.wholeViewMs) } } : {}),
        what: 'The hierarchies are restored by the extension itself from markdown files holding inserted proof blocks (opened through the API, as after a reload); then the view\'s data provider, as the extension API exposes it (`tree`), is asked for its root rows: median of 100 calls per window, median over windows. wholeViewMs walks every row of the expanded view (getChildren and getTreeItem for hierarchies, layers, techniques and steps).',
      },
    });
  }
  return results;
}
