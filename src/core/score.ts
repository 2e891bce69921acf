// DeepTheorem's outcome metric over batch results (hierarchies whose `input` is the problem record).
//
// Prove-or-disprove sets give each problem (`problem_name`) several variants, true or false
// (`answer`). A variant is right when the proof's verdict matches its answer (`proved` for true,
// `disproved` for false); a problem counts as solved only when EVERY variant is right, so guessing
// cannot score. Score = solved problems / problems × 100. A missing verdict (no \boxed{…}, a failed
// or unfinished proof) counts as wrong and is listed. Results whose input has no problem_name or
// boolean answer cannot be scored and are listed apart. The mean review score (0–1) is reported
// over the results that have a review.
//
// Several lines for one hierarchy id (a resumed batch run) count once, with the last line.
import { latestHierarchies } from './batch.ts';
import type { Hierarchy, LayerStatus, Verdict } from './hierarchy.ts';

export interface VariantResult {
  id: string;
  problemName: string;
  expected: 'proved' | 'disproved';
  verdict: Verdict;
  right: boolean;
  proofStatus: LayerStatus;
}

export interface ProblemResult {
  problemName: string;
  variants: number;
  right: number;
  missing: number;
  solved: boolean;
}

export interface ReviewSummary {
  count: number;
  /** Means over the reviewed results, 0–1; null when none was reviewed. */
  score: number | null;
  validity: number | null;
  completeness: number | null;
  correctness: number | null;
  clarity: number | null;
}

export interface ScoreReport {
  /** Solved problems / problems × 100 (0 when there are no problems). */
  score: number;
  problems: number;
  solved: number;
  variants: number;
  rightVariants: number;
  /** Variants without a verdict: counted as wrong. */
  missingVerdicts: { id: string; problemName: string; proofStatus: LayerStatus }[];
  /** Results that cannot be scored, with why. */
  unscorable: { id: string; reason: string }[];
  byProblem: ProblemResult[];
  review: ReviewSummary;
}

function expectedVerdict(input: unknown): { problemName: string; expected: 'proved' | 'disproved' } | { reason: string } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { reason: 'it has no input record (it was not produced by a batch run)' };
  const record = input as Record<string, unknown>;
  if (typeof record.problem_name !== 'string' || !record.problem_name.trim()) return { reason: 'its input record has no problem_name' };
  if (typeof record.answer !== 'boolean') return { reason: 'its input record has no true/false answer' };
  return { problemName: record.problem_name, expected: record.answer ? 'proved' : 'disproved' };
}

function mean(values: readonly number[]): number | null {
  return values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : null;
}

export function scoreResults(results: readonly Hierarchy[]): ScoreReport {
  const hierarchies = latestHierarchies(results);
  const groups = new Map<string, VariantResult[]>();
  const unscorable: ScoreReport['unscorable'] = [];
  for (const hierarchy of hierarchies) {
    const expected = expectedVerdict(hierarchy.input);
    if ('reason' in expected) {
      unscorable.push({ id: hierarchy.id, reason: expected.reason });
      continue;
    }
    const { verdict, status } = hierarchy.layers.proof;
    const variant: VariantResult = { id: hierarchy.id, problemName: expected.problemName, expected: expected.expected, verdict, right: verdict === expected.expected, proofStatus: status };
    const group = groups.get(expected.problemName) ?? [];
    group.push(variant);
    groups.set(expected.problemName, group);
  }
  const byProblem: ProblemResult[] = [...groups].map(([problemName, variants]) => {
    const right = variants.filter((variant) => variant.right).length;
    return { problemName, variants: variants.length, right, missing: variants.filter((variant) => variant.verdict === null).length, solved: right === variants.length };
  });
  const variants = [...groups.values()].flat();
  const solved = byProblem.filter((problem) => problem.solved).length;
  const reviews = hierarchies.flatMap((hierarchy) => (hierarchy.review ? [hierarchy.review] : []));
  return {
    score: byProblem.length ? (solved / byProblem.length) * 100 : 0,
    problems: byProblem.length,
    solved,
    variants: variants.length,
    rightVariants: variants.filter((variant) => variant.right).length,
    missingVerdicts: variants.filter((variant) => variant.verdict === null).map(({ id, problemName, proofStatus }) => ({ id, problemName, proofStatus })),
    unscorable,
    byProblem,
    review: {
      count: reviews.length,
      score: mean(reviews.map((review) => review.score)),
      validity: mean(reviews.map((review) => review.validity)),
      completeness: mean(reviews.map((review) => review.completeness)),
      correctness: mean(reviews.map((review) => review.correctness)),
      clarity: mean(reviews.map((review) => review.clarity)),
    },
  };
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ').trimEnd());
}

/** The report as readable text: the score, then a table per problem, then what was missing. */
export function formatScoreReport(report: ScoreReport): string {
  const lines: string[] = [];
  if (report.problems === 0) {
    lines.push('No scorable results: the input needs hierarchies from a batch run over problem records with problem_name and answer (true/false).');
  } else {
    lines.push(
      `Outcome score: ${report.score.toFixed(2)} (${report.solved} of ${report.problems} problem${report.problems === 1 ? '' : 's'} solved; a problem counts only when every variant's verdict is right)`,
      `Variants: ${report.rightVariants} of ${report.variants} verdicts right${report.missingVerdicts.length ? `, ${report.missingVerdicts.length} missing (counted as wrong)` : ''}`,
    );
  }
  const { review } = report;
  if (review.count > 0 && review.score !== null) {
    const parts = (['validity', 'completeness', 'correctness', 'clarity'] as const).map((name) => `${name} ${review[name]!.toFixed(2)}`).join(', ');
    lines.push(`Review: mean score ${review.score.toFixed(2)} over ${review.count} reviewed proof${review.count === 1 ? '' : 's'} (${parts})`);
  }
  if (report.byProblem.length) {
    lines.push('', ...table([['problem', 'variants', 'right', 'missing', 'solved'], ...report.byProblem.map((problem) => [problem.problemName, String(problem.variants), String(problem.right), String(problem.missing), problem.solved ? 'yes' : 'no'])]));
  }
  if (report.missingVerdicts.length) {
    lines.push('', 'Missing verdicts (no \\boxed{proved} or \\boxed{disproved} in the proof):');
    for (const missing of report.missingVerdicts) lines.push(`  ${missing.id}  ${missing.problemName}  (proof ${missing.proofStatus})`);
  }
  if (report.unscorable.length) {
    lines.push('', `Not scored (${report.unscorable.length}):`);
    for (const item of report.unscorable) lines.push(`  ${item.id}: ${item.reason}`);
  }
  return `${lines.join('\n')}\n`;
}
