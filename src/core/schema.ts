// The proof hierarchy format: the project's central data contract (DESIGN.md, "The data model").
//
// zod is the source of truth: the TypeScript types are inferred from these schemas, imports are
// validated with them, and the shipped JSON Schema is generated from them. The field names of
// DESIGN.md are fixed; fields added here are optional, and unknown fields are dropped on import.
//
// zod/mini (the tree-shakable build of zod 4) keeps the bundles small; only code that validates
// or emits JSON Schema imports this module at run time, everything else imports its types.
import * as z from 'zod/mini';
import { HIERARCHY_SCHEMA_ID } from './hierarchy.ts';

export { HIERARCHY_SCHEMA_ID };

const text = (description: string) => z.string().check(z.describe(description));

export const LayerStatusSchema = z
  .enum(['empty', 'generating', 'draft', 'accepted', 'stale', 'failed'])
  .check(z.describe('empty → generating → draft → accepted; failed keeps the partial raw text; stale when a layer above changed.'));
export type LayerStatus = z.infer<typeof LayerStatusSchema>;

export const TechniqueKindSchema = z.enum(['construction', 'theorem', 'transformation', 'other']);
export type TechniqueKind = z.infer<typeof TechniqueKindSchema>;

export const TechniqueSchema = z.object({
  name: text('Short name of the key idea, e.g. "Pigeonhole principle".'),
  kind: TechniqueKindSchema.check(z.describe('What sort of idea it is.')),
  detail: text('How the idea applies to this problem.'),
});
export type Technique = z.infer<typeof TechniqueSchema>;

export const SketchStepSchema = z.object({
  text: text('One step of the plan, markdown + TeX.'),
});
export type SketchStep = z.infer<typeof SketchStepSchema>;

export const VerdictSchema = z.nullable(z.enum(['proved', 'disproved']));
export type Verdict = z.infer<typeof VerdictSchema>;

/** Fields every layer has, whatever its content. */
const layerBase = {
  status: LayerStatusSchema,
  raw: text("The model output (or the person's text) exactly as received, reasoning excluded."),
  edited: z.boolean().check(z.describe('True once a person changed the layer by hand; it is then never overwritten silently.')),
  model: z.optional(text('Model id that generated the layer.')),
  reasoning: z.optional(text('Reasoning the model emitted (<think> blocks, reasoning_content), kept apart from the layer.')),
  warnings: z.optional(z.array(z.string()).check(z.describe('Why the output could not be parsed cleanly, if it could not.'))),
  error: z.optional(text('What went wrong, when status is failed.')),
  guidance: z.optional(text('The note the person gave when asking for this generation.')),
  updatedAt: z.optional(z.string()),
};

const techniquesContent = { items: z.array(TechniqueSchema) };
const sketchContent = { steps: z.array(SketchStepSchema) };
const proofContent = { text: z.string(), verdict: VerdictSchema };

/** Earlier generations of a layer, kept so the person can switch back to one. */
function alternatives<T extends z.core.$ZodLooseShape>(content: T) {
  const alternative = z.object({
    ...content,
    raw: z.string(),
    model: z.optional(z.string()),
    reasoning: z.optional(z.string()),
    edited: z.boolean(),
    createdAt: z.string(),
  });
  return z.optional(z.array(alternative).check(z.describe('Earlier generations of this layer, oldest first.')));
}

export const TechniquesLayerSchema = z.object({ ...layerBase, ...techniquesContent, alternatives: alternatives(techniquesContent) });
export const SketchLayerSchema = z.object({ ...layerBase, ...sketchContent, alternatives: alternatives(sketchContent) });
export const ProofLayerSchema = z.object({ ...layerBase, ...proofContent, alternatives: alternatives(proofContent) });
export type TechniquesLayer = z.infer<typeof TechniquesLayerSchema>;
export type SketchLayer = z.infer<typeof SketchLayerSchema>;
export type ProofLayer = z.infer<typeof ProofLayerSchema>;

const unitInterval = (description: string) => z.number().check(z.gte(0), z.lte(1), z.describe(description));
export const ReviewSchema = z.object({
  score: unitInterval('0.4·validity + 0.3·completeness + 0.2·correctness + 0.1·clarity'),
  validity: unitInterval('Is the reasoning logically valid?'),
  completeness: unitInterval('Are all cases and steps covered?'),
  correctness: unitInterval('Are the claims and computations correct?'),
  clarity: unitInterval('Is the proof clear and well organised?'),
  explanation: z.string(),
  model: z.optional(z.string()),
  raw: z.optional(z.string()),
  createdAt: z.optional(z.string()),
  proofDigest: z.optional(text('Digest of the proof text that was graded: the review is stale once the proof text differs.')),
});
export type Review = z.infer<typeof ReviewSchema>;

export const SourceSchema = z.object({
  uri: z.string(),
  startLine: z.int().check(z.gte(0), z.describe('Zero-based first line of the theorem.')),
  endLine: z.int().check(z.gte(0), z.describe('Zero-based last line of the theorem.')),
});
export type Source = z.infer<typeof SourceSchema>;

export const HierarchySchema = z
  .looseObject({
    schema: z.literal(HIERARCHY_SCHEMA_ID),
    id: z.string().check(z.minLength(1)),
    problem: text('The theorem statement, markdown + TeX.'),
    source: z.optional(SourceSchema),
    layers: z.object({
      techniques: TechniquesLayerSchema,
      sketch: SketchLayerSchema,
      proof: ProofLayerSchema,
    }),
    review: z.optional(ReviewSchema),
    input: z.optional(z.unknown().check(z.describe('The input record a batch run started from, kept as it was.'))),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .check(z.describe('A layered proof: core techniques, then a proof sketch, then the full proof.'));
export type Hierarchy = z.infer<typeof HierarchySchema>;

/** JSON Schema (draft 2020-12) of the hierarchy format, generated from the zod schema above. */
export function hierarchyJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://insight-proof.dev/schema/hierarchy-v1.json',
    title: 'Insight Proof hierarchy',
    ...z.toJSONSchema(HierarchySchema, { target: 'draft-2020-12', io: 'input' }),
  };
}

export class HierarchyFormatError extends Error {
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[]) {
    super(message);
    this.name = 'HierarchyFormatError';
    this.issues = issues;
  }
}

/** Validates untrusted JSON (a file, persisted state, another tool) as a hierarchy. */
export function parseHierarchy(value: unknown, where = 'input'): Hierarchy {
  const result = z.safeParse(HierarchySchema, value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new HierarchyFormatError(
    `The ${where} is not an Insight Proof hierarchy (${issues[0] ?? 'unknown problem'}); check that it was exported by Insight Proof or follows hierarchy.schema.json.`,
    issues,
  );
}
