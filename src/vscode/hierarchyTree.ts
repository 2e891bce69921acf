import * as vscode from 'vscode';
import type { Hierarchy, LayerStage, LayerStatus } from '../core/hierarchy.ts';
import type { HierarchyStore } from './hierarchyStore.ts';
import { LAYER_STAGES } from '../core/hierarchy.ts';
import { LAYER_TITLES } from './stages.ts';
import { Throttle } from './throttle.ts';

export { LAYER_TITLES } from './stages.ts';

/** What a row of the Proof Hierarchy view stands for. Nodes hold ids, never copies of the data. */
export type TreeNode =
  | { readonly kind: 'hierarchy'; readonly hierarchyId: string }
  | { readonly kind: 'layer'; readonly hierarchyId: string; readonly stage: LayerStage }
  | { readonly kind: 'item'; readonly hierarchyId: string; readonly stage: 'techniques' | 'sketch'; readonly index: number };

/** At most this many view refreshes per second while a layer streams in. */
export const TREE_REFRESHES_PER_SECOND = 10;

const STATUS_ICONS: Record<LayerStatus, vscode.ThemeIcon> = {
  empty: new vscode.ThemeIcon('circle-large-outline'),
  generating: new vscode.ThemeIcon('loading~spin'),
  draft: new vscode.ThemeIcon('circle-large-filled', new vscode.ThemeColor('charts.blue')),
  accepted: new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed')),
  stale: new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground')),
};

/** Model output is untrusted: tooltips render it as plain markdown with no commands, HTML or themes. */
export function untrustedMarkdown(text: string): vscode.MarkdownString {
  const markdown = new vscode.MarkdownString(text, false);
  markdown.isTrusted = false;
  markdown.supportHtml = false;
  return markdown;
}

/** The first non-empty line of a markdown text, without heading marks or emphasis, shortened for a label. */
export function firstLine(text: string, max = 80): string {
  const line = text.trim().split('\n').find((candidate) => candidate.trim() !== '') ?? '';
  const clean = line
    .replace(/^#+\s*/, '')
    .replace(/(\*\*|__)(.*?)\1/g, '$2')
    .replace(/\s+/g, ' ')
    .trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Whether a run is generating a hierarchy right now (the tree shows and the menus offer Cancel). */
export interface RunState {
  isRunning(hierarchyId: string): boolean;
}

/**
 * The Proof Hierarchy view: one node per problem, its three layers below, techniques and steps
 * below those. Store changes are coalesced: while a layer streams in, the view refreshes the
 * changed hierarchies at most TREE_REFRESHES_PER_SECOND times a second.
 */
export class HierarchyTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;
  private readonly store: HierarchyStore;
  private readonly throttle: Throttle;
  private readonly changedIds = new Set<string>();
  private structureChanged = false;
  /** VS Code refreshes an element by identity, so every node is created once and reused. */
  private readonly nodes = new Map<string, TreeNode>();
  private runs: RunState = { isRunning: () => false };

  constructor(store: HierarchyStore) {
    this.store = store;
    this.throttle = new Throttle(() => this.fireChanges(), 1000 / TREE_REFRESHES_PER_SECOND);
    this.subscription = store.onDidChange((hierarchy) => this.refresh(hierarchy?.id));
  }

  /** Tells the tree where to read run state from (set once the run controller exists). */
  setRunState(runs: RunState): void {
    this.runs = runs;
  }

  /** Schedules a refresh of one hierarchy, or of the whole view when no id is given. */
  refresh(hierarchyId?: string): void {
    if (hierarchyId === undefined) this.structureChanged = true;
    else this.changedIds.add(hierarchyId);
    this.throttle.schedule();
    // Hierarchies added or deleted: tell the view at once, so it never asks for rows that are gone.
    if (hierarchyId === undefined) this.throttle.flush();
  }

  /** Fires a pending refresh now instead of at the next throttle tick. */
  flush(): void {
    this.throttle.flush();
  }

  private fireChanges(): void {
    if (this.structureChanged) {
      this.structureChanged = false;
      this.changedIds.clear();
      this.pruneNodes();
      this.changed.fire(undefined);
      return;
    }
    const nodes = [...this.changedIds].filter((id) => this.store.get(id)).map((id) => this.node({ kind: 'hierarchy', hierarchyId: id }));
    this.changedIds.clear();
    if (nodes.length > 0) this.changed.fire(nodes);
  }

  private pruneNodes(): void {
    for (const [key, node] of this.nodes) {
      if (!this.store.get(node.hierarchyId)) this.nodes.delete(key);
    }
  }

  private node<T extends TreeNode>(node: T): T {
    const key = nodeKey(node);
    const existing = this.nodes.get(key);
    if (existing) return existing as T;
    this.nodes.set(key, node);
    return node;
  }

  /** The node of a hierarchy (the same object the view holds), for `TreeView.reveal`. */
  hierarchyNode(hierarchyId: string): TreeNode {
    return this.node({ kind: 'hierarchy', hierarchyId });
  }

  layerNode(hierarchyId: string, stage: LayerStage): TreeNode {
    return this.node({ kind: 'layer', hierarchyId, stage });
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) return this.store.all().map((hierarchy) => this.hierarchyNode(hierarchy.id));
    const hierarchy = this.store.get(node.hierarchyId);
    if (!hierarchy) return [];
    if (node.kind === 'hierarchy') return LAYER_STAGES.map((stage) => this.layerNode(hierarchy.id, stage));
    if (node.kind === 'layer' && node.stage !== 'proof') {
      const stage = node.stage;
      const count = stage === 'techniques' ? hierarchy.layers.techniques.items.length : hierarchy.layers.sketch.steps.length;
      return Array.from({ length: count }, (_, index) => this.node({ kind: 'item', hierarchyId: hierarchy.id, stage, index }));
    }
    return [];
  }

  getParent(node: TreeNode): TreeNode | undefined {
    if (node.kind === 'hierarchy') return undefined;
    if (node.kind === 'layer') return this.hierarchyNode(node.hierarchyId);
    return this.layerNode(node.hierarchyId, node.stage);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const hierarchy = this.store.get(node.hierarchyId);
    if (!hierarchy) {
      // Asked for a row deleted a moment ago: answer with the row's own id so the view can drop it.
      const removed = new vscode.TreeItem('(removed)');
      removed.id = nodeKey(node);
      return removed;
    }
    switch (node.kind) {
      case 'hierarchy':
        return this.hierarchyItem(hierarchy);
      case 'layer':
        return this.layerItem(hierarchy, node.stage);
      case 'item':
        return this.childItem(hierarchy, node.stage, node.index);
    }
  }

  private hierarchyItem(hierarchy: Hierarchy): vscode.TreeItem {
    const item = new vscode.TreeItem(firstLine(hierarchy.problem) || '(empty problem)', vscode.TreeItemCollapsibleState.Expanded);
    item.id = hierarchy.id;
    const running = this.runs.isRunning(hierarchy.id);
    item.iconPath = new vscode.ThemeIcon(running ? 'sync~spin' : 'symbol-namespace');
    const where = sourceLabel(hierarchy);
    const parts = [where, hierarchy.review ? `review ${(hierarchy.review.score * 100).toFixed(0)}%` : ''].filter(Boolean);
    item.description = parts.join(' · ');
    item.tooltip = untrustedMarkdown([hierarchy.problem, where ? `_${where}_` : ''].filter(Boolean).join('\n\n'));
    item.contextValue = ['hierarchy', running ? 'running' : 'idle', hierarchy.source ? 'hasSource' : ''].filter(Boolean).join(' ');
    return item;
  }

  private layerItem(hierarchy: Hierarchy, stage: LayerStage): vscode.TreeItem {
    const layer = hierarchy.layers[stage];
    const count = stage === 'techniques' ? hierarchy.layers.techniques.items.length : stage === 'sketch' ? hierarchy.layers.sketch.steps.length : 0;
    const collapsible = count > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(LAYER_TITLES[stage], collapsible);
    item.id = `${hierarchy.id}/${stage}`;
    item.iconPath = STATUS_ICONS[layer.status];
    item.description = layerDescription(hierarchy, stage);
    const body = stage === 'proof' ? hierarchy.layers.proof.text || layer.raw : layer.raw;
    const notes = [layer.error && `**Error:** ${layer.error}`, ...(layer.warnings ?? []).map((warning) => `**Warning:** ${warning}`)].filter(Boolean);
    item.tooltip = untrustedMarkdown([...notes, body || `_${layer.status}_`].join('\n\n'));
    const running = this.runs.isRunning(hierarchy.id);
    item.contextValue = [
      'layer',
      `stage-${stage}`,
      `status-${layer.status}`,
      layer.edited ? 'edited' : '',
      layer.alternatives?.length ? 'alternatives' : '',
      running ? 'running' : 'idle',
    ]
      .filter(Boolean)
      .join(' ');
    if (layer.status !== 'empty') {
      item.command = { command: 'insightProof.editLayer', title: 'Open Layer', arguments: [this.layerNode(hierarchy.id, stage)] };
    }
    return item;
  }

  private childItem(hierarchy: Hierarchy, stage: 'techniques' | 'sketch', index: number): vscode.TreeItem {
    if (stage === 'techniques') {
      const technique = hierarchy.layers.techniques.items[index];
      const item = new vscode.TreeItem(technique?.name ?? '');
      item.id = `${hierarchy.id}/techniques/${index}`;
      item.description = technique?.kind === 'other' ? undefined : technique?.kind;
      item.tooltip = untrustedMarkdown(technique ? `**${technique.name}** (${technique.kind})\n\n${technique.detail}` : '');
      item.iconPath = new vscode.ThemeIcon('lightbulb');
      item.contextValue = 'item technique';
      return item;
    }
    const step = hierarchy.layers.sketch.steps[index];
    const item = new vscode.TreeItem(`${index + 1}. ${firstLine(step?.text ?? '')}`);
    item.id = `${hierarchy.id}/sketch/${index}`;
    item.tooltip = untrustedMarkdown(step?.text ?? '');
    item.contextValue = 'item step';
    return item;
  }

  dispose(): void {
    this.throttle.dispose();
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** The id of a node's row (TreeItem.id), unique in the view. */
function nodeKey(node: TreeNode): string {
  if (node.kind === 'hierarchy') return node.hierarchyId;
  if (node.kind === 'layer') return `${node.hierarchyId}/${node.stage}`;
  return `${node.hierarchyId}/${node.stage}/${node.index}`;
}

/** "notes.md:12" for a hierarchy that came from a document. */
export function sourceLabel(hierarchy: Hierarchy): string {
  if (!hierarchy.source) return '';
  const name = hierarchy.source.uri.split('/').pop() ?? hierarchy.source.uri;
  return `${decodeURIComponent(name)}:${hierarchy.source.startLine + 1}`;
}

/** What a layer row says next to its title: status, then what is in it. */
export function layerDescription(hierarchy: Hierarchy, stage: LayerStage): string {
  const layer = hierarchy.layers[stage];
  const parts: string[] = [layer.status];
  if (layer.status === 'generating') {
    const received = layer.raw.length;
    const thinking = layer.reasoning?.length ?? 0;
    if (received > 0) parts.push(`${received.toLocaleString('en-US')} chars`);
    else if (thinking > 0) parts.push(`thinking (${thinking.toLocaleString('en-US')} chars)`);
  } else if (stage === 'techniques' && hierarchy.layers.techniques.items.length > 0) {
    parts.push(plural(hierarchy.layers.techniques.items.length, 'technique'));
  } else if (stage === 'sketch' && hierarchy.layers.sketch.steps.length > 0) {
    parts.push(plural(hierarchy.layers.sketch.steps.length, 'step'));
  }
  if (layer.edited) parts.push('edited');
  if (stage === 'proof' && hierarchy.layers.proof.verdict) parts.push(hierarchy.layers.proof.verdict);
  if (layer.warnings?.length) parts.push('unparsed');
  if (layer.alternatives?.length) parts.push(`${plural(layer.alternatives.length, 'alternative')}`);
  return parts.join(' · ');
}
