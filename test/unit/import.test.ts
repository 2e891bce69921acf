import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { exportHierarchies } from '../../src/core/export/index.ts';
import { detectTheorems } from '../../src/core/markdown.ts';
import { importHierarchies, ImportError, problemsToWorkbook, readHierarchyFile } from '../../src/core/import.ts';
import { HierarchyFormatError, hierarchyJsonSchema } from '../../src/core/schema.ts';
import { FIXTURE_RECORDS_PATH, fixtureRecords, provedHierarchy } from './exportSamples.ts';

const SCHEMA_FILE = new URL('../../media/hierarchy.schema.json', import.meta.url);

describe('importing hierarchies', () => {
  test('reads one JSON object, a JSON array, and JSONL, and says which shape the file had', () => {
    const one = provedHierarchy();
    const two = provedHierarchy('Another problem.', 'ip-000000000002');
    assert.deepEqual(readHierarchyFile(JSON.stringify(one), 'one.json'), { hierarchies: [one], shape: 'object' });
    assert.deepEqual(readHierarchyFile(JSON.stringify([one, two], null, 2), 'two.json'), { hierarchies: [one, two], shape: 'array' });
    assert.deepEqual(readHierarchyFile(`\ufeff${JSON.stringify(one)}\n\n${JSON.stringify(two)}\n`, 'two.jsonl'), { hierarchies: [one, two], shape: 'jsonl' });
  });

  test('the provenance summary of a jsonl export is dropped again', () => {
    const hierarchies = importHierarchies(exportHierarchies([provedHierarchy()], 'jsonl'), 'data.jsonl');
    assert.ok(!('provenance' in hierarchies[0]!));
    assert.deepEqual(hierarchies, [provedHierarchy()]);
  });

  test('for an id on several lines (a resumed batch run) the last line counts, in first-seen order', () => {
    const first = provedHierarchy('p', 'ip-a');
    const other = provedHierarchy('q', 'ip-b');
    const newer = { ...first, updatedAt: '2026-12-01T00:00:00.000Z' };
    const text = [first, other, newer].map((hierarchy) => JSON.stringify(hierarchy)).join('\n');
    assert.deepEqual(importHierarchies(text, 'results.jsonl'), [newer, other]);
  });

  test('errors are one sentence naming the line, the item or the field', () => {
    const good = JSON.stringify(provedHierarchy());
    assert.throws(() => importHierarchies(`${good}\n{"schema": "insight-proof.hierarchy/v1", "id": "x"}\n`, 'results.jsonl'), (error: unknown) => {
      assert.ok(error instanceof HierarchyFormatError);
      assert.match(error.message, /^The record on line 2 of results\.jsonl is not an Insight Proof hierarchy \(problem: /);
      return true;
    });
    assert.throws(() => importHierarchies(`${good}\n\n{"broken": \n`, 'results.jsonl'), (error: unknown) => {
      assert.ok(error instanceof ImportError);
      assert.match(error.message, /^Line 3 of results\.jsonl is not valid JSON \(.*\); each line of a JSONL file must be one hierarchy object\.$/);
      return true;
    });
    assert.throws(() => importHierarchies(`[${good}, 3]`, 'list.json'), /^HierarchyFormatError: The item 2 of list\.json is not an Insight Proof hierarchy/);
    assert.throws(() => importHierarchies('{"schema": ', 'cut.json'), /^ImportError: cut\.json is not valid JSON or JSONL \(.*\); export it again or fix the file\.$/);
    assert.throws(() => importHierarchies('  \n', 'empty.json'), /^ImportError: empty\.json is empty; choose a hierarchy JSON or JSONL file exported by Insight Proof\.$/);
    assert.throws(() => importHierarchies('[]', 'none.json'), /holds an empty list/);
  });
});

describe('the shipped JSON Schema', () => {
  test('media/hierarchy.schema.json is the schema generated from the zod model (what `insight-proof schema` prints)', () => {
    const expected = `${JSON.stringify(hierarchyJsonSchema(), null, 2)}\n`;
    if (process.env.INSIGHT_PROOF_UPDATE_SCHEMA === '1') writeFileSync(SCHEMA_FILE, expected);
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    assert.equal(
      committed,
      expected,
      'media/hierarchy.schema.json is out of date with src/core/schema.ts; regenerate it with: INSIGHT_PROOF_UPDATE_SCHEMA=1 node --test test/unit/import.test.ts (or node esbuild.mjs && node dist/cli.js schema > media/hierarchy.schema.json)',
    );
  });
});

describe('problem sets as a workbook', () => {
  test('each DeepTheorem record becomes a heading and a **Problem.** block with the statement as written', async () => {
    const text = readFileSync(FIXTURE_RECORDS_PATH, 'utf8');
    const records = fixtureRecords();
    const workbook = await problemsToWorkbook(text, { sourceName: 'deeptheorem-sample.jsonl' });
    assert.equal(workbook.count, records.length);
    assert.deepEqual(workbook.skipped, []);
    assert.match(workbook.markdown, /^# Problems\n\n17 problems from `deeptheorem-sample\.jsonl`\.\n\n## 2006\\_algebra\\_p1\n\n\*\*Problem\.\*\* A sequence of real numbers/);
    for (const record of records) assert.ok(workbook.markdown.includes(`**Problem.** ${record.prompt.trim()}\n`), record.problem_name);
    // The answer stays out of the statement, in a comment after it.
    assert.match(workbook.markdown, /sufficiently large\.\n\n<!-- answer: true -->\n/);
    assert.equal((workbook.markdown.match(/<!-- answer: (true|false) -->/g) ?? []).length, records.length);
  });

  test('the workbook\'s problems are found as theorems, statement first line included', async () => {
    const workbook = await problemsToWorkbook(readFileSync(FIXTURE_RECORDS_PATH, 'utf8'));
    const theorems = detectTheorems(workbook.markdown);
    assert.equal(theorems.length, fixtureRecords().length);
    for (const theorem of theorems) assert.equal(theorem.kind, 'problem');
  });

  test('records given as values give the same workbook as their JSONL text', async () => {
    const text = readFileSync(FIXTURE_RECORDS_PATH, 'utf8');
    assert.deepEqual(await problemsToWorkbook(fixtureRecords()), await problemsToWorkbook(text));
  });

  test('{id, problem} records work too; lines that are not problems are skipped with a reason', async () => {
    const text = ['{"id": "sum-odd", "problem": "Show that $1+3+\\\\dots+(2n-1)=n^2$."}', 'not json', '{"id": 7}', '{"problem": "**Theorem.** Every tree has a leaf."}'].join('\n');
    const workbook = await problemsToWorkbook(text, { title: 'My # set' });
    assert.equal(workbook.count, 2);
    assert.deepEqual(workbook.skipped.map((line) => line.line), [2, 3]);
    assert.match(workbook.markdown, /^# My \\# set\n\n## sum-odd\n\n\*\*Problem\.\*\* Show that \$1\+3\+\\dots\+\(2n-1\)=n\^2\$\.\n\n## Problem 2\n\n\*\*Theorem\.\*\* Every tree has a leaf\.\n$/);
  });
});
