/**
 * Pictures of the counter screen at work, in English and in Hindi: attached to the test
 * report and kept under test-results/screenshots/ for the docs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page, TestInfo } from '@playwright/test';
import { rosterEntries } from '../../common/demo/people';
import { hi } from '../../renderer/src/i18n/hi';
import { DEMO, expect, test } from './fixtures';
import { aadhaarPair, openCounter, searchFor, selectHit, signIn, walkInPanel } from './helpers';

const SCREENSHOT_DIR = resolve(import.meta.dirname, '../../test-results/screenshots');
const DEMO_ROSTER = rosterEntries(200, 7);

test.use({ viewport: { width: 1366, height: 768 } });

async function shoot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  // the bundled Devanagari font must be in before the picture, or Hindi shows as boxes
  await page.evaluate(async () => {
    await document.fonts.ready;
  });
  const body = await page.screenshot({ fullPage: true, animations: 'disabled', caret: 'hide' });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  writeFileSync(join(SCREENSHOT_DIR, `${name}.png`), body);
  await testInfo.attach(name, { body, contentType: 'image/png' });
}

test('counter screen in English and in Hindi (screenshots)', async ({ page, bridge }, testInfo) => {
  await openCounter(page, bridge);
  await signIn(page, DEMO.operator);

  // a few people in both lanes, one called
  for (const person of DEMO_ROSTER.slice(0, 3)) {
    await searchFor(page, person.refId);
    await selectHit(page, person.refId);
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('search-input')).toHaveValue('');
  }
  await page.keyboard.press('F3');
  const walkIn = walkInPanel(page);
  await walkIn.getByTestId('walkin-name').fill('Kavita Joshi');
  await walkIn.getByTestId('walkin-gender').selectOption('F');
  await walkIn.getByTestId('walkin-birthYear').fill('1948');
  await walkIn.getByTestId('walkin-mobile').fill('9876543210');
  await walkIn.getByTestId('walkin-photoIdNumber').fill(aadhaarPair('52834716092').valid);
  await walkIn.getByTestId('walkin-submit').click();
  await expect(page.getByTestId('issued-token')).toHaveAttribute('data-token', 'A-W001');
  await page.keyboard.press('F4');
  await expect(page.getByTestId('called-ticket')).toHaveAttribute('data-token', 'A-P001');
  await page.keyboard.press('F2');
  await expect(page.getByTestId('search-input')).toBeFocused();
  // a name being typed: first name and the start of the next word
  const [first, second] = DEMO_ROSTER[3]!.name.toLowerCase().split(' ');
  await searchFor(page, `${first} ${second!.slice(0, 2)}`);
  await expect(page.getByTestId('search-hit').first()).toBeVisible();

  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await shoot(page, testInfo, 'counter-en');

  await page.getByTestId('lang-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'hi');
  await expect(page.getByTestId('call-next')).toContainText(hi.queue.callNext);
  await expect(page.getByTestId('tab-checkin')).toContainText(hi.tabs.checkin);
  expect(await page.evaluate(() => document.fonts.check('16px "Noto Sans Devanagari"', 'कतार'))).toBe(true);
  await shoot(page, testInfo, 'counter-hi');

  expect(testInfo.attachments.map((a) => a.name)).toEqual(['counter-en', 'counter-hi']);
});
