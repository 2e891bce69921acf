// The scripted model server in a process of its own, for the benchmarks that compare CPU or wall
// time: the benchmark process's CPU time is then the client's alone, and the server's own time per
// request is measured inside the server (from the arrival of the request headers until the last
// byte of the response was handed to the operating system) through Node's http diagnostics channels.
//
//   child:  node bench/serverProcess.ts '<replies JSON>'
//   parent: const server = await startServerProcess({ '*': { content: '…' } });
import { fork, type ChildProcess } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import { ScriptedModelServer, type ScriptedReply } from '../test/server/scriptedServer.ts';

export const BENCH_MODEL = 'insight-bench-model';

/** Replies per stage ('*' for any stage), used for every request. */
export type ReplyTable = Partial<Record<'techniques' | 'sketch' | 'proof' | 'review' | '*', ScriptedReply>>;

export interface ServerTiming {
  stage: string;
  /** From the request headers' arrival to the end of the response, in the server process. */
  ms: number;
}

type ToChild = 'timings' | 'reset' | 'close';
type FromChild = { baseUrl: string } | { timings: ServerTiming[] } | { reset: true };

export interface ServerProcess {
  baseUrl: string;
  /** Chat-completion timings since the last reset, in order of completion. */
  timings(): Promise<ServerTiming[]>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

function ask(child: ChildProcess, message: ToChild, accept: (reply: FromChild) => boolean): Promise<FromChild> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: FromChild): void => {
      if (!accept(reply)) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(reply);
    };
    const onExit = (code: number | null): void => reject(new Error(`The benchmark server process exited (${code}) before answering.`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(message);
  });
}

export async function startServerProcess(replies: ReplyTable): Promise<ServerProcess> {
  const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(replies)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.once('message', (message: FromChild) => ('baseUrl' in message ? resolve(message.baseUrl) : reject(new Error('unexpected first message'))));
    child.once('exit', (code) => reject(new Error(`The benchmark server process exited (${code}) while starting.`)));
  });
  return {
    baseUrl,
    timings: async () => ((await ask(child, 'timings', (reply) => 'timings' in reply)) as { timings: ServerTiming[] }).timings,
    reset: async () => {
      await ask(child, 'reset', (reply) => 'reset' in reply);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.send('close');
      }),
  };
}

/** The child: serves `replies` and measures every chat completion. */
async function serve(replies: ReplyTable): Promise<void> {
  const started = new WeakMap<IncomingMessage, number>();
  let timings: ServerTiming[] = [];
  subscribe('http.server.request.start', (message) => {
    started.set((message as { request: IncomingMessage }).request, performance.now());
  });
  subscribe('http.server.response.finish', (message) => {
    const { request } = message as { request: IncomingMessage };
    const start = started.get(request);
    if (start === undefined || !request.url?.endsWith('/chat/completions')) return;
    const stage = request.headers['x-insight-proof-stage'];
    timings.push({ stage: typeof stage === 'string' ? stage : '', ms: performance.now() - start });
  });
  const server = new ScriptedModelServer({
    models: [BENCH_MODEL],
    defaultReply: (request) => replies[(request.stage ?? '*') as keyof ReplyTable] ?? replies['*'] ?? { content: 'Answer.' },
  });
  const baseUrl = await server.start();
  process.on('message', (message: ToChild) => {
    if (message === 'timings') process.send?.({ timings } satisfies FromChild);
    else if (message === 'reset') {
      timings = [];
      process.send?.({ reset: true } satisfies FromChild);
    } else if (message === 'close') void server.close().then(() => process.exit(0));
  });
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
  process.send?.({ baseUrl } satisfies FromChild);
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) {
  await serve(JSON.parse(process.argv[2] ?? '{}') as ReplyTable);
}
