// The optional fourth stage: a judge model scores a proof on DeepTheorem's process rubric.
//
//   validity      is the reasoning logically valid?
//   completeness  are all cases and steps covered?
//   correctness   are the claims and computations correct?
//   clarity       is the proof clear and well organised?
// each from 0 to 1, total = 0.4·validity + 0.3·completeness + 0.2·correctness + 0.1·clarity.
//
// The judge is asked for JSON (and sent a JSON Schema as response_format; the client falls back to
// plain text when the server rejects it). Its answer is untrusted text, parsed tolerantly: JSON bare
// or fenced or inside prose, numbers as strings, "80%" or "8/10", a 0–10 or 0–100 scale, or plain
// "Validity: 0.8" lines. Values outside 0–1 are clamped with a warning; a missing part is an
// error (one sentence). The total is always recomputed from the parts: the model's own arithmetic
// is not trusted, and a disagreement is reported as a warning.
//
// Requests carry the stage `review` (header X-Insight-Proof-Stage: review). The judge model is its
// own setting and defaults to the main model. Templates can be overridden like the layer stages'
// (PromptTemplates system.review / user.review, placeholders {{problem}} {{techniques}} {{sketch}}
// {{proof}}).
import * as z from 'zod/mini';
import type { ModelClient } from './client.ts';
import { ModelError } from './errors.ts';
import type { Hierarchy, Review } from './hierarchy.ts';
import { composeMessages, placeholderValues, type PromptTemplates } from './prompts.ts';
import { splitReasoning } from './reasoning.ts';

export const RUBRIC_PARTS = ['validity', 'completeness', 'correctness', 'clarity'] as const;
export type RubricPart = (typeof RUBRIC_PARTS)[number];

export const RUBRIC_WEIGHTS: Readonly<Record<RubricPart, number>> = { validity: 0.4, completeness: 0.3, correctness: 0.2, clarity: 0.1 };

const RUBRIC_QUESTIONS: Readonly<Record<RubricPart, string>> = {
  validity: 'is the reasoning logically valid, with no gaps in the logic?',
  completeness: 'are all cases and steps covered, nothing essential left out?',
  correctness: 'are the claims, computations and cited results correct?',
  clarity: 'is the proof clear and well organised?',
};

export const REVIEW_TEMPLATES = {
  system: [
    'You are a careful grader of informal mathematical proofs. Grade the given proof of the given problem on four criteria, each a number from 0 (worst) to 1 (best):',
    ...RUBRIC_PARTS.map((part) => `- ${part}: ${RUBRIC_QUESTIONS[part]}`),
    'A proof that reaches the wrong conclusion, or proves a different statement, scores low on validity and correctness.',
    'Answer with JSON only: {"validity": 0.0, "completeness": 0.0, "correctness": 0.0, "clarity": 0.0, "explanation": "two or three sentences on the main strengths and flaws"}.',
  ].join('\n'),
  user: ['Problem:', '{{problem}}', '', 'Proof:', '{{proof}}', '', 'Grade this proof. Answer with JSON only.'].join('\n'),
} as const;

const JudgeAnswerSchema = z.object({
  validity: z.number().check(z.gte(0), z.lte(1)),
  completeness: z.number().check(z.gte(0), z.lte(1)),
  correctness: z.number().check(z.gte(0), z.lte(1)),
  clarity: z.number().check(z.gte(0), z.lte(1)),
  explanation: z.string(),
});

let judgeSchema: Record<string, unknown> | undefined;

/** The response_format schema the judge is asked to follow, generated from the zod schema. */
export function reviewJsonSchema(): { name: string; schema: Record<string, unknown> } {
  if (!judgeSchema) {
    judgeSchema = { ...z.toJSONSchema(JudgeAnswerSchema) };
    // Strict structured-output modes accept a subset of JSON Schema; the meta-schema URI is not needed.
    delete judgeSchema.$schema;
  }
  return { name: 'proof_review', schema: structuredClone(judgeSchema) };
}

/** The judge's request messages for a hierarchy. */
export function buildReviewMessages(hierarchy: Hierarchy, templates?: PromptTemplates) {
  return composeMessages('review', REVIEW_TEMPLATES, placeholderValues(hierarchy), templates);
}

/** total = 0.4·validity + 0.3·completeness + 0.2·correctness + 0.1·clarity, rounded to 4 places. */
export function rubricTotal(parts: Readonly<Record<RubricPart, number>>): number {
  const total = RUBRIC_PARTS.reduce((sum, part) => sum + RUBRIC_WEIGHTS[part] * parts[part], 0);
  return Math.round(total * 10000) / 10000;
}

/** The judge's answer could not be used; `raw` is what it said. */
export class ReviewParseError extends Error {
  readonly raw: string;
  constructor(message: string, raw: string) {
    super(message);
    this.name = 'ReviewParseError';
    this.raw = raw;
  }
}

/** The review cannot be requested for this hierarchy (no proof yet). */
export class ReviewInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReviewInputError';
  }
}

export interface ParsedReview {
  review: Pick<Review, 'score' | RubricPart | 'explanation'>;
  /** Things the person should know: clamped values, a rescaled answer, a total that did not add up. */
  warnings: string[];
}

const PART_ALIASES: Readonly<Record<RubricPart, readonly string[]>> = {
  validity: ['validity', 'logical_validity', 'logicalvalidity', 'valid'],
  completeness: ['completeness', 'complete'],
  correctness: ['correctness', 'correct', 'accuracy'],
  clarity: ['clarity', 'clear', 'readability'],
};
const EXPLANATION_KEYS = ['explanation', 'reason', 'reasoning', 'rationale', 'justification', 'comment', 'comments', 'feedback', 'summary'];
const TOTAL_KEYS = ['score', 'total', 'total_score', 'overall', 'overall_score', 'final_score', 'weighted_score'];

/** A number as the judge wrote it: 0.8, "0.8", "80%", "8/10", {"score": 0.8}. `percent` when it said so. */
function readNumber(value: unknown): { value: number; percent: boolean; fraction: boolean } | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? { value, percent: false, fraction: false } : undefined;
  if (typeof value === 'string') {
    const text = value.trim();
    const fraction = /^(-?\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)$/.exec(text);
    if (fraction) {
      const denominator = Number(fraction[2]);
      return denominator > 0 ? { value: Number(fraction[1]) / denominator, percent: false, fraction: true } : undefined;
    }
    const number = /^(-?\d+(?:\.\d+)?|-?\.\d+)\s*(%?)$/.exec(text);
    if (number) return { value: Number(number[1]) / (number[2] ? 100 : 1), percent: number[2] === '%', fraction: number[2] === '%' };
    return undefined;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const key of ['score', 'value', 'rating']) if (key in record) return readNumber(record[key]);
  }
  return undefined;
}

function normalizedKey(key: string): string {
  return key.toLowerCase().replace(/[\s-]+/g, '_');
}

/** Finds the object holding the rubric: the answer itself, or one level down ({"scores": {...}}). */
function rubricObject(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) return value.length === 1 ? rubricObject(value[0]) : undefined;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).map(normalizedKey);
  if (RUBRIC_PARTS.some((part) => PART_ALIASES[part].some((alias) => keys.includes(alias)))) return record;
  for (const nested of Object.values(record)) {
    if (typeof nested === 'object' && nested !== null && !Array.isArray(nested)) {
      const found = rubricObject(nested);
      if (found) {
        // Keep an explanation given next to the nested scores.
        const explanation = Object.entries(record).find(([key]) => EXPLANATION_KEYS.includes(normalizedKey(key)));
        return explanation ? { ...found, [explanation[0]]: explanation[1] } : found;
      }
    }
  }
  return undefined;
}

function field(record: Record<string, unknown>, names: readonly string[]): unknown {
  for (const [key, value] of Object.entries(record)) if (names.includes(normalizedKey(key))) return value;
  return undefined;
}

/** Candidate JSON texts in an answer: fenced blocks first, then the outermost {…}. */
function jsonCandidates(text: string): string[] {
  const candidates: string[] = [];
  for (const match of text.matchAll(/```[A-Za-z]*[ \t]*\n([\s\S]*?)```/g)) candidates.push(match[1]!);
  const first = text.indexOf('{');
  const last = text.lastIndexOf('}');
  if (first >= 0 && last > first) candidates.push(text.slice(first, last + 1));
  return candidates;
}

function parseJsonLoosely(candidate: string): unknown {
  const attempts = [
    candidate,
    // Trailing commas and typographic quotes: the usual ways a model breaks JSON.
    candidate.replace(/,\s*([}\]])/g, '$1').replace(/[“”]/g, '"'),
  ];
  for (const attempt of attempts) {
    try {
      return JSON.parse(attempt) as unknown;
    } catch {
      // Try the next repair.
    }
  }
  return undefined;
}

/** "Validity: 0.8" / "**Completeness** - 70%" / "clarity = 4/5" lines, for judges that ignore the JSON request. */
function rubricFromLines(text: string): Record<string, unknown> | undefined {
  const record: Record<string, unknown> = {};
  for (const part of [...RUBRIC_PARTS, 'total', 'score']) {
    // Anywhere in the text, so a JSON answer cut short or with broken syntax still yields its scores.
    const pattern = new RegExp(`\\b${part}\\b["'*_\\s]*(?:\\(\\w+\\))?["'*_\\s]*[:=\\-–—][*_\\s"']*(-?\\d+(?:\\.\\d+)?\\s*(?:%|\\/\\s*\\d+(?:\\.\\d+)?)?)`, 'i');
    const match = pattern.exec(text);
    if (match) record[part] = match[1]!.replace(/\s+/g, '');
  }
  if (!RUBRIC_PARTS.some((part) => part in record)) return undefined;
  const explanation = /\b(?:explanation|rationale|justification|comments?|feedback)\b["'*_\s]*[:\-–—][*_\s]*"?([\s\S]+?)"?\s*[,}]?\s*$/i.exec(text);
  record.explanation = explanation ? explanation[1]!.trim() : text
    .split('\n')
    .filter((line) => !/^[\s>*_#-]*(validity|completeness|correctness|clarity|total|score)\b/i.test(line))
    .join('\n')
    .trim();
  return record;
}

/**
 * The scale bare numbers were given on: 1, or 10 / 100 when the judge used another one (8, 7, 9
 * out of 10; 85, 70 out of 100). A value just above 1 among fractions (1.2) is an out-of-range
 * score on the 0–1 scale, clamped later, not a sign of a 0–10 scale.
 */
function scaleOf(values: readonly number[]): number {
  const largest = Math.max(0, ...values);
  if (largest <= 1) return 1;
  if (largest > 10) return largest <= 100 ? 100 : 1;
  return largest >= 2 || values.every((value) => Number.isInteger(value)) ? 10 : 1;
}

function round(value: number): number {
  return Math.round(value * 10000) / 10000;
}

/** Parses a judge's answer (reasoning blocks ignored). Throws ReviewParseError with one sentence. */
export function parseReview(answer: string): ParsedReview {
  const { content } = splitReasoning(answer);
  const text = content.trim();
  if (!text) throw new ReviewParseError('The judge returned an empty answer; try again or choose another judge model.', answer);
  let record: Record<string, unknown> | undefined;
  for (const candidate of jsonCandidates(text)) {
    record = rubricObject(parseJsonLoosely(candidate));
    if (record) break;
  }
  record ??= rubricFromLines(text);
  if (!record) {
    throw new ReviewParseError(
      'The judge\'s answer has no rubric scores (expected JSON with validity, completeness, correctness and clarity); try again or choose a judge model that follows instructions.',
      answer,
    );
  }
  const warnings: string[] = [];
  const read: Partial<Record<RubricPart, { value: number; percent: boolean; fraction: boolean }>> = {};
  const missing: RubricPart[] = [];
  for (const part of RUBRIC_PARTS) {
    const value = readNumber(field(record, PART_ALIASES[part]));
    if (value) read[part] = value;
    else missing.push(part);
  }
  if (missing.length) {
    throw new ReviewParseError(`The judge's answer has no usable ${missing.join(', ')} score${missing.length === 1 ? '' : 's'}; try again or choose a judge model that follows the rubric.`, answer);
  }
  const values = read as Record<RubricPart, { value: number; percent: boolean; fraction: boolean }>;
  const divisor = scaleOf(RUBRIC_PARTS.filter((part) => !values[part].fraction).map((part) => values[part].value));
  if (divisor > 1) warnings.push(`The judge scored on a 0–${divisor} scale instead of 0–1; its scores were divided by ${divisor}.`);
  const parts = {} as Record<RubricPart, number>;
  for (const part of RUBRIC_PARTS) {
    let value = values[part].fraction ? values[part].value : values[part].value / divisor;
    if (value < 0 || value > 1) {
      const clamped = Math.min(1, Math.max(0, value));
      warnings.push(`The judge's ${part} score ${round(value)} is outside 0–1; it was set to ${clamped}.`);
      value = clamped;
    }
    parts[part] = round(value);
  }
  const score = rubricTotal(parts);
  const given = readNumber(field(record, TOTAL_KEYS));
  if (given) {
    const givenValue = given.fraction ? given.value : given.value / (divisor > 1 ? divisor : scaleOf([given.value]));
    if (Math.abs(givenValue - score) > 0.01) {
      warnings.push(`The judge's total ${round(givenValue)} does not match its scores; the total was recomputed as ${score}.`);
    }
  }
  const explanationValue = field(record, EXPLANATION_KEYS);
  const explanation = typeof explanationValue === 'string' ? explanationValue.trim() : Array.isArray(explanationValue) ? explanationValue.map(String).join(' ') : '';
  return { review: { score, ...parts, explanation }, warnings };
}

export interface ReviewSettings {
  /** The main model: the judge when judgeModel is not set. */
  model: string;
  judgeModel?: string;
  temperature?: number;
  maxTokens?: number;
  templates?: PromptTemplates;
}

export interface ReviewOptions {
  signal?: AbortSignal;
  /** Clock for createdAt (tests). */
  now?: () => Date;
}

export interface ReviewOutcome {
  /** A new hierarchy with `review` set (the one passed in is not changed). */
  hierarchy: Hierarchy;
  warnings: string[];
}

/**
 * True when the proof changed after it was reviewed (a regeneration, an edit, another version), so
 * the score no longer describes the proof shown. Unknown times count as current.
 */
export function isReviewStale(hierarchy: Hierarchy): boolean {
  const review = hierarchy.review;
  if (review?.proofDigest !== undefined) return review.proofDigest !== proofDigest(hierarchy.layers.proof.text);
  // Reviews written before digests were recorded: compare times.
  const reviewedAt = Date.parse(hierarchy.review?.createdAt ?? '');
  const proofChangedAt = Date.parse(hierarchy.layers.proof.updatedAt ?? '');
  return hierarchy.review !== undefined && Number.isFinite(reviewedAt) && Number.isFinite(proofChangedAt) && proofChangedAt > reviewedAt;
}

/**
 * A short digest of a proof text (FNV-1a, 32 bits): enough to tell that the graded text changed,
 * without copying the proof into the review. Accepting a layer does not change its text.
 */
export function proofDigest(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `fnv1a-${hash.toString(16).padStart(8, '0')}`;
}

/** The judge model of the settings: judgeModel when set, else the main model. */
export function judgeModelFor(settings: Pick<ReviewSettings, 'model' | 'judgeModel'>): string {
  return settings.judgeModel?.trim() || settings.model.trim();
}

/**
 * Asks the judge to grade the hierarchy's proof. Resolves with a new hierarchy that has `review`
 * (scores, explanation, judge model, raw answer, createdAt). Throws ReviewInputError (no proof),
 * ModelError (the request failed; kind 'config' when no model is set) or ReviewParseError (the
 * answer had no usable scores; its `raw` is the answer); the hierarchy is then unchanged.
 */
export async function runReview(hierarchy: Hierarchy, client: ModelClient, settings: ReviewSettings, options: ReviewOptions = {}): Promise<ReviewOutcome> {
  const proof = hierarchy.layers.proof;
  if (proof.status === 'generating') {
    throw new ReviewInputError('The proof is still being generated; wait for it to finish, then review it.');
  }
  if (!proof.text.trim()) {
    throw new ReviewInputError('There is no proof to review yet; generate or write the proof first.');
  }
  const model = judgeModelFor(settings);
  if (!model) {
    throw new ModelError('config', 'No judge model is set; set the judge model setting (insightProof.judgeModel / --judge-model) or the model setting (insightProof.model / --model).');
  }
  const result = await client.chat({
    stage: 'review',
    model,
    messages: buildReviewMessages(hierarchy, settings.templates),
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...(settings.maxTokens !== undefined ? { maxTokens: settings.maxTokens } : {}),
    jsonSchema: reviewJsonSchema(),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const parsed = parseReview(result.content);
  const now = (options.now ?? (() => new Date()))().toISOString();
  const review: Review = { ...parsed.review, model: result.model || model, raw: result.content, createdAt: now, proofDigest: proofDigest(proof.text) };
  return { hierarchy: { ...hierarchy, review, updatedAt: now }, warnings: parsed.warnings };
}
