// The demo model of `npm start -- --demo-model`: every sample theorem gets a recorded answer that
// goes through the real client, pipeline and parsers without a single warning, with the verdict of
// the dataset's answer key; anything else gets a plain "this is a demo" in every layer.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEMO_MODEL_ID as SERVED_DEMO_ID, DEMO_OWNER as SERVED_DEMO_OWNER, NOT_A_SAMPLE, loadAnswers, startDemoServer, type DemoServer } from '../../demo/server.mjs';
import { createModelClient } from '../../src/core/client.ts';
import { createHierarchy, type Hierarchy } from '../../src/core/hierarchy.ts';
import { DEMO_MODEL_ID, DEMO_OWNER, isDemoModel, probeModels } from '../../src/core/localServers.ts';
import { detectTheorems } from '../../src/core/markdown.ts';
import { runPipeline, type PipelineSettings } from '../../src/core/pipeline.ts';
import { isProveOrDisprove } from '../../src/core/prompts.ts';

const repoRoot = join(import.meta.dirname, '..', '..');
const workbook = readFileSync(join(repoRoot, 'samples', 'workbook.md'), 'utf8');
const theorems = detectTheorems(workbook);

/** The workbook's answer key: the competition statements in order, as the dataset labels them. */
const EXPECTED_VERDICTS = ['proved', 'proved', 'proved', 'disproved'];

let demo: DemoServer;

before(async () => {
  demo = await startDemoServer({ pace: { firstTokenDelayMs: 0, chunkDelayMs: 0, chunkChars: 64 } });
});
after(() => demo.close());

async function prove(problem: string, settings: Partial<PipelineSettings> = {}): Promise<Hierarchy> {
  const client = createModelClient({ baseUrl: demo.baseUrl, timeoutMs: 10_000, maxRetries: 0 });
  return runPipeline(createHierarchy({ problem }), client, { preset: 'deepinsight', model: DEMO_MODEL_ID, ...settings }, { deltaIntervalMs: 0 });
}

describe('the demo model', () => {
  test('says it is the demo in its model list, in the words the extension looks for', async () => {
    assert.equal(SERVED_DEMO_ID, DEMO_MODEL_ID);
    assert.equal(SERVED_DEMO_OWNER, DEMO_OWNER);
    const probe = await probeModels(globalThis.fetch, demo.baseUrl);
    assert.equal(probe.kind, 'models');
    assert.ok(probe.kind === 'models' && isDemoModel(probe.models, DEMO_MODEL_ID));
  });

  test('has one recorded answer per sample theorem of the workbook, and no others', () => {
    assert.equal(theorems.length, 8);
    assert.equal(loadAnswers().length, theorems.length);
  });

  for (const theorem of theorems) {
    test(`proves "${theorem.statement.slice(0, 60).replace(/\n/g, ' ')}…" with three clean layers`, async () => {
      const hierarchy = await prove(theorem.statement);
      const { techniques, sketch, proof } = hierarchy.layers;
      assert.deepEqual([techniques.status, sketch.status, proof.status], ['draft', 'draft', 'draft']);
      for (const layer of [techniques, sketch, proof]) {
        assert.deepEqual(layer.warnings ?? [], [], 'the recorded answer parses without a warning');
        assert.equal(layer.model, DEMO_MODEL_ID);
      }
      assert.ok(techniques.items.length >= 2, 'at least two core techniques');
      for (const item of techniques.items) {
        assert.ok(item.name.length > 3 && item.name.length <= 60, `a short technique name: "${item.name}"`);
        assert.ok(item.detail.length > 20, `a technique with an explanation: "${item.name}"`);
      }
      assert.ok(sketch.steps.length >= 2 && sketch.steps.length <= 6, 'a short sketch');
      assert.ok(proof.text.length > 300, 'a complete proof');
      assert.doesNotMatch(proof.text, /demo/i);
      if (isProveOrDisprove(theorem.statement)) {
        const index = theorems.filter((other) => isProveOrDisprove(other.statement)).indexOf(theorem);
        assert.equal(proof.verdict, EXPECTED_VERDICTS[index], 'the verdict of the answer key');
      } else {
        assert.equal(proof.verdict ?? null, null);
        assert.doesNotMatch(proof.text, /\\boxed/);
      }
    });
  }

  test('recognises a sample theorem under the instruct preset too', async () => {
    const hierarchy = await prove(theorems[1]!.statement, { preset: 'instruct' });
    assert.deepEqual(Object.values(hierarchy.layers).map((layer) => layer.status), ['draft', 'draft', 'draft']);
    assert.match(hierarchy.layers.proof.text, /N = p_1 p_2 \\cdots p_k \+ 1/);
  });

  test('answers any other statement, in every layer, that it is a demo and how to connect a real model', async () => {
    const hierarchy = await prove('**Theorem.** Every bounded monotone sequence of real numbers converges.');
    const { techniques, sketch, proof } = hierarchy.layers;
    assert.deepEqual([techniques.status, sketch.status, proof.status], ['draft', 'draft', 'draft']);
    assert.equal(techniques.items.length, 1);
    assert.match(techniques.items[0]!.name, /^Demo model, not a real one$/);
    assert.match(techniques.items[0]!.detail, /only replays recorded answers for the sample theorems in samples\/workbook\.md.*serve a real model/);
    assert.match(sketch.steps[0]!.text, /knows only the sample theorems/);
    assert.equal(proof.text, NOT_A_SAMPLE.proof);
  });

  test('refuses to grade proofs, saying so, and serves no other model', async () => {
    const review = await fetch(`${demo.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-insight-proof-stage': 'review' },
      body: JSON.stringify({ model: DEMO_MODEL_ID, messages: [{ role: 'user', content: 'Grade this proof.' }] }),
    });
    assert.equal(review.status, 400);
    assert.match(((await review.json()) as { error: { message: string } }).error.message, /does not grade proofs/);

    const hierarchy = await prove(theorems[0]!.statement, { model: 'gpt-4o' });
    assert.equal(hierarchy.layers.techniques.status, 'failed');
    assert.match(hierarchy.layers.techniques.error ?? '', /Model "gpt-4o" was not found/);
  });
});
