// Prompts for the insight pipeline: one request per layer, each conditioned on the layers above.
//
// Two presets:
// - `deepinsight`: for a model fine-tuned on DeepInsight-style layered proofs. One short user
//   message per stage, plain-text answers: techniques as a numbered list "Name: detail", the sketch
//   as numbered steps, the proof as markdown + TeX ending with \boxed{proved} / \boxed{disproved}
//   for prove-or-disprove problems. These texts are also the training prompts of the `sft` export,
//   so they change only deliberately: a change here changes every dataset exported afterwards.
// - `instruct`: for general chat models. A system prompt per stage explains the insight-first
//   method; techniques and sketch are asked for as JSON following a JSON Schema generated from the
//   zod schemas (sent as `response_format` by the client, which falls back to plain text when the
//   server rejects it — the prompt describes the JSON too, so the answer still parses).
//
// Templates. Every default below is a template, and users may override the system and user
// template of any stage (`PromptTemplates`). Placeholders, replaced wherever they appear:
//   {{problem}}     the problem statement
//   {{techniques}}  the core techniques layer as a numbered list "1. Name: detail"
//   {{sketch}}      the sketch layer as numbered steps
//   {{proof}}       the proof text (for the review stage)
//   {{guidance}}    the person's note for this generation ('' when there is none)
//   {{verdictInstruction}}  " End with \boxed{proved} … or \boxed{disproved} …" when the problem says
//                   "prove or disprove", else ''
// Unknown placeholders are left as they are, so a template can mention literal braces. When a user
// template does not contain {{guidance}} and a note is given, the note is appended as its own
// clearly labelled paragraph (GUIDANCE_HEADING), so guidance always reaches the model.
import * as z from 'zod/mini';
import type { ChatMessage } from './client.ts';
import type { Hierarchy, LayerStage, RequestStage, SketchStep, Technique } from './hierarchy.ts';
import { SketchStepSchema, TechniqueSchema } from './schema.ts';

export type PresetName = 'deepinsight' | 'instruct';
export const PRESET_NAMES: readonly PresetName[] = ['deepinsight', 'instruct'];

/** User overrides of the default templates, per request stage ('review' included, for the review stage). */
export interface PromptTemplates {
  system?: Partial<Record<RequestStage, string>>;
  user?: Partial<Record<RequestStage, string>>;
}

export interface PromptOptions {
  preset: PresetName;
  templates?: PromptTemplates;
  /** The person's note for this generation (regenerate with guidance). */
  guidance?: string;
}

export interface StagePrompt {
  messages: ChatMessage[];
  /** Structured output for the client to request as `response_format` (instruct preset only). */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
}

export const PLACEHOLDERS = ['problem', 'techniques', 'sketch', 'proof', 'guidance', 'verdictInstruction'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** Heading of the paragraph that carries the person's note when the template has no {{guidance}}. */
export const GUIDANCE_HEADING = 'Guidance from the person (follow it):';

export const VERDICT_INSTRUCTION = ' End with \\boxed{proved} if the statement is true or \\boxed{disproved} if it is false.';

interface StageTemplates {
  system?: string;
  user: string;
}

const DEEPINSIGHT: Record<LayerStage, StageTemplates> = {
  techniques: {
    user: [
      'Problem:',
      '{{problem}}',
      '',
      'List the core techniques for proving this: the key ideas (constructions, theorems to apply, transformations of the problem). Answer with a numbered list, one technique per item, as "Name: how it applies here".',
    ].join('\n'),
  },
  sketch: {
    user: [
      'Problem:',
      '{{problem}}',
      '',
      'Core techniques:',
      '{{techniques}}',
      '',
      'Write a proof sketch that applies these techniques: a short numbered list of steps.',
    ].join('\n'),
  },
  proof: {
    user: [
      'Problem:',
      '{{problem}}',
      '',
      'Core techniques:',
      '{{techniques}}',
      '',
      'Proof sketch:',
      '{{sketch}}',
      '',
      'Write the complete proof, following the sketch, in markdown with TeX math.{{verdictInstruction}}',
    ].join('\n'),
  },
};

const METHOD = [
  'You help write informal mathematical proofs with the insight-first method.',
  'First come the core techniques: the few key ideas that crack the problem, such as a construction, a theorem to call, or a transformation of the problem.',
  'Then a short proof sketch that applies those techniques, then the complete proof that follows the sketch.',
].join(' ');

const INSTRUCT: Record<LayerStage, StageTemplates> = {
  techniques: {
    system: [
      METHOD,
      '',
      'Your task now is only the core techniques, usually two to five. For each: a short name, its kind (construction, theorem, transformation or other), and one or two sentences on how it applies to this problem. Do not write the proof.',
      'Answer with JSON only: {"techniques": [{"name": "...", "kind": "construction|theorem|transformation|other", "detail": "..."}]}. Write math in TeX ($...$).',
    ].join('\n'),
    user: ['Problem:', '{{problem}}', '', 'Give the core techniques as JSON.'].join('\n'),
  },
  sketch: {
    system: [
      METHOD,
      '',
      'Your task now is only the proof sketch: a short plan of steps, usually three to eight, that applies the given core techniques. Each step is one or two sentences; write math in TeX ($...$). Do not write the full proof.',
      'Answer with JSON only: {"steps": [{"text": "..."}]}.',
    ].join('\n'),
    user: ['Problem:', '{{problem}}', '', 'Core techniques:', '{{techniques}}', '', 'Give the proof sketch as JSON.'].join('\n'),
  },
  proof: {
    system: [
      METHOD,
      '',
      'Your task now is the complete proof. Follow the given sketch step by step and use the core techniques; justify every step.',
      'Write markdown with TeX math ($...$ inline, $$...$$ displayed). Give only the proof, no restatement of the plan.',
    ].join('\n'),
    user: [
      'Problem:',
      '{{problem}}',
      '',
      'Core techniques:',
      '{{techniques}}',
      '',
      'Proof sketch:',
      '{{sketch}}',
      '',
      'Write the complete proof.{{verdictInstruction}}',
    ].join('\n'),
  },
};

/** The default templates of each preset (what user templates replace), for settings UIs and docs. */
export const DEFAULT_TEMPLATES: Readonly<Record<PresetName, Readonly<Record<LayerStage, Readonly<StageTemplates>>>>> = {
  deepinsight: DEEPINSIGHT,
  instruct: INSTRUCT,
};

/** True when the problem asks to prove or disprove, so the proof must end with a boxed verdict. */
export function isProveOrDisprove(problem: string): boolean {
  return /\bprove\s+or\s+disprove\b/i.test(problem);
}

/** Indents continuation lines so a multi-line entry stays one item of a numbered list. */
function listItem(number: number, text: string): string {
  const prefix = `${number}. `;
  return prefix + text.trim().split('\n').join(`\n${' '.repeat(prefix.length)}`);
}

/** The techniques as the numbered list "1. Name: detail" that prompts (and deepinsight answers) use. */
export function formatTechniques(items: readonly Technique[]): string {
  return items
    .map((item, index) => {
      const name = item.name.trim();
      const detail = item.detail.trim();
      return listItem(index + 1, name && detail ? `${name}: ${detail}` : name || detail);
    })
    .join('\n');
}

/** The sketch as numbered steps. */
export function formatSketch(steps: readonly SketchStep[]): string {
  return steps.map((step, index) => listItem(index + 1, step.text)).join('\n');
}

/** The values placeholders take for a hierarchy. Layers are used as they are, edited or not. */
export function placeholderValues(hierarchy: Hierarchy, guidance = ''): Record<Placeholder, string> {
  const { techniques, sketch, proof } = hierarchy.layers;
  return {
    problem: hierarchy.problem.trim(),
    techniques: formatTechniques(techniques.items),
    sketch: formatSketch(sketch.steps),
    proof: proof.text.trim(),
    guidance: guidance.trim(),
    verdictInstruction: isProveOrDisprove(hierarchy.problem) ? VERDICT_INSTRUCTION : '',
  };
}

/** Replaces known {{placeholders}} (spaces inside the braces allowed); leaves unknown ones as they are. */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  // One pass over the template: text substituted in is never scanned again, so a problem that
  // itself contains "{{sketch}}" stays literal.
  return template.replace(/\{\{\s*([A-Za-z_]\w*)\s*\}\}/g, (match, name: string) =>
    Object.hasOwn(values, name) ? (values[name] ?? '') : match,
  );
}

/**
 * Builds a request's messages from default templates and the user's overrides. Shared by the
 * layer stages and the review stage (which passes its own defaults).
 */
export function composeMessages(
  stage: RequestStage,
  defaults: Readonly<StageTemplates>,
  values: Readonly<Record<string, string>>,
  templates?: PromptTemplates,
): ChatMessage[] {
  const systemTemplate = templates?.system?.[stage] ?? defaults.system;
  const userTemplate = templates?.user?.[stage] ?? defaults.user;
  const guidance = values.guidance ?? '';
  let user = fillTemplate(userTemplate, values).trim();
  if (guidance && !/\{\{\s*guidance\s*\}\}/.test(userTemplate) && !(systemTemplate && /\{\{\s*guidance\s*\}\}/.test(systemTemplate))) {
    user += `\n\n${GUIDANCE_HEADING}\n${guidance}`;
  }
  const messages: ChatMessage[] = [];
  const system = systemTemplate === undefined ? '' : fillTemplate(systemTemplate, values).trim();
  if (system) messages.push({ role: 'system', content: system });
  messages.push({ role: 'user', content: user });
  return messages;
}

/** JSON Schema (for `response_format`) of an object wrapping an array, generated from the zod schemas. */
function wrappedArraySchema(key: string, item: typeof TechniqueSchema | typeof SketchStepSchema): Record<string, unknown> {
  const schema: Record<string, unknown> = { ...z.toJSONSchema(z.object({ [key]: z.array(item) })) };
  // Strict structured-output modes accept a subset of JSON Schema; the meta-schema URI is not needed.
  delete schema.$schema;
  return schema;
}

let techniquesJsonSchema: Record<string, unknown> | undefined;
let sketchJsonSchema: Record<string, unknown> | undefined;

/** The structured-output schema the instruct preset asks for at a stage (none for the proof: it is prose). */
export function stageJsonSchema(stage: LayerStage): { name: string; schema: Record<string, unknown> } | undefined {
  if (stage === 'techniques') {
    techniquesJsonSchema ??= wrappedArraySchema('techniques', TechniqueSchema);
    return { name: 'core_techniques', schema: structuredClone(techniquesJsonSchema) };
  }
  if (stage === 'sketch') {
    sketchJsonSchema ??= wrappedArraySchema('steps', SketchStepSchema);
    return { name: 'proof_sketch', schema: structuredClone(sketchJsonSchema) };
  }
  return undefined;
}

/** The messages (and, for instruct, the JSON Schema) for one layer stage of a hierarchy. Pure. */
export function buildStageMessages(stage: LayerStage, hierarchy: Hierarchy, options: PromptOptions): StagePrompt {
  const defaults = DEFAULT_TEMPLATES[options.preset][stage];
  const messages = composeMessages(stage, defaults, placeholderValues(hierarchy, options.guidance), options.templates);
  const jsonSchema = options.preset === 'instruct' ? stageJsonSchema(stage) : undefined;
  return jsonSchema ? { messages, jsonSchema } : { messages };
}

/**
 * The `deepinsight` prompt of a stage for a hierarchy, with no overrides or guidance: the training
 * prompt of the `sft` export. Pure; the hierarchy is not changed.
 */
export function deepInsightMessages(stage: LayerStage, hierarchy: Hierarchy): ChatMessage[] {
  return buildStageMessages(stage, hierarchy, { preset: 'deepinsight' }).messages;
}

/**
 * A layer written the way the `deepinsight` preset asks the model to answer (numbered
 * "Name: detail" techniques, numbered sketch steps, the proof text): the training answer of the
 * `sft` export. '' when the layer has no content.
 */
export function deepInsightAnswer(stage: LayerStage, hierarchy: Hierarchy): string {
  const { techniques, sketch, proof } = hierarchy.layers;
  if (stage === 'techniques') return formatTechniques(techniques.items);
  if (stage === 'sketch') return formatSketch(sketch.steps);
  return proof.text.trim();
}
