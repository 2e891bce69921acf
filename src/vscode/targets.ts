// Which hierarchy (and layer) a command acts on. From a tree item or a CodeLens: that one. From the
// command palette: the hierarchy of the theorem (or inserted proof block) at the active editor's
// cursor, else the item selected in the Proof Hierarchy view, else the most recent one.
import * as vscode from 'vscode';
import type { Hierarchy, LayerStage } from '../core/hierarchy.ts';
import type { HierarchyStore } from './hierarchyStore.ts';
import { layerDescription, type TreeNode } from './hierarchyTree.ts';
import { LAYER_STAGES } from '../core/hierarchy.ts';
import { isLayerStage, LAYER_TITLES } from './stages.ts';
import { hierarchiesOverlapping, hierarchyForStatement, newestFirst, theoremContaining, type TheoremIndex } from './theoremIndex.ts';

/** What tree items, CodeLenses and notifications pass to commands: a hierarchy, maybe a layer. */
export interface HierarchyRef {
  hierarchyId: string;
  stage?: LayerStage;
  index?: number;
}

export function asHierarchyRef(arg: unknown): HierarchyRef | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const candidate = arg as Partial<HierarchyRef>;
  if (typeof candidate.hierarchyId !== 'string') return undefined;
  return {
    hierarchyId: candidate.hierarchyId,
    ...(isLayerStage(candidate.stage) ? { stage: candidate.stage } : {}),
    ...(typeof candidate.index === 'number' ? { index: candidate.index } : {}),
  };
}

export interface LayerTarget {
  hierarchy: Hierarchy;
  stage: LayerStage;
  /** A technique or step, when the command came from one. */
  index?: number;
}

export interface LayerChoice {
  /** Quick pick title when the layer has to be asked for. */
  title: string;
  /** The layers this command can act on; the others are not offered. Default: all three. */
  applies?: (hierarchy: Hierarchy, stage: LayerStage) => boolean;
  /** Said when no layer applies. */
  none: string;
}

export const NO_HIERARCHY_MESSAGE = 'There is no proof hierarchy yet; put the cursor in a theorem in a markdown file and run Insight Proof: Prove Theorem.';

export class Targets {
  private readonly store: HierarchyStore;
  private readonly index: TheoremIndex;
  private readonly selection: () => readonly TreeNode[];

  constructor(store: HierarchyStore, index: TheoremIndex, selection: () => readonly TreeNode[]) {
    this.store = store;
    this.index = index;
    this.selection = selection;
  }

  /** The hierarchy at the cursor of the active markdown editor, if any. */
  async atCursor(editor = vscode.window.activeTextEditor): Promise<Hierarchy | undefined> {
    if (!editor || editor.document.languageId !== 'markdown') return undefined;
    const line = editor.selection.active.line;
    const uri = editor.document.uri.toString();
    const { theorems, blocks } = await this.index.index(editor.document);
    const block = blocks.find((candidate) => candidate.startLine <= line && line <= candidate.endLine);
    const fromBlock = block && this.store.get(block.id);
    if (fromBlock) return fromBlock;
    const theorem = theoremContaining(theorems, line);
    if (theorem) {
      return hierarchyForStatement(this.store, uri, theorem.statement) ?? hierarchiesOverlapping(this.store, uri, theorem.startLine, theorem.endLine)[0];
    }
    return hierarchiesOverlapping(this.store, uri, line, line)[0];
  }

  /** The hierarchy a command acts on, or undefined after saying why there is none. */
  async hierarchy(arg: unknown): Promise<Hierarchy | undefined> {
    const ref = asHierarchyRef(arg);
    if (ref) {
      const hierarchy = this.store.get(ref.hierarchyId);
      if (!hierarchy) void vscode.window.showWarningMessage('Insight Proof: that proof hierarchy no longer exists.');
      return hierarchy;
    }
    const found = (await this.atCursor()) ?? this.fromSelection() ?? newestFirst(this.store.all())[0];
    if (!found) void vscode.window.showInformationMessage(`Insight Proof: ${NO_HIERARCHY_MESSAGE}`);
    return found;
  }

  private fromSelection(): Hierarchy | undefined {
    const node = this.selection()[0];
    return node ? this.store.get(node.hierarchyId) : undefined;
  }

  /**
   * The layer a command acts on: the one it was invoked on, else the layer selected in the view
   * (when it belongs to the same hierarchy), else the only layer that applies, else the person picks.
   */
  async layer(arg: unknown, choice: LayerChoice): Promise<LayerTarget | undefined> {
    const ref = asHierarchyRef(arg);
    const hierarchy = await this.hierarchy(arg);
    if (!hierarchy) return undefined;
    const applies = (stage: LayerStage) => choice.applies?.(hierarchy, stage) ?? true;
    if (ref?.stage) return { hierarchy, stage: ref.stage, ...(ref.index !== undefined ? { index: ref.index } : {}) };

    const selected = this.selection()[0];
    if (!ref && selected && (selected.kind === 'layer' || selected.kind === 'item') && selected.hierarchyId === hierarchy.id && applies(selected.stage)) {
      return { hierarchy, stage: selected.stage };
    }
    const candidates = LAYER_STAGES.filter(applies);
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage(`Insight Proof: ${choice.none}`);
      return undefined;
    }
    if (candidates.length === 1) return { hierarchy, stage: candidates[0]! };
    const picked = await vscode.window.showQuickPick(
      candidates.map((stage) => ({ label: LAYER_TITLES[stage], description: layerDescription(hierarchy, stage), stage })),
      { title: choice.title, placeHolder: `Which layer? (${firstWords(hierarchy.problem)})` },
    );
    return picked ? { hierarchy, stage: picked.stage } : undefined;
  }
}

function firstWords(text: string, max = 60): string {
  const clean = text.replace(/\*\*|__/g, '').replace(/\s+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
