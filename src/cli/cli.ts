import { parseArgs } from 'node:util';
import { hierarchyJsonSchema } from '../core/schema.ts';
import packageJson from '../../package.json' with { type: 'json' };
import { CliError, USAGE_EXIT, type CliIo } from './io.ts';

export const CLI_NAME = 'insight-proof';
const { version } = packageJson;

interface Command {
  readonly summary: string;
  readonly usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

const commands: Record<string, Command> = {
  schema: {
    summary: 'Print the JSON Schema of the proof hierarchy format.',
    usage: `${CLI_NAME} schema`,
    async run(args, io) {
      parseArgs({ args, options: {}, strict: true, allowPositionals: false });
      io.stdout.write(`${JSON.stringify(hierarchyJsonSchema(), null, 2)}\n`);
      return 0;
    },
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
    io.stderr.write(`${CLI_NAME} ${first}: ${message}${usage ? ` (usage: ${command.usage})` : ''}\n`);
    return error instanceof CliError ? error.exitCode : usage ? USAGE_EXIT : 1;
  }
}
