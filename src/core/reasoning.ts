// Separates a model's reasoning from its answer.
//
// Reasoning models write their chain of thought between tags: `<think>…</think>` (DeepSeek-R1,
// Qwen3), `<thinking>…</thinking>` or `<reasoning>…</reasoning>`. The rules, applied in order of
// appearance and case-insensitively:
//
// - Text inside a block is reasoning; text outside is content. Several blocks may appear; their
//   reasoning is joined with a blank line.
// - An opening tag that is never closed makes everything after it reasoning (the model was cut off
//   while thinking).
// - When the FIRST tag of the text is a closing tag, everything before it is reasoning: DeepSeek-R1
//   chat templates put the opening `<think>` into the prompt, so the answer starts mid-thought.
//   A closing tag that appears later with no block open is dropped.
// - Inside a block, an opening tag is ordinary text and any of the three closing tags ends it.
//
// Because of the third rule, text before the first tag is undecided until a tag arrives or the text
// ends. The streaming splitter therefore holds that text back (see `ReasoningSplitter.undecided`)
// and releases it as content or reasoning once it knows. Its output for any chunking of a text is
// exactly `splitReasoning` of the whole text; `splitReasoning` is the splitter fed one chunk.

export interface ReasoningSplit {
  content: string;
  reasoning: string;
}

export interface ReasoningOptions {
  /**
   * Whether a closing tag that comes before any opening tag turns the text before it into
   * reasoning (default true). With false, text before the first tag streams out as content at once,
   * and such a closing tag is simply dropped.
   */
  leadingReasoning?: boolean;
}

const TAG_NAMES = ['think', 'thinking', 'reasoning'] as const;
const ALL_TAGS = TAG_NAMES.flatMap((name) => [`<${name}>`, `</${name}>`]);
const TAG_AT = /<(\/?)(think|thinking|reasoning)>/iy;

type Mode = 'undecided' | 'content' | 'reasoning';

/** Whether `tail` (starting with "<", shorter than every tag it could become) may still grow into a tag. */
function couldBecomeTag(tail: string): boolean {
  const lower = tail.toLowerCase();
  return ALL_TAGS.some((tag) => tag.length > lower.length && tag.startsWith(lower));
}

/**
 * Streaming reasoning splitter: feed chunks with `push`, then call `end`. Each call returns only the
 * content and reasoning that became final with it. Work is linear in the total length: each chunk is
 * scanned once, and at most one partial tag (under 12 characters) is carried to the next chunk.
 */
export class ReasoningSplitter {
  private mode: Mode;
  /** A possible tag cut by the chunk boundary, prepended to the next chunk. */
  private carry = '';
  /** Text before the first tag while `leadingReasoning` is on: content or reasoning, not yet known. */
  private held = '';
  private reasoningSoFar = 0;
  private ended = false;

  constructor(options: ReasoningOptions = {}) {
    this.mode = options.leadingReasoning === false ? 'content' : 'undecided';
  }

  /**
   * Text received before the first tag that is not yet known to be content or reasoning. A UI may
   * show it provisionally; `push`/`end` release it once the first tag (or the end) decides. Reading
   * it copies the held text, so read it at display rate (throttled), not on every chunk.
   */
  get undecided(): string {
    return this.mode === 'undecided' ? this.held + this.carry : '';
  }

  push(chunk: string): ReasoningSplit {
    const out: ReasoningSplit = { content: '', reasoning: '' };
    if (this.ended) throw new Error('ReasoningSplitter.push was called after end(); create a new splitter for a new stream.');
    const text = this.carry + chunk;
    this.carry = '';
    let segmentStart = 0;
    let index = text.indexOf('<');
    while (index !== -1) {
      TAG_AT.lastIndex = index;
      const tag = TAG_AT.exec(text);
      if (tag) {
        this.emit(out, text.slice(segmentStart, index));
        this.onTag(out, tag[0], tag[1] === '/');
        segmentStart = index + tag[0].length;
        index = text.indexOf('<', segmentStart);
        continue;
      }
      // The longest tag, `</reasoning>`, has 12 characters: a cut-off tag is at most 11 of them.
      const tail = text.slice(index, index + 12);
      if (index + tail.length === text.length && couldBecomeTag(tail)) {
        this.carry = tail;
        this.emit(out, text.slice(segmentStart, index));
        return out;
      }
      index = text.indexOf('<', index + 1);
    }
    this.emit(out, text.slice(segmentStart));
    return out;
  }

  end(): ReasoningSplit {
    const out: ReasoningSplit = { content: '', reasoning: '' };
    if (this.ended) return out;
    this.emit(out, this.carry);
    this.carry = '';
    if (this.mode === 'undecided') {
      out.content += this.held;
      this.held = '';
      this.mode = 'content';
    }
    this.ended = true;
    return out;
  }

  private emit(out: ReasoningSplit, text: string): void {
    if (text === '') return;
    if (this.mode === 'undecided') this.held += text;
    else if (this.mode === 'content') out.content += text;
    else {
      out.reasoning += text;
      this.reasoningSoFar += text.length;
    }
  }

  private onTag(out: ReasoningSplit, tag: string, closing: boolean): void {
    if (this.mode === 'undecided') {
      if (closing) {
        // The DeepSeek-R1 shape: the opening tag was in the prompt.
        out.reasoning += this.held;
        this.reasoningSoFar += this.held.length;
        this.mode = 'content';
      } else {
        out.content += this.held;
        this.openBlock(out);
      }
      this.held = '';
      return;
    }
    if (this.mode === 'content') {
      if (!closing) this.openBlock(out);
      return;
    }
    // Inside a block: any closing tag ends it; an opening tag is just part of the reasoning.
    if (closing) this.mode = 'content';
    else this.emit(out, tag);
  }

  private openBlock(out: ReasoningSplit): void {
    if (this.reasoningSoFar > 0) {
      out.reasoning += '\n\n';
      this.reasoningSoFar += 2;
    }
    this.mode = 'reasoning';
  }
}

/** Splits reasoning blocks out of a complete text (the rules at the top of this file). */
export function splitReasoning(text: string, options: ReasoningOptions = {}): ReasoningSplit {
  const splitter = new ReasoningSplitter(options);
  const first = splitter.push(text);
  const last = splitter.end();
  return { content: first.content + last.content, reasoning: first.reasoning + last.reasoning };
}
