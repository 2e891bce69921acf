// What every export format needs: a title per hierarchy, a note for layers a reader should not
// take at face value, and whether the proof text already shows its verdict.
import type { AnyLayer, Hierarchy } from '../hierarchy.ts';
import { parseVerdict } from '../parse.ts';

/** The name a problem record carries (DeepTheorem's problem_name, or id / name), if any. */
export function recordName(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const record = input as Record<string, unknown>;
  for (const field of [record.problem_name, record.id, record.name]) {
    if (typeof field === 'string' && field.trim()) return field.trim();
    if (typeof field === 'number' && Number.isFinite(field)) return String(field);
  }
  return undefined;
}

/** The last path segment of a URI or path, decoded when it is percent-encoded. */
function uriBaseName(uri: string): string {
  const segment = uri.replace(/[?#].*$/, '').split(/[\\/]/).filter(Boolean).pop() ?? uri;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * A heading for a hierarchy: the problem record's name (batch runs), else where the theorem is
 * (file and line), else "Problem N".
 */
export function hierarchyTitle(hierarchy: Hierarchy, index: number, total: number): string {
  const name = recordName(hierarchy.input);
  if (name) return name;
  if (hierarchy.source) return `${uriBaseName(hierarchy.source.uri)}, line ${hierarchy.source.startLine + 1}`;
  return total > 1 ? `Problem ${index + 1}` : 'Problem';
}

/** A sentence for a layer whose content a reader should not take as final, else undefined. */
export function layerStatusNote(layer: AnyLayer): string | undefined {
  switch (layer.status) {
    case 'stale':
      return 'Stale: written for an earlier version of the layers above.';
    case 'failed':
      return `Incomplete: the generation failed${layer.error ? ` (${layer.error.replace(/\.$/, '')})` : ''}.`;
    case 'generating':
      return 'Incomplete: this layer was still being generated.';
    default:
      return undefined;
  }
}

/** True when the proof text's own last \boxed{…} already states the layer's verdict. */
export function proofShowsVerdict(text: string, verdict: 'proved' | 'disproved' | null): boolean {
  return verdict === null || parseVerdict(text) === verdict;
}

const LEADING_LABEL = /^\s*(?:\*\*|__)(?:theorem|lemma|proposition|claim|problem|corollary|conjecture|exercise|question)\b[^*_\n]{0,60}?(?:\*\*|__)\s*/i;

/** The statement without a leading bold label such as "**Theorem 2.**" (the exports add their own). */
export function withoutLeadingLabel(statement: string): string {
  return statement.replace(LEADING_LABEL, '');
}
