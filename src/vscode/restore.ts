// Reopening a document that holds inserted proof blocks brings their hierarchies back into the view.
// A cheap text check comes first, so ordinary markdown files never load the parser for this.
import * as vscode from 'vscode';
import type { LoadCore } from './core.ts';
import type { HierarchyStore } from './hierarchyStore.ts';
import { USER_DOCUMENT_SCHEMES } from './stages.ts';

export const BLOCK_MARKER = '<!-- insight-proof:begin';

export class DocumentRestorer implements vscode.Disposable {
  private readonly store: HierarchyStore;
  private readonly loadCore: LoadCore;
  private readonly log: vscode.LogOutputChannel;
  /** Saved state loads first: its hierarchies (with alternatives and drafts) win over a block's. */
  private readonly stateLoaded: Promise<void>;
  private readonly pending = new Set<Promise<void>>();
  private readonly subscription: vscode.Disposable;

  constructor(store: HierarchyStore, loadCore: LoadCore, log: vscode.LogOutputChannel, stateLoaded: Promise<void>) {
    this.store = store;
    this.loadCore = loadCore;
    this.log = log;
    this.stateLoaded = stateLoaded;
    this.subscription = vscode.workspace.onDidOpenTextDocument((document) => this.restore(document));
  }

  /** Restores from the documents that were already open when the extension started. */
  restoreOpenDocuments(): void {
    for (const document of vscode.workspace.textDocuments) this.restore(document);
  }

  restore(document: vscode.TextDocument): void {
    if (document.languageId !== 'markdown' || !USER_DOCUMENT_SCHEMES.includes(document.uri.scheme) || !document.getText().includes(BLOCK_MARKER)) return;
    const work = this.restoreFrom(document).catch((error: unknown) => {
      this.log.error(`Restoring proof hierarchies from ${document.uri.toString(true)} failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private async restoreFrom(document: vscode.TextDocument): Promise<void> {
    await this.stateLoaded;
    const core = await this.loadCore();
    const uri = document.uri.toString();
    const found = core.hierarchiesFromDocument(document.getText(), uri);
    const added = found.filter((hierarchy) => !this.store.get(hierarchy.id));
    this.store.putMany(added);
    if (added.length > 0) this.log.info(`Restored ${added.length} proof hierarchies from ${document.uri.toString(true)}.`);
  }

  /** Resolves when every restore started so far has finished. */
  async whenIdle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
