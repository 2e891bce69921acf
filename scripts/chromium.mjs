// Headless Chromium through playwright-core, as the integration harness, the workbench driver (the
// end-to-end UI test and the screenshots) and the VS Code benchmark launch it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { groupAlive, killGroup } from './code-server.mjs';

export const CHROMIUM_PATH = process.env.INSIGHT_PROOF_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
/** Sharp text in screenshots at any device scale. */
const SCREENSHOT_ARGS = ['--font-render-hinting=none'];

/**
 * Launches headless Chromium with its config and cache in `runDir` (not the user's home) and
 * connects to it. A browser server (rather than a plain launch) tells us Chromium's PID: Playwright
 * starts it in its own process group, which `close()` kills if a graceful close has not ended it
 * within 10 s. The caller stops the browser itself (after its work and on signals), so Playwright's
 * own signal handlers stay off. `close()` is pushed onto `cleanups` (when given) as soon as Chromium
 * runs, so a signal that arrives while connecting still stops it; calling it again is harmless.
 * @param {{ runDir: string, screenshots?: boolean, cleanups?: { push(cleanup: () => Promise<void>): unknown } }} options
 */
export async function launchChromium({ runDir, screenshots = false, cleanups }) {
  const { chromium } = await import('playwright-core');
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not at ${CHROMIUM_PATH}; install it (apt-get install --no-install-recommends chromium) or set INSIGHT_PROOF_CHROMIUM to its path.`);
  }
  const server = await chromium.launchServer({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: screenshots ? [...CHROMIUM_ARGS, ...SCREENSHOT_ARGS] : CHROMIUM_ARGS,
    env: { ...process.env, XDG_CONFIG_HOME: join(runDir, 'chromium-config'), XDG_CACHE_HOME: join(runDir, 'chromium-cache') },
    timeout: 60_000,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const chromiumPid = server.process().pid;
  let browser;
  let closing;
  const close = () => {
    closing ??= (async () => {
      await browser?.close().catch(() => undefined);
      await Promise.race([server.close().catch(() => undefined), new Promise((resolveDelay) => setTimeout(resolveDelay, 10_000))]);
      if (chromiumPid && groupAlive(chromiumPid)) killGroup(chromiumPid, 'SIGKILL');
    })();
    return closing;
  };
  cleanups?.push(close);
  try {
    browser = await chromium.connect(server.wsEndpoint(), { timeout: 30_000 });
  } catch (error) {
    await close();
    throw error;
  }
  return { browser, chromiumPid, close };
}
