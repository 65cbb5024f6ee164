import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (apt-get install -y chromium); tests never download a browser. */
export const CHROMIUM = process.env.KOHORT_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  // Skipped, not failed: say loudly why, since a skipped browser suite proves nothing.
  console.warn(`Browser tests SKIPPED: ${CHROMIUM} not found. Install it with: apt-get update && apt-get install -y chromium`);
}

export interface BrowserSession {
  context: BrowserContext;
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Launches headless Chromium with a fresh profile directory. Playwright refuses
 * `--user-data-dir` among the args, so the fresh temp dir goes through
 * launchPersistentContext, which passes it as exactly that flag.
 */
export async function launchBrowser(): Promise<BrowserSession> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'kohort-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  });
  return {
    context,
    async newPage(viewport) {
      const page = await context.newPage();
      if (viewport) await page.setViewportSize(viewport);
      page.setDefaultTimeout(15_000);
      return page;
    },
    async close() {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Screenshots go to docs/screenshots only when asked (KOHORT_SCREENSHOTS=1), so
 * an ordinary test run leaves the tracked images alone; otherwise to test-results/.
 */
export const SCREENSHOT_DIR = path.resolve(
  import.meta.dirname,
  process.env.KOHORT_SCREENSHOTS === '1' ? '../../docs/screenshots' : '../../test-results/screenshots',
);

export async function screenshot(page: Page, name: string): Promise<void> {
  // Let charts and transitions settle; fonts are local so nothing else loads.
  await page.waitForTimeout(300);
  // The app shell's header and navbar are fixed: a fullPage capture would paint
  // them mid-page, so grow the viewport to the content instead (capped).
  const before = page.viewportSize() ?? { width: 1280, height: 800 };
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: before.width, height: Math.min(Math.max(height, before.height), 2400) });
  await page.waitForTimeout(150);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) });
  await page.setViewportSize(before);
}
