// The model client: one streamed chat completion per request against any OpenAI-compatible server,
// through the official `openai` SDK. What it adds around the SDK:
//
// - the SDK is loaded with a dynamic import on first use, so activating the extension never pays
//   for it;
// - reasoning is kept apart from the answer, whether it arrives in `<think>` blocks inside the
//   content or in the non-standard `reasoning_content` / `reasoning` delta fields;
// - one timeout covers both the wait for the first byte and every gap between chunks, so a stalled
//   stream fails instead of hanging;
// - its own retry loop (the SDK's is switched off) with exponential backoff and jitter, honouring
//   Retry-After, and never retrying once text has streamed in (that would duplicate it);
// - a per-client memory of servers that reject `response_format`, with a plain-text fallback;
// - every failure becomes a ModelError with one actionable sentence (errors.ts).
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type OpenAI from 'openai';
import type * as OpenAIModule from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import type { RequestStage } from './hierarchy.ts';
import { normalizeBaseUrl } from './endpoint.ts';
import {
  cancelledMessage,
  describeError,
  displayUrl,
  emptyAnswerMessage,
  isJsonSchemaRejection,
  isRetryableFailure,
  ModelError,
  redactSecrets,
  timeoutMessage,
  type PartialAnswer,
} from './errors.ts';
import { ReasoningSplitter, splitReasoning } from './reasoning.ts';

export interface EndpointConfig {
  baseUrl: string;
  apiKey?: string;
  /** How long to wait for the first byte of an answer, and at most between two streamed chunks. */
  timeoutMs: number;
  /** Extra attempts after a retryable failure (408, 409, 429, 5xx, a dropped connection before any text). */
  maxRetries: number;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  /** Sent as the header X-Insight-Proof-Stage. */
  stage: RequestStage;
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  /** Sent as response_format json_schema; the client falls back to plain text when the server rejects it. */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  signal?: AbortSignal;
}

/**
 * Increments since the last delta; reasoning = <think> text + reasoning_content/reasoning fields.
 * The deltas add up to the ChatResult except for an answer that starts mid-thought and only closes
 * a `</think>` (DeepSeek-R1 without a server-side reasoning parser): streamed as content, the
 * result then moves that leading part to `reasoning`. Use the result as the final text.
 */
export interface StreamDelta {
  content: string;
  reasoning: string;
}

export interface ChatResult {
  content: string;
  reasoning: string;
  /** `length` means the answer hit max tokens: not an error, but worth a warning. */
  finishReason: string | null;
  model: string;
  usedJsonSchema: boolean;
}

export interface ModelClient {
  /** Always streams; throws ModelError. */
  chat(request: ChatRequest, onDelta?: (delta: StreamDelta) => void): Promise<ChatResult>;
  listModels(signal?: AbortSignal): Promise<string[]>;
}

export interface ClientLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

/** Knobs for tests and front ends; the defaults suit real servers. */
export interface ClientOptions {
  /** First backoff wait before jitter; doubles per retry. Default 500 ms. */
  retryBaseDelayMs?: number;
  /** Upper bound of any single wait, Retry-After included. Default 60 s. */
  maxRetryDelayMs?: number;
  /** Sent as `X-Insight-Proof-Client: insight-proof/<version>`. */
  clientVersion?: string;
  /** Time allowed for listing models while explaining a 404. Default 5 s (or the timeout, if shorter). */
  modelListTimeoutMs?: number;
  /** Source of jitter, [0, 1). */
  random?: () => number;
}

export const STAGE_HEADER = 'X-Insight-Proof-Stage';
export const CLIENT_HEADER = 'X-Insight-Proof-Client';

const DEFAULT_RETRY_BASE_DELAY_MS = 500;
const DEFAULT_MAX_RETRY_DELAY_MS = 60_000;
const DEFAULT_MODEL_LIST_TIMEOUT_MS = 5_000;

let sdkModule: Promise<typeof OpenAIModule> | undefined;

/** The SDK, imported on first use only (esbuild keeps the module's code unevaluated until then). */
function loadSdk(): Promise<typeof OpenAIModule> {
  sdkModule ??= import('openai');
  return sdkModule;
}

function abortError(signal: AbortSignal | undefined | null): unknown {
  return signal?.reason instanceof Error && signal.reason.name === 'AbortError' ? signal.reason : new DOMException('The operation was aborted.', 'AbortError');
}

/**
 * `fetch` for the SDK over node:http(s). Node's built-in fetch (undici) gives up after 300 s
 * without response headers or between two body chunks, whatever timeout the SDK was given, and a
 * local server that loads a large model before its first byte can take longer. This fetch has no
 * timeouts of its own: the client's timer (EndpointConfig.timeoutMs) decides. It also goes through
 * node:http's global agents, which is where VS Code applies the user's proxy settings. Redirects are
 * followed within the same origin only.
 */
export function nodeFetch(input: string | URL | Request, init: RequestInit = {}, redirects = 0): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const signal = init.signal;
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const body = init.body;
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      reject(new TypeError('Only string and byte request bodies are supported.'));
      return;
    }
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, key) => {
      headers[key] = value;
    });
    // Uncompressed answers: nothing to decode, and streamed chunks are not held in a decompressor.
    headers['accept-encoding'] = 'identity';
    if (body !== undefined && body !== null) headers['content-length'] = String(Buffer.byteLength(body));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const outgoing = send(url, { method: init.method ?? 'GET', headers });
    let incoming: IncomingMessage | undefined;
    const onAbort = (): void => {
      const error = abortError(signal) as Error;
      outgoing.destroy(error);
      incoming?.destroy(error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const detach = (): void => signal?.removeEventListener('abort', onAbort);
    outgoing.on('error', (error) => {
      detach();
      reject(error);
    });
    outgoing.on('response', (response) => {
      incoming = response;
      response.on('close', detach);
      const responseHeaders = new Headers();
      for (let index = 0; index + 1 < response.rawHeaders.length; index += 2) {
        responseHeaders.append(response.rawHeaders[index]!, response.rawHeaders[index + 1]!);
      }
      const status = response.statusCode ?? 502;
      const location = responseHeaders.get('location');
      const method = (init.method ?? 'GET').toUpperCase();
      if (location !== null && REDIRECTS.has(status) && redirects < MAX_REDIRECTS) {
        const target = new URL(location, url);
        // Same origin only, so the API key never travels to another host; a redirect elsewhere
        // reaches the caller, whose message names the new address to configure instead.
        const keepsMethod = status === 307 || status === 308 || method === 'GET' || method === 'HEAD';
        if (target.origin === url.origin && keepsMethod) {
          response.resume();
          detach();
          resolve(nodeFetch(target, init, redirects + 1));
          return;
        }
      }
      const withoutBody = status === 204 || status === 205 || status === 304 || init.method === 'HEAD';
      if (withoutBody) response.resume();
      resolve(
        new Response(withoutBody ? null : webStream(response), {
          status,
          statusText: response.statusMessage ?? '',
          headers: responseHeaders,
        }),
      );
    });
    outgoing.end(body ?? undefined);
  });
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * A response body as a web stream, with back-pressure. (Readable.toWeb does the same with noticeably
 * more work per chunk, and a streamed answer arrives in thousands of small chunks.)
 */
function webStream(response: IncomingMessage): ReadableStream<Uint8Array> {
  let settled = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        response.on('data', (chunk: Buffer) => {
          controller.enqueue(chunk);
          if ((controller.desiredSize ?? 1) <= 0) response.pause();
        });
        response.once('end', () => {
          if (settled) return;
          settled = true;
          controller.close();
        });
        response.once('error', (error) => {
          if (settled) return;
          settled = true;
          controller.error(error);
        });
        response.once('close', () => {
          if (settled) return;
          settled = true;
          controller.error(Object.assign(new Error('The connection closed before the answer was complete.'), { code: 'ECONNRESET' }));
        });
      },
      pull() {
        response.resume();
      },
      cancel() {
        settled = true;
        response.destroy();
      },
    },
    { highWaterMark: 64 },
  );
}

/** Reads `retry-after-ms` or `Retry-After` (seconds or an HTTP date) from an error's response headers; milliseconds. */
export function retryAfterMs(headers: unknown, now: number = Date.now()): number | undefined {
  const get = (name: string): string | null | undefined => {
    if (headers instanceof Headers) return headers.get(name);
    if (typeof headers === 'object' && headers !== null) {
      const value = (headers as Record<string, unknown>)[name];
      return typeof value === 'string' ? value : undefined;
    }
    return undefined;
  };
  const milliseconds = get('retry-after-ms');
  if (milliseconds) {
    const value = Number.parseFloat(milliseconds);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const retryAfter = get('retry-after');
  if (retryAfter) {
    const trimmed = retryAfter.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) return Number.parseFloat(trimmed) * 1000;
    const date = Date.parse(trimmed);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  return undefined;
}

/** The wait before retry number `retry` (0-based): Retry-After when the server sent it, else exponential backoff with jitter; capped. */
export function retryDelayMs(retry: number, error: unknown, options: { baseMs: number; capMs: number; random: () => number }): number {
  const headers = typeof error === 'object' && error !== null ? (error as Record<string, unknown>).headers : undefined;
  const requested = retryAfterMs(headers);
  if (requested !== undefined) return Math.min(requested, options.capMs);
  const exponential = options.baseMs * 2 ** retry;
  // "Equal jitter": at least half the exponential wait, so retries still spread out under load.
  return Math.min(options.capMs, exponential / 2 + (exponential / 2) * options.random());
}

type AttemptOutcome =
  | { ok: true; result: Omit<ChatResult, 'usedJsonSchema'> }
  | { ok: false; reason: 'failed' | 'timeout' | 'aborted'; error: unknown; partial: PartialAnswer; emitted: boolean };

/** The delta fields vLLM, DeepSeek, LM Studio and OpenRouter add next to `content`. */
type ReasoningDelta = ChatCompletionChunk.Choice.Delta & { reasoning_content?: string | null; reasoning?: string | null };

class CallbackError {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

class OpenAICompatibleClient implements ModelClient {
  private readonly config: EndpointConfig;
  private readonly logger: ClientLogger | undefined;
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly clientHeader: string;
  private readonly modelListTimeoutMs: number;
  private readonly random: () => number;
  private readonly baseUrl: string | undefined;
  private readonly configError: ModelError | undefined;
  private sdk: Promise<OpenAI> | undefined;
  /** The SDK's timeout error class, for instanceof checks (class names do not survive minification). */
  private timeoutErrorClass: (new (...args: never[]) => Error) | undefined;
  /** Set once the server rejected `response_format`: later requests go without it straight away. */
  private jsonSchemaUnsupported = false;

  constructor(config: EndpointConfig, logger: ClientLogger | undefined, options: ClientOptions) {
    this.config = config;
    this.logger = logger;
    this.baseMs = options.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS;
    this.capMs = options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
    this.clientHeader = options.clientVersion ? `insight-proof/${options.clientVersion}` : 'insight-proof';
    this.modelListTimeoutMs = Math.min(options.modelListTimeoutMs ?? DEFAULT_MODEL_LIST_TIMEOUT_MS, config.timeoutMs);
    this.random = options.random ?? Math.random;
    try {
      const normalized = normalizeBaseUrl(config.baseUrl);
      this.baseUrl = normalized.baseUrl;
      if (normalized.note) this.log('info', normalized.note);
    } catch (error) {
      // Reported on first use, so that creating a client never throws.
      this.configError = error instanceof ModelError ? error : describeError(error, this.context(''));
    }
  }

  async chat(request: ChatRequest, onDelta?: (delta: StreamDelta) => void): Promise<ChatResult> {
    const sdk = await this.client();
    let useJsonSchema = request.jsonSchema !== undefined && !this.jsonSchemaUnsupported;
    let requests = 0;
    let retries = 0;
    for (;;) {
      if (request.signal?.aborted) throw new ModelError('aborted', cancelledMessage({ content: '', reasoning: '' }));
      requests += 1;
      this.log('debug', `POST ${displayUrl(this.baseUrl ?? '')}/chat/completions stage=${request.stage} model=${request.model} attempt=${requests}${useJsonSchema ? ' response_format=json_schema' : ''}`);
      const outcome = await this.attempt(sdk, request, useJsonSchema, onDelta);
      if (outcome.ok) {
        const { result } = outcome;
        if (result.content.trim() === '') {
          throw new ModelError('empty', emptyAnswerMessage(result, result.finishReason), { partial: { content: result.content, reasoning: result.reasoning } });
        }
        if (result.finishReason === 'length') this.log('warn', `The ${request.stage} answer stopped at the token limit (finish_reason "length").`);
        return { ...result, usedJsonSchema: useJsonSchema };
      }

      const { reason, error, partial, emitted } = outcome;
      if (reason === 'aborted') throw new ModelError('aborted', cancelledMessage(partial), { partial, cause: error });
      if (reason === 'timeout') {
        throw new ModelError('timeout', timeoutMessage(displayUrl(this.baseUrl ?? ''), this.config.timeoutMs, partial), { partial, cause: error });
      }
      if (!emitted && useJsonSchema && isJsonSchemaRejection(error)) {
        this.jsonSchemaUnsupported = true;
        useJsonSchema = false;
        this.log('warn', `The server rejected response_format (${this.safeMessage(error)}); asking for plain text instead from now on.`);
        continue;
      }
      if (!emitted && retries < this.config.maxRetries && isRetryableFailure(error)) {
        const wait = retryDelayMs(retries, error, { baseMs: this.baseMs, capMs: this.capMs, random: this.random });
        retries += 1;
        this.log('info', `The ${request.stage} request failed (${this.safeMessage(error)}); retry ${retries} of ${this.config.maxRetries} in ${Math.round(wait)} ms.`);
        try {
          await sleep(wait, request.signal);
        } catch {
          throw new ModelError('aborted', cancelledMessage(partial), { partial });
        }
        continue;
      }
      const availableModels = statusOf(error) === 404 ? await this.modelsForExplanation() : undefined;
      const described = describeError(error, { ...this.context(request.model), partial, attempts: requests, ...(availableModels ? { availableModels } : {}) });
      this.log('warn', `The ${request.stage} request failed: ${described.message}`);
      throw described;
    }
  }

  async listModels(signal?: AbortSignal): Promise<string[]> {
    const sdk = await this.client();
    try {
      const page = await sdk.models.list({ ...(signal ? { signal } : {}), headers: { [CLIENT_HEADER]: this.clientHeader } });
      return page.data.map((model) => model.id);
    } catch (error) {
      if (signal?.aborted) throw new ModelError('aborted', 'Listing the models was cancelled.', { cause: error });
      throw describeError(error, this.context(''));
    }
  }

  /** One streamed request. Throws only what onDelta throws; every other failure is returned, for the caller to retry, fall back or report. */
  private async attempt(sdk: OpenAI, request: ChatRequest, useJsonSchema: boolean, onDelta: ((delta: StreamDelta) => void) | undefined): Promise<AttemptOutcome> {
    const controller = new AbortController();
    const userSignal = request.signal;
    const onUserAbort = (): void => controller.abort();
    userSignal?.addEventListener('abort', onUserAbort, { once: true });
    let timedOut = false;
    // One timer for the whole attempt: each chunk only notes the time, and the timer, when it
    // fires, sleeps again for whatever is left (re-arming a timer per chunk costs more than reading it).
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lastActivity = performance.now();
    const checkIdle = (): void => {
      const idle = performance.now() - lastActivity;
      if (idle >= this.config.timeoutMs) {
        timedOut = true;
        controller.abort();
      } else {
        timer = setTimeout(checkIdle, this.config.timeoutMs - idle);
      }
    };
    const armIdleTimer = (): void => {
      lastActivity = performance.now();
      timer ??= setTimeout(checkIdle, this.config.timeoutMs);
    };

    // Deltas are split as they arrive so the answer streams; the result is split again from the
    // whole text, which also catches the DeepSeek-R1 shape (the opening <think> was in the prompt,
    // so the answer starts mid-thought and only a closing tag follows). Only in that case do the
    // deltas, shown provisionally as content, differ from the final split.
    const splitter = new ReasoningSplitter({ leadingReasoning: false });
    let rawContent = '';
    let fieldReasoning = '';
    let emitted = false;
    let finishReason: string | null = null;
    let model = '';
    const emit = (delta: StreamDelta): void => {
      if (delta.content === '' && delta.reasoning === '') return;
      emitted = true;
      if (!onDelta) return;
      try {
        onDelta(delta);
      } catch (error) {
        throw new CallbackError(error);
      }
    };
    const finalSplit = (): PartialAnswer => {
      const split = splitReasoning(rawContent);
      return { content: split.content, reasoning: fieldReasoning && split.reasoning ? `${fieldReasoning}\n\n${split.reasoning}` : fieldReasoning + split.reasoning };
    };

    const body: ChatCompletionCreateParamsStreaming = {
      model: request.model,
      messages: request.messages,
      stream: true,
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      // max_tokens, not max_completion_tokens: most local servers only know the older name.
      ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
      ...(useJsonSchema && request.jsonSchema
        ? { response_format: { type: 'json_schema' as const, json_schema: { name: request.jsonSchema.name, schema: request.jsonSchema.schema, strict: false } } }
        : {}),
    };

    try {
      armIdleTimer();
      const stream = await sdk.chat.completions.create(body, {
        signal: controller.signal,
        headers: { [STAGE_HEADER]: request.stage, [CLIENT_HEADER]: this.clientHeader },
      });
      armIdleTimer();
      for await (const chunk of stream) {
        armIdleTimer();
        if (chunk.model && !model) model = chunk.model;
        const choice = chunk.choices?.[0];
        if (!choice) continue;
        const delta = (choice.delta ?? {}) as ReasoningDelta;
        // Some servers send both fields with the same text; one of them is enough.
        const reasoningPiece = delta.reasoning_content || delta.reasoning || '';
        fieldReasoning += reasoningPiece;
        let split: StreamDelta = { content: '', reasoning: '' };
        if (typeof delta.content === 'string' && delta.content !== '') {
          rawContent += delta.content;
          split = splitter.push(delta.content);
        }
        emit({ content: split.content, reasoning: reasoningPiece + split.reasoning });
        if (choice.finish_reason) finishReason = choice.finish_reason;
      }
      // The SDK ends the iteration quietly when its request is aborted; find out why it ended.
      if (timedOut || userSignal?.aborted) throw controller.signal.reason;
      emit(splitter.end());
      return { ok: true, result: { ...finalSplit(), finishReason, model: model || request.model } };
    } catch (error) {
      if (error instanceof CallbackError) throw error.error;
      // Text the splitter still held back (a possible partial tag) is part of the partial answer.
      const sdkTimedOut = this.timeoutErrorClass !== undefined && error instanceof this.timeoutErrorClass;
      return { ok: false, reason: timedOut || sdkTimedOut ? 'timeout' : userSignal?.aborted ? 'aborted' : 'failed', error, partial: finalSplit(), emitted };
    } finally {
      clearTimeout(timer);
      userSignal?.removeEventListener('abort', onUserAbort);
      controller.abort();
    }
  }

  /** The models the server lists, to name them when a model was not found; never fails. */
  private async modelsForExplanation(): Promise<string[] | undefined> {
    try {
      const sdk = await this.client();
      const page = await sdk.models.list({ timeout: this.modelListTimeoutMs, headers: { [CLIENT_HEADER]: this.clientHeader } });
      return page.data.map((model) => model.id);
    } catch {
      return undefined;
    }
  }

  private client(): Promise<OpenAI> {
    if (this.configError) return Promise.reject(this.configError);
    this.sdk ??= loadSdk().then(
      ({ default: OpenAIClient, APIConnectionTimeoutError }) => {
        this.timeoutErrorClass = APIConnectionTimeoutError;
        return new OpenAIClient({
          baseURL: this.baseUrl,
          // The SDK insists on a key; local servers need none, so then the Authorization header is dropped below.
          apiKey: this.config.apiKey || 'no-key-configured',
          // Never pick up OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment for a local server.
          organization: null,
          project: null,
          maxRetries: 0,
          timeout: this.config.timeoutMs,
          logLevel: 'off',
          fetch: nodeFetch,
          defaultHeaders: this.config.apiKey ? {} : { Authorization: null },
        });
      },
      (error: unknown) => {
        this.sdk = undefined;
        throw new ModelError('config', `The bundled openai library could not be loaded (${error instanceof Error ? error.message : String(error)}); reinstall Insight Proof.`, { cause: error });
      },
    );
    return this.sdk;
  }

  private context(model: string): { baseUrl: string; model: string; secrets: string[]; timeoutMs: number; hasApiKey: boolean } {
    return {
      baseUrl: this.baseUrl ?? this.config.baseUrl,
      model,
      secrets: this.config.apiKey ? [this.config.apiKey] : [],
      timeoutMs: this.config.timeoutMs,
      hasApiKey: Boolean(this.config.apiKey),
    };
  }

  private safeMessage(error: unknown): string {
    return redactSecrets(error instanceof Error ? error.message : String(error), [this.config.apiKey]);
  }

  private log(level: 'info' | 'warn' | 'error' | 'debug', message: string): void {
    if (!this.logger) return;
    const safe = redactSecrets(message, [this.config.apiKey]);
    if (level === 'debug') this.logger.debug?.(safe);
    else this.logger[level](safe);
  }
}

function statusOf(error: unknown): number | undefined {
  const status = typeof error === 'object' && error !== null ? (error as Record<string, unknown>).status : undefined;
  return typeof status === 'number' ? status : undefined;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Creates a client; the `openai` SDK is loaded on the first request, not here. */
export function createModelClient(config: EndpointConfig, logger?: ClientLogger, options: ClientOptions = {}): ModelClient {
  return new OpenAICompatibleClient(config, logger, options);
}
