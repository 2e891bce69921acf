#!/usr/bin/env node
// The demo model server: an OpenAI-compatible HTTP server that replays the hand-written answers of
// demo/answers.md for the sample theorems of samples/workbook.md, so that a newcomer can watch
// Insight Proof work before serving a real model. `npm start -- --demo-model` runs it; on its own:
//
//   node demo/server.mjs [--port 8000]
//
// It is honest about what it is: GET /v1/models lists one model, `insight-proof-demo`, owned by
// `insight-proof-demo` (the extension reads that and says "Demo model"), and a statement it has no
// recorded answer for gets, in every layer, a sentence saying so and how to connect a real model.
// It streams (SSE) like a real server, a little at a time, so the layers fill in visibly.
//
// Built-in modules only: it runs before, and without, anything the repository installs.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const DEMO_MODEL_ID = 'insight-proof-demo';
export const DEMO_OWNER = 'insight-proof-demo';
export const ANSWERS_FILE = join(dirname(fileURLToPath(import.meta.url)), 'answers.md');

const STAGES = ['techniques', 'sketch', 'proof'];
const SECTION_TITLES = { Statement: 'statement', Techniques: 'techniques', Sketch: 'sketch', Proof: 'proof' };

/** Default pace: about what a 7B model on one GPU streams, so the layers fill in visibly. */
export const DEMO_PACE = { firstTokenDelayMs: 250, chunkChars: 12, chunkDelayMs: 10 };

/** What every layer says for a statement the demo has no answer for. */
export const NOT_A_SAMPLE = {
  techniques:
    '1. Demo model, not a real one: the Insight Proof demo only replays recorded answers for the sample theorems in samples/workbook.md, and this statement is not one of them. To prove your own theorems, serve a real model (see "Serving a real model" in the README) and set insightProof.baseUrl to it.',
  sketch:
    '1. No recorded sketch: the Insight Proof demo knows only the sample theorems in samples/workbook.md. Serve a real model and set insightProof.baseUrl to prove this statement.',
  proof:
    'The Insight Proof demo model has no recorded proof for this statement: it is not a model, it replays answers for the sample theorems in samples/workbook.md only. To prove your own theorems, serve a real model (vLLM, Ollama, LM Studio, llama.cpp or a cloud API; see "Serving a real model" in the README) and set insightProof.baseUrl to it.',
};

const REVIEW_REFUSAL = 'The Insight Proof demo model does not grade proofs. Connect a real judge model to review a proof.';

/** Letters and digits only, lower case: the words of a statement without TeX and markdown punctuation. */
export function fingerprint(text) {
  return text.normalize('NFKD').toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * Reads the recorded answers: one `## key` section per statement with `### Statement`,
 * `### Techniques`, `### Sketch` and `### Proof` subsections.
 * @returns {{ key: string, statement: string, fingerprint: string, techniques: string, sketch: string, proof: string }[]}
 */
export function loadAnswers(file = ANSWERS_FILE) {
  const answers = [];
  let current;
  let section;
  const finish = () => {
    if (!current) return;
    for (const field of ['statement', ...STAGES]) {
      current[field] = (current[field] ?? '').trim();
      if (current[field] === '') throw new Error(`${file}: the answer "${current.key}" has no ### ${field[0].toUpperCase()}${field.slice(1)} section; add it.`);
    }
    current.fingerprint = fingerprint(current.statement);
    answers.push(current);
  };
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const key = /^## (\S.*)$/.exec(line);
    if (key) {
      finish();
      current = { key: key[1].trim() };
      section = undefined;
      continue;
    }
    const title = /^### (\S.*)$/.exec(line);
    if (title && current) {
      section = SECTION_TITLES[title[1].trim()];
      if (!section) throw new Error(`${file}: unknown section "### ${title[1]}" in "${current.key}"; use Statement, Techniques, Sketch or Proof.`);
      continue;
    }
    if (current && section) current[section] = `${current[section] ?? ''}${line}\n`;
  }
  finish();
  return answers;
}

/**
 * The recorded answer whose statement occurs in the prompt (compared by fingerprint), or
 * undefined. When several do, the longest statement wins: it is the most specific.
 */
export function findAnswer(answers, promptText) {
  const prompt = fingerprint(promptText);
  let best;
  for (const answer of answers) {
    if (prompt.includes(answer.fingerprint) && (!best || answer.fingerprint.length > best.fingerprint.length)) best = answer;
  }
  return best;
}

/** The stage of a request: its X-Insight-Proof-Stage header, else guessed from the prompt. */
function stageOf(headerValue, promptText) {
  const header = Array.isArray(headerValue) ? headerValue[0] : headerValue;
  if (header) return header.trim().toLowerCase();
  if (/Proof sketch:/.test(promptText)) return 'proof';
  if (/Core techniques:/.test(promptText)) return 'sketch';
  return 'techniques';
}

function promptOf(body) {
  const messages = Array.isArray(body?.messages) ? body.messages : [];
  return messages
    .filter((message) => message && message.role !== 'assistant')
    .map((message) => (typeof message.content === 'string' ? message.content : Array.isArray(message.content) ? message.content.map((part) => part?.text ?? '').join('\n') : ''))
    .join('\n\n');
}

function openAiError(message, type, code, param = null) {
  return { error: { message, type, param, code } };
}

/**
 * Starts the demo server on 127.0.0.1 (loopback only).
 * @param {{ port?: number, host?: string, answersFile?: string, pace?: Partial<typeof DEMO_PACE>, log?: (line: string) => void }} [options]
 * @returns {Promise<{ baseUrl: string, port: number, answers: number, close: () => Promise<void> }>}
 */
export async function startDemoServer({ port = 0, host = '127.0.0.1', answersFile = ANSWERS_FILE, pace = {}, log = () => undefined } = {}) {
  const answers = loadAnswers(answersFile);
  const { firstTokenDelayMs, chunkChars, chunkDelayMs } = { ...DEMO_PACE, ...pace };
  const sockets = new Set();
  const lifetime = new AbortController();
  let completions = 0;

  const server = createServer((request, response) => {
    handle(request, response).catch((error) => {
      if (!response.headersSent) sendJson(response, 500, openAiError(`The demo server failed: ${error instanceof Error ? error.message : String(error)}`, 'server_error', null));
      else response.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(request, response) {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname.replace(/\/+$/, '');
    if (request.method === 'GET' && path === '/v1/models') {
      sendJson(response, 200, { object: 'list', data: [{ id: DEMO_MODEL_ID, object: 'model', created: 1_767_225_600, owned_by: DEMO_OWNER }] });
      return;
    }
    if (request.method !== 'POST' || path !== '/v1/chat/completions') {
      sendJson(response, 404, { detail: 'Not Found' });
      return;
    }
    let body;
    try {
      body = JSON.parse(await readBody(request));
    } catch {
      sendJson(response, 400, openAiError('The request body is not JSON.', 'invalid_request_error', null));
      return;
    }
    if (body?.model !== DEMO_MODEL_ID) {
      sendJson(response, 404, openAiError(`The model \`${String(body?.model ?? '')}\` does not exist; the demo server serves only ${DEMO_MODEL_ID}.`, 'invalid_request_error', 'model_not_found', 'model'));
      return;
    }
    const prompt = promptOf(body);
    const stage = stageOf(request.headers['x-insight-proof-stage'], prompt);
    if (!STAGES.includes(stage)) {
      log(`${stage}: refused (the demo only replays techniques, sketches and proofs)`);
      sendJson(response, 400, openAiError(REVIEW_REFUSAL, 'invalid_request_error', null));
      return;
    }
    const answer = findAnswer(answers, prompt);
    log(`${stage}: ${answer ? `recorded answer "${answer.key}"` : 'not a sample theorem, answered with the demo notice'}`);
    const content = answer ? answer[stage] : NOT_A_SAMPLE[stage];
    completions += 1;
    const id = `chatcmpl-demo-${completions}`;
    const created = Math.floor(Date.now() / 1000);
    if (body.stream !== true) {
      await delay(firstTokenDelayMs, lifetime.signal);
      sendJson(response, 200, {
        id,
        object: 'chat.completion',
        created,
        model: DEMO_MODEL_ID,
        choices: [{ index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: 'stop' }],
        usage: { prompt_tokens: Math.ceil(prompt.length / 4), completion_tokens: Math.ceil(content.length / 4), total_tokens: Math.ceil((prompt.length + content.length) / 4) },
      });
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    response.flushHeaders();
    let closed = false;
    response.on('close', () => (closed = true));
    const chunk = (delta, finish = null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: DEMO_MODEL_ID, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
    await delay(firstTokenDelayMs, lifetime.signal);
    if (closed || lifetime.signal.aborted) return;
    await write(response, chunk({ role: 'assistant', content: '' }));
    for (const piece of pieces(content, chunkChars)) {
      await delay(chunkDelayMs, lifetime.signal);
      if (closed || lifetime.signal.aborted) return;
      await write(response, chunk({ content: piece }));
    }
    await write(response, chunk({}, 'stop'));
    await write(response, 'data: [DONE]\n\n');
    response.end();
  }

  await new Promise((resolveListen, reject) => {
    server.once('error', (error) => reject(new Error(`The demo model server could not listen on ${host}:${port} (${error.message}); choose another port.`)));
    server.listen(port, host, resolveListen);
  });
  const actualPort = server.address().port;
  let closing;
  return {
    baseUrl: `http://${host}:${actualPort}/v1`,
    port: actualPort,
    answers: answers.length,
    close() {
      closing ??= new Promise((resolveClose) => {
        lifetime.abort();
        server.close(() => resolveClose());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

function readBody(request) {
  return new Promise((resolveBody, reject) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function sendJson(response, status, body) {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function write(response, data) {
  return new Promise((resolveWrite) => {
    if (response.destroyed || response.writableEnded) resolveWrite();
    else response.write(data, () => resolveWrite());
  });
}

function delay(ms, signal) {
  if (!ms || signal.aborted) return Promise.resolve();
  return new Promise((resolveDelay) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolveDelay();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Pieces of about `size` characters, never splitting a surrogate pair. */
function* pieces(text, size) {
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end += 1;
    yield text.slice(start, end);
    start = end;
  }
}

async function main() {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8000' }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    process.stdout.write('usage: node demo/server.mjs [--port 8000]\n');
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number from 0 to 65535, not "${values.port}".`);
  const demo = await startDemoServer({ port, log: (line) => process.stderr.write(`[demo model] ${line}\n`) });
  process.stdout.write(`Insight Proof demo model on ${demo.baseUrl} (model ${DEMO_MODEL_ID}, ${demo.answers} recorded answers for samples/workbook.md); Ctrl-C stops it.\n`);
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void demo.close().then(() => process.exit(0)));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`[demo model] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
