// Layer operations: accept, edit, switch alternatives, mark stale. They parse a person's text, so
// they live apart from hierarchy.ts, which the extension loads at activation.
import {
  layerHasContent,
  STAGE_TITLES,
  stagesBelow,
  withLayer,
  type AnyLayer,
  type Hierarchy,
  type Layers,
  type LayerStage,
  type ProofLayer,
  type SketchLayer,
  type TechniquesLayer,
} from './hierarchy.ts';
import { parseProof, parseSketch, parseTechniques, parseVerdict } from './parse.ts';

// ---------------------------------------------------------------------------------------------
// Layer operations (pure: each returns a new hierarchy and never mutates its argument).
//
// Status rules, as the person sees them:
// - generation: empty → generating → draft (or failed, keeping the partial text);
// - acceptLayer: draft or stale → accepted;
// - editLayer: the person's text becomes the layer with edited = true and status `accepted` — an
//   edit is the person's own decision, so there is nothing left to accept. The pipeline never
//   overwrites an edited layer without an explicit override;
// - every change of a layer's content (edit, regeneration, switching alternatives) marks the layers
//   below that hold content (draft or accepted) `stale`: they were built on what is no longer there.
// - earlier content is kept in `alternatives` (oldest first, at most MAX_ALTERNATIVES): a
//   regeneration or a switch keeps the content it replaces; an edit keeps the generated content it
//   replaces, but not the person's previous edit (saving an edited layer again supersedes it).
// ---------------------------------------------------------------------------------------------

/** At most this many earlier generations are kept per layer; the oldest is dropped first. */
export const MAX_ALTERNATIVES = 10;

/** "The core techniques are" / "The proof sketch is": the subject of a sentence about a layer. */
function theLayerIs(stage: LayerStage): string {
  return `The ${STAGE_TITLES[stage]} ${stage === 'techniques' ? 'are' : 'is'}`;
}

/** An operation that does not apply to the layer in its current state; the message says what to do. */
export class LayerStateError extends Error {
  readonly stage: LayerStage;
  constructor(stage: LayerStage, message: string) {
    super(message);
    this.name = 'LayerStateError';
    this.stage = stage;
  }
}

/** The content fields of a layer (what an alternative stores besides raw/model/reasoning/edited). */
function contentOf(layer: AnyLayer): Record<string, unknown> {
  if ('items' in layer) return { items: layer.items };
  if ('steps' in layer) return { steps: layer.steps };
  return { text: layer.text, verdict: layer.verdict };
}

/** The layer's alternatives with its current content appended (when it has any), capped at MAX_ALTERNATIVES. */
export function alternativesWithCurrent<L extends AnyLayer>(layer: L, now = new Date()): NonNullable<L['alternatives']> {
  type Alternative = NonNullable<L['alternatives']>[number];
  const earlier = (layer.alternatives ?? []) as Alternative[];
  if (!layerHasContent(layer)) return earlier as NonNullable<L['alternatives']>;
  const current = {
    ...contentOf(layer),
    raw: layer.raw,
    ...(layer.model !== undefined ? { model: layer.model } : {}),
    ...(layer.reasoning ? { reasoning: layer.reasoning } : {}),
    edited: layer.edited,
    createdAt: layer.updatedAt ?? now.toISOString(),
  } as Alternative;
  return [...earlier, current].slice(-MAX_ALTERNATIVES) as NonNullable<L['alternatives']>;
}

/** Marks every layer below `stage` that holds generated or accepted content as stale. */
export function markStaleBelow(hierarchy: Hierarchy, stage: LayerStage, now = new Date()): Hierarchy {
  let result = hierarchy;
  for (const below of stagesBelow(stage)) {
    const layer = result.layers[below];
    if (layer.status === 'draft' || layer.status === 'accepted') {
      result = withLayer(result, below, { ...layer, status: 'stale', updatedAt: now.toISOString() }, now);
    }
  }
  return result;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Accepts a draft (or a stale layer the person checked); accepting an accepted layer changes nothing. */
export function acceptLayer(hierarchy: Hierarchy, stage: LayerStage, now = new Date()): Hierarchy {
  const layer = hierarchy.layers[stage];
  const title = STAGE_TITLES[stage];
  switch (layer.status) {
    case 'accepted':
      return hierarchy;
    case 'draft':
    case 'stale':
      return withLayer(hierarchy, stage, { ...layer, status: 'accepted', updatedAt: now.toISOString() }, now);
    case 'generating':
      throw new LayerStateError(stage, `${theLayerIs(stage)} still being generated; wait for the generation to finish or cancel it first.`);
    case 'failed':
      throw new LayerStateError(stage, `${capitalized(title)} generation failed; regenerate or edit the layer before accepting it.`);
    case 'empty':
      throw new LayerStateError(stage, `There is no ${title} to accept yet; generate it first.`);
  }
}

/** The layer as the markdown document a person edits; `editLayer` parses it back to the same content. */
export function layerMarkdown(hierarchy: Hierarchy, stage: LayerStage): string {
  const layer = hierarchy.layers[stage];
  // Output that did not parse cleanly is shown as it came, so the person fixes the real text.
  if (layer.warnings?.length && layer.raw.trim() && !layer.edited) return `${layer.raw.trim()}\n`;
  let body: string;
  if ('items' in layer) {
    // "1. **Name** (kind): detail" — the bold name keeps colons inside names unambiguous, and the
    // kind marker (which parse.ts reads back) lets the person see and change the kind.
    body = layer.items
      .map((item, index) => {
        const prefix = `${index + 1}. `;
        const detail = item.detail.trim().split('\n').join(`\n${' '.repeat(prefix.length)}`);
        return `${prefix}**${item.name.trim()}** (${item.kind})${detail ? `: ${detail}` : ''}`;
      })
      .join('\n');
  } else if ('steps' in layer) {
    body = layer.steps
      .map((step, index) => {
        const prefix = `${index + 1}. `;
        return prefix + step.text.trim().split('\n').join(`\n${' '.repeat(prefix.length)}`);
      })
      .join('\n');
  } else {
    body = layer.text.trim();
    if (layer.verdict && parseVerdict(body) !== layer.verdict) body += `\n\n\\boxed{${layer.verdict}}`;
  }
  if (!body.trim()) body = layer.raw.trim();
  return body ? `${body}\n` : '';
}

/**
 * Replaces a layer with the person's markdown: parsed into items / steps / proof (never losing
 * text: what does not parse becomes one item with a warning), raw = their text, edited = true,
 * status `accepted`, layers below marked stale. Saving the unchanged document changes nothing;
 * saving an empty document clears the layer (its content kept as an alternative).
 */
export function editLayer(hierarchy: Hierarchy, stage: LayerStage, markdown: string, now = new Date()): Hierarchy {
  const layer = hierarchy.layers[stage];
  if (layer.status === 'generating') {
    throw new LayerStateError(stage, `The ${STAGE_TITLES[stage]} generation is still running; cancel it or wait before editing.`);
  }
  const text = markdown.trim();
  if (text === layerMarkdown(hierarchy, stage).trim() && layer.status !== 'failed') return hierarchy;
  // An earlier hand edit is superseded; generated content is kept so the person can go back to it.
  const alternatives = layer.edited ? layer.alternatives : alternativesWithCurrent(layer, now);
  const stamp = now.toISOString();
  const base = {
    raw: text,
    edited: text !== '',
    ...(layer.model !== undefined ? { model: layer.model } : {}),
    ...(alternatives?.length ? { alternatives } : {}),
    updatedAt: stamp,
  };
  const status = text === '' ? 'empty' : 'accepted';
  let next: AnyLayer;
  if (stage === 'techniques') {
    const parsed = text ? parseTechniques(text) : { value: [], warnings: [] };
    next = { ...base, status, items: parsed.value, ...(parsed.warnings.length ? { warnings: parsed.warnings } : {}) } as TechniquesLayer;
  } else if (stage === 'sketch') {
    const parsed = text ? parseSketch(text) : { value: [], warnings: [] };
    next = { ...base, status, steps: parsed.value, ...(parsed.warnings.length ? { warnings: parsed.warnings } : {}) } as SketchLayer;
  } else {
    const parsed = text ? parseProof(text) : { value: { text: '', verdict: null }, warnings: [] };
    next = { ...base, status, text: parsed.value.text, verdict: parsed.value.verdict, ...(parsed.warnings.length ? { warnings: parsed.warnings } : {}) } as ProofLayer;
  }
  return markStaleBelow(withLayer(hierarchy, stage, next as Layers[typeof stage], now), stage, now);
}

/**
 * Makes alternatives[index] the current content and keeps the current content in its place (a
 * swap, so switching back and forth loses nothing). The chosen content becomes a draft (accepted if
 * a person had edited it), and the layers below become stale.
 */
export function selectAlternative(hierarchy: Hierarchy, stage: LayerStage, index: number, now = new Date()): Hierarchy {
  const layer = hierarchy.layers[stage];
  const alternatives = layer.alternatives ?? [];
  const chosen = alternatives[index];
  if (!Number.isInteger(index) || !chosen) {
    throw new LayerStateError(stage, `There is no earlier version number ${index + 1} of the ${STAGE_TITLES[stage]}; pick one of the ${alternatives.length} listed.`);
  }
  if (layer.status === 'generating') {
    throw new LayerStateError(stage, `The ${STAGE_TITLES[stage]} generation is still running; cancel it or wait before switching.`);
  }
  const stamp = now.toISOString();
  const remaining = [...alternatives];
  if (layerHasContent(layer)) {
    const [current] = alternativesWithCurrent({ ...layer, alternatives: [] }, now);
    remaining[index] = current!;
  } else {
    remaining.splice(index, 1);
  }
  const { createdAt: _createdAt, ...content } = chosen;
  const next = {
    ...content,
    status: chosen.edited ? 'accepted' : 'draft',
    ...(remaining.length ? { alternatives: remaining } : {}),
    updatedAt: stamp,
  } as Layers[typeof stage];
  return markStaleBelow(withLayer(hierarchy, stage, next, now), stage, now);
}
