// Markdown structure with source positions, from markdown-it's block parser: theorem detection and
// the shared block parse the output parsers use.
//
// Only block structure is needed (where paragraphs, headings, lists and fences start and end), so
// inline parsing is switched off: an `inline` token keeps its raw source in `content`, and a large
// document parses in a fraction of the time a full render takes. The parser instance is created
// once, and the last document's parse is cached, because the editor asks about the same text many
// times (CodeLens, the theorem at the cursor, the proof blocks in it).
//
// Which text is a theorem (zero-based line numbers, inclusive):
//  - A top-level paragraph or blockquote whose text starts with a bold or italic label:
//    `**Theorem.**`, `**Theorem 3.**`, `**Lemma 2**:`, `**Proposition (AM–GM).**`,
//    `**Theorem** (Fermat).`, `*Theorem.*`, `__Claim.__`. The statement is that block, plus what
//    directly follows and is evidently part of it:
//      · display math (`$$…$$`, `\[…\]`, `\begin{…}`) and lists (conditions (i), (ii), …),
//      · a paragraph right after such display math or list (the sentence goes on after the
//        formula: "…, then $$x$$ holds for all n."), or after a block that ends with a colon,
//    and stops at anything else: a paragraph after a paragraph, a labelled paragraph (`**Proof.**`,
//    the next theorem), a heading, a rule, code, HTML.
//  - A heading that starts with a label: `## Proposition`, `### Theorem 2 (Fermat)`,
//    `## Problem 3: Sums of squares`. The statement is the heading and every block after it up to
//    the next heading, rule or HTML block, or a paragraph that starts with a label (`**Proof.**`,
//    `Proof.`, another theorem).
// Keywords: theorem, lemma, proposition, claim, problem, corollary, conjecture, exercise, question
// (any case, singular, optionally numbered: `3`, `2.1`, `A`, `IV`, and a parenthesised name).
// Labels inside lists, code blocks and insight-proof blocks (between `<!-- insight-proof:begin … -->`
// and `<!-- insight-proof:end -->`) are not theorems.
import MarkdownIt from 'markdown-it';
import type { MarkdownIt as MarkdownParser, Token } from 'markdown-it';

export interface TheoremBlock {
  /** e.g. "Theorem", "Lemma 2", "Proposition (AM-GM)". */
  label: string;
  /** Lower-case keyword: theorem|lemma|proposition|claim|problem|corollary|conjecture|exercise|question. */
  kind: string;
  /** The source text of the block (label included), exactly as in the document. */
  statement: string;
  /** Zero-based, inclusive. */
  startLine: number;
  /** Zero-based, inclusive. */
  endLine: number;
}

export const THEOREM_KEYWORDS = ['theorem', 'lemma', 'proposition', 'claim', 'problem', 'corollary', 'conjecture', 'exercise', 'question'] as const;

let blockParser: MarkdownParser | undefined;

function parser(): MarkdownParser {
  if (!blockParser) {
    // html: the insight-proof markers are HTML comments and must come out as html_block tokens.
    blockParser = new MarkdownIt('default', { html: true });
    // Tables and link reference definitions never hold a theorem label or a list item; as plain
    // paragraphs they cost less to parse and their lines still belong to a block.
    // Normalising line breaks is done in blockTokens, only when the text needs it: two regular
    // expression passes over a large document that has nothing to replace are pure cost.
    blockParser.disable(['normalize', 'strip_references', 'inline', 'text_join', 'linkify', 'replacements', 'smartquotes', 'table', 'reference'], true);
  }
  return blockParser;
}

/** markdown-it's block tokens for a text; `map` holds zero-based [startLine, endLine) pairs. */
export function blockTokens(markdown: string): Token[] {
  const source = markdown.includes('\r') || markdown.includes('\0') ? markdown.replace(/\r\n?/g, '\n').replace(/\0/g, '\uFFFD') : markdown;
  return parser().parse(source, {});
}

/** Splits text into lines the way markdown-it counts them (CRLF, CR and LF all end a line). */
export function splitLines(text: string): string[] {
  return text.split(/\r\n?|\n/);
}

// ---------------------------------------------------------------------------------------------
// One parsed document (cached)

export interface ParsedDocument {
  readonly markdown: string;
  readonly tokens: Token[];
  /** Offset of the first character of every line. */
  readonly lineStarts: number[];
  /** Zero-based inclusive line ranges of insight-proof blocks, markers included. */
  readonly proofBlocks: ReadonlyArray<{ id: string; startLine: number; endLine: number }>;
}

let lastDocument: ParsedDocument | undefined;

function computeLineStarts(markdown: string): number[] {
  const starts = [0];
  if (!markdown.includes('\r')) {
    for (let at = markdown.indexOf('\n'); at !== -1; at = markdown.indexOf('\n', at + 1)) starts.push(at + 1);
    return starts;
  }
  for (let i = 0; i < markdown.length; i++) {
    const c = markdown.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (markdown.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

// Markers start at the first column: the same text indented inside a technique's detail or a
// sketch step (which the block format indents) is content, not a marker.
export const PROOF_BLOCK_BEGIN = /^<!--[ \t]*insight-proof:begin[ \t]+id=([^\s>]+?)[ \t]*-->[ \t]*$/;
export const PROOF_BLOCK_END = /^<!--[ \t]*insight-proof:end[ \t]*-->[ \t]*$/;
const MARKER_SEARCH = /^<!--[ \t]*insight-proof:(?:begin|end)\b.*$/gm;

/**
 * The insight-proof blocks of a document. Markers are found line by line, so a block whose proof
 * leaves a code fence open still ends at its end marker; a begin marker inside a code fence that
 * started outside every block (documentation showing the format) is not a block.
 */
function findProofBlockRanges(markdown: string, tokens: readonly Token[], lineStarts: readonly number[]): ParsedDocument['proofBlocks'] {
  if (!markdown.includes('insight-proof:')) return [];
  const markers: Array<{ line: number; id?: string }> = [];
  for (const match of markdown.matchAll(MARKER_SEARCH)) {
    const line = lineAt(lineStarts, match.index);
    // JavaScript's `^` also matches after U+2028/U+2029, which do not start a markdown line.
    if (lineStarts[line] !== match.index) continue;
    const begin = PROOF_BLOCK_BEGIN.exec(match[0]);
    if (begin) markers.push({ line, id: begin[1]! });
    else if (PROOF_BLOCK_END.test(match[0])) markers.push({ line });
  }
  const fences = tokens.filter((token) => (token.type === 'fence' || token.type === 'code_block') && token.map).map((token) => token.map!);
  const blocks: Array<{ id: string; startLine: number; endLine: number }> = [];
  const insideBlock = (line: number) => blocks.some((block) => block.startLine <= line && line <= block.endLine);
  let open: { id: string; line: number } | undefined;
  for (const marker of markers) {
    if (marker.id !== undefined) {
      if (open) continue;
      const fence = fences.find(([start, end]) => start < marker.line && marker.line < end);
      if (fence && !insideBlock(fence[0])) continue;
      open = { id: marker.id, line: marker.line };
    } else if (open) {
      blocks.push({ id: open.id, startLine: open.line, endLine: marker.line });
      open = undefined;
    }
  }
  return blocks;
}

/** The zero-based line that holds a character offset. */
function lineAt(lineStarts: readonly number[], offset: number): number {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (lineStarts[middle]! <= offset) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** Parses a document once; asking again about the same text reuses the result. */
export function parseDocument(markdown: string): ParsedDocument {
  if (lastDocument?.markdown === markdown) return lastDocument;
  const tokens = blockTokens(markdown);
  const lineStarts = computeLineStarts(markdown);
  lastDocument = { markdown, tokens, lineStarts, proofBlocks: findProofBlockRanges(markdown, tokens, lineStarts) };
  return lastDocument;
}

/** The text of lines [startLine, endLine] (inclusive) exactly as in the document, without the final line break. */
export function sourceLines(document: ParsedDocument, startLine: number, endLine: number): string {
  const from = document.lineStarts[startLine] ?? document.markdown.length;
  let to = document.lineStarts[endLine + 1] ?? document.markdown.length;
  if (to > from && document.markdown[to - 1] === '\n') to--;
  if (to > from && document.markdown[to - 1] === '\r') to--;
  return document.markdown.slice(from, to);
}

// ---------------------------------------------------------------------------------------------
// Theorem labels

const KEYWORD = THEOREM_KEYWORDS.join('|');
const NUMBER = `(?:\\s+(?:\\d+(?:\\.\\d+)*[a-z]?|[A-Z]|[IVXLC]+)['′]?)?`;
const PAREN = `(?:\\s*\\([^()\\n]{1,120}\\))?`;
const AFTER = `(?=$|[\\s.:,;—–-])`;
const STRONG_LABEL = new RegExp(`^(\\*\\*|__)\\s*((?:${KEYWORD})${NUMBER}${PAREN})\\s*[.:]?\\s*\\1(\\s*\\([^()\\n]{1,120}\\))?${AFTER}`, 'i');
const EM_LABEL = new RegExp(`^([*_])(?![*_\\s])((?:${KEYWORD})${NUMBER}${PAREN})\\s*[.:]?\\s*\\1(?![*_])(\\s*\\([^()\\n]{1,120}\\))?${AFTER}`, 'i');
const HEADING_LABEL = new RegExp(`^((?:${KEYWORD})${NUMBER}${PAREN})\\s*(?:$|[.:—–-])`, 'i');
/** Any bold/italic label ending in a period or colon, or a Proof/Solution lead: ends a statement. */
const ANY_LABEL = /^(?:(\*\*|__|\*|_)[^*_\n]{1,60}?[.:]\s*\1|(?:\*\*|__|\*|_)?(?:proof|solution)\b)/i;

function labelText(...parts: Array<string | undefined>): string {
  return parts
    .join('')
    .replace(/\s+/g, ' ')
    .replace(/[\s.:]+$/, '')
    .trim();
}

/** The label of a paragraph that starts with a bold or italic theorem label. */
function paragraphLabel(text: string): { label: string; kind: string } | undefined {
  // Most paragraphs of a long document start with neither `*` nor `_`: skip the regular expressions.
  const first = text.charCodeAt(0);
  if (first !== 42 && first !== 95) return undefined;
  const match = STRONG_LABEL.exec(text) ?? EM_LABEL.exec(text);
  if (!match) return undefined;
  const label = labelText(match[2], match[3]);
  return { label, kind: label.split(/[\s(]/, 1)[0]!.toLowerCase() };
}

/** The label of a heading that starts with a theorem keyword. */
function headingLabel(text: string): { label: string; kind: string } | undefined {
  const plain = text.trim().replace(/^(\*\*|__|\*|_)(.+)\1$/, '$2');
  const match = HEADING_LABEL.exec(plain);
  if (!match) return undefined;
  const label = labelText(match[1]);
  return { label, kind: label.split(/[\s(]/, 1)[0]!.toLowerCase() };
}

// ---------------------------------------------------------------------------------------------
// Theorem detection

interface TopBlock {
  type: string;
  /** [start, end) */
  start: number;
  end: number;
  /** Raw inline source of a paragraph or heading, or of a blockquote's first paragraph. */
  text?: string;
  /** How many insight-proof blocks start before this block: a statement never spans two values. */
  region?: number;
}

function topBlocks(tokens: readonly Token[]): TopBlock[] {
  const blocks: TopBlock[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.level !== 0 || token.nesting === -1 || !token.map) continue;
    const block: TopBlock = { type: token.type.replace(/_open$/, ''), start: token.map[0], end: token.map[1] };
    if (token.type === 'paragraph_open' || token.type === 'heading_open') block.text = tokens[i + 1]?.content ?? '';
    else if (token.type === 'blockquote_open' && tokens[i + 1]?.type === 'paragraph_open') block.text = tokens[i + 2]?.content ?? '';
    blocks.push(block);
  }
  return blocks;
}

const DISPLAY_MATH = /^\s*(?:\$\$|\\\[|\\begin\{)/;

function isBlankLine(document: ParsedDocument, line: number): boolean {
  return sourceLines(document, line, line).trim() === '';
}

let lastTheorems: { markdown: string; theorems: TheoremBlock[] } | undefined;

/** The theorems of a markdown document (rules at the top of this file), in document order. */
export function detectTheorems(markdown: string): TheoremBlock[] {
  if (lastTheorems?.markdown !== markdown) lastTheorems = { markdown, theorems: findTheorems(parseDocument(markdown)) };
  return lastTheorems.theorems.map((theorem) => ({ ...theorem }));
}

/** The theorem whose lines include `line` (zero-based), if any. */
export function theoremAtLine(markdown: string, line: number): TheoremBlock | undefined {
  return detectTheorems(markdown).find((theorem) => theorem.startLine <= line && line <= theorem.endLine);
}

function findTheorems(document: ParsedDocument): TheoremBlock[] {
  const excluded = document.proofBlocks;
  let nextExcluded = 0;
  const blocks = topBlocks(document.tokens).filter((block) => {
    while (nextExcluded < excluded.length && excluded[nextExcluded]!.endLine < block.start) nextExcluded++;
    const range = excluded[nextExcluded];
    block.region = nextExcluded;
    return !range || block.start < range.startLine || block.start > range.endLine;
  });
  const isLabelled = (block: TopBlock) => block.text !== undefined && (ANY_LABEL.test(block.text) || paragraphLabel(block.text) !== undefined);
  // A statement never runs into an insight-proof block: the block boundary is a hard stop.
  const crossesProofBlock = (from: TopBlock, to: TopBlock) => from.region !== to.region;

  const theorems: TheoremBlock[] = [];
  const add = (label: { label: string; kind: string }, start: number, endExclusive: number) => {
    let endLine = endExclusive - 1;
    while (endLine > start && isBlankLine(document, endLine)) endLine--;
    theorems.push({ ...label, statement: sourceLines(document, start, endLine), startLine: start, endLine });
  };

  let i = 0;
  while (i < blocks.length) {
    const block = blocks[i]!;
    const heading = block.type === 'heading' && block.text !== undefined ? headingLabel(block.text) : undefined;
    const paragraph = (block.type === 'paragraph' || block.type === 'blockquote') && block.text !== undefined ? paragraphLabel(block.text) : undefined;
    if (!heading && !paragraph) {
      i++;
      continue;
    }
    let end = block.end;
    let j = i + 1;
    if (heading) {
      while (j < blocks.length) {
        const next = blocks[j]!;
        if (next.type === 'heading' || next.type === 'hr' || next.type === 'html_block' || isLabelled(next) || crossesProofBlock(block, next)) break;
        end = next.end;
        j++;
      }
    } else {
      let previous = block;
      while (j < blocks.length) {
        const next = blocks[j]!;
        if (crossesProofBlock(block, next)) break;
        const isList = (candidate: TopBlock) => candidate.type === 'bullet_list' || candidate.type === 'ordered_list';
        const previousIsMath = previous.type === 'paragraph' && DISPLAY_MATH.test(previous.text ?? '');
        const lastLine = lastContentLine(document, previous);
        const previousEndsWithColon = /:\s*$/.test(sourceLines(document, lastLine, lastLine));
        const nextIsMath = next.type === 'paragraph' && DISPLAY_MATH.test(next.text ?? '');
        const continues =
          nextIsMath ||
          isList(next) ||
          ((previousIsMath || isList(previous) || previousEndsWithColon) && next.type === 'paragraph' && !isLabelled(next));
        if (!continues) break;
        end = next.end;
        previous = next;
        j++;
      }
    }
    add((heading ?? paragraph)!, block.start, end);
    i = j;
  }
  return theorems;
}

function lastContentLine(document: ParsedDocument, block: TopBlock): number {
  let line = block.end - 1;
  while (line > block.start && isBlankLine(document, line)) line--;
  return line;
}
