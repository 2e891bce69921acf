// The fault matrix: every way a model server fails, injected for every stage (core techniques,
// proof sketch, proof, review), through the real client and the real `openai` SDK over HTTP against
// the scripted server. For each cell the test checks
//   - the outcome (failed / retried, then succeeded / ...) and how many requests reached the server,
//   - the exact sentence the person sees (an error, a retry notice, or a parser warning),
//   - that nothing already generated or typed is lost: the layers above the failing one are
//     unchanged, the failing layer keeps every character that arrived (and its earlier version as
//     an alternative), the layers below are untouched; a failed review leaves the hierarchy as it was.
// The same data writes docs/fault-matrix.md (INSIGHT_PROOF_WRITE_FAULT_MATRIX=1); a test fails when
// the committed document no longer matches.
//
// Every cell starts from the same hierarchy: the person typed the core techniques, and an earlier
// run generated the sketch and the proof from them. A techniques cell regenerates the techniques
// (the person confirmed: overwriteEdited), a sketch cell the sketch, a proof cell the sketch and
// then the proof (so one layer above the failing one is generated in the same run), a review cell
// reviews the proof. Only the requests of the stage under test see the fault; the others reach a
// healthy server.
import './setup.ts';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createModelClient, type ModelClient } from '../../src/core/client.ts';
import { ModelError } from '../../src/core/errors.ts';
import { createHierarchy, LAYER_STAGES, type Hierarchy, type LayerStage, type RequestStage } from '../../src/core/hierarchy.ts';
import { editLayer } from '../../src/core/layers.ts';
import { runPipeline, type PipelineEvent, type PipelineSettings } from '../../src/core/pipeline.ts';
import type { PresetName } from '../../src/core/prompts.ts';
import { ReviewParseError, runReview } from '../../src/core/review.ts';
import { runCli } from '../../src/cli/cli.ts';
import { closedPort, ScriptedModelServer, type ScriptedReply } from '../server/scriptedServer.ts';
import { FakeModelClient } from './fakeModelClient.ts';

const MODEL = 'insight-test-model';
const MISSING_MODEL = 'no-such-model';
const UNRESOLVABLE_HOST = 'insight-proof-fault-matrix.invalid';
const DOC_PATH = fileURLToPath(new URL('../../docs/fault-matrix.md', import.meta.url));
const REGENERATE = 'INSIGHT_PROOF_WRITE_FAULT_MATRIX=1 node --test test/unit/faultMatrix.test.ts';

/** Retries in these tests, as in the extension (the CLI's default is 3); backoff from 20 ms, doubling, jitter fixed at the middle. */
const MAX_RETRIES = 2;
const RETRY_BASE_MS = 20;
/** Generous, so a loaded machine never times out a healthy cell; the timeout cell sets its own. */
const DEFAULT_TIMEOUT_MS = 30_000;
const SHORT_TIMEOUT_MS = 300;
/** Where a partial answer is cut, and the SSE chunk size the broken-chunk fault follows. */
const CUT_AT = 40;
const CHUNK_CHARS = 16;
const TWO_MB = 2 * 1024 * 1024;

// Putnam-style statement (DeepTheorem evaluation set, MIT).
const PROBLEM = 'Let $n$ be a positive integer. Prove or disprove that $n^5 - n$ is divisible by $30$ for every $n$.';
const TYPED_TECHNIQUES = [
  '1. Factorisation: Write $n^5 - n = (n-1)n(n+1)(n^2+1)$.',
  "2. Fermat's little theorem: $n^5 \\equiv n \\pmod 5$.",
].join('\n');
const EARLIER_SKETCH = '1. Three consecutive factors give $6 \\mid n^5 - n$.\n2. Fermat gives $5 \\mid n^5 - n$.';
const EARLIER_PROOF = 'Since $(n-1)n(n+1)$ is divisible by $6$ and $n^5 \\equiv n \\pmod 5$, $30 \\mid n^5 - n$.\n\n\\boxed{proved}';

type MatrixStage = RequestStage;
const MATRIX_STAGES: readonly MatrixStage[] = ['techniques', 'sketch', 'proof', 'review'];
const STAGE_NAMES: Record<MatrixStage, string> = { techniques: 'Core techniques', sketch: 'Proof sketch', proof: 'Proof', review: 'Review' };

/** The answer each stage gets when nothing goes wrong. */
const ANSWERS: Record<MatrixStage, string> = {
  techniques: [
    '1. Factorisation: Write $n^5 - n = (n-1)n(n+1)(n^2+1)$, a product with three consecutive integers.',
    "2. Fermat's little theorem: For the prime $5$, $n^5 \\equiv n \\pmod 5$.",
    '3. Chinese remainder theorem: Divisibility by $2$, $3$ and $5$ gives divisibility by $30$.',
  ].join('\n'),
  sketch: [
    '1. Show $2 \\mid n^5 - n$ and $3 \\mid n^5 - n$ from the consecutive factors $(n-1)n(n+1)$.',
    "2. Show $5 \\mid n^5 - n$ by Fermat's little theorem.",
    '3. Combine the three primes with the Chinese remainder theorem.',
  ].join('\n'),
  proof: [
    'Write $n^5 - n = (n-1)n(n+1)(n^2+1)$. Among three consecutive integers one is even and one is a multiple of $3$, so $6 \\mid n^5 - n$.',
    "By Fermat's little theorem $n^5 \\equiv n \\pmod 5$, so $5 \\mid n^5 - n$. As $2$, $3$, $5$ are pairwise coprime, $30 \\mid n^5 - n$.",
    '',
    '\\boxed{proved}',
  ].join('\n'),
  review: '{"validity": 0.9, "completeness": 0.8, "correctness": 1, "clarity": 0.7, "explanation": "Correct and complete; the coprimality step is brief."}',
};
/** The sketch a proof cell generates first (a layer generated in the same run, above the failing one). */
const RUN_SKETCH = '1. Factor $n^5 - n$.\n2. Check the primes $2$, $3$ and $5$ one by one.\n3. Conclude with the Chinese remainder theorem.';

/** A 2 MB answer of the stage's usual shape. */
function twoMegabyteAnswer(stage: MatrixStage): string {
  const fill = (unit: string) => unit.repeat(Math.ceil(TWO_MB / unit.length)).slice(0, TWO_MB);
  switch (stage) {
    case 'techniques':
      return fill('1. Telescoping: Rewrite each term as a difference $a_k - a_{k+1}$ and cancel the inner terms.\n');
    case 'sketch':
      return fill('1. Reduce modulo $5$ and check the five residues $0, 1, 2, 3, 4$ one after the other.\n');
    case 'proof':
      return `${fill('By Fermat\'s little theorem $n^5 \\equiv n \\pmod 5$ for every integer $n$. ').slice(0, TWO_MB - 16)}\n\n\\boxed{proved}`;
    case 'review': {
      const head = '{"validity": 0.9, "completeness": 0.8, "correctness": 1, "clarity": 0.7, "explanation": "';
      return `${head}${fill('The proof is correct. ').slice(0, TWO_MB - head.length - 2)}"}`;
    }
  }
}

/** JSON that breaks off mid-answer, as a model cut short in the instruct preset writes it. */
const BROKEN_JSON: Partial<Record<MatrixStage, string>> = {
  techniques: '{"techniques": [{"name": "Factorisation", "kind": "transformation", "detail": "Write $n^5 - n = (n-1)n(n+1)(n^2+1)$."}, {"name": "Fermat\'s little theorem", "kind": "theorem", "detail": "Apply it with $p = 5',
  sketch: '{"steps": [{"text": "Show $6 \\\\mid (n-1)n(n+1)$."}, {"text": "Show $5 \\\\mid n^5 - n$ by Fermat',
  review: '{"validity": 0.9, "completeness": 0.8, "correctness": 1, "clar',
};
const REASONING = 'The factor $(n-1)n(n+1)$ handles $2$ and $3$; for $5$ I need Fermat. Let me check the residues modulo 5 first';

// ---------------------------------------------------------------------------------------------
// The matrix as data

type Outcome = 'failed' | 'failed after retries' | 'retried, then succeeded' | 'succeeded' | 'kept as one item with a warning';

interface Cell {
  /** What the scripted server answers to this stage's requests, in order. */
  replies: ScriptedReply[];
  /** Where this stage's requests go instead of the scripted server. */
  endpoint?: 'closed-port' | 'unresolvable-host';
  /** The model id this stage asks for (default: one the server has). */
  model?: string;
  timeoutMs?: number;
  preset?: PresetName;
  outcome: Outcome;
  /** Chat requests of this stage that reached the scripted server. */
  requests: number;
  /** The sentence the person sees; {baseUrl} and {closedUrl} stand for the addresses of the run. Undefined: nothing to see. */
  message?: string;
  /** Where that sentence appears. */
  shownAs?: 'error' | 'warning';
  /** Retry notices the client logs on the way (the CLI always prints them; the extension logs them). */
  notices: string[];
  /** The text the stage ends up holding: the partial answer of a failed stage, the answer of a successful one. */
  kept: string;
  /** Reasoning the stage ends up holding. */
  keptReasoning?: string;
  /** At least this long (a Retry-After that must be honoured). */
  minDurationMs?: number;
}

interface Fault {
  id: string;
  title: string;
  /** How the fault is injected, for the document. */
  how: string;
  /** The cell for a stage, or why the fault does not apply to it. */
  cell(stage: MatrixStage): Cell | { notApplicable: string };
}

const serverError = (status: number, body: string) => `The model server failed (${status}: ${body})`;
const DEFAULT_5XX_BODY = 'The server had an error while processing your request';

function retryNotice(stage: MatrixStage, reason: string, retry: number, waitMs: number): string {
  return `The ${stage} request failed (${reason}); retry ${retry} of ${MAX_RETRIES} in ${waitMs} ms.`;
}

/** The exponential backoff with the jitter fixed at 0.5: base·2^retry·(1/2 + 1/4). */
function backoffMs(retry: number): number {
  return Math.round(RETRY_BASE_MS * 2 ** retry * 0.75);
}

const CONTEXT_ERROR_BODY = {
  error: {
    message: "This model's maximum context length is 4096 tokens. However, your messages resulted in 5012 tokens. Please reduce the length of the messages.",
    type: 'invalid_request_error',
    param: 'messages',
    code: 'context_length_exceeded',
  },
};

function retriedStatus(status: number, reason: string): Fault[] {
  return [
    {
      id: `${status}-then-ok`,
      title: `${status}, then an answer`,
      how: `The first request gets HTTP ${status} with OpenAI's error body; the second, the answer.`,
      cell: (stage) => ({
        replies: [{ status }, { content: ANSWERS[stage] }],
        outcome: 'retried, then succeeded',
        requests: 2,
        notices: [retryNotice(stage, `${status} ${reason}.`, 1, backoffMs(0))],
        kept: ANSWERS[stage],
      }),
    },
    {
      id: `${status}-exhausted`,
      title: `${status} on every attempt`,
      how: `Every request gets HTTP ${status}; the client retries ${MAX_RETRIES} times with exponential backoff.`,
      cell: (stage) => ({
        replies: [{ status }, { status }, { status }],
        outcome: 'failed after retries',
        requests: MAX_RETRIES + 1,
        message: `${serverError(status, DEFAULT_5XX_BODY)} after ${MAX_RETRIES + 1} attempts; check the server's log and try again.`,
        shownAs: 'error',
        notices: [retryNotice(stage, `${status} ${reason}.`, 1, backoffMs(0)), retryNotice(stage, `${status} ${reason}.`, 2, backoffMs(1))],
        kept: '',
      }),
    },
  ];
}

const FAULTS: Fault[] = [
  {
    id: 'server-down',
    title: 'Server down',
    how: 'The stage\'s request goes to a TCP port on 127.0.0.1 where nothing listens (the stages before it reach the server).',
    cell: () => ({
      replies: [],
      endpoint: 'closed-port',
      outcome: 'failed',
      requests: 0,
      message: 'Could not connect to {closedUrl}; start the model server or fix the base URL setting (insightProof.baseUrl / --base-url).',
      shownAs: 'error',
      notices: [],
      kept: '',
    }),
  },
  {
    id: 'dns',
    title: 'DNS failure',
    how: `The stage's request goes to http://${UNRESOLVABLE_HOST}/v1 (the .invalid top-level domain never resolves).`,
    cell: () => ({
      replies: [],
      endpoint: 'unresolvable-host',
      outcome: 'failed',
      requests: 0,
      message: `Could not resolve the host name "${UNRESOLVABLE_HOST}"; check the base URL setting (insightProof.baseUrl / --base-url) and your network connection.`,
      shownAs: 'error',
      notices: [],
      kept: '',
    }),
  },
  {
    id: '401',
    title: '401 Unauthorized',
    how: "HTTP 401 with OpenAI's `invalid_api_key` body (a key is configured).",
    cell: () => ({
      replies: [{ status: 401 }],
      outcome: 'failed',
      requests: 1,
      message: 'The server rejected the API key (401); set a valid key with the "Insight Proof: Set API Key" command (or INSIGHT_PROOF_API_KEY for the CLI).',
      shownAs: 'error',
      notices: [],
      kept: '',
    }),
  },
  {
    id: '403',
    title: '403 Forbidden',
    how: "HTTP 403 with OpenAI's `permission_denied` body.",
    cell: () => ({
      replies: [{ status: 403 }],
      outcome: 'failed',
      requests: 1,
      message: `The server rejected the API key for model "${MODEL}" (403: access denied); check the key's permissions or set another key with the "Insight Proof: Set API Key" command (or INSIGHT_PROOF_API_KEY for the CLI).`,
      shownAs: 'error',
      notices: [],
      kept: '',
    }),
  },
  {
    id: '404-model',
    title: '404 model not found',
    how: `The stage asks for "${MISSING_MODEL}", which the server does not serve: HTTP 404 \`model_not_found\`; the client then lists the server's models to name them.`,
    cell: () => ({
      replies: [],
      model: MISSING_MODEL,
      outcome: 'failed',
      requests: 1,
      message: `Model "${MISSING_MODEL}" was not found on {baseUrl} (available: ${MODEL}); pick one with the model setting (insightProof.model / --model).`,
      shownAs: 'error',
      notices: [],
      kept: '',
    }),
  },
  {
    id: '400-context',
    title: '400 context too long',
    how: "HTTP 400 with OpenAI's `context_length_exceeded` body.",
    cell: () => ({
      replies: [{ status: 400, errorBody: CONTEXT_ERROR_BODY }],
      outcome: 'failed',
      requests: 1,
      message:
        "The request does not fit in the model's context window (400: This model's maximum context length is 4096 tokens); shorten the problem or lower the max tokens setting (insightProof.maxTokens / --max-tokens).",
      shownAs: 'error',
      notices: [],
      kept: '',
    }),
  },
  {
    id: '429-retry-after',
    title: '429 with Retry-After',
    how: 'HTTP 429 with `Retry-After: 1`, then the answer. The client waits the full second (not its own shorter backoff).',
    cell: (stage) => ({
      replies: [{ status: 429, retryAfterSeconds: 1 }, { content: ANSWERS[stage] }],
      outcome: 'retried, then succeeded',
      requests: 2,
      notices: [retryNotice(stage, '429 Rate limit reached for requests.', 1, 1000)],
      kept: ANSWERS[stage],
      minDurationMs: 990,
    }),
  },
  {
    id: '429-then-ok',
    title: '429 without Retry-After, then an answer',
    how: 'HTTP 429 without Retry-After, then the answer; the client backs off exponentially.',
    cell: (stage) => ({
      replies: [{ status: 429 }, { content: ANSWERS[stage] }],
      outcome: 'retried, then succeeded',
      requests: 2,
      notices: [retryNotice(stage, '429 Rate limit reached for requests.', 1, backoffMs(0))],
      kept: ANSWERS[stage],
    }),
  },
  {
    id: '429-exhausted',
    title: '429 without Retry-After on every attempt',
    how: `HTTP 429 on every request; the client retries ${MAX_RETRIES} times with exponential backoff.`,
    cell: (stage) => ({
      replies: [{ status: 429 }, { status: 429 }, { status: 429 }],
      outcome: 'failed after retries',
      requests: MAX_RETRIES + 1,
      message: `The server is rate-limiting requests (429) after ${MAX_RETRIES + 1} attempts; wait and try again.`,
      shownAs: 'error',
      notices: [retryNotice(stage, '429 Rate limit reached for requests.', 1, backoffMs(0)), retryNotice(stage, '429 Rate limit reached for requests.', 2, backoffMs(1))],
      kept: '',
    }),
  },
  ...retriedStatus(500, DEFAULT_5XX_BODY),
  ...retriedStatus(502, DEFAULT_5XX_BODY),
  ...retriedStatus(503, DEFAULT_5XX_BODY),
  {
    id: 'first-token-timeout',
    title: 'Timeout before the first token',
    how: `The server sends the response headers, then nothing for 10 s; the stage's timeout is ${SHORT_TIMEOUT_MS / 1000} s. A timeout is not retried: the next attempt would wait as long again.`,
    cell: (stage) => ({
      replies: [{ content: ANSWERS[stage], firstTokenDelayMs: 10_000 }],
      timeoutMs: SHORT_TIMEOUT_MS,
      outcome: 'failed',
      requests: 1,
      message: `The model server at {baseUrl} sent no answer within ${SHORT_TIMEOUT_MS / 1000} s; raise the timeout setting (insightProof.requestTimeoutSeconds / --timeout) if the model is just slow, or check the server.`,
      shownAs: 'error',
      notices: [],
      kept: '',
    }),
  },
  {
    id: 'stream-cut',
    title: 'Stream cut mid-way',
    how: `The server closes the connection after ${CUT_AT} characters of the answer (no final chunk, no [DONE]). Not retried: text had arrived.`,
    cell: (stage) => ({
      replies: [{ content: ANSWERS[stage], cutAfterChars: CUT_AT, chunkChars: CHUNK_CHARS }],
      outcome: 'failed',
      requests: 1,
      message: `The connection to {baseUrl} dropped after ${CUT_AT} characters of the answer; the partial answer was kept; try again.`,
      shownAs: 'error',
      notices: [],
      kept: ANSWERS[stage].slice(0, CUT_AT),
    }),
  },
  {
    id: 'empty',
    title: 'Empty answer',
    how: 'A well-formed stream whose content is empty.',
    cell: () => ({
      replies: [{ content: '' }],
      outcome: 'failed',
      requests: 1,
      message: 'The model returned an empty answer; try again, or check the model setting (insightProof.model / --model) and the prompt template.',
      shownAs: 'error',
      notices: [],
      kept: '',
    }),
  },
  {
    id: 'malformed-sse',
    title: 'Malformed JSON in the stream',
    how: `After the first ${CHUNK_CHARS}-character chunk the server sends an SSE data line with broken JSON.`,
    cell: (stage) => ({
      replies: [{ content: ANSWERS[stage], malformedChunk: true, chunkChars: CHUNK_CHARS }],
      outcome: 'failed',
      requests: 1,
      message: `The model server sent malformed data after ${CHUNK_CHARS} characters; the partial answer was kept; try again or check the server.`,
      shownAs: 'error',
      notices: [],
      kept: ANSWERS[stage].slice(0, CHUNK_CHARS),
    }),
  },
  {
    id: 'broken-json-answer',
    title: 'A JSON answer that does not parse',
    how: 'Instruct preset (JSON answers): the model\'s JSON breaks off mid-way. The review asks for JSON in every preset.',
    cell: (stage) => {
      const answer = BROKEN_JSON[stage];
      if (answer === undefined) return { notApplicable: 'the proof is plain text in both presets' };
      if (stage === 'review') {
        return {
          replies: [{ content: answer }],
          outcome: 'failed',
          requests: 1,
          message: "The judge's answer has no usable clarity score; try again or choose a judge model that follows the rubric.",
          shownAs: 'error',
          notices: [],
          kept: answer,
        };
      }
      const noun = stage === 'techniques' ? 'techniques; it is shown as one item' : 'steps; it is shown as one step';
      const action = ', which you can edit into a list or regenerate';
      return {
        replies: [{ content: answer }],
        preset: 'instruct',
        outcome: 'kept as one item with a warning',
        requests: 1,
        message: `The model's answer could not be split into ${noun}${action}.`,
        shownAs: 'warning',
        notices: [],
        kept: answer,
      };
    },
  },
  {
    id: '2mb',
    title: 'A 2 MB answer',
    how: 'A 2 MiB answer streamed in 4 KiB chunks.',
    cell: (stage) => {
      const answer = twoMegabyteAnswer(stage);
      return { replies: [{ content: answer, chunkChars: 4096 }], outcome: 'succeeded', requests: 1, notices: [], kept: answer };
    },
  },
  {
    id: 'reasoning-only',
    title: 'Reasoning only, no answer',
    how: 'The stream carries `reasoning_content` and stops (finish reason `length`) before any answer text.',
    cell: () => ({
      replies: [{ reasoning: REASONING, content: '', finishReason: 'length' }],
      outcome: 'failed',
      requests: 1,
      message: `The model spent the whole token limit on reasoning (${REASONING.length} characters) and gave no answer; raise the max tokens setting (insightProof.maxTokens / --max-tokens) so it can finish, or try again.`,
      shownAs: 'error',
      notices: [],
      kept: '',
      keptReasoning: REASONING,
    }),
  },
];

// ---------------------------------------------------------------------------------------------
// Running one cell


/** One sentence that says what to do: a single final period, no line break, an imperative after a semicolon. */
function assertActionableSentence(message: string): void {
  assert.doesNotMatch(message, /\n/, `a line break in: ${message}`);
  assert.match(message, /[^.]\.$/, `does not end with one period: ${message}`);
  assert.doesNotMatch(message.slice(0, -1), /[.!?]\s+[A-Z]/, `more than one sentence: ${message}`);
  assert.match(message, /; (?:the partial answer was kept; )?(?:set|start|check|raise|shorten|pick|try|wait|choose|fix)\b/, `no action to take in: ${message}`);
}

/** A client that sends one stage's requests to `faulty` and every other request to `healthy`. */
function routeStage(stage: MatrixStage, faulty: ModelClient, healthy: ModelClient): ModelClient {
  return {
    chat: (request, onDelta) => (request.stage === stage ? faulty : healthy).chat(request, onDelta),
    listModels: (signal) => healthy.listModels(signal),
  };
}

interface LogLine {
  level: 'info' | 'warn' | 'error' | 'debug';
  message: string;
}

function collectingLogger(lines: LogLine[]) {
  return {
    info: (message: string) => lines.push({ level: 'info', message }),
    warn: (message: string) => lines.push({ level: 'warn', message }),
    error: (message: string) => lines.push({ level: 'error', message }),
    debug: (message: string) => lines.push({ level: 'debug', message }),
  };
}

/** The hierarchy every cell starts from: techniques typed by the person, sketch and proof generated from them earlier. */
async function startingHierarchy(): Promise<Hierarchy> {
  const typed = editLayer(createHierarchy({ problem: PROBLEM }), 'techniques', TYPED_TECHNIQUES);
  const earlier = new FakeModelClient({ sketch: [{ content: EARLIER_SKETCH }], proof: [{ content: EARLIER_PROOF }] });
  const start = await runPipeline(typed, earlier, { preset: 'deepinsight', model: MODEL }, { stages: ['sketch', 'proof'] });
  assert.deepEqual(LAYER_STAGES.map((stage) => start.layers[stage].status), ['accepted', 'draft', 'draft']);
  assert.equal(start.layers.techniques.edited, true);
  return start;
}

interface CellRun {
  server: ScriptedModelServer;
  substitute(template: string): string;
  logs: LogLine[];
  stageRequests(): number;
  durationMs: number;
}

async function withCellServer(stage: MatrixStage, cell: Cell, body: (client: ModelClient, run: Omit<CellRun, 'durationMs'>) => Promise<void>): Promise<number> {
  const server = new ScriptedModelServer({ models: [MODEL] });
  const baseUrl = await server.start();
  const closedUrl = `http://127.0.0.1:${await closedPort()}/v1`;
  try {
    server.script(stage, ...cell.replies);
    if (stage === 'proof') server.script('sketch', { content: RUN_SKETCH });
    const logs: LogLine[] = [];
    const endpoint = cell.endpoint === 'closed-port' ? closedUrl : cell.endpoint === 'unresolvable-host' ? `http://${UNRESOLVABLE_HOST}/v1` : baseUrl;
    const options = { retryBaseDelayMs: RETRY_BASE_MS, random: () => 0.5 };
    const faulty = createModelClient({ baseUrl: endpoint, apiKey: 'sk-fault-matrix-key', timeoutMs: cell.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxRetries: MAX_RETRIES }, collectingLogger(logs), options);
    const healthy = createModelClient({ baseUrl, apiKey: 'sk-fault-matrix-key', timeoutMs: DEFAULT_TIMEOUT_MS, maxRetries: MAX_RETRIES }, undefined, options);
    const run = {
      server,
      logs,
      substitute: (template: string) => template.replaceAll('{baseUrl}', baseUrl).replaceAll('{closedUrl}', closedUrl),
      stageRequests: () => server.chatRequests.filter((request) => request.stage === stage).length,
    };
    const started = performance.now();
    await body(routeStage(stage, faulty, healthy), run);
    return performance.now() - started;
  } finally {
    await server.close();
  }
}

function assertNotices(run: Omit<CellRun, 'durationMs'>, cell: Cell): void {
  assert.deepEqual(run.logs.filter((line) => line.level === 'info').map((line) => line.message), cell.notices, 'retry notices');
  for (const notice of cell.notices) assert.match(notice, /^The \w+ request failed \(.+\); retry \d of \d in \d+ ms\.$/);
  for (const line of run.logs) assert.doesNotMatch(line.message, /sk-fault-matrix-key/, 'the key never reaches a log line');
}

async function runLayerCell(stage: LayerStage, cell: Cell): Promise<void> {
  const start = await startingHierarchy();
  const snapshot = structuredClone(start);
  const stages: LayerStage[] = stage === 'proof' ? ['sketch', 'proof'] : [stage];
  const settings: PipelineSettings = { preset: cell.preset ?? 'deepinsight', model: MODEL, ...(cell.model ? { stageModels: { [stage]: cell.model } } : {}) };
  let failedEvent: Extract<PipelineEvent, { type: 'stage-failed' }> | undefined;
  let deltas = 0;
  const onEvent = (event: PipelineEvent): void => {
    if (event.type === 'stage-failed') failedEvent = event;
    if (event.type === 'delta' && event.stage === stage) {
      deltas += 1;
      // Every state the person watched stream in is a prefix of what the layer finally holds.
      assert.ok(cell.kept.startsWith(event.hierarchy.layers[stage].raw), 'streamed text that the layer does not keep');
    }
  };
  let result: Hierarchy | undefined;
  const durationMs = await withCellServer(stage, cell, async (client, run) => {
    result = await runPipeline(start, client, settings, { stages, overwriteEdited: stage === 'techniques', onEvent });
    assert.equal(run.stageRequests(), cell.requests, 'requests that reached the server');
    assertNotices(run, cell);
    const layer = result.layers[stage];
    if (cell.shownAs === 'error') {
      const expected = run.substitute(cell.message!);
      assert.equal(layer.status, 'failed');
      assert.equal(layer.error, expected, 'the message the person sees');
      assert.ok(failedEvent?.error instanceof ModelError);
      assert.equal(failedEvent.error.message, expected);
      assertActionableSentence(expected);
    } else {
      assert.equal(failedEvent, undefined, `unexpected failure: ${failedEvent?.error.message}`);
      assert.equal(layer.status, 'draft');
      assert.equal(layer.error, undefined);
      assert.deepEqual(layer.warnings ?? [], cell.shownAs === 'warning' ? [cell.message] : []);
    }
  });
  if (cell.minDurationMs !== undefined) assert.ok(durationMs >= cell.minDurationMs, `waited only ${Math.round(durationMs)} ms`);
  if (cell.kept) assert.ok(deltas > 0, 'the text streamed in');
  assert.ok(result);

  // Nothing the person typed or an earlier run generated is lost.
  assert.deepEqual(start, snapshot, 'the hierarchy passed in is never changed');
  assert.equal(result.problem, PROBLEM);
  const layer = result.layers[stage];
  assert.equal(layer.raw, cell.kept, 'the layer keeps exactly what arrived');
  assert.equal(layer.reasoning, cell.keptReasoning);
  assert.equal(layer.alternatives?.at(-1)?.raw, snapshot.layers[stage].raw, 'the earlier version is kept as an alternative');
  if (stage === 'techniques') assert.equal(layer.alternatives?.at(-1)?.edited, true, "the person's typed techniques are that alternative");
  for (const above of LAYER_STAGES.slice(0, LAYER_STAGES.indexOf(stage))) {
    if (stages.includes(above)) {
      assert.equal(result.layers[above].status, 'draft', `the ${above} generated in this run are kept`);
      assert.equal(result.layers[above].raw, RUN_SKETCH);
    } else {
      assert.deepEqual(result.layers[above], snapshot.layers[above], `the ${above} above are unchanged`);
    }
  }
  for (const below of LAYER_STAGES.slice(LAYER_STAGES.indexOf(stage) + 1)) {
    const before = snapshot.layers[below];
    if (cell.shownAs === 'error') {
      assert.deepEqual(result.layers[below], before, `the ${below} below is untouched`);
    } else {
      // A new version above makes the layers below stale; their text stays.
      assert.deepEqual({ ...result.layers[below], updatedAt: before.updatedAt }, { ...before, status: 'stale' }, `the ${below} below is kept and marked stale`);
    }
  }
}

async function runReviewCell(cell: Cell): Promise<void> {
  const start = await startingHierarchy();
  const snapshot = structuredClone(start);
  await withCellServer('review', cell, async (client, run) => {
    let outcome: Awaited<ReturnType<typeof runReview>> | undefined;
    let failure: unknown;
    try {
      outcome = await runReview(start, client, { model: MODEL, ...(cell.model ? { judgeModel: cell.model } : {}) });
    } catch (error) {
      failure = error;
    }
    assert.equal(run.stageRequests(), cell.requests, 'requests that reached the server');
    assertNotices(run, cell);
    if (cell.shownAs === 'error') {
      const expected = run.substitute(cell.message!);
      assert.ok(failure instanceof ModelError || failure instanceof ReviewParseError, `expected a failure, got ${String(failure)}`);
      assert.equal(failure.message, expected, 'the message the person sees');
      assertActionableSentence(expected);
      // What arrived is handed back with the error: the partial answer, or the whole unusable one.
      if (failure instanceof ModelError) {
        assert.equal(failure.partial.content, cell.kept);
        assert.equal(failure.partial.reasoning || undefined, cell.keptReasoning);
      } else {
        assert.equal(failure.raw, cell.kept);
      }
    } else {
      assert.equal(failure, undefined, `unexpected failure: ${String(failure)}`);
      assert.ok(outcome?.hierarchy.review);
      assert.equal(outcome.hierarchy.review.raw, cell.kept);
      assert.equal(outcome.hierarchy.review.score, 0.87);
      assert.deepEqual(outcome.hierarchy.layers, snapshot.layers, 'a review changes no layer');
    }
  });
  assert.deepEqual(start, snapshot, 'the hierarchy passed in is never changed, whatever the review does');
}

// ---------------------------------------------------------------------------------------------
// The tests

for (const stage of MATRIX_STAGES) {
  describe(`fault matrix: ${STAGE_NAMES[stage]}`, { concurrency: 6 }, () => {
    for (const fault of FAULTS) {
      const cell = fault.cell(stage);
      if ('notApplicable' in cell) continue;
      test(`${fault.title}: ${cell.outcome}${cell.message ? ` — ${cell.message}` : ''}`, () => (stage === 'review' ? runReviewCell(cell) : runLayerCell(stage, cell)));
    }
  });
}

describe('two runs at once', () => {
  test('two generations started on the same hierarchy never mix their text', async () => {
    // The extension refuses a second run on a hierarchy that is generating (integration suite);
    // the core guarantees that even two runs that do start stay apart.
    const server = new ScriptedModelServer({ models: [MODEL] });
    await server.start();
    try {
      const first = 'First run: 1. Factorisation: Write $n^5 - n$ as a product.\n2. Fermat: Use $p = 5$.';
      const second = 'Second run: 1. Induction: On $n$.\n2. Binomial theorem: Expand $(n+1)^5$.';
      server.script('techniques', { content: first, chunkChars: 5, chunkDelayMs: 2 }, { content: second, chunkChars: 7, chunkDelayMs: 3 });
      const client = createModelClient({ baseUrl: server.baseUrl, timeoutMs: DEFAULT_TIMEOUT_MS, maxRetries: 0 });
      const start = createHierarchy({ problem: PROBLEM });
      const snapshot = structuredClone(start);
      const eventsA: PipelineEvent[] = [];
      const eventsB: PipelineEvent[] = [];
      const [a, b] = await Promise.all([
        runPipeline(start, client, { preset: 'deepinsight', model: MODEL }, { stages: ['techniques'], onEvent: (event) => eventsA.push(event), deltaIntervalMs: 0 }),
        runPipeline(start, client, { preset: 'deepinsight', model: MODEL }, { stages: ['techniques'], onEvent: (event) => eventsB.push(event), deltaIntervalMs: 0 }),
      ]);
      assert.deepEqual(start, snapshot, 'neither run changed the hierarchy both started from');
      assert.deepEqual(new Set([a.layers.techniques.raw, b.layers.techniques.raw]), new Set([first, second]), 'each run holds exactly one whole answer');
      for (const [events, result] of [[eventsA, a], [eventsB, b]] as const) {
        const deltas = events.filter((event) => event.type === 'delta').map((event) => event.hierarchy.layers.techniques.raw);
        assert.ok(deltas.length > 3);
        for (const raw of deltas) assert.ok(result.layers.techniques.raw.startsWith(raw), 'every streamed state belongs to its own run');
      }
    } finally {
      await server.close();
    }
  });

  test('a batch at concurrency 8 writes each problem once, as one whole line, with its own answers', async () => {
    const server = new ScriptedModelServer({
      models: [MODEL],
      // The answer names the problem it was asked about, so text that went to the wrong problem would show.
      defaultReply: (request) => {
        const prompt = (request.body.messages as { content: string }[]).map((message) => message.content).join('\n');
        const label = /Problem number (\d+)/.exec(prompt)?.[1] ?? '?';
        return { content: `1. Idea for problem ${label}: Detail for problem ${label}.\n2. Second idea for problem ${label}: More.`, chunkChars: 6, chunkDelayMs: Number(label) % 3 };
      },
    });
    await server.start();
    const dir = mkdtempSync(join(tmpdir(), 'insight-proof-fault-batch-'));
    try {
      const count = 40;
      writeFileSync(join(dir, 'problems.jsonl'), Array.from({ length: count }, (_, index) => `${JSON.stringify({ id: `p${index}`, problem: `Problem number ${index}: prove that ${index} + 0 = ${index}.` })}\n`).join(''));
      let stderr = '';
      const code = await runCli(['batch', '--in', 'problems.jsonl', '--out', 'results.jsonl', '--concurrency', '8', '--base-url', server.baseUrl, '--model', MODEL], {
        stdout: { write: () => true },
        stderr: { write: (text: string) => (stderr += text) },
        env: {},
        cwd: dir,
        signal: new AbortController().signal,
      });
      assert.equal(code, 0, stderr);
      const lines = readFileSync(join(dir, 'results.jsonl'), 'utf8').split('\n');
      assert.equal(lines.pop(), '', 'the file ends with a complete line');
      assert.equal(lines.length, count, 'one line per problem');
      const written = lines.map((line) => JSON.parse(line) as Hierarchy);
      assert.equal(new Set(written.map((hierarchy) => hierarchy.id)).size, count);
      for (const hierarchy of written) {
        const label = /Problem number (\d+)/.exec(hierarchy.problem)![1];
        for (const stage of LAYER_STAGES) {
          const mentions = [...hierarchy.layers[stage].raw.matchAll(/problem (\d+)/g)].map((match) => match[1]);
          assert.ok(mentions.length > 0 && mentions.every((mention) => mention === label), `${hierarchy.problem} holds another problem's ${stage}`);
        }
      }
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The document

function cellSummary(cell: Cell): string {
  const requests = `${cell.requests} request${cell.requests === 1 ? '' : 's'}`;
  return `${cell.outcome} · ${requests}`;
}

function code(text: string): string {
  return `\`${text.replaceAll('`', "'")}\``;
}

/** docs/fault-matrix.md, generated from FAULTS (the data the tests above check, cell by cell). */
function faultMatrixDocument(): string {
  const header = `| Fault | ${MATRIX_STAGES.map((stage) => STAGE_NAMES[stage]).join(' | ')} |`;
  const rule = `|---|${MATRIX_STAGES.map(() => '---').join('|')}|`;
  const rows = FAULTS.map((fault) => {
    const cells = MATRIX_STAGES.map((stage) => {
      const cell = fault.cell(stage);
      return 'notApplicable' in cell ? `n/a (${cell.notApplicable})` : cellSummary(cell);
    });
    return `| ${fault.title} | ${cells.join(' | ')} |`;
  });
  const cellCount = FAULTS.reduce((count, fault) => count + MATRIX_STAGES.filter((stage) => !('notApplicable' in fault.cell(stage))).length, 0);

  const messages = FAULTS.flatMap((fault) => {
    const lines: string[] = [`### ${fault.title}`, '', fault.how, ''];
    const byText = new Map<string, MatrixStage[]>();
    const kept = new Map<string, MatrixStage[]>();
    for (const stage of MATRIX_STAGES) {
      const cell = fault.cell(stage);
      if ('notApplicable' in cell) continue;
      const shown = [
        ...cell.notices.map((notice) => `retry notice: ${code(notice.replace(`The ${stage} request`, 'The STAGE request'))}`),
        cell.message ? `${cell.shownAs}: ${code(cell.message)}` : 'no message: the layer is a draft',
      ].join('<br>');
      byText.set(shown, [...(byText.get(shown) ?? []), stage]);
      const keptText = keptDescription(stage, cell);
      kept.set(keptText, [...(kept.get(keptText) ?? []), stage]);
    }
    const label = (stages: MatrixStage[]) => (stages.length === MATRIX_STAGES.length ? 'every stage' : stages.map((stage) => STAGE_NAMES[stage]).join(', '));
    lines.push('| Stages | What the person sees |', '|---|---|');
    for (const [shown, stages] of byText) lines.push(`| ${label(stages)} | ${shown} |`);
    lines.push('', '| Stages | What is kept |', '|---|---|');
    for (const [text, stages] of kept) lines.push(`| ${label(stages)} | ${text} |`);
    lines.push('');
    return lines;
  });

  return [
    '# Fault matrix',
    '',
    `<!-- Generated by test/unit/faultMatrix.test.ts from the cells it checks; do not edit. Regenerate with: ${REGENERATE} -->`,
    '',
    `Every fault below is injected for every stage against the scripted OpenAI-compatible server (test/server/scriptedServer.ts), through the real client and the official \`openai\` SDK over HTTP: ${cellCount} cells, each a test in \`npm test\`. For every cell the test checks the outcome and the number of requests that reached the server, the exact sentence the person sees, and that nothing already generated or typed was lost.`,
    '',
    'Each cell starts from the same hierarchy: the person typed the core techniques, and an earlier run generated the sketch and the proof from them. A core-techniques cell regenerates the techniques (the person confirmed replacing their edit), a sketch cell the sketch, a proof cell the sketch and then the proof (so a layer above the failing one is generated in the same run), and a review cell asks a judge to grade the proof. Only the stage under test meets the fault.',
    '',
    `Retries: ${MAX_RETRIES}, as in the extension (the CLI defaults to 3), exponential backoff from ${RETRY_BASE_MS} ms with jitter; Retry-After wins when the server sends it (up to 60 s). Requests are retried only for 408, 409, 429, 5xx and connections dropped before any text arrived: once text has streamed in, a retry would duplicate it, so the partial answer is kept instead.`,
    '',
    '## Outcomes',
    '',
    header,
    rule,
    ...rows,
    '',
    'In every failed cell, the layers above the failing one are unchanged (including a layer generated earlier in the same run), the failing layer is `failed` with the message as its `error` and every character that arrived as its `raw` text (reasoning as `reasoning`), its earlier version stays in `alternatives`, and the layers below are untouched. A failed review leaves the hierarchy exactly as it was and hands back what arrived with the error. Messages name the setting in VS Code and the flag of the CLI; `{baseUrl}` stands for the configured server, `{closedUrl}` for the address where nothing listens.',
    '',
    '## Messages and what is kept, fault by fault',
    '',
    ...messages,
    '## Beyond the model server',
    '',
    '| Fault | Where it is checked | What happens |',
    '|---|---|---|',
    '| Two generations started on the same hierarchy | test/unit/faultMatrix.test.ts (core); integration suite: "refuses a second run on a hierarchy that is generating, and cancels keeping what arrived", "runs one generation when two are started on the same hierarchy at once, and refuses a review meanwhile" | The extension runs one generation and offers to cancel it. In the core, two runs that do start from one hierarchy never change it and never mix their text. |',
    '| A batch with concurrent problems | test/unit/faultMatrix.test.ts | Each problem is written once, as one whole line, with only its own answers. |',
    '| The document changed while a proof was being inserted | integration suite: "inserts under the theorem where it is now, keeping text typed after the proof was generated", "inserts under the theorem when the person types between planning and applying, keeping what they typed", "gives up without touching the document when it keeps changing, keeping every keystroke" | The block goes under the theorem where it is now; every keystroke of the person stays. |',
    '| The window reloaded mid-stream | integration suite: "restores a layer that was streaming when the window reloaded as failed, with its text and one sentence" | The layer that was streaming comes back `failed`, with the text received so far and one sentence saying to regenerate it. |',
    '| A corrupted persisted state file | integration suite: "recovers from a corrupted state file: a backup with the damaged bytes, an empty list, and one clear message" | The damaged file is kept as a backup, the view starts empty, and one warning says so. src/vscode/persistence.ts imports `vscode`, so this is tested in VS Code rather than here. |',
    '| An unhandled promise rejection anywhere in the unit suite | test/unit/setup.ts (loaded into every unit test process) | Fails the run, with the reason and its stack. |',
    '',
  ].join('\n');
}

function keptDescription(stage: MatrixStage, cell: Cell): string {
  if (stage === 'review') {
    if (cell.shownAs !== 'error') return `review added, with its raw answer (${characters(cell.kept.length)}); no layer changes`;
    const what = cell.kept ? `the ${characters(cell.kept.length)} that arrived are handed back with the error` : cell.keptReasoning ? `the ${characters(cell.keptReasoning.length)} of reasoning are handed back with the error` : 'nothing had arrived';
    return `hierarchy unchanged; ${what}`;
  }
  if (cell.shownAs === 'error') {
    const parts = [cell.kept ? `raw keeps the ${characters(cell.kept.length)} that arrived` : 'raw is empty (nothing had arrived)'];
    if (cell.keptReasoning) parts.push(`reasoning keeps the ${characters(cell.keptReasoning.length)} of reasoning`);
    return `layer \`failed\`; ${parts.join('; ')}; earlier version in alternatives`;
  }
  if (cell.shownAs === 'warning') return `layer \`draft\`; raw keeps the whole answer (${characters(cell.kept.length)}), shown as one item`;
  return `layer \`draft\` with the whole answer (${characters(cell.kept.length)}); earlier version in alternatives`;
}

function characters(count: number): string {
  return `${count.toLocaleString('en-US')} character${count === 1 ? '' : 's'}`;
}

test('docs/fault-matrix.md is what the matrix above produces', () => {
  const document = faultMatrixDocument();
  if (process.env.INSIGHT_PROOF_WRITE_FAULT_MATRIX === '1') {
    writeFileSync(DOC_PATH, document);
    return;
  }
  assert.ok(existsSync(DOC_PATH), `docs/fault-matrix.md is missing; generate it with ${REGENERATE}.`);
  assert.equal(readFileSync(DOC_PATH, 'utf8'), document, `docs/fault-matrix.md differs from the fault matrix in test/unit/faultMatrix.test.ts; regenerate it with ${REGENERATE}.`);
});
