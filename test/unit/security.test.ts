// Security properties a user can rely on, tested end to end:
//   - a canary API key given through INSIGHT_PROOF_API_KEY reaches the server (as a Bearer header)
//     and nothing else: not the CLI's stdout or stderr (prove, batch, review, export; success and
//     failure; --verbose), not the hierarchy files written, not any export format, not the client's
//     log lines, not error messages, stacks or the error objects themselves — even when the server
//     echoes the key back in its error body;
//   - the key is never taken from a command-line flag;
//   - export file names cannot escape the chosen folder, and a file (or a symlink planted in its
//     place) is never replaced without consent;
//   - model output shown in VS Code is untrusted markdown: no command links, no HTML, no scripts.
import './setup.ts';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { createModelClient, type ClientLogger } from '../../src/core/client.ts';
import { EXPORT_FORMATS, suggestedFileName } from '../../src/core/export/index.ts';
import { ExportFileError, writeExportFile } from '../../src/core/exportFile.ts';
import { createHierarchy } from '../../src/core/hierarchy.ts';
import { buildStageMessages } from '../../src/core/prompts.ts';
import { ScriptedModelServer, type RecordedRequest, type ScriptedReply } from '../server/scriptedServer.ts';
import { runCliInProcess, type CliRun } from './cliHarness.ts';

const CANARY = 'sk-insight-canary-7f3a9c';
/** The distinctive part of the key: a truncated or re-quoted key still contains it. */
const CANARY_TAIL = 'canary-7f3a9c';
const MODEL = 'insight-test-model';
const REPO = fileURLToPath(new URL('../../', import.meta.url));

// Putnam-style statement (DeepTheorem evaluation set, MIT).
const PROBLEM = 'Let $n$ be a positive integer. Prove or disprove that $n^5 - n$ is divisible by $30$ for every $n$.';
const ANSWERS: Record<string, string> = {
  techniques: "1. Factorisation: Write $n^5 - n = (n-1)n(n+1)(n^2+1)$.\n2. Fermat's little theorem: $n^5 \\equiv n \\pmod 5$.",
  sketch: '1. Show $6 \\mid n^5 - n$.\n2. Show $5 \\mid n^5 - n$.\n3. Combine.',
  proof: "Three consecutive factors give $6 \\mid n^5 - n$, and Fermat's little theorem gives $5 \\mid n^5 - n$; hence $30 \\mid n^5 - n$.\n\n\\boxed{proved}",
  review: '{"validity": 1, "completeness": 0.9, "correctness": 1, "clarity": 0.8, "explanation": "Complete."}',
};

/** The .ts files under a folder, recursively. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []));
}

/** Everything a person, a log or a file could show during these tests, with where it came from. */
const seen: { where: string; text: string }[] = [];
function see(where: string, text: string): void {
  seen.push({ where, text });
}

/** A test's own reply for the requests it cares about; the rest get ANSWERS. */
let override: ((request: RecordedRequest) => ScriptedReply | undefined) | undefined;
const server = new ScriptedModelServer({
  models: [MODEL],
  // The server requires the canary, so every successful answer proves the key was in play.
  apiKey: CANARY,
  defaultReply: (request) => override?.(request) ?? { content: ANSWERS[request.stage ?? ''] ?? 'Answer.' },
});
let baseUrl = '';
let workdir = '';
let closedUrl = '';

before(async () => {
  baseUrl = await server.start();
  workdir = mkdtempSync(join(tmpdir(), 'insight-proof-security-'));
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const address = probe.address();
  await new Promise<void>((done) => probe.close(() => done()));
  assert.ok(address !== null && typeof address === 'object');
  closedUrl = `http://127.0.0.1:${address.port}/v1`;
});

after(async () => {
  await server.close();
  rmSync(workdir, { recursive: true, force: true });
});

/** Runs the CLI in process with the canary in the environment; records everything it printed. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const run = await runCliInProcess(args, { env: { INSIGHT_PROOF_BASE_URL: baseUrl, INSIGHT_PROOF_MODEL: MODEL, INSIGHT_PROOF_API_KEY: CANARY, ...env }, cwd: workdir });
  see(`stdout of ${args.join(' ')}`, run.stdout);
  see(`stderr of ${args.join(' ')}`, run.stderr);
  return run;
}

/** Records every file the tests wrote into the work folder. */
function seeWrittenFiles(): void {
  for (const name of readdirSync(workdir)) {
    const path = join(workdir, name);
    if (statSync(path).isFile()) see(`file ${name}`, readFileSync(path, 'utf8'));
  }
}

function withOverride<T>(reply: (request: RecordedRequest) => ScriptedReply | undefined, body: () => Promise<T>): Promise<T> {
  override = reply;
  return body().finally(() => {
    override = undefined;
  });
}

const ECHO_401: ScriptedReply = {
  status: 401,
  errorBody: { error: { message: `Incorrect API key provided: ${CANARY}. You can find your API key in your account settings.`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } },
};
const ECHO_500: ScriptedReply = {
  status: 500,
  errorBody: { error: { message: `Upstream call with Authorization: Bearer ${CANARY} failed for key ${CANARY}`, type: 'server_error', param: null, code: null } },
};

describe('a canary API key reaches the server and nothing else', () => {
  test('prove succeeds with the key, with and without --verbose; the server received it as a Bearer header', async () => {
    const before = server.chatRequests.length;
    const quiet = await cli(['prove', '--problem', PROBLEM, '--out', 'proved.json']);
    assert.equal(quiet.code, 0, quiet.stderr);
    const verbose = await cli(['prove', '--problem', PROBLEM, '--verbose']);
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.match(verbose.stderr, /POST .*\/chat\/completions stage=proof/, '--verbose logs every request');
    const requests = server.chatRequests.slice(before);
    assert.equal(requests.length, 6);
    for (const request of requests) assert.equal(request.headers.authorization, `Bearer ${CANARY}`);
  });

  test('prove fails with one sentence and no key: a rejected key, a server echoing the key, a closed port, an unknown host', async () => {
    const cases: { name: string; reply?: ScriptedReply; env?: Record<string, string>; line: RegExp }[] = [
      { name: 'key rejected (401)', reply: { status: 401 }, line: /The server rejected the API key \(401\); set a valid key/ },
      { name: '401 echoing the key', reply: ECHO_401, line: /The server rejected the API key \(401\)/ },
      { name: '500 echoing the key', reply: ECHO_500, line: /The model server failed \(500: Upstream call with Authorization: Bearer \[redacted\] failed for key \[redacted\]\); check the server's log/ },
      { name: 'closed port', env: { INSIGHT_PROOF_BASE_URL: closedUrl }, line: /Could not connect to http:\/\/127\.0\.0\.1:\d+\/v1; start the model server/ },
      { name: 'unknown host', env: { INSIGHT_PROOF_BASE_URL: 'http://insight-proof-security.invalid/v1' }, line: /Could not resolve the host name "insight-proof-security\.invalid"/ },
    ];
    for (const { name, reply, env, line } of cases) {
      for (const verbose of [false, true]) {
        const run = await withOverride(
          (request) => (request.stage === 'sketch' ? reply : undefined),
          () => cli(['prove', '--problem', PROBLEM, '--retries', '0', '--out', `failed-${name.replace(/\W+/g, '-')}.json`, ...(verbose ? ['--verbose'] : [])], env),
        );
        assert.equal(run.code, 1, `${name}: ${run.stderr}`);
        assert.match(run.stderr.trimEnd().split('\n').at(-1)!, line, name);
      }
    }
  });

  test('a wrong key sent to a server that requires another one is refused without showing either key', async () => {
    const other = new ScriptedModelServer({ models: [MODEL], apiKey: 'sk-the-right-key-for-this-server' });
    const otherUrl = await other.start();
    try {
      const run = await cli(['prove', '--problem', PROBLEM, '--verbose', '--out', 'wrong-key.json'], { INSIGHT_PROOF_BASE_URL: otherUrl });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /The server rejected the API key \(401\)/);
      assert.equal(other.chatRequests[0]?.headers.authorization, `Bearer ${CANARY}`);
      assert.ok(!run.stderr.includes('sk-the-right-key'));
    } finally {
      await other.close();
    }
  });

  test('batch: success and failure, with --verbose; the results file', async () => {
    writeFileSync(join(workdir, 'problems.jsonl'), [`{"id": "p1", "problem": ${JSON.stringify(PROBLEM)}}`, '{"id": "p2", "problem": "Prove that $2 + 2 = 4$."}', ''].join('\n'));
    const ok = await cli(['batch', '--in', 'problems.jsonl', '--out', 'batch.jsonl', '--concurrency', '2', '--verbose']);
    assert.equal(ok.code, 0, ok.stderr);
    const failed = await withOverride(
      (request) => (request.stage === 'proof' ? ECHO_500 : undefined),
      () => cli(['batch', '--in', 'problems.jsonl', '--out', 'batch-failed.jsonl', '--retries', '0', '--verbose']),
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /\[redacted\]/, 'the echoed key was redacted, so the echo path ran');
    const down = await cli(['batch', '--in', 'problems.jsonl', '--out', 'batch-down.jsonl', '--verbose'], { INSIGHT_PROOF_BASE_URL: closedUrl });
    assert.equal(down.code, 1);
  });

  test('review: success, a key echoed in a 401, a closed port; the reviewed file', async () => {
    const ok = await cli(['review', '--in', 'proved.json', '--out', 'reviewed.json', '--verbose']);
    assert.equal(ok.code, 0, ok.stderr);
    const echoed = await withOverride(
      (request) => (request.stage === 'review' ? ECHO_401 : undefined),
      () => cli(['review', '--in', 'batch.jsonl', '--verbose']),
    );
    assert.equal(echoed.code, 1);
    assert.match(echoed.stderr, /Stopped while reviewing p1: The server rejected the API key \(401\)/);
    const down = await cli(['review', '--in', 'proved.json', '--verbose'], { INSIGHT_PROOF_BASE_URL: closedUrl });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /Could not connect to/);
  });

  test('export: every format of every file written above, to stdout and to files', async () => {
    const inputs = readdirSync(workdir).filter((name) => /\.(json|jsonl)$/.test(name) && name !== 'problems.jsonl');
    assert.ok(inputs.length >= 5, `only ${inputs.join(', ')}`);
    for (const input of inputs) {
      for (const format of EXPORT_FORMATS) {
        const run = await cli(['export', '--in', input, '--format', format]);
        assert.equal(run.code, 0, `${input} as ${format}: ${run.stderr}`);
        const written = await cli(['export', '--in', input, '--format', format, '--out', `export-${input.replace(/\./g, '-')}-${format}.out`]);
        assert.equal(written.code, 0, written.stderr);
      }
    }
    seeWrittenFiles();
  });

  test('the client: log lines at every level and every error (message, stack, the object itself) for every server fault', async () => {
    const lines: string[] = [];
    const logger: ClientLogger = {
      info: (message) => lines.push(message),
      warn: (message) => lines.push(message),
      error: (message) => lines.push(message),
      debug: (message) => lines.push(message),
    };
    const faults: { name: string; replies: ScriptedReply[]; baseUrl?: string; model?: string; timeoutMs?: number; jsonSchema?: boolean }[] = [
      { name: 'success', replies: [{ content: ANSWERS.techniques! }] },
      { name: '401', replies: [{ status: 401 }] },
      { name: '401 echo', replies: [ECHO_401] },
      { name: '403', replies: [{ status: 403 }] },
      { name: '404 model', replies: [], model: 'no-such-model' },
      { name: '400 echo', replies: [{ status: 400, errorBody: { error: { message: `Bad key ${CANARY} in request.` } } }] },
      { name: '429 then ok', replies: [{ status: 429, retryAfterSeconds: 0 }, { content: 'ok' }] },
      { name: '500 echo', replies: [ECHO_500, ECHO_500, ECHO_500] },
      { name: 'timeout', replies: [{ hang: true }], timeoutMs: 200 },
      { name: 'cut', replies: [{ content: ANSWERS.techniques!, cutAfterChars: 20 }] },
      { name: 'malformed', replies: [{ content: ANSWERS.techniques!, malformedChunk: true }] },
      { name: 'empty', replies: [{ content: '' }] },
      { name: 'reasoning only', replies: [{ reasoning: 'thinking' }] },
      { name: 'json schema rejected', replies: [{ content: ANSWERS.techniques!, rejectJsonSchema: true }], jsonSchema: true },
      { name: 'closed port', replies: [], baseUrl: closedUrl },
      { name: 'unknown host', replies: [], baseUrl: 'http://insight-proof-security.invalid/v1' },
    ];
    for (const fault of faults) {
      server.script('techniques', ...fault.replies);
      const client = createModelClient({ baseUrl: fault.baseUrl ?? baseUrl, apiKey: CANARY, timeoutMs: fault.timeoutMs ?? 10_000, maxRetries: 2 }, logger, { retryBaseDelayMs: 1 });
      const prompt = buildStageMessages('techniques', createHierarchy({ problem: PROBLEM }), { preset: fault.jsonSchema ? 'instruct' : 'deepinsight' });
      try {
        const result = await client.chat({ stage: 'techniques', model: fault.model ?? MODEL, messages: prompt.messages, ...(prompt.jsonSchema ? { jsonSchema: prompt.jsonSchema } : {}) }, (delta) => see(`delta (${fault.name})`, delta.content + delta.reasoning));
        see(`result (${fault.name})`, JSON.stringify(result));
      } catch (error) {
        assert.ok(error instanceof Error);
        see(`error message (${fault.name})`, error.message);
        see(`error stack (${fault.name})`, error.stack ?? '');
        see(`String(error) (${fault.name})`, String(error));
        // The error's own fields in depth, its cause included: the cause is a redacted summary of
        // the SDK's error, never the SDK's error with the server's raw body (docs/security.md).
        see(`the error's fields, inspected in depth (${fault.name})`, inspect({ ...error, name: error.name, message: error.message, stack: error.stack, cause: error.cause }, { depth: Infinity, showHidden: true }));
      }
      assert.equal(server.pending('techniques'), 0, `${fault.name}: every scripted reply was used`);
    }
    assert.ok(lines.length > faults.length, 'the client logged');
    assert.ok(lines.some((line) => line.includes('[redacted]')), 'an echoed key reached a log line, redacted');
    see('client log', lines.join('\n'));
  });

  test('the command as a real process (node src/cli/main.ts): a failure with --verbose', () => {
    const run = spawnSync(process.execPath, [join(REPO, 'src/cli/main.ts'), 'prove', '--problem', PROBLEM, '--verbose', '--retries', '0'], {
      cwd: workdir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', INSIGHT_PROOF_BASE_URL: closedUrl, INSIGHT_PROOF_MODEL: MODEL, INSIGHT_PROOF_API_KEY: CANARY },
      timeout: 60_000,
    });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /Could not connect to/);
    see('stdout of the CLI process', run.stdout);
    see('stderr of the CLI process', run.stderr);
  });

  test("no source prints an error's cause, where a server's raw error response (and an echoed key) would be", () => {
    const readers = sourceFiles(join(REPO, 'src'))
      .filter((file) => !file.endsWith(join('src', 'core', 'errors.ts')))
      .flatMap((file) => readFileSync(file, 'utf8').split('\n').map((line, index) => ({ file, line, index })))
      .filter(({ line }) => /\.cause\b|\binspect\b.*from 'node:util'|\butil\.inspect\b/.test(line))
      .map(({ file, line, index }) => `${file.slice(REPO.length)}:${index + 1}: ${line.trim()}`);
    assert.deepEqual(readers, []);
  });

  test('grep: the key appears in nothing the tests above collected', () => {
    assert.ok(seen.length >= 100, `only ${seen.length} outputs were collected`);
    assert.ok(seen.some(({ where }) => where.startsWith('file ') && where.endsWith('.json')), 'hierarchy files were collected');
    const leaks = seen.filter(({ text }) => text.includes(CANARY) || text.includes(CANARY_TAIL)).map(({ where }) => where);
    assert.deepEqual(leaks, [], `the API key leaked into: ${leaks.join('; ')}`);
  });
});

describe('the API key is never taken from a command-line flag', () => {
  const FLAG_FORMS = [
    ['--api-key', 'sk-flag-secret-1'],
    ['--api-key=sk-flag-secret-2'],
    ['--apikey=sk-flag-secret-3'],
    ['--key', 'sk-flag-secret-4'],
    ['--token=sk-flag-secret-5'],
  ];

  test('prove, batch and review refuse every form with one sentence, before any request, without echoing the value', async () => {
    const before = server.requests.length;
    const commands: string[][] = [
      ['prove', '--problem', PROBLEM],
      ['batch', '--in', 'problems.jsonl', '--out', 'flag.jsonl'],
      ['review', '--in', 'proved.json'],
    ];
    for (const command of commands) {
      for (const form of FLAG_FORMS) {
        const run = await cli([...command, ...form]);
        assert.equal(run.code, 2);
        assert.equal(
          run.stderr,
          `insight-proof ${command[0]}: The API key is never taken from the command line (other users of the machine can read it); set INSIGHT_PROOF_API_KEY or OPENAI_API_KEY instead.\n`,
        );
        assert.ok(!`${run.stdout}${run.stderr}`.includes('sk-flag-secret'));
      }
    }
    assert.equal(server.requests.length, before, 'no request was made');
  });

  test('commands without a model (export, score, workbook) reject the flag as unknown, without echoing the value', async () => {
    for (const command of [['export', '--in', 'proved.json', '--format', 'md'], ['score', '--in', 'batch.jsonl'], ['workbook', '--in', 'problems.jsonl']]) {
      const run = await cli([...command, '--api-key=sk-flag-secret-6']);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /Unknown option '--api-key'/);
      assert.ok(!`${run.stdout}${run.stderr}`.includes('sk-flag-secret'));
    }
  });
});

describe('export files stay where the person put them', () => {
  test('a suggested file name is always a plain name inside the chosen folder, whatever the problem says (property)', () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.constantFrom('../../.bashrc', '/etc/passwd', 'C:\\Windows\\system32', '..\\..\\evil', '%2e%2e%2fetc', '\u202egnp.exe', 'a\u0000b', '~/.ssh/id_rsa', 'NUL', 'con.txt', '.', '..', '.hidden'),
    );
    const folder = resolve(tmpdir(), 'exports');
    fc.assert(
      fc.property(hostile, hostile, fc.constantFrom(...EXPORT_FORMATS), (problem, name, format) => {
        const hierarchy = createHierarchy({ problem, id: `ip-${name.length}`, input: { problem_name: name } });
        const fileName = suggestedFileName(hierarchy, format);
        const target = resolve(folder, fileName);
        assert.equal(dirname(target), folder, `${JSON.stringify(fileName)} leaves the folder`);
        assert.equal(basename(target), fileName);
        assert.match(fileName, /^[a-z0-9]/, 'never a hidden or dot file');
      }),
      { numRuns: 1000 },
    );
  });

  test('a symlink planted at the export path is not followed: the file it points to stays unchanged', async () => {
    const victim = join(workdir, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    const link = join(workdir, 'proofs-link.md');
    symlinkSync(victim, link);
    await assert.rejects(writeExportFile(link, 'overwritten\n'), (error: unknown) => error instanceof ExportFileError && error.code === 'EEXIST');
    const run = await cli(['export', '--in', 'proved.json', '--format', 'md', '--out', 'proofs-link.md']);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'insight-proof export: proofs-link.md already exists; choose another file name, or replace it on purpose (--force on the command line).\n');
    assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
  });
});

describe('model output cannot run commands or scripts in VS Code', () => {
  // MarkdownString and webviews exist only inside VS Code, so this is a static check of the
  // sources: model output (layer text, techniques, errors quoting the server) reaches tooltips and
  // hovers as MarkdownString, and a trusted one would turn `[x](command:…)` in a model's answer into
  // a button that runs any command; supportHtml would render its HTML. Nothing in src/vscode may
  // switch those on, nor enable scripts or command links in a webview. The integration suite checks
  // the rendered behaviour where it can.
  const sources = sourceFiles(join(REPO, 'src', 'vscode'));

  const FORBIDDEN: { pattern: RegExp; why: string }[] = [
    { pattern: /\bisTrusted\s*[:=]\s*(?:true|\{)/, why: 'trusted markdown runs command links' },
    { pattern: /\bsupportHtml\s*[:=]\s*true/, why: 'HTML from a model would be rendered' },
    { pattern: /\benableCommandUris\s*[:=]\s*(?:true|\[)/, why: 'command links in a webview run commands' },
    { pattern: /\benableScripts\s*[:=]\s*true/, why: 'scripts in a webview could be injected by model output' },
    { pattern: /\bnew\s+(?:vscode\.)?MarkdownString\s*\([^)]*\)\s*\.\s*(?:isTrusted|supportHtml)\s*=\s*true/, why: 'trusted markdown' },
  ];

  test('src/vscode never makes markdown trusted, renders HTML, or enables command links or scripts', () => {
    assert.ok(sources.length >= 10, `only ${sources.length} sources found`);
    const findings = sources.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) => FORBIDDEN.filter(({ pattern }) => pattern.test(line)).map(({ why }) => `${file.slice(REPO.length)}:${index + 1}: ${why}: ${line.trim()}`)),
    );
    assert.deepEqual(findings, []);
  });

  test('the markdown helper for model text sets isTrusted and supportHtml to false explicitly', () => {
    const tree = readFileSync(join(REPO, 'src', 'vscode', 'hierarchyTree.ts'), 'utf8');
    const helper = /export function untrustedMarkdown\([^)]*\)[^{]*\{([\s\S]*?)\n\}/.exec(tree)?.[1];
    assert.ok(helper, 'untrustedMarkdown() exists in src/vscode/hierarchyTree.ts');
    assert.match(helper, /isTrusted = false/);
    assert.match(helper, /supportHtml = false/);
  });
});
