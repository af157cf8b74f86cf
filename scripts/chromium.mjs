// Which Chromium the end-to-end tests and the page benchmarks drive: $CHROMIUM_PATH, then a
// system Chromium (Debian's `chromium`, which CI installs with apt-get), then the browser
// Playwright downloads (`npx playwright install chromium`) on machines that can reach it.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const SYSTEM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** @returns {{ path: string | undefined, source: 'env' | 'system' | 'playwright' | 'none' }} */
export function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return { path: fromEnv, source: 'env' };
  const system = SYSTEM.find((p) => existsSync(p));
  if (system) return { path: system, source: 'system' };
  try {
    const { chromium } = createRequire(import.meta.url)('playwright-core');
    const own = chromium.executablePath();
    if (own && existsSync(own)) return { path: undefined, source: 'playwright' };
  } catch {
    // playwright-core not installed or no browser for this platform
  }
  return { path: undefined, source: 'none' };
}

/** Launch options for Chromium as the tests use it (no GPU, no sandbox in containers, no translation bar). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-features=Translate',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
