import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { shippedBundles } from '../../scripts/bundles.mjs';
import { isComplete, latestHierarchies } from '../../src/core/batch.ts';
import type { Hierarchy } from '../../src/core/hierarchy.ts';
import { runCli } from '../../src/cli/cli.ts';
import type { CliIo } from '../../src/cli/io.ts';
import { parseHierarchy } from '../../src/core/schema.ts';
import packageJson from '../../package.json' with { type: 'json' };
import { ScriptedModelServer, type RecordedRequest, type ScriptedReply } from '../server/scriptedServer.ts';

const SAMPLE_PATH = fileURLToPath(new URL('../fixtures/deeptheorem-sample.jsonl', import.meta.url));
const SAMPLE = readFileSync(SAMPLE_PATH, 'utf8');
const SAMPLE_RECORDS = SAMPLE.split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line) as { problem_name: string; prompt: string; answer: boolean });

// Putnam 2010 A5-style statement (DeepTheorem evaluation set, MIT) used as a single problem.
const PROBLEM = SAMPLE_RECORDS.find((record) => record.problem_name.startsWith('putnam'))!.prompt;

const ANSWERS: Record<string, string> = {
  techniques: '1. Contradiction: Assume the claim fails.\n2. Pigeonhole principle: Finitely many residues.',
  sketch: '1. Assume the contrary.\n2. Apply the pigeonhole principle.\n3. Derive a contradiction.',
  proof: 'Suppose not. By the pigeonhole principle two residues coincide, a contradiction.\n\n\\boxed{proved}',
};

/** The user message of a recorded request. */
function promptOf(request: RecordedRequest): string {
  return (request.body.messages as { role: string; content: string }[]).map((message) => message.content).join('\n');
}

/** A test's own reply for the requests it cares about (a fault, a slow stream); the rest get ANSWERS. */
let override: ((request: RecordedRequest) => ScriptedReply | undefined) | undefined;
/** Replies with `reply` to requests whose prompt contains `text` (e.g. one problem's statement). */
function whenPromptHas(text: string, reply: ScriptedReply): (request: RecordedRequest) => ScriptedReply | undefined {
  return (request) => (promptOf(request).includes(text) ? reply : undefined);
}
const server = new ScriptedModelServer({
  models: ['insight-test-model', 'sketch-model'],
  defaultReply: (request) => override?.(request) ?? { content: ANSWERS[request.stage ?? ''] ?? 'Answer.', chunkChars: 12 },
});
let baseUrl = '';
let workdir = '';
let cliBundle = '';

before(async () => {
  baseUrl = await server.start();
  workdir = mkdtempSync(join(tmpdir(), 'insight-proof-cli-'));
  // The spawned runs execute the shipped layout (dist/cli.js requiring dist/core.js), built by the
  // same definitions as esbuild.mjs into a temporary folder, so the test never races another build.
  cliBundle = join(workdir, 'cli.js');
  for (const options of shippedBundles({ outdir: workdir })) await esbuild.build({ ...options, logLevel: 'error' });
});

after(async () => {
  await server.close();
  rmSync(workdir, { recursive: true, force: true });
});

interface Captured {
  io: CliIo;
  stdout(): string;
  stderr(): string;
}

function memoryIo(env: Record<string, string | undefined> = {}, signal: AbortSignal = new AbortController().signal): Captured {
  let stdout = '';
  let stderr = '';
  return {
    io: {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: { INSIGHT_PROOF_BASE_URL: baseUrl, INSIGHT_PROOF_MODEL: 'insight-test-model', ...env },
      cwd: workdir,
      signal,
    },
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}

function readJsonl(path: string): Hierarchy[] {
  return readFileSync(path, 'utf8').split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line) as Hierarchy);
}

describe('insight-proof prove (in process)', () => {
  test('prints the complete hierarchy JSON to stdout and progress to stderr', async () => {
    const run = memoryIo();
    const code = await runCli(['prove', '--problem', PROBLEM, '--stage-model', 'sketch=sketch-model', '--temperature', '0.3', '--max-tokens', '2048'], run.io);
    assert.equal(code, 0, run.stderr());
    const hierarchy = parseHierarchy(JSON.parse(run.stdout()));
    assert.equal(hierarchy.problem, PROBLEM.trim());
    assert.deepEqual(Object.values(hierarchy.layers).map((layer) => layer.status), ['draft', 'draft', 'draft']);
    assert.deepEqual(hierarchy.layers.techniques.items.map((item) => item.name), ['Contradiction', 'Pigeonhole principle']);
    assert.equal(hierarchy.layers.proof.verdict, 'proved');
    assert.match(run.stderr(), /techniques: generating the core techniques with insight-test-model…\ntechniques: done, 2 techniques, \d+ characters in/);
    assert.match(run.stderr(), /sketch: generating the proof sketch with sketch-model…/);

    const requests = server.chatRequests.slice(-3);
    assert.deepEqual(requests.map((request) => request.stage), ['techniques', 'sketch', 'proof']);
    assert.deepEqual(requests.map((request) => request.body.model), ['insight-test-model', 'sketch-model', 'insight-test-model']);
    assert.equal(requests[0]!.body.temperature, 0.3);
    assert.ok(promptOf(requests[1]!).includes('Pigeonhole principle: Finitely many residues.'));
    assert.ok(promptOf(requests[2]!).includes('Derive a contradiction.'));
  });

  test('--out writes pretty JSON (replacing an existing file) and stdout stays empty', async () => {
    const out = join(workdir, 'proof.json');
    writeFileSync(out, 'old content');
    const run = memoryIo();
    assert.equal(await runCli(['prove', '--problem', PROBLEM, '--out', 'proof.json', '--stages', 'techniques'], run.io), 0);
    assert.equal(run.stdout(), '');
    const text = readFileSync(out, 'utf8');
    assert.ok(text.startsWith('{\n  "schema": "insight-proof.hierarchy/v1"'));
    const hierarchy = JSON.parse(text) as Hierarchy;
    assert.equal(hierarchy.layers.techniques.status, 'draft');
    assert.equal(hierarchy.layers.sketch.status, 'empty', 'only the requested stage ran');
    assert.match(lastLine(run.stderr()), /^Wrote proof\.json\.$/);
  });

  test('a failed stage: exit 1, one-line error naming the stage, and the partial hierarchy still written', async () => {
    override = whenPromptHas('Assume the contrary.', { status: 500 });
    try {
      const run = memoryIo();
      const code = await runCli(['prove', '--problem', PROBLEM, '--out', 'partial.json', '--retries', '0'], run.io);
      assert.equal(code, 1);
      assert.match(lastLine(run.stderr()), /^insight-proof prove: The proof failed: The model server failed \(500: .*\); check the server's log and try again; the partial hierarchy was written to partial\.json\.$/);
      const hierarchy = JSON.parse(readFileSync(join(workdir, 'partial.json'), 'utf8')) as Hierarchy;
      assert.deepEqual(Object.values(hierarchy.layers).map((layer) => layer.status), ['draft', 'draft', 'failed']);
      assert.match(hierarchy.layers.proof.error!, /500/);
    } finally {
      override = undefined;
    }
  });

  test('a stream cut mid-proof keeps the partial text in the written file', async () => {
    override = whenPromptHas('Derive a contradiction.', { content: ANSWERS.proof, chunkChars: 8, cutAfterChars: 24 });
    try {
      const run = memoryIo();
      assert.equal(await runCli(['prove', '--problem', PROBLEM, '--out', 'cut.json', '--retries', '0'], run.io), 1);
      const hierarchy = JSON.parse(readFileSync(join(workdir, 'cut.json'), 'utf8')) as Hierarchy;
      assert.equal(hierarchy.layers.proof.raw, ANSWERS.proof!.slice(0, 24));
      assert.match(lastLine(run.stderr()), /dropped after 24 characters/);
    } finally {
      override = undefined;
    }
  });

  test('server faults end in one actionable line; retryable ones are retried and succeed', async () => {
    const cases: { reply: ScriptedReply[]; args?: string[]; env?: Record<string, string>; code: number; line?: RegExp }[] = [
      { reply: [{ status: 401 }], env: { INSIGHT_PROOF_API_KEY: 'wrong-key-value' }, code: 1, line: /The core techniques failed: The server rejected the API key \(401\); set a valid key with .*INSIGHT_PROOF_API_KEY/ },
      { reply: [{ status: 429, headers: { 'retry-after-ms': '30' } }, { status: 500 }, { content: ANSWERS.techniques! }], args: ['--retries', '2'], code: 0 },
      { reply: [{ status: 429, retryAfterSeconds: 0 }], args: ['--retries', '0'], code: 1, line: /The server is rate-limiting requests \(429\); wait and try again/ },
      { reply: [{ hang: true }], args: ['--timeout', '0.3', '--retries', '0'], code: 1, line: /sent no answer within 0\.3 s; raise the timeout setting .*--timeout/ },
      { reply: [{ content: ANSWERS.techniques!, malformedChunk: true }], args: ['--retries', '0'], code: 1, line: /malformed/ },
      { reply: [{ content: `1. Long idea: ${'very long detail '.repeat(20_000)}`, chunkChars: 4096 }], code: 0 },
    ];
    for (const { reply, args = [], env = {}, code, line } of cases) {
      server.script('techniques', ...reply);
      const run = memoryIo(env);
      const exit = await runCli(['prove', '--problem', PROBLEM, '--stages', 'techniques', '--out', 'fault.json', ...args], run.io);
      assert.equal(exit, code, `${JSON.stringify(reply[0]).slice(0, 60)}: ${run.stderr()}`);
      if (line) assert.match(lastLine(run.stderr()), line);
      assert.ok(!run.stderr().includes('wrong-key-value'), 'the key never appears');
      const written = JSON.parse(readFileSync(join(workdir, 'fault.json'), 'utf8')) as Hierarchy;
      assert.equal(written.layers.techniques.status, code === 0 ? 'draft' : 'failed');
      assert.equal(server.pending('techniques'), 0);
    }
  });

  test('continues a saved hierarchy with --from, and protects layers edited by hand', async () => {
    const run = memoryIo();
    assert.equal(await runCli(['prove', '--problem', PROBLEM, '--stages', 'techniques', '--out', 'step.json'], run.io), 0);
    const continued = memoryIo();
    assert.equal(await runCli(['prove', '--from', 'step.json', '--out', 'step.json'], continued.io), 0, continued.stderr());
    const hierarchy = JSON.parse(readFileSync(join(workdir, 'step.json'), 'utf8')) as Hierarchy;
    assert.ok(isComplete(hierarchy));
    assert.deepEqual(server.chatRequests.slice(-2).map((request) => request.stage), ['sketch', 'proof'], 'the techniques were not asked for again');

    hierarchy.layers.techniques = { ...hierarchy.layers.techniques, edited: true, status: 'accepted' };
    writeFileSync(join(workdir, 'edited.json'), JSON.stringify(hierarchy));
    const refused = memoryIo();
    assert.equal(await runCli(['prove', '--from', 'edited.json', '--stages', 'techniques'], refused.io), 2);
    assert.equal(refused.stderr(), 'insight-proof prove: The core techniques in edited.json were edited by hand; pass --overwrite-edited to regenerate (the edit is kept as an alternative).\n');
    const allowed = memoryIo();
    assert.equal(await runCli(['prove', '--from', 'edited.json', '--stages', 'techniques', '--overwrite-edited'], allowed.io), 0);
  });

  test('missing or wrong settings end in one sentence with exit code 2, before any request', async () => {
    const before = server.chatRequests.length;
    const cases: [string[], Record<string, string | undefined>, RegExp][] = [
      [['prove', '--problem', 'x'], { INSIGHT_PROOF_MODEL: undefined }, /^insight-proof prove: No model id is set; pass --model or set INSIGHT_PROOF_MODEL; the server at http:\/\/127\.0\.0\.1:\d+\/v1 offers insight-test-model, sketch-model\.$/],
      [['prove', '--problem', 'x'], { INSIGHT_PROOF_BASE_URL: undefined }, /^insight-proof prove: No model server is set; pass --base-url or set INSIGHT_PROOF_BASE_URL \(for example http:\/\/localhost:8000\/v1\)\.$/],
      [['prove', '--problem', 'x', '--api-key', 'sk-secret-value'], {}, /^insight-proof prove: The API key is never taken from the command line .*INSIGHT_PROOF_API_KEY or OPENAI_API_KEY instead\.$/],
      [['prove'], {}, /^insight-proof prove: Give the problem with exactly one of --problem "TEXT", --problem-file FILE or --from HIERARCHY\.json\.$/],
      [['prove', '--problem', 'x', '--stages', 'techniques,review'], {}, /--stages takes techniques, sketch and proof separated by commas, not "review"\.$/],
      [['prove', '--problem', 'x', '--preset', 'chat'], {}, /--preset must be deepinsight or instruct, not "chat"\.$/],
      [['prove', '--problem', 'x', '--timeout', '0'], {}, /--timeout must be a positive number of seconds, not "0"\.$/],
      [['prove', '--problem', 'x', '--stage-model', 'proof'], {}, /--stage-model takes STAGE=MODEL/],
      [['prove', '--problem-file', 'missing.md'], {}, /Could not read the problem file .*missing\.md \(it does not exist\); check the --problem-file path\.$/],
      [['prove', '--problem', 'x', '--stages', 'sketch'], {}, /^insight-proof prove: Generate the core techniques first: the proof sketch is written from them\.$/],
      [['prove', '--problem', 'x', '--bogus'], {}, /Unknown option '--bogus'.*\(usage: insight-proof prove/s],
    ];
    for (const [args, env, expected] of cases) {
      const run = memoryIo(env);
      assert.equal(await runCli(args, run.io), 2, args.join(' '));
      assert.match(lastLine(run.stderr()), expected);
      assert.ok(!run.stderr().includes('sk-secret-value'));
    }
    assert.equal(server.chatRequests.length, before);
  });

  test('--templates overrides a stage prompt and --preset instruct asks for JSON', async () => {
    writeFileSync(join(workdir, 'templates.json'), JSON.stringify({ user: { sketch: 'PLAN FOR: {{problem}}\nIDEAS:\n{{techniques}}' } }));
    const run = memoryIo();
    assert.equal(await runCli(['prove', '--problem', PROBLEM, '--templates', 'templates.json', '--preset', 'instruct', '--stages', 'techniques,sketch'], run.io), 0, run.stderr());
    const [techniques, sketch] = server.chatRequests.slice(-2);
    assert.equal(techniques!.body.response_format.json_schema.name, 'core_techniques');
    const user = (sketch!.body.messages as { role: string; content: string }[]).find((message) => message.role === 'user')!.content;
    assert.ok(user.startsWith(`PLAN FOR: ${PROBLEM.trim()}\nIDEAS:\n1. Contradiction: Assume the claim fails.`));

    writeFileSync(join(workdir, 'bad-templates.json'), JSON.stringify({ user: { lemma: 'x' } }));
    const bad = memoryIo();
    assert.equal(await runCli(['prove', '--problem', PROBLEM, '--templates', 'bad-templates.json'], bad.io), 2);
    assert.match(bad.stderr(), /^insight-proof prove: The templates file bad-templates\.json must hold \{"system": \{…\}, "user": \{…\}\} whose keys are techniques, sketch, proof, review/);
  });

  test('the problem can come from a file, and the key from the environment reaches the server', async () => {
    writeFileSync(join(workdir, 'problem.md'), `${PROBLEM}\n`);
    const run = memoryIo({ INSIGHT_PROOF_API_KEY: 'test-key-123' });
    assert.equal(await runCli(['prove', '--problem-file', 'problem.md', '--stages', 'techniques'], run.io), 0);
    assert.equal(server.chatRequests.at(-1)!.headers.authorization, 'Bearer test-key-123');
    assert.ok(!run.stderr().includes('test-key-123'));
  });
});

describe('insight-proof batch (in process)', () => {
  test('runs a DeepTheorem set concurrently; one failing problem is recorded and the rest go on; --resume retries only it', async () => {
    const failing = SAMPLE_RECORDS[4]!;
    const failure = whenPromptHas(failing.prompt.trim(), { status: 500 });
    // Slow first tokens for the techniques, so every lane has started before any problem moves on.
    override = (request) => failure(request) ?? (request.stage === 'techniques' ? { content: ANSWERS.techniques, firstTokenDelayMs: 100 } : undefined);
    const out = join(workdir, 'results.jsonl');
    try {
      const before = server.chatRequests.length;
      const run = memoryIo();
      const code = await runCli(['batch', '--in', SAMPLE_PATH, '--out', 'results.jsonl', '--concurrency', '3', '--retries', '0'], run.io);
      assert.equal(code, 1);
      assert.equal(lastLine(run.stderr()), `insight-proof batch: ${SAMPLE_RECORDS.length - 1} of ${SAMPLE_RECORDS.length} problems complete, 1 failed (input lines 5); results are in results.jsonl, run again with --resume to retry the failed ones.`);
      assert.match(run.stderr(), new RegExp(`\\[\\d+/${SAMPLE_RECORDS.length}\\] failed: line 5 ${failing.problem_name}: core techniques: The model server failed \\(500`));
      // Three problems in flight, never four: three problems' techniques, then the sketch of the first to finish.
      assert.deepEqual(server.chatRequests.slice(before, before + 4).map((request) => request.stage), ['techniques', 'techniques', 'techniques', 'sketch']);

      const results = readJsonl(out);
      assert.equal(results.length, SAMPLE_RECORDS.length);
      assert.equal(new Set(results.map((hierarchy) => hierarchy.id)).size, results.length);
      for (const hierarchy of results) {
        parseHierarchy(hierarchy);
        assert.ok(SAMPLE_RECORDS.some((record) => JSON.stringify(record) === JSON.stringify(hierarchy.input)), 'input kept verbatim');
      }
      const failed = results.find((hierarchy) => (hierarchy.input as { prompt: string }).prompt === failing.prompt)!;
      assert.equal(failed.layers.techniques.status, 'failed');
      assert.equal(results.filter((hierarchy) => isComplete(hierarchy)).length, SAMPLE_RECORDS.length - 1);
    } finally {
      override = undefined;
    }

    const refused = memoryIo();
    assert.equal(await runCli(['batch', '--in', SAMPLE_PATH, '--out', 'results.jsonl'], refused.io), 2);
    assert.equal(refused.stderr(), 'insight-proof batch: results.jsonl already exists; pass --resume to continue it or --force to replace it.\n');

    const before = server.chatRequests.length;
    const resumed = memoryIo();
    assert.equal(await runCli(['batch', '--in', SAMPLE_PATH, '--out', 'results.jsonl', '--resume'], resumed.io), 0, resumed.stderr());
    assert.match(resumed.stderr(), new RegExp(`^Proving 1 of ${SAMPLE_RECORDS.length} problems from .* \\(${SAMPLE_RECORDS.length - 1} already complete in results\\.jsonl, 1 to continue\\)`));
    const asked = server.chatRequests.slice(before);
    assert.equal(asked.length, 3);
    assert.ok(asked.every((request) => promptOf(request).includes(failing.prompt.trim())));
    const latest = latestHierarchies(readJsonl(out));
    assert.equal(latest.length, SAMPLE_RECORDS.length);
    assert.ok(latest.every((hierarchy) => isComplete(hierarchy)));
  });

  test('malformed input lines are reported with line numbers and skipped; the exit code says so', async () => {
    const input = join(workdir, 'mixed.jsonl');
    writeFileSync(input, [JSON.stringify(SAMPLE_RECORDS[0]), '{"problem_name": "x", "answer": true}', '{broken', JSON.stringify({ id: 'sq2', problem: 'Prove that $\\sqrt{2}$ is irrational.' })].join('\n'));
    const run = memoryIo();
    assert.equal(await runCli(['batch', '--in', 'mixed.jsonl', '--out', 'mixed-out.jsonl', '--stages', 'techniques'], run.io), 1);
    assert.match(run.stderr(), /^mixed\.jsonl:2: has no "problem" or "prompt" text; .*; line skipped\.\nmixed\.jsonl:3: not valid JSON \(.*\); line skipped\.\n/);
    assert.equal(lastLine(run.stderr()), 'insight-proof batch: 2 of 2 problems complete, 2 input lines skipped (2, 3); results are in mixed-out.jsonl.');
    const results = readJsonl(join(workdir, 'mixed-out.jsonl'));
    // Finished in either order (concurrently); each valid line once.
    assert.deepEqual(new Set(results.map((hierarchy) => JSON.stringify(hierarchy.input))), new Set([JSON.stringify(SAMPLE_RECORDS[0]), JSON.stringify({ id: 'sq2', problem: 'Prove that $\\sqrt{2}$ is irrational.' })]));
    assert.equal(results.length, 2);
  });

  test('Ctrl-C stops launching, cancels running problems, keeps them as failed and exits 130; --resume finishes', async () => {
    const input = join(workdir, 'slow.jsonl');
    writeFileSync(input, `${SAMPLE_RECORDS.slice(0, 6).map((record) => JSON.stringify(record)).join('\n')}\n`);
    override = () => ({ content: 'x'.repeat(400), chunkChars: 10, chunkDelayMs: 20 });
    const controller = new AbortController();
    const run = memoryIo({}, controller.signal);
    const running = runCli(['batch', '--in', 'slow.jsonl', '--out', 'slow-out.jsonl', '--concurrency', '2', '--stages', 'techniques'], run.io);
    setTimeout(() => controller.abort(), 150);
    const code = await running;
    override = undefined;
    assert.equal(code, 130);
    assert.match(lastLine(run.stderr()), /^insight-proof batch: Interrupted: 0 of 6 problems complete, 2 cancelled and 4 not started; results are in slow-out\.jsonl, run again with --resume to continue\.$/);
    const partial = readJsonl(join(workdir, 'slow-out.jsonl'));
    assert.equal(partial.length, 2);
    for (const hierarchy of partial) {
      assert.equal(hierarchy.layers.techniques.status, 'failed');
      assert.ok(hierarchy.layers.techniques.raw.length > 0, 'the partial answer is kept');
      assert.match(hierarchy.layers.techniques.error!, /^Generation was cancelled/);
    }
    const resumed = memoryIo();
    assert.equal(await runCli(['batch', '--in', 'slow.jsonl', '--out', 'slow-out.jsonl', '--resume', '--stages', 'techniques'], resumed.io), 0, resumed.stderr());
    const latest = latestHierarchies(readJsonl(join(workdir, 'slow-out.jsonl')));
    assert.equal(latest.length, 6);
    assert.ok(latest.every((hierarchy) => hierarchy.layers.techniques.status === 'draft'));
  });
});

interface Spawned {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBundle(args: string[], env: Record<string, string> = {}, onStart?: (child: ReturnType<typeof spawn>) => void): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBundle, ...args], {
      cwd: workdir,
      env: { PATH: process.env.PATH ?? '', INSIGHT_PROOF_BASE_URL: baseUrl, INSIGHT_PROOF_MODEL: 'insight-test-model', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    onStart?.(child);
  });
}

describe('the built insight-proof command', () => {
  test('--help lists the commands and --version prints the package version', async () => {
    const help = await runBundle(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /\n {2}prove +Prove one problem/);
    assert.match(help.stdout, /\n {2}batch +Prove every problem of a JSONL file/);
    const proveHelp = await runBundle(['prove', '--help']);
    for (const flag of ['--problem', '--problem-file', '--out', '--base-url', '--model', '--preset', '--stages', '--timeout', '--temperature', '--max-tokens', '--stage-model', '--verbose']) {
      assert.ok(proveHelp.stdout.includes(flag), `prove help mentions ${flag}`);
    }
    const batchHelp = await runBundle(['help', 'batch']);
    for (const flag of ['--in', '--out', '--concurrency', '--resume', '--force']) assert.ok(batchHelp.stdout.includes(flag), flag);
    const version = await runBundle(['--version']);
    assert.equal(version.stdout, `${packageJson.version}\n`);
  });

  test('prove against the scripted server: JSON on stdout, or in --out', async () => {
    const toStdout = await runBundle(['prove', '--problem', PROBLEM]);
    assert.equal(toStdout.code, 0, toStdout.stderr);
    assert.ok(isComplete(parseHierarchy(JSON.parse(toStdout.stdout))));
    const toFile = await runBundle(['prove', '--problem', PROBLEM, '--out', 'spawned.json', '--verbose']);
    assert.equal(toFile.code, 0);
    assert.equal(toFile.stdout, '');
    assert.ok(isComplete(parseHierarchy(JSON.parse(readFileSync(join(workdir, 'spawned.json'), 'utf8')))));
    assert.ok(toFile.stderr.includes(`--- answer ---\n${ANSWERS.proof}\n`), 'verbose streams the answer');
  });

  test('a failure exits non-zero with one line on stderr and writes the partial file', async () => {
    const result = await runBundle(['prove', '--problem', PROBLEM, '--out', 'refused.json', '--model', 'missing-model']);
    assert.equal(result.code, 1);
    assert.match(lastLine(result.stderr), /^insight-proof prove: The core techniques failed: Model "missing-model" was not found on http:\/\/127\.0\.0\.1:\d+\/v1 \(available: insight-test-model, sketch-model\); pick one with .*; the partial hierarchy was written to refused\.json\.$/);
    const hierarchy = JSON.parse(readFileSync(join(workdir, 'refused.json'), 'utf8')) as Hierarchy;
    assert.equal(hierarchy.layers.techniques.status, 'failed');
  });

  test('missing model and base URL are explained', async () => {
    const noModel = await runBundle(['prove', '--problem', 'x'], { INSIGHT_PROOF_MODEL: '' });
    assert.equal(noModel.code, 2);
    assert.match(noModel.stderr, /No model id is set; pass --model or set INSIGHT_PROOF_MODEL; the server at .* offers insight-test-model, sketch-model\./);
    const noServer = await runBundle(['prove', '--problem', 'x'], { INSIGHT_PROOF_BASE_URL: '' });
    assert.equal(noServer.code, 2);
    assert.equal(noServer.stderr, 'insight-proof prove: No model server is set; pass --base-url or set INSIGHT_PROOF_BASE_URL (for example http://localhost:8000/v1).\n');
    const refused = await runBundle(['prove', '--problem', 'x', '--base-url', 'http://127.0.0.1:9/v1', '--retries', '0']);
    assert.equal(refused.code, 1);
    assert.match(lastLine(refused.stderr), /Could not connect to http:\/\/127\.0\.0\.1:9\/v1; start the model server/);
  });

  test('SIGINT during a batch keeps finished and cancelled problems and exits 130', async () => {
    const input = join(workdir, 'signal.jsonl');
    writeFileSync(input, `${SAMPLE_RECORDS.slice(0, 4).map((record) => JSON.stringify(record)).join('\n')}\n`);
    override = () => ({ content: 'y'.repeat(2000), chunkChars: 10, chunkDelayMs: 20 });
    try {
      const result = await runBundle(['batch', '--in', 'signal.jsonl', '--out', 'signal-out.jsonl', '--concurrency', '2', '--stages', 'techniques'], {}, (child) => {
        child.stderr?.once('data', () => setTimeout(() => child.kill('SIGINT'), 300));
      });
      assert.equal(result.code, 130);
      assert.match(result.stderr, /Stopping \(press Ctrl-C again to quit at once\)/);
      assert.match(lastLine(result.stderr), /Interrupted: 0 of 4 problems complete, 2 cancelled and 2 not started/);
      const kept = readJsonl(join(workdir, 'signal-out.jsonl'));
      assert.equal(kept.length, 2);
      assert.ok(kept.every((hierarchy) => hierarchy.layers.techniques.status === 'failed' && hierarchy.layers.techniques.raw.length > 0));
    } finally {
      override = undefined;
    }
    assert.ok(existsSync(join(workdir, 'signal-out.jsonl')));
  });
});
