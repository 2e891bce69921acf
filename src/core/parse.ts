// Turns untrusted model output into techniques, sketch steps and a proof: tolerant of many shapes,
// and never lossy.
//
// Shapes accepted, tried in this order (the first that yields items wins):
//  1. JSON: bare, ```json fenced, or a JSON block between chatter lines. An array of strings or
//     objects, or an object holding such an array under `techniques`, `steps`, `items` (and a few
//     synonyms), or a single item object. Object fields: name/title/technique/idea, detail/
//     description/explanation/how/..., kind/type/category; unknown fields are appended to the detail
//     as "Field: value" lines, numbers under step/id/index/number/order are ordinals and dropped.
//  2. Headings labelled as items (`### Technique 1: Name`, `## Step 2`, `### 1. Name`): each is an
//     item whose body is the text up to the next heading of its level.
//  3. Lines labelled as items outside lists (`**Step 1.** …`, `Technique 2: …`, `**3. Name:** …`),
//     also when written one under the other in a single paragraph.
//  4. Two or more unlabelled headings of one level, unless a section under them holds an ordered
//     list of two or more items (then the list is the answer and the headings are framing).
//  5. Markdown lists: numbered (`1.`, `1)`) or bulleted (`-`, `*`, `+`). When numbered and bulleted
//     top-level lists are mixed, the numbered items are the items and bullets belong to the item
//     above them (models often indent sub-bullets too little to nest them).
//  6. Paragraphs led by a bold name (`**Pigeonhole principle.** …`), and lines inside a paragraph
//     led by a bold name with a separator (`**Pigeonhole:** …` lines one under the other).
//  7. Plain paragraphs: for a sketch each paragraph is a step; for techniques only when two or more
//     start with `Name: detail`.
//  8. Otherwise the whole text is one item, with a warning.
// Block structure comes from markdown-it (with source line maps), so numbers inside code fences or
// display math never start items; each item's text is cut from the source lines, so LaTeX is kept
// exactly as written.
//
// A technique's first line is split into name and detail: a bold or italic name (`**Name.** d`,
// `**Name**: d`, `**Name** — d`), else `Name: d`, `Name — d`, `Name – d`, `Name - d` where the name
// is short (≤ 80 characters, ≤ 12 words); separators inside `$…$`, `\(…\)`, `\[…\]` or code spans do
// not count. Without a separator a short first line is the name; a long one gives a shortened name
// ("…") and the whole item as the detail.
//
// Text outside the items. Text between two items belongs to the item above it. Text before the
// first item ("Here are the techniques:") and after the last one (closing remarks) is not made an
// item: each is quoted in full in a warning, so nothing the model wrote is lost but the items stay
// clean. (A remark after the last item of a list, heading or bold-paragraph answer counts as
// closing only when separated from it the markdown way: a paragraph after the list, or a thematic
// break or heading after heading/paragraph items.)
//
// "Never lossy", precisely: after removing reasoning blocks (splitReasoning), every word of the
// input — a maximal run of characters that are neither whitespace nor markdown/JSON syntax
// (`* _ # > \` ~ - + . ) ( : [ ] { } " , — – = |`) — occurs at least as often in the output (names,
// details, step texts and warnings, cut into words the same way), except words made only of digits
// (list and step numbers) and the label words this parser consumes: technique(s), step(s), idea(s),
// insight(s), method(s), approach, key, kind, type, category, json(c/5) and the four kind names. For
// JSON input the same holds for the words of every string value (object keys are syntax), except
// the value of a kind/type/category field, which becomes the kind.
//
// Kind, when no explicit marker (`(construction)`, `[theorem]`, `*(theorem)*`, `Kind: theorem`,
// a JSON kind field) says it: keywords in the name, else in the detail; the earliest match wins.
//  - construction: construct, auxiliary, define, introduce a/an/the, consider the function/sequence/
//    …, build, colouring, invariant/monovariant, bijection, counterexample, generating function.
//  - theorem: theorem, lemma, inequality, principle, identity, formula, criterion, law of, and named
//    results (AM-GM, Cauchy–Schwarz, Jensen, Hölder, pigeonhole, Fermat, Euler, Vieta, …).
//  - transformation: substitution, transform, reduce to/reduction, WLOG, rewrite, change of
//    variables, normalise/homogenise, reformulate, take logarithms, contrapositive, complement,
//    inversion, symmetry, telescoping, factorisation, work modulo, coordinates.
//  - other: everything else. Induction, contradiction, case analysis, parity and double counting
//    are proof methods, not constructions, cited results or transformations of the problem, so they
//    are "other" (unless the text names a principle, e.g. "principle of induction" → theorem).
import type { SketchStep, Technique, TechniqueKind, Verdict } from './schema.ts';
import { blockTokens, splitLines } from './markdown.ts';
import { splitReasoning } from './reasoning.ts';

export interface Parsed<T> {
  value: T;
  /** Non-empty means the user should see them; the text they quote is part of the answer. */
  warnings: string[];
}

const KINDS: readonly TechniqueKind[] = ['construction', 'theorem', 'transformation', 'other'];

// ---------------------------------------------------------------------------------------------
// Verdict and proof

const VERDICT = /\\boxed\s*\{\s*(?:\\(?:text|textbf|textrm|textsf|texttt|textit|mathrm|mathbf|mathsf|mbox|operatorname)\s*\{\s*)?(proved|disproved)\s*\.?\s*\}(?:\s*\.?\s*\})?/gi;

/** The verdict of a prove-or-disprove answer: its LAST `\boxed{proved}` / `\boxed{disproved}`. */
export function parseVerdict(text: string): Verdict {
  let verdict: Verdict = null;
  for (const match of text.matchAll(VERDICT)) verdict = match[1]!.toLowerCase() === 'disproved' ? 'disproved' : 'proved';
  return verdict;
}

/** A proof is free text: kept as written (trimmed); the verdict comes from its last \boxed{…}. */
export function parseProof(text: string): Parsed<{ text: string; verdict: Verdict }> {
  const warnings: string[] = [];
  const { content, reasoning } = splitReasoning(text);
  if (reasoning.trim() !== '') warnings.push('A reasoning block (<think>…</think>) in the proof was kept apart from it.');
  const proof = content.trim();
  if (proof === '') warnings.push('The proof is empty; regenerate it or write it yourself.');
  return { value: { text: proof, verdict: parseVerdict(proof) }, warnings };
}

// ---------------------------------------------------------------------------------------------
// Kind inference

const KIND_NAMES = 'construction|theorem|transformation|other';
const EMPH = '(?:\\*\\*|__|\\*|_)?';
/** `(construction)`, `[theorem]`, `*(theorem)*`, `(kind: other)` anywhere. */
const BRACKET_MARKER = new RegExp(`\\s*${EMPH}[([]\\s*(?:(?:kind|type)\\s*:\\s*)?(${KIND_NAMES})\\s*[)\\]]${EMPH}`, 'i');
/** `Kind: theorem` (optionally bold, bulleted) as a line of its own. */
const KIND_LINE = new RegExp(`^[ \\t]*(?:[-*+][ \\t]+)?${EMPH}(?:kind|type|category)${EMPH}[ \\t]*:[ \\t]*${EMPH}(${KIND_NAMES})${EMPH}[ \\t]*\\.?[ \\t]*$`, 'im');
/** `Kind: theorem.` at the start of a detail. */
const KIND_LEAD = new RegExp(`^${EMPH}(?:kind|type|category)${EMPH}\\s*:\\s*${EMPH}(${KIND_NAMES})(?=[\\s.;,*_]|$)${EMPH}\\s*[.;,]?\\s*`, 'i');

const KIND_KEYWORDS: ReadonlyArray<[TechniqueKind, RegExp]> = [
  [
    'construction',
    /\b(?:construct\w*|auxiliary|defin(?:e|es|ed|ing)\b|introduc\w*\s+(?:a|an|the)\b|consider(?:ing)?\s+the\s+(?:function|polynomial|sequence|graph|set|map|matrix|point|circle|line|quantity|sum|product)|build\w*|colou?ring|invariant|monovariant|potential function|generating function|bijection|counter-?example)/i,
  ],
  [
    'theorem',
    /\b(?:theorem|lemma|inequalit(?:y|ies)|principle|identit(?:y|ies)|formulas?\b|criterion|law of|am\s*[-–‑−]?\s*gm|qm\s*[-–‑−]?\s*am|cauchy|schwarz|jensen|h[öo]lder|chebyshev|muirhead|schur|bernoulli|minkowski|fermat|euler|wilson|chinese remainder|pigeon-?hole|b[ée]zout|vieta|ptolemy|menelaus|ceva|stewart|pythagor\w*|rolle|bolzano|dirichlet|hall's|ramsey|lagrange|sylow|zorn|lifting the exponent|\blte\b|cayley|stolz|ces[àa]ro|l'h[ôo]pital|taylor|squeeze|sandwich|intermediate value|mean value|extreme value|weierstrass|burnside|inclusion[-–\s]exclusion|well-?ordering|quadratic reciprocity|eisenstein|rearrangement|power mean|karamata)/i,
  ],
  [
    'transformation',
    /\b(?:substitut\w*|transform\w*|reduc(?:e|es|ed|ing|tion)\b|wlog\b|without loss of generality|rewrit\w*|change of variables?|chang\w*\s+variables|normali[sz]\w*|homogeni[sz]\w*|reformulat\w*|recast\w*|convert\w*|equivalent(?:ly)? to|tak(?:e|ing) (?:the )?log\w*|logarithm\w*|contrapositive|complement\w*|inversion|symmetri[sz]\w*|symmetry|telescop\w*|factori[sz]\w*|work(?:ing)? modulo|modulo|coordinate\w*|parametri[sz]\w*)/i,
  ],
];

/** An explicit kind marker in the text, if any. */
function explicitKind(text: string): TechniqueKind | undefined {
  const match = BRACKET_MARKER.exec(text) ?? KIND_LINE.exec(text) ?? KIND_LEAD.exec(text);
  return match ? (match[1]!.toLowerCase() as TechniqueKind) : undefined;
}

function keywordKind(text: string): TechniqueKind | undefined {
  let best: { kind: TechniqueKind; index: number } | undefined;
  for (const [kind, pattern] of KIND_KEYWORDS) {
    const match = pattern.exec(text);
    if (match && (!best || match.index < best.index)) best = { kind, index: match.index };
  }
  return best?.kind;
}

/** What sort of idea a technique is: an explicit marker wins, then keywords of the name, then of the detail. */
export function inferTechniqueKind(name: string, detail: string): TechniqueKind {
  return explicitKind(name) ?? explicitKind(detail) ?? keywordKind(name) ?? keywordKind(detail) ?? 'other';
}

/** A kind as a model wrote it in a JSON field ("Construction", "lemma", "known theorem"). */
function kindFromLabel(label: string): TechniqueKind | undefined {
  const lower = label.trim().toLowerCase();
  return (KINDS as readonly string[]).includes(lower) ? (lower as TechniqueKind) : keywordKind(lower);
}

// ---------------------------------------------------------------------------------------------
// Inline scanning: where math and code spans are, so separators and emphasis inside them are ignored

/** How much of a first line is scanned for a name: names are short, and huge lines stay cheap. */
const HEAD_SCAN = 400;

/** Marks characters inside `$…$`, `$$…$$`, `\(…\)`, `\[…\]` and code spans; an unclosed one runs to the end. */
function protectedMask(text: string): Uint8Array {
  const mask = new Uint8Array(text.length);
  const findClose = (delimiter: string, from: number): number => {
    let at = text.indexOf(delimiter, from);
    while (at > 0 && delimiter === '$' && text[at - 1] === '\\') at = text.indexOf(delimiter, at + 1);
    return at;
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    let open: string;
    let close: string;
    if (c === '\\') {
      const next = text[i + 1];
      if (next === '(' || next === '[') {
        open = `\\${next}`;
        close = next === '(' ? '\\)' : '\\]';
      } else {
        i += 2;
        continue;
      }
    } else if (c === '$') {
      open = text[i + 1] === '$' ? '$$' : '$';
      close = open;
    } else if (c === '`') {
      let run = 1;
      while (text[i + run] === '`') run++;
      open = '`'.repeat(run);
      close = open;
    } else {
      i++;
      continue;
    }
    const end = findClose(close, i + open.length);
    const stop = end === -1 ? text.length : end + close.length;
    mask.fill(1, i, stop);
    i = stop;
  }
  return mask;
}

const SENTENCE_END = /[.!?]\s/;

/** Whether text before a separator reads like a name rather than a sentence. */
function nameLike(prefix: string, maxWords = 12, maxLength = 80): boolean {
  const trimmed = prefix.trim();
  if (trimmed === '' || trimmed.length > maxLength) return false;
  if (trimmed.split(/\s+/).length > maxWords) return false;
  return !SENTENCE_END.test(trimmed);
}

/** Finds `Name: detail`, `Name — detail`, `Name – detail`, `Name - detail` on a first line. */
function plainSeparator(head: string): { name: string; rest: string } | undefined {
  const scanned = head.slice(0, HEAD_SCAN);
  const mask = protectedMask(scanned);
  for (let i = 0; i < scanned.length; i++) {
    if (mask[i]) continue;
    const c = scanned[i];
    let width = 0;
    if (c === ':' && (i + 1 === head.length || /\s/.test(head[i + 1]!))) width = 1;
    // A dash without spaces joins names (Cauchy–Schwarz, AM–GM); with a space beside it, it separates.
    else if ((c === '—' || c === '–') && (/\s/.test(head[i - 1] ?? '') || /\s/.test(head[i + 1] ?? ''))) width = 1;
    else if (c === '-' && head[i - 1] === ' ' && head[i + 1] === ' ') width = 1;
    else if (c === '-' && head[i + 1] === '-' && head[i - 1] === ' ' && head[i + 2] === ' ') width = 2;
    if (width === 0) continue;
    const name = head.slice(0, i);
    if (!nameLike(name)) return undefined;
    return { name: name.trim(), rest: head.slice(i + width) };
  }
  return undefined;
}

/** `Name. detail` with a very short name ("Induction on n. Base case …"). */
function periodSeparator(head: string): { name: string; rest: string } | undefined {
  const scanned = head.slice(0, HEAD_SCAN);
  const mask = protectedMask(scanned);
  for (let i = 0; i < scanned.length; i++) {
    if (mask[i] || scanned[i] !== '.' || !/\s/.test(head[i + 1] ?? '')) continue;
    const name = head.slice(0, i);
    return nameLike(name, 6, 60) && i + 1 < head.length && head.slice(i + 1).trim() !== '' ? { name: name.trim(), rest: head.slice(i + 1) } : undefined;
  }
  return undefined;
}

/** A leading `**bold**`, `__bold__`, `*italic*` or `_italic_` span. */
function leadingEmphasis(head: string): { inner: string; rest: string } | undefined {
  const delimiter = head.startsWith('**') ? '**' : head.startsWith('__') ? '__' : head[0] === '*' || head[0] === '_' ? head[0] : '';
  if (!delimiter || /\s/.test(head[delimiter.length] ?? ' ')) return undefined;
  const scanned = head.slice(0, HEAD_SCAN);
  const mask = protectedMask(scanned);
  for (let i = delimiter.length + 1; i <= scanned.length - delimiter.length; i++) {
    if (mask[i] || !scanned.startsWith(delimiter, i)) continue;
    if (delimiter.length === 1 && (scanned[i + 1] === delimiter || scanned[i - 1] === delimiter)) continue;
    const rest = head.slice(i + delimiter.length);
    // An italic "name" must end where a name ends; `*a* and *b*` in running text is not a name.
    if (delimiter.length === 1 && !/^(?:$|\s*[:.—–-]|\s*\*?\()/.test(rest)) return undefined;
    return { inner: head.slice(delimiter.length, i), rest };
  }
  return undefined;
}

const ITEM_LABEL = /^(?:technique|key idea|idea|insight|step|method|approach)\s*#?\s*\d+[a-z]?\s*(?:[.:)]|[—–-](?=\s))?\s*/i;
const NUMBER_LABEL = /^\d{1,3}[.)]\s+/;

/** Removes an item label ("Technique 2:", "Step 3.") from the start of a name or title. */
function stripItemLabel(text: string): string {
  return text.replace(ITEM_LABEL, '');
}

/** Shortens a long first line into a name at a word boundary, outside math; the detail keeps the whole text. */
function shortName(text: string): string {
  const line = text
    .trim()
    .split('\n', 1)[0]!
    .replace(/^#{1,6}\s+/, '')
    .replace(/\*\*|__/g, '')
    .trim();
  if (line.length <= 60) return line;
  const mask = protectedMask(line.slice(0, 61));
  let cut = 60;
  while (cut > 20 && (mask[cut] || !/\s/.test(line[cut]!))) cut--;
  if (cut <= 20) {
    cut = 60;
    while (cut > 0 && mask[cut - 1]) cut--;
    if (cut === 0) cut = 60;
  }
  return `${line.slice(0, cut).trimEnd()}…`;
}

// ---------------------------------------------------------------------------------------------
// Techniques and steps from one item's text

/** Removes an explicit kind marker from the edges of a text; returns the kind it named. */
function takeKindMarker(text: string, where: 'start' | 'end'): { text: string; kind?: TechniqueKind } {
  const source = where === 'start' ? `^${BRACKET_MARKER.source}` : `${BRACKET_MARKER.source}\\s*\\.?$`;
  const match = new RegExp(source, 'i').exec(text);
  if (!match) return { text };
  return { text: text.slice(0, match.index) + text.slice(match.index + match[0].length), kind: match[1]!.toLowerCase() as TechniqueKind };
}

/** Removes `Kind: theorem` lines or a leading `Kind: theorem.` from a detail. */
function takeKindLine(detail: string): { text: string; kind?: TechniqueKind } {
  const line = KIND_LINE.exec(detail);
  if (line) return { text: (detail.slice(0, line.index) + detail.slice(line.index + line[0].length)).replace(/\n{3,}/g, '\n\n'), kind: line[1]!.toLowerCase() as TechniqueKind };
  const lead = KIND_LEAD.exec(detail);
  if (lead) return { text: detail.slice(lead[0].length), kind: lead[1]!.toLowerCase() as TechniqueKind };
  return { text: detail };
}

/** A technique from an item's text: first line (or a heading title) gives the name, the rest the detail. */
function techniqueFromText(body: string, title?: string): Technique | undefined {
  let kind: TechniqueKind | undefined;
  const text = body.trim();
  let head: string;
  let continuation: string;
  if (title !== undefined) {
    head = title.trim();
    continuation = text;
  } else {
    const newline = text.indexOf('\n');
    head = newline === -1 ? text : text.slice(0, newline);
    continuation = newline === -1 ? '' : text.slice(newline + 1);
  }
  head = stripItemLabel(title !== undefined ? head.replace(NUMBER_LABEL, '') : head);

  let name: string | undefined;
  let rest = head;
  let shortened = false;
  const emphasis = leadingEmphasis(head);
  if (emphasis) {
    const inner = stripItemLabel(emphasis.inner.trim().replace(NUMBER_LABEL, ''));
    if (inner === '') {
      // `**Technique 1.** Pigeonhole principle: …` — the bold part was only a label.
      rest = emphasis.rest.trim();
      const again = leadingEmphasis(rest);
      if (again) {
        name = again.inner;
        rest = again.rest;
      }
    } else {
      name = inner;
      rest = emphasis.rest;
    }
  }
  if (name === undefined && title !== undefined) {
    // A heading is a name as a whole: "### Cauchy–Schwarz: the key step" keeps its colon.
    name = rest.trim();
    rest = '';
  }
  if (name === undefined) {
    const plain = plainSeparator(rest) ?? periodSeparator(rest);
    if (plain) {
      name = plain.name;
      rest = plain.rest;
    } else if (rest.trim().length <= 80) {
      name = rest.trim();
      rest = '';
    } else {
      name = shortName(rest);
      shortened = true;
    }
  }

  // Kind markers next to the name: `**Name (theorem)**`, `**Name** *(theorem)*:`, `Name [theorem]:`.
  const inName = takeKindMarker(name, 'end');
  name = inName.text;
  kind = inName.kind;
  if (!shortened) {
    const afterName = takeKindMarker(rest, 'start');
    rest = afterName.text;
    kind ??= afterName.kind;
    rest = rest.replace(/^\s*(?:[:.—–]|-(?=\s)|--(?=\s))\s*/, '');
  }
  name = name
    .trim()
    .replace(/\s*[:.—–]$/, '')
    .replace(/^(?:\*\*|__)(.*)(?:\*\*|__)$/, '$1')
    .trim();

  // The continuation keeps its blank lines: a detail may have several paragraphs.
  let detail = shortened ? text : rest.trim() === '' ? continuation.trim() : `${rest.trim()}\n${continuation}`.trim();
  if (!shortened) {
    const line = takeKindLine(detail);
    detail = line.text.trim();
    kind ??= line.kind;
    const trailing = takeKindMarker(detail, 'end');
    if (trailing.kind && trailing.text.trim() !== '') {
      detail = trailing.text.trim();
      kind ??= trailing.kind;
    }
  }
  if (name === '' && detail === '') return undefined;
  if (name === '') name = shortName(detail);
  return { name, kind: kind ?? inferTechniqueKind(name, detail), detail };
}

// `**Step 2.**`, `**2.**`, `**Step 2 —**` (label only) and `**Step 2: Title.**`, `**2. Title**` (label and title).
const STEP_BOLD_LABEL_ONLY = /^(\*\*|__)\s*(?:step\s*#?\s*)?\d+[a-z]?\s*(?:[.:)—–]|-(?=\s|\*|_))?\s*\1\s*(?:[.:—–]|-(?=\s))?\s*/i;
const STEP_BOLD_LABEL_TITLE = /^(\*\*|__)\s*(?:step\s*#?\s*)?\d+[a-z]?\s*(?:[.:)]|[—–-](?=\s))\s*(?=\S)/i;

/** A sketch step from an item's text: the "Step N" label is dropped, the rest kept as written. */
function stepFromText(body: string, title?: string): SketchStep | undefined {
  let text = body.trim();
  if (title !== undefined) {
    const heading = stripItemLabel(plainTitle(title).replace(NUMBER_LABEL, '')).trim();
    text = heading !== '' && text !== '' ? `${heading}\n\n${text}` : heading || text;
  } else if (STEP_BOLD_LABEL_ONLY.test(text)) {
    text = text.replace(STEP_BOLD_LABEL_ONLY, '');
  } else if (STEP_BOLD_LABEL_TITLE.test(text)) {
    text = text.replace(STEP_BOLD_LABEL_TITLE, '$1');
  } else {
    text = stripItemLabel(text);
  }
  text = text.trim();
  return text === '' ? undefined : { text };
}

// ---------------------------------------------------------------------------------------------
// Block structure

interface Block {
  type: 'paragraph' | 'heading' | 'list' | 'fence' | 'hr' | 'other';
  /** Zero-based line range [start, end). */
  start: number;
  end: number;
  level?: number;
  ordered?: boolean;
  items?: Array<{ start: number; end: number }>;
  info?: string;
}

function isBlank(line: string): boolean {
  return line.trim() === '';
}

/** The top-level blocks of a text; lines markdown-it produced no token for (link definitions) become paragraphs. */
function topLevelBlocks(text: string, lines: readonly string[]): Block[] {
  const blocks: Block[] = [];
  let list: Block | undefined;
  for (const token of blockTokens(text)) {
    if (token.level === 1 && token.type === 'list_item_open' && list && token.map) {
      list.items!.push({ start: token.map[0], end: token.map[1] });
      continue;
    }
    if (token.level !== 0 || !token.map || token.nesting === -1) continue;
    const [start, end] = token.map;
    switch (token.type) {
      case 'paragraph_open':
        blocks.push({ type: 'paragraph', start, end });
        break;
      case 'heading_open':
        blocks.push({ type: 'heading', start, end, level: Number(token.tag.slice(1)) });
        break;
      case 'bullet_list_open':
      case 'ordered_list_open':
        list = { type: 'list', start, end, ordered: token.type === 'ordered_list_open', items: [] };
        blocks.push(list);
        break;
      case 'fence':
        blocks.push({ type: 'fence', start, end, info: token.info.trim() });
        break;
      case 'hr':
        blocks.push({ type: 'hr', start, end });
        break;
      default:
        blocks.push({ type: 'other', start, end });
    }
  }
  // Fill the gaps so that every non-blank line belongs to a block.
  const filled: Block[] = [];
  let line = 0;
  const fillTo = (limit: number) => {
    while (line < limit) {
      if (isBlank(lines[line]!)) {
        line++;
        continue;
      }
      const start = line;
      while (line < limit && !isBlank(lines[line]!)) line++;
      filled.push({ type: 'paragraph', start, end: line });
    }
  };
  for (const block of blocks) {
    fillTo(block.start);
    filled.push(block);
    line = Math.max(line, block.end);
  }
  fillTo(lines.length);
  return filled;
}

/** The title of a heading block, from the source (ATX `#` marks or a setext underline removed). */
function headingTitle(block: Block, lines: readonly string[]): string {
  const first = lines[block.start]!;
  if (/^\s{0,3}#/.test(first)) return first.replace(/^\s{0,3}#{1,6}(?:\s+|$)/, '').replace(/\s+#+\s*$/, '').trim();
  return lines
    .slice(block.start, block.end - 1)
    .map((line) => line.trim())
    .join(' ');
}

const DISPLAY_MATH = /^\s*(?:\$\$|\\\[|\\begin\{)/;
const GENERIC_TITLE =
  /^(?:(?:the|our|some|a)\s+)?(?:(?:core|key|main|central|useful|relevant|important|proposed|suggested)\s+)?(?:techniques?|ideas?|insights?|tools?|methods?|steps?|approach(?:es)?|strateg(?:y|ies)|plan|proof sketch|sketch|outline|summary|conclusions?|overview|notes?|remarks?|answer|solution|proof|final answer|explanation|comments?|why (?:this|it) works|important|caveats?|observations?)(?:\s+(?:used|needed|involved|to use|for (?:this|the) (?:problem|proof)))?$/i;

function plainTitle(title: string): string {
  return title
    .trim()
    .replace(/^(?:\*\*|__)(.*)(?:\*\*|__)$/, '$1')
    .replace(/[:.]$/, '')
    .trim();
}

function isGenericTitle(title: string): boolean {
  return GENERIC_TITLE.test(plainTitle(title));
}

/** A line that starts an item wherever it stands: `Step 2:`, `**Technique 1.**`, `**3. Name**`. */
const LABELLED_LINE = /^\s{0,3}(?:(?:\*\*|__)?\s*(?:technique|key idea|idea|insight|step|method)\s*#?\s*\d+[a-z]?\b|(?:\*\*|__)\s*\d{1,3}[.)](?:\s|\*\*|__))/i;

function isLabelledTitle(title: string): boolean {
  const plain = plainTitle(title);
  return ITEM_LABEL.test(plain) || NUMBER_LABEL.test(plain);
}

interface Segment {
  /** Item bodies; `title` when the item came from a heading. */
  items: Array<{ body: string; title?: string }>;
  preface: string;
  trailing: string;
}

function text(lines: readonly string[], start: number, end: number): string {
  return lines.slice(start, Math.max(start, end)).join('\n').trim();
}

/** Removes the list marker from an item's first line and its content indentation from the rest. */
function listItemBody(lines: readonly string[], start: number, end: number): string {
  const first = lines[start]!;
  const marker = /^(\s*)([-*+]|\d{1,9}[.)])([ \t]*)/.exec(first)!;
  // CommonMark: content starts after the marker and its spaces, or one column after the marker
  // when five or more spaces follow (the rest is an indented code block).
  const spaces = marker[3]!.length;
  const indent = marker[1]!.length + marker[2]!.length + (spaces >= 1 && spaces <= 4 ? spaces : 1);
  const body = [first.slice(marker[0].length)];
  for (let i = start + 1; i < end; i++) {
    const line = lines[i]!;
    let strip = 0;
    while (strip < indent && line[strip] === ' ') strip++;
    if (strip === 0 && line[0] === '\t') strip = 1;
    body.push(line.slice(strip));
  }
  return body.join('\n').trim();
}

function listSegment(blocks: readonly Block[], lines: readonly string[]): Segment | undefined {
  const lists = blocks.filter((block) => block.type === 'list' && block.items!.length > 0);
  if (lists.length === 0) return undefined;
  const ordered = lists.some((block) => block.ordered);
  const primary = lists.filter((block) => block.ordered === ordered);
  const ranges = primary.flatMap((block) => block.items!);
  // After the last item, further lists, display math and code still belong to it; the first
  // paragraph, heading or rule starts the closing remarks.
  const lastList = primary[primary.length - 1]!;
  let stop = lastList.end;
  for (const block of blocks) {
    if (block.start < lastList.end) continue;
    const attaches = block.type === 'list' || block.type === 'fence' || (block.type === 'paragraph' && DISPLAY_MATH.test(lines[block.start]!));
    if (!attaches) break;
    stop = block.end;
  }
  const items = ranges.map((range, index) => {
    const next = ranges[index + 1];
    const own = listItemBody(lines, range.start, range.end);
    const between = text(lines, range.end, next ? next.start : stop);
    return { body: between ? `${own}\n\n${between}` : own };
  });
  return { items, preface: text(lines, 0, ranges[0]!.start), trailing: text(lines, stop, lines.length) };
}

/** Items that start at given lines and run to the next start; the last one stops at a heading or rule. */
function startsSegment(starts: readonly number[], blocks: readonly Block[], lines: readonly string[], titles?: ReadonlyMap<number, Block>): Segment {
  const last = starts[starts.length - 1]!;
  const lastBlock = titles?.get(last);
  let stop = lines.length;
  let trailingFrom: number | undefined;
  for (const block of blocks) {
    if (block.start <= last) continue;
    const ends = block.type === 'hr' || (block.type === 'heading' && (!lastBlock || block.level! <= lastBlock.level!));
    if (ends) {
      stop = block.start;
      // The rule itself is only a separator.
      if (block.type === 'hr') trailingFrom = block.end;
      break;
    }
  }
  const items = starts.map((start, index) => {
    const end = index + 1 < starts.length ? starts[index + 1]! : stop;
    const heading = titles?.get(start);
    if (heading) return { title: headingTitle(heading, lines), body: text(lines, heading.end, end) };
    return { body: text(lines, start, end) };
  });
  return { items, preface: text(lines, 0, starts[0]!), trailing: text(lines, trailingFrom ?? stop, lines.length) };
}

function headingSegment(blocks: readonly Block[], lines: readonly string[], level: number): Segment {
  const headings = blocks.filter((block) => block.type === 'heading' && block.level === level && !isGenericTitle(headingTitle(block, lines)));
  return startsSegment(
    headings.map((block) => block.start),
    blocks,
    lines,
    new Map(headings.map((block) => [block.start, block])),
  );
}

/** The structural reading of a markdown answer (shapes 2–7 of the list at the top). */
function markdownSegment(content: string, stage: 'techniques' | 'sketch'): Segment | undefined {
  const lines = splitLines(content);
  const blocks = topLevelBlocks(content, lines);
  const headings = blocks.filter((block) => block.type === 'heading');

  const labelled = headings.find((block) => isLabelledTitle(headingTitle(block, lines)));
  if (labelled) return headingSegment(blocks, lines, labelled.level!);

  const paragraphs = blocks.filter((block) => block.type === 'paragraph');
  const labelledLines: number[] = [];
  for (const block of paragraphs) {
    for (let i = block.start; i < block.end; i++) if (LABELLED_LINE.test(lines[i]!)) labelledLines.push(i);
  }
  if (labelledLines.length > 0) return startsSegment(labelledLines, blocks, lines);

  const byLevel = new Map<number, Block[]>();
  for (const block of headings) {
    if (isGenericTitle(headingTitle(block, lines))) continue;
    byLevel.set(block.level!, [...(byLevel.get(block.level!) ?? []), block]);
  }
  for (const [level, group] of [...byLevel].sort((a, b) => a[0] - b[0])) {
    if (group.length < 2) continue;
    const listUnderHeading = blocks.some((block) => block.type === 'list' && block.ordered && block.items!.length >= 2 && block.start > group[0]!.start);
    if (!listUnderHeading) return headingSegment(blocks, lines, level);
  }

  const list = listSegment(blocks, lines);
  if (list) return list;

  // A bold name starts an item at the start of a paragraph, and also on a later line of one when a
  // separator follows it (`**Pigeonhole:** …` lines written one under the other).
  const boldLed: number[] = [];
  for (const block of paragraphs) {
    for (let i = block.start; i < block.end; i++) {
      const emphasis = leadingEmphasis(lines[i]!.trim());
      if (!emphasis || emphasis.inner.length > 120 || isGenericTitle(emphasis.inner)) continue;
      if (i === block.start || /[.:]$/.test(emphasis.inner.trim()) || /^\s*(?:[:.—–]|-\s)/.test(emphasis.rest)) boldLed.push(i);
    }
  }
  if (boldLed.length > 0) return startsSegment(boldLed, blocks, lines);

  const prose = paragraphs.filter((block) => !DISPLAY_MATH.test(lines[block.start]!));
  if (stage === 'sketch') {
    const starts = prose.filter((block, index) => !(index === 0 && /:\s*$/.test(lines[block.end - 1]!) && block.end - block.start === 1)).map((block) => block.start);
    if (starts.length >= 2) return startsSegment(starts, blocks, lines);
  } else {
    const starts = prose.filter((block) => plainSeparator(lines[block.start]!.trim()) !== undefined).map((block) => block.start);
    if (starts.length >= 2) return startsSegment(starts, blocks, lines);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// JSON

const LIST_KEYS = ['techniques', 'core_techniques', 'coretechniques', 'steps', 'sketch', 'proof_sketch', 'plan', 'items', 'ideas', 'insights'];
const NAME_KEYS = ['name', 'title', 'technique', 'idea', 'insight', 'label', 'heading'];
const DETAIL_KEYS = ['detail', 'details', 'description', 'explanation', 'how', 'application', 'applied', 'usage', 'text', 'content', 'statement', 'summary', 'step', 'action', 'goal'];
const KIND_KEYS = ['kind', 'type', 'category'];
const ORDINAL_KEYS = ['id', 'index', 'number', 'step', 'order', 'n', 'no', 'num'];

/** JSON.parse, retried without trailing commas (a common slip of models). */
function parseJsonLenient(source: string): unknown {
  try {
    return JSON.parse(source) as unknown;
  } catch {
    let out = '';
    let inString = false;
    for (let i = 0; i < source.length; i++) {
      const c = source[i]!;
      if (inString) {
        out += c;
        if (c === '\\') out += source[++i] ?? '';
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      if (c === ',' && /^\s*[\]}]/.test(source.slice(i + 1, i + 200))) continue;
      out += c;
    }
    try {
      return JSON.parse(out) as unknown;
    } catch {
      return undefined;
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON value as readable text: strings as they are, lists as bullets, objects as JSON. */
function jsonText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((entry) => typeof entry === 'string' || typeof entry === 'number')) return value.map((entry) => `- ${String(entry)}`).join('\n');
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function fieldLabel(key: string): string {
  const words = key.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

interface JsonItems {
  items: unknown[];
  extras: Array<[string, unknown]>;
}

function findKey(record: Record<string, unknown>, keys: readonly string[]): string | undefined {
  const lower = new Map(Object.keys(record).map((key) => [key.toLowerCase(), key]));
  for (const key of keys) {
    const found = lower.get(key);
    if (found !== undefined) return found;
  }
  return undefined;
}

function jsonItems(value: unknown): JsonItems | undefined {
  if (Array.isArray(value)) return value.length > 0 && value.every((entry) => !Array.isArray(entry) && entry !== null) ? { items: value, extras: [] } : undefined;
  if (!isRecord(value)) return undefined;
  const listKey = findKey(value, LIST_KEYS);
  const key =
    listKey !== undefined && Array.isArray(value[listKey])
      ? listKey
      : (() => {
          const arrays = Object.keys(value).filter((candidate) => Array.isArray(value[candidate]));
          return arrays.length === 1 ? arrays[0] : undefined;
        })();
  if (key !== undefined) {
    const inner = jsonItems(value[key]);
    if (!inner) return undefined;
    return { items: inner.items, extras: Object.entries(value).filter(([other]) => other !== key) };
  }
  if (findKey(value, NAME_KEYS) !== undefined || findKey(value, DETAIL_KEYS) !== undefined) return { items: [value], extras: [] };
  return undefined;
}

function isOrdinal(key: string, value: unknown): boolean {
  return ORDINAL_KEYS.includes(key.toLowerCase()) && (typeof value === 'number' || (typeof value === 'string' && /^\s*#?\d+\s*$/.test(value)));
}

function techniqueFromJson(entry: unknown): Technique | undefined {
  if (!isRecord(entry)) return techniqueFromText(jsonText(entry));
  const nameKey = findKey(entry, NAME_KEYS);
  const kindKey = findKey(entry, KIND_KEYS);
  const details: string[] = [];
  const extra: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (key === nameKey || key === kindKey || isOrdinal(key, value)) continue;
    const valueText = jsonText(value).trim();
    if (valueText === '') continue;
    if (DETAIL_KEYS.includes(key.toLowerCase())) details.push(valueText);
    else extra.push(`${fieldLabel(key)}: ${valueText}`);
  }
  const detail = [...details, ...extra].join('\n\n');
  const name = nameKey !== undefined ? jsonText(entry[nameKey]).trim() : '';
  if (name === '') {
    if (detail === '') return undefined;
    const fromDetail = techniqueFromText(detail);
    if (!fromDetail) return undefined;
    return { ...fromDetail, kind: (kindKey !== undefined ? kindFromLabel(jsonText(entry[kindKey])) : undefined) ?? fromDetail.kind };
  }
  const kind = (kindKey !== undefined ? kindFromLabel(jsonText(entry[kindKey])) : undefined) ?? inferTechniqueKind(name, detail);
  return { name, kind, detail };
}

const STEP_TITLE_KEYS = ['title', 'name', 'heading', 'label'];

function stepFromJson(entry: unknown): SketchStep | undefined {
  if (!isRecord(entry)) return stepFromText(jsonText(entry));
  const titleKey = findKey(entry, STEP_TITLE_KEYS);
  const parts: string[] = [];
  const extra: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (key === titleKey || isOrdinal(key, value)) continue;
    const valueText = jsonText(value).trim();
    if (valueText === '') continue;
    if (DETAIL_KEYS.includes(key.toLowerCase())) parts.push(valueText);
    else extra.push(`${fieldLabel(key)}: ${valueText}`);
  }
  const body = [...parts, ...extra].join('\n\n');
  const title = titleKey !== undefined ? jsonText(entry[titleKey]).trim() : '';
  const text = title && body ? `**${title}${/[.:!?]$/.test(title) ? '' : '.'}** ${body}` : title || body;
  return text.trim() === '' ? undefined : { text: text.trim() };
}

/** A JSON answer: the whole text, a fenced block, or a JSON block between chatter lines. */
function jsonSegment(content: string): { value: JsonItems; preface: string; trailing: string } | undefined {
  const trimmed = content.trim();
  if (/^[[{]/.test(trimmed)) {
    const items = jsonItems(parseJsonLenient(trimmed));
    if (items) return { value: items, preface: '', trailing: '' };
  }
  if (!/[[{]/.test(content)) return undefined;
  const lines = splitLines(content);
  const blocks = topLevelBlocks(content, lines);
  for (const block of blocks) {
    if (block.type !== 'fence' || !/^(?:jsonc?|json5)?$/i.test(block.info ?? '')) continue;
    const closed = block.end - block.start >= 2 && /^\s*(?:`{3,}|~{3,})\s*$/.test(lines[block.end - 1]!);
    const inner = lines.slice(block.start + 1, closed ? block.end - 1 : block.end).join('\n');
    if (!/^\s*[[{]/.test(inner)) continue;
    const items = jsonItems(parseJsonLenient(inner));
    if (items) return { value: items, preface: text(lines, 0, block.start), trailing: text(lines, block.end, lines.length) };
  }
  const first = lines.findIndex((line) => /^\s*[[{]/.test(line));
  let last = lines.length - 1;
  while (last > first && !/[\]}]\s*$/.test(lines[last]!)) last--;
  if (first !== -1 && last > first) {
    const items = jsonItems(parseJsonLenient(lines.slice(first, last + 1).join('\n')));
    if (items) return { value: items, preface: text(lines, 0, first), trailing: text(lines, last + 1, lines.length) };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The two list parsers

interface Shape<T> {
  stage: 'techniques' | 'sketch';
  noun: string;
  fromText(body: string, title?: string): T | undefined;
  fromJson(entry: unknown): T | undefined;
  whole(text: string): T;
}

/** Quotes text in a warning; runs of whitespace are folded so the warning stays one line. */
function quote(text: string): string {
  return `"${text.replace(/\s+/g, ' ').trim()}"`;
}

function parseItems<T>(input: string, shape: Shape<T>): Parsed<T[]> {
  const content = splitReasoning(input).content;
  if (content.trim() === '') return { value: [], warnings: [`The answer is empty: there are no ${shape.noun}s; regenerate the layer or write them yourself.`] };
  const unsplit = (): Parsed<T[]> => ({
    value: [shape.whole(content.trim())],
    warnings: [`The model's answer could not be split into ${shape.noun}s; it is shown as one ${shape.stage === 'techniques' ? 'item' : 'step'}, which you can edit into a list or regenerate.`],
  });
  try {
    const warnings: string[] = [];
    const outside = (preface: string, trailing: string) => {
      if (preface) warnings.push(`Text before the ${shape.noun}s was kept here, not as a ${shape.noun}: ${quote(preface)}`);
      if (trailing) warnings.push(`Text after the ${shape.noun}s was kept here, not as a ${shape.noun}: ${quote(trailing)}`);
    };
    const json = jsonSegment(content);
    if (json) {
      const value = json.value.items.map((entry) => shape.fromJson(entry)).filter((item): item is T => item !== undefined);
      if (value.length > 0) {
        outside(json.preface, json.trailing);
        for (const [key, extra] of json.value.extras) {
          const extraText = jsonText(extra).trim();
          if (extraText) warnings.push(`The answer also gave ${quote(key)}: ${quote(extraText)}`);
        }
        return { value, warnings };
      }
    }
    const segment = markdownSegment(content, shape.stage);
    if (segment) {
      const value = segment.items.map((item) => shape.fromText(item.body, item.title)).filter((item): item is T => item !== undefined);
      if (value.length > 0) {
        outside(segment.preface, segment.trailing);
        return { value, warnings };
      }
    }
    return unsplit();
  } catch {
    // A parser bug must never cost the user the answer: show it whole.
    return unsplit();
  }
}

const techniqueShape: Shape<Technique> = {
  stage: 'techniques',
  noun: 'technique',
  fromText: techniqueFromText,
  fromJson: techniqueFromJson,
  whole: (text) => ({ name: shortName(text), kind: inferTechniqueKind(shortName(text), text), detail: text }),
};

const stepShape: Shape<SketchStep> = {
  stage: 'sketch',
  noun: 'step',
  fromText: stepFromText,
  fromJson: stepFromJson,
  whole: (text) => ({ text }),
};

/** Core techniques from a model's answer (any of the shapes at the top of this file). */
export function parseTechniques(text: string): Parsed<Technique[]> {
  return parseItems(text, techniqueShape);
}

/** Proof sketch steps from a model's answer (any of the shapes at the top of this file). */
export function parseSketch(text: string): Parsed<SketchStep[]> {
  return parseItems(text, stepShape);
}
