// The `sft` export: chat-format training pairs for progressive multi-stage fine-tuning, one JSON
// object per line: {"messages": [...], "metadata": {...}}.
//
// For each hierarchy and each stage, the messages are exactly the `deepinsight` preset's prompt for
// that stage (conditioned on the hierarchy's own upper layers, as at generation time), followed by
// an assistant message with the layer written the way that preset asks the model to answer
// (prompts.ts deepInsightAnswer: numbered "Name: detail" techniques, numbered steps, the proof).
// The canonical rendering, not the raw text, is the answer: it is what a person's edit parsed to,
// it has no reasoning or stray formatting, and every pair has the same answer format. The proof
// answer ends with \boxed{proved|disproved} whenever the layer has a verdict.
//
// Which stages: a stage is written when its layer is a draft or accepted and has content, and so
// is every layer above it (a sketch built on failed or stale techniques would teach the wrong
// conditioning). Stale, failed, empty or still-generating layers end the hierarchy's pairs.
//
// `metadata` (hierarchy id, stage, model, edited, status) helps filter a dataset; trainers that
// read only `messages` ignore it, and `{ metadata: false }` leaves it out for stricter tools.
import type { ChatMessage } from '../client.ts';
import { LAYER_STAGES, type Hierarchy, type LayerStage } from '../hierarchy.ts';
import { deepInsightAnswer, deepInsightMessages } from '../prompts.ts';
import { proofShowsVerdict } from './common.ts';

export interface SftOptions {
  /** Add a `metadata` object to each line (default true). */
  metadata?: boolean;
}

export interface SftPair {
  messages: ChatMessage[];
  metadata?: { hierarchy_id: string; stage: LayerStage; model?: string; edited: boolean; status: string };
}

/** The answer a stage's layer gives as training data, or '' when the layer gives none. */
export function sftAnswer(hierarchy: Hierarchy, stage: LayerStage): string {
  const layer = hierarchy.layers[stage];
  if (layer.status !== 'draft' && layer.status !== 'accepted') return '';
  const answer = deepInsightAnswer(stage, hierarchy).trim();
  if (!answer || stage !== 'proof') return answer;
  const { verdict } = hierarchy.layers.proof;
  return verdict && !proofShowsVerdict(answer, verdict) ? `${answer}\n\n\\boxed{${verdict}}` : answer;
}

/** The training pairs of one hierarchy, top stage first. */
export function sftPairs(hierarchy: Hierarchy, options: SftOptions = {}): SftPair[] {
  const pairs: SftPair[] = [];
  for (const stage of LAYER_STAGES) {
    const answer = sftAnswer(hierarchy, stage);
    if (!answer) break;
    const layer = hierarchy.layers[stage];
    pairs.push({
      messages: [...deepInsightMessages(stage, hierarchy), { role: 'assistant', content: answer }],
      ...(options.metadata === false
        ? {}
        : { metadata: { hierarchy_id: hierarchy.id, stage, ...(layer.model ? { model: layer.model } : {}), edited: layer.edited, status: layer.status } }),
    });
  }
  return pairs;
}

export function hierarchiesToSft(hierarchies: readonly Hierarchy[], options: SftOptions = {}): string {
  return hierarchies.flatMap((hierarchy) => sftPairs(hierarchy, options)).map((pair) => `${JSON.stringify(pair)}\n`).join('');
}
