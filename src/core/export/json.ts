// The `json` and `jsonl` exports: the hierarchy format of DESIGN.md, as it is.
//
// json: one hierarchy is one pretty-printed object; several are a pretty-printed array (what
// `importHierarchies` reads back either way).
// jsonl: one hierarchy per line — a dataset. Each line also carries `provenance`, a summary of what
// the hierarchy already records (model per layer, which layers a person edited, statuses,
// timestamps), so a dataset can be filtered without knowing the layer structure, e.g.
// `jq 'select(.provenance.edited | length > 0)'`. The line stays a valid hierarchy (the format
// allows extra top-level fields); import drops `provenance` again, since it is derived.
import { LAYER_STAGES, type Hierarchy, type LayerStage, type LayerStatus, type RequestStage } from '../hierarchy.ts';

export interface Provenance {
  /** Model id per layer (and the judge's for the review), where known. */
  models: Partial<Record<RequestStage, string>>;
  /** The layers a person changed by hand, in stage order. */
  edited: LayerStage[];
  statuses: Record<LayerStage, LayerStatus>;
  /** When each layer last changed, where known. */
  layerUpdatedAt: Partial<Record<LayerStage, string>>;
  reviewedAt?: string;
  createdAt: string;
  updatedAt: string;
}

/** The key under which a JSONL line carries its provenance summary. */
export const PROVENANCE_KEY = 'provenance';

export function provenanceOf(hierarchy: Hierarchy): Provenance {
  const models: Partial<Record<RequestStage, string>> = {};
  const layerUpdatedAt: Partial<Record<LayerStage, string>> = {};
  for (const stage of LAYER_STAGES) {
    const layer = hierarchy.layers[stage];
    if (layer.model) models[stage] = layer.model;
    if (layer.updatedAt) layerUpdatedAt[stage] = layer.updatedAt;
  }
  if (hierarchy.review?.model) models.review = hierarchy.review.model;
  return {
    models,
    edited: LAYER_STAGES.filter((stage) => hierarchy.layers[stage].edited),
    statuses: { techniques: hierarchy.layers.techniques.status, sketch: hierarchy.layers.sketch.status, proof: hierarchy.layers.proof.status },
    layerUpdatedAt,
    ...(hierarchy.review?.createdAt ? { reviewedAt: hierarchy.review.createdAt } : {}),
    createdAt: hierarchy.createdAt,
    updatedAt: hierarchy.updatedAt,
  };
}

export function hierarchiesToJson(hierarchies: readonly Hierarchy[]): string {
  const value = hierarchies.length === 1 ? hierarchies[0] : hierarchies;
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function hierarchiesToJsonl(hierarchies: readonly Hierarchy[]): string {
  return hierarchies.map((hierarchy) => `${JSON.stringify({ ...hierarchy, [PROVENANCE_KEY]: provenanceOf(hierarchy) })}\n`).join('');
}
