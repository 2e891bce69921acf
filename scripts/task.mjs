#!/usr/bin/env node
// Entry point of every npm script: `node scripts/task.mjs <task> [args...]`.
//
// It makes sure a Node 24 and the npm dependencies are there (see toolchain.mjs), re-runs itself
// under that Node, then runs the task. Tasks print what they do; a failing step exits non-zero.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDependencies, ensureNode24, envWithNode, log, repoRoot } from './toolchain.mjs';

const [task = 'help', ...rest] = process.argv.slice(2);

function forwardSignals(child) {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
}

function bin(name) {
  return join(repoRoot, 'node_modules', '.bin', name);
}

/** Runs a step; resolves with its captured stdout when `capture` is set (still echoed live). */
function step(title, command, args, { capture = false, env = {} } = {}) {
  log(`▶ ${title}`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: repoRoot,
      stdio: ['inherit', capture ? 'pipe' : 'inherit', 'inherit'],
      env: { ...process.env, ...env },
    });
    forwardSignals(child);
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolvePromise(output);
      else {
        const error = new Error(`${title} failed (${code ?? signal}).`);
        error.output = output;
        reject(error);
      }
    });
  });
}

const build = (production = false) =>
  step(production ? 'build (production)' : 'build', process.execPath, ['esbuild.mjs', ...(production ? ['--production'] : [])]);

/** Counts from the node:test spec reporter's closing lines ("ℹ pass 12"). */
function nodeTestCounts(output) {
  const count = (label) => Number(output.match(new RegExp(`ℹ ${label} (\\d+)`))?.[1] ?? 0);
  return { passed: count('pass'), failed: count('fail'), skipped: count('skipped') + count('todo') };
}

async function unit() {
  const output = await step('unit tests (node:test, Node ' + process.versions.node + ')', process.execPath, [
    // Every test process fails on an unhandled promise rejection (see test/unit/setup.ts).
    '--import',
    './test/unit/setup.ts',
    '--test',
    '--test-reporter=spec',
    '--test-timeout=120000',
    'test/unit/**/*.test.ts',
  ], { capture: true }).catch((error) => {
    const counts = nodeTestCounts(error.output ?? '');
    printSummary('unit', counts);
    throw error;
  });
  return nodeTestCounts(output);
}

/**
 * The integration suite in two passes of the harness (test/harness/run-integration.mjs): the main
 * suite in a trusted window, then the untrusted-workspace tests (test/integration/untrusted/) in a
 * window whose folder is not trusted. Each pass writes {passed, failed, skipped, vscodeVersion};
 * the counts are summed.
 */
async function integration() {
  const passes = [
    { title: 'integration tests (real VS Code)', resultFile: join(repoRoot, 'out', 'integration-result.json'), env: {} },
    {
      title: 'integration tests in an untrusted workspace (real VS Code)',
      resultFile: join(repoRoot, 'out', 'integration-untrusted-result.json'),
      env: { INSIGHT_PROOF_INTEGRATION_MODE: 'untrusted' },
    },
  ];
  mkdirSync(join(repoRoot, 'out'), { recursive: true });
  const results = [];
  for (const { title, resultFile, env } of passes) {
    rmSync(resultFile, { force: true });
    try {
      await step(title, process.execPath, ['test/harness/run-integration.mjs'], {
        env: { INSIGHT_PROOF_RESULT_FILE: resultFile, ...env },
      });
    } finally {
      if (!existsSync(resultFile)) log(`The run "${title}" reported no result.`);
    }
    results.push(JSON.parse(readFileSync(resultFile, 'utf8')));
  }
  return {
    passed: results.reduce((sum, each) => sum + each.passed, 0),
    failed: results.reduce((sum, each) => sum + each.failed, 0),
    skipped: results.reduce((sum, each) => sum + (each.skipped ?? 0), 0),
    vscodeVersion: results[0].vscodeVersion,
  };
}

/** The end-to-end UI test in a browser (test/e2e/ui.e2e.mjs); its counts come back in a file. */
async function e2e() {
  const resultFile = join(repoRoot, 'out', 'e2e-result.json');
  rmSync(resultFile, { force: true });
  mkdirSync(join(repoRoot, 'out'), { recursive: true });
  try {
    await step('end-to-end UI test (browser)', process.execPath, ['test/e2e/ui.e2e.mjs'], { env: { INSIGHT_PROOF_RESULT_FILE: resultFile } });
  } finally {
    if (!existsSync(resultFile)) log('The end-to-end run reported no result.');
  }
  return JSON.parse(readFileSync(resultFile, 'utf8'));
}

function printSummary(label, { passed, failed, skipped = 0 }) {
  console.log(`${label}: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
}

const tasks = {
  async build(args) {
    await build(args.includes('--production'));
  },
  async typecheck() {
    await step('typecheck (tsc --noEmit)', bin('tsc'), ['--noEmit', '-p', '.']);
  },
  async lint() {
    await step('lint (eslint)', bin('eslint'), ['--max-warnings=0', '.']);
  },
  async unit() {
    printSummary('unit', await unit());
  },
  async integration() {
    await build();
    printSummary('integration', await integration());
  },
  async e2e() {
    await build();
    printSummary('e2e', await e2e());
  },
  async screenshots(args) {
    await build();
    await step('screenshots of the real UI (docs/images)', process.execPath, ['scripts/screenshots.mjs', ...args]);
  },
  async test() {
    await tasks.typecheck();
    await tasks.lint();
    await build();
    const unitCounts = await unit();
    const integrationCounts = await integration();
    const e2eCounts = await e2e();
    printSummary('unit', unitCounts);
    printSummary('integration', integrationCounts);
    printSummary('e2e', e2eCounts);
    const counts = [unitCounts, integrationCounts, e2eCounts];
    const total = {
      passed: counts.reduce((sum, each) => sum + each.passed, 0),
      failed: counts.reduce((sum, each) => sum + each.failed, 0),
      skipped: counts.reduce((sum, each) => sum + (each.skipped ?? 0), 0),
    };
    printSummary('all', total);
    if (total.failed > 0 || total.passed === 0) process.exitCode = 1;
  },
  async package() {
    // vsce runs `vscode:prepublish` (the production build) itself.
    mkdirSync(join(repoRoot, 'out'), { recursive: true });
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    const vsix = join('out', `${pkg.name}-${pkg.version}.vsix`);
    // The README's pictures are relative links to docs/images/; without a repository URL to make
    // them absolute, vsce refuses to package unless told to leave relative links as they are.
    await step('package (vsce)', bin('vsce'), ['package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', vsix]);
  },
  async bench(args) {
    // bench/run.ts: measures the performance budgets, writes bench/results.json and docs/benchmarks.md;
    // `--check` makes a figure over its budget fail the task.
    await step('benchmarks', process.execPath, ['bench/run.ts', ...args]);
  },
  async start(args) {
    await build();
    await step('start VS Code with Insight Proof', process.execPath, ['scripts/start.mjs', ...args]);
  },
};

function help() {
  console.log(`usage: node scripts/task.mjs <${Object.keys(tasks).join('|')}>`);
}

if (process.versions.node.split('.')[0] !== '24' && !process.env.INSIGHT_PROOF_NO_REEXEC) {
  // Re-run this very script under Node 24, with Node 24 first on PATH for child processes.
  const node24 = ensureNode24();
  const child = spawn(node24, [process.argv[1], task, ...rest], {
    stdio: 'inherit',
    env: envWithNode(node24, { INSIGHT_PROOF_NO_REEXEC: '1' }),
  });
  forwardSignals(child);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 15 : 1)));
} else {
  const env = envWithNode(process.execPath);
  process.env.PATH = env.PATH;
  try {
    if (task !== 'help') ensureDependencies(process.execPath);
    if (task in tasks) await tasks[task](rest);
    else help();
  } catch (error) {
    log(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
