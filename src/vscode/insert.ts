// "Insert into Document": writes the accepted layers under the theorem as a marked block, or
// replaces the block this hierarchy wrote before (never a second copy). The edit is a
// WorkspaceEdit, so undo works, and it is planned on the document's text at one version: when the
// person types meanwhile, VS Code rejects the stale edit and it is planned again on the new text.
import * as vscode from 'vscode';
import type { Hierarchy } from '../core/hierarchy.ts';
import type { LoadCore } from './core.ts';
import { normalizeStatement } from './theoremIndex.ts';
import { LAYER_STAGES } from '../core/hierarchy.ts';

const MAX_ATTEMPTS = 5;
/** How long a refused edit waits to hear of a change made in the window meanwhile. */
const CHANGE_WAIT_MS = 500;

/** Resolves true once the document is past `version`, false when nothing changed within `timeoutMs`. */
function changedSince(document: vscode.TextDocument, version: number, timeoutMs: number): Promise<boolean> {
  if (document.version !== version) return Promise.resolve(true);
  return new Promise((resolve) => {
    const finish = (changed: boolean) => {
      clearTimeout(timer);
      subscription.dispose();
      resolve(changed);
    };
    const timer = setTimeout(() => finish(document.version !== version), timeoutMs);
    const subscription = vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.document === document && document.version !== version) finish(true);
    });
  });
}

export type InsertResult = { inserted: true; uri: vscode.Uri; replaced: boolean; startLine: number } | { inserted: false; reason: string };

/** The line where the theorem of a hierarchy ends in the document's current text, if it can be found. */
export function locateTheoremEnd(
  lines: readonly string[],
  hierarchy: Hierarchy,
  theorems: readonly { statement: string; startLine: number; endLine: number }[],
): number | undefined {
  const problem = normalizeStatement(hierarchy.problem);
  const source = hierarchy.source;
  // Where it was, if the text there is still the problem.
  if (source && source.endLine < lines.length && normalizeStatement(lines.slice(source.startLine, source.endLine + 1).join('\n')) === problem) {
    return source.endLine;
  }
  // A detected theorem with the same statement, the one nearest to where it was.
  const matching = theorems.filter((theorem) => normalizeStatement(theorem.statement) === problem);
  if (matching.length > 0) {
    const near = source?.startLine ?? 0;
    return matching.sort((a, b) => Math.abs(a.startLine - near) - Math.abs(b.startLine - near))[0]!.endLine;
  }
  // A selection that was proved: the same lines, moved.
  const firstLine = hierarchy.problem.split(/\r?\n/)[0]?.trim();
  if (firstLine) {
    const count = hierarchy.problem.trim().split(/\r?\n/).length;
    for (let start = 0; start + count <= lines.length; start++) {
      if (lines[start]!.trim() === firstLine && normalizeStatement(lines.slice(start, start + count).join('\n')) === problem) return start + count - 1;
    }
  }
  return undefined;
}

export interface InsertOptions {
  /**
   * Called after the edit is planned on the document's text and before it is applied, on every
   * attempt. Tests type into the document here, the moment a person's keystroke would hurt most.
   */
  beforeApply?: (document: vscode.TextDocument, attempt: number) => unknown;
}

export function asInsertOptions(value: unknown): InsertOptions {
  const beforeApply = typeof value === 'object' && value !== null ? (value as InsertOptions).beforeApply : undefined;
  return typeof beforeApply === 'function' ? { beforeApply } : {};
}

export function hasAcceptedLayer(hierarchy: Hierarchy): boolean {
  return LAYER_STAGES.some((stage) => hierarchy.layers[stage].status === 'accepted');
}

/**
 * Inserts (or replaces) the hierarchy's block in its document. `fallbackLine` is where a proof goes
 * when the theorem is no longer in the document (the cursor, when the person asked from there).
 */
export async function insertIntoDocument(
  hierarchy: Hierarchy,
  loadCore: LoadCore,
  fallbackLine?: { uri: vscode.Uri; line: number },
  options: InsertOptions = {},
): Promise<InsertResult> {
  const uri = hierarchy.source ? vscode.Uri.parse(hierarchy.source.uri) : fallbackLine?.uri;
  if (!uri) return { inserted: false, reason: 'This proof hierarchy did not come from a document; open the markdown file, put the cursor where the proof should go and run Insert into Document again.' };
  const document = await vscode.workspace.openTextDocument(uri);
  const core = await loadCore();
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const version = document.version;
    const text = document.getText();
    const lines = core.splitLines(text);
    const hasBlock = core.findProofBlocks(text).some((block) => block.id === hierarchy.id);
    let theoremEnd = hasBlock ? (hierarchy.source?.endLine ?? 0) : locateTheoremEnd(lines, hierarchy, core.detectTheorems(text));
    if (theoremEnd === undefined && fallbackLine && fallbackLine.uri.toString() === uri.toString()) theoremEnd = Math.min(fallbackLine.line, lines.length - 1);
    if (theoremEnd === undefined) {
      return {
        inserted: false,
        reason: `The theorem of this proof is no longer in ${vscode.workspace.asRelativePath(uri)}; put the cursor where the proof should go and run Insert into Document again.`,
      };
    }
    const plan = core.planInsert(text, hierarchy, theoremEnd);
    const edit = new vscode.WorkspaceEdit();
    if (plan.replace) {
      // Lines startLine..endLine and the line break after endLine (none when the block ends the document).
      const end = plan.endLine + 1 < document.lineCount ? new vscode.Position(plan.endLine + 1, 0) : document.lineAt(document.lineCount - 1).range.end;
      edit.replace(uri, new vscode.Range(new vscode.Position(plan.startLine, 0), end), plan.text);
    } else {
      // At the line count: the end of a document without a final line break (the text starts with one).
      const at = plan.startLine < document.lineCount ? new vscode.Position(plan.startLine, 0) : document.lineAt(document.lineCount - 1).range.end;
      edit.insert(uri, at, plan.text);
    }
    await options.beforeApply?.(document, attempt);
    // Planned on this version's text: apply it only to that version. VS Code also refuses an edit
    // whose document changed after the extension host last saw it; both cases plan again.
    if (document.version !== version) continue;
    if (await vscode.workspace.applyEdit(edit)) return { inserted: true, uri, replaced: plan.replace, startLine: plan.startLine };
    // Refused: usually a keystroke the window had applied before the extension host heard of it.
    if (document.version === version && !(await changedSince(document, version, CHANGE_WAIT_MS))) {
      return { inserted: false, reason: `VS Code did not accept the edit to ${vscode.workspace.asRelativePath(uri)}; check that the file is writable and run Insert into Document again.` };
    }
  }
  return { inserted: false, reason: `${vscode.workspace.asRelativePath(uri)} kept changing while the proof was being inserted; run Insert into Document again.` };
}
