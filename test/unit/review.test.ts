import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createModelClient, type ModelClient } from '../../src/core/client.ts';
import { ModelError } from '../../src/core/errors.ts';
import { createHierarchy } from '../../src/core/hierarchy.ts';
import { acceptLayer, editLayer } from '../../src/core/layers.ts';
import { isReviewStale, parseReview, proofDigest, ReviewInputError, ReviewParseError, reviewJsonSchema, rubricTotal, runReview } from '../../src/core/review.ts';
import { ScriptedModelServer } from '../server/scriptedServer.ts';
import { provedHierarchy } from './exportSamples.ts';

describe('parsing a judge\'s answer', () => {
  test('JSON: the parts are kept and the total is computed from them (0.4, 0.3, 0.2, 0.1)', () => {
    const { review, warnings } = parseReview('{"validity": 1, "completeness": 0.5, "correctness": 0.75, "clarity": 0.2, "explanation": "Sound but terse."}');
    assert.deepEqual(review, { score: 0.72, validity: 1, completeness: 0.5, correctness: 0.75, clarity: 0.2, explanation: 'Sound but terse.' });
    assert.deepEqual(warnings, []);
    assert.equal(rubricTotal({ validity: 0.5, completeness: 0.5, correctness: 0.5, clarity: 0.5 }), 0.5);
  });

  test('fenced JSON after prose and a reasoning block; numbers as strings and percentages', () => {
    const answer = '<think>Let me grade. {"validity": 0}</think>Here is my grade:\n```json\n{"scores": {"Validity": "0.9", "completeness": "80%", "correctness": 0.7, "clarity": "1"}, "explanation": "Fine."}\n```';
    const { review, warnings } = parseReview(answer);
    assert.deepEqual(review, { score: 0.84, validity: 0.9, completeness: 0.8, correctness: 0.7, clarity: 1, explanation: 'Fine.' });
    assert.deepEqual(warnings, []);
  });

  test('a 0–100 or 0–10 scale is rescaled, with a warning', () => {
    const hundred = parseReview('{"validity": 90, "completeness": 80, "correctness": 70, "clarity": 100, "explanation": "x"}');
    assert.deepEqual([hundred.review.validity, hundred.review.completeness, hundred.review.correctness, hundred.review.clarity], [0.9, 0.8, 0.7, 1]);
    assert.deepEqual(hundred.warnings, ['The judge scored on a 0–100 scale instead of 0–1; its scores were divided by 100.']);
    const ten = parseReview('{"validity": 8, "completeness": 7, "correctness": "9/10", "clarity": 10, "explanation": "x"}');
    assert.deepEqual([ten.review.validity, ten.review.completeness, ten.review.correctness, ten.review.clarity], [0.8, 0.7, 0.9, 1]);
  });

  test('values outside 0–1 are clamped with a warning; a total that does not add up is recomputed', () => {
    const { review, warnings } = parseReview('{"validity": 1.2, "completeness": -0.1, "correctness": 0.5, "clarity": 0.5, "score": 0.99, "explanation": "x"}');
    assert.equal(review.validity, 1);
    assert.equal(review.completeness, 0);
    assert.equal(review.score, 0.55);
    assert.deepEqual(warnings, [
      "The judge's validity score 1.2 is outside 0–1; it was set to 1.",
      "The judge's completeness score -0.1 is outside 0–1; it was set to 0.",
      "The judge's total 0.99 does not match its scores; the total was recomputed as 0.55.",
    ]);
  });

  test('plain "Validity: 0.8" lines and JSON cut short still give the scores', () => {
    const lines = parseReview('**Validity**: 0.8\nCompleteness - 0.6\nCorrectness = 70%\nClarity: 4/5\nExplanation: The induction step is right.');
    assert.deepEqual(lines.review, { score: 0.72, validity: 0.8, completeness: 0.6, correctness: 0.7, clarity: 0.8, explanation: 'The induction step is right.' });
    const cut = parseReview('{"validity": 0.5, "completeness": 0.5, "correctness": 0.5, "clarity": 0.5, "explanation": "The proof');
    assert.equal(cut.review.score, 0.5);
    assert.equal(cut.review.explanation, 'The proof');
  });

  test('a missing part or an answer without scores is one sentence, keeping the raw answer', () => {
    assert.throws(() => parseReview('{"validity": 1, "completeness": 1, "correctness": 1, "explanation": "no clarity"}'), (error: unknown) => {
      assert.ok(error instanceof ReviewParseError);
      assert.equal(error.message, "The judge's answer has no usable clarity score; try again or choose a judge model that follows the rubric.");
      assert.match(error.raw, /no clarity/);
      return true;
    });
    assert.throws(() => parseReview('I think this proof is great!'), /^ReviewParseError: The judge's answer has no rubric scores \(expected JSON with validity, completeness, correctness and clarity\); /);
    assert.throws(() => parseReview('<think>only thoughts</think>'), /^ReviewParseError: The judge returned an empty answer; /);
  });

  test('a review is stale once the proof text differs from the graded one, not when the proof is accepted', () => {
    const hierarchy = provedHierarchy();
    hierarchy.layers.proof = { ...hierarchy.layers.proof, status: 'draft' };
    hierarchy.review = { ...hierarchy.review!, proofDigest: proofDigest(hierarchy.layers.proof.text) };
    const accepted = acceptLayer(hierarchy, 'proof', new Date('2030-01-01T00:00:00Z'));
    assert.equal(isReviewStale(accepted), false);
    const edited = editLayer(accepted, 'proof', `${accepted.layers.proof.text}\n\nOne more remark.`, new Date('2030-01-02T00:00:00Z'));
    assert.equal(isReviewStale(edited), true);
    assert.notEqual(proofDigest('a'), proofDigest('b'));
    assert.match(proofDigest(''), /^fnv1a-[0-9a-f]{8}$/);
  });

  test('a review without a digest (older files) is stale once the proof changed after it', () => {
    const hierarchy = provedHierarchy();
    assert.equal(isReviewStale(hierarchy), false);
    hierarchy.layers.proof = { ...hierarchy.layers.proof, updatedAt: '2026-03-05T00:00:00.000Z' };
    assert.equal(isReviewStale(hierarchy), true);
    delete hierarchy.review;
    assert.equal(isReviewStale(hierarchy), false);
  });

  test('the response_format schema asks for the four parts and an explanation', () => {
    const { name, schema } = reviewJsonSchema();
    assert.equal(name, 'proof_review');
    assert.deepEqual((schema.required as string[]).sort(), ['clarity', 'completeness', 'correctness', 'explanation', 'validity']);
    assert.equal(schema.$schema, undefined);
  });
});

describe('runReview against the scripted server', () => {
  const server = new ScriptedModelServer({ models: ['insight-test-model', 'judge-model'] });
  let client: ModelClient;

  before(async () => {
    const baseUrl = await server.start();
    client = createModelClient({ baseUrl, timeoutMs: 10_000, maxRetries: 0 });
  });
  after(() => server.close());

  const now = () => new Date('2026-05-06T07:08:09.000Z');

  test('sends the problem and proof as stage "review" to the judge model and stores the review', async () => {
    server.script('review', { content: '```json\n{"validity": 0.9, "completeness": 0.8, "correctness": 1, "clarity": 0.7, "score": 0.87, "explanation": "Clean induction."}\n```' });
    const hierarchy = provedHierarchy();
    delete hierarchy.review;
    const before = structuredClone(hierarchy);
    const outcome = await runReview(hierarchy, client, { model: 'insight-test-model', judgeModel: 'judge-model', temperature: 0 }, { now });
    assert.deepEqual(hierarchy, before, 'the hierarchy passed in is not changed');
    assert.deepEqual(outcome.warnings, []);
    const { review } = outcome.hierarchy;
    assert.equal(review?.score, 0.87);
    assert.equal(review?.model, 'judge-model');
    assert.equal(review?.createdAt, '2026-05-06T07:08:09.000Z');
    assert.match(review?.raw ?? '', /Clean induction/);
    assert.equal(outcome.hierarchy.updatedAt, '2026-05-06T07:08:09.000Z');

    const request = server.chatRequests.at(-1)!;
    assert.equal(request.stage, 'review');
    assert.equal(request.headers['x-insight-proof-stage'], 'review');
    assert.equal(request.body.model, 'judge-model');
    assert.equal(request.body.temperature, 0);
    assert.equal(request.body.response_format?.type, 'json_schema');
    const prompt = (request.body.messages as { content: string }[]).map((message) => message.content).join('\n');
    assert.match(prompt, /Problem:\nFor every integer \$n \\ge 1\$/);
    assert.match(prompt, /Proof:\nWe argue by induction on \$n\$\./);
    assert.match(prompt, /validity.*\n.*completeness.*\n.*correctness.*\n.*clarity/);
  });

  test('inconsistent totals and percentages from the judge: recomputed, with warnings', async () => {
    server.script('review', { content: 'Grades: {"validity": "100%", "completeness": "50%", "correctness": "50%", "clarity": "100%", "total": "95%", "explanation": "ok"}' });
    const outcome = await runReview(provedHierarchy(), client, { model: 'insight-test-model' }, { now });
    assert.equal(outcome.hierarchy.review?.score, 0.75);
    assert.equal(outcome.hierarchy.review?.model, 'insight-test-model', 'the judge defaults to the main model');
    assert.deepEqual(outcome.warnings, ["The judge's total 0.95 does not match its scores; the total was recomputed as 0.75."]);
  });

  test('a server that rejects response_format still gets the review (plain-text fallback)', async () => {
    server.script('review', { rejectJsonSchema: true, content: 'Validity: 1\nCompleteness: 1\nCorrectness: 1\nClarity: 1\nExplanation: Perfect.' });
    const outcome = await runReview(provedHierarchy(), client, { model: 'insight-test-model' }, { now });
    assert.equal(outcome.hierarchy.review?.score, 1);
    assert.equal(outcome.hierarchy.review?.explanation, 'Perfect.');
  });

  test('malformed JSON or a missing field from the judge: a ReviewParseError, the hierarchy unchanged', async () => {
    server.script('review', { content: '{validity: high, completeness: ok}' }, { content: '{"validity": 1, "completeness": 1, "clarity": 1, "explanation": "forgot one"}' });
    const hierarchy = provedHierarchy();
    await assert.rejects(runReview(hierarchy, client, { model: 'insight-test-model' }), /^ReviewParseError: The judge's answer has no rubric scores/);
    await assert.rejects(runReview(hierarchy, client, { model: 'insight-test-model' }), (error: unknown) => {
      assert.ok(error instanceof ReviewParseError);
      assert.match(error.message, /no usable correctness score/);
      return true;
    });
    assert.deepEqual(hierarchy, provedHierarchy());
  });

  test('a failed request is a ModelError; no proof, or no model, is one sentence before any request', async () => {
    server.script('review', { status: 500, errorBody: { error: { message: 'boom' } } });
    await assert.rejects(runReview(provedHierarchy(), client, { model: 'insight-test-model' }), (error: unknown) => error instanceof ModelError && error.kind === 'server');
    const requests = server.chatRequests.length;
    await assert.rejects(runReview(createHierarchy({ problem: 'p' }), client, { model: 'm' }), (error: unknown) => {
      assert.ok(error instanceof ReviewInputError);
      assert.equal(error.message, 'There is no proof to review yet; generate or write the proof first.');
      return true;
    });
    await assert.rejects(runReview(provedHierarchy(), client, { model: ' ', judgeModel: '' }), (error: unknown) => error instanceof ModelError && error.kind === 'config' && /^No judge model is set; /.test(error.message));
    assert.equal(server.chatRequests.length, requests);
  });
});
