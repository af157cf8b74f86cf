import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';

const ROOT = resolve(import.meta.dirname, '../..');

/** The Electron binary that `npm install electron` downloads, when it could. */
function electronBinary(): string | null {
  const pkg = join(ROOT, 'node_modules/electron');
  const pathTxt = join(pkg, 'path.txt');
  if (!existsSync(pathTxt)) return null;
  const bin = join(pkg, 'dist', readFileSync(pathTxt, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

const binary = electronBinary();
if (!binary) console.log('electron-smoke: skipped: no Electron binary on this machine');

test.describe('desktop app (real Electron)', () => {
  test.skip(!binary, 'no Electron binary');

  test('launches one sandboxed window showing the counter, with window.counter and no Node', async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts/start-electron.mjs'), '--prepare-only'], { cwd: ROOT, stdio: 'inherit' });
    const dataDir = mkdtempSync(join(tmpdir(), 'counter-electron-'));
    const app = await electron.launch({
      executablePath: binary!,
      args: [ROOT],
      // CI machines have no OS keyring: the demo's invented people may stay in the clear there
      env: {
        ...process.env,
        COUNTER_DATA_DIR: dataDir,
        COUNTER_DEMO: '1',
        COUNTER_UPDATES: 'off',
        COUNTER_ALLOW_UNENCRYPTED: '1',
      },
    });
    try {
      const page = await app.firstWindow();
      await expect(page.getByTestId('signin-login')).toBeVisible();
      const exposed = await page.evaluate(() => ({
        counter: typeof (window as unknown as { counter?: unknown }).counter,
        require: typeof (window as unknown as { require?: unknown }).require,
        process: typeof (window as unknown as { process?: unknown }).process,
      }));
      expect(exposed).toEqual({ counter: 'object', require: 'undefined', process: 'undefined' });
      const windows = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length);
      expect(windows).toBe(1);
      // a new window is refused
      await page.evaluate(() => window.open('https://example.org/'));
      await page.waitForTimeout(300);
      expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
      // navigation away from the app is refused
      await page.evaluate(() => {
        window.location.href = 'https://example.org/';
      });
      await page.waitForTimeout(500);
      expect(page.url()).toMatch(/^app:\/\/counter\/|^http:\/\/localhost/);
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
