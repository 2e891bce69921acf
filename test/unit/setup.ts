// Loaded into every unit test process (`node --test --import ./test/unit/setup.ts`, see the `unit`
// task in scripts/task.mjs; test files that must never run unguarded import it too).
//
// A promise rejection nobody handles is a bug even when no assertion notices it: a failed write
// that was never awaited, a server callback that threw, a timer firing after its test ended.
// Node 24's test runner already counts these against the file; this guard makes the rule the
// project's own, independent of the runner's version and isolation mode: it prints the reason with
// its stack and sets the exit code of the test process, which the runner reports as a failure.
import { inspect } from 'node:util';

const GUARD = Symbol.for('insight-proof.unhandled-rejection-guard');
const registry = globalThis as typeof globalThis & { [GUARD]?: true };

if (!registry[GUARD]) {
  registry[GUARD] = true;
  let count = 0;
  process.on('unhandledRejection', (reason) => {
    count += 1;
    process.exitCode = 1;
    process.stderr.write(`Unhandled promise rejection #${count} (this fails the unit run): ${inspect(reason, { depth: 4 })}\n`);
  });
  process.on('exit', (code) => {
    if (count > 0 && code === 0) process.exitCode = 1;
  });
}
