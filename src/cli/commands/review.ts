// `insight-proof review`: a judge model scores proofs on DeepTheorem's process rubric.
//
// Like `prove`: the result goes to stdout or replaces --out (atomically). A hierarchy JSON gives a
// JSON hierarchy back; a JSONL file (e.g. batch results) is reviewed line by line and written as
// JSONL. Hierarchies without a proof, and judge answers without usable scores, are reported and
// left unchanged; a failed request (server down, wrong model, Ctrl-C) stops the run, and what was
// reviewed until then is still written.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createModelClient } from '../../core/client.ts';
import { ModelError } from '../../core/errors.ts';
import type { Hierarchy } from '../../core/hierarchy.ts';
import { judgeModelFor, ReviewInputError, ReviewParseError, runReview } from '../../core/review.ts';
import { recordName } from '../../core/export/common.ts';
import { CliError, USAGE_EXIT, type CliIo } from '../io.ts';
import { MODEL_OPTIONS, rejectKeyFlags, resolveModelSetup, stderrLogger } from '../modelOptions.ts';
import { INTERRUPTED_EXIT, writeFileAtomic } from '../proveCommand.ts';
import { readHierarchies, required } from './files.ts';

const REVIEW_MODEL_OPTIONS = ['base-url', 'model', 'templates', 'timeout', 'retries', 'temperature', 'max-tokens', 'verbose'] as const;

export const REVIEW_USAGE = [
  'insight-proof review --in FILE [--out FILE] [--judge-model ID] [--only-missing] [options]',
  '',
  'A judge model grades each proof on DeepTheorem\'s process rubric: validity, completeness, correctness',
  'and clarity (0 to 1), total = 0.4·validity + 0.3·completeness + 0.2·correctness + 0.1·clarity',
  '(recomputed from the parts). FILE is a hierarchy JSON or a JSONL of hierarchies (batch results);',
  'the reviewed hierarchies are printed in the same shape, or replace --out. Hierarchies without a',
  'proof or with an unusable judge answer are reported on stderr and left unchanged (exit 1). A failed',
  'request stops the run; what was reviewed is still written.',
  '',
  '  --in FILE                The hierarchies.',
  '  --out FILE               Write the result here (replacing the file) instead of stdout.',
  '  --judge-model ID         The judge (env INSIGHT_PROOF_JUDGE_MODEL); default: --model.',
  '  --only-missing           Review only hierarchies that have no review yet.',
  '  --base-url URL           OpenAI-compatible server (env INSIGHT_PROOF_BASE_URL).',
  '  --model ID               The main model (env INSIGHT_PROOF_MODEL); the judge unless --judge-model is set.',
  '  --templates FILE         JSON prompt overrides {"system": {"review": TEXT}, "user": {"review": TEXT}} with',
  '                           {{problem}} {{techniques}} {{sketch}} {{proof}} placeholders.',
  '  --timeout SECONDS        Wait this long for the first token and between tokens.',
  '  --retries N              Retries on 408/409/429/5xx and dropped connections.',
  '  --temperature T          Sampling temperature (server default when omitted).',
  '  --max-tokens N           Token limit per answer (server default when omitted).',
  '  --verbose                Log every request on stderr.',
  'The API key is read only from INSIGHT_PROOF_API_KEY or OPENAI_API_KEY, never from a flag.',
].join('\n');

function label(hierarchy: Hierarchy): string {
  return recordName(hierarchy.input) ?? hierarchy.id;
}

function serialize(hierarchies: readonly Hierarchy[], shape: 'object' | 'array' | 'jsonl'): string {
  if (shape === 'jsonl') return hierarchies.map((hierarchy) => `${JSON.stringify(hierarchy)}\n`).join('');
  return `${JSON.stringify(shape === 'object' ? hierarchies[0] : hierarchies, null, 2)}\n`;
}

export async function runReviewCommand(args: string[], io: CliIo): Promise<number> {
  rejectKeyFlags(args);
  const modelOptions = Object.fromEntries(REVIEW_MODEL_OPTIONS.map((name) => [name, MODEL_OPTIONS[name]]));
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      ...(modelOptions as Pick<typeof MODEL_OPTIONS, (typeof REVIEW_MODEL_OPTIONS)[number]>),
      in: { type: 'string' },
      out: { type: 'string' },
      'judge-model': { type: 'string' },
      'only-missing': { type: 'boolean' },
    },
  });
  const input = required(values.in, '--in FILE', '(a hierarchy JSON or JSONL file)');
  const { hierarchies, shape } = await readHierarchies(io, input);
  const setup = await resolveModelSetup(values, io);
  const judgeModel = judgeModelFor({ model: setup.settings.model, judgeModel: values['judge-model'] ?? io.env.INSIGHT_PROOF_JUDGE_MODEL ?? '' });
  if (!judgeModel) throw new CliError('No judge model is set; pass --judge-model or --model (or set INSIGHT_PROOF_JUDGE_MODEL or INSIGHT_PROOF_MODEL).', USAGE_EXIT);
  const client = createModelClient({ baseUrl: setup.baseUrl, apiKey: setup.apiKey, timeoutMs: setup.timeoutMs, maxRetries: setup.maxRetries }, stderrLogger(io, setup.verbose));
  const settings = {
    model: judgeModel,
    ...(setup.settings.temperature !== undefined ? { temperature: setup.settings.temperature } : {}),
    ...(setup.settings.maxTokens !== undefined ? { maxTokens: setup.settings.maxTokens } : {}),
    ...(setup.settings.templates ? { templates: setup.settings.templates } : {}),
  };

  const results = [...hierarchies];
  const problems: string[] = [];
  let stopped: CliError | undefined;
  for (let index = 0; index < results.length; index += 1) {
    const hierarchy = results[index]!;
    const name = label(hierarchy);
    const prefix = results.length > 1 ? `[${index + 1}/${results.length}] ${name}: ` : '';
    if (values['only-missing'] && hierarchy.review) continue;
    if (io.signal.aborted) {
      stopped = new CliError(`Interrupted before reviewing ${name}; the hierarchies reviewed so far were kept.`, INTERRUPTED_EXIT);
      break;
    }
    try {
      const outcome = await runReview(hierarchy, client, settings, { signal: io.signal });
      results[index] = outcome.hierarchy;
      for (const warning of outcome.warnings) io.stderr.write(`${prefix}warning: ${warning}\n`);
      io.stderr.write(`${prefix}review score ${outcome.hierarchy.review!.score.toFixed(2)}\n`);
    } catch (error) {
      if (error instanceof ReviewInputError || error instanceof ReviewParseError) {
        problems.push(name);
        io.stderr.write(`${prefix || `${name}: `}${error.message}\n`);
        continue;
      }
      if (error instanceof ModelError) {
        const interrupted = error.kind === 'aborted' || io.signal.aborted;
        stopped = new CliError(`${interrupted ? 'Interrupted' : 'Stopped'} while reviewing ${name}: ${error.message.replace(/\.$/, '')}.`, interrupted ? INTERRUPTED_EXIT : 1);
        break;
      }
      throw error;
    }
  }

  const reviewedSomething = results.some((hierarchy, index) => hierarchy !== hierarchies[index]);
  // Unchanged input is not written back when the run failed: there would be nothing new in it.
  if (reviewedSomething || (!stopped && problems.length === 0)) {
    const text = serialize(results, shape);
    if (values.out === undefined) io.stdout.write(text);
    else await writeFileAtomic(resolve(io.cwd, values.out), text, '--out');
  }
  if (stopped) throw stopped;
  if (problems.length) {
    throw new CliError(`${problems.length} of ${results.length} hierarch${results.length === 1 ? 'y was' : 'ies were'} not reviewed (${problems.slice(0, 5).join(', ')}${problems.length > 5 ? ', …' : ''}); see the messages above.`);
  }
  if (values.out !== undefined) io.stderr.write(`Wrote ${values.out}.\n`);
  return 0;
}
