import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizeBaseUrl } from '../../src/core/endpoint.ts';
import { ModelError } from '../../src/core/errors.ts';

function configError(input: string): ModelError {
  try {
    normalizeBaseUrl(input);
  } catch (error) {
    assert.ok(error instanceof ModelError);
    return error;
  }
  assert.fail(`"${input}" was accepted`);
}

describe('normalizeBaseUrl', () => {
  test('a correct base URL is kept as it is, without a note', () => {
    assert.deepEqual(normalizeBaseUrl('http://localhost:8000/v1'), { baseUrl: 'http://localhost:8000/v1' });
    assert.deepEqual(normalizeBaseUrl('https://api.openai.com/v1'), { baseUrl: 'https://api.openai.com/v1' });
  });

  test('a bare host gets /v1, with a note saying so', () => {
    const { baseUrl, note } = normalizeBaseUrl('http://localhost:8000');
    assert.equal(baseUrl, 'http://localhost:8000/v1');
    assert.match(note ?? '', /added \/v1/);
    assert.equal(normalizeBaseUrl('http://localhost:11434/').baseUrl, 'http://localhost:11434/v1');
  });

  test('a pasted endpoint path is removed, with a note', () => {
    const pasted = normalizeBaseUrl('http://localhost:8000/v1/chat/completions');
    assert.equal(pasted.baseUrl, 'http://localhost:8000/v1');
    assert.match(pasted.note ?? '', /removed the pasted \/chat\/completions/);
    assert.equal(normalizeBaseUrl('http://localhost:8000/v1/completions/').baseUrl, 'http://localhost:8000/v1');
    assert.equal(normalizeBaseUrl('http://localhost:8000/v1/models').baseUrl, 'http://localhost:8000/v1');
  });

  test('a pasted endpoint on a bare host leaves the root, which then gets /v1', () => {
    assert.equal(normalizeBaseUrl('http://localhost:8000/chat/completions').baseUrl, 'http://localhost:8000/v1');
  });

  test('whitespace and trailing slashes are trimmed without a note', () => {
    assert.deepEqual(normalizeBaseUrl('  http://localhost:8000/v1///  \n'), { baseUrl: 'http://localhost:8000/v1' });
  });

  test('cloud URLs that carry their own version path are untouched', () => {
    for (const url of [
      'https://generativelanguage.googleapis.com/v1beta/openai',
      'https://example.openai.azure.com/openai/v1',
      'https://openrouter.ai/api/v1',
      'https://api.deepseek.com/v1',
      'http://localhost:1234/api/v0',
    ]) {
      assert.deepEqual(normalizeBaseUrl(url), { baseUrl: url });
    }
  });

  test('a host without a scheme gets http://', () => {
    const { baseUrl, note } = normalizeBaseUrl('localhost:8000/v1');
    assert.equal(baseUrl, 'http://localhost:8000/v1');
    assert.match(note ?? '', /added http:\/\//);
  });

  test('invalid input throws a config error with one sentence naming the setting', () => {
    for (const input of ['', '   ', 'http://', 'ftp://example.com/v1', 'http://localhost:8000/v1?key=secret', 'http://exa mple.com']) {
      const error = configError(input);
      assert.equal(error.kind, 'config');
      assert.match(error.message, /insightProof\.baseUrl \/ --base-url/);
      assert.doesNotMatch(error.message, /\n/);
      assert.doesNotMatch(error.message, /secret/);
    }
  });

  test('credentials in the URL stay out of the note', () => {
    const { baseUrl, note } = normalizeBaseUrl('http://user:hunter2@localhost:8000');
    assert.equal(baseUrl, 'http://user:hunter2@localhost:8000/v1');
    assert.doesNotMatch(note ?? '', /hunter2/);
  });

  test('normalizing twice changes nothing more', () => {
    for (const input of ['http://localhost:8000', 'localhost:8000/v1/chat/completions', 'https://openrouter.ai/api/v1/']) {
      const once = normalizeBaseUrl(input).baseUrl;
      assert.deepEqual(normalizeBaseUrl(once), { baseUrl: once });
    }
  });
});
