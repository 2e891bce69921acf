import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  inputKey,
  isComplete,
  latestHierarchies,
  normalizeProblemRecord,
  parseJsonl,
  readProblems,
  readResumeState,
  runBatch,
  runPool,
  type BatchProgress,
} from '../../src/core/batch.ts';
import { ModelError } from '../../src/core/errors.ts';
import type { Hierarchy } from '../../src/core/hierarchy.ts';
import type { PipelineSettings } from '../../src/core/pipeline.ts';
import { FakeModelClient } from './fakeModelClient.ts';

const SAMPLE = readFileSync(new URL('../fixtures/deeptheorem-sample.jsonl', import.meta.url), 'utf8');
const SETTINGS: PipelineSettings = { preset: 'deepinsight', model: 'insight-test-model' };

describe('reading problem sets', () => {
  test('DeepTheorem records become problems with their prompt, name and the record kept verbatim', async () => {
    const { problems, problemLines } = await readProblems(SAMPLE);
    const records = SAMPLE.split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line) as { problem_name: string; prompt: string });
    assert.equal(problemLines.length, 0);
    assert.equal(problems.length, records.length);
    problems.forEach((problem, index) => {
      assert.equal(problem.line, index + 1);
      assert.equal(problem.problem, records[index]!.prompt.trim());
      assert.equal(problem.label, records[index]!.problem_name);
      assert.deepEqual(problem.input, records[index]);
      assert.match(problem.key, /^k-[0-9a-f]{16}-0$/);
    });
    assert.equal(new Set(problems.map((problem) => problem.key)).size, problems.length, 'variants of one problem have distinct keys');
  });

  test('{id, problem} lines are accepted; other lines are reported with their line numbers', async () => {
    const text = [
      '{"id": "sq2", "problem": "Prove that $\\\\sqrt 2$ is irrational."}',
      '',
      '{"id": 7, "problem": "   "}',
      'not json',
      '[1, 2]',
      '{"name": "no text"}',
      '{"problem": "Show that there are infinitely many primes.", "source": "Euclid"}',
    ].join('\n');
    const { problems, problemLines } = await readProblems(text);
    assert.deepEqual(problems.map((problem) => [problem.line, problem.label]), [[1, 'sq2'], [7, 'Show that there are infinitely many primes.']]);
    assert.deepEqual(problemLines.map((problem) => problem.line), [3, 4, 5, 6]);
    assert.match(problemLines[0]!.message, /empty problem statement/);
    assert.match(problemLines[1]!.message, /^not valid JSON/);
    assert.match(problemLines[2]!.message, /expected a JSON object/);
    assert.match(problemLines[3]!.message, /no "problem" or "prompt" text/);
  });

  test('Windows line endings and blank lines are fine', () => {
    assert.deepEqual(parseJsonl('{"a":1}\r\n\r\n{"b":2}\r\n').lines, [{ line: 1, value: { a: 1 } }, { line: 3, value: { b: 2 } }]);
  });

  test('long statements get a short label', () => {
    const result = normalizeProblemRecord({ problem: `Prove that ${'x '.repeat(60)}` });
    assert.ok('label' in result && result.label.length <= 48 && result.label.endsWith('…'));
  });
});

describe('resume keys', () => {
  test('depend on the record, not on its line, and count duplicates', async () => {
    const record = { problem_name: 'p', prompt: 'Prove or disprove that $1 < 2$.', answer: true };
    assert.equal(await inputKey(record), await inputKey({ ...record }));
    assert.notEqual(await inputKey(record), await inputKey({ ...record, answer: false }));
    const line = JSON.stringify(record);
    const first = await readProblems(`${line}\n${line}\n`);
    assert.deepEqual(first.problems.map((problem) => problem.key.slice(-2)), ['-0', '-1']);
    const moved = await readProblems(`{"id": "new", "problem": "Inserted above."}\n${line}\n`);
    assert.equal(moved.problems[1]!.key, first.problems[0]!.key, 'inserting a line above keeps the key');
  });
});

describe('runPool', () => {
  test('never runs more than the given number at once, and runs everything', async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    await runPool(Array.from({ length: 20 }, (_, index) => index), 3, async (item) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 2 + (item % 4)));
      seen.push(item);
      running -= 1;
    });
    assert.equal(most, 3);
    assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 20 }, (_, index) => index));
  });

  test('starts nothing new once the signal aborts; reports the first worker error after all settle', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    await runPool([0, 1, 2, 3, 4, 5], 2, async (item) => {
      started.push(item);
      if (item === 1) controller.abort();
      await new Promise((resolve) => setImmediate(resolve));
    }, controller.signal);
    assert.deepEqual(started, [0, 1]);

    const finished: number[] = [];
    await assert.rejects(
      runPool([0, 1, 2, 3], 2, async (item) => {
        if (item === 0) throw new Error('disk full');
        await new Promise((resolve) => setTimeout(resolve, 5));
        finished.push(item);
      }),
      /disk full/,
    );
    assert.deepEqual(finished, [1, 2, 3]);
  });
});

describe('runBatch', () => {
  test('writes one complete hierarchy per problem as each finishes, concurrently', async () => {
    const { problems } = await readProblems(SAMPLE);
    const client = new FakeModelClient({}, () => ({ content: '1. Idea: detail.', delayMs: 1 }));
    const written: Hierarchy[] = [];
    const progress: BatchProgress[] = [];
    const summary = await runBatch(problems, client, {
      settings: SETTINGS,
      concurrency: 4,
      write: async (hierarchy) => {
        written.push(hierarchy);
      },
      onProgress: (event) => progress.push(event),
    });
    assert.equal(summary.done, problems.length);
    assert.equal(written.length, problems.length);
    assert.equal(client.maxInFlight, 4);
    assert.equal(new Set(written.map((hierarchy) => hierarchy.id)).size, problems.length, 'unique ids');
    for (const hierarchy of written) {
      assert.ok(isComplete(hierarchy));
      const problem = problems.find((entry) => entry.key === hierarchy.inputKey)!;
      assert.deepEqual(hierarchy.input, problem.input);
      assert.equal(hierarchy.problem, problem.problem);
    }
    assert.deepEqual(progress.map((event) => event.counts.done), Array.from({ length: problems.length }, (_, index) => index + 1));
  });

  test('a failing problem is written with its failed layer and the others go on', async () => {
    const { problems } = await readProblems(SAMPLE);
    const target = problems[2]!;
    const client = new FakeModelClient({}, (stage, request) =>
      stage === 'sketch' && request.messages.some((message) => message.content.includes(target.problem))
        ? { content: '1. Half a ste', error: new ModelError('server', 'The model server failed (500); check the server\'s log and try again.', { partial: { content: '1. Half a ste', reasoning: '' } }) }
        : '1. Idea: detail.',
    );
    const written: Hierarchy[] = [];
    const summary = await runBatch(problems, client, { settings: SETTINGS, concurrency: 3, write: async (hierarchy) => void written.push(hierarchy) });
    assert.equal(summary.failed, 1);
    assert.equal(summary.done, problems.length - 1);
    assert.equal(summary.failures[0]!.problem.line, target.line);
    assert.equal(summary.failures[0]!.stage, 'sketch');
    const failed = written.find((hierarchy) => hierarchy.inputKey === target.key)!;
    assert.equal(failed.layers.techniques.status, 'draft');
    assert.equal(failed.layers.sketch.status, 'failed');
    assert.equal(failed.layers.sketch.raw, '1. Half a ste');
    assert.equal(failed.layers.proof.status, 'empty');
  });

  test('resume skips complete problems and continues unfinished ones from their saved state', async () => {
    const { problems } = await readProblems(SAMPLE);
    const chosen = problems.slice(0, 4);
    let failSketch = true;
    const client = new FakeModelClient({}, (stage) => {
      if (stage === 'sketch' && failSketch) {
        failSketch = false;
        return { error: new ModelError('rate-limit', 'The server is rate-limiting requests (429); wait and try again.') };
      }
      return '1. Idea: detail.';
    });
    const lines: string[] = [];
    const write = async (hierarchy: Hierarchy): Promise<void> => void lines.push(JSON.stringify(hierarchy));
    const first = await runBatch(chosen, client, { settings: SETTINGS, concurrency: 1, write });
    assert.equal(first.failed, 1);
    const failedKey = first.failures[0]!.problem.key;
    const requestsBefore = client.requests.length;

    const resume = readResumeState(`${lines.join('\n')}\n{"cut": tru`);
    assert.equal(resume.problemLines.length, 1, 'a line cut by a killed run is reported');
    const second = await runBatch(chosen, client, { settings: SETTINGS, concurrency: 2, write, resume });
    assert.equal(second.skipped, 3);
    assert.equal(second.done, 1);
    const resumedRequests = client.requests.slice(requestsBefore).map((request) => request.stage);
    assert.deepEqual(resumedRequests, ['sketch', 'proof'], 'the techniques already done are not asked for again');

    const all = lines.map((line) => JSON.parse(line) as Hierarchy);
    const versions = all.filter((hierarchy) => hierarchy.inputKey === failedKey);
    assert.equal(versions.length, 2);
    assert.equal(versions[0]!.id, versions[1]!.id, 'the continued hierarchy keeps its id');
    const latest = latestHierarchies(all);
    assert.equal(latest.length, 4);
    assert.ok(latest.every((hierarchy) => isComplete(hierarchy)));
  });

  test('interrupting cancels running problems, writes them as failed, and starts no others', async () => {
    const { problems } = await readProblems(SAMPLE);
    const controller = new AbortController();
    const client = new FakeModelClient({}, () => ({ content: '1. Idea: a fairly long detail that streams slowly.', chunk: 4, delayMs: 5 }));
    const written: Hierarchy[] = [];
    const summary = await runBatch(problems, client, {
      settings: SETTINGS,
      concurrency: 2,
      signal: controller.signal,
      write: async (hierarchy) => void written.push(hierarchy),
      onProgress: (event) => {
        if (event.outcome === 'done') controller.abort();
      },
    });
    assert.equal(summary.done, 1);
    assert.equal(summary.interrupted, 1, 'the other running problem');
    assert.equal(written.length, 2);
    const cancelled = written.find((hierarchy) => !isComplete(hierarchy))!;
    const failedLayer = Object.values(cancelled.layers).find((layer) => layer.status === 'failed')!;
    assert.match(failedLayer.error!, /^Generation was cancelled/);
    const asked = problems.filter((problem) => client.requests.some((request) => request.messages.some((message) => message.content.includes(problem.problem))));
    assert.equal(asked.length, 2, 'no third problem started');
  });
});
