// Everything about reaching the model server: the client (built lazily from the settings and the
// secret key, rebuilt when either changes), the status bar item, "Select Model" and "Test
// Connection", and turning a failure into one sentence with the actions that fix it.
import * as vscode from 'vscode';
import type { ModelClient } from '../core/client.ts';
import type { ModelError, ModelErrorKind } from '../core/errors.ts';
import type { PipelineSettings } from '../core/pipeline.ts';
import { openSettings, readConfig, updateModelSetting, type InsightProofConfig } from './config.ts';
import type { LoadCore } from './core.ts';

/** Where the API key lives: VS Code's SecretStorage, never settings or logs. */
export const API_KEY_SECRET = 'insightProof.apiKey';
/**
 * Read when no key is stored, for people who launch VS Code from a shell. OPENAI_API_KEY is
 * deliberately not read: it would send an OpenAI key to whatever server baseUrl names.
 */
export const API_KEY_ENV = 'INSIGHT_PROOF_API_KEY';
/** Extra attempts after a retryable failure before a layer fails. */
const MAX_RETRIES = 2;
const TEST_CONNECTION_TIMEOUT_MS = 15_000;

export type ConnectionState = 'unknown' | 'connected' | 'failed';

/** What a run needs: a client for the configured server and the pipeline's settings. */
export interface ReadyModel {
  client: ModelClient;
  settings: PipelineSettings;
  config: InsightProofConfig;
  baseUrl: string;
}

export class ModelService implements vscode.Disposable {
  private readonly secrets: vscode.SecretStorage;
  private readonly log: vscode.LogOutputChannel;
  private readonly loadCore: LoadCore;
  private readonly statusItem: vscode.StatusBarItem;
  private readonly subscriptions: vscode.Disposable[] = [];
  private cached: { key: string; client: ModelClient } | undefined;
  private readonly notedBaseUrls = new Set<string>();
  private state: ConnectionState = 'unknown';
  private lastProblem = '';
  private generating = 0;
  private readonly version: string;

  constructor(secrets: vscode.SecretStorage, log: vscode.LogOutputChannel, loadCore: LoadCore, version: string) {
    this.secrets = secrets;
    this.log = log;
    this.loadCore = loadCore;
    this.version = version;
    this.statusItem = vscode.window.createStatusBarItem('insightProof.model', vscode.StatusBarAlignment.Right, 100);
    this.statusItem.name = 'Insight Proof Model';
    this.subscriptions.push(
      this.statusItem,
      secrets.onDidChange((event) => {
        if (event.key === API_KEY_SECRET) this.invalidate();
      }),
    );
    this.updateStatus();
    this.statusItem.show();
  }

  /** Settings or trust changed: the next request builds a new client. */
  invalidate(): void {
    this.cached = undefined;
    this.state = 'unknown';
    this.lastProblem = '';
    this.updateStatus();
  }

  private async apiKey(): Promise<string | undefined> {
    const stored = await this.secrets.get(API_KEY_SECRET);
    if (stored) return stored;
    const fromEnvironment = process.env[API_KEY_ENV]?.trim();
    return fromEnvironment || undefined;
  }

  /**
   * The client for the configured server. Throws a ModelError of kind `config` (one sentence) when
   * the base URL is missing or malformed.
   */
  async client(config: InsightProofConfig = readConfig()): Promise<{ client: ModelClient; baseUrl: string }> {
    const core = await this.loadCore();
    const { baseUrl, note } = core.normalizeBaseUrl(config.baseUrl);
    if (note && !this.notedBaseUrls.has(config.baseUrl)) {
      this.notedBaseUrls.add(config.baseUrl);
      this.log.info(note);
    }
    const apiKey = await this.apiKey();
    const timeoutMs = Math.round(config.requestTimeoutSeconds * 1000);
    // The key is part of the cache key only as "is there one, and which": never kept in clear here.
    const key = JSON.stringify([baseUrl, timeoutMs, apiKey ? await fingerprint(apiKey) : '']);
    if (this.cached?.key !== key) {
      const client = core.createModelClient(
        { baseUrl, ...(apiKey ? { apiKey } : {}), timeoutMs, maxRetries: MAX_RETRIES },
        {
          info: (message) => this.log.info(message),
          warn: (message) => this.log.warn(message),
          error: (message) => this.log.error(message),
          debug: (message) => this.log.debug(message),
        },
        { clientVersion: this.version },
      );
      this.cached = { key, client };
    }
    return { client: this.cached.client, baseUrl };
  }

  /**
   * Everything a run needs, or undefined after telling the user (one sentence, with the action
   * that fixes it) what is missing.
   */
  async ready(): Promise<ReadyModel | undefined> {
    const config = readConfig();
    if (config.baseUrl === '') {
      void this.showProblem('No model server is configured; set insightProof.baseUrl to an OpenAI-compatible server such as http://localhost:8000/v1.', 'config');
      return undefined;
    }
    let model = config.model;
    if (model === '') {
      const picked = await this.selectModel('No model is selected; pick the model to prove with.');
      if (!picked) return undefined;
      model = picked;
    }
    try {
      const { client, baseUrl } = await this.client(config);
      const settings: PipelineSettings = {
        preset: config.preset,
        model,
        ...(Object.keys(config.stageModels).length > 0 ? { stageModels: config.stageModels } : {}),
        ...(config.temperature !== undefined ? { temperature: config.temperature } : {}),
        ...(config.maxTokens !== undefined ? { maxTokens: config.maxTokens } : {}),
        ...(config.promptTemplates ? { templates: config.promptTemplates } : {}),
      };
      return { client, settings, config: { ...config, model }, baseUrl };
    } catch (error) {
      void this.showFailure(error);
      return undefined;
    }
  }

  /** Lists the server's models in a quick pick and saves the choice as the user's `insightProof.model`. */
  async selectModel(title = 'Select the model to prove with'): Promise<string | undefined> {
    const config = readConfig();
    if (config.baseUrl === '') {
      void this.showProblem('Set insightProof.baseUrl to your model server first; then its models can be listed.', 'config');
      return undefined;
    }
    let models: string[];
    try {
      const { client } = await this.client(config);
      models = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'Insight Proof: listing models' },
        () => client.listModels(AbortSignal.timeout(TEST_CONNECTION_TIMEOUT_MS)),
      );
      this.setState('connected');
    } catch (error) {
      this.noteFailure(error);
      const message = error instanceof Error ? error.message : String(error);
      const choice = await vscode.window.showErrorMessage(`Insight Proof: ${message}`, 'Enter Model Id', 'Open Settings', 'Show Log');
      if (choice === 'Open Settings') void openSettings('baseUrl');
      if (choice === 'Show Log') this.log.show(true);
      return choice === 'Enter Model Id' ? this.enterModelId(config.model) : undefined;
    }
    if (models.length === 0) return this.enterModelId(config.model, 'The server lists no models; type the model id it serves.');
    const items: vscode.QuickPickItem[] = models.map((id) => ({ label: id, description: id === config.model ? 'current' : undefined }));
    const picked = await vscode.window.showQuickPick(items, {
      title,
      placeHolder: `Models served at ${config.baseUrl}`,
      ignoreFocusOut: true,
    });
    if (!picked) return undefined;
    await this.saveModel(picked.label);
    return picked.label;
  }

  private async enterModelId(current: string, prompt = 'The model id exactly as the server knows it.'): Promise<string | undefined> {
    const typed = await vscode.window.showInputBox({ title: 'Insight Proof: model id', prompt, value: current, ignoreFocusOut: true });
    if (!typed?.trim()) return undefined;
    await this.saveModel(typed.trim());
    return typed.trim();
  }

  private async saveModel(model: string): Promise<void> {
    await updateModelSetting(model);
    this.log.info(`Model set to ${model} (user setting).`);
    const inspection = vscode.workspace.getConfiguration('insightProof').inspect<string>('model');
    const override = vscode.workspace.isTrusted ? (inspection?.workspaceFolderValue ?? inspection?.workspaceValue) : undefined;
    if (override && override !== model) {
      void vscode.window.showWarningMessage(`Insight Proof saved ${model} as your user setting, but this workspace's insightProof.model (${override}) still takes precedence; change or remove it in the workspace settings.`);
    }
    this.updateStatus();
  }

  /** Lists the models once and says, in one sentence, whether proving can work. */
  async testConnection(): Promise<boolean> {
    const config = readConfig();
    if (config.baseUrl === '') {
      void this.showProblem('No model server is configured; set insightProof.baseUrl to an OpenAI-compatible server such as http://localhost:8000/v1.', 'config');
      return false;
    }
    try {
      const { client, baseUrl } = await this.client(config);
      const started = Date.now();
      const models = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Insight Proof: connecting to ${baseUrl}` },
        () => client.listModels(AbortSignal.timeout(TEST_CONNECTION_TIMEOUT_MS)),
      );
      this.log.info(`Connection test: ${baseUrl} listed ${models.length} models in ${Date.now() - started} ms.`);
      this.setState('connected');
      if (config.model === '') {
        const choice = await vscode.window.showInformationMessage(`Insight Proof reached ${baseUrl} (${models.length} models); select the model to prove with.`, 'Select Model');
        if (choice === 'Select Model') await this.selectModel();
      } else if (models.length > 0 && !models.includes(config.model)) {
        const choice = await vscode.window.showWarningMessage(
          `Insight Proof reached ${baseUrl}, but it does not list the model ${config.model}; select one it serves.`,
          'Select Model',
        );
        if (choice === 'Select Model') await this.selectModel();
      } else {
        void vscode.window.showInformationMessage(`Insight Proof reached ${baseUrl}, and the model ${config.model} is ready.`);
      }
      return true;
    } catch (error) {
      // The answer is known now; the message waits for the person without holding the command up.
      void this.showFailure(error);
      return false;
    }
  }

  /** A run is generating (the status bar shows it). */
  beginGenerating(): vscode.Disposable {
    this.generating++;
    this.updateStatus();
    let done = false;
    return new vscode.Disposable(() => {
      if (done) return;
      done = true;
      this.generating--;
      this.updateStatus();
    });
  }

  /** A request succeeded. */
  noteSuccess(): void {
    this.setState('connected');
  }

  /** A request failed: connection-level failures show in the status bar. */
  noteFailure(error: unknown): void {
    const kind = errorKind(error);
    if (kind === 'aborted') return;
    if (kind && CONNECTION_KINDS.has(kind)) {
      this.lastProblem = error instanceof Error ? error.message : String(error);
      this.setState('failed');
    }
  }

  /**
   * Shows a failure as one sentence with the actions that fix it. `retry` adds a "Retry" button.
   * Resolves once the person picked an action or dismissed the message: callers do not wait for it.
   */
  async showFailure(error: unknown, retry?: () => unknown): Promise<void> {
    this.noteFailure(error);
    const message = error instanceof Error ? error.message : String(error);
    await this.showProblem(message, errorKind(error), retry);
  }

  private async showProblem(message: string, kind: ModelErrorKind | undefined, retry?: () => unknown): Promise<void> {
    const actions = actionsFor(kind);
    const buttons = [...(retry ? ['Retry'] : []), ...actions.map((action) => action.title), 'Show Log'];
    const choice = await vscode.window.showErrorMessage(`Insight Proof: ${message}`, ...buttons);
    if (choice === 'Retry') await retry?.();
    else if (choice === 'Show Log') this.log.show(true);
    else await actions.find((action) => action.title === choice)?.run();
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    if (state === 'connected') this.lastProblem = '';
    this.updateStatus();
  }

  /** Refreshes the status bar item from the settings and the last known connection state. */
  updateStatus(): void {
    const config = readConfig();
    const item = this.statusItem;
    item.backgroundColor = undefined;
    if (config.baseUrl === '') {
      item.text = '$(sparkle) Insight Proof: set up';
      item.tooltip = 'Insight Proof has no model server yet. Click to set insightProof.baseUrl.';
      item.command = { title: 'Open Settings', command: 'workbench.action.openSettings', arguments: ['insightProof.baseUrl'] };
      return;
    }
    if (config.model === '') {
      item.text = '$(sparkle) Select model';
      item.tooltip = `Insight Proof: no model selected for ${config.baseUrl}. Click to pick one.`;
      item.command = 'insightProof.selectModel';
      return;
    }
    const icon = this.generating > 0 ? '$(loading~spin)' : this.state === 'failed' ? '$(warning)' : '$(sparkle)';
    item.text = `${icon} ${config.model}`;
    const stateText =
      this.generating > 0 ? 'generating' : this.state === 'connected' ? 'connected' : this.state === 'failed' ? `not reachable: ${this.lastProblem}` : 'not tested yet';
    item.tooltip = `Insight Proof: ${config.model} at ${config.baseUrl} (${stateText}). Click to test the connection.`;
    item.command = 'insightProof.testConnection';
    if (this.state === 'failed') item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
  }

  dispose(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
  }
}

/** Failures that mean the server cannot be reached or refuses us, as opposed to one bad answer. */
const CONNECTION_KINDS: ReadonlySet<ModelErrorKind> = new Set(['connection', 'dns', 'auth', 'forbidden', 'not-found', 'model-not-found', 'config']);

export function errorKind(error: unknown): ModelErrorKind | undefined {
  if (typeof error === 'object' && error !== null && (error as Error).name === 'ModelError') return (error as ModelError).kind;
  return undefined;
}

interface FixAction {
  title: string;
  run(): unknown;
}

/** The actions that fix each kind of failure (besides Retry and Show Log). */
export function actionsFor(kind: ModelErrorKind | undefined): FixAction[] {
  const settings = (key: string): FixAction => ({ title: 'Open Settings', run: () => openSettings(key) });
  const command = (title: string, id: string): FixAction => ({ title, run: () => vscode.commands.executeCommand(id) });
  switch (kind) {
    case 'config':
    case 'connection':
    case 'dns':
    case 'not-found':
      return [settings('baseUrl')];
    case 'auth':
    case 'forbidden':
      return [command('Set API Key', 'insightProof.setApiKey')];
    case 'model-not-found':
      return [command('Select Model', 'insightProof.selectModel')];
    case 'timeout':
      return [settings('requestTimeoutSeconds')];
    case 'context-length':
      return [settings('maxTokens')];
    default:
      return [];
  }
}

/** A short digest of the key, so a changed key rebuilds the client without keeping the key around. */
async function fingerprint(secret: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret));
  return Buffer.from(digest).toString('hex').slice(0, 16);
}
