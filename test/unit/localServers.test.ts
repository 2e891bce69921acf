import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import {
  DEMO_MODEL_ID,
  DEMO_OWNER,
  LOCAL_SERVER_CANDIDATES,
  describeCandidates,
  describeFound,
  findLocalServers,
  isDemoModel,
  isLoopbackUrl,
  offerLabel,
  parseModelList,
  probeModels,
  type FetchLike,
} from '../../src/core/localServers.ts';
import { ScriptedModelServer } from '../server/scriptedServer.ts';

type Answer = { status: number; body?: unknown } | 'refused' | 'hang';

/** A fake fetch answering per URL; records every URL asked. */
function fakeFetch(answers: Record<string, Answer>): { fetch: FetchLike; asked: string[] } {
  const asked: string[] = [];
  const fetch: FetchLike = async (url, init) => {
    asked.push(url);
    const answer = answers[url] ?? 'refused';
    if (answer === 'refused') throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    if (answer === 'hang') {
      return new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason), { once: true }));
    }
    return { status: answer.status, json: async () => answer.body };
  };
  return { fetch, asked };
}

const list = (...ids: string[]) => ({ object: 'list', data: ids.map((id) => ({ id, object: 'model', owned_by: 'vllm' })) });

describe('looking for a local model server', () => {
  test('asks the four usual ports on 127.0.0.1 and localhost, and nothing else', async () => {
    const { fetch, asked } = fakeFetch({});
    assert.deepEqual(await findLocalServers(fetch), []);
    assert.deepEqual(
      [...asked].sort(),
      [8000, 11434, 1234, 8080].flatMap((port) => [`http://127.0.0.1:${port}/v1/models`, `http://localhost:${port}/v1/models`]).sort(),
    );
    assert.ok(asked.every((url) => isLoopbackUrl(url)));
  });

  test('offers a vLLM server with its model, as the button a person clicks', async () => {
    const { fetch } = fakeFetch({ 'http://127.0.0.1:8000/v1/models': { status: 200, body: list('deepinsight-7b') } });
    const found = await findLocalServers(fetch);
    assert.equal(found.length, 1);
    assert.equal(found[0]!.baseUrl, 'http://127.0.0.1:8000/v1');
    assert.equal(offerLabel(found[0]!), 'Use http://127.0.0.1:8000/v1 (model deepinsight-7b)');
    assert.match(describeFound(found), /found an OpenAI-compatible model server on this machine at http:\/\/127\.0\.0\.1:8000\/v1 \(vLLM's usual port/);
  });

  test('one offer per port, preferring 127.0.0.1, in the order vLLM, Ollama, LM Studio, llama.cpp', async () => {
    const { fetch } = fakeFetch({
      'http://localhost:8080/v1/models': { status: 200, body: list('llama') },
      'http://127.0.0.1:11434/v1/models': { status: 200, body: list('qwen3:8b', 'llama3.2:3b') },
      'http://localhost:11434/v1/models': { status: 200, body: list('qwen3:8b', 'llama3.2:3b') },
    });
    const found = await findLocalServers(fetch);
    assert.deepEqual(
      found.map((server) => offerLabel(server)),
      ['Use http://127.0.0.1:11434/v1 (2 models)', 'Use http://localhost:8080/v1 (model llama)'],
    );
    assert.match(describeFound(found), /found OpenAI-compatible model servers on this machine at .*11434.* and .*8080/);
  });

  test('a server that wants a key is still offered, saying so; one with nothing loaded says that', async () => {
    const { fetch } = fakeFetch({
      'http://127.0.0.1:8000/v1/models': { status: 401, body: { error: { message: 'Unauthorized' } } },
      'http://127.0.0.1:1234/v1/models': { status: 200, body: { object: 'list', data: [] } },
    });
    const found = await findLocalServers(fetch);
    assert.deepEqual(found.map((server) => [server.port, server.needsApiKey]), [[8000, true], [1234, false]]);
    assert.deepEqual(found.map((server) => offerLabel(server)), ['Use http://127.0.0.1:8000/v1 (needs an API key)', 'Use http://127.0.0.1:1234/v1 (no model loaded yet)']);
  });

  test('something on a usual port that is not an OpenAI-compatible server is not offered', async () => {
    const { fetch } = fakeFetch({
      'http://127.0.0.1:8080/v1/models': { status: 200, body: '<html>a web app</html>' },
      'http://127.0.0.1:8000/v1/models': { status: 404, body: { detail: 'Not Found' } },
      'http://127.0.0.1:1234/v1/models': { status: 200, body: { models: ['not', 'a', 'list'] } },
      'http://127.0.0.1:11434/v1/models': { status: 500, body: {} },
    });
    assert.deepEqual(await findLocalServers(fetch), []);
  });

  test('a port that never answers costs the probe timeout, not more', async () => {
    const { fetch } = fakeFetch({ 'http://127.0.0.1:8000/v1/models': 'hang', 'http://localhost:8000/v1/models': 'hang' });
    const started = Date.now();
    assert.deepEqual(await findLocalServers(fetch, { timeoutMs: 100 }), []);
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  });

  test('refuses to look anywhere but this machine', async () => {
    const { fetch, asked } = fakeFetch({});
    await assert.rejects(findLocalServers(fetch, { hosts: ['127.0.0.1', '192.168.1.10'] }), /only asks this machine; "192\.168\.1\.10" is not a loopback host/);
    await assert.rejects(findLocalServers(fetch, { hosts: ['example.com'] }), /not a loopback host/);
    assert.deepEqual(asked, []);
    await findLocalServers(fetch, { hosts: ['::1', '127.0.0.2'], candidates: [{ name: 'x', port: 9 }] });
    assert.deepEqual(asked.sort(), ['http://127.0.0.2:9/v1/models', 'http://[::1]:9/v1/models']);
  });

  test('finds a real server over HTTP and skips a closed port', async () => {
    const server = new ScriptedModelServer({ models: ['local-model'] });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    try {
      const port = Number(new URL(await server.start()).port);
      const found = await findLocalServers(globalThis.fetch, {
        candidates: [
          { name: 'closed', port: closedPort },
          { name: 'scripted', port },
        ],
      });
      assert.deepEqual(found, [{ name: 'scripted', port, baseUrl: `http://127.0.0.1:${port}/v1`, models: [{ id: 'local-model', ownedBy: 'scripted' }], needsApiKey: false }]);
    } finally {
      await server.close();
    }
  });

  test('the message for nothing found names the ports looked at', () => {
    assert.equal(describeCandidates(LOCAL_SERVER_CANDIDATES), '8000 (vLLM), 11434 (Ollama), 1234 (LM Studio), 8080 (llama.cpp)');
  });
});

describe('reading a model list and recognising the demo', () => {
  test('takes ids and owners, skips malformed entries', () => {
    assert.deepEqual(parseModelList({ data: [{ id: 'a', owned_by: 'me' }, { id: '' }, { name: 'b' }, 'c', { id: 'd' }] }), [{ id: 'a', ownedBy: 'me' }, { id: 'd' }]);
    assert.equal(parseModelList([{ id: 'a' }]), undefined);
    assert.equal(parseModelList(null), undefined);
  });

  test('the demo is recognised by its id or its owner, for the configured model', () => {
    assert.ok(isDemoModel([{ id: DEMO_MODEL_ID, ownedBy: DEMO_OWNER }], DEMO_MODEL_ID));
    assert.ok(isDemoModel([{ id: 'renamed', ownedBy: DEMO_OWNER }], 'renamed'));
    assert.ok(isDemoModel([{ id: DEMO_MODEL_ID }]));
    assert.ok(!isDemoModel([{ id: DEMO_MODEL_ID }, { id: 'real-model', ownedBy: 'vllm' }], 'real-model'));
    assert.ok(!isDemoModel([{ id: 'qwen3', ownedBy: 'vllm' }]));
  });

  test('a probe with a key sends it as a bearer token, and reads 401 as "needs a key"', async () => {
    const seen: string[] = [];
    const fetch: FetchLike = async (_url, init) => {
      seen.push(init.headers.authorization ?? '');
      return { status: init.headers.authorization === 'Bearer secret-key' ? 200 : 401, json: async () => list('m') };
    };
    assert.deepEqual(await probeModels(fetch, 'http://127.0.0.1:8000/v1'), { kind: 'needs-key' });
    assert.deepEqual(await probeModels(fetch, 'http://127.0.0.1:8000/v1/', { apiKey: 'secret-key' }), { kind: 'models', models: [{ id: 'm', ownedBy: 'vllm' }] });
    assert.deepEqual(seen, ['', 'Bearer secret-key']);
  });

  test('loopback URLs are told from others', () => {
    for (const url of ['http://127.0.0.1:8000/v1', 'http://localhost:11434/v1', 'http://[::1]:1234/v1', 'http://127.1.2.3/v1', 'http://demo.localhost:9/v1']) assert.ok(isLoopbackUrl(url), url);
    for (const url of ['https://api.openai.com/v1', 'http://10.0.0.2:8000/v1', 'http://127.0.0.1.example.com/v1', 'not a url', 'http://1270.0.0.1/v1']) assert.ok(!isLoopbackUrl(url), url);
  });
});
