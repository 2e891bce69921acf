import * as vscode from 'vscode';
import type { Hierarchy, LayerStage, LayerStatus, Review } from '../core/hierarchy.ts';
import type { RubricPart } from '../core/review.ts';
import { loadCore, loadedCore } from './core.ts';
import type { HierarchyStore } from './hierarchyStore.ts';
import { LAYER_STAGES } from '../core/hierarchy.ts';
import { LAYER_TITLES } from './stages.ts';
import { Throttle } from './throttle.ts';

export { LAYER_TITLES } from './stages.ts';

/** What a row of the Proof Hierarchy view stands for. Nodes hold ids, never copies of the data. */
export type TreeNode =
  | { readonly kind: 'hierarchy'; readonly hierarchyId: string }
  | { readonly kind: 'layer'; readonly hierarchyId: string; readonly stage: LayerStage }
  | { readonly kind: 'item'; readonly hierarchyId: string; readonly stage: 'techniques' | 'sketch'; readonly index: number }
  /** The judge's review of the proof; with `part`, one rubric score or the explanation below it. */
  | { readonly kind: 'review'; readonly hierarchyId: string; readonly part?: RubricPart | 'explanation' };

/** How the review rows name the rubric's parts, in the rubric's order. */
export const REVIEW_PART_TITLES: Readonly<Record<RubricPart, string>> = {
  validity: 'Validity',
  completeness: 'Completeness',
  correctness: 'Correctness',
  clarity: 'Clarity',
};
const REVIEW_PARTS = Object.keys(REVIEW_PART_TITLES) as RubricPart[];

/** "82%": a review score as the view shows it. */
export function percent(score: number): string {
  return `${(score * 100).toFixed(0)}%`;
}

/**
 * Whether the proof changed after its review. The core decides (isReviewStale); a hierarchy with a
 * review exists only once the core has been loaded to make or read it, so the answer is at hand.
 */
export function reviewIsStale(hierarchy: Hierarchy): boolean {
  return loadedCore()?.isReviewStale(hierarchy) ?? false;
}

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

  /** The review row of a hierarchy (shown only when it has a review). */
  reviewNode(hierarchyId: string): TreeNode {
    return this.node({ kind: 'review', hierarchyId });
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) return this.store.all().map((hierarchy) => this.hierarchyNode(hierarchy.id));
    const hierarchy = this.store.get(node.hierarchyId);
    if (!hierarchy) return [];
    if (node.kind === 'hierarchy') {
      const layers = LAYER_STAGES.map((stage) => this.layerNode(hierarchy.id, stage));
      return hierarchy.review ? [...layers, this.reviewNode(hierarchy.id)] : layers;
    }
    if (node.kind === 'review') {
      if (node.part || !hierarchy.review) return [];
      const parts: (RubricPart | 'explanation')[] = hierarchy.review.explanation.trim() ? [...REVIEW_PARTS, 'explanation'] : REVIEW_PARTS;
      return parts.map((part) => this.node({ kind: 'review', hierarchyId: hierarchy.id, part }));
    }
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
    if (node.kind === 'review') return node.part ? this.reviewNode(node.hierarchyId) : this.hierarchyNode(node.hierarchyId);
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
      case 'review':
        return this.reviewItem(hierarchy, node.part);
    }
  }

  private hierarchyItem(hierarchy: Hierarchy): vscode.TreeItem {
    const item = new vscode.TreeItem(firstLine(hierarchy.problem) || '(empty problem)', vscode.TreeItemCollapsibleState.Expanded);
    item.id = hierarchy.id;
    const running = this.runs.isRunning(hierarchy.id);
    item.iconPath = new vscode.ThemeIcon(running ? 'sync~spin' : 'symbol-namespace');
    const where = sourceLabel(hierarchy);
    const review = hierarchy.review ? `review ${percent(hierarchy.review.score)}${this.reviewStale(hierarchy) ? ' (stale)' : ''}` : '';
    item.description = [where, review].filter(Boolean).join(' · ');
    item.tooltip = untrustedMarkdown([hierarchy.problem, where ? `_${where}_` : '', review ? `_${review}_` : ''].filter(Boolean).join('\n\n'));
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

  /** isReviewStale, loading the core (and refreshing the row) in the rare case nothing has yet. */
  private reviewStale(hierarchy: Hierarchy): boolean {
    if (!loadedCore()) {
      void loadCore().then(() => this.refresh(hierarchy.id), () => undefined);
      return false;
    }
    return reviewIsStale(hierarchy);
  }

  private reviewItem(hierarchy: Hierarchy, part: RubricPart | 'explanation' | undefined): vscode.TreeItem {
    const review = hierarchy.review;
    if (!review) {
      const removed = new vscode.TreeItem('(removed)');
      removed.id = `${hierarchy.id}/review${part ? `/${part}` : ''}`;
      return removed;
    }
    const stale = this.reviewStale(hierarchy);
    if (part === 'explanation') {
      const item = new vscode.TreeItem(firstLine(review.explanation, 100));
      item.id = `${hierarchy.id}/review/explanation`;
      item.iconPath = new vscode.ThemeIcon('comment');
      item.tooltip = untrustedMarkdown(review.explanation);
      item.contextValue = 'reviewPart';
      return item;
    }
    if (part) {
      const item = new vscode.TreeItem(REVIEW_PART_TITLES[part]);
      item.id = `${hierarchy.id}/review/${part}`;
      const weight = loadedCore()?.RUBRIC_WEIGHTS[part];
      item.description = `${review[part].toFixed(2)}${weight === undefined ? '' : ` × ${weight}`}`;
      item.tooltip = reviewTooltip(review, stale);
      item.contextValue = 'reviewPart';
      return item;
    }
    const item = new vscode.TreeItem('Review', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `${hierarchy.id}/review`;
    item.iconPath = stale ? STATUS_ICONS.stale : new vscode.ThemeIcon('law');
    item.description = [percent(review.score), stale ? 'stale' : '', review.model ?? ''].filter(Boolean).join(' · ');
    item.tooltip = reviewTooltip(review, stale);
    item.contextValue = ['review', stale ? 'stale' : '', this.runs.isRunning(hierarchy.id) ? 'running' : 'idle'].filter(Boolean).join(' ');
    return item;
  }

  dispose(): void {
    this.throttle.dispose();
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** The review as a small table and the judge's explanation (untrusted: plain markdown only). */
export function reviewTooltip(review: Review, stale: boolean): vscode.MarkdownString {
  const weights = loadedCore()?.RUBRIC_WEIGHTS;
  const rows = REVIEW_PARTS.map((part) => `| ${REVIEW_PART_TITLES[part]} | ${review[part].toFixed(2)} | ${weights ? weights[part] : ''} |`);
  const judged = [review.model && `by ${review.model}`, review.createdAt && `on ${new Date(review.createdAt).toLocaleString()}`].filter(Boolean).join(' ');
  return untrustedMarkdown(
    [
      `**Review: ${percent(review.score)}**${judged ? ` (${judged})` : ''}`,
      stale ? '_Stale: the proof changed after this review; review it again._' : '',
      ['| Part | Score | Weight |', '| --- | --- | --- |', ...rows].join('\n'),
      review.explanation,
    ]
      .filter(Boolean)
      .join('\n\n'),
  );
}

/** The id of a node's row (TreeItem.id), unique in the view. */
function nodeKey(node: TreeNode): string {
  if (node.kind === 'hierarchy') return node.hierarchyId;
  if (node.kind === 'layer') return `${node.hierarchyId}/${node.stage}`;
  if (node.kind === 'review') return `${node.hierarchyId}/review${node.part ? `/${node.part}` : ''}`;
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
