// Drives the real VS Code workbench in a browser, as a person would: code-server serves VS Code
// with the extension from this repository installed (a link, as `npm start` does it: notification
// toasts show, unlike in the smoke-test mode the integration suite needs), headless Chromium
// (through playwright-core) shows it, and the helpers below click, type and read the page. The
// end-to-end UI test (test/e2e/ui.e2e.mjs) and the screenshots script (scripts/screenshots.mjs)
// share it.
//
// Everything started here is stopped by `session.stop()`, newest first: Chromium (its own process
// group), then code-server (its own process group).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from './chromium.mjs';
import { cleanupStack } from './cleanups.mjs';
import { linkExtension, startCodeServer } from './code-server.mjs';
import { releaseRunDir } from './runLock.mjs';
import { repoRoot } from './toolchain.mjs';

/**
 * Starts code-server on `workspace` with the given user settings and opens the workbench in
 * headless Chromium.
 * @param {{
 *   runDir: string,
 *   workspace: string,
 *   settings?: Record<string, unknown>,
 *   log?: (message: string) => void,
 *   viewport?: { width: number, height: number },
 * }} options
 */
export async function openWorkbench({ runDir, workspace, settings = {}, log = () => undefined, viewport = { width: 1280, height: 800 } }) {
  const cleanups = cleanupStack(log);
  const stop = () => cleanups.stop();
  try {
    mkdirSync(runDir, { recursive: true });
    linkExtension({ extensionsDir: join(runDir, 'extensions'), extensionPath: repoRoot });
    const server = await startCodeServer({ workspaceFolder: workspace, runDir, log, settings, smokeTestDriver: false });
    cleanups.push(() => server.stop());
    const { browser } = await launchChromium({ runDir, screenshots: true, cleanups });
    const page = await browser.newPage({ viewport });
    const url = `${server.origin}/?folder=${encodeURIComponent(workspace).replaceAll('%2F', '/')}`;
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    const serverDied = server.exited.then((code) => {
      throw new Error(`code-server stopped (${code}); see ${server.logFile}.`);
    });
    serverDied.catch(() => undefined);
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 90_000 });
    return { page, workbench: new Workbench(page), url, server, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What a person does in the workbench, in the page's own terms: clicks, keys, visible text. */
export class Workbench {
  constructor(page) {
    this.page = page;
  }

  /** A status bar item showing `text` (waits for it). */
  async waitForStatus(text, timeout = 90_000) {
    const item = this.page.locator('.statusbar-item', { hasText: text }).first();
    await item.waitFor({ timeout });
    return item;
  }

  /** Opens a file of the workspace through Quick Open (Ctrl+P), typed like a person does. */
  async openFile(name) {
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(name);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
    await this.page.keyboard.press('Enter');
    await this.page.locator('.tabs-container .tab.active', { hasText: name }).waitFor();
    await this.page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor();
  }

  /** Runs a command from the Command Palette (F1), typed by keyboard. */
  async runCommand(title) {
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`>${title}`);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
    await this.page.keyboard.press('Enter');
  }

  /** The CodeLens links of the active editor with this text, top to bottom. */
  codeLenses(text) {
    return this.page.locator('.editor-instance .monaco-editor .codelens-decoration a', { hasText: text });
  }

  /** The Proof Hierarchy view's tree. */
  get tree() {
    return this.page.locator('.monaco-list[aria-label="Proof Hierarchy"]');
  }

  /** The view's row whose text contains `text`. */
  treeRow(text) {
    return this.tree.locator('.monaco-list-row', { hasText: text }).first();
  }

  /** The rows the view shows now, each as "label description" ("Proof sketch draft · 3 steps"). */
  async treeRowTexts() {
    return this.tree.locator('.monaco-list-row').evaluateAll((rows) =>
      rows.map((row) => [row.querySelector('.label-name'), row.querySelector('.label-description')].map((part) => part?.textContent?.trim() ?? '').filter(Boolean).join(' ')),
    );
  }

  /** Waits until `predicate(rowTexts)` holds; fails with the rows it last saw. */
  async waitForTree(predicate, what, timeout = 30_000) {
    const deadline = Date.now() + timeout;
    let rows = [];
    while (Date.now() < deadline) {
      rows = (await this.treeRowTexts().catch(() => [])).map((row) => row.replace(/\s+/g, ' ').trim());
      if (predicate(rows)) return rows;
      await delay(100);
    }
    throw new Error(`Timed out after ${timeout / 1000} s waiting for ${what}; the Proof Hierarchy view shows: ${JSON.stringify(rows)}`);
  }

  /** Right-clicks a row of the view and picks `item` from its context menu. */
  async contextMenu(row, item) {
    await row.click({ button: 'right' });
    const entry = this.page.locator('.context-view .monaco-menu .action-item', { hasText: item }).first();
    await entry.waitFor();
    // The menu ignores a mouse-up that comes too soon after it opened (the right-click's own):
    // point at the item, which focuses it, and press Enter, as keyboard users do.
    await entry.hover();
    await this.page.locator('.context-view .monaco-menu .action-item.focused', { hasText: item }).waitFor();
    await this.page.keyboard.press('Enter');
    await this.page.locator('.context-view .monaco-menu').waitFor({ state: 'detached' });
  }

  /** Clicks an inline action (icon button) of a row, found by its accessible name. */
  async inlineAction(row, label) {
    await row.hover();
    const action = row.locator(`.actions .action-label[aria-label="${label}"]`);
    await action.waitFor();
    await action.click();
  }

  /** Expands a collapsed row (clicks its twistie). */
  async expand(row) {
    if ((await row.getAttribute('aria-expanded')) === 'false') await row.locator('.monaco-tl-twistie').click();
  }

  /** Notifications on screen now, as text. */
  async notifications() {
    return this.page.locator('.notifications-toasts .notification-toast').allInnerTexts();
  }
}

/**
 * On Ctrl-C or SIGTERM: stops what the run started (`stopAll`), releases the run directory's lock
 * if we hold it (see scripts/runLock.mjs) and exits with 130.
 */
export function stopOnSignals(runDir, stopAll) {
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void stopAll().finally(() => {
    releaseRunDir(runDir);
    process.exit(130);
  }));
}

export function delay(ms) {
  return new Promise((resolveDelay) => setTimeout(resolveDelay, ms));
}
