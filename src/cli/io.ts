/** What a CLI command may touch, injected so tests run commands in-process without spawning. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Aborted on Ctrl-C; long-running commands stop promptly and keep what they finished. */
  readonly signal: AbortSignal;
}

/** A failure the user can fix: printed as one line on stderr, with the given exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Exit code for wrong usage (unknown command or option, missing argument). */
export const USAGE_EXIT = 2;
