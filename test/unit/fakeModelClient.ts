// An in-memory ModelClient for pipeline and batch tests: streams scripted replies through onDelta
// with real asynchrony (one macrotask per chunk), honours or deliberately ignores the abort signal,
// and records every request. End-to-end tests use the real client over the scripted HTTP server.
import type { ChatRequest, ChatResult, ModelClient, StreamDelta } from '../../src/core/client.ts';
import { ModelError } from '../../src/core/errors.ts';
import type { RequestStage } from '../../src/core/hierarchy.ts';

export interface FakeReply {
  content?: string;
  reasoning?: string;
  /** Characters per streamed chunk (default 8). */
  chunk?: number;
  /** Wait between chunks. */
  delayMs?: number;
  finishReason?: string | null;
  /** Thrown after the content has streamed. */
  error?: ModelError;
  /** After the content: never finish, and ignore the abort signal (a client that reacts late). */
  hangIgnoringAbort?: boolean;
}

export class FakeModelClient implements ModelClient {
  readonly requests: ChatRequest[] = [];
  /** Requests in flight now, and the most there ever were at once. */
  inFlight = 0;
  maxInFlight = 0;
  private readonly replies: Partial<Record<RequestStage, FakeReply[]>>;
  private readonly fallback: (stage: RequestStage, request: ChatRequest) => string | FakeReply;

  constructor(replies: Partial<Record<RequestStage, FakeReply[]>> = {}, fallback: (stage: RequestStage, request: ChatRequest) => string | FakeReply = (stage) => `1. Answer for ${stage}: detail.`) {
    this.replies = replies;
    this.fallback = fallback;
  }

  async chat(request: ChatRequest, onDelta?: (delta: StreamDelta) => void): Promise<ChatResult> {
    this.requests.push(request);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const fallback = this.fallback(request.stage, request);
      const reply = this.replies[request.stage]?.shift() ?? (typeof fallback === 'string' ? { content: fallback } : fallback);
      const content = reply.content ?? '';
      const reasoning = reply.reasoning ?? '';
      const size = reply.chunk ?? 8;
      for (let index = 0; index < reasoning.length; index += size) {
        await pause(reply.delayMs ?? 0);
        onDelta?.({ content: '', reasoning: reasoning.slice(index, index + size) });
      }
      for (let index = 0; index < content.length; index += size) {
        await pause(reply.delayMs ?? 0);
        if (request.signal?.aborted && !reply.hangIgnoringAbort) {
          throw new ModelError('aborted', 'cancelled', { partial: { content: content.slice(0, index), reasoning } });
        }
        onDelta?.({ content: content.slice(index, index + size), reasoning: '' });
      }
      if (reply.hangIgnoringAbort) await new Promise(() => undefined);
      if (reply.error) throw reply.error;
      return { content, reasoning, finishReason: reply.finishReason === undefined ? 'stop' : reply.finishReason, model: `${request.model}-served`, usedJsonSchema: request.jsonSchema !== undefined };
    } finally {
      this.inFlight -= 1;
    }
  }

  async listModels(): Promise<string[]> {
    return ['fake-model'];
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
}
