// Runs the scripted OpenAI-compatible server on its own, for trying the extension or the CLI by
// hand and for benchmarks:
//
//   node test/server/main.ts --port 8000 --script fixture.json
//
// fixture.json (every field optional):
//   {
//     "models": ["insight-test-model"],
//     "apiKey": "…",                                   // require this bearer key
//     "scripts": { "techniques": [ScriptedReply, …], "sketch": […], "proof": […], "*": […] },
//     "default": ScriptedReply | { "techniques": ScriptedReply, … }   // once the queues are empty
//   }
// Without a script every request gets a short default answer, so the server is usable at once.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ScriptedModelServer, type ScriptedReply, type ScriptStage } from './scriptedServer.ts';

interface Fixture {
  models?: string[];
  apiKey?: string;
  scripts?: Partial<Record<ScriptStage, ScriptedReply[]>>;
  default?: ScriptedReply | Partial<Record<string, ScriptedReply>>;
}

const STAGES = new Set(['techniques', 'sketch', 'proof', 'review', '*']);

function isPerStage(value: Fixture['default']): value is Partial<Record<string, ScriptedReply>> {
  return value !== undefined && Object.keys(value).length > 0 && Object.keys(value).every((key) => STAGES.has(key));
}

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8000' },
    script: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  process.stdout.write('Usage: node test/server/main.ts [--port 8000] [--script fixture.json]\n');
  process.exit(0);
}

let fixture: Fixture = {};
if (values.script) {
  try {
    fixture = JSON.parse(readFileSync(values.script, 'utf8')) as Fixture;
  } catch (error) {
    process.stderr.write(`Could not read the script ${values.script}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
}

const fallback = fixture.default;
const server = new ScriptedModelServer({
  ...(fixture.models ? { models: fixture.models } : {}),
  ...(fixture.apiKey ? { apiKey: fixture.apiKey } : {}),
  defaultReply: (request) => {
    if (isPerStage(fallback)) {
      return fallback[request.stage ?? '*'] ?? fallback['*'] ?? { content: `Scripted answer for stage ${request.stage ?? '(none)'}.` };
    }
    return fallback ?? { content: `Scripted answer for stage ${request.stage ?? '(none)'}.` };
  },
});
for (const [stage, replies] of Object.entries(fixture.scripts ?? {})) {
  if (STAGES.has(stage) && replies) server.script(stage as ScriptStage, ...replies);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`--port must be a number from 0 to 65535, not "${values.port}".\n`);
  process.exit(2);
}
const baseUrl = await server.start(port);
process.stdout.write(`Scripted model server on ${baseUrl} (models: ${server.models.join(', ')}); Ctrl-C stops it.\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
