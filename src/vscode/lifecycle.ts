import type * as vscode from 'vscode';

/**
 * Owns disposables and releases them together, newest first (the lifecycle helper pattern of
 * vscode-pull-request-github). Adding to a disposed store disposes the newcomer at once, so late
 * registrations during shutdown cannot leak.
 */
export class DisposableStore implements vscode.Disposable {
  private readonly items: vscode.Disposable[] = [];
  private disposed = false;

  add<T extends vscode.Disposable>(item: T): T {
    if (this.disposed) item.dispose();
    else this.items.push(item);
    return item;
  }

  dispose(): void {
    this.disposed = true;
    for (const item of this.items.splice(0).reverse()) {
      try {
        item.dispose();
      } catch {
        // One failing disposable must not keep the others alive.
      }
    }
  }
}
