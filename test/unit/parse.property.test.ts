// Property tests for the output parsers: they never throw, and they never lose content.
//
// "Never lose content" is checked exactly as src/core/parse.ts defines it: after removing reasoning
// blocks, every word of the input — a maximal run of characters that are neither whitespace nor
// markdown/JSON syntax — occurs at least as often among the words of the output (names, details,
// step texts and warnings), except words made only of digits and the label words the parser
// consumes. For JSON input, the words of every string value (kind fields aside) must survive.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as fc from 'fast-check';
import { parseProof, parseSketch, parseTechniques, type Parsed } from '../../src/core/parse.ts';
import { splitReasoning } from '../../src/core/reasoning.ts';
import type { SketchStep, Technique } from '../../src/core/hierarchy.ts';

const SYNTAX = /[\s*_#>`~\-+.)(:[\]{}",—–=|]+/u;
const CONSUMED_WORDS = new Set(
  [
    'technique',
    'techniques',
    'step',
    'steps',
    'idea',
    'ideas',
    'insight',
    'insights',
    'method',
    'methods',
    'approach',
    'key',
    'kind',
    'type',
    'category',
    'json',
    'jsonc',
    'json5',
    'construction',
    'theorem',
    'transformation',
    'other',
  ].map((word) => word.toLowerCase()),
);

function words(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const word of text.split(SYNTAX)) {
    if (word === '' || /^\d+$/.test(word) || CONSUMED_WORDS.has(word.toLowerCase())) continue;
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

function outputText(parsed: Parsed<Technique[]> | Parsed<SketchStep[]>): string {
  const parts = parsed.value.map((item) => ('text' in item ? item.text : `${item.name}\n${item.detail}`));
  return [...parts, ...parsed.warnings].join('\n');
}

/** Asserts that every word of `source` survives into `output` (the definition above). */
function assertNoWordLost(source: string, output: string): void {
  const have = words(output);
  for (const [word, count] of words(source)) {
    const kept = have.get(word) ?? 0;
    assert.ok(kept >= count, `the word ${JSON.stringify(word)} occurs ${count}× in the input but ${kept}× in the output`);
  }
}

// Building blocks of realistic answers: markdown syntax, math with colons, dashes and stars,
// chatter, unicode, reasoning tags and JSON punctuation.
const WORDS = ['Pigeonhole', 'principle', 'Cauchy–Schwarz', 'AM-GM', 'Define', 'auxiliary', 'substitute', 'WLOG', 'bound', 'sum', 'équation', '∀x', '数学', 'Zsigmondy', 'Here', 'are', 'the'];
const piece = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...WORDS) },
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      '\n',
      '\n\n',
      ' ',
      '   ',
      '1. ',
      '2) ',
      '- ',
      '* ',
      '+ ',
      '**',
      '__',
      '*',
      '_',
      ': ',
      ' — ',
      ' – ',
      ' - ',
      '. ',
      '### ',
      '## Technique 1: ',
      'Step 2: ',
      '**Step 3.** ',
      '(construction)',
      '[theorem]',
      'Kind: other',
      '$a:b$',
      '$x - y$',
      '$a*b$',
      '$$\n\\sum_{k} k\n$$',
      '\\(',
      '\\)',
      '$',
      '`',
      '```',
      '```json\n',
      '---',
      '> ',
      '<think>',
      '</think>',
      '{',
      '}',
      '[',
      ']',
      '"',
      ',',
      '"name": ',
      '"techniques": ',
      'Here are the techniques:',
      'Hope this helps!',
    ),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 4 }) },
);
const answers = fc.array(piece, { maxLength: 60 }).map((pieces) => pieces.join(''));

// Line by line, so that lists, headings, labels, fences and paragraphs really occur. (Whole JSON
// answers are generated separately below: their object keys are syntax, not words to keep.)
const linePrefix = fc.constantFrom('', '', '', '1. ', '2. ', '3) ', '- ', '* ', '+ ', '   ', '  - ', ' - ', '### ', '## ', '### Technique 1: ', '## Step 2 ', '**Step 1.** ', 'Step 3: ', 'Technique 2: ', '> ', '    ', '\t');
const inlinePiece = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...WORDS) },
  {
    weight: 4,
    arbitrary: fc.constantFrom('**Pigeonhole principle**', '**AM-GM.**', '**Key idea:**', '*Jensen*', '__Schur__', ':', '—', '–', '-', '.', '$a:b$', '$x - y$', '$a*b$', '\\(a:b\\)', '`code: x`', '(construction)', '[theorem]', '*(other)*', 'Kind: transformation', '"', '{', '}', '[', ']', ','),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 5 }) },
);
const wholeLine = fc.constantFrom('', '', '```', '```json', '~~~', '---', '$$', '===', '<think>', '</think>', '<!-- note -->', '[1]: https://example.org', '| a | b |');
const line = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(linePrefix, fc.array(inlinePiece, { maxLength: 8 }), fc.constantFrom(' ', '')).map(([prefix, parts, glue]) => prefix + parts.join(glue)) },
  { weight: 1, arbitrary: wholeLine },
);
const documents = fc.array(line, { maxLength: 25 }).map((lines) => lines.join('\n'));
const arbitraryText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  answers,
  { weight: 4, arbitrary: documents },
);

const RUNS = { numRuns: 1_500 };

describe('the parsers never throw', () => {
  test('on arbitrary and markdown-like strings, including unicode and lone surrogates', () => {
    fc.assert(
      fc.property(arbitraryText, (text) => {
        parseTechniques(text);
        parseSketch(text);
        parseProof(text);
      }),
      RUNS,
    );
  });

  test('on huge inputs, in reasonable time', () => {
    const huge = [
      '1. **Name**: detail with $a:b$ and more\n'.repeat(20_000),
      '$'.repeat(200_000),
      '\\('.repeat(100_000),
      '**'.repeat(100_000),
      '- '.repeat(100_000),
      '> '.repeat(5_000) + 'deep',
      '['.repeat(50_000) + ']'.repeat(50_000),
      `### Step 1: x\n${'word '.repeat(200_000)}`,
      'x'.repeat(1_000_000),
    ];
    for (const text of huge) {
      const started = performance.now();
      const techniques = parseTechniques(text);
      const sketch = parseSketch(text);
      const elapsed = performance.now() - started;
      assert.ok(techniques.value.length > 0 && sketch.value.length > 0);
      assert.ok(elapsed < 10_000, `parsing ${text.length} characters took ${elapsed.toFixed(0)} ms`);
    }
  });
});

describe('the parsers never lose content', () => {
  test('techniques: every word of the answer (reasoning removed) is in the items or the warnings', () => {
    fc.assert(
      fc.property(arbitraryText, (text) => {
        assertNoWordLost(splitReasoning(text).content, outputText(parseTechniques(text)));
      }),
      RUNS,
    );
  });

  test('sketch: every word of the answer (reasoning removed) is in the steps or the warnings', () => {
    fc.assert(
      fc.property(arbitraryText, (text) => {
        assertNoWordLost(splitReasoning(text).content, outputText(parseSketch(text)));
      }),
      RUNS,
    );
  });

  test('proof: the text is kept whole (trimmed), reasoning aside', () => {
    fc.assert(
      fc.property(arbitraryText, (text) => {
        assert.equal(parseProof(text).value.text, splitReasoning(text).content.trim());
      }),
      RUNS,
    );
  });

  const jsonString = fc.oneof(fc.constantFrom(...WORDS), fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 10 }));
  const jsonValue = fc.oneof(jsonString, fc.integer(), fc.array(jsonString, { maxLength: 3 }));
  const jsonItem = fc.oneof(
    jsonString,
    fc.dictionary(fc.constantFrom('name', 'title', 'detail', 'description', 'how', 'why', 'text', 'step', 'note', 'Source', 'example_1'), jsonValue, { minKeys: 1, maxKeys: 5 }),
  );
  const jsonAnswers = fc
    .tuple(
      fc.array(jsonItem, { minLength: 1, maxLength: 6 }),
      fc.constantFrom('array', 'techniques', 'steps', 'items'),
      fc.constantFrom('bare', 'fenced', 'chatter'),
      fc.dictionary(fc.constantFrom('summary', 'comment'), jsonString, { maxKeys: 2 }),
    )
    .map(([items, wrapper, framing, extras]) => {
      const value = wrapper === 'array' ? items : { [wrapper]: items, ...extras };
      const json = JSON.stringify(value, null, 2);
      const text = framing === 'bare' ? json : framing === 'fenced' ? `\`\`\`json\n${json}\n\`\`\`` : `Here you go:\n\`\`\`json\n${json}\n\`\`\`\nDone.`;
      return { value, text };
    });

  /** The words a JSON answer must keep: every string and number value, and unknown keys. */
  function jsonWords(value: unknown, key?: string): string {
    if (key !== undefined && ['kind', 'type', 'category'].includes(key.toLowerCase())) return '';
    if (Array.isArray(value)) return value.map((entry) => jsonWords(entry)).join('\n');
    if (typeof value === 'object' && value !== null) return Object.entries(value).map(([k, v]) => jsonWords(v, k)).join('\n');
    return String(value);
  }

  test('JSON answers (bare, fenced, with chatter): every string value survives', () => {
    fc.assert(
      fc.property(jsonAnswers, ({ value, text }) => {
        const expected = `${jsonWords(value)}\n${text.startsWith('Here') ? 'Here you go Done' : ''}`;
        for (const parsed of [parseTechniques(text), parseSketch(text)]) {
          // JSON without a usable item (all empty) is shown as it came: then the raw text is what is kept.
          const whole = parsed.warnings.some((warning) => warning.includes('could not be split'));
          assertNoWordLost(whole ? text : expected, outputText(parsed));
        }
      }),
      RUNS,
    );
  });
});

describe('well-formed answers are read back exactly', () => {
  // Names and details a model would write: words, math with colons, dashes and stars, unicode.
  const word = fc.constantFrom('bound', 'the', 'sum', 'by', 'convexity', 'équation', '$a:b$', '$x - y$', '$a*b$', '$f(x)=x^2$', '∑', 'Zsigmondy', 'lemma', 'parity');
  const name = fc.array(word, { minLength: 1, maxLength: 5 }).map((ws) => ws.join(' '));
  const line = fc.array(word, { minLength: 1, maxLength: 10 }).map((ws) => `${ws.join(' ')}.`);
  const detail = fc.array(line, { minLength: 1, maxLength: 3 }).map((ls) => ls.join('\n'));
  const kind = fc.constantFrom('construction' as const, 'theorem' as const, 'transformation' as const, 'other' as const);
  const techniqueList = fc.array(fc.record({ name, kind, detail }), { minLength: 1, maxLength: 6 });

  const indent = (text: string, width: number) => text.split('\n').join(`\n${' '.repeat(width)}`);
  const shapes: Record<string, (items: Technique[]) => string> = {
    'numbered, bold, colon': (items) => `Here are the techniques:\n\n${items.map((t, i) => `${i + 1}. **${t.name}**: ${indent(t.detail, `${i + 1}. `.length)}`).join('\n')}`,
    'bullets, bold, period': (items) => items.map((t) => `- **${t.name}.** ${indent(t.detail, 2)}`).join('\n'),
    'bold paragraphs': (items) => items.map((t) => `**${t.name}.** ${t.detail}`).join('\n\n'),
    'headings': (items) => items.map((t, i) => `### Technique ${i + 1}: ${t.name}\n\n${t.detail}`).join('\n\n'),
    'layer editor format, with kinds': (items) => items.map((t, i) => `${i + 1}. **${t.name}** (${t.kind}): ${indent(t.detail, `${i + 1}. `.length)}`).join('\n'),
    'JSON with kinds': (items) => `\`\`\`json\n${JSON.stringify({ techniques: items })}\n\`\`\``,
  };
  for (const [shape, render] of Object.entries(shapes)) {
    test(`techniques: ${shape}`, () => {
      fc.assert(
        fc.property(techniqueList, (items) => {
          const parsed = parseTechniques(render(items));
          assert.deepEqual(
            parsed.value.map((t) => [t.name, t.detail]),
            items.map((t) => [t.name, t.detail]),
          );
          if (shape.includes('kinds')) assert.deepEqual(parsed.value.map((t) => t.kind), items.map((t) => t.kind));
        }),
        { numRuns: 300 },
      );
    });
  }

  const stepList = fc.array(detail, { minLength: 1, maxLength: 6 });
  const stepShapes: Record<string, (texts: string[]) => string> = {
    numbered: (texts) => texts.map((t, i) => `${i + 1}. ${indent(t, `${i + 1}. `.length)}`).join('\n'),
    'bold step labels': (texts) => texts.map((t, i) => `**Step ${i + 1}.** ${t}`).join('\n\n'),
    'plain step labels': (texts) => texts.map((t, i) => `Step ${i + 1}: ${t}`).join('\n'),
    'JSON strings': (texts) => JSON.stringify({ steps: texts }),
  };
  for (const [shape, render] of Object.entries(stepShapes)) {
    test(`sketch: ${shape}`, () => {
      fc.assert(
        fc.property(stepList, (texts) => {
          const parsed = parseSketch(render(texts));
          assert.deepEqual(
            parsed.value.map((step) => step.text),
            texts,
          );
          assert.deepEqual(parsed.warnings, []);
        }),
        { numRuns: 300 },
      );
    });
  }
});
