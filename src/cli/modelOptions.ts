// The model options shared by `prove` and `batch`: flags, environment, validation, and the client.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { createModelClient, type ClientLogger, type ModelClient } from '../core/client.ts';
import { normalizeBaseUrl } from '../core/endpoint.ts';
import { ModelError } from '../core/errors.ts';
import { LAYER_STAGES, REQUEST_STAGES, type LayerStage, type RequestStage } from '../core/hierarchy.ts';
import type { PipelineSettings } from '../core/pipeline.ts';
import { PRESET_NAMES, type PresetName, type PromptTemplates } from '../core/prompts.ts';
import { CliError, USAGE_EXIT, type CliIo } from './io.ts';

export const DEFAULT_TIMEOUT_SECONDS = 600;
export const DEFAULT_RETRIES = 3;
export const DEFAULT_PRESET: PresetName = 'deepinsight';

/** parseArgs options every model command accepts. */
export const MODEL_OPTIONS = {
  'base-url': { type: 'string' },
  model: { type: 'string' },
  'stage-model': { type: 'string', multiple: true },
  preset: { type: 'string' },
  stages: { type: 'string' },
  templates: { type: 'string' },
  timeout: { type: 'string' },
  retries: { type: 'string' },
  temperature: { type: 'string' },
  'max-tokens': { type: 'string' },
  verbose: { type: 'boolean' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** Help lines for MODEL_OPTIONS, shared by the commands' usage texts. */
export const MODEL_OPTIONS_HELP = [
  '  --base-url URL           OpenAI-compatible server, e.g. http://localhost:8000/v1 (env INSIGHT_PROOF_BASE_URL).',
  '  --model ID               Model id for every stage (env INSIGHT_PROOF_MODEL).',
  '  --stage-model STAGE=ID   Model for one stage (techniques, sketch, proof); repeatable.',
  `  --preset NAME            Prompt preset: deepinsight (fine-tuned models, plain text; default) or instruct`,
  '                           (general chat models, JSON for techniques and sketch).',
  '  --stages LIST            Comma-separated stages to run, in order; default techniques,sketch,proof.',
  '  --templates FILE         JSON prompt overrides {"system": {STAGE: TEXT}, "user": {STAGE: TEXT}} with',
  '                           {{problem}} {{techniques}} {{sketch}} {{proof}} {{guidance}} placeholders.',
  `  --timeout SECONDS        Wait this long for the first token and between tokens (default ${DEFAULT_TIMEOUT_SECONDS}).`,
  `  --retries N              Retries on 408/409/429/5xx and dropped connections (default ${DEFAULT_RETRIES}).`,
  '  --temperature T          Sampling temperature (server default when omitted).',
  '  --max-tokens N           Token limit per answer (server default when omitted).',
  '  --verbose                Stream the model\'s text (and reasoning) to stderr; log every request.',
  'The API key is read only from INSIGHT_PROOF_API_KEY or OPENAI_API_KEY, never from a flag.',
];

export interface ModelOptionValues {
  'base-url'?: string;
  model?: string;
  'stage-model'?: string[];
  preset?: string;
  stages?: string;
  templates?: string;
  timeout?: string;
  retries?: string;
  temperature?: string;
  'max-tokens'?: string;
  verbose?: boolean;
}

export interface ModelSetup {
  baseUrl: string;
  apiKey: string | undefined;
  settings: PipelineSettings;
  stages: LayerStage[];
  timeoutMs: number;
  maxRetries: number;
  verbose: boolean;
}

/** Refuses an API key given as a flag before parseArgs sees it, with the reason. */
export function rejectKeyFlags(args: readonly string[]): void {
  if (args.some((arg) => /^--(api-?key|key|token)(=|$)/i.test(arg))) {
    throw new CliError('The API key is never taken from the command line (other users of the machine can read it); set INSIGHT_PROOF_API_KEY or OPENAI_API_KEY instead.', USAGE_EXIT);
  }
}

function usage(message: string): CliError {
  return new CliError(message, USAGE_EXIT);
}

function number(value: string | undefined, flag: string, check: (n: number) => boolean, expected: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || !check(parsed)) throw usage(`${flag} must be ${expected}, not "${value}".`);
  return parsed;
}

/** The stages of a --stages list, validated; pipeline order. */
export function parseStages(value: string | undefined): LayerStage[] {
  if (value === undefined) return [...LAYER_STAGES];
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.find((name) => !(LAYER_STAGES as readonly string[]).includes(name));
  if (unknown !== undefined) throw usage(`--stages takes techniques, sketch and proof separated by commas, not "${unknown}".`);
  if (names.length === 0) throw usage('--stages needs at least one of techniques, sketch, proof.');
  return LAYER_STAGES.filter((stage) => names.includes(stage));
}

function parseStageModels(values: readonly string[] | undefined): Partial<Record<RequestStage, string>> {
  const result: Partial<Record<RequestStage, string>> = {};
  for (const value of values ?? []) {
    const match = /^([a-z]+)=(.+)$/.exec(value.trim());
    if (!match || !(REQUEST_STAGES as readonly string[]).includes(match[1]!)) {
      throw usage(`--stage-model takes STAGE=MODEL with STAGE one of ${REQUEST_STAGES.join(', ')}, not "${value}".`);
    }
    result[match[1] as RequestStage] = match[2]!.trim();
  }
  return result;
}

async function readTemplates(file: string | undefined, io: CliIo): Promise<PromptTemplates | undefined> {
  if (file === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(await readFile(resolve(io.cwd, file), 'utf8'));
  } catch (error) {
    throw usage(`Could not read the templates file ${file} (${error instanceof Error ? error.message : String(error)}); it must be JSON like {"user": {"proof": "…{{sketch}}…"}}.`);
  }
  const valid =
    typeof value === 'object' && value !== null && !Array.isArray(value) &&
    Object.entries(value).every(
      ([role, map]) =>
        (role === 'system' || role === 'user') && typeof map === 'object' && map !== null &&
        Object.entries(map as Record<string, unknown>).every(([stage, text]) => (REQUEST_STAGES as readonly string[]).includes(stage) && typeof text === 'string'),
    );
  if (!valid) {
    throw usage(`The templates file ${file} must hold {"system": {…}, "user": {…}} whose keys are ${REQUEST_STAGES.join(', ')} and whose values are strings.`);
  }
  return value as PromptTemplates;
}

/** Validates the model options against the environment; throws CliError with one sentence. */
export async function resolveModelSetup(values: ModelOptionValues, io: CliIo): Promise<ModelSetup> {
  const preset = values.preset ?? DEFAULT_PRESET;
  if (!(PRESET_NAMES as readonly string[]).includes(preset)) throw usage(`--preset must be deepinsight or instruct, not "${preset}".`);
  const timeout = number(values.timeout, '--timeout', (n) => n > 0, 'a positive number of seconds') ?? DEFAULT_TIMEOUT_SECONDS;
  const retries = number(values.retries, '--retries', (n) => Number.isInteger(n) && n >= 0 && n <= 20, 'a whole number from 0 to 20') ?? DEFAULT_RETRIES;
  const temperature = number(values.temperature, '--temperature', (n) => n >= 0 && n <= 2, 'a number from 0 to 2');
  const maxTokens = number(values['max-tokens'], '--max-tokens', (n) => Number.isInteger(n) && n > 0, 'a positive whole number');
  const stages = parseStages(values.stages);
  const stageModels = parseStageModels(values['stage-model']);
  const templates = await readTemplates(values.templates, io);

  const rawBaseUrl = values['base-url'] ?? io.env.INSIGHT_PROOF_BASE_URL ?? '';
  if (!rawBaseUrl.trim()) {
    throw usage('No model server is set; pass --base-url or set INSIGHT_PROOF_BASE_URL (for example http://localhost:8000/v1).');
  }
  let baseUrl: string;
  try {
    const normalized = normalizeBaseUrl(rawBaseUrl);
    baseUrl = normalized.baseUrl;
    if (normalized.note) io.stderr.write(`${normalized.note}\n`);
  } catch (error) {
    throw usage(error instanceof Error ? error.message : String(error));
  }
  const apiKey = io.env.INSIGHT_PROOF_API_KEY?.trim() || io.env.OPENAI_API_KEY?.trim() || undefined;
  const model = (values.model ?? io.env.INSIGHT_PROOF_MODEL ?? '').trim();
  const settings: PipelineSettings = {
    preset: preset as PresetName,
    model,
    ...(Object.keys(stageModels).length ? { stageModels } : {}),
    ...(temperature !== undefined ? { temperature } : {}),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(templates ? { templates } : {}),
  };
  return { baseUrl, apiKey, settings, stages, timeoutMs: timeout * 1000, maxRetries: retries, verbose: values.verbose === true };
}

/**
 * A logger for the client on stderr: notes and retries always (they explain a wait); warnings,
 * errors and request lines only with --verbose, because every failure already reaches the person as
 * the command's own one-line error and every cut-off answer as a layer warning.
 */
export function stderrLogger(io: CliIo, verbose: boolean): ClientLogger {
  const verboseOnly = (label: string) => (message: string) => {
    if (verbose) io.stderr.write(`${label}${message}\n`);
  };
  return {
    info: (message) => io.stderr.write(`${message}\n`),
    warn: verboseOnly('warning: '),
    error: verboseOnly('error: '),
    debug: verboseOnly(''),
  };
}

/**
 * The model client for a setup. When no model id is given for some stage, asks the server which
 * models it has so the error can name them.
 */
export async function connect(setup: ModelSetup, io: CliIo): Promise<ModelClient> {
  const client = createModelClient({ baseUrl: setup.baseUrl, apiKey: setup.apiKey, timeoutMs: setup.timeoutMs, maxRetries: setup.maxRetries }, stderrLogger(io, setup.verbose));
  const missing = setup.stages.some((stage) => !(setup.settings.stageModels?.[stage]?.trim() || setup.settings.model));
  if (missing) {
    let offer = '';
    try {
      const models = await client.listModels(AbortSignal.any([io.signal, AbortSignal.timeout(Math.min(setup.timeoutMs, 10_000))]));
      if (models.length) offer = `; the server at ${setup.baseUrl} offers ${models.slice(0, 8).join(', ')}${models.length > 8 ? ', …' : ''}`;
    } catch (error) {
      if (!(error instanceof ModelError)) throw error;
    }
    throw usage(`No model id is set; pass --model or set INSIGHT_PROOF_MODEL${offer}.`);
  }
  return client;
}
