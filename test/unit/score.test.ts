import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createHierarchy, type Hierarchy, type Review, type Verdict } from '../../src/core/hierarchy.ts';
import { formatScoreReport, scoreResults } from '../../src/core/score.ts';

function result(id: string, problemName: string, answer: boolean, verdict: Verdict, review?: Omit<Review, 'score' | 'explanation'>): Hierarchy {
  const hierarchy = createHierarchy({ problem: `${problemName} (${answer})`, id, input: { problem_name: problemName, prompt: 'Prove or disprove …', answer } });
  hierarchy.layers.proof = { status: verdict ? 'draft' : 'failed', text: verdict ? `… \\boxed{${verdict}}` : '', verdict, raw: '', edited: false };
  if (review) {
    const score = 0.4 * review.validity + 0.3 * review.completeness + 0.2 * review.correctness + 0.1 * review.clarity;
    hierarchy.review = { ...review, score, explanation: '' };
  }
  return hierarchy;
}

/**
 * Hand-computed example:
 *   A: true → proved, false → disproved                    solved
 *   B: true → proved, true → proved, false → proved        2 of 3 right: not solved
 *   C: false → disproved, true → (no verdict)             missing counts as wrong: not solved
 *      (an earlier line of the same id had `proved`; the later line counts)
 *   D: true → proved                                       solved
 *   plus one result without an input record and one {id, problem} record: not scorable.
 * Score = 2 solved / 4 problems × 100 = 50. Variants right: 2 + 2 + 1 + 1 = 6 of 8.
 * Reviews: A1 0.9 (1, 1, 0.5, 1), B1 0.5 (all 0.5), D1 0.7 (0.5, 1, 0.5, 1): mean 0.7.
 */
function example(): Hierarchy[] {
  return [
    result('a1', 'A', true, 'proved', { validity: 1, completeness: 1, correctness: 0.5, clarity: 1 }),
    result('a2', 'A', false, 'disproved'),
    result('b1', 'B', true, 'proved', { validity: 0.5, completeness: 0.5, correctness: 0.5, clarity: 0.5 }),
    result('c2', 'C', true, 'proved'),
    result('b2', 'B', true, 'proved'),
    result('b3', 'B', false, 'proved'),
    result('c1', 'C', false, 'disproved'),
    result('c2', 'C', true, null),
    result('d1', 'D', true, 'proved', { validity: 0.5, completeness: 1, correctness: 0.5, clarity: 1 }),
    createHierarchy({ problem: 'typed in an editor', id: 'free' }),
    createHierarchy({ problem: 'from a plain problem set', id: 'plain', input: { id: 'p1', problem: 'from a plain problem set' } }),
  ];
}

describe('DeepTheorem outcome score', () => {
  test('a problem counts only when every variant is right; the hand-computed example scores 50', () => {
    const report = scoreResults(example());
    assert.equal(report.score, 50);
    assert.equal(report.problems, 4);
    assert.equal(report.solved, 2);
    assert.equal(report.variants, 8);
    assert.equal(report.rightVariants, 6);
    assert.deepEqual(report.byProblem, [
      { problemName: 'A', variants: 2, right: 2, missing: 0, solved: true },
      { problemName: 'B', variants: 3, right: 2, missing: 0, solved: false },
      { problemName: 'C', variants: 2, right: 1, missing: 1, solved: false },
      { problemName: 'D', variants: 1, right: 1, missing: 0, solved: true },
    ]);
    assert.deepEqual(report.missingVerdicts, [{ id: 'c2', problemName: 'C', proofStatus: 'failed' }]);
    assert.deepEqual(report.unscorable, [
      { id: 'free', reason: 'it has no input record (it was not produced by a batch run)' },
      { id: 'plain', reason: 'its input record has no problem_name' },
    ]);
  });

  test('the mean review score and parts are taken over the reviewed results only', () => {
    const { review } = scoreResults(example());
    assert.equal(review.count, 3);
    assert.ok(Math.abs(review.score! - 0.7) < 1e-12);
    assert.ok(Math.abs(review.validity! - 2 / 3) < 1e-12);
    assert.ok(Math.abs(review.completeness! - 2.5 / 3) < 1e-12);
    assert.equal(review.correctness, 0.5);
    assert.ok(Math.abs(review.clarity! - 2.5 / 3) < 1e-12);
    assert.deepEqual(scoreResults([result('x', 'X', true, 'proved')]).review, { count: 0, score: null, validity: null, completeness: null, correctness: null, clarity: null });
  });

  test('the readable report shows the score, a table per problem, the missing verdicts and what was not scored', () => {
    const text = formatScoreReport(scoreResults(example()));
    assert.match(text, /^Outcome score: 50\.00 \(2 of 4 problems solved; a problem counts only when every variant's verdict is right\)\n/);
    assert.match(text, /\nVariants: 6 of 8 verdicts right, 1 missing \(counted as wrong\)\n/);
    assert.match(text, /\nReview: mean score 0\.70 over 3 reviewed proofs \(validity 0\.67, completeness 0\.83, correctness 0\.50, clarity 0\.83\)\n/);
    assert.ok(
      text.includes(['', 'problem  variants  right  missing  solved', 'A               2      2        0     yes', 'B               3      2        0      no', 'C               2      1        1      no', 'D               1      1        0     yes', ''].join('\n')),
      text,
    );
    assert.match(text, /\nMissing verdicts \(no \\boxed\{proved\} or \\boxed\{disproved\} in the proof\):\n {2}c2 {2}C {2}\(proof failed\)\n/);
    assert.match(text, /\nNot scored \(2\):\n {2}free: it has no input record/);
  });

  test('no scorable results is said in one sentence', () => {
    const report = scoreResults([createHierarchy({ problem: 'x' })]);
    assert.equal(report.score, 0);
    assert.match(formatScoreReport(report), /^No scorable results: the input needs hierarchies from a batch run over problem records with problem_name and answer \(true\/false\)\.\n/);
  });
});
