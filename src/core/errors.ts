// Every way a model request can fail, mapped to ONE sentence that tells the person what to do.
// The sentences are shared by the VS Code extension and the CLI, so they name both the setting and
// the command-line flag. Nothing here may ever put an API key in a message: every message passes
// through redactSecrets().
//
// This module does not import the `openai` SDK (it is loaded lazily); it recognises the SDK's errors
// by their shape: `status`, `error` (the parsed body), `headers`, `cause`.

export type ModelErrorKind =
  | 'connection'
  | 'dns'
  | 'auth'
  | 'forbidden'
  | 'model-not-found'
  | 'not-found'
  | 'bad-request'
  | 'context-length'
  | 'rate-limit'
  | 'server'
  | 'timeout'
  | 'stream-cut'
  | 'empty'
  | 'aborted'
  | 'config';

export interface PartialAnswer {
  content: string;
  reasoning: string;
}

export interface ModelErrorOptions {
  status?: number;
  retryable?: boolean;
  partial?: PartialAnswer;
  cause?: unknown;
}

/** Kinds where trying the same request again later can succeed. */
const RETRYABLE_KINDS: ReadonlySet<ModelErrorKind> = new Set(['connection', 'rate-limit', 'server', 'timeout', 'stream-cut']);

export class ModelError extends Error {
  readonly kind: ModelErrorKind;
  readonly status?: number;
  readonly retryable: boolean;
  /** What had streamed in before the failure. */
  readonly partial: PartialAnswer;

  constructor(kind: ModelErrorKind, message: string, options: ModelErrorOptions = {}) {
    super(redactSecrets(message, []), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ModelError';
    this.kind = kind;
    if (options.status !== undefined) this.status = options.status;
    this.retryable = options.retryable ?? RETRYABLE_KINDS.has(kind);
    this.partial = options.partial ?? { content: '', reasoning: '' };
  }

  /** The same error carrying what had streamed in before it happened. */
  withPartial(partial: PartialAnswer): ModelError {
    return new ModelError(this.kind, this.message, {
      ...(this.status !== undefined ? { status: this.status } : {}),
      retryable: this.retryable,
      partial,
      cause: this.cause,
    });
  }
}

/**
 * Where each fix is made, in words that work for both front ends. Exported so the VS Code adapter
 * and the CLI can check that the names still match their settings and flags.
 */
export const SETTING_HINTS = {
  baseUrl: 'the base URL setting (insightProof.baseUrl / --base-url)',
  model: 'the model setting (insightProof.model / --model)',
  apiKey: 'the "Insight Proof: Set API Key" command (or INSIGHT_PROOF_API_KEY for the CLI)',
  timeout: 'the timeout setting (insightProof.requestTimeoutSeconds / --timeout)',
  maxTokens: 'the max tokens setting (insightProof.maxTokens / --max-tokens)',
} as const;

const REDACTED = '[redacted]';

/**
 * Replaces every occurrence of the given secrets (and anything that looks like a bearer token or an
 * OpenAI-style `sk-…` key, even masked) with "[redacted]". Use it on everything that reaches a log,
 * an output channel or a message.
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let result = text;
  for (const secret of secrets) {
    // Very short values (e.g. "x" for a local server that ignores keys) would mangle ordinary words.
    if (secret && secret.trim().length >= 4) result = result.split(secret).join(REDACTED);
  }
  return result
    .replace(/\b(Bearer\s+)[A-Za-z0-9._~+/=*-]{5,}[A-Za-z0-9_~+/=*-]/gi, `$1${REDACTED}`)
    .replace(/\bsk-[A-Za-z0-9_*-]{6,}/g, REDACTED);
}

/** A URL for messages: without user name, password, query or fragment. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.href.replace(/\/+$/, '');
  } catch {
    return url;
  }
}

export interface ErrorContext {
  baseUrl: string;
  model: string;
  /** Values to keep out of every message (the API key). */
  secrets?: readonly (string | undefined)[];
  /** The configured timeout, named in timeout messages. */
  timeoutMs?: number;
  /** The models the server lists, for a 404 on the model (fetched by the caller, best effort). */
  availableModels?: readonly string[];
  /** Whether an API key was configured at all (a 401 then means "missing", not "wrong"). */
  hasApiKey?: boolean;
  /** How many requests were made, named when retries did not help. */
  attempts?: number;
  partial?: PartialAnswer;
}

interface ErrorShape {
  status: number | undefined;
  serverMessage: string;
  code: string | undefined;
  causeCodes: string[];
  name: string;
  message: string;
}

function readShape(error: unknown): ErrorShape {
  const record = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const status = typeof record.status === 'number' ? record.status : undefined;
  const body = record.error;
  let serverMessage = '';
  let code: string | undefined;
  if (typeof body === 'string') serverMessage = body;
  else if (typeof body === 'object' && body !== null) {
    const fields = body as Record<string, unknown>;
    const nested = typeof fields.error === 'object' && fields.error !== null ? (fields.error as Record<string, unknown>) : undefined;
    const message = fields.message ?? nested?.message ?? fields.detail ?? fields.error;
    serverMessage = typeof message === 'string' ? message : message !== undefined ? JSON.stringify(message) : '';
    const rawCode = fields.code ?? nested?.code;
    code = typeof rawCode === 'string' ? rawCode : undefined;
  }
  if (code === undefined && typeof record.code === 'string') code = record.code;
  const causeCodes: string[] = [];
  let cause: unknown = error;
  for (let depth = 0; depth < 6 && typeof cause === 'object' && cause !== null; depth += 1) {
    const fields = cause as Record<string, unknown>;
    if (typeof fields.code === 'string') causeCodes.push(fields.code);
    if (Array.isArray(fields.errors)) {
      for (const inner of fields.errors as unknown[]) {
        if (typeof inner === 'object' && inner !== null && typeof (inner as Record<string, unknown>).code === 'string') {
          causeCodes.push((inner as Record<string, unknown>).code as string);
        }
      }
    }
    cause = fields.cause;
  }
  return {
    status,
    serverMessage,
    code,
    causeCodes,
    name: error instanceof Error ? error.constructor.name : '',
    message: error instanceof Error ? error.message : String(error),
  };
}

function headerOf(error: unknown, name: string): string | undefined {
  const headers = typeof error === 'object' && error !== null ? (error as Record<string, unknown>).headers : undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  if (typeof headers === 'object' && headers !== null) {
    const value = (headers as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

/** The server's own words, made safe to quote inside one sentence: its first sentence, redacted and short. */
function quoteServer(text: string, secrets: readonly (string | undefined)[]): string {
  const flat = redactSecrets(text, secrets).replace(/\s+/g, ' ').trim();
  const firstSentence = (flat.split(/(?<=[.!?])\s+(?=[A-Z])/)[0] ?? '').replace(/[.;:\s]+$/, '');
  return firstSentence.length > 160 ? `${firstSentence.slice(0, 157)}…` : firstSentence;
}

function withDetail(status: number, serverText: string): string {
  return serverText ? `${status}: ${serverText}` : String(status);
}

const CONTEXT_LENGTH = /context[ _-]?(length|window)|maximum context|too many tokens|prompt is too long|input is too long|exceeds? the (model'?s? )?(context|maximum)|context_length_exceeded|reduce the length/i;
const JSON_SCHEMA_REJECTED = /response_format|json_schema|json schema|guided|structured output|unsupported|not supported/i;

/** True when the request may be repeated unchanged: 408, 409, 429, 5xx and connections dropped before an answer. */
export function isRetryableFailure(error: unknown): boolean {
  const shape = readShape(error);
  if (shape.status !== undefined) return shape.status === 408 || shape.status === 409 || shape.status === 429 || shape.status >= 500;
  return isDroppedConnection(shape);
}

function isDroppedConnection(shape: ErrorShape): boolean {
  const codes = new Set(shape.causeCodes);
  if (codes.has('ECONNREFUSED') || codes.has('ENOTFOUND') || codes.has('EAI_AGAIN')) return false;
  return (
    codes.has('ECONNRESET') ||
    codes.has('EPIPE') ||
    codes.has('UND_ERR_SOCKET') ||
    codes.has('UND_ERR_CLOSED') ||
    /terminated|socket hang up|other side closed|ECONNRESET/i.test(shape.message)
  );
}

/** True for a 400/422 that says the server does not support `response_format` (the client then retries without it). */
export function isJsonSchemaRejection(error: unknown): boolean {
  const shape = readShape(error);
  if (shape.status === 422) return true;
  if (shape.status !== 400) return false;
  const text = `${shape.serverMessage} ${shape.message}`;
  return JSON_SCHEMA_REJECTED.test(text) && !CONTEXT_LENGTH.test(text);
}

/** True for a 404 whose body is about the model rather than the route. */
export function isModelNotFound(error: unknown): boolean {
  const shape = readShape(error);
  if (shape.status !== 404) return false;
  return shape.code === 'model_not_found' || /\bmodel\b/i.test(shape.serverMessage);
}

function formatModelList(models: readonly string[]): string {
  const shown = models.slice(0, 8).join(', ');
  return models.length > 8 ? `${shown} and ${models.length - 8} more` : shown;
}

function seconds(ms: number): string {
  // 300000 -> "300 s", 1500 -> "1.5 s", 150 -> "0.15 s"
  return `${Number((ms / 1000).toFixed(ms < 1000 ? 2 : 1))} s`;
}

/**
 * Maps any failure of a model request to a ModelError with one actionable sentence. ModelErrors
 * pass through (with the context's partial answer attached when they have none).
 */
export function describeError(error: unknown, context: ErrorContext): ModelError {
  const secrets = context.secrets ?? [];
  const partial = context.partial ?? { content: '', reasoning: '' };
  // The SDK's error keeps the server's raw body, which may echo the key: only a redacted summary is kept as the cause.
  const cause = new Error(redactSecrets(error instanceof Error ? error.message : String(error), secrets));
  const make = (kind: ModelErrorKind, message: string, status?: number): ModelError =>
    new ModelError(kind, redactSecrets(message, secrets), { ...(status !== undefined ? { status } : {}), partial, cause });

  if (error instanceof ModelError) {
    const hasPartial = error.partial.content !== '' || error.partial.reasoning !== '';
    return hasPartial || context.partial === undefined ? error : error.withPartial(partial);
  }

  const url = displayUrl(context.baseUrl);
  const shape = readShape(error);
  const server = quoteServer(shape.serverMessage, secrets);
  const retried = context.attempts !== undefined && context.attempts > 1 ? ` after ${context.attempts} attempts` : '';

  if (shape.status !== undefined) {
    const status = shape.status;
    if (status === 401) {
      return context.hasApiKey === false
        ? make('auth', `The server at ${url} requires an API key (401); set one with ${SETTING_HINTS.apiKey}.`, status)
        : make('auth', `The server rejected the API key (401); set a valid key with ${SETTING_HINTS.apiKey}.`, status);
    }
    if (status === 403) {
      const forModel = context.model ? ` for model "${context.model}"` : '';
      return make('forbidden', `The server rejected the API key${forModel} (403: access denied); check the key's permissions or set another key with ${SETTING_HINTS.apiKey}.`, status);
    }
    if (status === 404) {
      if (isModelNotFound(error) || (context.availableModels !== undefined && context.availableModels.length > 0 && !context.availableModels.includes(context.model))) {
        const available = context.availableModels && context.availableModels.length > 0 ? ` (available: ${formatModelList(context.availableModels)})` : '';
        return make('model-not-found', `Model "${context.model}" was not found on ${url}${available}; pick one with ${SETTING_HINTS.model}.`, status);
      }
      return make(
        'not-found',
        `${url} has no chat completions endpoint (404); ${SETTING_HINTS.baseUrl} must be the API root that ends before /chat/completions, usually …/v1 as in http://localhost:8000/v1.`,
        status,
      );
    }
    if (status >= 300 && status < 400) {
      const location = headerOf(error, 'location');
      const target = location ? displayUrl(location).replace(/\/(chat\/completions|completions|models)$/, '') : undefined;
      return make(
        'not-found',
        target
          ? `${url} redirects to ${target} (${status}); set ${SETTING_HINTS.baseUrl} to the new address.`
          : `${url} answered with a redirect (${status}) and no new address; check ${SETTING_HINTS.baseUrl}.`,
        status,
      );
    }
    if (status === 400 || status === 413 || status === 422) {
      const text = `${shape.serverMessage} ${shape.message}`;
      if (CONTEXT_LENGTH.test(text) || status === 413) {
        return make('context-length', `The request does not fit in the model's context window (${withDetail(status, server)}); shorten the problem or lower ${SETTING_HINTS.maxTokens}.`, status);
      }
      return make('bad-request', `The model server rejected the request (${withDetail(status, server)}); check ${SETTING_HINTS.model} and the temperature and max tokens settings.`, status);
    }
    if (status === 429) {
      return make('rate-limit', `The server is rate-limiting requests (429)${retried}; wait and try again.`, status);
    }
    if (status === 408) {
      return make('timeout', `The model server gave up waiting (408)${retried}; try again, or check the server's load.`, status);
    }
    if (status >= 500) {
      return make('server', `The model server failed (${withDetail(status, server)})${retried}; check the server's log and try again.`, status);
    }
    return make('bad-request', `The model server answered with an error (${withDetail(status, server)}); check ${SETTING_HINTS.baseUrl} and ${SETTING_HINTS.model}.`, status);
  }

  const codes = new Set(shape.causeCodes);
  if (codes.has('ENOTFOUND') || codes.has('EAI_AGAIN') || codes.has('EAI_NONAME')) {
    let host = url;
    try {
      host = new URL(context.baseUrl).hostname;
    } catch {
      // keep the whole URL
    }
    return make('dns', `Could not resolve the host name "${host}"; check ${SETTING_HINTS.baseUrl} and your network connection.`);
  }
  if (codes.has('ECONNREFUSED') || codes.has('EHOSTUNREACH') || codes.has('ENETUNREACH') || codes.has('EADDRNOTAVAIL')) {
    return make('connection', `Could not connect to ${url}; start the model server or fix ${SETTING_HINTS.baseUrl}.`);
  }
  // Class names do not survive minification; the SDK's fixed messages do.
  if (shape.name === 'APIConnectionTimeoutError' || /^Request timed out/i.test(shape.message) || codes.has('UND_ERR_HEADERS_TIMEOUT') || codes.has('UND_ERR_BODY_TIMEOUT') || codes.has('ETIMEDOUT') || codes.has('UND_ERR_CONNECT_TIMEOUT')) {
    if (context.timeoutMs !== undefined) return make('timeout', timeoutMessage(url, context.timeoutMs, partial));
    return make('timeout', `The model server at ${url} did not answer in time; raise ${SETTING_HINTS.timeout} if the model is just slow, or check the server.`);
  }
  if (shape.name === 'APIUserAbortError' || /^Request was aborted/i.test(shape.message) || (error instanceof Error && error.name === 'AbortError')) {
    return make('aborted', cancelledMessage(partial));
  }
  if (error instanceof SyntaxError || /malformed|could not parse|unexpected token|not valid json/i.test(shape.message)) {
    return make('stream-cut', `The model server sent malformed data after ${characters(partial.content.length)}; the partial answer was kept; try again or check the server.`);
  }
  if (isDroppedConnection(shape)) {
    return make('stream-cut', streamCutMessage(url, partial));
  }
  if (shape.serverMessage) {
    // An error event inside the stream (`data: {"error": …}`): the server's own words are the best hint.
    return make('server', `The model server reported an error (${server}); check the server's log and try again.`);
  }
  const detail = quoteServer(shape.message, secrets);
  return make('connection', `The request to ${url} failed${detail ? ` (${detail})` : ''}; check ${SETTING_HINTS.baseUrl} and that the server is running.`);
}

function characters(count: number): string {
  return count === 1 ? '1 character' : `${count} characters`;
}

export function cancelledMessage(partial: PartialAnswer): string {
  const kept = partial.content.length + partial.reasoning.length;
  return kept > 0 ? `Generation was cancelled; the ${characters(kept)} received so far were kept.` : 'Generation was cancelled before the model answered.';
}

export function streamCutMessage(url: string, partial: PartialAnswer): string {
  return `The connection to ${url} dropped after ${characters(partial.content.length)} of the answer; the partial answer was kept; try again.`;
}

export function timeoutMessage(url: string, timeoutMs: number, partial: PartialAnswer): string {
  const received = partial.content.length + partial.reasoning.length;
  return received > 0
    ? `The model server at ${url} stalled for ${seconds(timeoutMs)} after ${characters(received)}; the partial answer was kept; raise ${SETTING_HINTS.timeout} if the model is just slow, or try again.`
    : `The model server at ${url} sent no answer within ${seconds(timeoutMs)}; raise ${SETTING_HINTS.timeout} if the model is just slow, or check the server.`;
}

export function emptyAnswerMessage(partial: PartialAnswer, finishReason: string | null): string {
  if (partial.reasoning.trim() !== '') {
    const spent = finishReason === 'length' ? 'spent the whole token limit on reasoning' : 'only produced reasoning';
    return `The model ${spent} (${characters(partial.reasoning.length)}) and gave no answer; raise ${SETTING_HINTS.maxTokens} so it can finish, or try again.`;
  }
  return `The model returned an empty answer; try again, or check ${SETTING_HINTS.model} and the prompt template.`;
}
