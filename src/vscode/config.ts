// Every setting of the extension, read in one place with its type checked (the typed-getter
// style of vscode-lean4). A value of the wrong type, as a hand-edited settings.json can hold, falls
// back to the default instead of reaching the model client.
import * as vscode from 'vscode';
import type { LayerStage } from '../core/hierarchy.ts';
import type { PresetName, PromptTemplates } from '../core/prompts.ts';
import { LAYER_STAGES, REQUEST_STAGES } from '../core/hierarchy.ts';

export const CONFIG_SECTION = 'insightProof';

/**
 * Settings that decide where requests (and the user's API key) go. In an untrusted workspace only
 * the user's own values count: a cloned repository's .vscode/settings.json cannot redirect them.
 * package.json lists the same keys under capabilities.untrustedWorkspaces.restrictedConfigurations.
 */
export const RESTRICTED_SETTINGS: readonly string[] = ['baseUrl', 'model', 'stageModels', 'judgeModel'];

export interface InsightProofConfig {
  /** As typed by the user; the model service normalises it (adds /v1 and so on). */
  baseUrl: string;
  model: string;
  stageModels: Partial<Record<LayerStage, string>>;
  /** The model that reviews proofs; '' means the main model. */
  judgeModel: string;
  preset: PresetName;
  /** Prove runs every stage; false stops after each layer. */
  autoAdvance: boolean;
  temperature?: number;
  maxTokens?: number;
  requestTimeoutSeconds: number;
  promptTemplates?: PromptTemplates;
}

export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 600;

/** The parts of `vscode.WorkspaceConfiguration.inspect()` this module reads. */
export interface SettingInspection {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/** Where settings come from: the real configuration, or a fake one in tests. */
export interface SettingsSource {
  get(key: string): unknown;
  inspect(key: string): SettingInspection | undefined;
}

/**
 * The value a setting has for this window. Restricted settings in an untrusted workspace take
 * only the user (global) value or the default, whatever the workspace or its folders say.
 */
export function effectiveSetting(source: SettingsSource, key: string, trusted: boolean): unknown {
  if (trusted || !RESTRICTED_SETTINGS.includes(key)) return source.get(key);
  const inspection = source.inspect(key);
  return inspection?.globalValue !== undefined ? inspection.globalValue : inspection?.defaultValue;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function stringMap<K extends string>(value: unknown, keys: readonly K[]): Partial<Record<K, string>> {
  const result: Partial<Record<K, string>> = {};
  if (!isRecord(value)) return result;
  for (const key of keys) {
    const entry = value[key];
    if (isString(entry) && entry.trim() !== '') result[key] = entry.trim();
  }
  return result;
}

const TEMPLATE_STAGES = REQUEST_STAGES;

function promptTemplates(value: unknown): PromptTemplates | undefined {
  if (!isRecord(value)) return undefined;
  const system = stringMap(value.system, TEMPLATE_STAGES);
  const user = stringMap(value.user, TEMPLATE_STAGES);
  const templates: PromptTemplates = {};
  if (Object.keys(system).length > 0) templates.system = system;
  if (Object.keys(user).length > 0) templates.user = user;
  return templates.system || templates.user ? templates : undefined;
}

/** Reads and checks every setting. Pure apart from `source`, so tests can hand in a fake. */
export function readConfigFrom(source: SettingsSource, trusted: boolean): InsightProofConfig {
  const value = (key: string) => effectiveSetting(source, key, trusted);
  const baseUrl = value('baseUrl');
  const model = value('model');
  const judgeModel = value('judgeModel');
  const preset = value('preset');
  const autoAdvance = value('autoAdvance');
  const temperature = value('temperature');
  const maxTokens = value('maxTokens');
  const timeout = value('requestTimeoutSeconds');
  const templates = promptTemplates(value('promptTemplates'));
  return {
    baseUrl: isString(baseUrl) ? baseUrl.trim() : '',
    model: isString(model) ? model.trim() : '',
    stageModels: stringMap(value('stageModels'), LAYER_STAGES),
    judgeModel: isString(judgeModel) ? judgeModel.trim() : '',
    preset: preset === 'instruct' ? 'instruct' : 'deepinsight',
    autoAdvance: typeof autoAdvance === 'boolean' ? autoAdvance : true,
    ...(isFiniteNumber(temperature) && temperature >= 0 ? { temperature } : {}),
    ...(isFiniteNumber(maxTokens) && maxTokens >= 1 ? { maxTokens: Math.floor(maxTokens) } : {}),
    requestTimeoutSeconds: isFiniteNumber(timeout) && timeout > 0 ? timeout : DEFAULT_REQUEST_TIMEOUT_SECONDS,
    ...(templates ? { promptTemplates: templates } : {}),
  };
}

/** The settings of this window, as the extension uses them. */
export function readConfig(): InsightProofConfig {
  const configuration = vscode.workspace.getConfiguration(CONFIG_SECTION);
  return readConfigFrom(
    { get: (key) => configuration.get(key), inspect: (key) => configuration.inspect(key) },
    vscode.workspace.isTrusted,
  );
}

/** Fires when a setting of this extension changed, or when the workspace became trusted. */
export function onDidChangeConfig(listener: () => void): vscode.Disposable {
  const subscriptions = [
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(CONFIG_SECTION)) listener();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(listener),
  ];
  return vscode.Disposable.from(...subscriptions);
}

/** Opens the Settings editor on this extension's settings, or on one of them. */
export function openSettings(key?: string): Thenable<unknown> {
  return vscode.commands.executeCommand('workbench.action.openSettings', key ? `${CONFIG_SECTION}.${key}` : `@ext:insight-proof.insight-proof`);
}

/** Writes the user's model choice where it applies to every workspace. */
export function updateModelSetting(model: string): Thenable<void> {
  return vscode.workspace.getConfiguration(CONFIG_SECTION).update('model', model, vscode.ConfigurationTarget.Global);
}
