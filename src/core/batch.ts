// Batch runs over a JSONL problem set: reading and normalising input records, resume keys, a
// bounded concurrency pool, and the batch loop itself. The CLI's `batch` command is a thin shell
// around this (files, progress lines, exit codes); the VS Code side and benchmarks reuse it.
//
// Input records: DeepTheorem evaluation records `{ "problem_name", "prompt", "answer" }` or
// `{ "id", "problem" }` lines (any other fields are kept). Each result hierarchy keeps the record
// verbatim under `input` and gets a resume key under `inputKey`.
//
// Resume key: `k-<first 16 hex digits of SHA-256 of the record's JSON>-<n>`, n counting earlier
// identical records in the same file (so duplicated lines each run once). It does not depend on the
// line number, so inserting, removing or reordering lines keeps finished work recognised; editing a
// record makes it a new problem.
//
// Output: one hierarchy per line, appended as each problem finishes. A problem that failed (or was
// interrupted) is written too, with its failed layer and partial text; `--resume` then continues
// it from that saved state (same hierarchy id), so an output file may hold several lines for one
// id: the last one is current (latestHierarchies()).
import type { ModelClient } from './client.ts';
import { createHierarchy, LAYER_STAGES, STAGE_TITLES, type Hierarchy, type LayerStage } from './hierarchy.ts';
import { runPipeline, type PipelineEvent, type PipelineSettings } from './pipeline.ts';

export interface JsonlLine {
  /** One-based line number in the file. */
  line: number;
  value: unknown;
}

export interface LineProblem {
  line: number;
  message: string;
}

/** Splits JSONL text into parsed values and per-line problems; blank lines are ignored. */
export function parseJsonl(text: string): { lines: JsonlLine[]; problems: LineProblem[] } {
  const lines: JsonlLine[] = [];
  const problems: LineProblem[] = [];
  text.split('\n').forEach((rawLine, index) => {
    const source = rawLine.replace(/\r$/, '').trim();
    if (!source) return;
    const line = index + 1;
    try {
      lines.push({ line, value: JSON.parse(source) as unknown });
    } catch (error) {
      problems.push({ line, message: `not valid JSON (${error instanceof Error ? error.message : String(error)})` });
    }
  });
  return { lines, problems };
}

/** A problem to prove, as read from one input line. */
export interface BatchProblem {
  line: number;
  /** A short name for progress lines: problem_name or id when present, else the start of the statement. */
  label: string;
  problem: string;
  /** The input record exactly as read. */
  input: unknown;
  /** The resume key (see the top of this file). */
  key: string;
}

/** The problem text and label of an input record, or why it is not one. */
export function normalizeProblemRecord(value: unknown): { problem: string; label: string } | { error: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: 'expected a JSON object such as {"problem_name": …, "prompt": …, "answer": …} or {"id": …, "problem": …}' };
  }
  const record = value as Record<string, unknown>;
  const text = typeof record.problem === 'string' ? record.problem : typeof record.prompt === 'string' ? record.prompt : undefined;
  if (text === undefined) {
    return { error: 'has no "problem" or "prompt" text; expected {"problem_name", "prompt", "answer"} (DeepTheorem) or {"id", "problem"}' };
  }
  if (!text.trim()) return { error: 'has an empty problem statement' };
  const name = [record.problem_name, record.id, record.name].find((field) => typeof field === 'string' || typeof field === 'number');
  const label = name !== undefined ? String(name) : shorten(text);
  return { problem: text.trim(), label };
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 48 ? `${flat.slice(0, 47)}…` : flat;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The resume key of a record that is the `occurrence`-th (from 0) identical record of its file. */
export async function inputKey(record: unknown, occurrence = 0): Promise<string> {
  return `k-${(await sha256Hex(JSON.stringify(record))).slice(0, 16)}-${occurrence}`;
}

/** Reads a JSONL problem set: the problems, and the lines that are not problems (with why). */
export async function readProblems(text: string): Promise<{ problems: BatchProblem[]; problemLines: LineProblem[] }> {
  const { lines, problems: problemLines } = parseJsonl(text);
  const problems: BatchProblem[] = [];
  const seen = new Map<string, number>();
  for (const { line, value } of lines) {
    const normalized = normalizeProblemRecord(value);
    if ('error' in normalized) {
      problemLines.push({ line, message: normalized.error });
      continue;
    }
    const canonical = JSON.stringify(value);
    const occurrence = seen.get(canonical) ?? 0;
    seen.set(canonical, occurrence + 1);
    problems.push({ line, label: normalized.label, problem: normalized.problem, input: value, key: await inputKey(value, occurrence) });
  }
  problemLines.sort((a, b) => a.line - b.line);
  return { problems, problemLines };
}

/** True when every given stage's layer is a draft or accepted. */
export function isComplete(hierarchy: Hierarchy, stages: readonly LayerStage[] = LAYER_STAGES): boolean {
  return stages.every((stage) => {
    const status = hierarchy.layers[stage]?.status;
    return status === 'draft' || status === 'accepted';
  });
}

/** The last line for each hierarchy id (later lines are newer states of the same hierarchy), in first-seen order. */
export function latestHierarchies(hierarchies: readonly Hierarchy[]): Hierarchy[] {
  const latest = new Map<string, Hierarchy>();
  for (const hierarchy of hierarchies) {
    latest.delete(hierarchy.id);
    latest.set(hierarchy.id, hierarchy);
  }
  const order = [...new Set(hierarchies.map((hierarchy) => hierarchy.id))];
  return order.map((id) => latest.get(id)!);
}

/** What an existing output file says about earlier runs: the latest saved state per resume key. */
export interface ResumeState {
  byKey: Map<string, Hierarchy>;
  /** Lines that are not hierarchies (e.g. one cut short when a run was killed); their problems run again. */
  problemLines: LineProblem[];
}

/** Reads a batch output file for --resume. Hierarchies without an inputKey (not from a batch) are ignored. */
export function readResumeState(text: string): ResumeState {
  const { lines, problems: problemLines } = parseJsonl(text);
  const byKey = new Map<string, Hierarchy>();
  for (const { line, value } of lines) {
    const record = value as Partial<Hierarchy> & { inputKey?: unknown };
    if (typeof record !== 'object' || record === null || typeof record.inputKey !== 'string' || typeof record.layers !== 'object' || typeof record.id !== 'string') {
      problemLines.push({ line, message: 'not a hierarchy written by a batch run' });
      continue;
    }
    byKey.set(record.inputKey, value as Hierarchy);
  }
  problemLines.sort((a, b) => a.line - b.line);
  return { byKey, problemLines };
}

/**
 * Runs `worker` over the items with at most `concurrency` running at once, in input order. When the
 * signal aborts, no new item starts; running ones finish (the worker sees the same signal).
 * Rejects with the first worker error, after every started worker has settled.
 */
export async function runPool<T>(items: readonly T[], concurrency: number, worker: (item: T, index: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  const width = Math.max(1, Math.min(Math.floor(concurrency) || 1, items.length));
  let next = 0;
  const lanes = Array.from({ length: width }, async () => {
    while (next < items.length && !signal?.aborted) {
      const index = next;
      next += 1;
      await worker(items[index] as T, index);
    }
  });
  const results = await Promise.allSettled(lanes);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
}

export type BatchOutcome = 'done' | 'failed' | 'interrupted' | 'skipped';

export interface BatchProgress {
  outcome: BatchOutcome;
  problem: BatchProblem;
  /** The hierarchy written (absent for skipped problems). */
  hierarchy?: Hierarchy;
  /** For failed and interrupted problems: the stage and its error sentence. */
  failure?: { stage: LayerStage; error: string };
  counts: BatchCounts;
}

export interface BatchCounts {
  total: number;
  done: number;
  failed: number;
  interrupted: number;
  skipped: number;
}

export interface BatchOptions {
  settings: PipelineSettings;
  /** Stages to run for each problem; default all three. */
  stages?: LayerStage[];
  concurrency: number;
  signal?: AbortSignal;
  /** Earlier results (from readResumeState): finished problems are skipped, unfinished ones continued. */
  resume?: ResumeState;
  /** Persists one result; awaited before the problem counts as finished. */
  write(hierarchy: Hierarchy): Promise<void>;
  onProgress?(progress: BatchProgress): void;
  /** Passed to the pipeline for each problem (live progress). */
  onStage?(problem: BatchProblem, event: PipelineEvent): void;
}

export interface BatchSummary extends BatchCounts {
  failures: { problem: BatchProblem; stage: LayerStage; error: string; interrupted: boolean }[];
}

/** The first requested layer that is not done, with its error (failed or cancelled). */
function firstFailure(hierarchy: Hierarchy, stages: readonly LayerStage[]): { stage: LayerStage; error: string } | undefined {
  for (const stage of stages) {
    const layer = hierarchy.layers[stage];
    if (layer.status !== 'draft' && layer.status !== 'accepted') {
      return { stage, error: layer.error ?? `The ${STAGE_TITLES[stage]} ${stage === 'techniques' ? 'were' : 'was'} not generated.` };
    }
  }
  return undefined;
}

/**
 * Proves every problem with bounded concurrency, writing each result as soon as it is finished.
 * A problem whose generation fails is written with its failed layer and the batch goes on. When the
 * signal aborts, no new problem starts and running ones are cancelled; their partial hierarchies
 * are written (their layer failed with the cancellation sentence), so --resume continues them.
 */
export async function runBatch(problems: readonly BatchProblem[], client: ModelClient, options: BatchOptions): Promise<BatchSummary> {
  const stages = LAYER_STAGES.filter((stage) => (options.stages ?? LAYER_STAGES).includes(stage));
  const summary: BatchSummary = { total: problems.length, done: 0, failed: 0, interrupted: 0, skipped: 0, failures: [] };
  const counts = (): BatchCounts => ({ total: summary.total, done: summary.done, failed: summary.failed, interrupted: summary.interrupted, skipped: summary.skipped });

  const pending: BatchProblem[] = [];
  for (const problem of problems) {
    const earlier = options.resume?.byKey.get(problem.key);
    if (earlier && isComplete(earlier, stages)) {
      summary.skipped += 1;
      options.onProgress?.({ outcome: 'skipped', problem, hierarchy: earlier, counts: counts() });
    } else {
      pending.push(problem);
    }
  }

  await runPool(
    pending,
    options.concurrency,
    async (problem) => {
      const earlier = options.resume?.byKey.get(problem.key);
      const start: Hierarchy = earlier ?? { ...createHierarchy({ problem: problem.problem, input: problem.input }), inputKey: problem.key };
      const todo = earlier ? stages.filter((stage) => !isComplete(earlier, [stage])) : stages;
      let hierarchy: Hierarchy;
      try {
        hierarchy = await runPipeline(start, client, options.settings, {
          stages: todo,
          // A continued problem may hold a layer a person edited (e.g. after an import); the batch was asked to fill it.
          overwriteEdited: true,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.onStage ? { onEvent: (event) => options.onStage?.(problem, event) } : {}),
        });
      } catch (error) {
        // The run could not start (e.g. a layer it needs is missing): recorded as a failure of that stage.
        const stage = (error as { stage?: LayerStage }).stage ?? todo[0] ?? 'techniques';
        const message = error instanceof Error ? error.message : String(error);
        hierarchy = { ...start, layers: { ...start.layers, [stage]: { ...start.layers[stage], status: 'failed', error: message } } };
      }
      const failure = firstFailure(hierarchy, stages);
      // Cancelled before its first stage started: nothing happened to this problem, so nothing is written.
      if (failure && options.signal?.aborted && hierarchy === start) return;
      await options.write(hierarchy);
      let outcome: BatchOutcome = 'done';
      if (failure) {
        const interrupted = options.signal?.aborted === true;
        outcome = interrupted ? 'interrupted' : 'failed';
        if (interrupted) summary.interrupted += 1;
        else summary.failed += 1;
        summary.failures.push({ problem, ...failure, interrupted });
      } else {
        summary.done += 1;
      }
      options.onProgress?.({ outcome, problem, hierarchy, ...(failure ? { failure } : {}), counts: counts() });
    },
    options.signal,
  );
  summary.failures.sort((a, b) => a.problem.line - b.problem.line);
  return summary;
}
