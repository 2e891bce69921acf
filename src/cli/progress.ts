// Progress lines on stderr for pipeline events: one line when a stage starts and when it ends;
// with --verbose the streamed text itself.
import { STAGE_TITLES, type LayerStage } from '../core/hierarchy.ts';
import type { PipelineEvent } from '../core/pipeline.ts';
import type { CliIo } from './io.ts';

function count(layerStage: LayerStage, event: Extract<PipelineEvent, { type: 'stage-done' }>): string {
  const { techniques, sketch, proof } = event.hierarchy.layers;
  if (layerStage === 'techniques') return `${techniques.items.length} technique${techniques.items.length === 1 ? '' : 's'}`;
  if (layerStage === 'sketch') return `${sketch.steps.length} step${sketch.steps.length === 1 ? '' : 's'}`;
  return proof.verdict ? `verdict: ${proof.verdict}` : 'no verdict';
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A pipeline event listener that reports on stderr; `prefix` names the problem in batch runs. */
export function stageReporter(io: CliIo, options: { verbose: boolean; prefix?: string }): (event: PipelineEvent) => void {
  const prefix = options.prefix ? `${options.prefix} ` : '';
  let startedAt = Date.now();
  let streaming: 'content' | 'reasoning' | undefined;
  const stream = (kind: 'content' | 'reasoning', text: string): void => {
    if (!text) return;
    if (streaming !== kind) {
      io.stderr.write(streaming ? '\n' : '');
      io.stderr.write(kind === 'reasoning' ? '--- reasoning ---\n' : '--- answer ---\n');
      streaming = kind;
    }
    io.stderr.write(text);
  };
  const endStream = (): void => {
    if (streaming) io.stderr.write('\n');
    streaming = undefined;
  };
  return (event) => {
    const layer = event.hierarchy.layers[event.stage];
    switch (event.type) {
      case 'stage-start':
        startedAt = Date.now();
        io.stderr.write(`${prefix}${event.stage}: generating the ${STAGE_TITLES[event.stage]} with ${layer.model ?? 'the model'}…\n`);
        break;
      case 'delta':
        if (options.verbose) {
          stream('reasoning', event.reasoning);
          stream('content', event.content);
        }
        break;
      case 'stage-done': {
        endStream();
        const reasoning = layer.reasoning ? ` (+ ${layer.reasoning.length} of reasoning)` : '';
        io.stderr.write(`${prefix}${event.stage}: done, ${count(event.stage, event)}, ${layer.raw.length} characters${reasoning} in ${seconds(Date.now() - startedAt)}.\n`);
        for (const warning of layer.warnings ?? []) io.stderr.write(`${prefix}${event.stage}: warning: ${warning}\n`);
        break;
      }
      case 'stage-failed':
        endStream();
        // The command's closing line gives the error itself; this line says how far the stage got.
        io.stderr.write(`${prefix}${event.stage}: stopped after ${layer.raw.length} characters${layer.reasoning ? ` (+ ${layer.reasoning.length} of reasoning)` : ''}.\n`);
        break;
    }
  };
}
