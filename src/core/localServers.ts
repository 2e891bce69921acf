// Finding a model server on this machine, and telling the bundled demo from a real model.
//
// When no server is configured, the extension looks for an OpenAI-compatible server on the ports
// the usual local servers listen on (vLLM 8000, Ollama 11434, LM Studio 1234, llama.cpp 8080) and
// offers what it finds. Only loopback addresses are ever asked: looking for servers must not send a
// request to another machine. Each probe is one GET /v1/models with a short timeout, all in parallel.
//
// The demo server that `npm start -- --demo-model` starts (demo/server.mjs) says what it is in that
// same answer: its model is `insight-proof-demo`, owned by `insight-proof-demo`. The extension reads
// demo mode from there, so it says "demo" exactly when the server it talks to is one.
//
// Pure apart from the injected `fetch`: no VS Code, no Node built-ins.

export interface LocalServerCandidate {
  /** The server that usually listens on this port, for messages. */
  name: string;
  port: number;
}

/** The usual ports of local OpenAI-compatible servers, in the order they are offered. */
export const LOCAL_SERVER_CANDIDATES: readonly LocalServerCandidate[] = [
  { name: 'vLLM', port: 8000 },
  { name: 'Ollama', port: 11434 },
  { name: 'LM Studio', port: 1234 },
  { name: 'llama.cpp', port: 8080 },
];

/**
 * Host names tried for each port. `localhost` as well as 127.0.0.1 because some servers listen on
 * the IPv6 loopback only, which `localhost` may resolve to.
 */
export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', 'localhost'];

/** How long one probe may take: a local server answers /v1/models in milliseconds. */
export const PROBE_TIMEOUT_MS = 1500;

/** The model id and owner the bundled demo server reports in GET /v1/models. */
export const DEMO_MODEL_ID = 'insight-proof-demo';
export const DEMO_OWNER = 'insight-proof-demo';

export interface ServedModel {
  id: string;
  ownedBy?: string;
}

export interface FoundServer {
  /** The server usually on this port ("vLLM"); a guess, for messages only. */
  name: string;
  port: number;
  /** The API root to put in insightProof.baseUrl, e.g. http://127.0.0.1:8000/v1. */
  baseUrl: string;
  /** What GET /v1/models listed; empty when the server needs a key or has no model loaded. */
  models: ServedModel[];
  /** The server answered 401/403: it exists but wants an API key. */
  needsApiKey: boolean;
}

/** The part of the Fetch API this module uses, so tests can hand in a fake. */
export type FetchLike = (
  url: string,
  init: { method: 'GET'; headers: Record<string, string>; signal: AbortSignal },
) => Promise<{ status: number; json(): Promise<unknown> }>;

export interface FindOptions {
  candidates?: readonly LocalServerCandidate[];
  hosts?: readonly string[];
  timeoutMs?: number;
  /** Ends every probe at once (the person cancelled, the window closes). */
  signal?: AbortSignal;
}

/** True for URLs whose host is this machine: 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return isLoopbackHost(host);
}

function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare.endsWith('.localhost') || bare === '::1') return true;
  const octets = bare.split('.');
  return octets.length === 4 && octets[0] === '127' && octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255);
}

/**
 * The models of an OpenAI-style list answer (`{ "object": "list", "data": [{ "id": … }] }`), or
 * undefined when the body is not one: then whatever answered is not an OpenAI-compatible server.
 */
export function parseModelList(body: unknown): ServedModel[] | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const data = (body as Record<string, unknown>).data;
  if (!Array.isArray(data)) return undefined;
  const models: ServedModel[] = [];
  for (const entry of data) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { id, owned_by: ownedBy } = entry as Record<string, unknown>;
    if (typeof id !== 'string' || id.trim() === '') continue;
    models.push(typeof ownedBy === 'string' ? { id, ownedBy } : { id });
  }
  return models;
}

export type ProbeResult =
  | { kind: 'models'; models: ServedModel[] }
  | { kind: 'needs-key' }
  | { kind: 'none' };

/**
 * Asks one server for its models. Never throws: a refused connection, a timeout, an error status
 * or a body that is not a model list all mean "no OpenAI-compatible server here" (`none`).
 */
export async function probeModels(fetch: FetchLike, baseUrl: string, { timeoutMs = PROBE_TIMEOUT_MS, apiKey, signal }: { timeoutMs?: number; apiKey?: string; signal?: AbortSignal } = {}): Promise<ProbeResult> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  try {
    const response = await fetch(`${baseUrl.replace(/\/+$/, '')}/models`, { method: 'GET', headers, signal: combined });
    if (response.status === 401 || response.status === 403) return { kind: 'needs-key' };
    if (response.status < 200 || response.status >= 300) return { kind: 'none' };
    const models = parseModelList(await response.json());
    return models ? { kind: 'models', models } : { kind: 'none' };
  } catch {
    return { kind: 'none' };
  }
}

/**
 * Looks for OpenAI-compatible servers on the loopback ports of `candidates`, all probes in
 * parallel. One result per port (the first host in `hosts` order that answered), in candidate
 * order. Refuses hosts that are not loopback: this search must never reach another machine.
 */
export async function findLocalServers(fetch: FetchLike, options: FindOptions = {}): Promise<FoundServer[]> {
  const { candidates = LOCAL_SERVER_CANDIDATES, hosts = LOOPBACK_HOSTS, timeoutMs = PROBE_TIMEOUT_MS, signal } = options;
  const remote = hosts.find((host) => !isLoopbackHost(host.toLowerCase()));
  if (remote !== undefined) throw new Error(`Looking for local model servers only asks this machine; "${remote}" is not a loopback host.`);
  const results = await Promise.all(
    candidates.map(async (candidate) => {
      const answers = await Promise.all(
        hosts.map(async (host) => {
          const baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${candidate.port}/v1`;
          return { baseUrl, result: await probeModels(fetch, baseUrl, { timeoutMs, ...(signal ? { signal } : {}) }) };
        }),
      );
      const answered = answers.find((answer) => answer.result.kind !== 'none');
      if (!answered) return undefined;
      const found: FoundServer = {
        name: candidate.name,
        port: candidate.port,
        baseUrl: answered.baseUrl,
        models: answered.result.kind === 'models' ? answered.result.models : [],
        needsApiKey: answered.result.kind === 'needs-key',
      };
      return found;
    }),
  );
  return results.filter((found): found is FoundServer => found !== undefined);
}

/**
 * True when `model` (or, without one, any listed model) is the bundled demo: the answer of
 * GET /v1/models names it by its id or its owner.
 */
export function isDemoModel(models: readonly ServedModel[], model?: string): boolean {
  return models.some((entry) => (model === undefined || entry.id === model) && (entry.id === DEMO_MODEL_ID || entry.ownedBy === DEMO_OWNER));
}

/** The button that offers a found server: "Use http://127.0.0.1:8000/v1 (model qwen3-8b)". */
export function offerLabel(server: FoundServer): string {
  return `Use ${server.baseUrl} (${serverDetail(server)})`;
}

function serverDetail(server: FoundServer): string {
  if (server.needsApiKey) return 'needs an API key';
  const [first] = server.models;
  if (!first) return 'no model loaded yet';
  if (server.models.length === 1) return `model ${first.id}`;
  return `${server.models.length} models`;
}

/** One sentence naming what was found, for the notification that offers it. */
export function describeFound(servers: readonly FoundServer[]): string {
  if (servers.length === 0) return 'No OpenAI-compatible server answered on this machine.';
  const names = servers.map((server) => `${server.baseUrl} (${server.name}'s usual port, ${serverDetail(server)})`);
  return servers.length === 1
    ? `Insight Proof found an OpenAI-compatible model server on this machine at ${names[0]}; use it?`
    : `Insight Proof found OpenAI-compatible model servers on this machine at ${names.join(' and ')}; pick one to use.`;
}

/** The ports looked at, for the message that says nothing answered: "8000 (vLLM), 11434 (Ollama), …". */
export function describeCandidates(candidates: readonly LocalServerCandidate[] = LOCAL_SERVER_CANDIDATES): string {
  return candidates.map((candidate) => `${candidate.port} (${candidate.name})`).join(', ');
}
