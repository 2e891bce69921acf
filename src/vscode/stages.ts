import type { LAYER_STAGES as CORE_LAYER_STAGES, LayerStage } from '../core/hierarchy.ts';

/**
 * The core's LAYER_STAGES, restated so that the activation path does not evaluate the core (whose
 * hierarchy module pulls in zod). The compiler checks that both lists are the same tuple.
 */
export const STAGES = ['techniques', 'sketch', 'proof'] as const satisfies typeof CORE_LAYER_STAGES;

export const LAYER_TITLES: Record<LayerStage, string> = {
  techniques: 'Core techniques',
  sketch: 'Proof sketch',
  proof: 'Proof',
};

export function isLayerStage(value: unknown): value is LayerStage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

export function stagesFrom(stage: LayerStage): LayerStage[] {
  return STAGES.slice(STAGES.indexOf(stage));
}

export function stagesAfter(stage: LayerStage): LayerStage[] {
  return STAGES.slice(STAGES.indexOf(stage) + 1);
}
