// `insight-proof score`: DeepTheorem's outcome metric over a batch results file.
import { parseArgs } from 'node:util';
import { formatScoreReport, scoreResults } from '../../core/score.ts';
import { CliError, type CliIo } from '../io.ts';
import { readHierarchies, required } from './files.ts';

export const SCORE_USAGE = [
  'insight-proof score --in RESULTS.jsonl [--json]',
  '',
  'Scores a batch run over a prove-or-disprove set (records with problem_name and answer, e.g.',
  'DeepTheorem\'s FIMO, HMMT and Putnam sets): a problem counts as solved only when the verdict of every',
  'one of its variants matches its answer (\\boxed{proved} for true, \\boxed{disproved} for false); the',
  'score is solved problems / problems × 100. Missing verdicts count as wrong and are listed. Also',
  'reports the mean review score of the reviewed proofs. Exit 1 when nothing in the file can be scored.',
  '',
  '  --in FILE    The results (JSONL written by batch, or hierarchy JSON).',
  '  --json       Print the report as JSON instead of a table.',
].join('\n');

export async function runScore(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, strict: true, allowPositionals: false, options: { in: { type: 'string' }, json: { type: 'boolean' } } });
  const input = required(values.in, '--in FILE', '(the results of a batch run)');
  const { hierarchies } = await readHierarchies(io, input);
  const report = scoreResults(hierarchies);
  if (report.problems === 0) {
    throw new CliError(`${input} has no scorable results; score needs hierarchies from a batch run over records with "problem_name" and a true/false "answer".`);
  }
  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatScoreReport(report));
  return 0;
}
