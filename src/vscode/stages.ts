import { LAYER_STAGES, type LayerStage } from '../core/hierarchy.ts';

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
  return typeof value === 'string' && (LAYER_STAGES as readonly string[]).includes(value);
}

