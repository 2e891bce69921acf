// A real OpenAI-compatible HTTP server for tests, benchmarks and demos. It plays back scripted
// answers per stage (keyed by the `X-Insight-Proof-Stage` header) and injects the faults users meet
// with real model servers: HTTP errors with OpenAI-shaped bodies, Retry-After, slow first tokens,
// stalled or cut streams, malformed SSE data, and servers that reject `response_format`.
//
// It uses only node:http so that it runs under node:test (as .ts) and bundles into the VS Code
// integration suite (CommonJS) unchanged.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';

export interface ScriptedReply {
  /** Streamed in chunks (SSE) or sent whole (non-stream). */
  content?: string;
  /** Sent in a separate delta field (see `reasoningField`) before the content. */
  reasoning?: string;
  /** Default `reasoning_content` (vLLM, DeepSeek); `reasoning` is what some other servers use. */
  reasoningField?: 'reasoning_content' | 'reasoning';
  /** Characters per SSE chunk; default 16. */
  chunkChars?: number;
  /** Delay between SSE chunks. */
  chunkDelayMs?: number;
  /** Delay after the response headers and before the first chunk (the whole answer when not streaming). */
  firstTokenDelayMs?: number;
  /** Answer with this HTTP error instead (401, 404, 429, 500, ...). */
  status?: number;
  /** JSON body for the error; default `{ error: { message, type, code } }` as OpenAI sends it. */
  errorBody?: unknown;
  /** Sent as the `Retry-After` header (seconds). */
  retryAfterSeconds?: number;
  /** Extra response headers, e.g. `{ 'retry-after-ms': '20' }` or an HTTP-date `Retry-After`. */
  headers?: Record<string, string>;
  /** End the connection abruptly after this many content characters (no final chunk, no [DONE]). */
  cutAfterChars?: number;
  /** Send a broken SSE data line after the first content chunk. */
  malformedChunk?: boolean;
  /** Never answer (not even headers) until the client gives up or the server closes. */
  hang?: boolean;
  /**
   * Answer 400 when the request has `response_format`, as servers without structured output do.
   * The rejection does not use up the reply: the retry without `response_format` receives it.
   */
  rejectJsonSchema?: boolean;
  /** Default `stop`. */
  finishReason?: string;
}

export interface RecordedRequest {
  stage: string | undefined;
  path: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  // The parsed JSON body exactly as the client sent it; tests inspect arbitrary fields of it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export type ScriptStage = 'techniques' | 'sketch' | 'proof' | 'review' | '*';

export interface ScriptedServerOptions {
  /** Model ids served (GET /v1/models); a chat request for any other model gets OpenAI's 404. Default [DEFAULT_MODEL]. */
  models?: string[];
  /** The reply when a stage's queue (and the `*` queue) is empty. */
  defaultReply?: (request: RecordedRequest) => ScriptedReply;
  /** When set, every request must carry `Authorization: Bearer <apiKey>` or gets OpenAI's 401. */
  apiKey?: string;
}

export const DEFAULT_MODEL = 'insight-test-model';

const STAGE_HEADER = 'x-insight-proof-stage';

/** OpenAI's error body shape for a status, as the official API and vLLM send it. */
function defaultErrorBody(status: number, model: string | undefined): unknown {
  const known: Record<number, [string, string, string | null]> = {
    400: ['Bad request.', 'invalid_request_error', null],
    401: ['Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'],
    403: ['You are not allowed to use this model.', 'invalid_request_error', 'permission_denied'],
    404: [`The model \`${model ?? ''}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found'],
    408: ['Request timed out.', 'timeout', null],
    409: ['Conflict.', 'invalid_request_error', null],
    422: ['Unprocessable request.', 'invalid_request_error', null],
    429: ['Rate limit reached for requests.', 'requests', 'rate_limit_exceeded'],
  };
  const [message, type, code] = known[status] ?? [status >= 500 ? 'The server had an error while processing your request.' : `HTTP ${status}.`, status >= 500 ? 'server_error' : 'invalid_request_error', null];
  return { error: { message, type, param: null, code } };
}

export class ScriptedModelServer {
  readonly requests: RecordedRequest[] = [];
  readonly models: string[];
  private readonly defaultReply: ((request: RecordedRequest) => ScriptedReply) | undefined;
  private readonly apiKey: string | undefined;
  private readonly queues = new Map<string, ScriptedReply[]>();
  private readonly sockets = new Set<Socket>();
  /** Aborts every pending delay when the server closes, so close() never waits for a script. */
  private readonly lifetime = new AbortController();
  private readonly server: Server;
  private completionCount = 0;
  private url: string | undefined;

  constructor(options: ScriptedServerOptions = {}) {
    this.models = options.models ?? [DEFAULT_MODEL];
    this.defaultReply = options.defaultReply;
    this.apiKey = options.apiKey;
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        // A script bug must show up in the test that hit it, not crash the process.
        if (!response.headersSent) {
          sendJson(response, 500, { error: { message: `Scripted server error: ${String(error)}`, type: 'server_error', param: null, code: null } });
        } else {
          response.destroy();
        }
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** The base URL (…/v1) once started. */
  get baseUrl(): string {
    if (!this.url) throw new Error('The scripted server is not started; await start() first.');
    return this.url;
  }

  /** Queues replies for a stage, first in first out; `*` serves any stage whose own queue is empty. */
  script(stage: ScriptStage, ...replies: ScriptedReply[]): this {
    const queue = this.queues.get(stage) ?? [];
    queue.push(...replies);
    this.queues.set(stage, queue);
    return this;
  }

  /** How many scripted replies are still queued for a stage. */
  pending(stage: ScriptStage): number {
    return this.queues.get(stage)?.length ?? 0;
  }

  /** The recorded chat-completion requests (model listings excluded). */
  get chatRequests(): RecordedRequest[] {
    return this.requests.filter((request) => request.path.endsWith('/chat/completions'));
  }

  start(port = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        const address = this.server.address();
        if (address === null || typeof address === 'string') {
          reject(new Error('The scripted server has no TCP address.'));
          return;
        }
        this.url = `http://127.0.0.1:${address.port}/v1`;
        resolve(this.url);
      });
    });
  }

  /** Stops listening and ends every open connection at once, including hanging and streaming ones. */
  close(): Promise<void> {
    this.lifetime.abort();
    return new Promise((resolve) => {
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
      this.server.closeAllConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const rawBody = await readBody(request);
    let body: unknown;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = rawBody;
      }
    }
    const stageHeader = request.headers[STAGE_HEADER];
    const recorded: RecordedRequest = {
      stage: Array.isArray(stageHeader) ? stageHeader[0] : stageHeader,
      path,
      method: request.method ?? 'GET',
      headers: { ...request.headers },
      body,
    };
    this.requests.push(recorded);

    if (this.apiKey !== undefined && request.headers.authorization !== `Bearer ${this.apiKey}`) {
      sendJson(response, 401, defaultErrorBody(401, undefined));
      return;
    }
    if (request.method === 'GET' && path === '/v1/models') {
      sendJson(response, 200, {
        object: 'list',
        data: this.models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'scripted' })),
      });
      return;
    }
    if (request.method === 'POST' && path === '/v1/chat/completions') {
      await this.complete(recorded, response);
      return;
    }
    // FastAPI's (vLLM's) answer for a route it does not have.
    sendJson(response, 404, { detail: 'Not Found' });
  }

  /** The next reply for a request and the queue it came from (undefined for default replies). */
  private nextReply(request: RecordedRequest): { reply: ScriptedReply; queue: string | undefined } {
    const ownReply = request.stage !== undefined ? this.queues.get(request.stage)?.shift() : undefined;
    if (ownReply && request.stage !== undefined) return { reply: ownReply, queue: request.stage };
    const anyReply = this.queues.get('*')?.shift();
    if (anyReply) return { reply: anyReply, queue: '*' };
    if (this.defaultReply) return { reply: this.defaultReply(request), queue: undefined };
    return {
      reply: {
        status: 400,
        errorBody: { error: { message: `The scripted server has no reply queued for stage "${request.stage ?? '(none)'}".`, type: 'invalid_request_error', param: null, code: null } },
      },
      queue: undefined,
    };
  }

  private async complete(request: RecordedRequest, response: ServerResponse): Promise<void> {
    const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
    const model = typeof body.model === 'string' ? body.model : undefined;
    if (model === undefined || !this.models.includes(model)) {
      sendJson(response, 404, defaultErrorBody(404, model));
      return;
    }
    const { reply, queue } = this.nextReply(request);
    if (reply.hang) return; // the socket stays open until the client or close() ends it
    if (reply.rejectJsonSchema && body.response_format !== undefined) {
      if (queue !== undefined) this.queues.get(queue)?.unshift(reply);
      sendJson(response, 400, {
        error: { message: 'response_format of type json_schema is not supported by this server.', type: 'BadRequestError', param: 'response_format', code: 400 },
      });
      return;
    }
    if (reply.status !== undefined && reply.status >= 400) {
      const headers: Record<string, string> = { ...reply.headers };
      if (reply.retryAfterSeconds !== undefined) headers['retry-after'] = String(reply.retryAfterSeconds);
      sendJson(response, reply.status, reply.errorBody ?? defaultErrorBody(reply.status, model), headers);
      return;
    }

    this.completionCount += 1;
    const id = `chatcmpl-scripted-${this.completionCount}`;
    const created = Math.floor(Date.now() / 1000);
    const content = reply.content ?? '';
    const reasoning = reply.reasoning ?? '';
    const reasoningField = reply.reasoningField ?? 'reasoning_content';
    const finishReason = reply.finishReason ?? 'stop';

    if (body.stream !== true) {
      await this.delay(reply.firstTokenDelayMs);
      if (this.lifetime.signal.aborted) return;
      const message: Record<string, unknown> = { role: 'assistant', content };
      if (reasoning) message[reasoningField] = reasoning;
      sendJson(response, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
        usage: { prompt_tokens: 10, completion_tokens: Math.ceil(content.length / 4), total_tokens: 10 + Math.ceil(content.length / 4) },
      }, reply.headers);
      return;
    }

    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', ...reply.headers });
    response.flushHeaders();
    const chunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
    let closed = false;
    response.on('close', () => {
      closed = true;
    });
    const chunkChars = Math.max(1, reply.chunkChars ?? 16);

    await this.delay(reply.firstTokenDelayMs);
    if (closed || this.lifetime.signal.aborted) return;
    await write(response, chunk({ role: 'assistant', content: '' }));

    let first = true;
    for (const piece of pieces(reasoning, chunkChars)) {
      if (!first) await this.delay(reply.chunkDelayMs);
      first = false;
      if (closed || this.lifetime.signal.aborted) return;
      await write(response, chunk({ [reasoningField]: piece }));
    }

    let sent = 0;
    let malformedSent = false;
    for (const piece of pieces(content, chunkChars)) {
      if (!first) await this.delay(reply.chunkDelayMs);
      first = false;
      if (closed || this.lifetime.signal.aborted) return;
      if (reply.cutAfterChars !== undefined && sent + piece.length >= reply.cutAfterChars) {
        const rest = piece.slice(0, reply.cutAfterChars - sent);
        if (rest) await write(response, chunk({ content: rest }));
        cutConnection(response);
        return;
      }
      await write(response, chunk({ content: piece }));
      sent += piece.length;
      if (reply.malformedChunk && !malformedSent) {
        malformedSent = true;
        await write(response, `data: {"id":"${id}","object":"chat.completion.chunk","choices":[{"delta":{"content":"unterminated\n\n`);
      }
    }
    if (reply.malformedChunk && !malformedSent) {
      await write(response, `data: {"id":"${id}",broken\n\n`);
    }
    if (reply.cutAfterChars !== undefined) {
      // Asked to cut at or beyond the end of the content: cut before the final chunk.
      cutConnection(response);
      return;
    }
    await write(response, chunk({}, finishReason));
    await write(response, 'data: [DONE]\n\n');
    response.end();
  }

  private delay(ms: number | undefined): Promise<void> {
    if (!ms || ms <= 0 || this.lifetime.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.lifetime.signal;
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

/** Writes and waits until the data has reached the socket (and for drain under back-pressure). */
function write(response: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve) => {
    if (response.destroyed || response.writableEnded) {
      resolve();
      return;
    }
    response.write(data, () => resolve());
  });
}

/**
 * Ends the TCP connection in the middle of the chunked body: the client has received everything
 * written so far but never the terminating chunk, exactly as when a server process dies mid-answer.
 */
function cutConnection(response: ServerResponse): void {
  const socket = response.socket;
  if (socket) socket.end();
  else response.destroy();
}

/** Splits text into pieces of about `size` UTF-16 units without splitting a surrogate pair. */
function* pieces(text: string, size: number): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end += 1;
    yield text.slice(start, end);
    start = end;
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound once, then released): a server that is down. */
export async function closedPort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address !== 'object') throw new Error('The probe socket has no port.');
  return address.port;
}
