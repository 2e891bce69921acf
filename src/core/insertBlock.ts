// The proof block written into a markdown document, and reading it back.
//
//   <!-- insight-proof:begin id=ip-0123456789ab -->
//
//   **Core techniques.**
//
//   - **Pigeonhole principle** *(theorem)*: Split the square into four quadrants.
//     A second line of the detail stays inside the list item.
//
//   **Proof sketch.**
//
//   1. Split the square.
//   2. Two of the five points share a quadrant.
//
//   **Proof.**
//
//   The proof, exactly as written (markdown + TeX).
//
//   <!-- insight-proof:end -->
//
// It is ordinary markdown, so the preview renders it and a person can read or edit it in place.
// Only layers with content are written. Continuation lines of a detail or a step are indented to
// the list item's content column, so they stay in the item; reading back removes exactly that
// indentation, which makes the round trip exact for names (one line), kinds, details, steps and the
// proof (each compared trimmed). Section headers and list items are recognised only at the first
// column, and markers only at the first column too, so indented look-alikes inside details and
// steps are content. One thing cannot round-trip: a proof line that is itself an end marker.
import { createHierarchy, emptyLayers, type Hierarchy, type Layers, type SketchStep, type Technique, type TechniqueKind } from './hierarchy.ts';
import { detectTheorems, scanDocument, sourceLines, splitLines } from './markdown.ts';
import { parseSketch, parseTechniques, parseVerdict } from './parse.ts';

export const TECHNIQUES_HEADER = '**Core techniques.**';
export const SKETCH_HEADER = '**Proof sketch.**';
export const PROOF_HEADER = '**Proof.**';
export const BLOCK_END_MARKER = '<!-- insight-proof:end -->';

export function blockBeginMarker(id: string): string {
  return `<!-- insight-proof:begin id=${id} -->`;
}

export interface FoundProofBlock {
  id: string;
  /** Zero-based line of the begin marker. */
  startLine: number;
  /** Zero-based line of the end marker (inclusive). */
  endLine: number;
  layers: Pick<Layers, 'techniques' | 'sketch' | 'proof'>;
}

function normalizeBreaks(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** Indents every line after the first by `indent` spaces (blank lines stay empty). */
function hang(text: string, indent: number): string {
  const pad = ' '.repeat(indent);
  return text
    .split('\n')
    .map((line, index) => (index === 0 || line === '' ? line : pad + line))
    .join('\n');
}

function renderTechnique(technique: Technique): string {
  const name = technique.name.replace(/\s*\n\s*/g, ' ').trim();
  const detail = normalizeBreaks(technique.detail).trim();
  return `- **${name}** *(${technique.kind})*${detail ? `: ${hang(detail, 2)}` : ''}`;
}

function renderStep(step: SketchStep, index: number): string {
  const marker = `${index + 1}. `;
  return marker + hang(normalizeBreaks(step.text).trim(), marker.length);
}

/** The block for a hierarchy, markers included; ends with a line break. `eol` matches the document's. */
export function renderProofBlock(hierarchy: Hierarchy, eol: '\n' | '\r\n' = '\n'): string {
  const { techniques, sketch, proof } = hierarchy.layers;
  const sections: string[] = [];
  const items = techniques.items.filter((item) => item.name.trim() !== '' || item.detail.trim() !== '');
  if (items.length > 0) sections.push(`${TECHNIQUES_HEADER}\n\n${items.map(renderTechnique).join('\n')}`);
  const steps = sketch.steps.filter((step) => step.text.trim() !== '');
  if (steps.length > 0) sections.push(`${SKETCH_HEADER}\n\n${steps.map(renderStep).join('\n')}`);
  const proofText = normalizeBreaks(proof.text).trim();
  if (proofText !== '') sections.push(`${PROOF_HEADER}\n\n${proofText}`);
  const body = sections.length > 0 ? `\n${sections.join('\n\n')}\n\n` : '';
  return `${blockBeginMarker(hierarchy.id)}\n${body}${BLOCK_END_MARKER}\n`.replace(/\n/g, eol);
}

// ---------------------------------------------------------------------------------------------
// Reading blocks back

const TECHNIQUE_LINE = /^- \*\*(.*?)\*\* \*\((construction|theorem|transformation|other)\)\*(?:: (.*))?$/;
const STEP_LINE = /^(\d+)\. (.*)$/;

/** Splits a section into list items that start at the first column; other lines continue the item above. */
function listItems(lines: readonly string[], starts: (line: string) => boolean): string[][] | undefined {
  const items: string[][] = [];
  for (const line of lines) {
    if (starts(line)) items.push([line]);
    else if (items.length > 0) items[items.length - 1]!.push(line);
    else if (line.trim() !== '') return undefined;
  }
  for (const item of items) while (item.length > 1 && item[item.length - 1]!.trim() === '') item.pop();
  return items;
}

function dedent(line: string, indent: number): string {
  let strip = 0;
  while (strip < indent && line[strip] === ' ') strip++;
  return line.slice(strip);
}

function readTechniques(lines: readonly string[]): Technique[] {
  const items = listItems(lines, (line) => line.startsWith('- '));
  if (items && items.every((item) => TECHNIQUE_LINE.test(item[0]!))) {
    return items.map((item) => {
      const match = TECHNIQUE_LINE.exec(item[0]!)!;
      const detail = [match[3] ?? '', ...item.slice(1).map((line) => dedent(line, 2))].join('\n').trim();
      return { name: match[1]!.trim(), kind: match[2] as TechniqueKind, detail };
    });
  }
  // The person rewrote the section by hand: read it like any model answer.
  return parseTechniques(lines.join('\n')).value;
}

function readSteps(lines: readonly string[]): SketchStep[] {
  const items = listItems(lines, (line) => STEP_LINE.test(line));
  if (items) {
    return items
      .map((item) => {
        const match = STEP_LINE.exec(item[0]!)!;
        const indent = match[1]!.length + 2;
        return { text: [match[2]!, ...item.slice(1).map((line) => dedent(line, indent))].join('\n').trim() };
      })
      .filter((step) => step.text !== '');
  }
  return parseSketch(lines.join('\n')).value;
}

type Section = 'techniques' | 'sketch' | 'proof';

function readBlock(id: string, startLine: number, endLine: number, inner: readonly string[]): FoundProofBlock {
  const sections: Record<Section, string[] | undefined> = { techniques: undefined, sketch: undefined, proof: undefined };
  let current: Section | undefined;
  for (const line of inner) {
    // Once in the proof, everything is proof text: the proof is free markdown.
    if (current !== 'proof') {
      const header = line.trimEnd();
      const section: Section | undefined = header === TECHNIQUES_HEADER ? 'techniques' : header === SKETCH_HEADER ? 'sketch' : header === PROOF_HEADER ? 'proof' : undefined;
      if (section) {
        current = section;
        sections[section] = [];
        continue;
      }
    }
    if (current) sections[current]!.push(line);
  }
  const layers = emptyLayers();
  if (sections.techniques) {
    const items = readTechniques(sections.techniques);
    if (items.length > 0) layers.techniques = { status: 'accepted', items, raw: sections.techniques.join('\n').trim(), edited: false };
  }
  if (sections.sketch) {
    const steps = readSteps(sections.sketch);
    if (steps.length > 0) layers.sketch = { status: 'accepted', steps, raw: sections.sketch.join('\n').trim(), edited: false };
  }
  if (sections.proof) {
    const text = sections.proof.join('\n').trim();
    if (text !== '') layers.proof = { status: 'accepted', text, verdict: parseVerdict(text), raw: text, edited: false };
  }
  return { id, startLine, endLine, layers };
}

/** The insight-proof blocks of a document, with their layers read back. */
export function findProofBlocks(markdown: string): FoundProofBlock[] {
  const document = scanDocument(markdown);
  return document.proofBlocks.map((block) => {
    const inner = block.endLine - block.startLine >= 2 ? splitLines(sourceLines(document, block.startLine + 1, block.endLine - 1)) : [];
    return readBlock(block.id, block.startLine, block.endLine, inner);
  });
}

// ---------------------------------------------------------------------------------------------
// Writing into a document

/**
 * Where to write a hierarchy's block. With `replace`, `text` replaces lines startLine..endLine
 * (zero-based, inclusive) together with the line break that ends endLine: the block with the same
 * id, so inserting again never duplicates it. Otherwise `text` is inserted at the start of line
 * `startLine` (endLine equals it and means nothing): right after the theorem's last line, with one
 * blank line before the block, and one after it when text follows directly. When the theorem is the
 * last line of a document without a final line break, startLine is the line count (the end of the
 * document) and `text` starts with the missing line break. Line breaks follow the document (CRLF or LF).
 */
export function planInsert(markdown: string, hierarchy: Hierarchy, theoremEndLine: number): { replace: boolean; startLine: number; endLine: number; text: string } {
  const eol = markdown.includes('\r\n') ? '\r\n' : '\n';
  const block = renderProofBlock(hierarchy, eol);
  const lines = splitLines(markdown);
  const existing = findProofBlocks(markdown).find((found) => found.id === hierarchy.id);
  if (existing) {
    const endsDocument = existing.endLine === lines.length - 1;
    return { replace: true, startLine: existing.startLine, endLine: existing.endLine, text: endsDocument ? block.slice(0, -eol.length) : block };
  }
  const lastLine = Math.min(Math.max(0, Math.trunc(theoremEndLine)), lines.length - 1);
  const insertAt = lastLine + 1;
  if (insertAt >= lines.length) {
    // The theorem is on the last line and the document has no final line break.
    return { replace: false, startLine: lines.length, endLine: lines.length, text: eol + eol + block.slice(0, -eol.length) };
  }
  const atEnd = insertAt === lines.length - 1 && lines[insertAt] === '';
  const next = lines[insertAt]!;
  const blankAfter = !atEnd && next.trim() !== '' ? eol : '';
  return { replace: false, startLine: insertAt, endLine: insertAt, text: eol + block + blankAfter };
}

/**
 * Hierarchies for the blocks of a document, so reopening it restores them. The problem is the
 * nearest theorem above the block (with no other block between them), or '' when there is none;
 * the layers found are accepted.
 */
export function hierarchiesFromDocument(markdown: string, uri: string): Hierarchy[] {
  const theorems = detectTheorems(markdown);
  const blocks = findProofBlocks(markdown);
  return blocks.map((block, index) => {
    const previousEnd = index > 0 ? blocks[index - 1]!.endLine : -1;
    let theorem: (typeof theorems)[number] | undefined;
    for (const candidate of theorems) {
      if (candidate.endLine >= block.startLine) break;
      if (candidate.startLine > previousEnd) theorem = candidate;
    }
    const hierarchy = createHierarchy({
      problem: theorem?.statement ?? '',
      id: block.id,
      ...(theorem ? { source: { uri, startLine: theorem.startLine, endLine: theorem.endLine } } : {}),
    });
    return { ...hierarchy, layers: { ...hierarchy.layers, ...block.layers } };
  });
}
