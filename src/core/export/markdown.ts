// The `md` export: a readable markdown document — per hierarchy the problem, the core techniques,
// the sketch, the proof (with its verdict) and the review when there is one. Text is written as it
// is (it already is markdown + TeX); layers that did not parse into items are shown as their raw text.
import type { AnyLayer, Hierarchy, Review } from '../hierarchy.ts';
import { hierarchyTitle, layerStatusNote, proofShowsVerdict, withoutLeadingLabel } from './common.ts';

/** "1. text" with continuation lines indented under the text, so the item stays one list item. */
function numbered(number: number, text: string): string {
  const prefix = `${number}. `;
  return prefix + text.trim().split('\n').join(`\n${' '.repeat(prefix.length)}`);
}

function layerNotes(layer: AnyLayer): string[] {
  const notes: string[] = [];
  const status = layerStatusNote(layer);
  if (status) notes.push(status);
  const origin = [layer.model ? `Model: \`${layer.model.replaceAll('`', "'")}\`` : '', layer.edited ? 'edited by hand' : ''].filter(Boolean).join('; ');
  if (origin) notes.push(`${origin.charAt(0).toUpperCase()}${origin.slice(1)}.`);
  return notes.length ? [`_${notes.join(' ')}_`, ''] : [];
}

/** The statement's own bold label ("**Lemma 2.**"), or "**Problem.**". */
function problemLine(problem: string): string {
  const statement = withoutLeadingLabel(problem).trim();
  const label = problem.trim().slice(0, problem.trim().length - statement.length).trim();
  return `${label || '**Problem.**'} ${statement}`.trim();
}

function reviewLines(review: Review): string[] {
  const parts = (['validity', 'completeness', 'correctness', 'clarity'] as const).map((name) => `${name} ${review[name].toFixed(2)}`);
  const judge = review.model ? ` (judge: \`${review.model.replaceAll('`', "'")}\`)` : '';
  return ['### Review', '', `**Score ${review.score.toFixed(2)}** — ${parts.join(' · ')}${judge}`, '', ...(review.explanation.trim() ? [review.explanation.trim(), ''] : [])];
}

/** One hierarchy as markdown (a level-2 heading and level-3 sections). */
export function hierarchyToMarkdown(hierarchy: Hierarchy, index = 0, total = 1): string {
  const { techniques, sketch, proof } = hierarchy.layers;
  const lines: string[] = [`## ${hierarchyTitle(hierarchy, index, total)}`, '', problemLine(hierarchy.problem), ''];
  if (techniques.items.length > 0 || techniques.raw.trim()) {
    lines.push('### Core techniques', '', ...layerNotes(techniques));
    if (techniques.items.length > 0) {
      techniques.items.forEach((item, position) => {
        const detail = item.detail.trim();
        lines.push(numbered(position + 1, `**${item.name.trim()}** (${item.kind})${detail ? `: ${detail}` : ''}`));
      });
    } else {
      lines.push(techniques.raw.trim());
    }
    lines.push('');
  }
  if (sketch.steps.length > 0 || sketch.raw.trim()) {
    lines.push('### Proof sketch', '', ...layerNotes(sketch));
    if (sketch.steps.length > 0) sketch.steps.forEach((step, position) => lines.push(numbered(position + 1, step.text)));
    else lines.push(sketch.raw.trim());
    lines.push('');
  }
  const proofText = proof.text.trim() || proof.raw.trim();
  if (proofText) {
    lines.push('### Proof', '', ...layerNotes(proof), proofText, '');
    if (proof.verdict && !proofShowsVerdict(proofText, proof.verdict)) lines.push(`**Verdict:** ${proof.verdict}.`, '');
  }
  if (hierarchy.review) lines.push(...reviewLines(hierarchy.review));
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Several hierarchies, separated by horizontal rules. */
export function hierarchiesToMarkdown(hierarchies: readonly Hierarchy[]): string {
  return hierarchies.map((hierarchy, index) => hierarchyToMarkdown(hierarchy, index, hierarchies.length)).join('\n---\n\n');
}
