/**
 * Headless Chromium for dashboard tests: Debian's `/usr/bin/chromium` driven by playwright-core
 * (no browser is ever downloaded), a fresh profile per launch, and screenshots saved under
 * `test-artifacts/dashboard/` (git-ignored) with their paths printed as test diagnostics.
 * Under CI=true a missing Chromium fails the tests (.ci/run installs it); elsewhere they skip.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from '../helpers/tmp.js';

export const CHROMIUM = process.env.FICUS_CHROMIUM ?? '/usr/bin/chromium';

/** `false` when the browser tests can run; a skip reason otherwise (never under CI). */
export const skipReason: string | false = existsSync(CHROMIUM) || process.env.CI === 'true' ? false : `${CHROMIUM} not installed (apt-get install chromium)`;

export const artifactsDir = join(repoRoot, 'test-artifacts', 'dashboard');

/** Launches Chromium with a throw-away profile; closed in `t.after`. */
export async function openBrowser(t: TestContext): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'ficus-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 900 },
  });
  t.after(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  return context;
}

/** Saves a full-page screenshot as a test artifact and prints its path. */
export async function screenshot(t: TestContext, page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const path = join(artifactsDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  t.diagnostic(`screenshot: ${path}`);
  return path;
}
