// Turns whatever a person pastes as the server address into the base URL the `openai` SDK expects
// (the API root, e.g. http://localhost:8000/v1), and says what it changed. The common mistakes are a
// bare host (vLLM, Ollama and LM Studio all serve the OpenAI API under /v1) and a full endpoint URL
// copied from a curl example.
import { ModelError, SETTING_HINTS } from './errors.ts';

/** Endpoint paths people paste after the API root; removed (longest first). */
const PASTED_ENDPOINTS = ['/chat/completions', '/completions', '/chat', '/models', '/responses'];

const EXAMPLE = 'http://localhost:8000/v1';

export function normalizeBaseUrl(input: string): { baseUrl: string; note?: string } {
  const trimmed = input.trim();
  if (trimmed === '') {
    throw new ModelError('config', `No base URL is set; set ${SETTING_HINTS.baseUrl} to your model server, for example ${EXAMPLE}.`);
  }
  const notes: string[] = [];
  // "localhost:8000" would parse as a URL with the scheme "localhost:"; a scheme needs "://".
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  if (withScheme !== trimmed) notes.push('added http://');

  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ModelError('config', `"${shorten(trimmed)}" is not a valid base URL; set ${SETTING_HINTS.baseUrl} to something like ${EXAMPLE}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ModelError('config', `The base URL must start with http:// or https://, not ${url.protocol}//; set ${SETTING_HINTS.baseUrl} to something like ${EXAMPLE}.`);
  }
  if (url.search !== '') {
    throw new ModelError('config', `The base URL must not contain a query string (it may carry credentials and breaks request paths); set ${SETTING_HINTS.baseUrl} to the API root, for example ${EXAMPLE}.`);
  }
  url.hash = '';

  let path = url.pathname.replace(/\/+$/, '');
  for (const endpoint of PASTED_ENDPOINTS) {
    if (path.toLowerCase().endsWith(endpoint)) {
      path = path.slice(0, -endpoint.length).replace(/\/+$/, '');
      notes.push(`removed the pasted ${endpoint}`);
      break;
    }
  }
  // Only a bare host gets /v1: cloud APIs already carry their own version path (/v1beta/openai,
  // /openai/v1, /api/v1) and must be left alone.
  if (path === '') {
    path = '/v1';
    notes.push('added /v1, where OpenAI-compatible servers serve their API');
  }
  url.pathname = path;
  const baseUrl = url.href.replace(/\/+$/, '');
  if (notes.length === 0) return { baseUrl };
  return { baseUrl, note: `Using ${safeForNote(baseUrl)} as the base URL (${notes.join('; ')}).` };
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/** The URL without credentials, for a note that ends up in logs. */
function safeForNote(baseUrl: string): string {
  const url = new URL(baseUrl);
  url.username = '';
  url.password = '';
  return url.href.replace(/\/+$/, '');
}
