// The pipeline against a model server: CPU cost of streaming, end-to-end overhead of a three-stage
// run, and batch throughput. The server runs in its own process (serverProcess.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { runCli } from '../src/cli/cli.ts';
import { createModelClient } from '../src/core/client.ts';
import { createHierarchy, type LayerStage } from '../src/core/hierarchy.ts';
import { runPipeline, type PipelineSettings } from '../src/core/pipeline.ts';
import { buildStageMessages } from '../src/core/prompts.ts';
import { deepTheoremRecords, hierarchyReadyForProof, PROBLEM, proofAnswer, SKETCH_ANSWER, TECHNIQUES_ANSWER } from './fixtures.ts';
import { BENCH_MODEL, startServerProcess } from './serverProcess.ts';
import { cpuMsSince, median, round, type CaseResult } from './stats.ts';

const SETTINGS: PipelineSettings = { preset: 'deepinsight', model: BENCH_MODEL };
type Log = (message: string) => void;

function client(baseUrl: string) {
  return createModelClient({ baseUrl, timeoutMs: 120_000, maxRetries: 0 });
}

// ---------------------------------------------------------------------------------------------
// Streaming: CPU time of the pipeline consuming a 20,000-token stream vs a bare SDK loop.

export const STREAM_TOKENS = 20_000;
/** One token is about four characters; the server sends one token per SSE event. */
const CHARS_PER_TOKEN = 4;

export async function benchStreaming(log: Log, rounds = 9): Promise<CaseResult> {
  const answer = proofAnswer(STREAM_TOKENS * CHARS_PER_TOKEN);
  const server = await startServerProcess({ '*': { content: answer, chunkChars: CHARS_PER_TOKEN } });
  try {
    const pipelineClient = client(server.baseUrl);
    const start = hierarchyReadyForProof();
    const { messages } = buildStageMessages('proof', start, { preset: 'deepinsight' });
    const sdk = new OpenAI({ baseURL: server.baseUrl, apiKey: 'bench', maxRetries: 0 });

    const pipelineRun = async (): Promise<number> => {
      const cpu = process.cpuUsage();
      let events = 0;
      const result = await runPipeline(start, pipelineClient, SETTINGS, { stages: ['proof'], onEvent: () => (events += 1) });
      const ms = cpuMsSince(cpu);
      if (result.layers.proof.raw !== answer || result.layers.proof.status !== 'draft') throw new Error('The pipeline did not receive the whole stream.');
      return ms;
    };
    const bareRun = async (): Promise<number> => {
      const cpu = process.cpuUsage();
      const stream = await sdk.chat.completions.create({ model: BENCH_MODEL, messages, stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      const ms = cpuMsSince(cpu);
      if (text !== answer) throw new Error('The bare SDK loop did not receive the whole stream.');
      return ms;
    };

    // Warm-up: both paths loaded and compiled before anything is counted.
    for (let warm = 0; warm < 2; warm += 1) {
      await pipelineRun();
      await bareRun();
    }
    const pipeline: number[] = [];
    const bare: number[] = [];
    for (let round_ = 0; round_ < rounds; round_ += 1) {
      // Alternating which goes first, so neither always runs on a freshly collected heap.
      if (round_ % 2 === 0) {
        pipeline.push(await pipelineRun());
        bare.push(await bareRun());
      } else {
        bare.push(await bareRun());
        pipeline.push(await pipelineRun());
      }
    }
    const ratio = median(pipeline) / median(bare);
    log(`streaming: pipeline ${round(median(pipeline), 1)} ms CPU, bare SDK loop ${round(median(bare), 1)} ms CPU, ratio ${round(ratio)}`);
    return {
      id: 'streaming-cpu',
      title: `Streaming CPU, pipeline ÷ bare openai SDK loop (${STREAM_TOKENS.toLocaleString('en-US')}-token SSE stream)`,
      value: round(ratio),
      unit: 'ratio',
      budget: { max: 1.5, text: '≤ 1.5' },
      details: {
        pipelineCpuMs: round(median(pipeline), 1),
        bareSdkCpuMs: round(median(bare), 1),
        pipelineSamplesMs: pipeline.map((value) => round(value, 1)),
        bareSdkSamplesMs: bare.map((value) => round(value, 1)),
        tokens: STREAM_TOKENS,
        answerChars: answer.length,
        rounds,
        what: 'CPU time (user + system) of this process around one proof-stage run of runPipeline (the real client, parsing, throttled delta events) and around a bare `for await` over the openai SDK stream with default options, the same request against the same server process; median of alternating rounds after two warm-up rounds each.',
      },
    };
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// End to end: a three-stage run's wall time over the server's own time.

const STAGE_REPLIES = {
  techniques: { content: TECHNIQUES_ANSWER, chunkChars: 16, chunkDelayMs: 4, firstTokenDelayMs: 150 },
  sketch: { content: SKETCH_ANSWER, chunkChars: 16, chunkDelayMs: 4, firstTokenDelayMs: 150 },
  proof: { content: proofAnswer(1600), chunkChars: 16, chunkDelayMs: 4, firstTokenDelayMs: 150 },
};

export async function benchEndToEnd(log: Log, runs = 7): Promise<CaseResult> {
  const server = await startServerProcess(STAGE_REPLIES);
  try {
    // A fresh client as the first proof of a session has: the SDK is loaded on its first request.
    const modelClient = client(server.baseUrl);
    const samples: { wallMs: number; serverMs: number; overheadMs: number }[] = [];
    for (let run = 0; run < runs; run += 1) {
      await server.reset();
      const started = performance.now();
      const result = await runPipeline(createHierarchy({ problem: PROBLEM }), modelClient, SETTINGS, {});
      const wallMs = performance.now() - started;
      const stages: LayerStage[] = ['techniques', 'sketch', 'proof'];
      if (!stages.every((stage) => result.layers[stage].status === 'draft')) throw new Error('The three-stage run did not complete.');
      const timings = await server.timings();
      if (timings.length !== 3) throw new Error(`Expected 3 server timings, got ${timings.length}.`);
      const serverMs = timings.reduce((sum, timing) => sum + timing.ms, 0);
      samples.push({ wallMs, serverMs, overheadMs: wallMs - serverMs });
    }
    const [cold, ...warm] = samples;
    const overhead = median(warm.map((sample) => sample.overheadMs));
    const serverMs = median(warm.map((sample) => sample.serverMs));
    const allowed = 0.05 * serverMs + 30;
    log(`end to end: ${round(overhead, 1)} ms over ${round(serverMs)} ms of server time (allowed ${round(allowed, 1)} ms); first run ${round(cold!.overheadMs, 1)} ms`);
    return {
      id: 'end-to-end-overhead',
      title: 'End-to-end overhead of a three-stage run over the server\'s own time',
      value: round(overhead, 1),
      unit: 'ms',
      // The budget is relative to the server time measured in this very run.
      budget: { max: round(allowed, 1), text: `≤ 5% of ${round(serverMs)} ms + 30 ms` },
      details: {
        serverMs: round(serverMs, 1),
        wallMs: round(median(warm.map((sample) => sample.wallMs)), 1),
        overheadPercent: round((overhead / serverMs) * 100),
        firstRunOverheadMs: round(cold!.overheadMs, 1),
        samples: samples.map((sample) => ({ wallMs: round(sample.wallMs, 1), serverMs: round(sample.serverMs, 1) })),
        what: 'Wall time of runPipeline for core techniques, sketch and proof minus the time the server process spent on the three requests (request headers in to last byte out). The figure is the median of the runs after the first; the first run also loads the openai SDK and the parsers and is reported as firstRunOverheadMs.',
      },
    };
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Batch: 200 problems at concurrency 16 against a server with a fixed latency.

export async function benchBatch(log: Log, problems = 200, concurrency = 16, latencyMs = 100): Promise<CaseResult> {
  const replies = {
    techniques: { content: TECHNIQUES_ANSWER, chunkChars: 4096, firstTokenDelayMs: latencyMs },
    sketch: { content: SKETCH_ANSWER, chunkChars: 4096, firstTokenDelayMs: latencyMs },
    proof: { content: proofAnswer(1200), chunkChars: 4096, firstTokenDelayMs: latencyMs },
  };
  const server = await startServerProcess(replies);
  const dir = mkdtempSync(join(tmpdir(), 'insight-proof-bench-batch-'));
  try {
    const records = deepTheoremRecords();
    const lines = Array.from({ length: problems }, (_, index) => {
      const record = records[index % records.length]!;
      return JSON.stringify({ ...record, problem_name: `${record.problem_name}#${index}` });
    });
    writeFileSync(join(dir, 'problems.jsonl'), `${lines.join('\n')}\n`);
    let stderr = '';
    const started = performance.now();
    const code = await runCli(['batch', '--in', 'problems.jsonl', '--out', 'results.jsonl', '--concurrency', String(concurrency), '--base-url', server.baseUrl, '--model', BENCH_MODEL, '--retries', '0'], {
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
      cwd: dir,
      signal: new AbortController().signal,
    });
    const wallMs = performance.now() - started;
    if (code !== 0) throw new Error(`The batch failed:\n${stderr.split('\n').slice(-5).join('\n')}`);
    const timings = await server.timings();
    const idealMs = (problems * 3 * latencyMs) / concurrency;
    const ratio = wallMs / idealMs;
    log(`batch: ${round(wallMs)} ms for ${problems} problems, ideal ${idealMs} ms, ratio ${round(ratio, 3)}`);
    return {
      id: 'batch',
      title: `Batch of ${problems} problems at concurrency ${concurrency}, wall ÷ ideal`,
      value: round(ratio, 3),
      unit: 'ratio',
      budget: { max: 1.15, text: '≤ 1.15' },
      details: {
        wallMs: round(wallMs),
        idealMs,
        latencyMs,
        requests: timings.length,
        meanServerMs: round(timings.reduce((sum, timing) => sum + timing.ms, 0) / timings.length, 1),
        what: 'The CLI `batch` command in process (progress lines, results appended to a JSONL file) against a server answering every request after a fixed delay; ideal = problems × stages × latency ÷ concurrency. With three stages run one after the other per problem and 200 = 12.5 × 16, the best possible schedule is 13 × 3 × latency, a ratio of 1.04.',
      },
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
