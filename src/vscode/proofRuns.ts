// Runs the pipeline for hierarchies: one run per hierarchy at a time, each cancellable, streaming
// into the store (the view, CodeLenses and saved state follow the store, each throttled on its own).
//
// A second start on a hierarchy that is already generating is refused with a message that offers to
// cancel the running one: silently cancelling would throw away text the person is watching arrive,
// and queueing would run a request they may no longer want.
import * as vscode from 'vscode';
import type { ModelError } from '../core/errors.ts';
import type { LayerStage } from '../core/hierarchy.ts';
import type { PipelineEvent } from '../core/pipeline.ts';
import type { LoadCore } from './core.ts';
import type { HierarchyStore } from './hierarchyStore.ts';
import type { ModelService } from './modelService.ts';
import { LAYER_TITLES } from './stages.ts';

export interface RunRequest {
  /** The stages to run; default: from the first layer that is not done down to the proof. */
  stages?: LayerStage[];
  guidance?: string;
  /** The person confirmed that edited layers may be regenerated (their text stays an alternative). */
  overwriteEdited?: boolean;
}

export type RunOutcome = 'done' | 'failed' | 'cancelled' | 'not-started';

interface ActiveRun {
  readonly controller: AbortController;
  readonly finished: Promise<RunOutcome>;
}

export class ProofRuns implements vscode.Disposable {
  private readonly store: HierarchyStore;
  private readonly models: ModelService;
  private readonly log: vscode.LogOutputChannel;
  private readonly loadCore: LoadCore;
  private readonly viewId: string;
  private readonly active = new Map<string, ActiveRun>();
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires with the hierarchy id whenever a run starts or ends. */
  readonly onDidChange = this.changed.event;

  constructor(store: HierarchyStore, models: ModelService, log: vscode.LogOutputChannel, loadCore: LoadCore, viewId: string) {
    this.store = store;
    this.models = models;
    this.log = log;
    this.loadCore = loadCore;
    this.viewId = viewId;
  }

  isRunning(hierarchyId: string): boolean {
    return this.active.has(hierarchyId);
  }

  get runningIds(): string[] {
    return [...this.active.keys()];
  }

  /** Resolves when no run is active (runs started meanwhile are awaited too). */
  async whenIdle(): Promise<void> {
    while (this.active.size > 0) await Promise.allSettled([...this.active.values()].map((run) => run.finished));
  }

  cancel(hierarchyId: string): boolean {
    const run = this.active.get(hierarchyId);
    if (!run) return false;
    run.controller.abort();
    return true;
  }

  cancelAll(): void {
    for (const run of this.active.values()) run.controller.abort();
  }

  /**
   * Generates layers of a hierarchy. Resolves when the run ends; failures have been shown to the
   * person by then (without waiting for them to answer) and everything that arrived is in the store.
   */
  start(hierarchyId: string, request: RunRequest = {}): Promise<RunOutcome> {
    if (this.active.has(hierarchyId)) {
      void vscode.window
        .showWarningMessage('Insight Proof is already generating this proof; wait for it to finish or cancel it first.', 'Cancel Run')
        .then((choice) => {
          if (choice === 'Cancel Run') this.cancel(hierarchyId);
        });
      return Promise.resolve('not-started');
    }
    const controller = new AbortController();
    let settle: (outcome: RunOutcome) => void = () => undefined;
    const finished = new Promise<RunOutcome>((resolve) => (settle = resolve));
    // Registered before the first await, so a second start in the same tick is refused too.
    this.active.set(hierarchyId, { controller, finished });
    this.changed.fire(hierarchyId);
    const generating = this.models.beginGenerating();
    void this.run(hierarchyId, request, controller)
      .catch((error: unknown) => {
        this.log.error(`Run for ${hierarchyId} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        void vscode.window.showErrorMessage(`Insight Proof: ${error instanceof Error ? error.message : String(error)}`);
        return 'failed' as const;
      })
      .then((outcome) => {
        generating.dispose();
        this.active.delete(hierarchyId);
        this.changed.fire(hierarchyId);
        settle(outcome);
      });
    return finished;
  }

  private async run(hierarchyId: string, request: RunRequest, controller: AbortController): Promise<RunOutcome> {
    const ready = await this.models.ready();
    if (!ready || controller.signal.aborted) return ready ? 'cancelled' : 'not-started';
    const core = await this.loadCore();
    const hierarchy = this.store.get(hierarchyId);
    if (!hierarchy) return 'not-started';

    let stages: LayerStage[];
    try {
      stages = core.planRun(hierarchy, ready.settings, {
        ...(request.stages ? { stages: request.stages } : {}),
        ...(request.overwriteEdited ? { overwriteEdited: true } : {}),
      });
    } catch (error) {
      // Nothing was changed: an edited layer without confirmation, a missing layer above, ...
      void vscode.window.showWarningMessage(`Insight Proof: ${error instanceof Error ? error.message : String(error)}`);
      return 'not-started';
    }

    const timings = new Map<LayerStage, number>();
    let failure: { stage: LayerStage; error: ModelError } | undefined;
    const onEvent = (event: PipelineEvent): void => {
      // A hierarchy deleted mid-run stays deleted (deleting cancels its run first anyway).
      if (this.store.get(hierarchyId)) this.store.put(event.hierarchy);
      const model = core.modelForStage(ready.settings, event.stage);
      switch (event.type) {
        case 'stage-start':
          timings.set(event.stage, Date.now());
          this.log.info(`${event.stage}: request to ${model} at ${ready.baseUrl} (preset ${ready.settings.preset}).`);
          break;
        case 'stage-done': {
          const layer = event.hierarchy.layers[event.stage];
          const seconds = ((Date.now() - (timings.get(event.stage) ?? Date.now())) / 1000).toFixed(1);
          const reasoning = layer.reasoning ? ` + ${layer.reasoning.length} reasoning chars` : '';
          this.log.info(`${event.stage}: ${layer.raw.length} chars${reasoning} from ${layer.model ?? model} in ${seconds} s.`);
          for (const warning of layer.warnings ?? []) this.log.warn(`${event.stage}: ${warning}`);
          this.models.noteSuccess();
          break;
        }
        case 'stage-failed': {
          const seconds = ((Date.now() - (timings.get(event.stage) ?? Date.now())) / 1000).toFixed(1);
          const received = event.hierarchy.layers[event.stage].raw.length;
          if (event.error.kind === 'aborted') this.log.info(`${event.stage}: cancelled after ${seconds} s (${received} chars kept).`);
          else this.log.error(`${event.stage}: ${event.error.kind} after ${seconds} s (${received} chars kept): ${event.error.message}`);
          failure = { stage: event.stage, error: event.error };
          break;
        }
        case 'delta':
          break;
      }
    };

    const title = stages.length === 1 ? LAYER_TITLES[stages[0]!] : `${LAYER_TITLES[stages[0]!]} → ${LAYER_TITLES[stages[stages.length - 1]!]}`;
    const final = await vscode.window.withProgress({ location: { viewId: this.viewId }, title: `Insight Proof: ${title}` }, () =>
      core.runPipeline(hierarchy, ready.client, ready.settings, {
        stages,
        signal: controller.signal,
        onEvent,
        ...(request.overwriteEdited ? { overwriteEdited: true } : {}),
        ...(request.guidance ? { guidance: request.guidance } : {}),
      }),
    );
    // The final hierarchy is the last event's, unless the run stopped before any stage started.
    if (this.store.get(hierarchyId)) this.store.put(final);

    const failed = failure as { stage: LayerStage; error: ModelError } | undefined;
    if (!failed) return controller.signal.aborted ? 'cancelled' : 'done';
    if (failed.error.kind === 'aborted') return 'cancelled';
    const remaining = stages.slice(stages.indexOf(failed.stage));
    void this.models.showFailure(failed.error, () => this.start(hierarchyId, { stages: remaining, overwriteEdited: request.overwriteEdited ?? false }));
    return 'failed';
  }

  dispose(): void {
    this.cancelAll();
    this.changed.dispose();
  }
}

