// The composition root: creates the services and wires them together. It stays small and loads
// nothing heavy: src/core (markdown-it, zod, the pipeline, the `openai` SDK) is imported lazily
// through core.ts by the first command, CodeLens, restore or saved-state load that needs it.
import * as vscode from 'vscode';
import type { InsightProofApi } from './api.ts';
import { ProofCodeLensProvider } from './codeLens.ts';
import { registerCommands } from './commands.ts';
import { onDidChangeConfig } from './config.ts';
import { ContextKeys } from './contextKeys.ts';
import { loadCore } from './core.ts';
import { HierarchyStore } from './hierarchyStore.ts';
import { HierarchyTreeProvider, type TreeNode } from './hierarchyTree.ts';
import { LAYER_SCHEME, LayerFileSystem } from './layerDocuments.ts';
import { ExportImport } from './exportImport.ts';
import { DisposableStore } from './lifecycle.ts';
import { ModelService } from './modelService.ts';
import { HierarchyPersistence } from './persistence.ts';
import { ProofRuns } from './proofRuns.ts';
import { ProveFlow } from './prove.ts';
import { DocumentRestorer } from './restore.ts';
import { ReviewFlow } from './reviewFlow.ts';
import { LAYER_TITLES, USER_DOCUMENT_SCHEMES } from './stages.ts';
import { Targets } from './targets.ts';
import { TheoremIndex } from './theoremIndex.ts';

export const VIEW_ID = 'insightProof.hierarchies';

/** Set while active: deactivate() writes the saved state one last time. */
let flushState: (() => Promise<void>) | undefined;

export function activate(context: vscode.ExtensionContext): InsightProofApi {
  const started = performance.now();
  const disposables = new DisposableStore();
  context.subscriptions.push(disposables);
  const version = String(context.extension.packageJSON.version);

  const log = disposables.add(vscode.window.createOutputChannel('Insight Proof', { log: true }));
  const store = disposables.add(new HierarchyStore());
  const tree = disposables.add(new HierarchyTreeProvider(store));
  const treeView = disposables.add(vscode.window.createTreeView<TreeNode>(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true }));
  const index = new TheoremIndex(loadCore);
  disposables.add(vscode.workspace.onDidCloseTextDocument((document) => index.forget(document)));

  // Saved hierarchies live in this workspace's storage (or the global one in an empty window).
  const storage = context.storageUri ?? vscode.Uri.joinPath(context.globalStorageUri, 'no-workspace');
  const persistence = disposables.add(new HierarchyPersistence(store, storage, log, loadCore));
  const stateLoaded = persistence.load();
  flushState = () => persistence.flush();

  const models = disposables.add(new ModelService(context.secrets, log, loadCore, version));
  disposables.add(onDidChangeConfig(() => models.invalidate()));
  // Without a server configured, opening the view is a moment to offer one found on this machine
  // (never activation itself: the search makes requests, however local).
  disposables.add(
    treeView.onDidChangeVisibility((event) => {
      if (event.visible) models.offerLocalServerOnce();
    }),
  );
  const runs = disposables.add(new ProofRuns(store, models, log, loadCore, VIEW_ID));
  tree.setRunState(runs);
  disposables.add(runs.onDidChange((hierarchyId) => tree.refresh(hierarchyId)));
  disposables.add(new ContextKeys(store, runs, index));

  const reveal = (hierarchyId: string) => {
    tree.flush();
    treeView.reveal(tree.hierarchyNode(hierarchyId), { select: true, focus: false, expand: true }).then(undefined, (error: unknown) => {
      log.debug(`Could not reveal ${hierarchyId} in the view: ${error instanceof Error ? error.message : String(error)}`);
    });
  };
  const targets = new Targets(store, index, () => treeView.selection);
  const prove = new ProveFlow(store, runs, index, loadCore, reveal);
  const reviews = disposables.add(new ReviewFlow(store, runs, models, log, loadCore));
  const exportImport = new ExportImport(store, loadCore, log, reveal);

  const layerFiles = disposables.add(
    new LayerFileSystem(store, loadCore, (id) => runs.isRunning(id), (hierarchy, stage, staleBelow) => {
      if (staleBelow.length === 0) {
        vscode.window.setStatusBarMessage(`Insight Proof: saved your ${LAYER_TITLES[stage].toLowerCase()}`, 3000);
        return;
      }
      const names = staleBelow.map((below) => LAYER_TITLES[below].toLowerCase()).join(' and ');
      void vscode.window
        .showInformationMessage(`Saved your ${LAYER_TITLES[stage].toLowerCase()}; the ${names} ${staleBelow.length > 1 ? 'are' : 'is'} now stale.`, 'Regenerate Below')
        .then((choice) => {
          if (choice === 'Regenerate Below') void vscode.commands.executeCommand('insightProof.regenerateBelow', { hierarchyId: hierarchy.id, stage });
        });
    }),
  );
  disposables.add(vscode.workspace.registerFileSystemProvider(LAYER_SCHEME, layerFiles, { isCaseSensitive: true }));

  const lenses = disposables.add(new ProofCodeLensProvider(store, index, (id) => runs.isRunning(id), runs.onDidChange));
  disposables.add(vscode.languages.registerCodeLensProvider(USER_DOCUMENT_SCHEMES.map((scheme) => ({ language: 'markdown', scheme })), lenses));

  const restorer = disposables.add(new DocumentRestorer(store, loadCore, log, stateLoaded));
  // Documents already open were opened before this listener existed; look at them after activation.
  const restoreTimer = setTimeout(() => restorer.restoreOpenDocuments(), 0);
  disposables.add(new vscode.Disposable(() => clearTimeout(restoreTimer)));

  registerCommands(disposables, { secrets: context.secrets, log, store, runs, models, targets, prove, reviews, exportImport, loadCore, reveal });
  log.info(`Insight Proof ${version} activated in ${vscode.env.appName} ${vscode.version} (${(performance.now() - started).toFixed(1)} ms).`);

  return {
    apiVersion: 1,
    getHierarchies: () => store.snapshot(),
    tree,
    async whenIdle() {
      await stateLoaded;
      for (;;) {
        await restorer.whenIdle();
        await runs.whenIdle();
        await reviews.whenIdle();
        if (runs.runningIds.length === 0) break;
      }
      tree.flush();
    },
    flushState: () => persistence.flush(),
    stateFile: persistence.file,
    logUri: context.logUri,
  };
}

export async function deactivate(): Promise<void> {
  // Everything else is released through context.subscriptions; the state is written first so
  // that a window closed mid-stream keeps what had arrived.
  await flushState?.();
  flushState = undefined;
}
