import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as fc from 'fast-check';
import MarkdownIt from 'markdown-it';
import { createHierarchy, type Hierarchy, type Technique } from '../../src/core/hierarchy.ts';
import { findProofBlocks, hierarchiesFromDocument, planInsert, renderProofBlock } from '../../src/core/insertBlock.ts';
import { detectTheorems } from '../../src/core/markdown.ts';

function hierarchy(id: string, content: { techniques?: Technique[]; steps?: string[]; proof?: string } = {}): Hierarchy {
  const h = createHierarchy({ problem: 'p', id, now: new Date('2026-01-01T00:00:00Z') });
  h.layers.techniques = { status: 'accepted', items: content.techniques ?? [], raw: '', edited: false };
  h.layers.sketch = { status: 'accepted', steps: (content.steps ?? []).map((text) => ({ text })), raw: '', edited: false };
  h.layers.proof = { status: 'accepted', text: content.proof ?? '', verdict: null, raw: '', edited: false };
  return h;
}

const sample = hierarchy('ip-0123456789ab', {
  techniques: [
    { name: 'Pigeonhole principle', kind: 'theorem', detail: 'Split the square into four quadrants.\nTwo of five points share one.' },
    { name: 'Distance bound', kind: 'other', detail: 'A quadrant has diameter $\\sqrt{2}/2$.' },
  ],
  steps: ['Split the unit square into four squares of side $\\frac12$.', 'Two points share a square:\n\n$$ d \\le \\tfrac{\\sqrt2}{2}. $$'],
  proof: 'Divide the square into four quadrants. By pigeonhole, two points $P, Q$ lie in one, so $|PQ| \\le \\sqrt{2}/2$.\n\n\\boxed{proved}',
});

/** Applies a plan the way the editor does: replace whole lines (with their line break) or insert at a line start. */
function apply(markdown: string, plan: ReturnType<typeof planInsert>): string {
  const starts = [0];
  for (const match of markdown.matchAll(/\r\n|\n/g)) starts.push(match.index + match[0].length);
  const offset = (line: number) => (line < starts.length ? starts[line]! : markdown.length);
  if (plan.replace) return markdown.slice(0, offset(plan.startLine)) + plan.text + markdown.slice(offset(plan.endLine + 1));
  const at = Math.min(offset(plan.startLine), markdown.length);
  return markdown.slice(0, at) + plan.text + markdown.slice(at);
}

function insert(markdown: string, h: Hierarchy): string {
  const theorem = detectTheorems(markdown)[0]!;
  return apply(markdown, planInsert(markdown, h, theorem.endLine));
}

describe('renderProofBlock', () => {
  test('writes readable markdown between the markers', () => {
    assert.equal(
      renderProofBlock(sample),
      [
        '<!-- insight-proof:begin id=ip-0123456789ab -->',
        '',
        '**Core techniques.**',
        '',
        '- **Pigeonhole principle** *(theorem)*: Split the square into four quadrants.',
        '  Two of five points share one.',
        '- **Distance bound** *(other)*: A quadrant has diameter $\\sqrt{2}/2$.',
        '',
        '**Proof sketch.**',
        '',
        '1. Split the unit square into four squares of side $\\frac12$.',
        '2. Two points share a square:',
        '',
        '   $$ d \\le \\tfrac{\\sqrt2}{2}. $$',
        '',
        '**Proof.**',
        '',
        'Divide the square into four quadrants. By pigeonhole, two points $P, Q$ lie in one, so $|PQ| \\le \\sqrt{2}/2$.',
        '',
        '\\boxed{proved}',
        '',
        '<!-- insight-proof:end -->',
        '',
      ].join('\n'),
    );
  });

  test('only layers with content are written', () => {
    const onlyProof = hierarchy('ip-1', { proof: 'Trivial.' });
    assert.equal(renderProofBlock(onlyProof), '<!-- insight-proof:begin id=ip-1 -->\n\n**Proof.**\n\nTrivial.\n\n<!-- insight-proof:end -->\n');
    assert.equal(renderProofBlock(hierarchy('ip-2')), '<!-- insight-proof:begin id=ip-2 -->\n<!-- insight-proof:end -->\n');
  });

  test('multi-line details and steps stay inside their list items when rendered', () => {
    const html = new MarkdownIt().render(
      renderProofBlock(hierarchy('ip-3', { techniques: [{ name: 'A', kind: 'other', detail: 'first\n\nsecond paragraph\n- nested' }], steps: ['one\n\nstill one', 'two'] })),
    );
    assert.match(html, /<li>\s*<p><strong>A<\/strong> <em>\(other\)<\/em>: first<\/p>\s*<p>second paragraph<\/p>\s*<ul>\s*<li>nested<\/li>\s*<\/ul>\s*<\/li>/);
    assert.match(html, /<ol>\s*<li>\s*<p>one<\/p>\s*<p>still one<\/p>\s*<\/li>\s*<li>\s*<p>two<\/p>\s*<\/li>\s*<\/ol>/);
  });

  test('CRLF on request', () => {
    const block = renderProofBlock(sample, '\r\n');
    assert.ok(block.endsWith('<!-- insight-proof:end -->\r\n'));
    assert.ok(!/[^\r]\n/.test(block));
  });
});

describe('findProofBlocks', () => {
  test('reads a rendered block back', () => {
    const markdown = `**Theorem.** Five points in a unit square.\n\n${renderProofBlock(sample)}`;
    const [block, ...rest] = findProofBlocks(markdown);
    assert.deepEqual(rest, []);
    assert.equal(block!.id, 'ip-0123456789ab');
    assert.deepEqual([block!.startLine, block!.endLine], [2, 23]);
    assert.deepEqual(block!.layers.techniques.items, sample.layers.techniques.items);
    assert.deepEqual(block!.layers.sketch.steps, sample.layers.sketch.steps);
    assert.equal(block!.layers.proof.text, sample.layers.proof.text);
    assert.equal(block!.layers.proof.verdict, 'proved');
    assert.equal(block!.layers.techniques.status, 'accepted');
  });

  test('CRLF documents read back the same', () => {
    const markdown = `**Theorem.** X.\r\n\r\n${renderProofBlock(sample, '\r\n')}\r\nMore.\r\n`;
    const [block] = findProofBlocks(markdown);
    assert.deepEqual(block!.layers.techniques.items, sample.layers.techniques.items);
    assert.deepEqual(block!.layers.sketch.steps, sample.layers.sketch.steps);
    assert.equal(block!.layers.proof.text, sample.layers.proof.text);
  });

  test('a section the person rewrote by hand is read like a model answer', () => {
    const markdown = '<!-- insight-proof:begin id=ip-9 -->\n**Core techniques.**\n\n1. Induction: on $n$.\n2. AM-GM — on pairs.\n\n**Proof sketch.**\n\n- first\n- second\n<!-- insight-proof:end -->';
    const [block] = findProofBlocks(markdown);
    assert.deepEqual(
      block!.layers.techniques.items.map((item) => [item.name, item.detail]),
      [
        ['Induction', 'on $n$.'],
        ['AM-GM', 'on pairs.'],
      ],
    );
    assert.deepEqual(
      block!.layers.sketch.steps.map((step) => step.text),
      ['first', 'second'],
    );
    assert.equal(block!.layers.proof.status, 'empty');
  });

  test('markers shown inside a code fence are not a block; a proof that leaves a fence open still ends at its marker', () => {
    const documentation = '```markdown\n<!-- insight-proof:begin id=ip-doc -->\n<!-- insight-proof:end -->\n```\n';
    const openFence = '<!-- insight-proof:begin id=ip-a -->\n**Proof.**\n\n```\nunclosed\n<!-- insight-proof:end -->\n';
    const second = `\n**Lemma.** B.\n\n${renderProofBlock(hierarchy('ip-b', { proof: 'Second.' }))}`;
    assert.deepEqual(
      findProofBlocks(documentation + openFence + second).map((block) => [block.id, block.startLine, block.endLine, block.layers.proof.text]),
      [
        ['ip-a', 4, 9, '```\nunclosed'],
        ['ip-b', 13, 19, 'Second.'],
      ],
    );
  });

  test('an unterminated block is ignored rather than swallowing the document', () => {
    assert.deepEqual(findProofBlocks('<!-- insight-proof:begin id=ip-x -->\n**Proof.**\n\nHalf written.'), []);
  });
});

describe('renderProofBlock → findProofBlocks round trip (property)', () => {
  const word = fc.constantFrom('bound', 'sum', '$a:b$', '$x - y$', '$a*b$', '**bold**', '`code`', 'équation', '∑', '<b>', '-->', '#', '1.', '- item', '(theorem)', 'Proof.');
  const lineText = fc.array(word, { minLength: 1, maxLength: 8 }).map((words) => words.join(' '));
  const lineStart = fc.constantFrom('', '', '', '- ', '1. ', '  ', '    ', '> ', '**Proof.** ', '**Core techniques.**', '$$', '```');
  const multiLine = fc
    .array(fc.oneof({ weight: 5, arbitrary: fc.tuple(lineStart, lineText).map(([start, text]) => start + text) }, { weight: 1, arbitrary: fc.constant('') }), { minLength: 1, maxLength: 6 })
    .map((lines) => lines.join('\n').trim())
    .filter((text) => text !== '');
  const technique = fc.record({
    name: lineText,
    kind: fc.constantFrom('construction' as const, 'theorem' as const, 'transformation' as const, 'other' as const),
    detail: fc.oneof(multiLine, fc.constant('')),
  });
  const content = fc.record({
    techniques: fc.array(technique, { maxLength: 5 }),
    steps: fc.array(multiLine, { maxLength: 5 }),
    proof: fc.oneof(multiLine, fc.constant('')),
    eol: fc.constantFrom('\n' as const, '\r\n' as const),
  });

  test('techniques (name, kind, detail), steps and the proof text survive', () => {
    fc.assert(
      fc.property(content, ({ techniques, steps, proof, eol }) => {
        const h = hierarchy('ip-round', { techniques, steps, proof });
        const markdown = ['# Notes', '', '**Theorem.** Statement.', '', renderProofBlock(h, eol), 'After.'].join(eol);
        const blocks = findProofBlocks(markdown);
        assert.equal(blocks.length, 1);
        const layers = blocks[0]!.layers;
        assert.deepEqual(
          layers.techniques.items,
          techniques.map((item) => ({ ...item })),
        );
        assert.deepEqual(
          layers.sketch.steps.map((step) => step.text),
          steps,
        );
        assert.equal(layers.proof.text, proof);
      }),
      { numRuns: 500 },
    );
  });
});

describe('planInsert', () => {
  const document = '# Notes\n\n**Theorem.** Five points in a unit square.\n\n**Proof.** Left to the reader.\n';

  test('inserts after the theorem with a blank line between, and a blank line before the text that follows', () => {
    const plan = planInsert(document, sample, 2);
    assert.deepEqual([plan.replace, plan.startLine], [false, 3]);
    const result = apply(document, plan);
    assert.ok(result.startsWith('# Notes\n\n**Theorem.** Five points in a unit square.\n\n<!-- insight-proof:begin id=ip-0123456789ab -->\n'));
    assert.ok(result.endsWith('<!-- insight-proof:end -->\n\n**Proof.** Left to the reader.\n'));
  });

  test('inserting twice gives one block, replaced in place', () => {
    const once = insert(document, sample);
    const updated = hierarchy(sample.id, { proof: 'A new proof.' });
    const plan = planInsert(once, updated, detectTheorems(once)[0]!.endLine);
    assert.equal(plan.replace, true);
    const twice = apply(once, plan);
    const blocks = findProofBlocks(twice);
    assert.equal(blocks.length, 1);
    assert.equal(blocks[0]!.layers.proof.text, 'A new proof.');
    assert.deepEqual(blocks[0]!.layers.techniques.items, []);
    assert.equal(apply(twice, planInsert(twice, updated, 2)), twice, 'inserting the same content again changes nothing');
    assert.equal(twice.match(/insight-proof:begin/g)!.length, 1);
  });

  test('a document with two theorems and two blocks: each block stays under its theorem', () => {
    const first = hierarchy('ip-first', { steps: ['First plan.'] });
    const second = hierarchy('ip-second', { steps: ['Second plan.'] });
    let markdown = '**Lemma 1.** A.\n\nText between.\n\n**Theorem 2.** B.\n';
    markdown = apply(markdown, planInsert(markdown, first, 0));
    markdown = apply(markdown, planInsert(markdown, second, detectTheorems(markdown)[1]!.endLine));
    markdown = apply(markdown, planInsert(markdown, hierarchy('ip-first', { steps: ['First plan, revised.'] }), 0));
    const blocks = findProofBlocks(markdown);
    assert.deepEqual(
      blocks.map((block) => [block.id, block.layers.sketch.steps[0]!.text]),
      [
        ['ip-first', 'First plan, revised.'],
        ['ip-second', 'Second plan.'],
      ],
    );
    const restored = hierarchiesFromDocument(markdown, 'file:///notes.md');
    assert.deepEqual(
      restored.map((h) => [h.id, h.problem, h.source]),
      [
        ['ip-first', '**Lemma 1.** A.', { uri: 'file:///notes.md', startLine: 0, endLine: 0 }],
        ['ip-second', '**Theorem 2.** B.', { uri: 'file:///notes.md', startLine: blocks[0]!.endLine + 4, endLine: blocks[0]!.endLine + 4 }],
      ],
    );
    assert.ok(markdown.includes('Text between.'));
  });

  test('CRLF documents get CRLF blocks, and inserting again still replaces', () => {
    const crlf = document.replace(/\n/g, '\r\n');
    const once = insert(crlf, sample);
    assert.ok(!/[^\r]\n/.test(once), 'every line break is CRLF');
    const twice = apply(once, planInsert(once, sample, 2));
    assert.equal(twice, once);
    assert.equal(findProofBlocks(twice).length, 1);
    assert.deepEqual(findProofBlocks(twice)[0]!.layers.techniques.items, sample.layers.techniques.items);
  });

  test('a theorem on the last line of a document without a final line break', () => {
    const markdown = '**Theorem.** Last line';
    const plan = planInsert(markdown, sample, 0);
    assert.equal(plan.startLine, 1);
    const result = apply(markdown, plan);
    assert.ok(result.startsWith('**Theorem.** Last line\n\n<!-- insight-proof:begin id=ip-0123456789ab -->'));
    assert.ok(result.endsWith('<!-- insight-proof:end -->'));
    const again = apply(result, planInsert(result, sample, 0));
    assert.equal(again, result);
  });

  test('a theorem at the end of a document with a final line break', () => {
    const result = insert('**Theorem.** End.\n', sample);
    assert.ok(result.startsWith('**Theorem.** End.\n\n<!-- insight-proof:begin'));
    assert.ok(result.endsWith('<!-- insight-proof:end -->\n'));
  });
});

describe('hierarchiesFromDocument', () => {
  test('restores accepted layers, the theorem above as the problem, and its lines as the source', () => {
    const markdown = insert('Intro.\n\n**Theorem.** Five points.\n$$ d \\le 1 $$\n', sample);
    const [restored] = hierarchiesFromDocument(markdown, 'file:///a.md');
    assert.equal(restored!.id, sample.id);
    assert.equal(restored!.problem, '**Theorem.** Five points.\n$$ d \\le 1 $$');
    assert.deepEqual(restored!.source, { uri: 'file:///a.md', startLine: 2, endLine: 3 });
    assert.deepEqual(restored!.layers.techniques.items, sample.layers.techniques.items);
    assert.equal(restored!.layers.sketch.status, 'accepted');
    assert.equal(restored!.layers.proof.verdict, 'proved');
  });

  test('a block with no theorem above it has an empty problem and no source', () => {
    const [restored] = hierarchiesFromDocument(renderProofBlock(sample), 'file:///b.md');
    assert.equal(restored!.problem, '');
    assert.equal(restored!.source, undefined);
    assert.equal(restored!.layers.proof.text, sample.layers.proof.text);
  });

  test('a theorem above an earlier block is not taken for the next block', () => {
    const markdown = `**Theorem.** A.\n\n${renderProofBlock(hierarchy('ip-1', { proof: 'One.' }))}\n${renderProofBlock(hierarchy('ip-2', { proof: 'Two.' }))}`;
    assert.deepEqual(
      hierarchiesFromDocument(markdown, 'file:///c.md').map((h) => [h.id, h.problem]),
      [
        ['ip-1', '**Theorem.** A.'],
        ['ip-2', ''],
      ],
    );
  });
});
