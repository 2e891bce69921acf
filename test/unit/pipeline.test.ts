import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createModelClient, type ChatRequest } from '../../src/core/client.ts';
import { ModelError } from '../../src/core/errors.ts';
import { createHierarchy, type Hierarchy, type LayerStage } from '../../src/core/hierarchy.ts';
import { editLayer } from '../../src/core/layers.ts';
import { CUT_OFF_WARNING, defaultStages, EditedLayerError, modelForStage, PipelineInputError, runPipeline, type PipelineEvent, type PipelineSettings } from '../../src/core/pipeline.ts';
import { GUIDANCE_HEADING } from '../../src/core/prompts.ts';
import { ScriptedModelServer } from '../server/scriptedServer.ts';
import { FakeModelClient } from './fakeModelClient.ts';

// Putnam-style statement (DeepTheorem evaluation set, MIT).
const PROBLEM = 'Let $n$ be a positive integer. Prove or disprove that $n^5 - n$ is divisible by $30$ for every $n$.';

const TECHNIQUES = [
  '1. Factorisation: Write $n^5 - n = (n-1)n(n+1)(n^2+1)$.',
  '2. Fermat\'s little theorem: For a prime $p$, $n^p \\equiv n \\pmod p$; apply it with $p = 2, 3, 5$.',
  '3. Chinese remainder theorem: Divisibility by $2$, $3$ and $5$ gives divisibility by $30$.',
].join('\n');
const SKETCH = [
  '1. Show $2 \\mid n^5 - n$ and $3 \\mid n^5 - n$ from the three consecutive factors.',
  '2. Show $5 \\mid n^5 - n$ by Fermat\'s little theorem.',
  '3. Combine with the Chinese remainder theorem.',
].join('\n');
const PROOF = 'By Fermat\'s little theorem $n^5 \\equiv n \\pmod 5$, and $(n-1)n(n+1)$ is divisible by $6$. Hence $30 \\mid n^5 - n$.\n\n\\boxed{proved}';

const ANSWERS: Record<LayerStage, string> = { techniques: TECHNIQUES, sketch: SKETCH, proof: PROOF };

/** The in-memory client answering every stage with the answers above unless scripted otherwise. */
class FakeClient extends FakeModelClient {
  constructor(replies: ConstructorParameters<typeof FakeModelClient>[0] = {}) {
    super(replies, (stage) => ANSWERS[stage as LayerStage]);
  }
}

const SETTINGS: PipelineSettings = { preset: 'deepinsight', model: 'insight-test-model' };

function fresh(): Hierarchy {
  return createHierarchy({ problem: PROBLEM });
}

function record(): { events: PipelineEvent[]; onEvent: (event: PipelineEvent) => void } {
  const events: PipelineEvent[] = [];
  return { events, onEvent: (event) => events.push(event) };
}

function userMessage(request: ChatRequest): string {
  return request.messages.filter((message) => message.role === 'user').map((message) => message.content).join('\n');
}

describe('pipeline with an in-memory client', () => {
  test('runs the three stages in order with start, deltas and done events, each conditioned on the layer above', async () => {
    const client = new FakeClient();
    const { events, onEvent } = record();
    const start = fresh();
    const snapshot = structuredClone(start);
    const result = await runPipeline(start, client, SETTINGS, { onEvent, deltaIntervalMs: 0 });

    assert.deepEqual(start, snapshot, 'the input hierarchy is never mutated');
    assert.deepEqual(client.requests.map((request) => request.stage), ['techniques', 'sketch', 'proof']);
    const kinds = events.map((event) => `${event.type}:${event.stage}`).filter((kind, index, all) => kind !== all[index - 1]);
    assert.deepEqual(kinds, ['stage-start:techniques', 'delta:techniques', 'stage-done:techniques', 'stage-start:sketch', 'delta:sketch', 'stage-done:sketch', 'stage-start:proof', 'delta:proof', 'stage-done:proof']);

    const { techniques, sketch, proof } = result.layers;
    assert.deepEqual([techniques.status, sketch.status, proof.status], ['draft', 'draft', 'draft']);
    assert.deepEqual(techniques.items.map((item) => item.name), ['Factorisation', "Fermat's little theorem", 'Chinese remainder theorem']);
    assert.equal(sketch.steps.length, 3);
    assert.equal(proof.verdict, 'proved');
    assert.equal(techniques.raw, TECHNIQUES);
    assert.equal(techniques.model, 'insight-test-model-served', 'the model the server reports');
    assert.notEqual(result.updatedAt, undefined);

    // Conditioning: what the sketch and proof requests were built from.
    const sketchPrompt = userMessage(client.requests[1]!);
    for (const item of techniques.items) assert.ok(sketchPrompt.includes(item.name) && sketchPrompt.includes(item.detail), item.name);
    const proofPrompt = userMessage(client.requests[2]!);
    for (const step of sketch.steps) assert.ok(proofPrompt.includes(step.text), step.text);
  });

  test('delta events carry the layer growing while it streams, unparsed, and the text added', async () => {
    const client = new FakeClient({ techniques: [{ content: TECHNIQUES, reasoning: 'Factor first, then primes.', chunk: 5 }] });
    const { events, onEvent } = record();
    await runPipeline(fresh(), client, SETTINGS, { stages: ['techniques'], onEvent, deltaIntervalMs: 0 });
    const deltas = events.filter((event): event is Extract<PipelineEvent, { type: 'delta' }> => event.type === 'delta');
    assert.ok(deltas.length > 10);
    let previous = '';
    for (const event of deltas) {
      const layer = event.hierarchy.layers.techniques;
      assert.equal(layer.status, 'generating');
      assert.deepEqual(layer.items, [], 'not parsed while streaming');
      assert.ok(layer.raw.startsWith(previous), 'raw only grows');
      assert.equal(layer.raw, previous + event.content);
      previous = layer.raw;
    }
    assert.equal(previous, TECHNIQUES);
    assert.equal(deltas.map((event) => event.reasoning).join(''), 'Factor first, then primes.');
    assert.equal(deltas.at(-1)!.hierarchy.layers.techniques.reasoning, 'Factor first, then primes.');
    // Each event has its own hierarchy object; layers that did not change are shared, not copied.
    assert.notEqual(deltas[0]!.hierarchy, deltas[1]!.hierarchy);
    assert.equal(deltas[0]!.hierarchy.layers.proof, deltas[1]!.hierarchy.layers.proof);
  });

  test('delta events are throttled, and the text held back is flushed before the stage ends', async () => {
    const long = `${'1. Idea: detail. '.repeat(400)}`;
    const client = new FakeClient({ techniques: [{ content: long, chunk: 3 }] });
    const { events, onEvent } = record();
    const result = await runPipeline(fresh(), client, SETTINGS, { stages: ['techniques'], onEvent, deltaIntervalMs: 10_000 });
    const deltas = events.filter((event): event is Extract<PipelineEvent, { type: 'delta' }> => event.type === 'delta');
    assert.equal(deltas.length, 2, `the first chunk and one flush at the end instead of ${Math.ceil(long.length / 3)} events`);
    assert.equal(deltas.map((event) => event.content).join(''), long, 'the deltas add up to the whole answer');
    assert.equal(deltas[1]!.hierarchy.layers.techniques.status, 'generating');
    assert.equal(result.layers.techniques.raw, long);
  });

  test('cancelling stops promptly, keeps the partial answer as a failed layer and runs nothing else', async () => {
    const controller = new AbortController();
    // A client that ignores the abort: the pipeline must not wait for it.
    const client = new FakeClient({ sketch: [{ content: 'Step one: partial plan', chunk: 4, hangIgnoringAbort: true }] });
    const { events, onEvent } = record();
    const run = runPipeline(fresh(), client, SETTINGS, {
      signal: controller.signal,
      deltaIntervalMs: 0,
      onEvent: (event) => {
        onEvent(event);
        if (event.type === 'delta' && event.stage === 'sketch' && event.hierarchy.layers.sketch.raw.length >= 12) controller.abort();
      },
    });
    const startedAt = Date.now();
    const result = await run;
    assert.ok(Date.now() - startedAt < 1000, 'resolved without waiting for the client');
    const sketch = result.layers.sketch;
    assert.equal(sketch.status, 'failed');
    assert.equal(sketch.raw, 'Step one: pa');
    assert.match(sketch.error!, /^Generation was cancelled; the 12 characters received so far were kept\.$/);
    assert.equal(result.layers.techniques.status, 'draft', 'the finished stage stays');
    assert.equal(result.layers.proof.status, 'empty');
    assert.deepEqual(client.requests.map((request) => request.stage), ['techniques', 'sketch']);
    const failed = events.at(-1)!;
    assert.equal(failed.type, 'stage-failed');
    assert.equal(failed.type === 'stage-failed' && failed.error.kind, 'aborted');
  });

  test('an already cancelled run changes nothing', async () => {
    const client = new FakeClient();
    const start = fresh();
    const result = await runPipeline(start, client, SETTINGS, { signal: AbortSignal.abort() });
    assert.equal(result, start);
    assert.equal(client.requests.length, 0);
  });

  test('a model failure keeps the partial text and reasoning, records the sentence and stops the run', async () => {
    const error = new ModelError('stream-cut', 'The connection to http://127.0.0.1:9/v1 dropped after 10 characters of the answer; the partial answer was kept; try again.', {
      partial: { content: '1. Factoris', reasoning: 'think' },
    });
    const client = new FakeClient({ techniques: [{ content: '1. Factoris', reasoning: 'think', error }] });
    const { events, onEvent } = record();
    const result = await runPipeline(fresh(), client, SETTINGS, { onEvent, deltaIntervalMs: 0 });
    const layer = result.layers.techniques;
    assert.equal(layer.status, 'failed');
    assert.equal(layer.error, error.message);
    assert.equal(layer.raw, '1. Factoris');
    assert.equal(layer.reasoning, 'think');
    assert.equal(result.layers.sketch.status, 'empty');
    assert.equal(client.requests.length, 1, 'later stages do not run');
    const last = events.at(-1)!;
    assert.ok(last.type === 'stage-failed' && last.error.message === error.message && last.error.partial.content === '1. Factoris');
  });

  test('a failure before any delta keeps what the error carries', async () => {
    const error = new ModelError('timeout', 'The model server stalled; raise the timeout.', { partial: { content: 'half an answer', reasoning: '' } });
    const client = new FakeClient({ techniques: [{ error }] });
    const result = await runPipeline(fresh(), client, SETTINGS, { deltaIntervalMs: 0 });
    assert.equal(result.layers.techniques.raw, 'half an answer');
  });

  test('an empty answer is a failure with a sentence, not an empty draft', async () => {
    const client = new FakeClient({ techniques: [{ content: '   ', reasoning: 'long thoughts', finishReason: 'length' }] });
    const result = await runPipeline(fresh(), client, SETTINGS);
    assert.equal(result.layers.techniques.status, 'failed');
    assert.match(result.layers.techniques.error!, /spent the whole token limit on reasoning .* and gave no answer/);
    assert.equal(result.layers.techniques.reasoning, 'long thoughts');
  });

  test('an answer cut off at max tokens is kept with a warning', async () => {
    const client = new FakeClient({ proof: [{ content: 'By Fermat we have $n^5 \\equiv n$ and', finishReason: 'length' }] });
    const result = await runPipeline(fresh(), client, { ...SETTINGS, maxTokens: 64 });
    assert.equal(result.layers.proof.status, 'draft');
    assert.ok(result.layers.proof.warnings?.includes(CUT_OFF_WARNING));
    assert.match(CUT_OFF_WARNING, /^The answer was cut off at the max tokens limit/);
    assert.equal(client.requests[2]!.maxTokens, 64);
  });

  test('an edited layer is not regenerated without the override, and nothing is touched', async () => {
    const client = new FakeClient();
    const done = await runPipeline(fresh(), client, SETTINGS);
    const edited = editLayer(done, 'techniques', '1. **Factorisation** (transformation): $n^5-n=(n-1)n(n+1)(n^2+1)$.');
    const before = structuredClone(edited);
    await assert.rejects(runPipeline(edited, client, SETTINGS, { stages: ['techniques', 'sketch', 'proof'] }), (error: unknown) => {
      assert.ok(error instanceof EditedLayerError);
      assert.equal(error.stage, 'techniques');
      assert.match(error.message, /^The core techniques were edited by hand; .*\.$/);
      return true;
    });
    assert.deepEqual(edited, before);
    assert.equal(client.requests.length, 3, 'no request was made');

    const regenerated = await runPipeline(edited, client, SETTINGS, { stages: ['techniques'], overwriteEdited: true });
    assert.equal(regenerated.layers.techniques.edited, false);
    assert.equal(regenerated.layers.techniques.status, 'draft');
    const kept = regenerated.layers.techniques.alternatives!.at(-1)!;
    assert.equal(kept.edited, true, 'the edit is kept as an alternative');
    assert.equal(kept.items[0]!.name, 'Factorisation');
  });

  test('the edited layers above condition the stages below as they are', async () => {
    const client = new FakeClient();
    const done = await runPipeline(fresh(), client, SETTINGS, { stages: ['techniques'] });
    const edited = editLayer(done, 'techniques', '1. **Parity** (other): $n^5$ and $n$ have the same parity.\n2. **Residues mod 5** (transformation): check the five residues.');
    await runPipeline(edited, client, SETTINGS, { stages: ['sketch'] });
    const prompt = userMessage(client.requests.at(-1)!);
    assert.ok(prompt.includes('Parity: $n^5$ and $n$ have the same parity.'));
    assert.ok(prompt.includes('Residues mod 5: check the five residues.'));
    assert.ok(!prompt.includes('Factorisation'));
  });

  test('regenerating keeps the previous generation as an alternative and marks the layers below stale', async () => {
    const client = new FakeClient({ techniques: [{ content: TECHNIQUES }, { content: '1. Induction: Induct on $n$ using the binomial theorem.' }] });
    const first = await runPipeline(fresh(), client, SETTINGS);
    const second = await runPipeline(first, client, SETTINGS, { stages: ['techniques'], guidance: 'Try induction.' });
    const layer = second.layers.techniques;
    assert.equal(layer.items[0]!.name, 'Induction');
    assert.equal(layer.guidance, 'Try induction.');
    assert.equal(layer.alternatives!.length, 1);
    assert.equal(layer.alternatives![0]!.raw, TECHNIQUES);
    assert.equal(second.layers.sketch.status, 'stale');
    assert.equal(second.layers.proof.status, 'stale');
    const request = client.requests.at(-1)!;
    assert.ok(userMessage(request).endsWith(`${GUIDANCE_HEADING}\nTry induction.`));
  });

  test('guidance goes to the first stage of the run only', async () => {
    const client = new FakeClient();
    const result = await runPipeline(fresh(), client, SETTINGS, { guidance: 'Keep it short.' });
    assert.ok(userMessage(client.requests[0]!).includes('Keep it short.'));
    assert.ok(!userMessage(client.requests[1]!).includes('Keep it short.'));
    assert.equal(result.layers.sketch.guidance, undefined);
  });

  test('a stage whose input layer is missing or failed is refused before anything happens', async () => {
    const client = new FakeClient();
    await assert.rejects(runPipeline(fresh(), client, SETTINGS, { stages: ['sketch'] }), (error: unknown) => {
      assert.ok(error instanceof PipelineInputError);
      assert.match(error.message, /^Generate the core techniques first/);
      return true;
    });
    await assert.rejects(runPipeline(fresh(), client, SETTINGS, { stages: ['techniques', 'proof'] }), /^PipelineInputError: Generate the proof sketch first/);
    const failed = fresh();
    failed.layers.techniques = { ...failed.layers.techniques, status: 'failed', raw: '1. Half', error: 'The connection dropped.' };
    await assert.rejects(runPipeline(failed, client, SETTINGS, { stages: ['sketch'] }), /^PipelineInputError: The core techniques failed; regenerate or edit them before the proof sketch\.$/);
    await assert.rejects(runPipeline(createHierarchy({ problem: '  ' }), client, SETTINGS), /problem statement is empty/);
    await assert.rejects(runPipeline(fresh(), client, { preset: 'deepinsight', model: '' }), /No model id is set for the core techniques/);
    assert.equal(client.requests.length, 0);
  });

  test('per-stage models override the main model', async () => {
    const client = new FakeClient();
    const settings: PipelineSettings = { ...SETTINGS, stageModels: { sketch: 'sketcher', proof: '  ' } };
    await runPipeline(fresh(), client, settings);
    assert.deepEqual(client.requests.map((request) => request.model), ['insight-test-model', 'sketcher', 'insight-test-model']);
    assert.equal(modelForStage(settings, 'review'), 'insight-test-model');
  });

  test('the instruct preset sends the JSON schema for techniques and sketch', async () => {
    const client = new FakeClient({ techniques: [{ content: JSON.stringify({ techniques: [{ name: 'Fermat', kind: 'theorem', detail: '$n^5 \\equiv n \\pmod 5$' }] }) }] });
    const result = await runPipeline(fresh(), client, { ...SETTINGS, preset: 'instruct', temperature: 0.2 });
    assert.deepEqual(client.requests.map((request) => request.jsonSchema?.name), ['core_techniques', 'proof_sketch', undefined]);
    assert.equal(client.requests[0]!.temperature, 0.2);
    assert.deepEqual(result.layers.techniques.items, [{ name: 'Fermat', kind: 'theorem', detail: '$n^5 \\equiv n \\pmod 5$' }]);
  });

  test('the default stages start at the first layer that is not done', async () => {
    const client = new FakeClient();
    const h = fresh();
    assert.deepEqual(defaultStages(h), ['techniques', 'sketch', 'proof']);
    const done = await runPipeline(h, client, SETTINGS);
    assert.deepEqual(defaultStages(done), ['techniques', 'sketch', 'proof']);
    const edited = editLayer(done, 'sketch', '1. Only one step.');
    assert.deepEqual(defaultStages(edited), ['proof'], 'the proof is stale after the sketch was edited');
    await runPipeline(edited, client, SETTINGS);
    assert.equal(client.requests.at(-1)!.stage, 'proof');
  });
});

describe('pipeline against the scripted server over HTTP', () => {
  const server = new ScriptedModelServer({ models: ['insight-test-model', 'sketch-model'] });
  let baseUrl = '';
  before(async () => {
    baseUrl = await server.start();
  });
  after(() => server.close());

  test('three stages stream through the real client; the server sees the stage header, the conditioning and the per-stage model', async () => {
    server.script('techniques', { content: TECHNIQUES, reasoning: 'Factor the polynomial first.', chunkChars: 7 });
    server.script('sketch', { content: `<think>Plan mod 2, 3, 5.</think>\n${SKETCH}` });
    server.script('proof', { content: PROOF, chunkChars: 5 });
    const client = createModelClient({ baseUrl, timeoutMs: 10_000, maxRetries: 0 });
    const { events, onEvent } = record();
    const result = await runPipeline(fresh(), client, { ...SETTINGS, stageModels: { sketch: 'sketch-model' } }, { onEvent, deltaIntervalMs: 0 });

    const requests = server.chatRequests.slice(-3);
    assert.deepEqual(requests.map((request) => request.stage), ['techniques', 'sketch', 'proof']);
    assert.deepEqual(requests.map((request) => request.headers['x-insight-proof-stage']), ['techniques', 'sketch', 'proof']);
    assert.deepEqual(requests.map((request) => request.body.model), ['insight-test-model', 'sketch-model', 'insight-test-model']);
    assert.ok(requests.every((request) => request.body.stream === true));

    const text = (index: number): string => (requests[index]!.body.messages as { role: string; content: string }[]).map((message) => message.content).join('\n');
    assert.ok(text(0).includes(PROBLEM));
    for (const line of TECHNIQUES.split('\n')) assert.ok(text(1).includes(line), `sketch prompt has ${line}`);
    for (const line of SKETCH.split('\n')) assert.ok(text(2).includes(line.replace(/^\d+\. /, '')), `proof prompt has ${line}`);

    assert.equal(result.layers.techniques.reasoning, 'Factor the polynomial first.');
    assert.equal(result.layers.sketch.reasoning, 'Plan mod 2, 3, 5.');
    assert.ok(!result.layers.sketch.raw.includes('<think>'), 'reasoning never reaches the layer text');
    assert.equal(result.layers.sketch.steps.length, 3);
    assert.equal(result.layers.sketch.model, 'sketch-model');
    assert.equal(result.layers.proof.verdict, 'proved');
    assert.ok(events.filter((event) => event.type === 'delta' && event.stage === 'proof').length > 5, 'the proof streamed in');
  });

  test('a stream cut mid-way leaves the partial proof in a failed layer with one sentence', async () => {
    server.script('techniques', { content: TECHNIQUES });
    server.script('sketch', { content: SKETCH });
    server.script('proof', { content: PROOF, chunkChars: 10, cutAfterChars: 40 });
    const client = createModelClient({ baseUrl, timeoutMs: 10_000, maxRetries: 0 });
    const result = await runPipeline(fresh(), client, SETTINGS, { deltaIntervalMs: 0 });
    const proof = result.layers.proof;
    assert.equal(proof.status, 'failed');
    assert.equal(proof.raw, PROOF.slice(0, 40));
    assert.match(proof.error!, /dropped after 40 characters.*partial answer was kept/);
    assert.equal(result.layers.sketch.status, 'draft');
  });

  test('cancelling a slow stream over HTTP keeps what arrived', async () => {
    server.script('techniques', { content: TECHNIQUES, chunkChars: 4, chunkDelayMs: 30 });
    const client = createModelClient({ baseUrl, timeoutMs: 10_000, maxRetries: 0 });
    const controller = new AbortController();
    let abortedAt = 0;
    const result = await runPipeline(fresh(), client, SETTINGS, {
      signal: controller.signal,
      deltaIntervalMs: 0,
      onEvent: (event) => {
        if (event.type === 'delta' && event.hierarchy.layers.techniques.raw.length >= 20 && !abortedAt) {
          abortedAt = Date.now();
          controller.abort();
        }
      },
    });
    assert.ok(Date.now() - abortedAt < 500, 'stopped promptly');
    const layer = result.layers.techniques;
    assert.equal(layer.status, 'failed');
    assert.ok(layer.raw.length >= 20 && TECHNIQUES.startsWith(layer.raw));
    assert.match(layer.error!, /^Generation was cancelled; the \d+ characters received so far were kept\.$/);
  });

  test('an instruct run against a server that rejects response_format still parses the techniques', async () => {
    const json = JSON.stringify({ techniques: [{ name: "Fermat's little theorem", kind: 'theorem', detail: '$n^5 \\equiv n \\pmod 5$.' }] });
    server.script('techniques', { content: json, rejectJsonSchema: true });
    const client = createModelClient({ baseUrl, timeoutMs: 10_000, maxRetries: 0 });
    const result = await runPipeline(fresh(), client, { ...SETTINGS, preset: 'instruct' }, { stages: ['techniques'] });
    assert.deepEqual(result.layers.techniques.items, [{ name: "Fermat's little theorem", kind: 'theorem', detail: '$n^5 \\equiv n \\pmod 5$.' }]);
    const sent = server.chatRequests.slice(-2);
    assert.equal(sent[0]!.body.response_format.json_schema.name, 'core_techniques');
    assert.equal(sent[1]!.body.response_format, undefined);
  });
});
