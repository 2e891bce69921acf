// Markdown structure with source positions, from markdown-it's block parser: theorem detection and
// the shared block parse the output parsers use.
//
// Only block structure is needed (where paragraphs, headings, lists and fences start and end), so
// inline parsing is switched off: an `inline` token keeps its raw source in `content`, and a large
// document parses in a fraction of the time a full render takes. The parser instance is created
// once, and the last document's scan and theorems are cached, because the editor asks about the
// same text many times (CodeLens, the theorem at the cursor, the proof blocks in it). Large
// documents are not parsed whole: see "One scanned document" below.
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
// One scanned document (cached)
//
// A single linear pass over the lines finds what theorem detection needs before any parsing:
//  - the insight-proof blocks (their markers start at the first column; a begin marker inside a
//    code fence that started outside every block — documentation showing the format — is not one);
//  - "fresh starts": lines where markdown parsing may begin afresh and reach the same blocks as a
//    parse of the whole document: the first line, the line after a proof block, and every
//    unindented line after a blank line outside a top-level fence or HTML block (there, CommonMark
//    has closed every paragraph, list item and blockquote);
//  - candidate lines, which might start a theorem (a keyword after at most an emphasis, a heading
//    or blockquote marker).
// Detection then parses, with markdown-it, only the windows between fresh starts that hold a
// candidate (growing a window while a statement runs into its end), instead of the whole document.
// A proof block is a hard boundary: text is never parsed across it, so a proof that leaves a code
// fence open does not turn the rest of the document into code.

export interface ProofBlockRange {
  id: string;
  /** Zero-based line of the begin marker. */
  startLine: number;
  /** Zero-based line of the end marker (inclusive). */
  endLine: number;
}

export interface DocumentScan {
  readonly markdown: string;
  /** Offset of the first character of every line. */
  readonly lineStarts: number[];
  readonly proofBlocks: readonly ProofBlockRange[];
  /** Lines where parsing can start afresh (ascending). */
  readonly freshStarts: number[];
  /** Lines that might start a theorem (ascending). */
  readonly candidates: number[];
}

// Markers start at the first column: the same text indented inside a technique's detail or a
// sketch step (which the block format indents) is content, not a marker.
export const PROOF_BLOCK_BEGIN = /^<!--[ \t]*insight-proof:begin[ \t]+id=([^\s>]+?)[ \t]*-->[ \t]*$/;
export const PROOF_BLOCK_END = /^<!--[ \t]*insight-proof:end[ \t]*-->[ \t]*$/;

const CANDIDATE = new RegExp(`^[ \\t]{0,3}(?:>[ \\t]?)?(?:#{1,6}[ \\t]+)?(?:\\*\\*|__|\\*|_)?[ \\t]*(?:${THEOREM_KEYWORDS.join('|')})(?![a-z])`, 'i');
// markdown-it's HTML blocks that may span blank lines (CommonMark types 1–5), with their end.
const LONG_HTML_BLOCKS: ReadonlyArray<readonly [RegExp, RegExp]> = [
  [/^<(?:script|pre|style|textarea)(?=\s|>|$)/i, /<\/(?:script|pre|style|textarea)>/i],
  [/^<!--/, /-->/],
  [/^<\?/, /\?>/],
  [/^<![A-Z]/, />/],
  [/^<!\[CDATA\[/, /\]\]>/],
];

let lastScan: DocumentScan | undefined;

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

/** Scans a document once; asking again about the same text reuses the result. */
export function scanDocument(markdown: string): DocumentScan {
  if (lastScan?.markdown === markdown) return lastScan;
  const lineStarts = computeLineStarts(markdown);
  const lineCount = lineStarts.length;
  const lineEnd = (line: number) => {
    let end = line + 1 < lineCount ? lineStarts[line + 1]! : markdown.length;
    if (end > lineStarts[line]! && markdown.charCodeAt(end - 1) === 10) end--;
    if (end > lineStarts[line]! && markdown.charCodeAt(end - 1) === 13) end--;
    return end;
  };
  // End markers, so that a begin marker without one is known at once (then it is not a block).
  const endMarkers: number[] = [];
  if (markdown.includes('insight-proof:end')) {
    for (let line = 0; line < lineCount; line++) {
      if (markdown.startsWith('<!--', lineStarts[line]!) && PROOF_BLOCK_END.test(markdown.slice(lineStarts[line], lineEnd(line)))) endMarkers.push(line);
    }
  }
  const maybeMarkers = endMarkers.length > 0;

  const proofBlocks: ProofBlockRange[] = [];
  const freshStarts: number[] = [];
  const candidates: number[] = [];
  let fence: { char: number; length: number } | undefined;
  let html: RegExp | undefined;
  let previousBlank = true;
  let nextEndMarker = 0;
  for (let line = 0; line < lineCount; line++) {
    const start = lineStarts[line]!;
    const end = lineEnd(line);
    let position = start;
    let column = 0;
    while (position < end) {
      const c = markdown.charCodeAt(position);
      if (c === 32) column++;
      else if (c === 9) column += 4 - (column % 4);
      else break;
      position++;
    }
    const blank = position === end;
    const first = markdown.charCodeAt(position);

    if (maybeMarkers && column === 0 && first === 60 && fence === undefined && markdown.startsWith('<!--', start)) {
      const begin = PROOF_BLOCK_BEGIN.exec(markdown.slice(start, end));
      while (nextEndMarker < endMarkers.length && endMarkers[nextEndMarker]! <= line) nextEndMarker++;
      if (begin && nextEndMarker < endMarkers.length) {
        const endLine = endMarkers[nextEndMarker]!;
        proofBlocks.push({ id: begin[1]!, startLine: line, endLine });
        // Whatever the block holds, the text after it starts afresh.
        html = undefined;
        previousBlank = true;
        line = endLine;
        if (endLine + 1 < lineCount) freshStarts.push(endLine + 1);
        continue;
      }
    }

    if (fence) {
      if (column <= 3 && first === fence.char) {
        let run = position;
        while (run < end && markdown.charCodeAt(run) === fence.char) run++;
        if (run - position >= fence.length && markdown.slice(run, end).trim() === '') fence = undefined;
      }
    } else if (html) {
      if (html.test(markdown.slice(position, end))) html = undefined;
    } else {
      if ((line === 0 || previousBlank) && !blank && column === 0 && (freshStarts.length === 0 || freshStarts[freshStarts.length - 1] !== line)) freshStarts.push(line);
      if (column <= 3 && !blank) {
        if (first === 96 || first === 126) {
          let run = position;
          while (run < end && markdown.charCodeAt(run) === first) run++;
          if (run - position >= 3 && (first === 126 || !markdown.slice(run, end).includes('`'))) fence = { char: first, length: run - position };
        } else if (first === 60) {
          const text = markdown.slice(position, end);
          const kind = LONG_HTML_BLOCKS.find(([opening]) => opening.test(text));
          if (kind && !kind[1].test(text)) html = kind[1];
        }
      }
    }
    // Candidates are not filtered by the fence state: parsing decides, so a misjudged fence can
    // cost time but never a theorem.
    if (!blank && column <= 3 && (first === 42 || first === 95 || first === 35 || first === 62 || (first | 32) >= 97) && CANDIDATE.test(markdown.slice(start, Math.min(end, start + 80)))) {
      candidates.push(line);
    }
    previousBlank = blank;
  }
  if (freshStarts[0] !== 0) freshStarts.unshift(0);
  lastScan = { markdown, lineStarts, proofBlocks, freshStarts, candidates };
  return lastScan;
}

/** The text of lines [startLine, endLine] (inclusive) exactly as in the document, without the final line break. */
export function sourceLines(document: Pick<DocumentScan, 'markdown' | 'lineStarts'>, startLine: number, endLine: number): string {
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
  /** Zero-based document lines [start, end). */
  start: number;
  end: number;
  /** Raw inline source of a paragraph or heading, or of a blockquote's first paragraph. */
  text?: string;
}

/** The top-level blocks of lines [from, to) of a document, parsed on their own. */
function parseWindow(scan: DocumentScan, from: number, to: number): TopBlock[] {
  const end = to < scan.lineStarts.length ? scan.lineStarts[to]! : scan.markdown.length;
  const tokens = blockTokens(scan.markdown.slice(scan.lineStarts[from], end));
  const blocks: TopBlock[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.level !== 0 || token.nesting === -1 || !token.map) continue;
    const block: TopBlock = { type: token.type.replace(/_open$/, ''), start: token.map[0] + from, end: token.map[1] + from };
    if (token.type === 'paragraph_open' || token.type === 'heading_open') block.text = tokens[i + 1]?.content ?? '';
    else if (token.type === 'blockquote_open' && tokens[i + 1]?.type === 'paragraph_open') block.text = tokens[i + 2]?.content ?? '';
    blocks.push(block);
  }
  return blocks;
}

const DISPLAY_MATH = /^\s*(?:\$\$|\\\[|\\begin\{)/;

function isBlankLine(scan: DocumentScan, line: number): boolean {
  return sourceLines(scan, line, line).trim() === '';
}

function lastContentLine(scan: DocumentScan, block: TopBlock): number {
  let line = block.end - 1;
  while (line > block.start && isBlankLine(scan, line)) line--;
  return line;
}

function isList(block: TopBlock): boolean {
  return block.type === 'bullet_list' || block.type === 'ordered_list';
}

function isLabelled(block: TopBlock): boolean {
  return block.text !== undefined && (ANY_LABEL.test(block.text) || paragraphLabel(block.text) !== undefined);
}

const ATX_HEADING = /^#{1,6}(?:[ \t]|$)/;
const THEMATIC_BREAK = /^(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$/;
const LIST_MARKER = /^(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)/;

/**
 * Whether a statement certainly stops before `line`, a fresh start (an unindented line after a
 * blank one), judging from that line alone; false when only parsing on could tell.
 */
function stopsBefore(scan: DocumentScan, line: number, previous: TopBlock, heading: boolean): boolean {
  const text = sourceLines(scan, line, line);
  if (ATX_HEADING.test(text) || THEMATIC_BREAK.test(text.trim())) return true;
  // A line that starts like a label and not like a list item opens a labelled paragraph (or a
  // setext heading): either ends every statement.
  if (!LIST_MARKER.test(text) && (ANY_LABEL.test(text) || paragraphLabel(text) !== undefined)) return true;
  if (heading) return false;
  const lastLine = lastContentLine(scan, previous);
  const previousOpens = (previous.type === 'paragraph' && DISPLAY_MATH.test(previous.text ?? '')) || isList(previous) || /:\s*$/.test(sourceLines(scan, lastLine, lastLine));
  return !previousOpens && !DISPLAY_MATH.test(text) && !LIST_MARKER.test(text);
}

/**
 * The theorems among blocks parsed from lines [from, to) (to a fresh start, or the end of a
 * segment: `last`). `open` is set when the last statement reached the window's end and might go on.
 */
function theoremsIn(scan: DocumentScan, blocks: readonly TopBlock[], to = Infinity, last = true): { theorems: TheoremBlock[]; open: boolean } {
  const theorems: TheoremBlock[] = [];
  let open = false;
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
    let previous = block;
    while (j < blocks.length) {
      const next = blocks[j]!;
      let continues: boolean;
      if (heading) {
        continues = next.type !== 'heading' && next.type !== 'hr' && next.type !== 'html_block' && !isLabelled(next);
      } else {
        const previousIsMath = previous.type === 'paragraph' && DISPLAY_MATH.test(previous.text ?? '');
        const lastLine = lastContentLine(scan, previous);
        const previousEndsWithColon = /:\s*$/.test(sourceLines(scan, lastLine, lastLine));
        const nextIsMath = next.type === 'paragraph' && DISPLAY_MATH.test(next.text ?? '');
        continues = nextIsMath || isList(next) || ((previousIsMath || isList(previous) || previousEndsWithColon) && next.type === 'paragraph' && !isLabelled(next));
      }
      if (!continues) break;
      end = next.end;
      previous = next;
      j++;
    }
    if (j === blocks.length && !last) open = !stopsBefore(scan, to, previous, heading !== undefined);
    let endLine = end - 1;
    while (endLine > block.start && isBlankLine(scan, endLine)) endLine--;
    theorems.push({ ...(heading ?? paragraph)!, statement: sourceLines(scan, block.start, endLine), startLine: block.start, endLine });
    i = j;
  }
  return { theorems, open };
}

export interface DetectOptions {
  /**
   * `windows` (the default) parses only the parts of the document around candidate lines;
   * `whole` parses every part between proof blocks. Both give the same theorems.
   */
  strategy?: 'windows' | 'whole';
}

/** The lines [start, end) between proof blocks, where parsing may run. */
function segments(scan: DocumentScan): Array<[number, number]> {
  const result: Array<[number, number]> = [];
  let start = 0;
  for (const block of scan.proofBlocks) {
    if (block.startLine > start) result.push([start, block.startLine]);
    start = block.endLine + 1;
  }
  if (start < scan.lineStarts.length) result.push([start, scan.lineStarts.length]);
  return result;
}

function findTheorems(scan: DocumentScan, strategy: 'windows' | 'whole'): TheoremBlock[] {
  const theorems: TheoremBlock[] = [];
  if (strategy === 'whole') {
    for (const [from, to] of segments(scan)) theorems.push(...theoremsIn(scan, parseWindow(scan, from, to)).theorems);
    return theorems;
  }
  const { candidates, freshStarts } = scan;
  const segmentList = segments(scan);
  let segment = 0;
  let fresh = 0;
  let done = 0;
  for (const candidate of candidates) {
    if (candidate < done) continue;
    while (segmentList[segment]![1] <= candidate) segment++;
    const segmentEnd = segmentList[segment]![1];
    // The window starts at the last fresh start at or before the candidate.
    while (fresh + 1 < freshStarts.length && freshStarts[fresh + 1]! <= candidate) fresh++;
    const from = freshStarts[fresh]!;
    // It ends at the next fresh start; while a statement may run on past its end, it grows
    // (doubling, so that the total work stays linear in the text parsed).
    for (let span = 1; ; span *= 2) {
      const to = fresh + span < freshStarts.length ? Math.min(freshStarts[fresh + span]!, segmentEnd) : segmentEnd;
      const found = theoremsIn(scan, parseWindow(scan, from, to), to, to === segmentEnd);
      if (found.open) continue;
      theorems.push(...found.theorems);
      done = to;
      break;
    }
  }
  return theorems;
}

let lastTheorems: { markdown: string; strategy: string; theorems: TheoremBlock[] } | undefined;

/** The theorems of a markdown document (rules at the top of this file), in document order. */
export function detectTheorems(markdown: string, options: DetectOptions = {}): TheoremBlock[] {
  const strategy = options.strategy ?? 'windows';
  if (lastTheorems?.markdown !== markdown || lastTheorems.strategy !== strategy) {
    lastTheorems = { markdown, strategy, theorems: findTheorems(scanDocument(markdown), strategy) };
  }
  return lastTheorems.theorems.map((theorem) => ({ ...theorem }));
}

/** The theorem whose lines include `line` (zero-based), if any. */
export function theoremAtLine(markdown: string, line: number): TheoremBlock | undefined {
  return detectTheorems(markdown).find((theorem) => theorem.startLine <= line && line <= theorem.endLine);
}
