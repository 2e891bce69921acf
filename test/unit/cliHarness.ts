// The command line run in this process, as the CLI tests that need no spawned bundle drive it.
import { runCli } from '../../src/cli/cli.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the command line with `env` as its whole environment and `cwd` as its working folder;
 * returns its exit code and everything it printed.
 */
export async function runCliInProcess(args: string[], { env, cwd }: { env: Record<string, string>; cwd: string }): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    cwd,
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}
