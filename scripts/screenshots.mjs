#!/usr/bin/env node
// Takes the README's pictures from the real UI: code-server in headless Chromium with the
// extension installed and the demo model, driven with clicks and keys like a person (see
// scripts/workbench-driver.mjs). `npm run screenshots` builds first, then runs this.
//
//   node scripts/screenshots.mjs [--out docs/images]
//
// It proves the HMMT sample problem of samples/workbook.md (in a scratch copy of samples/) and
// writes, 1280×800 each:
//   proof-hierarchy.png   the Proof Hierarchy view with the three layers, techniques and steps open
//   inserted-proof.png    the accepted layers inserted under the problem, in the editor
//   markdown-preview.png  the built-in markdown preview of that block, math rendered
// Each picture is taken only after the page shows what its caption says; otherwise the script
// fails with the reason and leaves a screenshot of the moment in out/screenshots-run/.
import { cpSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startDemoServer } from '../demo/server.mjs';
import { log, repoRoot } from './toolchain.mjs';
import { lockRunDir } from './runLock.mjs';
import { delay, openWorkbench, stopOnSignals } from './workbench-driver.mjs';

const { values } = parseArgs({ options: { out: { type: 'string', default: join(repoRoot, 'docs', 'images') } } });
const outDir = resolve(values.out);
const runDir = join(repoRoot, 'out', 'screenshots-run');
const workspace = join(runDir, 'workspace');
/** The sample problem pictured: short, with a verdict, and with math in every layer. */
const PROBLEM = 'Let $a,b,$ and $c$ be pairwise distinct positive integers';
const PROBLEM_LINE = 32;
const VIEWPORT = { width: 1280, height: 800 };

async function main() {
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  mkdirSync(outDir, { recursive: true });
  cpSync(join(repoRoot, 'samples'), workspace, { recursive: true });

  // A brisk pace: the pictures show finished layers, not streaming.
  const demo = await startDemoServer({ pace: { firstTokenDelayMs: 50, chunkChars: 64, chunkDelayMs: 5 } });
  let session;
  const stopAll = async () => {
    await session?.stop();
    await demo.close();
  };
  stopOnSignals(runDir, stopAll);
  try {
    session = await openWorkbench({
      runDir,
      workspace,
      viewport: VIEWPORT,
      log: (message) => log(message),
      settings: {
        'insightProof.baseUrl': demo.baseUrl,
        'insightProof.model': 'insight-proof-demo',
        'workbench.startupEditor': 'none',
        'editor.minimap.enabled': false,
        'editor.wordWrap': 'on',
        'breadcrumbs.enabled': false,
        'editor.stickyScroll.enabled': false,
        'workbench.layoutControl.enabled': false,
      },
    });
    const { page, workbench } = session;
    const shoot = async (name, what) => {
      const file = join(outDir, name);
      await page.screenshot({ path: file });
      log(`${relative(repoRoot, file)}: ${what} (${Math.round(statSync(file).size / 1024)} KB)`);
    };

    log('Opening the workbook and proving the HMMT problem with the demo model.');
    await workbench.openFile('workbook.md');
    await workbench.waitForStatus('Demo model', 60_000);
    await goToLine(page, PROBLEM_LINE);
    await workbench.runCommand('Insight Proof: Prove Theorem');
    const problemRow = workbench.treeRow(PROBLEM.slice(0, 20));
    await workbench.waitForTree(
      (rows) => ['Core techniques draft', 'Proof sketch draft', 'Proof draft'].every((prefix) => rows.some((row) => row.startsWith(prefix))),
      'the three layers of the demo answer',
      60_000,
    );
    // The run ends when the CodeLens stops offering Cancel.
    await page.locator('.codelens-decoration', { hasText: 'proof draft' }).filter({ hasNotText: 'Cancel' }).first().waitFor({ timeout: 30_000 });

    // (a) The view, wide enough to read, with the techniques and the sketch steps open.
    await widenSideBar(page, 560);
    await workbench.expand(workbench.treeRow('Core techniques'));
    await workbench.expand(workbench.treeRow('Proof sketch'));
    await workbench.waitForTree((rows) => rows.some((row) => row.startsWith("Gauss's lemma")) && rows.some((row) => row.includes('Suppose $\\gcd(a, b) = 1$')), 'the techniques and sketch steps as rows');
    await clearNotifications(workbench);
    await page.mouse.move(VIEWPORT.width - 10, VIEWPORT.height / 2);
    await delay(500);
    await shoot('proof-hierarchy.png', 'the Proof Hierarchy view with three layers of the demo answer');

    // (b) Accept all, insert under the problem, and show the block in the editor.
    await workbench.contextMenu(problemRow, 'Accept All Drafts');
    await workbench.waitForTree((rows) => ['Core techniques accepted', 'Proof sketch accepted', 'Proof accepted'].every((prefix) => rows.some((row) => row.startsWith(prefix))), 'every layer accepted');
    await workbench.inlineAction(problemRow, 'Insert into Document');
    await page.locator('.editor-instance .view-lines', { hasText: 'insight-proof:begin' }).first().waitFor({ timeout: 15_000 });
    await page.keyboard.press('Control+S');
    // Go to Line centres the line: this one puts the problem's heading near the top, the block below it.
    await goToLine(page, PROBLEM_LINE + 9);
    await clearNotifications(workbench);
    await page.mouse.move(VIEWPORT.width - 10, VIEWPORT.height / 2);
    await delay(500);
    await page.locator('.editor-instance .view-lines', { hasText: '**Core techniques.**' }).first().waitFor();
    await shoot('inserted-proof.png', 'the accepted layers inserted under the problem as a marked markdown block');

    // (c) The built-in markdown preview of the same place, math rendered by VS Code's KaTeX.
    await page.keyboard.press('Control+B');
    await goToLine(page, PROBLEM_LINE + 30);
    await workbench.runCommand('Markdown: Open Preview to the Side');
    const preview = await previewFrame(page);
    await preview.locator('.katex').first().waitFor({ timeout: 30_000 });
    await preview.locator('h3', { hasText: '2025-02-team-01' }).first().evaluate((element) => element.scrollIntoView({ block: 'start' }));
    const rendered = await preview.locator('.katex').count();
    if (rendered < 10) throw new Error(`The preview rendered only ${rendered} formulas; the markdown math extension may be off.`);
    await clearNotifications(workbench);
    await delay(800);
    await shoot('markdown-preview.png', `the built-in markdown preview of the inserted block, ${rendered} formulas rendered`);
  } catch (error) {
    if (session?.page) await session.page.screenshot({ path: join(runDir, 'failure.png') }).catch(() => undefined);
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nNo new pictures were kept for the failed step; see ${join(runDir, 'failure.png')} and ${runDir}.`, { cause: error });
  } finally {
    await stopAll();
  }
}

/** Go to Line (Ctrl+G), as typed. */
async function goToLine(page, line) {
  // Ctrl+1 focuses the (first) editor group, wherever the focus was.
  await page.keyboard.press('Control+1');
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`:${line}`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden' });
}

/** Drags the side bar's edge to `width` pixels. */
async function widenSideBar(page, width) {
  const sideBar = await page.locator('.part.sidebar').boundingBox();
  if (!sideBar) return;
  const edgeX = sideBar.x + sideBar.width + 1;
  const y = sideBar.y + sideBar.height / 2;
  await page.mouse.move(edgeX, y);
  await page.mouse.down();
  await page.mouse.move(sideBar.x + width, y, { steps: 8 });
  await page.mouse.up();
}

async function clearNotifications(workbench) {
  if ((await workbench.notifications()).length === 0) return;
  await workbench.runCommand('Notifications: Clear All Notifications');
  await workbench.page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'detached', timeout: 5000 }).catch(() => undefined);
}

/** The frame of the markdown preview webview (its content sits two iframes deep). */
async function previewFrame(page) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (await frame.locator('.markdown-body').count().catch(() => 0)) return frame;
    }
    await delay(200);
  }
  throw new Error('The markdown preview did not open within 30 s.');
}

const unlock = await lockRunDir(runDir, { waitingFor: 'another screenshots run', log });
try {
  await main();
} catch (error) {
  log(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
} finally {
  unlock();
}
