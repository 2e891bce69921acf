import type * as vscode from 'vscode';

/**
 * Runs `action` at most once per `intervalMs`: the first call runs it on the next tick, calls during
 * the interval collapse into one trailing run. Streaming fires a change per token; the view, the
 * CodeLenses and the saved state only need to catch up a few times a second.
 */
export class Throttle implements vscode.Disposable {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastRun = 0;
  private pending = false;
  private readonly action: () => void;
  private readonly intervalMs: number;

  constructor(action: () => void, intervalMs: number) {
    this.action = action;
    this.intervalMs = intervalMs;
  }

  schedule(): void {
    this.pending = true;
    if (this.timer) return;
    const wait = Math.max(0, this.lastRun + this.intervalMs - Date.now());
    this.timer = setTimeout(() => this.run(), wait);
  }

  /** Runs a pending action now (for example before the window closes). */
  flush(): void {
    if (this.pending) this.run();
  }

  get isPending(): boolean {
    return this.pending;
  }

  private run(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending) return;
    this.pending = false;
    this.lastRun = Date.now();
    this.action();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = false;
  }
}
