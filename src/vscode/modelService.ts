// Everything about reaching the model server: the client (built lazily from the settings and the
// secret key, rebuilt when either changes), the status bar item, "Select Model" and "Test
// Connection", offering a server found on this machine when none is set, saying plainly when the
// server is the bundled demo, and turning a failure into one sentence with the actions that fix it.
import * as vscode from 'vscode';
import type { ModelClient } from '../core/client.ts';
import type { ModelError, ModelErrorKind } from '../core/errors.ts';
import { isDemoModel, isLoopbackUrl, probeModels, type FoundServer, type ServedModel } from '../core/localServers.ts';
import type { PipelineSettings } from '../core/pipeline.ts';
import { openSettings, readConfig, updateModelSetting, type InsightProofConfig } from './config.ts';
import type { LoadCore } from './core.ts';
import { LocalServerFinder, NOTHING_FOUND } from './localServers.ts';

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
/** Asking a server on this machine which models it serves takes milliseconds; this is generous. */
const IDENTIFY_TIMEOUT_MS = 3_000;

const DEMO_NOTICE =
  'Insight Proof is talking to the bundled demo model, not a real one: it replays recorded answers for the sample theorems of workbook.md only. To prove your own theorems, serve a real model and set insightProof.baseUrl to it.';

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
  private readonly finder: LocalServerFinder;
  /** What the configured server said about the configured model: the demo or not (per base URL and model). */
  private identity: { key: string; demo: boolean } | undefined;
  private identifying: { key: string; done: Promise<void> } | undefined;
  private demoNoticeShown = false;
  /** The ids the server listed last, for recognising the demo once a model is chosen from them. */
  private listed: string[] = [];
  private identifyTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(secrets: vscode.SecretStorage, log: vscode.LogOutputChannel, loadCore: LoadCore, version: string) {
    this.secrets = secrets;
    this.log = log;
    this.loadCore = loadCore;
    this.version = version;
    this.finder = new LocalServerFinder(log, {
      selectModel: (title) => this.selectModel(title),
      setApiKey: () => vscode.commands.executeCommand('insightProof.setApiKey'),
    });
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
    this.scheduleIdentify();
  }

  /** Settings or trust changed: the next request builds a new client. */
  invalidate(): void {
    this.cached = undefined;
    this.state = 'unknown';
    this.lastProblem = '';
    this.updateStatus();
  }

  /**
   * Right after activation, asks a configured server on this machine which models it serves: that
   * tells the bundled demo from a real model before the first request, so the status bar says
   * "Demo model" at once. Later the first run (or a connection test) asks. Servers elsewhere are
   * not asked unprompted; the demo is always local.
   */
  private scheduleIdentify(): void {
    clearTimeout(this.identifyTimer);
    const config = readConfig();
    if (config.baseUrl === '' || !isLoopbackUrl(withScheme(config.baseUrl))) return;
    this.identifyTimer = setTimeout(() => void this.identify(), 0);
  }

  private identityKey(config: InsightProofConfig): string {
    return JSON.stringify([config.baseUrl, config.model]);
  }

  /** Asks the configured server (once per base URL and model) whether its model is the demo. */
  private identify(config: InsightProofConfig = readConfig()): Promise<void> {
    const key = this.identityKey(config);
    if (this.identity?.key === key) return Promise.resolve();
    if (this.identifying?.key === key) return this.identifying.done;
    const done = (async () => {
      let baseUrl: string;
      try {
        baseUrl = (await this.loadCore()).normalizeBaseUrl(config.baseUrl).baseUrl;
      } catch {
        return; // a malformed URL: the first request says what is wrong with it
      }
      const apiKey = await this.apiKey();
      const probe = await probeModels(globalThis.fetch, baseUrl, { timeoutMs: IDENTIFY_TIMEOUT_MS, ...(apiKey ? { apiKey } : {}) });
      if (this.identityKey(readConfig()) !== key || probe.kind !== 'models') return;
      this.noteIdentity(config, probe.models);
      if (this.state === 'unknown') this.setState('connected');
    })().finally(() => {
      if (this.identifying?.key === key) this.identifying = undefined;
    });
    this.identifying = { key, done };
    return done;
  }

  /** Records what the server listed; the first time it is the demo, says so. */
  private noteIdentity(config: InsightProofConfig, models: readonly ServedModel[]): void {
    const demo = config.model !== '' && isDemoModel(models, config.model);
    this.identity = { key: this.identityKey(config), demo };
    this.updateStatus();
    if (demo && !this.demoNoticeShown) {
      this.demoNoticeShown = true;
      this.log.info(`${config.baseUrl} serves the bundled demo model ${config.model}: recorded answers for the sample theorems only.`);
      void this.showDemoNotice();
    }
  }

  /** Says what the demo is, with a way to the theorems it knows when the workspace has them. */
  private async showDemoNotice(): Promise<void> {
    const [workbook] = await vscode.workspace.findFiles('**/workbook.md', '**/node_modules/**', 1);
    const choice = await vscode.window.showInformationMessage(DEMO_NOTICE, ...(workbook ? ['Open Workbook'] : []));
    if (choice === 'Open Workbook' && workbook) await vscode.window.showTextDocument(workbook);
  }

  /** True when the configured server said its model is the bundled demo. */
  get isDemo(): boolean {
    const config = readConfig();
    return this.identity?.key === this.identityKey(config) && this.identity.demo;
  }

  /**
   * Unasked (the Proof Hierarchy view was shown): when no server is set, looks for one on this
   * machine and offers it, at most once per session.
   */
  offerLocalServerOnce(): void {
    if (readConfig().baseUrl !== '') return;
    void this.finder.offerOnce();
  }

  /** The "Find Local Model Server" command: looks now and offers what answers; resolves with it. */
  findLocalServer(): Promise<FoundServer[]> {
    return this.finder.findAndOffer();
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
      // The first time, a server running on this machine is offered before anything is said to be missing.
      const outcome = await this.finder.offerOnce();
      if (outcome === 'configured' && readConfig().baseUrl !== '') return this.ready();
      if (outcome === 'declined') return undefined;
      const message = outcome === 'none' ? NOTHING_FOUND.replace(/^No /, 'No model server is configured, and no ') : 'No model server is configured; set insightProof.baseUrl to an OpenAI-compatible server such as http://localhost:8000/v1.';
      void this.showProblem(message, 'config');
      return undefined;
    }
    let model = config.model;
    if (model === '') {
      const picked = await this.selectModel('No model is selected; pick the model to prove with.');
      if (!picked) return undefined;
      model = picked;
    }
    // Says "demo" before the first answer arrives, when the startup check has not yet.
    if (isLoopbackUrl(withScheme(config.baseUrl))) void this.identify({ ...config, model });
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
      this.listed = models;
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
    const config = readConfig();
    if (config.model === model && this.listed.length > 0) this.noteIdentity(config, this.listed.map((id) => ({ id })));
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
      this.listed = models;
      if (config.model !== '') this.noteIdentity(config, models.map((id) => ({ id })));
      if (config.model === '') {
        const choice = await vscode.window.showInformationMessage(`Insight Proof reached ${baseUrl} (${models.length} models); select the model to prove with.`, 'Select Model');
        if (choice === 'Select Model') await this.selectModel();
      } else if (models.length > 0 && !models.includes(config.model)) {
        const choice = await vscode.window.showWarningMessage(
          `Insight Proof reached ${baseUrl}, but it does not list the model ${config.model}; select one it serves.`,
          'Select Model',
        );
        if (choice === 'Select Model') await this.selectModel();
      } else if (this.isDemo) {
        void vscode.window.showInformationMessage(`Insight Proof reached ${baseUrl}: the bundled demo model is ready, with recorded answers for the sample theorems only.`);
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
      item.tooltip = 'Insight Proof has no model server yet. Click to look for one on this machine (vLLM, Ollama, LM Studio, llama.cpp), or set insightProof.baseUrl.';
      item.command = 'insightProof.findLocalServer';
      return;
    }
    if (config.model === '') {
      item.text = '$(sparkle) Select model';
      item.tooltip = `Insight Proof: no model selected for ${config.baseUrl}. Click to pick one.`;
      item.command = 'insightProof.selectModel';
      return;
    }
    const demo = this.isDemo;
    const icon = this.generating > 0 ? '$(loading~spin)' : this.state === 'failed' ? '$(warning)' : demo ? '$(beaker)' : '$(sparkle)';
    item.text = demo ? `${icon} Demo model` : `${icon} ${config.model}`;
    const stateText =
      this.generating > 0 ? 'generating' : this.state === 'connected' ? 'connected' : this.state === 'failed' ? `not reachable: ${this.lastProblem}` : 'not tested yet';
    item.tooltip = demo
      ? `Insight Proof is talking to the bundled demo model at ${config.baseUrl} (${stateText}): it replays recorded answers for the sample theorems in samples/workbook.md and is not a real model. Click to test the connection.`
      : `Insight Proof: ${config.model} at ${config.baseUrl} (${stateText}). Click to test the connection.`;
    item.command = 'insightProof.testConnection';
    if (this.state === 'failed') item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
  }

  dispose(): void {
    clearTimeout(this.identifyTimer);
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
  }
}

/** A typed address without a scheme ("localhost:8000") read as http, as normalizeBaseUrl does. */
function withScheme(baseUrl: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(baseUrl) ? baseUrl : `http://${baseUrl}`;
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
