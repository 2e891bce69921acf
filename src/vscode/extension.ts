// The composition root: wires the store, the view and the commands together. It stays small and
// loads nothing heavy; the model client and the `openai` SDK load on first use.
import * as vscode from 'vscode';
import type { InsightProofApi } from './api.ts';
import { registerCommands } from './commands.ts';
import { HierarchyStore } from './hierarchyStore.ts';
import { HierarchyTreeProvider } from './hierarchyTree.ts';
import { DisposableStore } from './lifecycle.ts';

export const VIEW_ID = 'insightProof.hierarchies';

export function activate(context: vscode.ExtensionContext): InsightProofApi {
  const disposables = new DisposableStore();
  context.subscriptions.push(disposables);

  const log = disposables.add(vscode.window.createOutputChannel('Insight Proof', { log: true }));
  const store = disposables.add(new HierarchyStore());
  const tree = disposables.add(new HierarchyTreeProvider(store));
  disposables.add(vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true }));

  // The welcome view and palette entries read this context key.
  const updateContext = () => void vscode.commands.executeCommand('setContext', 'insightProof.hasHierarchies', store.size > 0);
  disposables.add(store.onDidChange(updateContext));
  updateContext();

  registerCommands(disposables, { secrets: context.secrets, log });
  log.info(`Insight Proof ${context.extension.packageJSON.version as string} activated in ${vscode.env.appName} ${vscode.version}.`);

  return {
    apiVersion: 1,
    getHierarchies: () => store.snapshot(),
    tree,
  };
}

export function deactivate(): void {
  // Everything is released through context.subscriptions.
}
