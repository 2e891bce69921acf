// The committed benchmark results, the report generated from them and the README's table agree,
// and the committed figures meet their budgets (`npm run bench -- --check` measures them anew).
import './setup.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { benchmarksDocument, README_TABLE_END, README_TABLE_START, readmeTableBlock, type BenchResults } from '../../bench/report.ts';
import { withinBudget, type CaseResult } from '../../bench/stats.ts';

const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');
const results = JSON.parse(read('bench/results.json')) as BenchResults;

test('bench/results.json holds every case of the performance budgets, the scale cases at two sizes', () => {
  const ids = results.cases.map((result) => result.id);
  for (const id of [
    'vsix-size',
    'activation',
    'bundle-load',
    'streaming-cpu',
    'end-to-end-overhead',
    'batch',
    'codelens-1000',
    'codelens-2000',
    'export-jsonl-5000',
    'export-jsonl-10000',
    'tree-get-children-250',
    'tree-get-children-500',
  ]) {
    assert.ok(ids.includes(id), `bench/results.json has no "${id}" case; run npm run bench.`);
  }
  assert.ok(ids.some((id) => id.startsWith('bundle-extension')), 'the extension bundle size is reported');
  assert.equal(results.machine.cpus > 0 && results.machine.node.length > 0 && results.date.length > 0, true);
});

test('the committed figures are within their budgets', () => {
  const over = results.cases.filter((result) => !withinBudget(result)).map((result) => `${result.title}: ${result.value} (${result.budget?.text})`);
  assert.deepEqual(over, [], 'bench/results.json records figures over budget; fix the cause and run npm run bench again.');
});

test('docs/benchmarks.md and the README table are what bench/results.json produces', () => {
  assert.equal(read('docs/benchmarks.md'), benchmarksDocument(results), 'docs/benchmarks.md does not match bench/results.json; run npm run bench to write both.');
  const readme = read('README.md');
  const start = readme.indexOf(README_TABLE_START);
  const end = readme.indexOf(README_TABLE_END);
  assert.ok(start >= 0 && end > start, `README.md lost its performance table markers; put "${README_TABLE_START}" and "${README_TABLE_END}" back in its Performance section and run npm run bench.`);
  assert.equal(readme.slice(start, end + README_TABLE_END.length), readmeTableBlock(results), "The README's performance table does not match bench/results.json; run npm run bench to rewrite it.");
});

test('a budget is inclusive unless it says "under"', () => {
  const at = (value: number, exclusive: boolean): CaseResult => ({ id: 'x', title: 'x', value, unit: 'KB', budget: { max: 500, exclusive, text: '' }, details: {} });
  assert.equal(withinBudget(at(500, false)), true);
  assert.equal(withinBudget(at(500, true)), false);
  assert.equal(withinBudget(at(499.9, true)), true);
  assert.equal(withinBudget({ id: 'x', title: 'x', value: 1e9, unit: 'ms', details: {} }), true);
});
