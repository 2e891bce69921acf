import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createHierarchy, type Hierarchy } from '../../src/core/hierarchy.ts';
import { importHierarchies } from '../../src/core/import.ts';
import { ScriptedModelServer } from '../server/scriptedServer.ts';
import { runCliInProcess, type CliRun } from './cliHarness.ts';
import { FIXTURE_RECORDS_PATH, fixtureRecords, provedHierarchy, realisticHierarchy } from './exportSamples.ts';

const server = new ScriptedModelServer({ models: ['insight-test-model', 'judge-model'] });
let baseUrl = '';
let workdir = '';

before(async () => {
  baseUrl = await server.start();
  workdir = mkdtempSync(join(tmpdir(), 'insight-proof-cli-export-'));
});
after(async () => {
  await server.close();
  rmSync(workdir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCliInProcess(args, { env: { INSIGHT_PROOF_BASE_URL: baseUrl, INSIGHT_PROOF_MODEL: 'insight-test-model', ...env }, cwd: workdir });
}

function writeJsonl(name: string, hierarchies: readonly Hierarchy[]): string {
  writeFileSync(join(workdir, name), hierarchies.map((hierarchy) => JSON.stringify(hierarchy)).join('\n'));
  return name;
}

/** Batch-like results for the fixture records: every verdict right except the first variant of the listed problems. */
function results(wrong: readonly string[] = []): Hierarchy[] {
  const flipped = new Set<string>();
  return fixtureRecords().map((record, index) => {
    const hierarchy = realisticHierarchy(record, index);
    if (wrong.includes(record.problem_name) && !flipped.has(record.problem_name)) {
      flipped.add(record.problem_name);
      hierarchy.layers.proof.verdict = record.answer ? 'disproved' : 'proved';
    }
    return hierarchy;
  });
}

describe('insight-proof export', () => {
  test('--help names every format', async () => {
    const run = await cli(['export', '--help']);
    assert.equal(run.code, 0);
    for (const format of ['md', 'json', 'jsonl', 'sft', 'tex']) assert.match(run.stdout, new RegExp(`\\n {26}${format} +\\S`));
  });

  test('prints a JSONL file of hierarchies as markdown on stdout', async () => {
    const input = writeJsonl('two.jsonl', [provedHierarchy(), provedHierarchy('Second problem.', 'ip-2')]);
    const run = await cli(['export', '--in', input, '--format', 'md']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^## Problem 1\n\n\*\*Problem\.\*\* For every integer/);
    assert.match(run.stdout, /\n---\n\n## Problem 2\n\n\*\*Problem\.\*\* Second problem\./);
    assert.equal(run.stderr, '');
  });

  test('writes --out only when it does not exist, unless --force; the format follows the extension', async () => {
    const input = writeJsonl('one.jsonl', [provedHierarchy()]);
    const first = await cli(['export', '--in', input, '--out', 'proof.tex']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stderr, 'Wrote 1 hierarchy as tex to proof.tex.\n');
    assert.match(readFileSync(join(workdir, 'proof.tex'), 'utf8'), /\\begin\{proof\}/);

    writeFileSync(join(workdir, 'keep.md'), 'my notes\n');
    const refused = await cli(['export', '--in', input, '--format', 'md', '--out', 'keep.md']);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, 'insight-proof export: keep.md already exists; choose another file name, or replace it on purpose (--force on the command line).\n');
    assert.equal(readFileSync(join(workdir, 'keep.md'), 'utf8'), 'my notes\n');

    const forced = await cli(['export', '--in', input, '--format', 'md', '--out', 'keep.md', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(readFileSync(join(workdir, 'keep.md'), 'utf8'), /^## Problem/);
  });

  test('json and jsonl exports import back to the same hierarchies; sft lines can leave out metadata', async () => {
    const hierarchies = results();
    const input = writeJsonl('results.jsonl', hierarchies);
    for (const format of ['json', 'jsonl']) {
      const run = await cli(['export', '--in', input, '--format', format]);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(importHierarchies(run.stdout, `out.${format}`), hierarchies);
    }
    const sft = await cli(['export', '--in', input, '--format', 'sft', '--no-metadata']);
    const lines = sft.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines.length, hierarchies.length * 3);
    assert.ok(lines.every((line) => Object.keys(line).join() === 'messages'));
    const empty = await cli(['export', '--in', writeJsonl('fresh.jsonl', [createHierarchy({ problem: 'p' })]), '--format', 'sft']);
    assert.equal(empty.code, 0);
    assert.equal(empty.stdout, '');
    assert.match(empty.stderr, /^No training pairs: /);
  });

  test('wrong usage and broken input are one line each, with exit codes 2 and 1', async () => {
    const input = writeJsonl('one.jsonl', [provedHierarchy()]);
    const badFormat = await cli(['export', '--in', input, '--format', 'docx']);
    assert.equal(badFormat.code, 2);
    assert.equal(badFormat.stderr, 'insight-proof export: --format must be one of md, json, jsonl, sft, tex, not "docx".\n');
    const noFormat = await cli(['export', '--in', input]);
    assert.equal(noFormat.code, 2);
    assert.equal(noFormat.stderr, 'insight-proof export: Pass --format with one of md, json, jsonl, sft, tex.\n');
    const missing = await cli(['export', '--in', 'nope.jsonl', '--format', 'md']);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, 'insight-proof export: Could not read nope.jsonl (it does not exist); check the --in path.\n');
    writeFileSync(join(workdir, 'broken.jsonl'), `${JSON.stringify(provedHierarchy())}\n{"schema": "insight-proof.hierarchy/v1"}\n`);
    const broken = await cli(['export', '--in', 'broken.jsonl', '--format', 'md']);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /^insight-proof export: The record on line 2 of broken\.jsonl is not an Insight Proof hierarchy \(id: .*\); check that it was exported by Insight Proof or follows hierarchy\.schema\.json\.\n$/);
  });
});

describe('insight-proof score', () => {
  test('prints the outcome score table; --json gives the same report as JSON', async () => {
    const input = writeJsonl('scored.jsonl', results(['putnam_2010_a3']));
    const run = await cli(['score', '--in', input]);
    assert.equal(run.code, 0, run.stderr);
    // 15 problems in the sample; putnam_2010_a3 has one wrong variant of two.
    assert.match(run.stdout, /^Outcome score: 93\.33 \(14 of 15 problems solved; /);
    assert.match(run.stdout, /\nVariants: 16 of 17 verdicts right\n/);
    assert.match(run.stdout, /\nputnam_2010_a3 +2 +1 +0 +no\n/);
    const json = await cli(['score', '--in', input, '--json']);
    const report = JSON.parse(json.stdout) as { score: number; solved: number; problems: number };
    assert.equal(report.problems, 15);
    assert.equal(report.solved, 14);
  });

  test('a file without scorable results is an error', async () => {
    const input = writeJsonl('free.jsonl', [provedHierarchy()]);
    const run = await cli(['score', '--in', input]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'insight-proof score: free.jsonl has no scorable results; score needs hierarchies from a batch run over records with "problem_name" and a true/false "answer".\n');
  });
});

describe('insight-proof workbook', () => {
  test('turns the problem set into **Problem.** blocks; --out is never replaced without --force', async () => {
    writeFileSync(join(workdir, 'problems.jsonl'), `${readFileSync(FIXTURE_RECORDS_PATH, 'utf8')}not a record\n`);
    const run = await cli(['workbook', '--in', 'problems.jsonl', '--out', 'notes.md']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^Skipped line 18 of problems\.jsonl: not valid JSON \(.*\)\.\nWrote 17 problems to notes\.md\.\n$/);
    const notes = readFileSync(join(workdir, 'notes.md'), 'utf8');
    assert.equal((notes.match(/^\*\*Problem\.\*\* /gm) ?? []).length, 17);
    const again = await cli(['workbook', '--in', 'problems.jsonl', '--out', 'notes.md']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /notes\.md already exists; /);
  });
});

describe('insight-proof review', () => {
  test('reviews a hierarchy JSON with the judge model and prints it with the review', async () => {
    server.script('review', { content: '{"validity": 1, "completeness": 1, "correctness": 0.5, "clarity": 1, "explanation": "Good."}' });
    const hierarchy = provedHierarchy();
    delete hierarchy.review;
    writeFileSync(join(workdir, 'one.json'), JSON.stringify(hierarchy));
    const run = await cli(['review', '--in', 'one.json', '--judge-model', 'judge-model']);
    assert.equal(run.code, 0, run.stderr);
    const reviewed = JSON.parse(run.stdout) as Hierarchy;
    assert.equal(reviewed.review?.score, 0.9);
    assert.equal(reviewed.review?.model, 'judge-model');
    assert.equal(run.stderr, 'review score 0.90\n');
    assert.equal(server.chatRequests.at(-1)!.stage, 'review');
  });

  test('a JSONL file is reviewed line by line; lines without a proof or a usable answer are reported and kept', async () => {
    const withProof = provedHierarchy('First.', 'ip-1');
    const noProof = { ...provedHierarchy('Second.', 'ip-2') };
    noProof.layers = { ...noProof.layers, proof: { status: 'empty', text: '', verdict: null, raw: '', edited: false } };
    const third = provedHierarchy('Third.', 'ip-3');
    writeJsonl('batch.jsonl', [withProof, noProof, third]);
    server.script('review', { content: 'Validity: 0.5\nCompleteness: 0.5\nCorrectness: 0.5\nClarity: 0.5' }, { content: 'No idea, sorry.' });
    const run = await cli(['review', '--in', 'batch.jsonl', '--out', 'reviewed.jsonl']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^\[1\/3\] ip-1: review score 0\.50\n\[2\/3\] ip-2: There is no proof to review yet; generate or write the proof first\.\n\[3\/3\] ip-3: The judge's answer has no rubric scores/);
    assert.match(run.stderr, /\ninsight-proof review: 2 of 3 hierarchies were not reviewed \(ip-2, ip-3\); see the messages above\.\n$/);
    const written = importHierarchies(readFileSync(join(workdir, 'reviewed.jsonl'), 'utf8'), 'reviewed.jsonl');
    assert.equal(written[0]!.review?.score, 0.5);
    assert.deepEqual(written[1], noProof);
    assert.deepEqual(written[2], third);
  });

  test('a failed request stops the run with one sentence; nothing new means nothing is written', async () => {
    server.script('review', { status: 404, errorBody: { error: { message: 'The model `nope` does not exist', code: 'model_not_found' } } });
    writeFileSync(join(workdir, 'single.json'), JSON.stringify(provedHierarchy()));
    const run = await cli(['review', '--in', 'single.json', '--judge-model', 'nope']);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^insight-proof review: Stopped while reviewing ip-000000000001: .+\.\n$/);
  });

  test('no judge or main model is a usage error', async () => {
    writeFileSync(join(workdir, 'single.json'), JSON.stringify(provedHierarchy()));
    const run = await cli(['review', '--in', 'single.json'], { INSIGHT_PROOF_MODEL: '' });
    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'insight-proof review: No judge model is set; pass --judge-model or --model (or set INSIGHT_PROOF_JUDGE_MODEL or INSIGHT_PROOF_MODEL).\n');
  });
});

describe('insight-proof schema', () => {
  test('prints exactly the shipped media/hierarchy.schema.json', async () => {
    const run = await cli(['schema']);
    assert.equal(run.stdout, readFileSync(new URL('../../media/hierarchy.schema.json', import.meta.url), 'utf8'));
  });
});
