// The context keys that `when` clauses in package.json read: the welcome view, palette entries,
// the editor context menu and the view's title and item actions.
import * as vscode from 'vscode';
import { onDidChangeConfig, readConfig } from './config.ts';
import type { HierarchyStore } from './hierarchyStore.ts';
import type { ProofRuns } from './proofRuns.ts';
import { USER_DOCUMENT_SCHEMES } from './stages.ts';
import { theoremContaining, type TheoremIndex } from './theoremIndex.ts';

export const CONTEXT_KEYS = {
  /** At least one hierarchy exists (hides the welcome view, shows the hierarchy commands). */
  hasHierarchies: 'insightProof.hasHierarchies',
  /** A run is generating (shows Cancel). */
  isGenerating: 'insightProof.isGenerating',
  /** The cursor of the active markdown editor is in a detected theorem (shows Prove). */
  editorHasTheorem: 'insightProof.editorHasTheorem',
  /** insightProof.baseUrl is set (the welcome view offers set-up steps until it is). */
  isConfigured: 'insightProof.isConfigured',
} as const;

export class ContextKeys implements vscode.Disposable {
  private readonly values = new Map<string, boolean>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly index: TheoremIndex;
  private cursorTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(store: HierarchyStore, runs: ProofRuns, index: TheoremIndex) {
    this.index = index;
    const hierarchies = () => this.set(CONTEXT_KEYS.hasHierarchies, store.size > 0);
    const generating = () => this.set(CONTEXT_KEYS.isGenerating, runs.runningIds.length > 0);
    const configured = () => this.set(CONTEXT_KEYS.isConfigured, readConfig().baseUrl !== '');
    this.subscriptions.push(
      store.onDidChange(hierarchies),
      runs.onDidChange(generating),
      onDidChangeConfig(configured),
      vscode.window.onDidChangeActiveTextEditor(() => this.scheduleCursorCheck()),
      vscode.window.onDidChangeTextEditorSelection((event) => {
        if (event.textEditor === vscode.window.activeTextEditor) this.scheduleCursorCheck();
      }),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.document === vscode.window.activeTextEditor?.document) this.scheduleCursorCheck();
      }),
    );
    hierarchies();
    generating();
    configured();
    this.scheduleCursorCheck();
  }

  private set(key: string, value: boolean): void {
    if (this.values.get(key) === value) return;
    this.values.set(key, value);
    void vscode.commands.executeCommand('setContext', key, value);
  }

  /** Parsing waits for typing to pause; an already parsed version answers at once. */
  private scheduleCursorCheck(): void {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.languageId !== 'markdown' || !USER_DOCUMENT_SCHEMES.includes(editor.document.uri.scheme)) {
      this.set(CONTEXT_KEYS.editorHasTheorem, false);
      return;
    }
    const cached = this.index.cached(editor.document);
    if (cached) {
      this.set(CONTEXT_KEYS.editorHasTheorem, theoremContaining(cached.theorems, editor.selection.active.line) !== undefined);
      return;
    }
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = undefined;
      const current = vscode.window.activeTextEditor;
      if (!current || current.document.languageId !== 'markdown') return;
      void this.index.theoremAt(current.document, current.selection.active.line).then(
        (theorem) => {
          if (vscode.window.activeTextEditor === current) this.set(CONTEXT_KEYS.editorHasTheorem, theorem !== undefined);
        },
        // The palette entry stays as it was; running Prove explains any problem itself.
        () => undefined,
      );
    }, 150);
  }

  dispose(): void {
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
