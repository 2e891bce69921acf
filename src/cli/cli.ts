import { parseArgs } from 'node:util';
import { hierarchyJsonSchema } from '../core/schema.ts';
import packageJson from '../../package.json' with { type: 'json' };
import { EXPORT_USAGE, runExport } from './commands/export.ts';
import { REVIEW_USAGE, runReviewCommand } from './commands/review.ts';
import { SCORE_USAGE, runScore } from './commands/score.ts';
import { WORKBOOK_USAGE, runWorkbook } from './commands/workbook.ts';
import { BATCH_USAGE, runBatchCommand } from './batchCommand.ts';
import { CliError, USAGE_EXIT, type CliIo } from './io.ts';
import { PROVE_USAGE, runProve } from './proveCommand.ts';

export const CLI_NAME = 'insight-proof';
const { version } = packageJson;

interface Command {
  readonly summary: string;
  readonly usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

const commands: Record<string, Command> = {
  prove: {
    summary: 'Prove one problem: core techniques, then a sketch, then the proof; prints the hierarchy JSON.',
    usage: PROVE_USAGE,
    run: runProve,
  },
  batch: {
    summary: 'Prove every problem of a JSONL file, concurrently, appending hierarchies to a JSONL file.',
    usage: BATCH_USAGE,
    run: runBatchCommand,
  },
  schema: {
    summary: 'Print the JSON Schema of the proof hierarchy format.',
    usage: `${CLI_NAME} schema`,
    async run(args, io) {
      parseArgs({ args, options: {}, strict: true, allowPositionals: false });
      io.stdout.write(`${JSON.stringify(hierarchyJsonSchema(), null, 2)}\n`);
      return 0;
    },
  },
  export: {
    summary: 'Export hierarchies (JSON or JSONL) as md, json, jsonl, sft training pairs or LaTeX.',
    usage: EXPORT_USAGE,
    run: runExport,
  },
  review: {
    summary: 'Grade proofs with a judge model (validity, completeness, correctness, clarity).',
    usage: REVIEW_USAGE,
    run: runReviewCommand,
  },
  score: {
    summary: 'Score batch results: DeepTheorem outcome metric (every variant right) and mean review score.',
    usage: SCORE_USAGE,
    run: runScore,
  },
  workbook: {
    summary: 'Turn a JSONL problem set into a markdown workbook of **Problem.** blocks.',
    usage: WORKBOOK_USAGE,
    run: runWorkbook,
  },
};

export function helpText(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return [
    `${CLI_NAME} ${version}: insight-guided informal proofs (core techniques, then a sketch, then the proof)`,
    'from any OpenAI-compatible model.',
    '',
    `Usage: ${CLI_NAME} <command> [options]`,
    '',
    'Commands:',
    ...lines,
    '',
    'Options:',
    '  -h, --help     Show this help, or a command\'s help after the command name.',
    '  -v, --version  Print the version.',
    '',
    'Environment: INSIGHT_PROOF_BASE_URL, INSIGHT_PROOF_MODEL; the API key only from',
    'INSIGHT_PROOF_API_KEY or OPENAI_API_KEY (never a flag: argv is visible to every user).',
    '',
  ].join('\n');
}

/** Runs the command line; returns the exit code. Never throws for a user's mistake. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    const command = topic ? commands[topic] : undefined;
    io.stdout.write(command ? `${command.summary}\n\nUsage: ${command.usage}\n` : helpText());
    return first === undefined ? USAGE_EXIT : 0;
  }
  if (first === '-v' || first === '--version') {
    io.stdout.write(`${version}\n`);
    return 0;
  }
  const command = commands[first];
  if (!command) {
    io.stderr.write(`${CLI_NAME}: unknown command "${first}"; run "${CLI_NAME} --help" to see the commands.\n`);
    return USAGE_EXIT;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.summary}\n\nUsage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    const usage = error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`${CLI_NAME} ${first}: ${message}${usage ? ` (usage: ${command.usage.split('\n')[0]}; see ${CLI_NAME} ${first} --help)` : ''}\n`);
    return error instanceof CliError ? error.exitCode : usage ? USAGE_EXIT : 1;
  }
}
