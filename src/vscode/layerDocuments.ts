// Layers as editable markdown documents. A small file system (scheme insight-proof-layer) serves
// `/<hierarchy id>/<Layer title>.md`: opening one shows the layer, saving it hands the text to the
// core's editLayer (edited = true, layers below marked stale), with a one-click "Regenerate Below".
// A real file system, unlike a content provider, gives the person an ordinary editor with
// save, undo, dirty state and "file changed on disk" handling for free; while a layer streams in,
// an open document follows it. `/<id>/Preview.md` is the whole hierarchy, read-only, for the
// markdown preview.
import * as vscode from 'vscode';
import type { Hierarchy, LayerStage } from '../core/hierarchy.ts';
import type { LoadCore } from './core.ts';
import type { HierarchyStore } from './hierarchyStore.ts';
import { LAYER_STAGES, stagesBelow } from '../core/hierarchy.ts';
import { LAYER_TITLES } from './stages.ts';
import { Throttle } from './throttle.ts';

export const LAYER_SCHEME = 'insight-proof-layer';
export const PREVIEW_FILE = 'Preview.md';

export type LayerDocumentKind = { hierarchyId: string; stage: LayerStage } | { hierarchyId: string; stage: 'preview' };

const FILE_NAMES: Record<LayerStage, string> = {
  techniques: `${LAYER_TITLES.techniques}.md`,
  sketch: `${LAYER_TITLES.sketch}.md`,
  proof: `${LAYER_TITLES.proof}.md`,
};

export function layerUri(hierarchyId: string, stage: LayerStage | 'preview'): vscode.Uri {
  const name = stage === 'preview' ? PREVIEW_FILE : FILE_NAMES[stage];
  return vscode.Uri.from({ scheme: LAYER_SCHEME, path: `/${hierarchyId}/${name}` });
}

export function parseLayerUri(uri: vscode.Uri): LayerDocumentKind | undefined {
  if (uri.scheme !== LAYER_SCHEME) return undefined;
  const [, hierarchyId, name, extra] = uri.path.split('/');
  if (!hierarchyId || !name || extra !== undefined) return undefined;
  if (name === PREVIEW_FILE) return { hierarchyId, stage: 'preview' };
  const stage = LAYER_STAGES.find((candidate) => FILE_NAMES[candidate] === name);
  return stage ? { hierarchyId, stage } : undefined;
}

/** What the preview shows: the problem, then each layer that has content. */
export function previewMarkdown(hierarchy: Hierarchy, layerMarkdown: (hierarchy: Hierarchy, stage: LayerStage) => string): string {
  const sections = [`# Problem\n\n${hierarchy.problem.trim()}`];
  for (const stage of LAYER_STAGES) {
    const layer = hierarchy.layers[stage];
    if (layer.status === 'empty') continue;
    const body = layer.status === 'generating' ? layer.raw.trim() : layerMarkdown(hierarchy, stage).trim();
    const note = layer.status === 'accepted' ? '' : ` _(${layer.status})_`;
    sections.push(`## ${LAYER_TITLES[stage]}${note}\n\n${body || '_(nothing yet)_'}`);
  }
  return `${sections.join('\n\n')}\n`;
}

export interface LayerEditListener {
  /** A saved edit changed layers below from draft/accepted to stale. */
  (hierarchy: Hierarchy, stage: LayerStage, staleBelow: LayerStage[]): void;
}

export class LayerFileSystem implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly store: HierarchyStore;
  private readonly loadCore: LoadCore;
  private readonly isRunning: (hierarchyId: string) => boolean;
  private readonly onEdited: LayerEditListener;
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;
  /** Modification times per hierarchy: a newer time makes open documents reload. */
  private readonly mtimes = new Map<string, number>();
  private readonly changedIds = new Set<string>();
  private readonly throttle: Throttle;
  private readonly subscription: vscode.Disposable;

  constructor(store: HierarchyStore, loadCore: LoadCore, isRunning: (hierarchyId: string) => boolean, onEdited: LayerEditListener) {
    this.store = store;
    this.loadCore = loadCore;
    this.isRunning = isRunning;
    this.onEdited = onEdited;
    this.throttle = new Throttle(() => this.fireChanges(), 250);
    this.subscription = store.onDidChange((hierarchy) => {
      const ids = hierarchy ? [hierarchy.id] : [...this.mtimes.keys()];
      for (const id of ids) {
        this.mtimes.set(id, Math.max(Date.now(), (this.mtimes.get(id) ?? 0) + 1));
        this.changedIds.add(id);
      }
      this.throttle.schedule();
    });
  }

  private fireChanges(): void {
    const events: vscode.FileChangeEvent[] = [];
    for (const id of this.changedIds) {
      const type = this.store.get(id) ? vscode.FileChangeType.Changed : vscode.FileChangeType.Deleted;
      for (const stage of [...LAYER_STAGES, 'preview' as const]) events.push({ type, uri: layerUri(id, stage) });
    }
    this.changedIds.clear();
    if (events.length > 0) this.changed.fire(events);
  }

  private mtime(hierarchy: Hierarchy): number {
    let mtime = this.mtimes.get(hierarchy.id);
    if (mtime === undefined) {
      mtime = Date.parse(hierarchy.updatedAt) || Date.now();
      this.mtimes.set(hierarchy.id, mtime);
    }
    return mtime;
  }

  private resolve(uri: vscode.Uri): { kind: LayerDocumentKind; hierarchy: Hierarchy } {
    const kind = parseLayerUri(uri);
    const hierarchy = kind && this.store.get(kind.hierarchyId);
    if (!kind || !hierarchy) throw vscode.FileSystemError.FileNotFound(uri);
    return { kind, hierarchy };
  }

  private async content(kind: LayerDocumentKind, hierarchy: Hierarchy): Promise<string> {
    const { layerMarkdown } = await this.loadCore();
    if (kind.stage === 'preview') return previewMarkdown(hierarchy, layerMarkdown);
    const layer = hierarchy.layers[kind.stage];
    // While a layer streams in, its parsed content is empty: show the text as it arrives.
    return layer.status === 'generating' ? layer.raw : layerMarkdown(hierarchy, kind.stage);
  }

  watch(): vscode.Disposable {
    // Every change is announced anyway (see the store subscription); nothing to set up per watch.
    return new vscode.Disposable(() => undefined);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const kind = parseLayerUri(uri);
    if (kind === undefined) {
      const [, hierarchyId, extra] = uri.path.split('/');
      const isDirectory = uri.path === '/' || (hierarchyId !== undefined && extra === undefined && this.store.get(hierarchyId) !== undefined);
      if (!isDirectory) throw vscode.FileSystemError.FileNotFound(uri);
      return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0 };
    }
    const { hierarchy } = this.resolve(uri);
    const size = new TextEncoder().encode(await this.content(kind, hierarchy)).byteLength;
    return {
      type: vscode.FileType.File,
      ctime: Date.parse(hierarchy.createdAt) || 0,
      mtime: this.mtime(hierarchy),
      size,
      ...(kind.stage === 'preview' ? { permissions: vscode.FilePermission.Readonly } : {}),
    };
  }

  readDirectory(uri: vscode.Uri): [string, vscode.FileType][] {
    if (uri.path === '/') return this.store.all().map((hierarchy) => [hierarchy.id, vscode.FileType.Directory]);
    const [, hierarchyId] = uri.path.split('/');
    if (!hierarchyId || !this.store.get(hierarchyId)) throw vscode.FileSystemError.FileNotFound(uri);
    return [...LAYER_STAGES.map((stage) => FILE_NAMES[stage]), PREVIEW_FILE].map((name) => [name, vscode.FileType.File]);
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const { kind, hierarchy } = this.resolve(uri);
    return new TextEncoder().encode(await this.content(kind, hierarchy));
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array): Promise<void> {
    const { kind, hierarchy } = this.resolve(uri);
    if (kind.stage === 'preview') throw vscode.FileSystemError.NoPermissions('The preview is read-only; edit a layer instead.');
    const stage = kind.stage;
    if (this.isRunning(hierarchy.id)) {
      throw vscode.FileSystemError.NoPermissions('This proof is still being generated; wait for it to finish or cancel it, then save again.');
    }
    const core = await this.loadCore();
    let edited: Hierarchy;
    try {
      edited = core.editLayer(hierarchy, stage, new TextDecoder().decode(content));
    } catch (error) {
      throw vscode.FileSystemError.NoPermissions(error instanceof Error ? error.message : String(error));
    }
    if (edited === hierarchy) return;
    const staleBelow = stagesBelow(stage).filter((below) => edited.layers[below].status === 'stale' && hierarchy.layers[below].status !== 'stale');
    this.store.put(edited);
    this.onEdited(edited, stage, staleBelow);
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  dispose(): void {
    this.throttle.dispose();
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** Opens a layer as an editable markdown document. */
export async function openLayerDocument(hierarchyId: string, stage: LayerStage): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(layerUri(hierarchyId, stage));
  return vscode.window.showTextDocument(document, { preview: false });
}

