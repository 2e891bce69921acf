// `insight-proof batch`: a JSONL problem set through the stages, results appended to a JSONL file.
//
// Output policy: an existing non-empty --out is continued with --resume or replaced with --force;
// otherwise the command refuses (mixing two runs in one file would be a silent mistake). Each result
// is appended (one write per line, straight to the file descriptor) as soon as its problem ends,
// so an interrupted run keeps everything finished. On Ctrl-C no new problem starts, running ones are
// cancelled and written with their partial text (layer `failed`), and the exit code is 130;
// --resume then skips finished problems and continues the others from their saved state.
import { open, readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isComplete, readProblems, readResumeState, runBatch, type BatchProblem, type BatchProgress, type ResumeState } from '../core/batch.ts';
import { STAGE_TITLES, type Hierarchy } from '../core/hierarchy.ts';
import { CliError, USAGE_EXIT, type CliIo } from './io.ts';
import { connect, MODEL_OPTIONS, MODEL_OPTIONS_HELP, rejectKeyFlags, resolveModelSetup } from './modelOptions.ts';
import { stageReporter } from './progress.ts';
import { INTERRUPTED_EXIT } from './proveCommand.ts';

export const DEFAULT_CONCURRENCY = 4;

export const BATCH_USAGE = [
  'insight-proof batch --in PROBLEMS.jsonl --out RESULTS.jsonl [--concurrency N] [--resume | --force] [options]',
  '',
  'Proves every problem of a JSONL file: DeepTheorem records {"problem_name", "prompt", "answer"} or',
  '{"id", "problem"} lines. Writes one hierarchy per line (unique "id", the input record under "input",',
  'a resume key under "inputKey"), appended as each problem finishes. A failed problem is written with',
  'its failed layer and the batch goes on; lines that are not problems are reported and skipped.',
  'Exit 0 when every line became a complete hierarchy, 1 otherwise, 130 when interrupted (Ctrl-C:',
  'running problems are cancelled and written as failed; --resume continues them).',
  '',
  '  --in FILE                The problem set (JSONL).',
  '  --out FILE               The results (JSONL). An existing file needs --resume or --force.',
  `  --concurrency N          Problems in flight at once (default ${DEFAULT_CONCURRENCY}).`,
  '  --resume                 Continue an earlier run: skip problems already complete in --out, continue',
  '                           the failed or interrupted ones (later lines for an id supersede earlier ones).',
  '  --force                  Replace an existing --out instead of continuing it.',
  ...MODEL_OPTIONS_HELP,
].join('\n');

async function existingText(path: string): Promise<string | undefined> {
  try {
    if (!(await stat(path)).isFile()) throw new CliError(`${path} is not a file; choose another --out file.`, USAGE_EXIT);
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    if (error instanceof CliError) throw error;
    throw new CliError(`Could not read ${path} (${error instanceof Error ? error.message : String(error)}); check the --out path.`, USAGE_EXIT);
  }
}

function lineList(lines: readonly number[]): string {
  const shown = lines.slice(0, 10).join(', ');
  return lines.length > 10 ? `${shown} and ${lines.length - 10} more` : shown;
}

export async function runBatchCommand(args: string[], io: CliIo): Promise<number> {
  rejectKeyFlags(args);
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      ...MODEL_OPTIONS,
      in: { type: 'string' },
      out: { type: 'string' },
      concurrency: { type: 'string' },
      resume: { type: 'boolean' },
      force: { type: 'boolean' },
    },
  });
  if (values.in === undefined || values.out === undefined) {
    throw new CliError('Give the problem set with --in FILE and the results file with --out FILE.', USAGE_EXIT);
  }
  if (values.resume && values.force) throw new CliError('Choose either --resume (continue the results file) or --force (replace it), not both.', USAGE_EXIT);
  const concurrency = values.concurrency === undefined ? DEFAULT_CONCURRENCY : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new CliError(`--concurrency must be a whole number from 1 to 256, not "${values.concurrency}".`, USAGE_EXIT);
  }
  const inPath = resolve(io.cwd, values.in);
  const outPath = resolve(io.cwd, values.out);
  if (inPath === outPath) throw new CliError('--in and --out name the same file; write the results to another file.', USAGE_EXIT);
  const setup = await resolveModelSetup(values, io);

  // The output policy first, so a refusal is the only thing printed.
  const existing = await existingText(outPath);
  if (existing !== undefined && existing.trim() !== '' && !values.resume && !values.force) {
    throw new CliError(`${values.out} already exists; pass --resume to continue it or --force to replace it.`, USAGE_EXIT);
  }

  let inputText: string;
  try {
    inputText = await readFile(inPath, 'utf8');
  } catch (error) {
    const reason = (error as { code?: string }).code === 'ENOENT' ? 'it does not exist' : error instanceof Error ? error.message : String(error);
    throw new CliError(`Could not read the problem set ${values.in} (${reason}); check the --in path.`, USAGE_EXIT);
  }
  const { problems, problemLines } = await readProblems(inputText);
  for (const { line, message } of problemLines) io.stderr.write(`${values.in}:${line}: ${message}; line skipped.\n`);
  if (problems.length === 0) {
    throw new CliError(`${values.in} holds no problems; each line must be {"problem_name", "prompt", "answer"} or {"id", "problem"}.`, USAGE_EXIT);
  }

  let resume: ResumeState | undefined;
  if (values.resume && existing !== undefined) {
    resume = readResumeState(existing);
    for (const { line, message } of resume.problemLines) {
      io.stderr.write(`${values.out}:${line}: ${message}; ignored (its problem runs again).\n`);
    }
  }

  const client = await connect(setup, io);

  // One handle, one write per result: each line reaches the file (the OS) before the problem counts as done.
  const handle = await open(outPath, values.force || existing === undefined ? 'w' : 'a').catch((error: unknown) => {
    throw new CliError(`Could not open ${values.out} for writing (${error instanceof Error ? error.message : String(error)}); choose another --out file.`);
  });
  // A failed write (a full disk) stops the batch: nothing after it could be kept.
  const writeFailure = new AbortController();
  const signal = AbortSignal.any([io.signal, writeFailure.signal]);
  let writes: Promise<unknown> = Promise.resolve();
  const append = (text: string): Promise<void> => {
    const next = writes.then(() => handle.write(text));
    writes = next.catch(() => undefined);
    return next.then(
      () => undefined,
      (error: unknown) => {
        writeFailure.abort();
        throw new CliError(`Could not append to ${values.out} (${error instanceof Error ? error.message : String(error)}); free some space or choose another --out file, then run again with --resume.`);
      },
    );
  };
  // A run killed mid-line leaves a partial last line: start on a fresh line so no result is glued to it.
  if (resume && existing && !existing.endsWith('\n')) await append('\n');

  const total = problems.length;
  const report = (progress: BatchProgress): void => {
    if (progress.outcome === 'skipped') return;
    const { done, failed, interrupted, skipped } = progress.counts;
    const position = `[${done + failed + interrupted + skipped}/${total}]`;
    const what = `line ${progress.problem.line} ${progress.problem.label}`;
    if (progress.outcome === 'done') io.stderr.write(`${position} done: ${what}\n`);
    else if (progress.failure) {
      const verb = progress.outcome === 'interrupted' ? 'interrupted' : 'failed';
      io.stderr.write(`${position} ${verb}: ${what}: ${STAGE_TITLES[progress.failure.stage]}: ${progress.failure.error}\n`);
    }
  };

  // With --verbose, stage lines per problem (not the streamed text: concurrent streams would interleave).
  const reporters = new Map<string, ReturnType<typeof stageReporter>>();
  const reporterFor = (problem: BatchProblem): ReturnType<typeof stageReporter> => {
    let reporter = reporters.get(problem.key);
    if (!reporter) {
      reporter = stageReporter(io, { verbose: false, prefix: `line ${problem.line}` });
      reporters.set(problem.key, reporter);
    }
    return reporter;
  };

  const isDone = (problem: BatchProblem): boolean => {
    const earlier = resume?.byKey.get(problem.key);
    return earlier !== undefined && isComplete(earlier, setup.stages);
  };
  const complete = problems.filter(isDone).length;
  const continued = resume ? problems.filter((problem) => resume.byKey.has(problem.key)).length - complete : 0;
  const already = resume ? ` (${complete} already complete in ${values.out}${continued ? `, ${continued} to continue` : ''})` : '';
  io.stderr.write(`Proving ${total - complete} of ${total} problem${total === 1 ? '' : 's'} from ${values.in}${already} with ${setup.settings.model || 'the stage models'}, ${concurrency} at a time.\n`);

  let summary;
  try {
    summary = await runBatch(problems, client, {
      settings: setup.settings,
      stages: setup.stages,
      concurrency,
      signal,
      ...(resume ? { resume } : {}),
      write: (hierarchy: Hierarchy) => append(`${JSON.stringify(hierarchy)}\n`),
      onProgress: report,
      ...(setup.verbose ? { onStage: (problem, event) => reporterFor(problem)(event) } : {}),
    });
  } finally {
    await writes;
    await handle.close();
  }

  const finished = `${summary.done + summary.skipped} of ${total} problems complete`;
  const failedLines = summary.failures.filter((failure) => !failure.interrupted).map((failure) => failure.problem.line);
  const failedPart = failedLines.length ? `, ${failedLines.length} failed (input lines ${lineList(failedLines)})` : '';
  const skippedPart = problemLines.length ? `, ${problemLines.length} input line${problemLines.length === 1 ? '' : 's'} skipped (${lineList(problemLines.map((problem) => problem.line))})` : '';
  if (io.signal.aborted) {
    const notStarted = total - summary.done - summary.failed - summary.interrupted - summary.skipped;
    throw new CliError(
      `Interrupted: ${finished}${failedPart}, ${summary.interrupted} cancelled and ${notStarted} not started; results are in ${values.out}, run again with --resume to continue.`,
      INTERRUPTED_EXIT,
    );
  }
  if (failedLines.length || problemLines.length) {
    throw new CliError(`${finished}${failedPart}${skippedPart}; results are in ${values.out}${failedLines.length ? ', run again with --resume to retry the failed ones' : ''}.`);
  }
  io.stderr.write(`All ${total} problems complete; results are in ${values.out}.\n`);
  return 0;
}
