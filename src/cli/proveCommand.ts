// `insight-proof prove`: one problem through the stages; the hierarchy JSON to stdout or --out.
//
// --out is overwritten when it exists (it is the result the person asked for; the file is replaced
// atomically, so an interrupted write never leaves half a file). With a failed or interrupted
// stage the partial hierarchy is still printed or written, and the exit code is non-zero.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createHierarchy, STAGE_TITLES, type Hierarchy, type LayerStage } from '../core/hierarchy.ts';
import { defaultStages, EditedLayerError, PipelineInputError, runPipeline } from '../core/pipeline.ts';
import { parseHierarchy } from '../core/schema.ts';
import { CliError, USAGE_EXIT, type CliIo } from './io.ts';
import { connect, MODEL_OPTIONS, MODEL_OPTIONS_HELP, rejectKeyFlags, resolveModelSetup } from './modelOptions.ts';
import { stageReporter } from './progress.ts';

export const INTERRUPTED_EXIT = 130;

export const PROVE_USAGE = [
  'insight-proof prove (--problem TEXT | --problem-file FILE | --from HIERARCHY.json) [--out FILE] [options]',
  '',
  'Runs the stages (core techniques, proof sketch, proof) and prints the hierarchy JSON, or writes it to',
  '--out (replacing the file). Progress goes to stderr. Exit 0 only when every requested layer was',
  'generated; otherwise a one-line error, exit 1 (130 when interrupted), and the partial hierarchy is',
  'still printed or written.',
  '',
  '  --problem TEXT           The theorem statement (markdown + TeX).',
  '  --problem-file FILE      Read the statement from a file.',
  '  --from FILE              Continue a saved hierarchy (e.g. run --stages sketch,proof after editing the',
  '                           techniques); without --stages, runs from the first layer that is not done.',
  '  --overwrite-edited       With --from: allow regenerating layers edited by hand (kept as alternatives).',
  '  --out FILE               Write the hierarchy JSON here instead of stdout.',
  ...MODEL_OPTIONS_HELP,
].join('\n');

/** Writes a file atomically (temporary file + rename) with one clear sentence on failure. */
export async function writeFileAtomic(path: string, text: string, flagName: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new CliError(`Could not write ${path} (${error instanceof Error ? error.message : String(error)}); choose another ${flagName} file.`);
  }
}

async function readText(path: string, what: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason = code === 'ENOENT' ? 'it does not exist' : error instanceof Error ? error.message : String(error);
    throw new CliError(`Could not read the ${what} ${path} (${reason}); check the ${flag} path.`, USAGE_EXIT);
  }
}

/** The first requested layer that did not end as a draft or accepted. */
function unfinished(hierarchy: Hierarchy, stages: readonly LayerStage[]): LayerStage | undefined {
  return stages.find((stage) => !['draft', 'accepted'].includes(hierarchy.layers[stage].status));
}

export async function runProve(args: string[], io: CliIo): Promise<number> {
  rejectKeyFlags(args);
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      ...MODEL_OPTIONS,
      problem: { type: 'string' },
      'problem-file': { type: 'string' },
      from: { type: 'string' },
      'overwrite-edited': { type: 'boolean' },
      out: { type: 'string' },
    },
  });
  const sources = [values.problem, values['problem-file'], values.from].filter((value) => value !== undefined);
  if (sources.length !== 1) {
    throw new CliError('Give the problem with exactly one of --problem "TEXT", --problem-file FILE or --from HIERARCHY.json.', USAGE_EXIT);
  }
  const setup = await resolveModelSetup(values, io);

  let hierarchy: Hierarchy;
  if (values.from !== undefined) {
    const path = resolve(io.cwd, values.from);
    let json: unknown;
    try {
      json = JSON.parse(await readText(path, 'hierarchy file', '--from'));
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`The hierarchy file ${values.from} is not valid JSON; pass a file written by insight-proof prove --out.`, USAGE_EXIT);
    }
    try {
      hierarchy = parseHierarchy(json, `file ${values.from}`);
    } catch (error) {
      throw new CliError(error instanceof Error ? error.message : String(error), USAGE_EXIT);
    }
  } else {
    const problem = values.problem ?? (await readText(resolve(io.cwd, values['problem-file']!), 'problem file', '--problem-file'));
    if (!problem.trim()) throw new CliError('The problem statement is empty; pass the theorem with --problem or --problem-file.', USAGE_EXIT);
    hierarchy = createHierarchy({ problem: problem.trim() });
  }
  const stages = values.stages === undefined && values.from !== undefined ? defaultStages(hierarchy) : setup.stages;

  const client = await connect(setup, io);
  let result: Hierarchy;
  try {
    result = await runPipeline(hierarchy, client, setup.settings, {
      stages,
      signal: io.signal,
      overwriteEdited: values['overwrite-edited'] === true,
      onEvent: stageReporter(io, { verbose: setup.verbose }),
    });
  } catch (error) {
    if (error instanceof EditedLayerError) {
      throw new CliError(`The ${STAGE_TITLES[error.stage]} in ${values.from ?? 'the hierarchy'} ${error.stage === 'techniques' ? 'were' : 'was'} edited by hand; pass --overwrite-edited to regenerate (the edit is kept as an alternative).`, USAGE_EXIT);
    }
    if (error instanceof PipelineInputError) throw new CliError(error.message, USAGE_EXIT);
    throw error;
  }

  const json = `${JSON.stringify(result, null, 2)}\n`;
  const out = values.out === undefined ? undefined : resolve(io.cwd, values.out);
  if (out) await writeFileAtomic(out, json, '--out');
  else io.stdout.write(json);

  const failedStage = unfinished(result, stages);
  if (failedStage === undefined) {
    if (out) io.stderr.write(`Wrote ${values.out}.\n`);
    return 0;
  }
  const where = out ? `; the partial hierarchy was written to ${values.out}` : '';
  if (io.signal.aborted) throw new CliError(`Interrupted during the ${STAGE_TITLES[failedStage]}${where}.`, INTERRUPTED_EXIT);
  const layer = result.layers[failedStage];
  const reason = (layer.error ?? 'the layer was not generated').replace(/\.$/, '');
  throw new CliError(`The ${STAGE_TITLES[failedStage]} failed: ${reason}${where}.`);
}
