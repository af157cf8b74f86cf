/**
 * The district officer's page in Chromium: it asks for the admin token (kept in the tab's
 * sessionStorage only), opens on today in the portal's clock, and lists each centre's records
 * received, possible duplicates, rejections and counters behind on uploads, English and Hindi
 * together, with the rows that need attention marked in words as well as colour. A centre ID
 * with markup in it is shown as text and never runs; the page runs under its CSP with no
 * violation. The first test leaves docs/screenshots/district.png.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import type { FleetReport, Mutation } from '../../common/sync-protocol';
import { startPortal, type StartedPortal } from '../../portal/server';
import { DAY, batch, checkIn, newAadhaar, walkIn } from '../portal/helpers';

const SCREENSHOT_DIR = resolve(import.meta.dirname, '../../docs/screenshots');
const ADMIN = Buffer.from('district page admin token, e2e test').toString('base64url');
/** 12:00 in Lucknow on DAY: the page's day (Asia/Kolkata, as in playwright.config.ts) */
const NOW = new Date(`${DAY}T06:30:00.000Z`);
const tokenOf = (name: string) => Buffer.from(`district e2e device token of ${name}`.padEnd(40, '.')).toString('base64url');
const MARKUP_CENTRE = '<img src=x onerror="window.__districtPwned=1">UP-LKO-X';

let portal: StartedPortal | null = null;

test.afterEach(async () => {
  await portal?.close();
  portal = null;
});

async function post(path: string, token: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${portal!.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text);
}

function reportOf(deviceId: string, centreId: string, counterCode: string, over: Partial<FleetReport> = {}): FleetReport {
  return {
    deviceId,
    centreId,
    counterCode,
    appVersion: '1.4.0',
    schemaVersion: 7,
    pending: 0,
    oldestPendingAgeSeconds: null,
    rosterPulledAt: NOW.toISOString(),
    printer: { state: 'ok', errorCode: null, failedAt: null },
    clockOffsetMs: 300,
    counterTime: NOW.toISOString(),
    ...over,
  };
}

/** A counter of a centre: its token added, a batch of its mutations pushed, and its report. */
async function counter(
  centreId: string,
  code: string,
  mutations: (seq: number) => Mutation[],
  report: Partial<FleetReport> = {},
): Promise<void> {
  const token = tokenOf(`${centreId} ${code}`);
  await portal!.portal.store.addDevice({ token, centreId, label: `counter ${code}` }, NOW);
  const deviceId = randomUUID();
  const ms = mutations(1);
  if (ms.length > 0) await post('/v1/push', token, { ...batch(deviceId, ms, centreId), counterCode: code });
  await post('/v1/reports', token, reportOf(deviceId, centreId, code, report));
}

/** each walk-in its own mobile, so that only a shared photo ID makes a possible duplicate */
let mobiles = 0;
const mobile = () => String(9_000_000_000 + ++mobiles * 7919);
const walkIns = (n: number, from: number): Mutation[] =>
  Array.from({ length: n }, (_, i) => walkIn(from + i, { mobile: mobile() }));

test("the district page shows each centre's day, the totals, and the centres that need attention", async ({ page }) => {
  portal = await startPortal({ dbFile: ':memory:', adminToken: ADMIN, clock: () => NOW });
  const twin = newAadhaar();
  // CHC Aliganj: walk-ins, check-ins, one possible duplicate, one provisional check-in refused
  await counter('UP-LKO-CHC-01', 'A1', () => [
    ...walkIns(6, 1),
    walkIn(7, { photoIdNumber: twin, mobile: mobile() }),
    walkIn(8, { photoIdNumber: twin, mobile: mobile() }),
    checkIn(9, { refId: 'REF100001' }),
    checkIn(10, { refId: 'REF100002' }),
    checkIn(11, { refId: 'REF999999', verified: false }),
  ]);
  // its second counter has had 14 records waiting for 40 minutes
  await counter('UP-LKO-CHC-01', 'A2', () => walkIns(3, 1), { pending: 14, oldestPendingAgeSeconds: 2400 });
  await counter('UP-LKO-CHC-02', 'B1', () => [...walkIns(9, 1), checkIn(10, { refId: 'REF100003' })]);
  // a centre whose counter reports but has uploaded nothing today
  await counter('UP-LKO-PHC-07', 'C1', () => []);

  // no script error and no CSP violation (the wrong token's 401 and the favicon's 404 are logged, and expected)
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused/i.test(m.text())) errors.push(m.text());
  });
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(`${portal.url}/district`);
  await page.getByLabel('Admin token').fill('not-the-admin-token');
  await page.getByRole('button', { name: /Show the district/ }).click();
  await expect(page.locator('#token-error')).toContainText('The portal refused this admin token.');
  await page.getByLabel('Admin token').fill(ADMIN);
  await page.getByRole('button', { name: /Show the district/ }).click();

  const row = (centreId: string) => page.locator(`#rows tr[data-centre="${centreId}"]`);
  await expect(page.locator('#rows tr')).toHaveCount(3);
  await expect(page.locator('#sign-in')).toBeHidden();
  await expect(page.getByLabel(/^Day/)).toHaveValue(DAY);
  // A1's 8 walk-ins and 2 check-ins (the refused one is no record) and A2's 3 walk-ins; A2 is behind
  await expect(row('UP-LKO-CHC-01').locator('td')).toHaveText([
    '13',
    '11',
    '2',
    '1',
    '1',
    '0',
    /^1A2$/,
    '1 rejected / 1 अस्वीकृत1 behind on uploads / 1 अपलोड में पीछे',
  ]);
  await expect(row('UP-LKO-CHC-01')).toHaveAttribute('data-flags', 'rejected behind');
  await expect(row('UP-LKO-CHC-02')).toContainText('OK / ठीक');
  await expect(row('UP-LKO-PHC-07').locator('td').first()).toHaveText('0');
  await expect(page.locator('#totals td').nth(1)).toHaveText('23');
  await expect(page.locator('#totals td').first()).toContainText('3 centres / केंद्र, 4 counters / काउंटर');
  expect(page.url()).toBe(`${portal.url}/district`);
  expect(await page.evaluate(() => sessionStorage.getItem('district.adminToken'))).toBe(ADMIN);

  // the Hindi labels are drawn in the page's own Devanagari font
  await page.evaluate(async () => {
    await document.fonts.ready;
  });
  expect(await page.evaluate(() => document.fonts.check('15px "Noto Sans Devanagari"', 'प्राप्त'))).toBe(true);
  const body = await page.screenshot({ fullPage: true, animations: 'disabled', caret: 'hide' });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  writeFileSync(join(SCREENSHOT_DIR, 'district.png'), body);

  // the centre filter
  await page.getByLabel(/^Centre/).selectOption('UP-LKO-CHC-02');
  await expect(page.locator('#rows tr')).toHaveCount(1);
  await expect(page.locator('#totals td').nth(1)).toHaveText('10');
  expect(errors).toEqual([]);
});

test('a centre ID with markup is text on the district page, and the page allows no inline script', async ({ page }) => {
  portal = await startPortal({ dbFile: ':memory:', adminToken: ADMIN, clock: () => NOW });
  await counter(MARKUP_CENTRE, 'X1', () => walkIns(2, 1), { pending: 3, oldestPendingAgeSeconds: 3600 });
  const violations: string[] = [];
  page.on('pageerror', (e) => violations.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused/i.test(m.text())) violations.push(m.text());
  });
  const res = await page.goto(`${portal.url}/district`);
  expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
  await page.getByLabel('Admin token').fill(ADMIN);
  await page.getByRole('button', { name: /Show the district/ }).click();
  await expect(page.locator('#rows tr')).toHaveCount(1);
  await expect(page.locator('#rows th').first()).toContainText(MARKUP_CENTRE);
  await expect(page.locator('#centre option', { hasText: MARKUP_CENTRE })).toHaveCount(1);
  expect(await page.locator('#report img, #centre img').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __districtPwned?: number }).__districtPwned)).toBeUndefined();
  expect(violations).toEqual([]);

  // an inline script put into the page is refused by the CSP
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__inline = 1';
    document.body.appendChild(s);
  });
  expect(await page.evaluate(() => (window as unknown as { __inline?: number }).__inline)).toBeUndefined();
  await expect.poll(() => violations.some((v) => /Content Security Policy/i.test(v))).toBe(true);

  // forgetting the token asks for it again
  await page.getByRole('button', { name: /Forget the token/ }).click();
  await expect(page.getByLabel('Admin token')).toBeVisible();
  await expect(page.locator('#filters')).toBeHidden();
  await expect(page.locator('#rows tr')).toHaveCount(0);
  expect(await page.evaluate(() => sessionStorage.getItem('district.adminToken'))).toBeNull();
});
