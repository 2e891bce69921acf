import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as fc from 'fast-check';
import { ReasoningSplitter, splitReasoning, type ReasoningOptions } from '../../src/core/reasoning.ts';

/** Feeds `chunks` to a fresh splitter and concatenates everything it releases. */
function streamed(chunks: readonly string[], options?: ReasoningOptions): { content: string; reasoning: string } {
  const splitter = new ReasoningSplitter(options);
  let content = '';
  let reasoning = '';
  for (const chunk of chunks) {
    const delta = splitter.push(chunk);
    content += delta.content;
    reasoning += delta.reasoning;
  }
  const last = splitter.end();
  return { content: content + last.content, reasoning: reasoning + last.reasoning };
}

/** Cuts `text` at the given positions (sorted, deduplicated, clamped). */
function cut(text: string, positions: readonly number[]): string[] {
  const points = [...new Set(positions.map((p) => Math.min(p, text.length)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let previous = 0;
  for (const point of points) {
    chunks.push(text.slice(previous, point));
    previous = point;
  }
  chunks.push(text.slice(previous));
  return chunks;
}

describe('splitReasoning', () => {
  test('a think block before the answer is reasoning, the rest is content', () => {
    const result = splitReasoning('<think>\nLet me try small cases: n=1, n=2.\n</think>\n\n1. **Induction** on $n$.');
    assert.equal(result.reasoning, '\nLet me try small cases: n=1, n=2.\n');
    assert.equal(result.content, '\n\n1. **Induction** on $n$.');
  });

  test('text without tags is all content', () => {
    assert.deepEqual(splitReasoning('Proof. Since $a<b$ and $b>c$ ...'), { content: 'Proof. Since $a<b$ and $b>c$ ...', reasoning: '' });
  });

  test('thinking and reasoning tags, in any case, are recognised too', () => {
    assert.deepEqual(splitReasoning('<THINKING>hmm</Thinking>A'), { content: 'A', reasoning: 'hmm' });
    assert.deepEqual(splitReasoning('<reasoning>r</reasoning>B'), { content: 'B', reasoning: 'r' });
  });

  test('several blocks: their reasoning is joined with a blank line, the content around them kept in order', () => {
    assert.deepEqual(splitReasoning('<think>one</think>A<think>two</think>B'), { content: 'AB', reasoning: 'one\n\ntwo' });
  });

  test('an unclosed block at the end is reasoning (the model was cut off while thinking)', () => {
    assert.deepEqual(splitReasoning('Intro <think>still thinking about $x^2'), { content: 'Intro ', reasoning: 'still thinking about $x^2' });
  });

  test('a closing tag with no opening one (DeepSeek-R1 templates) makes the text before it reasoning', () => {
    const result = splitReasoning('Okay, so we need to bound the sum.\nTry AM-GM.\n</think>\n\n- **AM-GM**: bound each term.');
    assert.equal(result.reasoning, 'Okay, so we need to bound the sum.\nTry AM-GM.\n');
    assert.equal(result.content, '\n\n- **AM-GM**: bound each term.');
  });

  test('a later stray closing tag is dropped, not treated as the end of a reasoning prefix', () => {
    assert.deepEqual(splitReasoning('<think>a</think>B</think>C'), { content: 'BC', reasoning: 'a' });
  });

  test('inside a block an opening tag is ordinary reasoning text and any closing tag ends the block', () => {
    assert.deepEqual(splitReasoning('<think>x <think> y</thinking>Z'), { content: 'Z', reasoning: 'x <think> y' });
  });

  test('math with < and > and look-alike tags stays content', () => {
    const text = 'For $0<t<1$ we have $t<thin$ and <thinks> is not a tag; <b>bold</b>.';
    assert.deepEqual(splitReasoning(text), { content: text, reasoning: '' });
  });

  test('with leadingReasoning off, a stray closing tag is dropped and the text before it stays content', () => {
    assert.deepEqual(splitReasoning('answer</think>more', { leadingReasoning: false }), { content: 'answermore', reasoning: '' });
  });
});

describe('ReasoningSplitter', () => {
  test('tags split across chunks are recognised', () => {
    assert.deepEqual(streamed(['<thi', 'nk>rea', 'soning</th', 'ink>ans', 'wer']), { content: 'answer', reasoning: 'reasoning' });
    assert.deepEqual(streamed(['<', 't', 'h', 'i', 'n', 'k', 'i', 'n', 'g', '>', 'r', '<', '/', 'thinking', '>', 'x']), { content: 'x', reasoning: 'r' });
  });

  test('content streams out as soon as a block has been seen', () => {
    const splitter = new ReasoningSplitter();
    assert.deepEqual(splitter.push('<think>plan'), { content: '', reasoning: 'plan' });
    assert.deepEqual(splitter.push('</think>\n1. Step'), { content: '\n1. Step', reasoning: '' });
    assert.deepEqual(splitter.push(' one'), { content: ' one', reasoning: '' });
    assert.deepEqual(splitter.end(), { content: '', reasoning: '' });
  });

  test('text before the first tag is held back as undecided until a tag or the end decides', () => {
    const splitter = new ReasoningSplitter();
    assert.deepEqual(splitter.push('Okay, let me think'), { content: '', reasoning: '' });
    assert.equal(splitter.undecided, 'Okay, let me think');
    assert.deepEqual(splitter.push('.</think>Answer'), { content: 'Answer', reasoning: 'Okay, let me think.' });
    assert.equal(splitter.undecided, '');

    const plain = new ReasoningSplitter();
    plain.push('1. Pigeonhole');
    assert.equal(plain.undecided, '1. Pigeonhole');
    assert.deepEqual(plain.end(), { content: '1. Pigeonhole', reasoning: '' });
  });

  test('with leadingReasoning off, text without tags streams out at once', () => {
    const splitter = new ReasoningSplitter({ leadingReasoning: false });
    assert.deepEqual(splitter.push('1. Pigeonhole'), { content: '1. Pigeonhole', reasoning: '' });
    assert.deepEqual(splitter.push(' <thi'), { content: ' ', reasoning: '' });
    assert.deepEqual(splitter.push('nk>r'), { content: '', reasoning: 'r' });
  });

  test('a partial tag left at the end of the stream is content', () => {
    assert.deepEqual(streamed(['<think>a</think>b <thin']), { content: 'b <thin', reasoning: 'a' });
  });

  test('pushing after end is refused with a sentence saying what to do', () => {
    const splitter = new ReasoningSplitter();
    splitter.end();
    assert.throws(() => splitter.push('x'), /create a new splitter/);
  });

  test('a 20,000-token stream in small chunks is split in linear time', () => {
    const thought = 'We consider the case $n<k$ and compare. '.repeat(2_000);
    const answer = '1. **Pigeonhole principle**: five points, four quadrants.\n'.repeat(1_000);
    const text = `<think>${thought}</think>${answer}`;
    const chunks = cut(text, Array.from({ length: Math.ceil(text.length / 4) }, (_, i) => i * 4));
    const started = performance.now();
    const result = streamed(chunks);
    const elapsed = performance.now() - started;
    assert.equal(result.reasoning, thought);
    assert.equal(result.content, answer);
    assert.ok(elapsed < 1_000, `splitting took ${elapsed.toFixed(0)} ms`);
  });
});

describe('ReasoningSplitter property: any chunking gives the same split as the whole text', () => {
  const piece = fc.oneof(
    fc.constantFrom('<think>', '</think>', '<thinking>', '</THINKING>', '<reasoning>', '</reasoning>', '<Think>', '<', '</', '<thin', '>', '\n', ' '),
    fc.string({ maxLength: 8 }),
    fc.string({ unit: 'grapheme', maxLength: 6 }),
  );
  const texts = fc.array(piece, { maxLength: 30 }).map((pieces) => pieces.join(''));

  for (const leadingReasoning of [true, false]) {
    test(`leadingReasoning ${leadingReasoning}`, () => {
      fc.assert(
        fc.property(texts, fc.array(fc.nat({ max: 300 }), { maxLength: 20 }), (text, positions) => {
          const options = { leadingReasoning };
          assert.deepEqual(streamed(cut(text, positions), options), splitReasoning(text, options));
        }),
        { numRuns: 2_000 },
      );
    });
  }

  test('nothing is lost or invented: content and reasoning hold exactly the characters of the text, tags aside', () => {
    const withoutTags = (s: string) => s.replace(/<\/?(?:think|thinking|reasoning)>/gi, '');
    const sorted = (s: string) => [...s.replace(/\s/g, '')].sort().join('');
    fc.assert(
      fc.property(texts, (text) => {
        const { content, reasoning } = splitReasoning(text);
        assert.equal(sorted(withoutTags(content) + withoutTags(reasoning)), sorted(withoutTags(text)));
      }),
      { numRuns: 1_000 },
    );
  });
});
