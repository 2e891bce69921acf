// Offers a model server found on this machine when none is configured (the search itself is the
// pure src/core/localServers.ts). It runs lazily, never at activation: on the first Prove, when the
// Proof Hierarchy view is first shown, from the "set up" status bar item, the view's welcome or the
// walkthrough. Unasked, it searches at most once per session; the command searches whenever asked.
import * as vscode from 'vscode';
import {
  LOCAL_SERVER_CANDIDATES,
  describeCandidates,
  describeFound,
  findLocalServers,
  offerLabel,
  type FetchLike,
  type FindOptions,
  type FoundServer,
} from '../core/localServers.ts';
import { CONFIG_SECTION, openSettings, updateModelSetting } from './config.ts';

export type OfferOutcome =
  /** The person picked a server; insightProof.baseUrl (and the model, when it was clear) now name it. */
  | 'configured'
  /** Servers were offered and the person dismissed the offer. */
  | 'declined'
  /** The search ran and found nothing. */
  | 'none'
  /** The search already ran unasked in this session. */
  | 'skipped';

export interface LocalServerActions {
  /** Lets the person pick among a server's models and saves the choice. */
  selectModel(title: string): Promise<string | undefined>;
  setApiKey(): Thenable<unknown>;
}

/** The sentence for "nothing answered", naming the ports looked at. */
export const NOTHING_FOUND = `No OpenAI-compatible model server answers on this machine's usual ports (${describeCandidates(LOCAL_SERVER_CANDIDATES)}); start one, or set insightProof.baseUrl to your server.`;

export class LocalServerFinder {
  private readonly log: vscode.LogOutputChannel;
  private readonly actions: LocalServerActions;
  private readonly fetch: FetchLike;
  private readonly options: FindOptions;
  private searchedUnasked = false;
  private searching: Promise<FoundServer[]> | undefined;

  constructor(log: vscode.LogOutputChannel, actions: LocalServerActions, fetch: FetchLike = globalThis.fetch, options: FindOptions = {}) {
    this.log = log;
    this.actions = actions;
    this.fetch = fetch;
    this.options = options;
  }

  /**
   * Unasked: searches once per session and offers what it finds; resolves when the person has
   * answered the offer (or at once when there is nothing to offer).
   */
  async offerOnce(): Promise<OfferOutcome> {
    if (this.searchedUnasked) return 'skipped';
    this.searchedUnasked = true;
    const found = await this.search();
    return found.length === 0 ? 'none' : this.offer(found);
  }

  /**
   * Asked for (the command): searches now and offers what it finds, or says that nothing answered.
   * Resolves with what was found once the offer is shown, without waiting for the person's answer.
   */
  async findAndOffer(): Promise<FoundServer[]> {
    const found = await this.search();
    if (found.length > 0) {
      void this.offer(found);
    } else {
      void vscode.window.showInformationMessage(`Insight Proof: ${NOTHING_FOUND}`, 'Open Settings').then((choice) => {
        if (choice === 'Open Settings') void openSettings('baseUrl');
      });
    }
    return found;
  }

  private search(): Promise<FoundServer[]> {
    this.searching ??= (async () => {
      const started = Date.now();
      try {
        const found = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: 'Insight Proof: looking for a model server on this machine' },
          () => findLocalServers(this.fetch, this.options),
        );
        const summary = found.length === 0 ? 'none answered' : found.map((server) => offerLabel(server).replace(/^Use /, '')).join('; ');
        this.log.info(`Looked for local model servers on ports ${describeCandidates(this.options.candidates ?? LOCAL_SERVER_CANDIDATES)} in ${Date.now() - started} ms: ${summary}.`);
        return found;
      } finally {
        this.searching = undefined;
      }
    })();
    return this.searching;
  }

  private async offer(found: FoundServer[]): Promise<OfferOutcome> {
    const buttons = found.map((server) => offerLabel(server));
    const choice = await vscode.window.showInformationMessage(describeFound(found), ...buttons);
    const server = found.find((candidate) => offerLabel(candidate) === choice);
    if (!server) return 'declined';
    await this.use(server);
    return 'configured';
  }

  /** Saves the server as the person's own (user) setting, then the model when that is clear. */
  private async use(server: FoundServer): Promise<void> {
    await vscode.workspace.getConfiguration(CONFIG_SECTION).update('baseUrl', server.baseUrl, vscode.ConfigurationTarget.Global);
    this.log.info(`Base URL set to ${server.baseUrl} (user setting), found on ${server.name}'s usual port ${server.port}.`);
    if (server.needsApiKey) {
      await this.actions.setApiKey();
      return;
    }
    const [only, ...others] = server.models;
    if (only && others.length === 0) {
      await updateModelSetting(only.id);
      this.log.info(`Model set to ${only.id} (user setting), the only one ${server.baseUrl} serves.`);
    } else if (only) {
      await this.actions.selectModel(`Pick one of the models served at ${server.baseUrl}`);
    } else {
      void vscode.window.showWarningMessage(
        `Insight Proof will use ${server.baseUrl}, but it serves no model yet; load one (for example \`ollama pull qwen3:8b\`, or load a model in LM Studio), then run Insight Proof: Select Model.`,
      );
    }
  }
}
