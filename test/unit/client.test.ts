// The model client against a real HTTP server (the scripted one), through the real `openai` SDK.
// Timeouts and backoffs are small so the whole file runs in a few seconds.
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createModelClient, retryAfterMs, retryDelayMs, type ChatRequest, type ClientOptions, type EndpointConfig, type StreamDelta } from '../../src/core/client.ts';
import { describeError, ModelError, redactSecrets } from '../../src/core/errors.ts';
import { closedPort, ScriptedModelServer, type ScriptedServerOptions } from '../server/scriptedServer.ts';

const CANARY_KEY = 'sk-canary-XYZ';
const MODEL = 'deepinsight-7b';

/** Every message a user or a log could see in this file, checked for the key at the end. */
const seenText: string[] = [];
const logger = {
  info: (message: string) => seenText.push(message),
  warn: (message: string) => seenText.push(message),
  error: (message: string) => seenText.push(message),
  debug: (message: string) => seenText.push(message),
};

let server: ScriptedModelServer;
let baseUrl: string;

async function startServer(options: ScriptedServerOptions = {}): Promise<void> {
  server = new ScriptedModelServer({ models: [MODEL, 'other-model'], ...options });
  baseUrl = await server.start();
}

beforeEach(async () => {
  await startServer();
});

afterEach(async () => {
  await server.close();
});

function client(config: Partial<EndpointConfig> = {}, options: ClientOptions = {}) {
  return createModelClient(
    { baseUrl, apiKey: CANARY_KEY, timeoutMs: 2_000, maxRetries: 2, ...config },
    logger,
    { retryBaseDelayMs: 5, random: () => 0.5, ...options },
  );
}

function request(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return { stage: 'techniques', model: MODEL, messages: [{ role: 'user', content: 'Prove that 2 + 2 = 4.' }], ...overrides };
}

/** Runs a chat that must fail and returns its ModelError. */
async function failure(promise: Promise<unknown>): Promise<ModelError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ModelError, `expected a ModelError, got ${String(error)}`);
    seenText.push(error.message);
    return error;
  }
  assert.fail('expected the request to fail');
}


/** One sentence: a single final period, no line breaks. */
function assertOneSentence(message: string): void {
  assert.doesNotMatch(message, /\n/);
  assert.match(message, /[.]$/);
  assert.doesNotMatch(message.slice(0, -1), /\.\s+[A-Z]/, `more than one sentence: ${message}`);
}

describe('streaming', () => {
  test('deltas arrive incrementally, in order, before the answer is complete', async () => {
    const content = 'First technique. Second technique. Third technique.';
    server.script('techniques', { content, chunkChars: 8, chunkDelayMs: 15 });
    const arrivals: { delta: StreamDelta; at: number }[] = [];
    const result = await client().chat(request(), (delta) => arrivals.push({ delta, at: Date.now() }));
    const finishedAt = Date.now();

    assert.equal(result.content, content);
    assert.equal(result.finishReason, 'stop');
    assert.equal(result.model, MODEL);
    assert.ok(arrivals.length >= 5, `only ${arrivals.length} deltas`);
    assert.equal(arrivals.map(({ delta }) => delta.content).join(''), content);
    assert.ok(finishedAt - arrivals[0]!.at >= 60, 'the first delta came only at the end');
    for (let index = 1; index < arrivals.length; index += 1) assert.ok(arrivals[index]!.at >= arrivals[index - 1]!.at);
  });

  test('every request carries the stage header, retries included, and the client header', async () => {
    server.script('techniques', { content: 'T' });
    server.script('sketch', { status: 503 }, { content: 'S' });
    server.script('proof', { content: 'P' });
    server.script('review', { content: 'R' });
    const modelClient = client({}, { clientVersion: '1.2.3' });
    for (const stage of ['techniques', 'sketch', 'proof', 'review'] as const) {
      await modelClient.chat(request({ stage }));
    }
    assert.deepEqual(
      server.chatRequests.map((recorded) => recorded.headers['x-insight-proof-stage']),
      ['techniques', 'sketch', 'sketch', 'proof', 'review'],
    );
    for (const recorded of server.chatRequests) {
      assert.equal(recorded.headers['x-insight-proof-client'], 'insight-proof/1.2.3');
      assert.equal(recorded.headers.authorization, `Bearer ${CANARY_KEY}`);
      assert.equal(recorded.body.stream, true);
    }
  });

  test('model, temperature and max_tokens are sent as local servers expect', async () => {
    server.script('techniques', { content: 'ok' });
    await client().chat(request({ temperature: 0.3, maxTokens: 512 }));
    const body = server.chatRequests[0]!.body;
    assert.equal(body.model, MODEL);
    assert.equal(body.temperature, 0.3);
    assert.equal(body.max_tokens, 512);
    assert.equal(body.max_completion_tokens, undefined);
    assert.equal(body.response_format, undefined);
  });

  test('without an API key no Authorization header is sent', async () => {
    server.script('techniques', { content: 'ok' });
    await client({ apiKey: '' }).chat(request());
    assert.equal(server.chatRequests[0]!.headers.authorization, undefined);
  });

  test('finish_reason "length" is reported, not an error', async () => {
    server.script('techniques', { content: 'A proof that stops mid', finishReason: 'length' });
    const result = await client().chat(request());
    assert.equal(result.finishReason, 'length');
    assert.equal(result.content, 'A proof that stops mid');
  });

  test('a 2 MB answer streams completely', async () => {
    const line = 'Step: apply the inequality $a^2 + b^2 \\ge 2ab$ to every pair, then sum. ∑ 🙂\n';
    const content = line.repeat(Math.ceil((2 * 1024 * 1024) / line.length));
    server.script('proof', { content, chunkChars: 4096 });
    let streamed = 0;
    const result = await client().chat(request({ stage: 'proof' }), (delta) => {
      streamed += delta.content.length;
    });
    assert.equal(result.content.length, content.length);
    assert.equal(result.content, content);
    assert.equal(streamed, content.length);
  });

  test('an exception thrown by onDelta stops the request and reaches the caller unchanged', async () => {
    server.script('techniques', { content: 'abcdefghijklmnop', chunkChars: 2, chunkDelayMs: 5 });
    const problem = new Error('tree view disposed');
    await assert.rejects(client().chat(request(), () => {
      throw problem;
    }), (error) => error === problem);
  });
});

describe('reasoning is kept apart from the answer', () => {
  for (const reasoningField of ['reasoning_content', 'reasoning'] as const) {
    test(`in the ${reasoningField} delta field`, async () => {
      server.script('techniques', { reasoning: 'Let me think about parity.', reasoningField, content: '1. Parity argument', chunkChars: 6 });
      const deltas: StreamDelta[] = [];
      const result = await client().chat(request(), (delta) => deltas.push(delta));
      assert.equal(result.content, '1. Parity argument');
      assert.equal(result.reasoning, 'Let me think about parity.');
      assert.equal(deltas.map((delta) => delta.reasoning).join(''), 'Let me think about parity.');
      assert.equal(deltas.map((delta) => delta.content).join(''), '1. Parity argument');
    });
  }

  test('in <think> blocks inside the content, tags split across chunks', async () => {
    server.script('techniques', { content: '<think>Try induction on n.</think>\n1. Induction on n', chunkChars: 3 });
    const deltas: StreamDelta[] = [];
    const result = await client().chat(request(), (delta) => deltas.push(delta));
    assert.equal(result.reasoning, 'Try induction on n.');
    assert.equal(result.content.trim(), '1. Induction on n');
    assert.doesNotMatch(deltas.map((delta) => delta.content).join(''), /think|induction on n\./i);
  });

  test('an answer that starts mid-thought and closes </think> (DeepSeek-R1 template) ends up split', async () => {
    server.script('techniques', { content: 'The key is symmetry.</think>1. Symmetry', chunkChars: 5 });
    const result = await client().chat(request());
    assert.equal(result.reasoning, 'The key is symmetry.');
    assert.equal(result.content, '1. Symmetry');
  });
});

describe('structured output', () => {
  const jsonSchema = { name: 'techniques', schema: { type: 'object', properties: { techniques: { type: 'array' } } } };

  test('response_format json_schema is sent when a schema is given', async () => {
    server.script('techniques', { content: '{"techniques":[]}' });
    const result = await client().chat(request({ jsonSchema }));
    assert.equal(result.usedJsonSchema, true);
    assert.deepEqual(server.chatRequests[0]!.body.response_format, { type: 'json_schema', json_schema: { name: 'techniques', schema: jsonSchema.schema, strict: false } });
  });

  test('a server that rejects it gets plain text, and the client remembers', async () => {
    server.script('techniques', { content: '1. Pigeonhole', rejectJsonSchema: true }, { content: '2. Extremal principle', rejectJsonSchema: true });
    const modelClient = client();
    const first = await modelClient.chat(request({ jsonSchema }));
    assert.equal(first.usedJsonSchema, false);
    assert.equal(first.content, '1. Pigeonhole');
    assert.equal(server.chatRequests.length, 2);
    assert.ok(server.chatRequests[0]!.body.response_format);
    assert.equal(server.chatRequests[1]!.body.response_format, undefined);

    const second = await modelClient.chat(request({ jsonSchema }));
    assert.equal(second.usedJsonSchema, false);
    assert.equal(second.content, '2. Extremal principle');
    assert.equal(server.chatRequests.length, 3, 'the third request went without response_format directly');
    assert.equal(server.chatRequests[2]!.body.response_format, undefined);
  });

  test('a 422 for the schema also falls back', async () => {
    server.script('techniques', { status: 422, errorBody: { detail: [{ msg: 'Extra inputs are not permitted', loc: ['body', 'response_format'] }] } }, { content: 'plain' });
    const result = await client().chat(request({ jsonSchema }));
    assert.equal(result.usedJsonSchema, false);
    assert.equal(result.content, 'plain');
  });
});

describe('failures end in one actionable sentence', () => {
  test('401: the key was rejected, no retry', async () => {
    server.script('techniques', { status: 401 });
    const error = await failure(client().chat(request()));
    assert.equal(error.kind, 'auth');
    assert.equal(error.status, 401);
    assert.match(error.message, /rejected the API key \(401\)/);
    assert.match(error.message, /Set API Key/);
    assertOneSentence(error.message);
    assert.equal(server.chatRequests.length, 1);
  });

  test('401 without a configured key asks for one', async () => {
    server.script('techniques', { status: 401 });
    const error = await failure(client({ apiKey: undefined }).chat(request()));
    assert.match(error.message, /requires an API key \(401\)/);
  });

  test('403: the key was rejected, no retry', async () => {
    server.script('techniques', { status: 403 });
    const error = await failure(client().chat(request()));
    assert.equal(error.kind, 'forbidden');
    assert.match(error.message, /rejected the API key/);
    assert.match(error.message, /403/);
    assertOneSentence(error.message);
    assert.equal(server.chatRequests.length, 1);
  });

  test('404 on the model names it and the models the server has', async () => {
    const error = await failure(client().chat(request({ model: 'deepinsight-70b' })));
    assert.equal(error.kind, 'model-not-found');
    assert.equal(error.message, `Model "deepinsight-70b" was not found on ${baseUrl} (available: ${MODEL}, other-model); pick one with the model setting (insightProof.model / --model).`);
    assertOneSentence(error.message);
    assert.equal(server.chatRequests.length, 1);
    assert.ok(server.requests.some((recorded) => recorded.path === '/v1/models'), 'the models were listed for the message');
  });

  test('404 on the route explains the base URL shape', async () => {
    const wrongRoot = baseUrl.replace(/\/v1$/, '/api');
    const error = await failure(client({ baseUrl: wrongRoot }).chat(request()));
    assert.equal(error.kind, 'not-found');
    assert.match(error.message, /has no chat completions endpoint \(404\)/);
    assert.match(error.message, /\/v1/);
    assert.match(error.message, /insightProof\.baseUrl \/ --base-url/);
    assertOneSentence(error.message);
  });

  test('400 context too long says to shorten the problem or lower max tokens', async () => {
    server.script('proof', {
      status: 400,
      errorBody: { object: 'error', message: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (3000 in the messages, 2000 in the completion). Please reduce the length of the messages or completion.", type: 'BadRequestError', param: null, code: 400 },
    });
    const error = await failure(client().chat(request({ stage: 'proof' })));
    assert.equal(error.kind, 'context-length');
    assert.match(error.message, /shorten the problem or lower the max tokens setting/);
    assert.match(error.message, /4096 tokens/);
    assertOneSentence(error.message);
    assert.equal(server.chatRequests.length, 1);
  });

  test('another 400 quotes the server without the key', async () => {
    server.script('techniques', { status: 400, errorBody: { error: { message: `temperature must be at most 2 (key ${CANARY_KEY})`, type: 'invalid_request_error', code: null } } });
    const error = await failure(client().chat(request({ temperature: 7 })));
    assert.equal(error.kind, 'bad-request');
    assert.match(error.message, /temperature must be at most 2/);
    assert.match(error.message, /\[redacted\]/);
    assert.equal(server.chatRequests.length, 1);
  });

  test('429 with Retry-After: waits as told, then succeeds', async () => {
    server.script('techniques', { status: 429, retryAfterSeconds: 1 }, { content: 'after the wait' });
    const started = Date.now();
    const result = await client({}, { retryBaseDelayMs: 1 }).chat(request());
    const waited = Date.now() - started;
    assert.equal(result.content, 'after the wait');
    assert.equal(server.chatRequests.length, 2);
    assert.ok(waited >= 950, `waited only ${waited} ms`);
    assert.ok(waited < 1_900, `waited ${waited} ms`);
  });

  test('retry-after-ms is honoured over the backoff', async () => {
    server.script('techniques', { status: 429, headers: { 'retry-after-ms': '20' } }, { content: 'ok' });
    const started = Date.now();
    await client({}, { retryBaseDelayMs: 5_000 }).chat(request());
    assert.ok(Date.now() - started < 1_000);
    assert.equal(server.chatRequests.length, 2);
  });

  test('429 that persists: one sentence after the retries', async () => {
    server.script('techniques', { status: 429, retryAfterSeconds: 0 }, { status: 429, retryAfterSeconds: 0 }, { status: 429, retryAfterSeconds: 0 });
    const error = await failure(client().chat(request()));
    assert.equal(error.kind, 'rate-limit');
    assert.equal(error.message, 'The server is rate-limiting requests (429) after 3 attempts; wait and try again.');
  });

  test('500 then success', async () => {
    server.script('sketch', { status: 500 }, { content: '1. Reduce to the case n = 1.' });
    const result = await client().chat(request({ stage: 'sketch' }));
    assert.equal(result.content, '1. Reduce to the case n = 1.');
    assert.equal(server.chatRequests.length, 2);
  });

  test('503 on every attempt: maxRetries + 1 requests, then one sentence', async () => {
    const unavailable = { status: 503, errorBody: { error: { message: 'Model is loading', type: 'server_error', code: null } } };
    server.script('proof', unavailable, unavailable, unavailable, unavailable, { content: 'never reached' });
    const error = await failure(client({ maxRetries: 3 }).chat(request({ stage: 'proof' })));
    assert.equal(server.chatRequests.length, 4);
    assert.equal(error.kind, 'server');
    assert.equal(error.status, 503);
    assert.equal(error.message, "The model server failed (503: Model is loading) after 4 attempts; check the server's log and try again.");
  });

  test('connection refused names the base URL', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/v1`;
    const error = await failure(client({ baseUrl: url }).chat(request()));
    assert.equal(error.kind, 'connection');
    assert.equal(error.message, `Could not connect to ${url}; start the model server or fix the base URL setting (insightProof.baseUrl / --base-url).`);
  });

  test('an unknown host names the host', async () => {
    const error = await failure(client({ baseUrl: 'http://model-server.invalid/v1', maxRetries: 0 }).chat(request()));
    assert.equal(error.kind, 'dns');
    assert.match(error.message, /"model-server\.invalid"/);
  });

  test('no answer within the timeout: says how long and which setting', async () => {
    server.script('techniques', { hang: true });
    const started = Date.now();
    const error = await failure(client({ timeoutMs: 150 }).chat(request()));
    assert.ok(Date.now() - started < 1_000);
    assert.equal(error.kind, 'timeout');
    assert.match(error.message, /sent no answer within 0\.15 s/);
    assert.match(error.message, /timeout setting/);
    assertOneSentence(error.message);
    assert.equal(server.chatRequests.length, 1, 'a slow model is not asked again');
  });

  test('headers but no first token within the timeout', async () => {
    server.script('techniques', { content: 'late', firstTokenDelayMs: 2_000 });
    const error = await failure(client({ timeoutMs: 150 }).chat(request()));
    assert.equal(error.kind, 'timeout');
    assert.match(error.message, /0\.15 s/);
  });

  test('a stream that stalls midway fails after the idle timeout and keeps the partial text', async () => {
    server.script('proof', { content: 'Proof. Let n be even. Then', chunkChars: 7, chunkDelayMs: 1_500 });
    const started = Date.now();
    const error = await failure(client({ timeoutMs: 200 }).chat(request({ stage: 'proof' })));
    assert.ok(Date.now() - started < 1_200);
    assert.equal(error.kind, 'timeout');
    assert.equal(error.partial.content, 'Proof. ');
    assert.match(error.message, /stalled for 0\.2 s after 7 characters/);
  });

  test('a stream cut midway keeps the partial answer and is not retried', async () => {
    server.script('proof', { reasoning: 'Plan first.', content: 'Proof. By induction on n, the base case', chunkChars: 4, cutAfterChars: 12 }, { content: 'must not be requested' });
    const deltas: string[] = [];
    const error = await failure(client().chat(request({ stage: 'proof' }), (delta) => deltas.push(delta.content)));
    assert.equal(error.kind, 'stream-cut');
    assert.equal(error.partial.content, 'Proof. By in');
    assert.equal(error.partial.reasoning, 'Plan first.');
    assert.equal(deltas.join(''), 'Proof. By in');
    assert.match(error.message, /dropped after 12 characters/);
    assertOneSentence(error.message);
    assert.equal(server.chatRequests.length, 1);
  });

  test('a connection dropped before any text is retried', async () => {
    server.script('techniques', { content: 'lost', cutAfterChars: 0 }, { content: '1. Invariant' });
    const result = await client().chat(request());
    assert.equal(result.content, '1. Invariant');
    assert.equal(server.chatRequests.length, 2);
  });

  test('a malformed chunk gives a clear error and keeps the partial answer', async () => {
    server.script('techniques', { content: '1. Pigeonhole principle', chunkChars: 5, malformedChunk: true });
    const error = await failure(client().chat(request()));
    assert.equal(error.kind, 'stream-cut');
    assert.equal(error.partial.content, '1. Pi');
    assert.match(error.message, /malformed data after 5 characters; the partial answer was kept/);
  });

  test('an empty answer', async () => {
    server.script('techniques', { content: '' });
    const error = await failure(client().chat(request()));
    assert.equal(error.kind, 'empty');
    assert.match(error.message, /^The model returned an empty answer; /);
  });

  test('a reasoning-only answer suggests a larger max tokens', async () => {
    server.script('proof', { reasoning: 'Long deliberation '.repeat(20), content: '', finishReason: 'length' });
    const error = await failure(client().chat(request({ stage: 'proof' })));
    assert.equal(error.kind, 'empty');
    assert.match(error.message, /spent the whole token limit on reasoning/);
    assert.match(error.message, /max tokens/);
    assert.equal(error.partial.reasoning, 'Long deliberation '.repeat(20));
  });

  test('an unclosed <think> (cut off while thinking) is reasoning-only too', async () => {
    server.script('proof', { content: '<think>Consider the parity of n and', finishReason: 'length' });
    const error = await failure(client().chat(request({ stage: 'proof' })));
    assert.equal(error.kind, 'empty');
    assert.match(error.message, /spent the whole token limit on reasoning/);
  });
});

describe('redirects', () => {
  /** A server that redirects every request to `location(path)`, and answers /v1/chat/completions itself with one SSE answer. */
  async function redirectingServer(status: number, location: (path: string) => string): Promise<{ url: string; authorizations: (string | undefined)[]; close: () => Promise<void> }> {
    const authorizations: (string | undefined)[] = [];
    const redirector = createHttpServer((incoming, outgoing) => {
      incoming.resume();
      incoming.on('end', () => {
        authorizations.push(incoming.headers.authorization);
        if (incoming.url === '/v1/chat/completions') {
          outgoing.writeHead(200, { 'content-type': 'text/event-stream' });
          outgoing.end(`data: ${JSON.stringify({ id: 'r', object: 'chat.completion.chunk', created: 0, model: MODEL, choices: [{ index: 0, delta: { content: 'moved' }, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
          return;
        }
        outgoing.writeHead(status, { location: location(incoming.url ?? '/') });
        outgoing.end();
      });
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    const address = redirector.address();
    assert.ok(address !== null && typeof address === 'object');
    return {
      url: `http://127.0.0.1:${address.port}`,
      authorizations,
      close: () => new Promise<void>((resolve) => {
        redirector.closeAllConnections();
        redirector.close(() => resolve());
      }),
    };
  }

  test('a same-origin 308 is followed, with the key', async () => {
    const redirector = await redirectingServer(308, (path) => path.replace('/old', ''));
    try {
      const result = await client({ baseUrl: `${redirector.url}/old/v1` }).chat(request());
      assert.equal(result.content, 'moved');
      assert.deepEqual(redirector.authorizations, [`Bearer ${CANARY_KEY}`, `Bearer ${CANARY_KEY}`]);
    } finally {
      await redirector.close();
    }
  });

  test('a redirect to another server is not followed: the key stays home and the message names the new address', async () => {
    const redirector = await redirectingServer(301, () => `${baseUrl}/chat/completions`);
    try {
      const error = await failure(client({ baseUrl: `${redirector.url}/api/v1` }).chat(request()));
      assert.equal(error.message, `${redirector.url}/api/v1 redirects to ${baseUrl} (301); set the base URL setting (insightProof.baseUrl / --base-url) to the new address.`);
      assert.equal(server.requests.length, 0);
    } finally {
      await redirector.close();
    }
  });
});

describe('cancellation', () => {
  test('abort mid-stream resolves promptly and keeps the partial answer', async () => {
    server.script('proof', { content: 'abcdefghijklmnopqrstuvwxyz'.repeat(10), chunkChars: 4, chunkDelayMs: 40 });
    const controller = new AbortController();
    let abortedAt = 0;
    const pending = client().chat(request({ stage: 'proof', signal: controller.signal }), (delta) => {
      if (delta.content && abortedAt === 0) {
        abortedAt = Date.now();
        controller.abort();
      }
    });
    const error = await failure(pending);
    assert.ok(Date.now() - abortedAt < 200, `took ${Date.now() - abortedAt} ms`);
    assert.equal(error.kind, 'aborted');
    assert.equal(error.partial.content, 'abcd');
    assert.match(error.message, /cancelled/);
  });

  test('abort while waiting to retry', async () => {
    server.script('techniques', { status: 429, retryAfterSeconds: 30 }, { content: 'never' });
    const controller = new AbortController();
    const pending = client().chat(request({ signal: controller.signal }));
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const error = await failure(pending);
    assert.ok(Date.now() - started < 1_000);
    assert.equal(error.kind, 'aborted');
    assert.equal(server.chatRequests.length, 1);
  });

  test('an already aborted signal sends nothing', async () => {
    const error = await failure(client().chat(request({ signal: AbortSignal.abort() })));
    assert.equal(error.kind, 'aborted');
    assert.equal(server.chatRequests.length, 0);
  });
});

describe('models and configuration', () => {
  test('listModels returns the ids', async () => {
    assert.deepEqual(await client().listModels(), [MODEL, 'other-model']);
  });

  test('listModels against a server that wants another key', async () => {
    await server.close();
    await startServer({ apiKey: 'sk-the-right-one-123' });
    const error = await failure(client().listModels());
    assert.equal(error.kind, 'auth');
  });

  test('a bare host works: /v1 is added', async () => {
    server.script('techniques', { content: 'ok' });
    const result = await client({ baseUrl: baseUrl.replace(/\/v1$/, '') }).chat(request());
    assert.equal(result.content, 'ok');
  });

  test('an invalid base URL fails on use with a config error, not at creation', async () => {
    const modelClient = client({ baseUrl: 'ftp://example.com' });
    const error = await failure(modelClient.chat(request()));
    assert.equal(error.kind, 'config');
    assertOneSentence(error.message);
  });
});

describe('retry timing', () => {
  test('Retry-After as seconds, as an HTTP date and as retry-after-ms', () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    assert.equal(retryAfterMs(new Headers({ 'retry-after': '3' }), now), 3_000);
    assert.equal(retryAfterMs(new Headers({ 'retry-after': 'Sun, 01 Mar 2026 12:00:05 GMT' }), now), 5_000);
    assert.equal(retryAfterMs(new Headers({ 'retry-after': 'Sun, 01 Mar 2026 11:00:00 GMT' }), now), 0);
    assert.equal(retryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now), 250);
    assert.equal(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now), undefined);
    assert.equal(retryAfterMs(undefined, now), undefined);
  });

  test('backoff doubles with jitter and every wait is capped', () => {
    const options = { baseMs: 100, capMs: 60_000, random: () => 1 };
    assert.equal(retryDelayMs(0, {}, options), 100);
    assert.equal(retryDelayMs(3, {}, options), 800);
    assert.equal(retryDelayMs(0, {}, { ...options, random: () => 0 }), 50);
    assert.equal(retryDelayMs(20, {}, options), 60_000);
    assert.equal(retryDelayMs(0, { headers: new Headers({ 'retry-after': '3600' }) }, options), 60_000);
    assert.equal(retryDelayMs(0, { headers: new Headers({ 'retry-after': '2' }) }, options), 2_000);
  });
});

describe('secrets', () => {
  test('redactSecrets removes the key, bearer tokens and sk- keys, even masked', () => {
    assert.equal(redactSecrets(`key ${CANARY_KEY}!`, [CANARY_KEY]), 'key [redacted]!');
    assert.equal(redactSecrets('Authorization: Bearer abcdef123456', []), 'Authorization: Bearer [redacted]');
    assert.equal(redactSecrets('Incorrect API key provided: sk-canar*****XYZ.', []), 'Incorrect API key provided: [redacted].');
    assert.equal(redactSecrets('my-local-token-42 leaked', ['my-local-token-42']), '[redacted] leaked');
  });

  test('describeError never repeats a key that appears in what the server said', () => {
    const error = describeError(
      { status: 500, error: { message: `upstream refused key my-local-token-42` } },
      { baseUrl: 'http://user:pw@localhost:8000/v1', model: 'm', secrets: ['my-local-token-42'] },
    );
    assert.doesNotMatch(error.message, /my-local-token-42|pw@/);
    assert.match(error.message, /http:\/\/localhost:8000\/v1|\(500: upstream refused key \[redacted\]\)/);
  });

  test('the canary key appears in no message and no log line of this file', () => {
    assert.ok(seenText.length > 20, 'the other tests ran first and produced messages');
    for (const text of seenText) assert.ok(!text.includes(CANARY_KEY) && !text.includes('canary'), `leaked: ${text}`);
  });
});
