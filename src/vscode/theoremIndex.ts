import type * as vscode from 'vscode';
import type { Hierarchy } from '../core/hierarchy.ts';
import type { FoundProofBlock } from '../core/insertBlock.ts';
import type { TheoremBlock } from '../core/markdown.ts';
import type { LoadCore } from './core.ts';
import type { HierarchyStore } from './hierarchyStore.ts';

interface IndexedDocument {
  version: number;
  theorems: TheoremBlock[];
  blocks: FoundProofBlock[];
}

/**
 * The theorems and inserted proof blocks of each open markdown document, parsed once per document
 * version: CodeLenses, the cursor context key and command targets all read from here.
 */
export class TheoremIndex {
  private readonly loadCore: LoadCore;
  private readonly documents = new Map<string, IndexedDocument>();

  constructor(loadCore: LoadCore) {
    this.loadCore = loadCore;
  }

  /** The parsed document when this version was parsed already (no work, no waiting). */
  cached(document: vscode.TextDocument): IndexedDocument | undefined {
    const entry = this.documents.get(document.uri.toString());
    return entry?.version === document.version ? entry : undefined;
  }

  async index(document: vscode.TextDocument): Promise<IndexedDocument> {
    const cached = this.cached(document);
    if (cached) return cached;
    const version = document.version;
    const text = document.getText();
    const core = await this.loadCore();
    const entry: IndexedDocument = { version, theorems: core.detectTheorems(text), blocks: core.findProofBlocks(text) };
    // The document may have changed while the core loaded; cache only what matches its version.
    if (document.version === version) this.documents.set(document.uri.toString(), entry);
    return entry;
  }

  async theorems(document: vscode.TextDocument): Promise<TheoremBlock[]> {
    return (await this.index(document)).theorems;
  }

  async theoremAt(document: vscode.TextDocument, line: number): Promise<TheoremBlock | undefined> {
    return theoremContaining((await this.index(document)).theorems, line);
  }

  forget(document: vscode.TextDocument): void {
    this.documents.delete(document.uri.toString());
  }
}

export function theoremContaining(theorems: readonly TheoremBlock[], line: number): TheoremBlock | undefined {
  return theorems.find((theorem) => theorem.startLine <= line && line <= theorem.endLine);
}

/** Whitespace-insensitive form of a statement, so re-wrapped lines still match. */
export function normalizeStatement(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The hierarchy proving exactly this statement in this document, the most recently updated first. */
export function hierarchyForStatement(store: HierarchyStore, uri: string, statement: string): Hierarchy | undefined {
  const wanted = normalizeStatement(statement);
  return newestFirst(store.all().filter((hierarchy) => hierarchy.source?.uri === uri && normalizeStatement(hierarchy.problem) === wanted))[0];
}

/** The hierarchies of a document whose theorem spans any of these lines. */
export function hierarchiesOverlapping(store: HierarchyStore, uri: string, startLine: number, endLine: number): Hierarchy[] {
  return newestFirst(
    store.all().filter((hierarchy) => hierarchy.source?.uri === uri && hierarchy.source.startLine <= endLine && startLine <= hierarchy.source.endLine),
  );
}

export function newestFirst(hierarchies: Hierarchy[]): Hierarchy[] {
  return [...hierarchies].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
}
