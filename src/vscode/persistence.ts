// Saves the hierarchies of this workspace (drafts, alternatives and partial output included) to a
// JSON file in the extension's workspace storage, so that they survive a window reload. Saving is
// throttled while layers stream in and flushed when the extension deactivates; a file that cannot
// be read is kept as a backup and reported once, and the hierarchies that can be read are kept.
import * as vscode from 'vscode';
import type { AnyLayer, Hierarchy } from '../core/hierarchy.ts';
import type { LoadCore } from './core.ts';
import type { HierarchyStore } from './hierarchyStore.ts';
import { LAYER_STAGES } from '../core/hierarchy.ts';
import { Throttle } from './throttle.ts';

export const STATE_FORMAT = 'insight-proof.state/v1';
export const STATE_FILE = 'hierarchies.json';
/** While a layer streams in, the file is rewritten at most this often. */
export const SAVE_INTERVAL_MS = 1000;

interface StateFile {
  format: typeof STATE_FORMAT;
  savedAt: string;
  hierarchies: unknown[];
}

export const INTERRUPTED_MESSAGE = 'The window closed while this layer was being generated; regenerate it to finish it (the text received so far is kept).';

/**
 * A layer that was streaming when the window closed is kept as failed, with what had arrived and
 * `message` saying why (an imported file can hold such layers too, with a message of its own).
 */
export function markInterrupted(hierarchy: Hierarchy, message = INTERRUPTED_MESSAGE): Hierarchy {
  if (!LAYER_STAGES.some((stage) => hierarchy.layers[stage].status === 'generating')) return hierarchy;
  const interrupt = <L extends AnyLayer>(layer: L): L => (layer.status === 'generating' ? { ...layer, status: 'failed', error: message } : layer);
  const { techniques, sketch, proof } = hierarchy.layers;
  return { ...hierarchy, layers: { techniques: interrupt(techniques), sketch: interrupt(sketch), proof: interrupt(proof) } };
}

export interface PersistenceLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Tells the person, once, that saved state could not be read (a warning with Show Log). */
function showRecoveryWarning(message: string): void {
  void vscode.window.showWarningMessage(message, 'Show Log').then((choice) => {
    if (choice === 'Show Log') void vscode.commands.executeCommand('insightProof.showLog');
  });
}

export class HierarchyPersistence implements vscode.Disposable {
  private readonly store: HierarchyStore;
  private readonly directory: vscode.Uri;
  private readonly log: PersistenceLog;
  private readonly loadCore: LoadCore;
  private readonly warnUser: (message: string) => void;
  private readonly throttle: Throttle;
  private readonly subscription: vscode.Disposable;
  private loading: Promise<void> | undefined;
  /** Writes run one after another; each starts from the store as it is then. */
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  /** `warnUser` shows the one sentence about an unreadable state file; tests pass a recorder. */
  constructor(store: HierarchyStore, directory: vscode.Uri, log: PersistenceLog, loadCore: LoadCore, warnUser: (message: string) => void = showRecoveryWarning) {
    this.store = store;
    this.directory = directory;
    this.log = log;
    this.loadCore = loadCore;
    this.warnUser = warnUser;
    this.throttle = new Throttle(() => void this.save(), SAVE_INTERVAL_MS);
    this.subscription = store.onDidChange(() => {
      this.dirty = true;
      this.throttle.schedule();
    });
  }

  get file(): vscode.Uri {
    return vscode.Uri.joinPath(this.directory, STATE_FILE);
  }

  /** Loads the saved hierarchies into the store (once); saving waits for it so nothing is overwritten. */
  load(): Promise<void> {
    return (this.loading ??= this.readState().catch((error: unknown) => {
      this.log.error(`Loading saved proof hierarchies failed: ${describe(error)}`);
    }));
  }

  /** Writes pending changes now; resolves when they are on disk. */
  async flush(): Promise<void> {
    if (this.dirty) await this.save();
    await this.writing;
  }

  private async readState(): Promise<void> {
    let bytes: Uint8Array;
    try {
      bytes = await vscode.workspace.fs.readFile(this.file);
    } catch (error) {
      if (error instanceof vscode.FileSystemError && error.code === 'FileNotFound') return;
      throw error;
    }
    let state: unknown;
    try {
      state = JSON.parse(new TextDecoder().decode(bytes));
    } catch (error) {
      await this.recover(bytes, `it is not valid JSON (${describe(error)})`, 'all');
      return;
    }
    if (!isStateFile(state)) {
      await this.recover(bytes, `it is not in the ${STATE_FORMAT} format`, 'all');
      return;
    }
    const { parseHierarchy } = await this.loadCore();
    const restored: Hierarchy[] = [];
    const problems: string[] = [];
    for (const [index, value] of state.hierarchies.entries()) {
      try {
        restored.push(markInterrupted(parseHierarchy(value, `saved hierarchy #${index + 1}`)));
      } catch (error) {
        problems.push(describe(error));
      }
    }
    // A hierarchy created or restored from a document while this was loading is newer: keep it.
    this.store.putMany(restored.filter((hierarchy) => !this.store.get(hierarchy.id)));
    this.log.info(`Restored ${restored.length} proof hierarchies from ${this.file.toString(true)}.`);
    if (problems.length > 0) {
      for (const problem of problems) this.log.warn(problem);
      await this.recover(bytes, `${problems.length} of ${state.hierarchies.length} saved hierarchies are damaged`, 'some');
    }
  }

  /** Keeps the unreadable file next to the state file and tells the user once, in one sentence. */
  private async recover(bytes: Uint8Array, reason: string, lost: 'all' | 'some'): Promise<void> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const backup = vscode.Uri.joinPath(this.directory, `hierarchies.corrupt-${stamp}.json`);
    await vscode.workspace.fs.writeFile(backup, bytes);
    this.log.error(`The saved state ${this.file.toString(true)} could not be read: ${reason}. A copy was kept as ${backup.toString(true)}.`);
    // Rewrite the state file from what could be read, so the damage is not met again next time.
    this.dirty = true;
    this.throttle.schedule();
    const message =
      lost === 'all'
        ? `Insight Proof could not read its saved proof hierarchies and started with an empty list; the unreadable file was kept as ${backup.path.split('/').pop() ?? ''}.`
        : `Insight Proof could not read some saved proof hierarchies and kept the others; the original file was kept as ${backup.path.split('/').pop() ?? ''}.`;
    this.warnUser(message);
  }

  private save(): Promise<void> {
    this.writing = this.writing.then(async () => {
      await this.load();
      if (!this.dirty) return;
      this.dirty = false;
      const state: StateFile = { format: STATE_FORMAT, savedAt: new Date().toISOString(), hierarchies: this.store.all() };
      const bytes = new TextEncoder().encode(JSON.stringify(state));
      const temporary = vscode.Uri.joinPath(this.directory, `${STATE_FILE}.tmp`);
      try {
        await vscode.workspace.fs.createDirectory(this.directory);
        // Write a temporary file, then rename it: a crash mid-write never leaves half a state file.
        await vscode.workspace.fs.writeFile(temporary, bytes);
        await vscode.workspace.fs.rename(temporary, this.file, { overwrite: true });
      } catch (error) {
        this.dirty = true;
        this.log.error(`Saving proof hierarchies to ${this.file.toString(true)} failed: ${describe(error)}`);
      }
    });
    return this.writing;
  }

  dispose(): void {
    this.subscription.dispose();
    this.throttle.dispose();
  }
}

function isStateFile(value: unknown): value is StateFile {
  return typeof value === 'object' && value !== null && (value as StateFile).format === STATE_FORMAT && Array.isArray((value as StateFile).hierarchies);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
