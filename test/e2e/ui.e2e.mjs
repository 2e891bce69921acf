#!/usr/bin/env node
// End-to-end UI test: a person's first proof, with real clicks and keys in the real workbench
// (code-server in headless Chromium; see scripts/workbench-driver.mjs). Open the workbook, click
// the CodeLens "Prove", accept the model server Insight Proof found on this machine, watch the
// Proof Hierarchy view fill with three layers, accept them from the context menu, insert them with
// the row's inline action, save, and read the file on disk.
//
//   node test/e2e/ui.e2e.mjs      (the `test` task runs it after the integration suite)
//
// The model is the scripted test server on loopback: no demo, no network beyond this machine. It
// listens on a port local servers usually take (LM Studio's 1234, ...) when one is free, and the
// settings start empty, so the offer of a found server is part of the path; when all those ports
// are taken, that step is skipped (and says why) and the settings name the server from the start.
// The workspace is a fresh copy of samples/. Each step prints ✔, ✖ or -; the counts go to
// INSIGHT_PROOF_RESULT_FILE when set. On failure: a screenshot and the logs in out/e2e-run/.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_SERVER_CANDIDATES } from '../../src/core/localServers.ts';
import { lockRunDir } from '../../scripts/runLock.mjs';
import { openWorkbench, stopOnSignals } from '../../scripts/workbench-driver.mjs';
import { ScriptedModelServer } from '../server/scriptedServer.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const runDir = join(repoRoot, 'out', 'e2e-run');
const workspace = join(runDir, 'workspace');
const resultFile = process.env.INSIGHT_PROOF_RESULT_FILE ? resolve(process.env.INSIGHT_PROOF_RESULT_FILE) : undefined;
const TIMEOUT_MS = Number(process.env.INSIGHT_PROOF_E2E_TIMEOUT_MS || 180_000);
const MODEL = 'e2e-prover';

const REPLIES = {
  techniques: {
    content: '1. Induction on n: assume the sum of the first $n$ odd numbers is $n^2$ and add the next one.\n2. Square expansion: $(n+1)^2 = n^2 + 2n + 1$, and $2n + 1$ is the $(n+1)$-th odd number.',
    chunkChars: 24,
    chunkDelayMs: 20,
  },
  sketch: { content: '1. Check $n = 1$: $1 = 1^2$.\n2. Assume $1 + 3 + \\dots + (2n-1) = n^2$.\n3. Add $2n + 1$ and use $(n+1)^2 = n^2 + 2n + 1$.', chunkChars: 24, chunkDelayMs: 20 },
  proof: {
    content: 'For $n = 1$ the sum is $1 = 1^2$. If $1 + 3 + \\dots + (2n-1) = n^2$, then adding the next odd number gives $n^2 + (2n + 1) = (n+1)^2$. By induction the claim holds for every $n \\ge 1$. $\\blacksquare$',
    chunkChars: 24,
    chunkDelayMs: 20,
  },
};

const results = [];
function report(name, error, skipped) {
  results.push({ name, ok: !error, skipped: Boolean(skipped) });
  if (skipped) {
    console.log(`  - ${name} (skipped: ${skipped})`);
  } else if (error) {
    console.log(`  ✖ ${name}`);
    console.log(`      ${(error instanceof Error ? error.message : String(error)).split('\n').join('\n      ')}`);
  } else {
    console.log(`  ✔ ${name}`);
  }
}

async function main() {
  const unlock = await lockRunDir(runDir, { waitingFor: 'another end-to-end run', log: (message) => console.log(`  ${message}`) });
  try {
    return await run();
  } finally {
    unlock();
  }
}

async function run() {
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  cpSync(join(repoRoot, 'samples'), workspace, { recursive: true });
  const workbookFile = join(workspace, 'workbook.md');

  const { model, baseUrl, onUsualPort } = await startModel();
  const offerStep = 'Prove without a configured server offers the one found on this machine; clicking "Use …" saves it and the proof starts';
  const log = (message) => writeFileSync(join(runDir, 'driver.log'), `${message}\n`, { flag: 'a' });
  const started = Date.now();
  let session;
  const stopAll = async () => {
    await session?.stop();
    await model.close();
  };
  stopOnSignals(runDir, stopAll);
  const timer = setTimeout(() => {
    console.log(`  ✖ the run did not finish within ${TIMEOUT_MS / 1000} s`);
    void screenshot(session?.page).then(stopAll).finally(() => process.exit(1));
  }, TIMEOUT_MS);

  console.log('\n  End to end in the browser: a first proof with clicks and keys');
  try {
    session = await openWorkbench({
      runDir,
      workspace,
      log,
      settings: onUsualPort ? { 'workbench.startupEditor': 'none' } : { 'insightProof.baseUrl': baseUrl, 'insightProof.model': MODEL, 'workbench.startupEditor': 'none' },
    });
    if (!onUsualPort) report(offerStep, undefined, `ports ${LOCAL_SERVER_CANDIDATES.map((candidate) => candidate.port).join(', ')} are all taken on this machine`);
    const { workbench, page } = session;
    const steps = [
      ['opening the workbook (Quick Open) shows a Prove CodeLens above each theorem', async () => {
        await workbench.openFile('workbook.md');
        await workbench.codeLenses('Prove').first().waitFor({ timeout: 60_000 });
        const first = (await workbench.codeLenses('Prove').first().getAttribute('title')) ?? '';
        if (!/Prove this theorem in layers/.test(first)) throw new Error(`The CodeLens explains itself as "${first}".`);
      }],
      ['the status bar says what to do next: set up, or the configured model', async () => {
        await workbench.waitForStatus(onUsualPort ? 'Insight Proof: set up' : MODEL, 15_000);
      }],
      ...(onUsualPort
        ? [
            [offerStep, async () => {
              await workbench.codeLenses('Prove').first().click();
              const offer = `Use ${baseUrl} (model ${MODEL})`;
              const toast = page.locator('.notification-toast', { hasText: 'found an OpenAI-compatible model server' }).first();
              await toast.waitFor({ timeout: 15_000 });
              await toast.locator('.monaco-button', { hasText: offer }).click();
              await workbench.waitForStatus(MODEL, 15_000);
            }],
          ]
        : []),
      ['clicking Prove fills the Proof Hierarchy view: techniques, then sketch steps, then the proof', async () => {
        if (!onUsualPort) await workbench.codeLenses('Prove').first().click();
        await workbench.waitForTree(
          (rows) => rows.some((row) => /^Core techniques draft · 2 techniques/.test(row)) && rows.some((row) => /^Proof sketch draft · 3 steps/.test(row)) && rows.some((row) => /^Proof draft/.test(row)),
          'three draft layers',
        );
        await workbench.expand(workbench.treeRow('Core techniques'));
        await workbench.waitForTree((rows) => rows.includes('Induction on n') && rows.some((row) => row.startsWith('Square expansion')), 'the two techniques as rows');
        // The run is over when the CodeLens offers no Cancel any more.
        await page.locator('.editor-instance .monaco-editor .codelens-decoration', { hasText: 'techniques draft · sketch draft · proof draft' }).filter({ hasNotText: 'Cancel' }).first().waitFor({ timeout: 15_000 });
      }],
      ['Accept All Drafts from the problem row\'s context menu accepts every layer', async () => {
        await workbench.contextMenu(workbench.treeRow('Theorem. For every integer'), 'Accept All Drafts');
        await workbench.waitForTree(
          (rows) => ['Core techniques', 'Proof sketch', 'Proof'].every((title) => rows.some((row) => row.startsWith(`${title} accepted`))),
          'every layer to show "accepted"',
        );
      }],
      ['Insert into Document (the row\'s inline action) writes the proof block under the theorem, saved with Ctrl+S', async () => {
        await workbench.inlineAction(workbench.treeRow('Theorem. For every integer'), 'Insert into Document');
        await page.locator('.editor-instance .view-lines', { hasText: 'insight-proof' }).first().waitFor({ timeout: 15_000 });
        await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
        await page.keyboard.press('Control+S');
        await waitForFile(workbookFile, (text) => text.includes('<!-- insight-proof:'), 'the saved workbook to contain the proof block');
        const text = readFileSync(workbookFile, 'utf8');
        const theorem = text.indexOf('**Theorem.** For every integer');
        const block = text.indexOf('<!-- insight-proof:');
        const euclid = text.indexOf('**Theorem (Euclid).**');
        if (!(theorem >= 0 && theorem < block && block < euclid)) throw new Error('The block is not between the theorem and the next one.');
        for (const expected of ['Induction on n', 'Add $2n + 1$ and use $(n+1)^2 = n^2 + 2n + 1$.', 'By induction the claim holds for every $n \\ge 1$.']) {
          if (!text.includes(expected)) throw new Error(`The inserted block lacks "${expected}".`);
        }
      }],
      ['the CodeLens above the theorem then reports the accepted layers', async () => {
        await page.locator('.editor-instance .monaco-editor .codelens-decoration', { hasText: 'techniques ✓ · sketch ✓ · proof ✓' }).first().waitFor({ timeout: 15_000 });
      }],
    ];
    let failed = false;
    for (const [name, run] of steps) {
      if (failed) {
        report(name, new Error('not run: an earlier step failed'));
        continue;
      }
      try {
        await run();
        report(name);
      } catch (error) {
        failed = true;
        report(name, error);
        await screenshot(page);
      }
    }
  } catch (error) {
    report('the workbench opens with the extension', error);
    await screenshot(session?.page);
  } finally {
    clearTimeout(timer);
    await stopAll();
  }
  const skipped = results.filter((result) => result.skipped).length;
  const passed = results.filter((result) => result.ok && !result.skipped).length;
  const failed = results.length - passed - skipped;
  console.log(`\n  e2e: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s${failed ? `; see ${runDir}` : ''}\n`);
  if (resultFile) {
    mkdirSync(dirname(resultFile), { recursive: true });
    writeFileSync(resultFile, `${JSON.stringify({ passed, failed, skipped }, null, 2)}\n`);
  }
  return failed === 0 && passed > 0 ? 0 : 1;
}

/** The scripted server on the first free usual port of a local server (least common first), else on any free port. */
async function startModel() {
  const serve = () => new ScriptedModelServer({ models: [MODEL], defaultReply: (request) => REPLIES[request.stage ?? ''] ?? { status: 400 } });
  for (const { port } of [...LOCAL_SERVER_CANDIDATES].reverse()) {
    const model = serve();
    try {
      return { model, baseUrl: await model.start(port), onUsualPort: true };
    } catch {
      await model.close();
    }
  }
  const model = serve();
  return { model, baseUrl: await model.start(), onUsualPort: false };
}

async function waitForFile(file, predicate, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(file) && predicate(readFileSync(file, 'utf8'))) return;
    await new Promise((resolveDelay) => setTimeout(resolveDelay, 100));
  }
  throw new Error(`Timed out waiting for ${what} (${file}).`);
}

async function screenshot(page) {
  if (!page) return;
  const path = join(runDir, 'failure.png');
  try {
    await page.screenshot({ path, timeout: 10_000 });
    console.log(`      screenshot: ${path}`);
  } catch {
    // The page is gone; the logs in the run directory remain.
  }
}

process.exitCode = await main();
