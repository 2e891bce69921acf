import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import * as fc from 'fast-check';
import { detectTheorems, theoremAtLine } from '../../src/core/markdown.ts';

interface EvalRecord {
  problem_name: string;
  prompt: string;
  answer: boolean;
}

/** Real problem statements: DeepTheorem's FIMO, HMMT and Putnam evaluation sets (MIT; see test/fixtures/README.md). */
const records: EvalRecord[] = readFileSync(new URL('../fixtures/deeptheorem-sample.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as EvalRecord);

function labels(markdown: string) {
  return detectTheorems(markdown).map((theorem) => [theorem.label, theorem.kind]);
}

describe('detectTheorems: labels', () => {
  const recognised: Array<[string, string, string]> = [
    ['**Theorem.** Every tree has a leaf.', 'Theorem', 'theorem'],
    ['**Theorem 3.** $n^2 \\ge n$.', 'Theorem 3', 'theorem'],
    ['**Lemma 2**: Every tree has a leaf.', 'Lemma 2', 'lemma'],
    ['**Proposition (AM–GM).** For $a, b > 0$, $a + b \\ge 2\\sqrt{ab}$.', 'Proposition (AM–GM)', 'proposition'],
    ['**Theorem** (Fermat). $a^p \\equiv a$.', 'Theorem (Fermat)', 'theorem'],
    ['*Theorem.* Every tree has a leaf.', 'Theorem', 'theorem'],
    ['__Claim.__ It works.', 'Claim', 'claim'],
    ['_Corollary 3.1._ Done.', 'Corollary 3.1', 'corollary'],
    ['**PROBLEM 4.** Find all $n$.', 'PROBLEM 4', 'problem'],
    ['**Conjecture (Goldbach).** Every even $n > 2$ is a sum of two primes.', 'Conjecture (Goldbach)', 'conjecture'],
    ['**Exercise A.** Show it.', 'Exercise A', 'exercise'],
    ["**Question.** Is it true?", 'Question', 'question'],
    ['**Theorem IV:** Something.', 'Theorem IV', 'theorem'],
    ['## Proposition\nEvery bounded monotone sequence converges.', 'Proposition', 'proposition'],
    ['### Theorem 2 (Fermat)\n$a^p \\equiv a \\pmod p$.', 'Theorem 2 (Fermat)', 'theorem'],
    ['## Problem 3: Sums of squares\nWhich $n$ are sums of two squares?', 'Problem 3', 'problem'],
    ['# **Lemma 5**\nA statement.', 'Lemma 5', 'lemma'],
    ['> **Lemma 2**: Every tree has a leaf.', 'Lemma 2', 'lemma'],
    ['Theorem 7\n=========\n\nSetext headings count too.', 'Theorem 7', 'theorem'],
  ];
  for (const [markdown, label, kind] of recognised) {
    test(`recognises ${JSON.stringify(markdown.split('\n')[0])}`, () => assert.deepEqual(labels(markdown), [[label, kind]]));
  }

  const ignored = [
    '**Theorem proving** is fun.',
    'Theorem 3 says that every tree has a leaf.',
    '**Definition.** A tree is a connected acyclic graph.',
    '**Problems.** Several of them.',
    '## Theorems\nA list.',
    'Prove that every tree has a leaf.',
    '```\n**Theorem.** In a code block.\n```',
    '    **Theorem.** In an indented code block.',
    '- **Theorem.** In a list item.',
    '<!-- insight-proof:begin id=ip-1 -->\n**Theorem.** Inside a proof block.\n<!-- insight-proof:end -->',
    '**Proof.** Of nothing.',
  ];
  for (const markdown of ignored) {
    test(`ignores ${JSON.stringify(markdown.split('\n')[0])}`, () => assert.deepEqual(labels(markdown), []));
  }
});

describe('detectTheorems: statements and line numbers', () => {
  test('a labelled paragraph, the display math after it and the sentence that goes on; the proof is not included', () => {
    const markdown = [
      '# Notes', // 0
      '', // 1
      '**Theorem 1.** For every $n \\ge 1$,', // 2
      '', // 3
      '$$', // 4
      '\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2},', // 5
      '$$', // 6
      '', // 7
      'with equality in the obvious sense.', // 8
      '', // 9
      '**Proof.** Induction on $n$.', // 10
      '', // 11
      'An unrelated paragraph.', // 12
    ].join('\n');
    const [theorem, ...rest] = detectTheorems(markdown);
    assert.deepEqual(rest, []);
    assert.equal(theorem!.startLine, 2);
    assert.equal(theorem!.endLine, 8);
    assert.equal(theorem!.statement, markdown.split('\n').slice(2, 9).join('\n'));
  });

  test('an ordinary paragraph after a statement is not part of it', () => {
    const [theorem] = detectTheorems('**Lemma.** Every tree has a leaf.\n\nWe now turn to forests.');
    assert.equal(theorem!.endLine, 0);
  });

  test('a colon introduces what follows: lists and the paragraph after them belong to the statement', () => {
    const markdown = '*Claim.* The following are equivalent:\n\n1. $G$ is a tree;\n2. $G$ is connected with $n - 1$ edges.\n\nHere $n = |V(G)|$.\n\nNext topic.';
    const [theorem] = detectTheorems(markdown);
    assert.equal(theorem!.statement, '*Claim.* The following are equivalent:\n\n1. $G$ is a tree;\n2. $G$ is connected with $n - 1$ edges.\n\nHere $n = |V(G)|$.');
    assert.deepEqual([theorem!.startLine, theorem!.endLine], [0, 5]);
  });

  test('a heading statement runs to the next heading, rule, proof or theorem', () => {
    const markdown = [
      '## Proposition (AM–GM)', // 0
      'Let $a, b > 0$.', // 1
      '', // 2
      'Then $a + b \\ge 2\\sqrt{ab}$.', // 3
      '', // 4
      '**Proof.** Square both sides.', // 5
      '', // 6
      '### Theorem 2 (Fermat)', // 7
      'For a prime $p$, $a^p \\equiv a$.', // 8
      '', // 9
      '---', // 10
      '', // 11
      '## Lemma 3', // 12
      'Statement.', // 13
      '## Unrelated', // 14
    ].join('\n');
    assert.deepEqual(
      detectTheorems(markdown).map((theorem) => [theorem.label, theorem.startLine, theorem.endLine]),
      [
        ['Proposition (AM–GM)', 0, 3],
        ['Theorem 2 (Fermat)', 7, 8],
        ['Lemma 3', 12, 13],
      ],
    );
  });

  test('consecutive theorems are separate', () => {
    assert.deepEqual(
      detectTheorems('**Lemma 1.** A.\n\n**Lemma 2.** B.\n$$x$$\n\n**Theorem.** C.').map((theorem) => [theorem.label, theorem.startLine, theorem.endLine]),
      [
        ['Lemma 1', 0, 0],
        ['Lemma 2', 2, 3],
        ['Theorem', 5, 5],
      ],
    );
  });

  test('a statement stops at an insight-proof block, and a theorem after the block is found', () => {
    const markdown = '**Theorem.** A.\n$$x$$\n<!-- insight-proof:begin id=ip-1 -->\n**Lemma.** inside\n<!-- insight-proof:end -->\n\n$$y$$\n\n**Lemma 9.** B.';
    assert.deepEqual(
      detectTheorems(markdown).map((theorem) => [theorem.label, theorem.startLine, theorem.endLine]),
      [
        ['Theorem', 0, 1],
        ['Lemma 9', 8, 8],
      ],
    );
  });

  test('CRLF documents: the same lines, and the statement exactly as in the document', () => {
    const markdown = '# T\r\n\r\n**Theorem.** First line\r\nsecond line.\r\n\r\n$$ x $$\r\n\r\nand so on.\r\n\r\nRest.\r\n';
    const [theorem] = detectTheorems(markdown);
    assert.deepEqual([theorem!.startLine, theorem!.endLine], [2, 7]);
    assert.equal(theorem!.statement, '**Theorem.** First line\r\nsecond line.\r\n\r\n$$ x $$\r\n\r\nand so on.');
  });

  test('results are copies: changing them does not change the next answer', () => {
    const markdown = '**Theorem.** A.';
    detectTheorems(markdown)[0]!.label = 'changed';
    assert.equal(detectTheorems(markdown)[0]!.label, 'Theorem');
  });
});

describe('detectTheorems on real problem statements (DeepTheorem FIMO/HMMT/Putnam)', () => {
  test('the fixture holds problems from all three sets', () => {
    assert.ok(records.length >= 10);
    assert.ok(records.some((record) => record.problem_name.startsWith('putnam')));
  });

  test('as bold-labelled paragraphs followed by a proof, every statement is found whole', () => {
    const markdown = records.map((record, index) => `**Problem ${index + 1}.** ${record.prompt}\n\n**Proof.** Omitted.\n`).join('\n');
    const theorems = detectTheorems(markdown);
    assert.equal(theorems.length, records.length);
    theorems.forEach((theorem, index) => {
      assert.equal(theorem.label, `Problem ${index + 1}`);
      assert.equal(theorem.statement, `**Problem ${index + 1}.** ${records[index]!.prompt.trimEnd()}`, records[index]!.problem_name);
    });
  });

  test('as heading sections, every statement is found whole', () => {
    const markdown = records.map((record, index) => `## Problem ${index + 1}\n\n${record.prompt}\n`).join('\n');
    const theorems = detectTheorems(markdown);
    assert.equal(theorems.length, records.length);
    theorems.forEach((theorem, index) => assert.equal(theorem.statement, `## Problem ${index + 1}\n\n${records[index]!.prompt.trimEnd()}`, records[index]!.problem_name));
  });
});

describe('theoremAtLine', () => {
  const markdown = 'Intro.\n\n**Theorem.** A\nstatement:\n\n$$ x $$\n\nwhich ends here.\n\nOther text.\n\n## Lemma 2\nB.';
  test('finds the theorem on its first, middle and last line', () => {
    for (const line of [2, 3, 4, 5, 6, 7]) assert.equal(theoremAtLine(markdown, line)?.label, 'Theorem', `line ${line}`);
    assert.equal(theoremAtLine(markdown, 12)?.label, 'Lemma 2');
  });

  test('outside every theorem there is none', () => {
    for (const line of [0, 1, 8, 9, 10, 99, -1]) assert.equal(theoremAtLine(markdown, line), undefined, `line ${line}`);
  });
});

describe('detectTheorems: parsing only windows around candidates finds what parsing everything finds (property)', () => {
  const line = fc.constantFrom(
    '',
    '',
    '',
    '**Theorem.** For all $n$,',
    '**Lemma 2**: a statement:',
    '*Claim.* Short.',
    '__Problem 3.__ Find $x$.',
    '**Theorem** (Fermat). $a^p \\equiv a$.',
    '## Proposition',
    '### Theorem 2 (Fermat)',
    '# Notes',
    'Theorem 7',
    'Lemma',
    '===',
    '---',
    '***',
    '> **Lemma.** Quoted.',
    '>',
    '> more',
    '**Proof.** Obvious.',
    'Proof. Also.',
    '**Remark.** Aside.',
    '$$',
    '$$ x^2 $$',
    '\\[ y \\]',
    '\\begin{align}',
    '- item',
    '* item',
    '1. item',
    '2) item',
    '  continued',
    '   **Theorem.** indented',
    '    code line',
    '\t**Lemma.** tab',
    '```',
    '~~~',
    '````',
    '```js',
    '<!--',
    '-->',
    '<!-- note -->',
    '<script>',
    '</script>',
    '<div>',
    '<!-- insight-proof:begin id=ip-1 -->',
    '<!-- insight-proof:end -->',
    'plain text:',
    'plain text.',
    'Theorem proving is fun.',
  );
  const documents = fc.tuple(fc.array(line, { maxLength: 60 }), fc.constantFrom('\n', '\r\n')).map(([lines, eol]) => lines.join(eol));

  test('same theorems, same lines, same statements', () => {
    fc.assert(
      fc.property(documents, (markdown) => {
        assert.deepEqual(detectTheorems(markdown, { strategy: 'windows' }), detectTheorems(markdown, { strategy: 'whole' }));
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('detectTheorems performance', () => {
  test('a 5 MB document with 2,000 theorems is parsed once, quickly, and asking again reuses the parse', () => {
    const problems = records.map((record) => record.prompt);
    const parts: string[] = [];
    let size = 0;
    for (let index = 0; size < 5_000_000; index++) {
      const part = `## Section ${index}\n\nSome context with $x_${index}$.\n\n**Theorem ${index}.** ${problems[index % problems.length]}\n\n**Proof.** ${'We argue over $n$ and $m$, step by step. '.repeat(40)}\n\n${'A remark that goes on. '.repeat(12)}\n\n`;
      parts.push(part);
      size += part.length;
    }
    const markdown = parts.join('');
    const started = performance.now();
    const theorems = detectTheorems(markdown);
    const first = performance.now() - started;
    assert.ok(theorems.length >= 2_000, `${theorems.length} theorems`);
    assert.deepEqual(theorems, detectTheorems(markdown, { strategy: 'whole' }));
    detectTheorems(markdown);
    const again = performance.now();
    assert.equal(theoremAtLine(markdown, theorems[1_000]!.startLine)?.label, theorems[1_000]!.label);
    const cached = performance.now() - again;
    // The product budget is far lower (see the benchmarks); this only guards against rescans.
    assert.ok(first < 3_000, `first detection took ${first.toFixed(0)} ms`);
    assert.ok(cached < 50, `a cached lookup took ${cached.toFixed(0)} ms`);
  });
});
