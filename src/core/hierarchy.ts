// The hierarchy's constants and the operations that need no parser or validation library at run
// time: the extension's activation path and the tree import this module. Layer operations that
// parse text live in layers.ts; validation and JSON Schema in schema.ts.
import type { Hierarchy, Source, TechniquesLayer, SketchLayer, ProofLayer } from './schema.ts';

export type * from './schema.ts';

export const HIERARCHY_SCHEMA_ID = 'insight-proof.hierarchy/v1';

/** The three layers of a proof, in the order they are generated; each is conditioned on those above. */
export const LAYER_STAGES = ['techniques', 'sketch', 'proof'] as const;
export type LayerStage = (typeof LAYER_STAGES)[number];

/** Every kind of model request, as sent in the `X-Insight-Proof-Stage` header. */
export const REQUEST_STAGES = [...LAYER_STAGES, 'review'] as const;
export type RequestStage = (typeof REQUEST_STAGES)[number];

export interface Layers {
  techniques: TechniquesLayer;
  sketch: SketchLayer;
  proof: ProofLayer;
}
export type AnyLayer = Layers[LayerStage];

export function emptyLayers(): Layers {
  return {
    techniques: { status: 'empty', items: [], raw: '', edited: false },
    sketch: { status: 'empty', steps: [], raw: '', edited: false },
    proof: { status: 'empty', text: '', verdict: null, raw: '', edited: false },
  };
}

export interface NewHierarchy {
  problem: string;
  id?: string;
  source?: Source;
  input?: unknown;
  now?: Date;
}

export function createHierarchy({ problem, id, source, input, now = new Date() }: NewHierarchy): Hierarchy {
  const stamp = now.toISOString();
  return {
    schema: HIERARCHY_SCHEMA_ID,
    id: id ?? newHierarchyId(),
    problem,
    ...(source ? { source } : {}),
    layers: emptyLayers(),
    ...(input !== undefined ? { input } : {}),
    createdAt: stamp,
    updatedAt: stamp,
  };
}

/** A short, URL- and marker-safe id (it appears in `<!-- insight-proof:begin id=… -->`). */
export function newHierarchyId(): string {
  return `ip-${globalThis.crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/** The stage below a given one, if any. */
export function stageAfter(stage: LayerStage): LayerStage | undefined {
  return LAYER_STAGES[LAYER_STAGES.indexOf(stage) + 1];
}

/** The stages strictly below a given one, nearest first. */
export function stagesBelow(stage: LayerStage): LayerStage[] {
  return LAYER_STAGES.slice(LAYER_STAGES.indexOf(stage) + 1);
}

/** How sentences name each layer. */
export const STAGE_TITLES: Readonly<Record<LayerStage, string>> = {
  techniques: 'core techniques',
  sketch: 'proof sketch',
  proof: 'proof',
};

/** A fresh empty layer of a stage. */
export function emptyLayer<S extends LayerStage>(stage: S): Layers[S] {
  return emptyLayers()[stage];
}

/** True when a layer holds any text: parsed content or raw output (a failed layer's partial answer counts). */
export function layerHasContent(layer: AnyLayer): boolean {
  if (layer.raw.trim() !== '') return true;
  if ('items' in layer) return layer.items.length > 0;
  if ('steps' in layer) return layer.steps.length > 0;
  return layer.text.trim() !== '';
}

/** A new hierarchy with one layer replaced and `updatedAt` set. */
export function withLayer<S extends LayerStage>(hierarchy: Hierarchy, stage: S, layer: Layers[S], now = new Date()): Hierarchy {
  const layers: Layers = { ...hierarchy.layers };
  (layers as Record<LayerStage, AnyLayer>)[stage] = layer;
  return { ...hierarchy, layers, updatedAt: now.toISOString() };
}
