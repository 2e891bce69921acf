// Runs inside VS Code's extension host as the `extensionTestsPath` module of one benchmark window
// (bundled to CommonJS by bench/vscode.ts). It activates the real extension and an empty one the
// same way, times loading the extension bundle, fills the Proof Hierarchy view through the
// extension's own restore-from-document path and times the view's getChildren(), then writes what
// it measured to the file the driver named, and resolves: the window then reports its exit.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as vscode from 'vscode';
import type { InsightProofApi } from '../src/vscode/api.ts';

export interface HostConfig {
  run: number;
  order: 'real-first' | 'empty-first';
  realId: string;
  emptyId: string;
  /** Activated first, unmeasured against the budget. */
  warmUpId: string;
  /** Copies of the shipped dist/extension.js, each loaded once. */
  requireCopies: string[];
  /** Markdown files with insight-proof blocks, opened one after the other. */
  treeDocuments: { path: string; expectedTotal: number }[];
  treeRepetitions: number;
  resultFile: string;
}

export interface TreeFigures {
  hierarchies: number;
  firstMs: number;
  medianMs: number;
  /** getChildren and getTreeItem for every row of the fully expanded view: hierarchies, layers, techniques and steps. */
  wholeViewMs: number;
}

/** VS Code's own timeline of one activation, from the extension host's performance marks (millisecond clock). */
export interface ActivationMarks {
  /** Loading the main module (after the localized messages). */
  codeLoadingMs?: number;
  /** From the start of loading to the call of activate() (context, storage). */
  untilActivateCallMs?: number;
  /** From the call of activate() until its result was settled. */
  activateMs?: number;
}

export interface HostResult {
  run: number;
  order: HostConfig['order'];
  vscodeVersion: string;
  activateMs: { real: number; empty: number; warmUp: number };
  marks: { real: ActivationMarks; empty: ActivationMarks };
  /** How long the window took to settle before anything was measured, and the last round trip to it. */
  settle: { waitedMs: number; roundTripMs: number };
  requireMs: number[];
  tree: TreeFigures[];
  error?: string;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function timeChildren(tree: vscode.TreeDataProvider<unknown>, element?: unknown): Promise<{ ms: number; children: unknown[] }> {
  const started = performance.now();
  const children = (await tree.getChildren(element)) ?? [];
  return { ms: performance.now() - started, children };
}

async function measureTree(api: InsightProofApi, config: HostConfig): Promise<TreeFigures[]> {
  const tree = api.tree as vscode.TreeDataProvider<unknown>;
  const figures: TreeFigures[] = [];
  for (const { path, expectedTotal } of config.treeDocuments) {
    // Opening the document is what restores its hierarchies (DocumentRestorer), as on a reload.
    await vscode.workspace.openTextDocument(vscode.Uri.file(path));
    const deadline = Date.now() + 60_000;
    for (;;) {
      await api.whenIdle();
      if (api.getHierarchies().length >= expectedTotal) break;
      if (Date.now() > deadline) throw new Error(`Only ${api.getHierarchies().length} of ${expectedTotal} hierarchies were restored from ${path}.`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const first = await timeChildren(tree);
    if (first.children.length !== expectedTotal) throw new Error(`The view lists ${first.children.length} hierarchies, expected ${expectedTotal}.`);
    const samples: number[] = [];
    for (let rep = 0; rep < config.treeRepetitions; rep += 1) samples.push((await timeChildren(tree)).ms);
    const wholeView: number[] = [];
    for (let rep = 0; rep < 5; rep += 1) {
      const started = performance.now();
      const walk = async (element?: unknown): Promise<void> => {
        for (const child of (await tree.getChildren(element)) ?? []) {
          await tree.getTreeItem(child);
          await walk(child);
        }
      };
      await walk();
      wholeView.push(performance.now() - started);
    }
    figures.push({ hierarchies: expectedTotal, firstMs: first.ms, medianMs: median(samples), wholeViewMs: median(wholeView) });
  }
  return figures;
}

/**
 * Waits until the workbench answers the extension host promptly. The tests module starts while the
 * workbench is still loading, and activation waits for the workbench (the extension's stored state
 * comes from it): measured then, both extensions would mostly time the workbench's start-up.
 * Settled means three round trips in a row under 5 ms, after at least one second; at most 20 s.
 */
async function settle(): Promise<{ waitedMs: number; roundTripMs: number }> {
  const started = performance.now();
  let quick = 0;
  let roundTripMs = NaN;
  while (performance.now() - started < 20_000) {
    const sent = performance.now();
    // A built-in command the workbench runs itself: one message there and one back.
    await vscode.commands.executeCommand('setContext', 'insightProofBenchmark.probe', quick);
    roundTripMs = performance.now() - sent;
    quick = roundTripMs < 5 ? quick + 1 : 0;
    if (quick >= 3 && performance.now() - started >= 1000) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { waitedMs: performance.now() - started, roundTripMs };
}

/** VS Code's performance marks, kept in the extension host by its polyfill (vs/base/common/performance). */
function activationMarks(id: string): ActivationMarks {
  const store = (globalThis as { MonacoPerformanceMarks?: { getMarks(): { name: string; startTime: number }[] } }).MonacoPerformanceMarks;
  const marks = store?.getMarks() ?? [];
  const at = (name: string) => marks.findLast((mark) => mark.name === `code/extHost/${name}/${id}`)?.startTime;
  const willLoad = at('willLoadExtensionCode');
  const didLoad = at('didLoadExtensionCode');
  const willActivate = at('willActivateExtension');
  const didActivate = at('didActivateExtension');
  const span = (from: number | undefined, to: number | undefined) => (from !== undefined && to !== undefined ? to - from : undefined);
  const figures: ActivationMarks = {};
  const codeLoadingMs = span(willLoad, didLoad);
  const untilActivateCallMs = span(willLoad, willActivate);
  const activateMs = span(willActivate, didActivate);
  if (codeLoadingMs !== undefined) figures.codeLoadingMs = codeLoadingMs;
  if (untilActivateCallMs !== undefined) figures.untilActivateCallMs = untilActivateCallMs;
  if (activateMs !== undefined) figures.activateMs = activateMs;
  return figures;
}

export async function run(): Promise<void> {
  const configFile = process.env.INSIGHT_PROOF_BENCH_CONFIG;
  if (!configFile) throw new Error('INSIGHT_PROOF_BENCH_CONFIG is not set; run the benchmark with `npm run bench`.');
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as HostConfig;
  const result: HostResult = {
    run: config.run,
    order: config.order,
    vscodeVersion: vscode.version,
    activateMs: { real: NaN, empty: NaN, warmUp: NaN },
    marks: { real: {}, empty: {} },
    settle: { waitedMs: NaN, roundTripMs: NaN },
    requireMs: [],
    tree: [],
  };
  try {
    const real = vscode.extensions.getExtension<InsightProofApi>(config.realId);
    const empty = vscode.extensions.getExtension(config.emptyId);
    if (!real || !empty) {
      const loaded = vscode.extensions.all.map((extension) => extension.id).filter((id) => !id.startsWith('vscode.'));
      throw new Error(`Extension ${real ? config.emptyId : config.realId} is not installed in this window (installed: ${loaded.join(', ')}).`);
    }
    if (real.isActive || empty.isActive) throw new Error('An extension was active before the benchmark activated it; the workspace must not open markdown files.');
    result.settle = await settle();
    // The first activation in an extension host also pays for the host's own lazy set-up; this
    // extension (the benchmark host, which does nothing) takes that, so neither measured one does.
    const warmUp = vscode.extensions.getExtension(config.warmUpId);
    if (!warmUp) throw new Error(`The benchmark host extension ${config.warmUpId} is not loaded.`);
    const warmUpStarted = performance.now();
    await warmUp.activate();
    result.activateMs.warmUp = performance.now() - warmUpStarted;
    for (const extension of config.order === 'real-first' ? [real, empty] : [empty, real]) {
      const started = performance.now();
      await extension.activate();
      result.activateMs[extension === real ? 'real' : 'empty'] = performance.now() - started;
    }
    result.marks = { real: activationMarks(config.realId), empty: activationMarks(config.emptyId) };
    // Each copy is a separate module, so each load evaluates the bundle again.
    const load = createRequire(__filename);
    for (const copy of config.requireCopies) {
      const started = performance.now();
      load(copy);
      result.requireMs.push(performance.now() - started);
    }
    result.tree = await measureTree(real.exports, config);
  } catch (error) {
    result.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
  }
  writeFileSync(config.resultFile, `${JSON.stringify(result, null, 2)}\n`);
}
