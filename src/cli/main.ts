// Entry point of dist/cli.js (the `insight-proof` command).
import { runCli } from './cli.ts';

const controller = new AbortController();
let interrupted = false;
process.on('SIGINT', () => {
  // First Ctrl-C: stop gracefully, keeping finished work. Second: leave at once.
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write('Stopping (press Ctrl-C again to quit at once)…\n');
  controller.abort(new Error('Interrupted'));
});

runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = interrupted && code === 0 ? 130 : code;
  },
  (error: unknown) => {
    process.stderr.write(`insight-proof: unexpected error: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
