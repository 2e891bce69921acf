// Scale: theorem detection and CodeLenses on a large markdown file, and a large JSONL export, each
// at two sizes so the growth shows. The CodeLens figure runs the extension's real provider
// (src/vscode/codeLens.ts with its theorem index and hierarchy store) in Node, with the handful of
// `vscode` classes it constructs replaced by plain data holders (vscodeShim.ts): it measures the
// extension's own work for one request, not VS Code's rendering.
import { rmSync, mkdtempSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as vscode from 'vscode';
import { exportHierarchies } from '../src/core/export/index.ts';
import { writeExportFile } from '../src/core/exportFile.ts';
import { createHierarchy, type Hierarchy } from '../src/core/hierarchy.ts';
import { detectTheorems } from '../src/core/markdown.ts';
import { runPipeline } from '../src/core/pipeline.ts';
import { FakeModelClient } from '../test/unit/fakeModelClient.ts';
import { deepTheoremRecords, proofAnswer, SKETCH_ANSWER, TECHNIQUES_ANSWER } from './fixtures.ts';
import { median, round, type CaseResult } from './stats.ts';

type Log = (message: string) => void;

// ---------------------------------------------------------------------------------------------
// A markdown file of a given size with a given number of theorems

const KINDS = ['Theorem', 'Lemma', 'Proposition', 'Claim', 'Corollary', 'Problem'];

/** One section of lecture notes: a labelled statement, then prose, display math, a list and code. */
function section(index: number, bytes: number): string {
  const kind = KINDS[index % KINDS.length]!;
  const head = [
    `## Section ${index + 1}`,
    '',
    `**${kind} ${index + 1}.** For every integer $n \\ge ${(index % 7) + 1}$, the number $n^5 - n$ is divisible by $30$, and`,
    '$$\\sum_{k=1}^{n} k^3 = \\left(\\frac{n(n+1)}{2}\\right)^2.$$',
    '',
    `*Proof.* By induction on $n$; the case $n = ${(index % 7) + 1}$ is a direct computation.`,
    '',
    '- the base case uses the factorisation $(n-1)n(n+1)(n^2+1)$,',
    `- the inductive step adds $(n+1)^3$ to both sides (see Lemma ${(index % 50) + 1}).`,
    '',
    '```python',
    `assert sum(k**3 for k in range(1, ${index + 2})) == (${index + 1} * ${index + 2} // 2) ** 2`,
    '```',
    '',
  ].join('\n');
  const paragraphs: string[] = [];
  let length = head.length;
  for (let paragraph = 0; length < bytes - 2; paragraph += 1) {
    const text = `Remark ${index + 1}.${paragraph + 1}: the argument above also gives $a_${paragraph} + b_${paragraph} \\equiv c_${paragraph} \\pmod{5}$, and the same pigeonhole step applies to every residue class; we return to it in the exercises at the end of the chapter.`;
    paragraphs.push(text);
    length += text.length + 2;
  }
  return `${head}${paragraphs.join('\n\n')}\n\n`.slice(0, Math.max(head.length, bytes));
}

export function lectureNotes(theorems: number, megabytes: number): string {
  const perSection = Math.floor((megabytes * 1024 * 1024) / theorems);
  return Array.from({ length: theorems }, (_, index) => section(index, perSection)).join('');
}

// ---------------------------------------------------------------------------------------------
// Theorem detection + CodeLenses

let shimRegistered = false;

function useVscodeShim(): void {
  if (shimRegistered) return;
  shimRegistered = true;
  const shim = new URL('./vscodeShim.ts', import.meta.url).href;
  registerHooks({
    resolve: (specifier, context, nextResolve) => (specifier === 'vscode' ? { url: shim, shortCircuit: true } : nextResolve(specifier, context)),
  });
}

interface CodeLensFigures {
  theorems: number;
  bytes: number;
  codeLensMs: number;
  detectMs: number;
  lenses: number;
  samplesMs: number[];
}

async function measureCodeLenses(theorems: number, megabytes: number, reps: number): Promise<CodeLensFigures> {
  useVscodeShim();
  const { ProofCodeLensProvider } = await import('../src/vscode/codeLens.ts');
  const { HierarchyStore } = await import('../src/vscode/hierarchyStore.ts');
  const { TheoremIndex } = await import('../src/vscode/theoremIndex.ts');
  const { loadCore } = await import('../src/vscode/core.ts');
  const { EventEmitter } = await import('./vscodeShim.ts');

  const base = lectureNotes(theorems, megabytes);
  const uri = 'file:///bench/lecture-notes.md';
  const store = new HierarchyStore();
  // Every tenth theorem has a hierarchy, so the lenses show statuses too.
  const statements = detectTheorems(base);
  store.putMany(
    statements
      .filter((_, index) => index % 10 === 0)
      .map((theorem) => createHierarchy({ problem: theorem.statement, source: { uri, startLine: theorem.startLine, endLine: theorem.endLine } })),
  );
  const runsChanged = new EventEmitter<unknown>();
  const provider = new ProofCodeLensProvider(store, new TheoremIndex(loadCore), () => false, runsChanged.event as unknown as vscode.Event<unknown>);

  // Every request sees a new version of the document (an edit at its end), so nothing is cached.
  let version = 0;
  const request = async (): Promise<{ ms: number; lenses: number }> => {
    version += 1;
    const text = `${base}<!-- edit ${version} -->\n`;
    const document = { uri: { toString: () => uri }, version, getText: () => text } as unknown as vscode.TextDocument;
    const started = performance.now();
    const lenses = await provider.provideCodeLenses(document);
    return { ms: performance.now() - started, lenses: lenses.length };
  };
  await request();
  await request();
  const samples: number[] = [];
  let lenses = 0;
  for (let rep = 0; rep < reps; rep += 1) {
    const sample = await request();
    samples.push(sample.ms);
    lenses = sample.lenses;
  }
  const detect: number[] = [];
  for (let rep = 0; rep < reps; rep += 1) {
    const text = `${base}<!-- detect ${rep} -->\n`;
    const started = performance.now();
    detectTheorems(text);
    detect.push(performance.now() - started);
  }
  provider.dispose();
  store.dispose();
  return { theorems, bytes: base.length, codeLensMs: median(samples), detectMs: median(detect), lenses, samplesMs: samples.map((sample) => round(sample)) };
}

export async function benchCodeLenses(log: Log, reps = 9): Promise<CaseResult[]> {
  const half = await measureCodeLenses(1000, 2.5, reps);
  const full = await measureCodeLenses(2000, 5, reps);
  const growth = { sizeFactor: round(full.bytes / half.bytes), timeFactor: round(full.codeLensMs / half.codeLensMs) };
  log(`CodeLens: ${round(half.codeLensMs)} ms at ${half.theorems} theorems, ${round(full.codeLensMs)} ms at ${full.theorems} (×${growth.timeFactor} for ×${growth.sizeFactor})`);
  const what =
    'One CodeLens request on a new version of the document: the real ProofCodeLensProvider parses the theorems and proof blocks (TheoremIndex, markdown-it block parse of the windows around candidate lines) and builds the lenses, with every tenth theorem holding a hierarchy; median after two warm-up requests. detectMs is detectTheorems alone.';
  const entry = (figures: CodeLensFigures, budgeted: boolean): CaseResult => ({
    id: `codelens-${figures.theorems}`,
    title: `Theorem detection + CodeLenses, ${figures.theorems.toLocaleString('en-US')} theorems in ${round(figures.bytes / 1024 / 1024, 1)} MB`,
    value: round(figures.codeLensMs),
    unit: 'ms',
    ...(budgeted ? { budget: { max: 50, text: '≤ 50 ms' } } : {}),
    details: { bytes: figures.bytes, lenses: figures.lenses, detectMs: round(figures.detectMs), samplesMs: figures.samplesMs, ...(budgeted ? { growth } : {}), what },
  });
  return [entry(half, false), entry(full, true)];
}

// ---------------------------------------------------------------------------------------------
// JSONL export

/** `count` hierarchies as the pipeline writes them (raw answers, parsed layers, models), one per DeepTheorem statement in turn. */
async function generatedHierarchies(count: number): Promise<Hierarchy[]> {
  const client = new FakeModelClient({}, (stage) => (stage === 'techniques' ? TECHNIQUES_ANSWER : stage === 'sketch' ? SKETCH_ANSWER : proofAnswer(2400)));
  const records = deepTheoremRecords();
  const first = records[0]!;
  const template = await runPipeline(createHierarchy({ problem: first.prompt, input: first }), client, { preset: 'deepinsight', model: 'insight-bench-model' }, { deltaIntervalMs: 1000 });
  return Array.from({ length: count }, (_, index) => {
    const record = records[index % records.length]!;
    return { ...structuredClone(template), id: `ip-bench${String(index).padStart(7, '0')}`, problem: record.prompt, input: { ...record, problem_name: `${record.problem_name}#${index}` }, inputKey: `k-bench-${index}` };
  });
}

interface ExportFigures {
  hierarchies: number;
  bytes: number;
  totalMs: number;
  serializeMs: number;
  writeMs: number;
}

async function measureExport(count: number, reps: number): Promise<ExportFigures> {
  const hierarchies = await generatedHierarchies(count);
  const dir = mkdtempSync(join(tmpdir(), 'insight-proof-bench-export-'));
  try {
    const totals: number[] = [];
    const serialize: number[] = [];
    const write: number[] = [];
    let bytes = 0;
    for (let rep = 0; rep < reps + 1; rep += 1) {
      const started = performance.now();
      const text = exportHierarchies(hierarchies, 'jsonl');
      const serialized = performance.now();
      await writeExportFile(join(dir, `export-${rep}.jsonl`), text);
      const finished = performance.now();
      bytes = Buffer.byteLength(text);
      rmSync(join(dir, `export-${rep}.jsonl`));
      if (rep === 0) continue; // warm-up
      totals.push(finished - started);
      serialize.push(serialized - started);
      write.push(finished - serialized);
    }
    return { hierarchies: count, bytes, totalMs: median(totals), serializeMs: median(serialize), writeMs: median(write) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchExport(log: Log, reps = 5): Promise<CaseResult[]> {
  const half = await measureExport(5000, reps);
  const full = await measureExport(10_000, reps);
  const growth = { sizeFactor: round(full.hierarchies / half.hierarchies), timeFactor: round(full.totalMs / half.totalMs) };
  log(`export: ${round(half.totalMs)} ms for ${half.hierarchies} hierarchies, ${round(full.totalMs)} ms for ${full.hierarchies} (×${growth.timeFactor} for ×${growth.sizeFactor})`);
  const what = 'exportHierarchies(…, "jsonl") (one hierarchy per line with its provenance) and writing the file (no-overwrite open), for hierarchies as the pipeline produces them; median after one warm-up.';
  const entry = (figures: ExportFigures, budgeted: boolean): CaseResult => ({
    id: `export-jsonl-${figures.hierarchies}`,
    title: `Export of ${figures.hierarchies.toLocaleString('en-US')} hierarchies to JSONL (${round(figures.bytes / 1024 / 1024)} MB)`,
    value: round(figures.totalMs),
    unit: 'ms',
    ...(budgeted ? { budget: { max: 1000, text: '≤ 1 s' } } : {}),
    details: { bytes: figures.bytes, serializeMs: round(figures.serializeMs), writeMs: round(figures.writeMs), ...(budgeted ? { growth } : {}), what },
  });
  return [entry(half, false), entry(full, true)];
}
