// `npm run bench`: measures Insight Proof against its performance budgets and writes
// bench/results.json, docs/benchmarks.md and the table in the README's Performance section (between
// its markers); prints the table.
//
//   npm run bench                   every case (about 3 minutes on 2 cores)
//   npm run bench -- --check        the same, and exit 1 when a figure is over its budget
//   npm run bench -- --only=streaming,batch   some cases (nothing is written)
//   npm run bench -- --windows=7    VS Code windows for the activation samples (default 7)
//
// Cases: size (.vsix and bundles), vscode (activation, bundle load, the view's getChildren),
// end-to-end, streaming, batch, codelens, export. Everything runs on 127.0.0.1.
//
// The size case runs the package task, which leaves the production build in dist/ (the next build
// or test run replaces it). The vscode case needs code-server (installed into the tool cache on
// first use, which takes several minutes once) and Chromium, like the integration suite, and waits
// for a running integration suite to finish: both would measure each other otherwise.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchBatch, benchEndToEnd, benchStreaming } from './pipeline.ts';
import { benchmarksDocument, README_TABLE_START, resultsTable, withReadmeTable, type BenchResults } from './report.ts';
import { benchCodeLenses, benchExport } from './scale.ts';
import { round, withinBudget, type CaseResult } from './stats.ts';
import { benchSize } from './vsix.ts';
import { benchVsCode } from './vscode.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const GROUPS = ['size', 'vscode', 'end-to-end', 'streaming', 'batch', 'codelens', 'export'] as const;
type Group = (typeof GROUPS)[number];

const startedAt = performance.now();

function log(message: string): void {
  process.stderr.write(`[bench ${((performance.now() - startedAt) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);
}

function parseOptions(argv: readonly string[]): { check: boolean; only: Group[] | undefined; windows: number } {
  let check = false;
  let only: Group[] | undefined;
  let windows = 7;
  for (const arg of argv) {
    if (arg === '--check') check = true;
    else if (arg.startsWith('--only=')) {
      const names = arg.slice('--only='.length).split(',').filter(Boolean);
      const unknown = names.find((name) => !(GROUPS as readonly string[]).includes(name));
      if (unknown) throw new Error(`--only takes ${GROUPS.join(', ')}, not "${unknown}".`);
      only = names as Group[];
    } else if (arg.startsWith('--windows=')) {
      windows = Number(arg.slice('--windows='.length));
      if (!Number.isInteger(windows) || windows < 1 || windows > 25) throw new Error(`--windows must be a whole number from 1 to 25, not "${arg.slice('--windows='.length)}".`);
    } else throw new Error(`Unknown option "${arg}"; use --check, --only=${GROUPS.join(',')} or --windows=N.`);
  }
  return { check, only, windows };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const wanted = (group: Group) => !options.only || options.only.includes(group) || (group === 'size' && options.only.includes('vscode'));
  const started = startedAt;
  const date = execFileSync('date', ['-u'], { encoding: 'utf8' }).trim();
  const loadStart = round(loadavg()[0]!);
  if (loadStart > cpus().length) log(`The load average is ${loadStart} on ${cpus().length} cores: other work is running, and wall-clock figures will be inflated.`);
  const cases: CaseResult[] = [];
  let vscodeVersion = 'not measured';

  if (wanted('size')) {
    const unpacked = join(REPO, 'out', 'bench-run', 'vsix');
    const packaged = await benchSize(REPO, unpacked, log);
    cases.push(...packaged.results);
    if (wanted('vscode')) {
      const vscode = await benchVsCode(REPO, packaged.extensionDir, options.windows, log);
      cases.push(...vscode.results);
      vscodeVersion = `${vscode.vscodeVersion} (code-server 4.139.1)`;
    }
  }
  if (wanted('end-to-end')) cases.push(await benchEndToEnd(log));
  if (wanted('streaming')) cases.push(await benchStreaming(log));
  if (wanted('batch')) cases.push(await benchBatch(log));
  if (wanted('codelens')) cases.push(...(await benchCodeLenses(log)));
  if (wanted('export')) cases.push(...(await benchExport(log)));

  const results: BenchResults = {
    date,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      memoryGb: Math.round(totalmem() / 1024 ** 3),
      os: `${process.platform} ${process.arch}`,
      node: process.versions.node,
      vscode: vscodeVersion,
      loadAverage: { start: loadStart, end: round(loadavg()[0]!) },
    },
    durationSeconds: Math.round((performance.now() - started) / 1000),
    cases,
  };
  process.stdout.write(`\n${resultsTable(results)}\n\n`);
  if (options.only) {
    log('Only some cases ran (--only): bench/results.json and docs/benchmarks.md were left as they are.');
  } else {
    writeFileSync(join(REPO, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    mkdirSync(join(REPO, 'docs'), { recursive: true });
    writeFileSync(join(REPO, 'docs', 'benchmarks.md'), benchmarksDocument(results));
    const readme = withReadmeTable(readFileSync(join(REPO, 'README.md'), 'utf8'), results);
    if (readme === undefined) log(`README.md has no "${README_TABLE_START}" marker; its Performance table was not updated.`);
    else writeFileSync(join(REPO, 'README.md'), readme);
    log(`Wrote bench/results.json, docs/benchmarks.md and the README's Performance table (${results.durationSeconds} s).`);
  }
  const over = cases.filter((result) => !withinBudget(result));
  for (const result of over) log(`Over budget: ${result.title}: ${result.value} ${result.unit} (budget ${result.budget?.text}).`);
  return options.check && over.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    log('done.');
    process.exitCode = code;
  },
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 2;
  },
);
