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

/**
 * Where proofs are written by people: local and remote files, untitled documents and virtual
 * workspaces. Other markdown documents (git's old versions in a diff, layer documents, output)
 * get no CodeLenses and are never restored from.
 */
export const USER_DOCUMENT_SCHEMES: readonly string[] = ['file', 'untitled', 'vscode-remote', 'vscode-vfs'];

export function isLayerStage(value: unknown): value is LayerStage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

export function stagesAfter(stage: LayerStage): LayerStage[] {
  return STAGES.slice(STAGES.indexOf(stage) + 1);
}
