// Export and import in the editor, thin over the core (src/core/export, src/core/import.ts): the same
// formats and the same reading as the command line, with VS Code's pickers and file system.
//
// Export: one hierarchy or all of them, in a format picked from a quick pick, to a file picked in a
// save dialog that starts in the workspace folder with a sanitized name. An existing file is
// replaced only with consent: the save dialog asks before it returns an existing file; a file named
// by a caller (a test, another extension) is replaced only when the caller passes `confirmed: true`.
//
// Import: a file is read by its content, whichever import command chose it. Hierarchies (a JSON
// object, a JSON array or JSONL whose records carry "schema": "insight-proof.hierarchy/v1") go back
// into the view; anything else is read as a problem set and becomes a markdown workbook of
// **Problem.** blocks, opened in an editor. The two commands differ only in what the file picker
// offers and what the person expects, so picking the "wrong" file still does the useful thing.
import * as vscode from 'vscode';
import type { ExportFormat } from '../core/export/index.ts';
import type { Hierarchy } from '../core/hierarchy.ts';
import { HIERARCHY_SCHEMA_ID } from '../core/hierarchy.ts';
import type { LoadCore } from './core.ts';
import type { HierarchyStore } from './hierarchyStore.ts';
import { markInterrupted } from './persistence.ts';

/** Options a caller may pass to the export commands instead of answering pickers. */
export interface ExportCommandOptions {
  /** md, json, jsonl, sft or tex: given, no format is asked for. */
  format?: string;
  /** Where to write (a Uri or a URI string): given, no save dialog is shown. */
  uri?: vscode.Uri | string;
  /** With `uri`: replace a file that exists there (without it, an existing file is left alone). */
  confirmed?: boolean;
}

/** Options a caller may pass to the import commands instead of answering pickers. */
export interface ImportCommandOptions {
  /** The file to import (a Uri or a URI string): given, no open dialog is shown. */
  uri?: vscode.Uri | string;
  /** Hierarchies already in the view with other content: true replaces them, false keeps them; unset asks. */
  replaceExisting?: boolean;
  /** Problem sets: save the workbook here (a new file, or replacing one with `confirmed`) instead of an untitled document. */
  workbookUri?: vscode.Uri | string;
  /** With `workbookUri`: replace a file that exists there (without it, an existing file is left alone). */
  confirmed?: boolean;
}

export type ImportResult =
  | { kind: 'hierarchies'; imported: string[]; kept: string[]; replaced: string[] }
  | { kind: 'workbook'; document: vscode.Uri; count: number; skipped: number };

export const IMPORTED_GENERATING_MESSAGE = 'This layer was still being generated when the file was written; regenerate it to finish it (the text it had is kept).';

function asOptions<T extends object>(value: unknown): Partial<T> {
  return typeof value === 'object' && value !== null && !(value instanceof vscode.Uri) ? (value as Partial<T>) : {};
}

export function asExportOptions(value: unknown): ExportCommandOptions {
  const { format, uri, confirmed } = asOptions<ExportCommandOptions>(value);
  return {
    ...(typeof format === 'string' ? { format } : {}),
    ...(uri instanceof vscode.Uri || typeof uri === 'string' ? { uri } : {}),
    ...(confirmed === true ? { confirmed } : {}),
  };
}

/** Import options from the command's arguments; a Uri alone (the explorer's context menu) is the file. */
export function asImportOptions(value: unknown): ImportCommandOptions {
  if (value instanceof vscode.Uri) return { uri: value };
  const { uri, replaceExisting, workbookUri, confirmed } = asOptions<ImportCommandOptions>(value);
  return {
    ...(uri instanceof vscode.Uri || typeof uri === 'string' ? { uri } : {}),
    ...(typeof replaceExisting === 'boolean' ? { replaceExisting } : {}),
    ...(workbookUri instanceof vscode.Uri || typeof workbookUri === 'string' ? { workbookUri } : {}),
    ...(confirmed === true ? { confirmed } : {}),
  };
}

function toUri(value: vscode.Uri | string): vscode.Uri {
  return typeof value === 'string' ? vscode.Uri.parse(value, true) : value;
}

function baseName(uri: vscode.Uri): string {
  return uri.path.split('/').pop() || uri.path;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Cheap test on the text: hierarchy files name their schema in every record. */
export function looksLikeHierarchies(text: string): boolean {
  return text.slice(0, 200_000).includes(`"${HIERARCHY_SCHEMA_ID}"`);
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes a file, replacing an existing one only when `consented` (the save dialog asked, or the
 * caller confirmed). Resolves to false after saying so when the file exists without consent;
 * write failures throw one sentence.
 */
export async function writeWithConsent(uri: vscode.Uri, text: string, consented: boolean): Promise<boolean> {
  if (!consented && (await exists(uri))) {
    void vscode.window.showWarningMessage(`Insight Proof: ${vscode.workspace.asRelativePath(uri)} already exists and was not replaced; choose another file name, or confirm replacing it.`);
    return false;
  }
  try {
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  } catch (error) {
    throw new Error(`${vscode.workspace.asRelativePath(uri)} could not be written (${describe(error).replace(/\.$/, '')}); choose a folder you can write to.`, { cause: error });
  }
  return true;
}

export class ExportImport {
  private readonly store: HierarchyStore;
  private readonly loadCore: LoadCore;
  private readonly log: vscode.LogOutputChannel;
  private readonly reveal: (hierarchyId: string) => void;

  constructor(store: HierarchyStore, loadCore: LoadCore, log: vscode.LogOutputChannel, reveal: (hierarchyId: string) => void) {
    this.store = store;
    this.loadCore = loadCore;
    this.log = log;
    this.reveal = reveal;
  }

  /** The folder a dialog starts in: the workspace folder of the hierarchy's document, else the first one. */
  private startFolder(hierarchies: readonly Hierarchy[]): vscode.Uri | undefined {
    for (const hierarchy of hierarchies) {
      if (!hierarchy.source) continue;
      try {
        const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.parse(hierarchy.source.uri, true));
        if (folder) return folder.uri;
      } catch {
        // A source URI from another machine or a hand-edited file: fall back to the workspace.
      }
    }
    return vscode.workspace.workspaceFolders?.[0]?.uri;
  }

  /**
   * Exports hierarchies to one file. Resolves to the file written, or undefined when the person
   * cancelled or there was nothing to write (said in one sentence).
   */
  async export(hierarchies: readonly Hierarchy[], options: ExportCommandOptions): Promise<vscode.Uri | undefined> {
    const core = await this.loadCore();
    const what = hierarchies.length === 1 ? 'the proof hierarchy' : `${hierarchies.length} proof hierarchies`;
    let format: ExportFormat | undefined;
    if (options.format !== undefined) {
      if (!core.isExportFormat(options.format)) throw new Error(`"${options.format}" is not an export format; use one of ${core.EXPORT_FORMATS.join(', ')}.`);
      format = options.format;
    } else {
      const picked = await vscode.window.showQuickPick(
        core.EXPORT_FORMATS.map((id) => ({ label: core.EXPORT_FORMAT_INFO[id].label, description: core.EXPORT_FORMAT_INFO[id].description, detail: `*${core.EXPORT_FORMAT_INFO[id].extension}`, id })),
        { title: `Export ${what} as`, placeHolder: 'Choose a format' },
      );
      if (!picked) return undefined;
      format = picked.id;
    }

    let text: string;
    try {
      text = core.exportHierarchies(hierarchies, format);
    } catch (error) {
      if (error instanceof core.ExportError) {
        void vscode.window.showInformationMessage(`Insight Proof: ${error.message}`);
        return undefined;
      }
      throw error;
    }
    if (format === 'sft' && !text) {
      void vscode.window.showInformationMessage(
        `Insight Proof: there are no training pairs to export, because no layer of ${what} is a draft or accepted with content; generate or accept layers first.`,
      );
      return undefined;
    }

    let target: vscode.Uri;
    let consented = options.confirmed === true;
    if (options.uri !== undefined) {
      target = toUri(options.uri);
    } else {
      const info = core.EXPORT_FORMAT_INFO[format];
      let name = core.suggestedFileName(hierarchies.length === 1 ? hierarchies[0]! : hierarchies, format);
      // One hierarchy in JSON gets the name VS Code validates against the shipped JSON Schema.
      if (format === 'json' && hierarchies.length === 1) name = name.replace(/\.json$/, '.insight-proof.json');
      const folder = this.startFolder(hierarchies);
      const chosen = await vscode.window.showSaveDialog({
        title: `Export ${what} as ${info.label}`,
        saveLabel: 'Export',
        ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
        filters: { [info.label]: [info.extension.split('.').pop()!], 'All files': ['*'] },
      });
      if (!chosen) return undefined;
      target = chosen;
      // The save dialog itself asks before it returns an existing file.
      consented = true;
    }
    if (!(await writeWithConsent(target, text, consented))) return undefined;
    this.log.info(`Exported ${hierarchies.length} hierarch${hierarchies.length === 1 ? 'y' : 'ies'} as ${format} to ${target.toString(true)}.`);
    void vscode.window.showInformationMessage(`Insight Proof: exported ${what} to ${vscode.workspace.asRelativePath(target)}.`, 'Open').then((choice) => {
      if (choice === 'Open') void vscode.window.showTextDocument(target, { preview: false });
    });
    return target;
  }

  /** Asks for the file to import; `kind` only decides what the dialog offers first. */
  private async pickFile(kind: 'problems' | 'hierarchies'): Promise<vscode.Uri | undefined> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const picked = await vscode.window.showOpenDialog({
      title: kind === 'problems' ? 'Import a problem set (JSONL)' : 'Import proof hierarchies (JSON or JSONL)',
      openLabel: 'Import',
      canSelectMany: false,
      ...(folder ? { defaultUri: folder } : {}),
      filters: kind === 'problems' ? { 'Problem sets': ['jsonl', 'json'], 'All files': ['*'] } : { 'Proof hierarchies': ['json', 'jsonl'], 'All files': ['*'] },
    });
    return picked?.[0];
  }

  /**
   * insightProof.importProblems and insightProof.importHierarchies: reads the file and does what its
   * content calls for (see the header). Resolves to what was imported, or undefined.
   */
  async import(kind: 'problems' | 'hierarchies', options: ImportCommandOptions): Promise<ImportResult | undefined> {
    const uri = options.uri !== undefined ? toUri(options.uri) : await this.pickFile(kind);
    if (!uri) return undefined;
    let text: string;
    try {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch (error) {
      throw new Error(`${vscode.workspace.asRelativePath(uri)} could not be read (${describe(error).replace(/\.$/, '')}); check that the file exists.`, { cause: error });
    }
    if (looksLikeHierarchies(text)) return this.importHierarchies(uri, text, options);
    if (kind === 'hierarchies' && !text.trim()) {
      void vscode.window.showWarningMessage(`Insight Proof: ${baseName(uri)} is empty; choose a hierarchy JSON or JSONL file exported by Insight Proof.`);
      return undefined;
    }
    return this.importProblems(uri, text, options);
  }

  private async importHierarchies(uri: vscode.Uri, text: string, options: ImportCommandOptions): Promise<ImportResult | undefined> {
    const core = await this.loadCore();
    const name = baseName(uri);
    let hierarchies: Hierarchy[];
    try {
      hierarchies = core.readHierarchyFile(text, name).hierarchies;
    } catch (error) {
      if (core.isImportError(error)) {
        void vscode.window.showErrorMessage(`Insight Proof: ${error.message}`);
        return undefined;
      }
      throw error;
    }
    const incoming = hierarchies.map((hierarchy) => markInterrupted(hierarchy, IMPORTED_GENERATING_MESSAGE));
    // The same version as the one in the view is nothing new; another version is replaced only with consent.
    const differing = incoming.filter((hierarchy) => {
      const existing = this.store.get(hierarchy.id);
      return existing !== undefined && existing.updatedAt !== hierarchy.updatedAt;
    });
    let replace = options.replaceExisting;
    if (differing.length > 0 && replace === undefined) {
      const count = differing.length === 1 ? 'One proof hierarchy in the file is' : `${differing.length} proof hierarchies in the file are`;
      const choice = await vscode.window.showWarningMessage(
        `${count} already in the view with other content. Replace ${differing.length === 1 ? 'it' : 'them'} with the file's version?`,
        { modal: true, detail: 'Keep Current imports only the hierarchies that are new; the ones in the view stay as they are.' },
        'Replace',
        'Keep Current',
      );
      if (choice === undefined) return undefined;
      replace = choice === 'Replace';
    }
    const imported: string[] = [];
    const replaced: string[] = [];
    const kept: string[] = [];
    const toPut: Hierarchy[] = [];
    for (const hierarchy of incoming) {
      const existing = this.store.get(hierarchy.id);
      if (!existing) imported.push(hierarchy.id);
      else if (replace && differing.includes(hierarchy)) replaced.push(hierarchy.id);
      else {
        kept.push(hierarchy.id);
        continue;
      }
      toPut.push(hierarchy);
    }
    this.store.putMany(toPut);
    this.log.info(`Imported ${imported.length} and replaced ${replaced.length} proof hierarchies from ${uri.toString(true)}; ${kept.length} already in the view were kept.`);
    const first = toPut[0];
    if (first) this.reveal(first.id);
    const parts = [
      `imported ${imported.length} proof hierarch${imported.length === 1 ? 'y' : 'ies'} from ${name}`,
      replaced.length > 0 ? `replaced ${replaced.length}` : '',
      kept.length > 0 ? `kept ${kept.length} already in the view` : '',
    ].filter(Boolean);
    void vscode.window.showInformationMessage(`Insight Proof: ${parts.join('; ')}.`);
    return { kind: 'hierarchies', imported, kept, replaced };
  }

  private async importProblems(uri: vscode.Uri, text: string, options: ImportCommandOptions): Promise<ImportResult | undefined> {
    const core = await this.loadCore();
    const name = baseName(uri);
    const stem = name.replace(/\.(jsonl|json|ndjson|txt)$/i, '');
    const workbook = await core.problemsToWorkbook(text, { title: `${stem} problems`, sourceName: name });
    const firstSkipped = workbook.skipped[0];
    const skippedNote = firstSkipped ? ` (line ${firstSkipped.line}: ${firstSkipped.message})` : '';
    if (workbook.count === 0) {
      void vscode.window.showErrorMessage(
        `Insight Proof: no problem could be read from ${name}${skippedNote}; each line must be a JSON record such as {"id": "p1", "problem": "…"} or DeepTheorem's {"problem_name", "prompt", "answer"}.`,
      );
      return undefined;
    }
    let document: vscode.TextDocument;
    if (options.workbookUri !== undefined) {
      const target = toUri(options.workbookUri);
      if (!(await writeWithConsent(target, workbook.markdown, options.confirmed === true))) return undefined;
      document = await vscode.workspace.openTextDocument(target);
    } else {
      document = await vscode.workspace.openTextDocument({ language: 'markdown', content: workbook.markdown });
    }
    await vscode.window.showTextDocument(document, { preview: false });
    this.log.info(`Opened a workbook of ${workbook.count} problems from ${uri.toString(true)}${workbook.skipped.length > 0 ? `; skipped ${workbook.skipped.length} lines` : ''}.`);
    for (const skipped of workbook.skipped) this.log.warn(`${name}, line ${skipped.line}: ${skipped.message}`);
    if (workbook.skipped.length > 0) {
      void vscode.window.showWarningMessage(
        `Insight Proof: ${workbook.skipped.length} line${workbook.skipped.length === 1 ? '' : 's'} of ${name} could not be read${skippedNote}; the other ${workbook.count} problems are in the workbook.`,
      );
    } else {
      vscode.window.setStatusBarMessage(`Insight Proof: ${workbook.count} problems from ${name}; put the cursor in one and run Prove Theorem.`, 5000);
    }
    return { kind: 'workbook', document: document.uri, count: workbook.count, skipped: workbook.skipped.length };
  }
}
