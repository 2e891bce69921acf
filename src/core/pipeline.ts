// The staged insight pipeline: core techniques → proof sketch → full proof, one model request per
// layer, each conditioned on the layers above as they are (generated or edited by the person).
//
// The pipeline never throws for a model failure: the failing layer becomes `failed` with the
// error sentence and whatever had streamed in, later stages do not run, and runPipeline resolves
// with the hierarchy. It throws only before touching anything, when the request cannot be made at
// all (an edited layer without the override, a missing layer above, no model id, no problem).
//
// Every event carries a new hierarchy object (shallow copies: untouched layers are shared), so a UI
// can keep the latest one without copying. Streamed text is accumulated in chunk arrays and joined
// only when a delta event is emitted; delta events are throttled (deltaIntervalMs), which keeps the
// work per answer linear in its length however small the chunks are. The text held back by the
// throttle is flushed in a last delta before stage-done / stage-failed.
import type { ChatResult, ModelClient, StreamDelta } from './client.ts';
import { cancelledMessage, emptyAnswerMessage, ModelError, SETTING_HINTS, type PartialAnswer } from './errors.ts';
import {
  emptyLayer,
  LAYER_STAGES,
  layerHasContent,
  STAGE_TITLES,
  withLayer,
  type AnyLayer,
  type Hierarchy,
  type LayerStage,
  type Layers,
  type RequestStage,
} from './hierarchy.ts';
import { alternativesWithCurrent, markStaleBelow } from './layers.ts';
import { parseProof, parseSketch, parseTechniques } from './parse.ts';
import { buildStageMessages, type PresetName, type PromptTemplates } from './prompts.ts';

export interface PipelineSettings {
  preset: PresetName;
  model: string;
  /** Per-stage model ids (some people serve one checkpoint per stage); empty values fall back to `model`. */
  stageModels?: Partial<Record<RequestStage, string>>;
  temperature?: number;
  maxTokens?: number;
  templates?: PromptTemplates;
}

export type PipelineEvent =
  | { type: 'stage-start'; stage: LayerStage; hierarchy: Hierarchy }
  /** raw/reasoning of the layer grew; `content` / `reasoning` are the text added since the previous delta event. */
  | { type: 'delta'; stage: LayerStage; hierarchy: Hierarchy; content: string; reasoning: string }
  | { type: 'stage-done'; stage: LayerStage; hierarchy: Hierarchy }
  | { type: 'stage-failed'; stage: LayerStage; hierarchy: Hierarchy; error: ModelError };

export interface RunOptions {
  /** The stages to run, in pipeline order whatever order they are given in. Default: defaultStages(). */
  stages?: LayerStage[];
  signal?: AbortSignal;
  /** Called synchronously for every event; it must not throw. */
  onEvent?: (event: PipelineEvent) => void;
  /** Required to regenerate a layer a person edited. */
  overwriteEdited?: boolean;
  /** The person's note for the first stage run (regenerate with guidance); stored in that layer. */
  guidance?: string;
  /** Minimum time between two delta events of a stage (held-back text is flushed before the stage ends). Default 50 ms; 0 emits one per chunk. */
  deltaIntervalMs?: number;
  /** Clock for timestamps (tests). */
  now?: () => Date;
}

/** Warning added to a layer whose answer stopped at the max tokens limit (finish reason `length`). */
export const CUT_OFF_WARNING = `The answer was cut off at the max tokens limit; raise ${SETTING_HINTS.maxTokens} and regenerate to get the rest.`;

const DEFAULT_DELTA_INTERVAL_MS = 50;

/** Refusal to regenerate a layer the person edited, unless the caller passes overwriteEdited. */
export class EditedLayerError extends Error {
  readonly stage: LayerStage;
  constructor(stage: LayerStage) {
    const title = STAGE_TITLES[stage];
    super(`The ${title} ${stage === 'techniques' ? 'were' : 'was'} edited by hand; confirm that regenerating may replace your edit (it is kept as an alternative).`);
    this.name = 'EditedLayerError';
    this.stage = stage;
  }
}

/** A run that cannot start (nothing was changed); the message says what to do first. */
export class PipelineInputError extends Error {
  readonly stage: LayerStage | undefined;
  constructor(message: string, stage?: LayerStage) {
    super(message);
    this.name = 'PipelineInputError';
    this.stage = stage;
  }
}

/** The model id for a stage: its override when set, else the main model. */
export function modelForStage(settings: PipelineSettings, stage: RequestStage): string {
  return settings.stageModels?.[stage]?.trim() || settings.model.trim();
}

function isDone(layer: AnyLayer): boolean {
  return layer.status === 'draft' || layer.status === 'accepted';
}

/**
 * The stages a run without an explicit list covers: from the first layer that is not a draft or
 * accepted (empty, stale, failed, or left generating by a crash) down to the proof. When every layer
 * is done, all three (a fresh run).
 */
export function defaultStages(hierarchy: Hierarchy): LayerStage[] {
  const first = LAYER_STAGES.findIndex((stage) => !isDone(hierarchy.layers[stage]));
  return LAYER_STAGES.slice(first === -1 ? 0 : first);
}

/** Why a layer cannot be the input of the stage below, or undefined when it can. */
function cannotCondition(above: LayerStage, stage: LayerStage, hierarchy: Hierarchy): string | undefined {
  const layer = hierarchy.layers[above];
  const them = above === 'techniques' ? 'them' : 'it';
  const title = STAGE_TITLES[above];
  if (layer.status === 'generating') return `The ${title} ${above === 'techniques' ? 'are' : 'is'} still being generated; wait for ${them} before the ${STAGE_TITLES[stage]}.`;
  if (layer.status === 'failed') return `The ${title} failed; regenerate or edit ${them} before the ${STAGE_TITLES[stage]}.`;
  if (!layerHasContent(layer)) return `Generate the ${title} first: the ${STAGE_TITLES[stage]} is written from ${them}.`;
  return undefined;
}

/**
 * Checks a run before it starts and returns its stages in pipeline order. Throws EditedLayerError or
 * PipelineInputError; touches nothing.
 */
export function planRun(hierarchy: Hierarchy, settings: PipelineSettings, options: RunOptions = {}): LayerStage[] {
  const requested = options.stages ?? defaultStages(hierarchy);
  const unknown = requested.find((stage) => !LAYER_STAGES.includes(stage));
  if (unknown !== undefined) {
    throw new PipelineInputError(`"${String(unknown)}" is not a stage; use techniques, sketch or proof.`);
  }
  const stages = LAYER_STAGES.filter((stage) => requested.includes(stage));
  if (stages.length === 0) throw new PipelineInputError('No stage to run; choose at least one of techniques, sketch or proof.');
  if (!hierarchy.problem.trim()) throw new PipelineInputError('The problem statement is empty; write the theorem to prove first.');
  for (const stage of stages) {
    if (!modelForStage(settings, stage)) {
      throw new PipelineInputError(`No model id is set for the ${STAGE_TITLES[stage]}; set one with ${SETTING_HINTS.model}.`, stage);
    }
    const layer = hierarchy.layers[stage];
    if (layer.edited && !options.overwriteEdited) throw new EditedLayerError(stage);
  }
  for (const stage of stages) {
    const index = LAYER_STAGES.indexOf(stage);
    for (const above of LAYER_STAGES.slice(0, index)) {
      if (stages.includes(above)) continue;
      const reason = cannotCondition(above, stage, hierarchy);
      if (reason) throw new PipelineInputError(reason, stage);
    }
  }
  return stages;
}

/**
 * Runs the stages in order. Resolves with the final hierarchy even when a stage failed or was
 * cancelled (that layer is `failed`, its partial text kept); check the layer statuses.
 */
export async function runPipeline(hierarchy: Hierarchy, client: ModelClient, settings: PipelineSettings, options: RunOptions = {}): Promise<Hierarchy> {
  const stages = planRun(hierarchy, settings, options);
  let current = hierarchy;
  for (const [position, stage] of stages.entries()) {
    if (options.signal?.aborted) break;
    const guidance = position === 0 ? options.guidance?.trim() || undefined : undefined;
    const outcome = await runStage(current, stage, client, settings, options, guidance);
    current = outcome.hierarchy;
    if (!outcome.ok) break;
  }
  return current;
}

/** Collects streamed text; joins it only when asked (once per emitted event). */
class TextBuffer {
  private readonly chunks: string[] = [];
  private joined = '';
  private joinedCount = 0;
  private pending: string[] = [];

  push(text: string): void {
    if (!text) return;
    this.chunks.push(text);
    this.pending.push(text);
  }

  /** Everything so far. */
  text(): string {
    if (this.joinedCount !== this.chunks.length) {
      this.joined = this.chunks.join('');
      // Collapse into one chunk, so the next join starts from the joined string.
      this.chunks.length = 0;
      this.chunks.push(this.joined);
      this.joinedCount = 1;
    }
    return this.joined;
  }

  hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** The text added since the previous call. */
  takePending(): string {
    const text = this.pending.join('');
    this.pending = [];
    return text;
  }
}

interface StageOutcome {
  ok: boolean;
  hierarchy: Hierarchy;
}

async function runStage(
  start: Hierarchy,
  stage: LayerStage,
  client: ModelClient,
  settings: PipelineSettings,
  options: RunOptions,
  guidance: string | undefined,
): Promise<StageOutcome> {
  const now = options.now ?? (() => new Date());
  const emit = options.onEvent ?? (() => undefined);
  const model = modelForStage(settings, stage);
  const previous = start.layers[stage];
  const prompt = buildStageMessages(stage, start, { preset: settings.preset, ...(settings.templates ? { templates: settings.templates } : {}), ...(guidance ? { guidance } : {}) });

  // The previous content is kept as an alternative; the layer starts over empty.
  const startedAt = now();
  const alternatives = alternativesWithCurrent(previous, startedAt);
  const generating = {
    ...emptyLayer(stage),
    status: 'generating',
    model,
    ...(guidance ? { guidance } : {}),
    ...(alternatives.length ? { alternatives } : {}),
    updatedAt: startedAt.toISOString(),
  } as Layers[typeof stage];
  let hierarchy = withLayer(start, stage, generating, startedAt);
  emit({ type: 'stage-start', stage, hierarchy });

  const content = new TextBuffer();
  const reasoning = new TextBuffer();
  const interval = options.deltaIntervalMs ?? DEFAULT_DELTA_INTERVAL_MS;
  let settled = false;
  let lastEmit = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const emitDelta = (): void => {
    timer = undefined;
    if (settled) return;
    lastEmit = Date.now();
    const at = now();
    const layer = { ...hierarchy.layers[stage], raw: content.text(), updatedAt: at.toISOString() } as Layers[typeof stage];
    const thinking = reasoning.text();
    if (thinking) layer.reasoning = thinking;
    hierarchy = withLayer(hierarchy, stage, layer, at);
    emit({ type: 'delta', stage, hierarchy, content: content.takePending(), reasoning: reasoning.takePending() });
  };

  const onDelta = (delta: StreamDelta): void => {
    if (settled) return;
    content.push(delta.content);
    reasoning.push(delta.reasoning);
    if (!delta.content && !delta.reasoning) return;
    const wait = interval - (Date.now() - lastEmit);
    if (wait <= 0) {
      if (timer !== undefined) clearTimeout(timer);
      emitDelta();
    } else {
      timer ??= setTimeout(emitDelta, wait);
    }
  };

  // Cancelling settles the stage at once, whatever the client does with the signal afterwards.
  const signal = options.signal;
  let onAbort: (() => void) | undefined;
  const cancelled = new Promise<'cancelled'>((resolve) => {
    onAbort = () => resolve('cancelled');
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  const request = client.chat(
    {
      stage,
      model,
      messages: prompt.messages,
      ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
      ...(settings.maxTokens !== undefined ? { maxTokens: settings.maxTokens } : {}),
      ...(prompt.jsonSchema ? { jsonSchema: prompt.jsonSchema } : {}),
      ...(signal ? { signal } : {}),
    },
    onDelta,
  );

  let result: ChatResult | undefined;
  let failure: ModelError | undefined;
  try {
    const first = await Promise.race([request, cancelled]);
    if (first === 'cancelled') {
      request.catch(() => undefined);
      failure = new ModelError('aborted', '', {});
    } else {
      result = first;
    }
  } catch (error) {
    failure = asModelError(error);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    // Text held back by the throttle goes out before the stage ends, so the deltas add up to
    // everything that streamed in (a CLI printing them misses nothing).
    if (content.hasPending() || reasoning.hasPending()) emitDelta();
    settled = true;
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }

  const finishedAt = now();
  if (result && !result.content.trim()) {
    failure = new ModelError('empty', emptyAnswerMessage(result, result.finishReason), { partial: { content: result.content, reasoning: result.reasoning } });
    result = undefined;
  }

  if (!result) {
    const error = failure ?? new ModelError('server', 'The model request ended without an answer; try again.');
    // What streamed in through deltas, or what the error carries when deltas were not delivered.
    const partial: PartialAnswer = {
      content: longer(content.text(), error.partial.content),
      reasoning: longer(reasoning.text(), error.partial.reasoning),
    };
    const final = error.kind === 'aborted' ? new ModelError('aborted', cancelledMessage(partial), { partial, cause: error }) : error.withPartial(partial);
    const failed = {
      ...hierarchy.layers[stage],
      status: 'failed',
      raw: partial.content,
      error: final.message,
      updatedAt: finishedAt.toISOString(),
    } as Layers[typeof stage];
    if (partial.reasoning) failed.reasoning = partial.reasoning;
    hierarchy = withLayer(hierarchy, stage, failed, finishedAt);
    emit({ type: 'stage-failed', stage, hierarchy, error: final });
    return { ok: false, hierarchy };
  }

  const done = {
    ...hierarchy.layers[stage],
    ...parsedContent(stage, result),
    status: 'draft',
    raw: result.content,
    model: result.model || model,
    updatedAt: finishedAt.toISOString(),
  } as Layers[typeof stage];
  if (result.reasoning) done.reasoning = result.reasoning;
  else delete done.reasoning;
  hierarchy = markStaleBelow(withLayer(hierarchy, stage, done, finishedAt), stage, finishedAt);
  emit({ type: 'stage-done', stage, hierarchy });
  return { ok: true, hierarchy };
}

/** The parsed content of an answer plus its warnings (the cut-off one included). */
function parsedContent(stage: LayerStage, result: ChatResult): Record<string, unknown> {
  let fields: Record<string, unknown>;
  let warnings: string[];
  if (stage === 'techniques') {
    const parsed = parseTechniques(result.content);
    fields = { items: parsed.value };
    warnings = parsed.warnings;
  } else if (stage === 'sketch') {
    const parsed = parseSketch(result.content);
    fields = { steps: parsed.value };
    warnings = parsed.warnings;
  } else {
    const parsed = parseProof(result.content);
    fields = { text: parsed.value.text, verdict: parsed.value.verdict };
    warnings = parsed.warnings;
  }
  if (result.finishReason === 'length') warnings = [...warnings, CUT_OFF_WARNING];
  return warnings.length ? { ...fields, warnings } : fields;
}

function longer(a: string, b: string): string {
  return b.length > a.length ? b : a;
}

/** The client promises ModelErrors; anything else is a bug somewhere, reported as a sentence rather than lost. */
function asModelError(error: unknown): ModelError {
  if (error instanceof ModelError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new ModelError('server', `The model request failed unexpectedly (${detail}); try again, and report the problem if it persists.`, { cause: error });
}
