// "Review Proof": a judge model grades the proof on DeepTheorem's process rubric (src/core/review.ts
// does the asking, the tolerant parsing and the recomputed total). This adapter picks the judge
// (insightProof.judgeModel, else the main model), shows progress with Cancel, and stores the review
// on the hierarchy as it is when the judge answers: a generation or an edit made meanwhile is kept,
// and the review then shows as stale because it graded the proof as it was when it was requested.
// Every failure is one sentence; the hierarchy is left as it was.
import * as vscode from 'vscode';
import type { ModelClient } from '../core/client.ts';
import type { Hierarchy } from '../core/hierarchy.ts';
import { readConfig } from './config.ts';
import type { LoadCore } from './core.ts';
import type { HierarchyStore } from './hierarchyStore.ts';
import { errorKind, type ModelService } from './modelService.ts';
import type { ProofRuns } from './proofRuns.ts';

export type ReviewOutcome = 'done' | 'failed' | 'cancelled' | 'not-started';

/** At most this much of an unusable judge answer goes to the log. */
const LOGGED_ANSWER_CHARS = 2000;

export class ReviewFlow implements vscode.Disposable {
  private readonly store: HierarchyStore;
  private readonly runs: ProofRuns;
  private readonly models: ModelService;
  private readonly log: vscode.LogOutputChannel;
  private readonly loadCore: LoadCore;
  private readonly active = new Map<string, { controller: AbortController; finished: Promise<ReviewOutcome> }>();
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires with the hierarchy id when a review starts or ends. */
  readonly onDidChange = this.changed.event;

  constructor(store: HierarchyStore, runs: ProofRuns, models: ModelService, log: vscode.LogOutputChannel, loadCore: LoadCore) {
    this.store = store;
    this.runs = runs;
    this.models = models;
    this.log = log;
    this.loadCore = loadCore;
  }

  isReviewing(hierarchyId: string): boolean {
    return this.active.has(hierarchyId);
  }

  /** Resolves when no review is running. */
  async whenIdle(): Promise<void> {
    while (this.active.size > 0) await Promise.allSettled([...this.active.values()].map((review) => review.finished));
  }

  cancelAll(): void {
    for (const review of this.active.values()) review.controller.abort();
  }

  /**
   * Reviews the hierarchy's proof. Resolves when the review ended; what went wrong has been shown
   * by then (without waiting for the person to answer).
   */
  review(hierarchy: Hierarchy): Promise<ReviewOutcome> {
    if (this.runs.isRunning(hierarchy.id)) {
      void vscode.window.showWarningMessage('Insight Proof: this proof is still being generated; wait for it to finish, then review it.');
      return Promise.resolve('not-started');
    }
    if (this.active.has(hierarchy.id)) {
      void vscode.window.showWarningMessage('Insight Proof: this proof is already being reviewed; wait for the score or cancel the review first.');
      return Promise.resolve('not-started');
    }
    const controller = new AbortController();
    // Registered before the first await, so a second review in the same tick is refused too.
    const finished = this.run(hierarchy, controller)
      .catch((error: unknown) => {
        this.log.error(`Review of ${hierarchy.id} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        void vscode.window.showErrorMessage(`Insight Proof: ${error instanceof Error ? error.message : String(error)}`);
        return 'failed' as const;
      })
      .finally(() => {
        this.active.delete(hierarchy.id);
        this.changed.fire(hierarchy.id);
      });
    this.active.set(hierarchy.id, { controller, finished });
    this.changed.fire(hierarchy.id);
    return finished;
  }

  private async run(hierarchy: Hierarchy, controller: AbortController): Promise<ReviewOutcome> {
    const core = await this.loadCore();
    if (hierarchy.layers.proof.status === 'generating' || !hierarchy.layers.proof.text.trim()) {
      const reason = hierarchy.layers.proof.status === 'generating' ? 'the proof is still being generated; wait for it to finish, then review it.' : 'there is no proof to review yet; generate or write the proof first.';
      void vscode.window.showInformationMessage(`Insight Proof: ${reason}`);
      return 'not-started';
    }
    // A judge of its own needs only the server; without one the main model judges, and ready()
    // asks for it (or says what is missing) like Prove does.
    let config = readConfig();
    let client: ModelClient;
    try {
      if (config.judgeModel !== '' && config.baseUrl !== '') {
        client = (await this.models.client(config)).client;
      } else {
        const ready = await this.models.ready();
        if (!ready) return 'not-started';
        client = ready.client;
        config = ready.config;
      }
    } catch (error) {
      void this.models.showFailure(error);
      return 'failed';
    }
    const judge = core.judgeModelFor(config);
    const requestedAt = new Date();
    this.log.info(`review: request to ${judge} for ${hierarchy.id}.`);
    try {
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Insight Proof: reviewing the proof with ${judge}`, cancellable: true },
        (_progress, token) => {
          const subscription = token.onCancellationRequested(() => controller.abort());
          return core
            .runReview(
              hierarchy,
              client,
              {
                model: config.model,
                judgeModel: config.judgeModel,
                ...(config.temperature !== undefined ? { temperature: config.temperature } : {}),
                ...(config.maxTokens !== undefined ? { maxTokens: config.maxTokens } : {}),
                ...(config.promptTemplates ? { templates: config.promptTemplates } : {}),
              },
              // The review grades the proof as it was when it was asked for: dated then, a proof
              // changed while the judge was thinking makes it stale.
              { signal: controller.signal, now: () => requestedAt },
            )
            .finally(() => subscription.dispose());
        },
      );
      const review = outcome.hierarchy.review!;
      const current = this.store.get(hierarchy.id);
      if (!current) {
        this.log.info(`review: ${hierarchy.id} was deleted while it was being reviewed; the score was dropped.`);
        return 'cancelled';
      }
      this.store.put({ ...current, review, updatedAt: new Date().toISOString() });
      this.models.noteSuccess();
      this.log.info(`review: ${hierarchy.id} scored ${review.score} by ${review.model ?? judge} (validity ${review.validity}, completeness ${review.completeness}, correctness ${review.correctness}, clarity ${review.clarity}).`);
      for (const warning of outcome.warnings) this.log.warn(`review: ${warning}`);
      const note = outcome.warnings.length > 0 ? ` (${outcome.warnings.length === 1 ? 'the judge\'s answer needed a correction' : `the judge's answer needed ${outcome.warnings.length} corrections`}; see the log)` : '';
      vscode.window.setStatusBarMessage(`Insight Proof: review ${(review.score * 100).toFixed(0)}%${note}`, 5000);
      return 'done';
    } catch (error) {
      if (errorKind(error) === 'aborted' || controller.signal.aborted) {
        this.log.info(`review: cancelled for ${hierarchy.id}.`);
        return 'cancelled';
      }
      if (error instanceof core.ReviewParseError) {
        this.log.error(`review: ${error.message} The judge answered: ${error.raw.slice(0, LOGGED_ANSWER_CHARS)}${error.raw.length > LOGGED_ANSWER_CHARS ? '…' : ''}`);
        void this.showWithLog(`Insight Proof: ${error.message}`);
        return 'failed';
      }
      if (error instanceof core.ReviewInputError) {
        void vscode.window.showInformationMessage(`Insight Proof: ${error.message}`);
        return 'not-started';
      }
      if (errorKind(error)) {
        this.log.error(`review: ${error instanceof Error ? error.message : String(error)}`);
        void this.models.showFailure(error, () => this.review(this.store.get(hierarchy.id) ?? hierarchy));
        return 'failed';
      }
      throw error;
    }
  }

  private async showWithLog(message: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(message, 'Show Log');
    if (choice === 'Show Log') this.log.show(true);
  }

  dispose(): void {
    this.cancelAll();
    this.changed.dispose();
  }
}
