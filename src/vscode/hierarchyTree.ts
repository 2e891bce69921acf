import * as vscode from 'vscode';
import type { Hierarchy, LayerStage, LayerStatus } from '../core/hierarchy.ts';
import { LAYER_STAGES } from '../core/hierarchy.ts';
import type { HierarchyStore } from './hierarchyStore.ts';

/** What a row of the Proof Hierarchy view stands for. Nodes hold ids, never copies of the data. */
export type TreeNode =
  | { readonly kind: 'hierarchy'; readonly hierarchyId: string }
  | { readonly kind: 'layer'; readonly hierarchyId: string; readonly stage: LayerStage }
  | { readonly kind: 'item'; readonly hierarchyId: string; readonly stage: 'techniques' | 'sketch'; readonly index: number };

export const LAYER_TITLES: Record<LayerStage, string> = {
  techniques: 'Core techniques',
  sketch: 'Proof sketch',
  proof: 'Proof',
};

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

function firstLine(text: string, max = 80): string {
  const line = text.trim().split('\n').find((candidate) => candidate.trim() !== '') ?? '';
  const clean = line.replace(/^#+\s*/, '').replace(/\s+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** The Proof Hierarchy view: one node per problem, its three layers below, techniques and steps below those. */
export class HierarchyTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;
  private readonly store: HierarchyStore;

  constructor(store: HierarchyStore) {
    this.store = store;
    this.subscription = store.onDidChange(() => this.changed.fire(undefined));
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) return this.store.all().map((hierarchy) => ({ kind: 'hierarchy', hierarchyId: hierarchy.id }));
    const hierarchy = this.store.get(node.hierarchyId);
    if (!hierarchy) return [];
    if (node.kind === 'hierarchy') {
      return LAYER_STAGES.map((stage) => ({ kind: 'layer', hierarchyId: hierarchy.id, stage }));
    }
    if (node.kind === 'layer' && node.stage !== 'proof') {
      const count = node.stage === 'techniques' ? hierarchy.layers.techniques.items.length : hierarchy.layers.sketch.steps.length;
      return Array.from({ length: count }, (_, index) => ({ kind: 'item', hierarchyId: hierarchy.id, stage: node.stage as 'techniques' | 'sketch', index }));
    }
    return [];
  }

  getParent(node: TreeNode): TreeNode | undefined {
    if (node.kind === 'hierarchy') return undefined;
    if (node.kind === 'layer') return { kind: 'hierarchy', hierarchyId: node.hierarchyId };
    return { kind: 'layer', hierarchyId: node.hierarchyId, stage: node.stage };
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const hierarchy = this.store.get(node.hierarchyId);
    if (!hierarchy) return new vscode.TreeItem('(removed)');
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
    item.iconPath = new vscode.ThemeIcon('symbol-namespace');
    item.tooltip = untrustedMarkdown(hierarchy.problem);
    item.contextValue = 'hierarchy';
    if (hierarchy.review) item.description = `review ${(hierarchy.review.score * 100).toFixed(0)}%`;
    return item;
  }

  private layerItem(hierarchy: Hierarchy, stage: LayerStage): vscode.TreeItem {
    const layer = hierarchy.layers[stage];
    const count = stage === 'techniques' ? hierarchy.layers.techniques.items.length : stage === 'sketch' ? hierarchy.layers.sketch.steps.length : 0;
    const collapsible = count > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(LAYER_TITLES[stage], collapsible);
    item.id = `${hierarchy.id}/${stage}`;
    item.iconPath = STATUS_ICONS[layer.status];
    const parts: string[] = [layer.status];
    if (layer.edited) parts.push('edited');
    if (stage === 'proof' && hierarchy.layers.proof.verdict) parts.push(hierarchy.layers.proof.verdict);
    if (layer.warnings?.length) parts.push('unparsed');
    item.description = parts.join(' · ');
    const body = stage === 'proof' ? hierarchy.layers.proof.text || layer.raw : layer.raw;
    const notes = [layer.error && `**Error:** ${layer.error}`, ...(layer.warnings ?? []).map((warning) => `**Warning:** ${warning}`)].filter(Boolean);
    item.tooltip = untrustedMarkdown([...notes, body || `_${layer.status}_`].join('\n\n'));
    item.contextValue = ['layer', `stage-${stage}`, `status-${layer.status}`, layer.edited ? 'edited' : ''].filter(Boolean).join(' ');
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
      item.contextValue = 'technique';
      return item;
    }
    const step = hierarchy.layers.sketch.steps[index];
    const item = new vscode.TreeItem(`${index + 1}. ${firstLine(step?.text ?? '')}`);
    item.id = `${hierarchy.id}/sketch/${index}`;
    item.tooltip = untrustedMarkdown(step?.text ?? '');
    item.contextValue = 'step';
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
