// Hierarchies for the export, import, score and review tests: hand-written layers in the shapes
// models really produce, the DeepTheorem sample records, and a fast-check arbitrary.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { createHierarchy, LAYER_STAGES, type Hierarchy, type LayerStatus } from '../../src/core/hierarchy.ts';
import { HIERARCHY_SCHEMA_ID } from '../../src/core/schema.ts';

export const FIXTURE_RECORDS_PATH = new URL('../fixtures/deeptheorem-sample.jsonl', import.meta.url);

export interface DeepTheoremRecord {
  problem_name: string;
  prompt: string;
  answer: boolean;
}

export function fixtureRecords(): DeepTheoremRecord[] {
  return readFileSync(FIXTURE_RECORDS_PATH, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as DeepTheoremRecord);
}

const NOW = new Date('2026-03-04T05:06:07.000Z');

/** A complete hierarchy: techniques, sketch and proof accepted, the sketch edited by hand, a review. */
export function provedHierarchy(problem = 'For every integer $n \\ge 1$, $1 + 3 + \\cdots + (2n-1) = n^2$.', id = 'ip-000000000001'): Hierarchy {
  const hierarchy = createHierarchy({ problem, id, now: NOW });
  hierarchy.layers.techniques = {
    status: 'accepted',
    items: [
      { name: 'Induction on $n$', kind: 'other', detail: 'The sum for $n+1$ adds $2n+1$ to the sum for $n$.' },
      { name: 'Telescoping', kind: 'transformation', detail: 'Write $(k+1)^2 - k^2 = 2k+1$ and sum over $k$:\n$$\\sum_{k=0}^{n-1} \\big((k+1)^2 - k^2\\big) = n^2.$$' },
    ],
    raw: '1. Induction on $n$: …\n2. Telescoping: …',
    edited: false,
    model: 'deepinsight-7b',
    updatedAt: NOW.toISOString(),
  };
  hierarchy.layers.sketch = {
    status: 'accepted',
    steps: [
      { text: 'Check $n = 1$: both sides are $1$.' },
      { text: 'Assume the identity for $n$ and add $2n+1$ — **the next odd number** — to both sides.' },
      { text: 'Conclude with $(n+1)^2 = n^2 + 2n + 1$ (hand-edited step).' },
    ],
    raw: '1. Check $n = 1$.\n2. Assume …\n3. Conclude with $(n+1)^2 = n^2 + 2n + 1$ (hand-edited step).',
    edited: true,
    model: 'deepinsight-7b',
    updatedAt: NOW.toISOString(),
  };
  hierarchy.layers.proof = {
    status: 'accepted',
    text: [
      'We argue by induction on $n$.',
      '',
      '*Base case.* For $n = 1$ the left side is $1 = 1^2$.',
      '',
      '*Inductive step.* Suppose $\\sum_{k=1}^{n} (2k-1) = n^2$. Then',
      '$$',
      '\\sum_{k=1}^{n+1} (2k-1) = n^2 + (2n+1) = (n+1)^2.',
      '$$',
      'This completes the induction, so the statement holds: $\\boxed{proved}$.',
    ].join('\n'),
    verdict: 'proved',
    raw: 'We argue by induction …',
    edited: false,
    model: 'deepinsight-7b-proof',
    updatedAt: NOW.toISOString(),
  };
  hierarchy.review = {
    score: 0.93,
    validity: 1,
    completeness: 0.9,
    correctness: 0.9,
    clarity: 0.8,
    explanation: 'Correct induction; the base case could say why $1 = 1^2$ matters.',
    model: 'judge-1',
    createdAt: NOW.toISOString(),
  };
  return hierarchy;
}

/**
 * Layers as a model writes them for a real problem statement: lists, emphasis, code, tables,
 * displays, TeX in text, characters pdflatex does not know, and a verdict.
 */
export function realisticHierarchy(record: DeepTheoremRecord, index: number): Hierarchy {
  const hierarchy = createHierarchy({ problem: record.prompt, id: `ip-real${String(index).padStart(7, '0')}`, input: record, now: NOW });
  const verdict = record.answer ? 'proved' : 'disproved';
  hierarchy.layers.techniques = {
    status: 'draft',
    items: [
      { name: 'Pigeonhole principle', kind: 'theorem', detail: 'Split the $n \\ge 2$ values into $n-1$ classes; two share a class.' },
      { name: 'Work modulo $p$ & compare', kind: 'transformation', detail: 'Reduce every term mod $p$ (50% of the cases are symmetric, #1 is the key one): `a_i mod p`.' },
      { name: 'Auxiliary polynomial $Q(x) = \\prod_{i}(x - x_i)$', kind: 'construction', detail: 'Its roots are exactly the $x_i$ ∈ ℝ, so $Q \\equiv 0$ ⇒ contradiction.' },
    ],
    raw: '',
    edited: false,
    model: 'deepinsight-7b',
  };
  hierarchy.layers.sketch = {
    status: 'draft',
    steps: [
      { text: 'Reduce to the case $a_0 \\geq 0$; WLOG the sequence is *eventually* monotone.' },
      { text: 'Show that $\\lfloor a_i \\rfloor$ takes finitely many values:\n- either it is bounded,\n- or it grows, which contradicts step 1.' },
      { text: 'Conclude: the claim is ' + (record.answer ? 'true' : 'false') + ' ~ see the table below.\n\n| case | value |\n|:-----|------:|\n| $i$ even | $a_i$ |\n| $i$ odd | 100% |' },
    ],
    raw: '',
    edited: false,
    model: 'deepinsight-7b',
  };
  hierarchy.layers.proof = {
    status: 'draft',
    text: [
      '## Setup',
      '',
      `Let $S$ be as in the statement (problem \`${record.problem_name}\`). We use the notation $[n]=\\{1,\\dots,n\\}$ and write $x_+ = \\max(x, 0)$.`,
      '',
      '1. **Step one.** By the pigeonhole principle two of the values coincide, i.e. $x_i \\equiv x_j \\pmod p$.',
      '2. **Step two.** Then',
      '   $$\\frac{x_i - x_j}{p} \\in \\mathbb{Z} \\quad\\text{and}\\quad |x_i - x_j| \\le 2^{n}.$$',
      '   - nested: a fact with 5% probability',
      '   - nested: $\\alpha \\to \\beta$ and α → β',
      '',
      '> Remark: the bound is tight — take $x_k = k$ for all $k$.',
      '',
      '```',
      'check(n) = sum(2k-1 for k in 1..n) == n^2   # 100% & {ok}',
      '```',
      '',
      'Costs $5 and $6 do not form math; neither does a lone \\ or ^ or ~ or _ here.',
      '',
      `Therefore the statement is ${record.answer ? 'true' : 'false'}.`,
      '',
      `\\boxed{${verdict}}`,
    ].join('\n'),
    verdict,
    raw: '',
    edited: false,
    model: 'deepinsight-7b',
  };
  return hierarchy;
}

const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const status = fc.constantFrom<LayerStatus>('empty', 'generating', 'draft', 'accepted', 'stale', 'failed');
const stamp = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }).map((ms) => new Date(ms).toISOString());
const unit = fc.double({ min: 0, max: 1, noNaN: true }).map((value) => (Object.is(value, -0) ? 0 : value));
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

function layerBase() {
  return fc.record(
    { status, raw: text, edited: fc.boolean(), model: optional(text), reasoning: optional(text), warnings: optional(fc.array(text, { maxLength: 2 })), updatedAt: optional(stamp) },
    { requiredKeys: ['status', 'raw', 'edited'] },
  );
}

/** Any valid hierarchy (as the schema allows it), for round-trip properties. */
export const hierarchyArbitrary: fc.Arbitrary<Hierarchy> = fc
  .record(
    {
      id: fc.string({ minLength: 1, maxLength: 20 }),
      problem: text,
      source: optional(fc.record({ uri: text, startLine: fc.nat(1000), endLine: fc.nat(1000) })),
      techniques: fc.tuple(layerBase(), fc.array(fc.record({ name: text, kind: fc.constantFrom('construction' as const, 'theorem' as const, 'transformation' as const, 'other' as const), detail: text }), { maxLength: 3 })),
      sketch: fc.tuple(layerBase(), fc.array(fc.record({ text }), { maxLength: 3 })),
      proof: fc.tuple(layerBase(), text, fc.constantFrom('proved' as const, 'disproved' as const, null)),
      review: optional(fc.record({ score: unit, validity: unit, completeness: unit, correctness: unit, clarity: unit, explanation: text, model: optional(text), createdAt: optional(stamp) }, { requiredKeys: ['score', 'validity', 'completeness', 'correctness', 'clarity', 'explanation'] })),
      input: optional(fc.jsonValue()),
      createdAt: stamp,
      updatedAt: stamp,
    },
    { requiredKeys: ['id', 'problem', 'techniques', 'sketch', 'proof', 'createdAt', 'updatedAt'] },
  )
  .map((value) => {
    const hierarchy: Hierarchy = {
      schema: HIERARCHY_SCHEMA_ID,
      id: value.id,
      problem: value.problem,
      layers: {
        techniques: { ...value.techniques[0], items: value.techniques[1] },
        sketch: { ...value.sketch[0], steps: value.sketch[1] },
        proof: { ...value.proof[0], text: value.proof[1], verdict: value.proof[2] },
      },
      createdAt: value.createdAt,
      updatedAt: value.updatedAt,
    };
    if (value.source) hierarchy.source = value.source;
    if (value.review) hierarchy.review = value.review;
    if (value.input !== undefined) hierarchy.input = value.input;
    return dropUndefined(hierarchy);
  });

/** JSON has no undefined: the arbitrary's optional fields are left out instead. */
function dropUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export { LAYER_STAGES };
