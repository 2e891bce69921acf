import * as vscode from 'vscode';
import type { Hierarchy } from '../core/hierarchy.ts';

/**
 * The hierarchies this window knows, newest first, and an event when any of them changes.
 * Everything the UI shows is read from here; the core's operations produce the new values.
 */
export class HierarchyStore implements vscode.Disposable {
  private readonly byId = new Map<string, Hierarchy>();
  private readonly changed = new vscode.EventEmitter<Hierarchy | undefined>();
  /** Fires with the hierarchy that changed, or undefined when the set of hierarchies changed. */
  readonly onDidChange = this.changed.event;

  all(): Hierarchy[] {
    return [...this.byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  get(id: string): Hierarchy | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  put(hierarchy: Hierarchy): void {
    const isNew = !this.byId.has(hierarchy.id);
    this.byId.set(hierarchy.id, hierarchy);
    this.changed.fire(isNew ? undefined : hierarchy);
  }

  /** Adds several hierarchies with one change event (restoring saved state or a document's blocks). */
  putMany(hierarchies: readonly Hierarchy[]): void {
    if (hierarchies.length === 0) return;
    for (const hierarchy of hierarchies) this.byId.set(hierarchy.id, hierarchy);
    this.changed.fire(undefined);
  }

  delete(id: string): boolean {
    const deleted = this.byId.delete(id);
    if (deleted) this.changed.fire(undefined);
    return deleted;
  }

  /** Deep copies in the DESIGN.md JSON shape, safe to hand to other extensions and tests. */
  snapshot(): Hierarchy[] {
    return this.all().map((hierarchy) => structuredClone(hierarchy));
  }

  dispose(): void {
    this.changed.dispose();
  }
}
