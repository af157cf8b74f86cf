/**
 * The fleet page for hospital IT, in Chromium: it asks for the admin token (kept in the tab's
 * sessionStorage, never in the URL), then lists every counter by centre from the counters' own
 * reports, and flags a counter that stopped uploading and one whose clock is wrong. A label
 * with markup in it is shown as text and never runs.
 */
import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import type { FleetReport } from '../../common/sync-protocol';
import { startPortal, type StartedPortal } from '../../portal/server';
import { freshPortalDatabase } from '../support/portal-engine';

const ADMIN = Buffer.from('fleet page admin token for this e2e test').toString('base64url');
const CENTRE = 'UP-LKO-CHC-01';
const OTHER_CENTRE = 'UP-LKO-CHC-02';
const tokenOf = (name: string) => Buffer.from(`fleet e2e device token of ${name}`.padEnd(40, '.')).toString('base64url');
const MARKUP_LABEL = '<img src=x onerror="window.__fleetPwned=1">counter A3';

let portal: StartedPortal | null = null;
let now = new Date('2026-11-25T04:30:00.000Z');

test.afterEach(async () => {
  await portal?.close();
  portal = null;
});

async function report(token: string, body: FleetReport): Promise<void> {
  const res = await fetch(`${portal!.url}/v1/reports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBe(200);
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
    rosterPulledAt: now.toISOString(),
    printer: { state: 'ok', errorCode: null, failedAt: null },
    clockOffsetMs: 400,
    counterTime: now.toISOString(),
    ...over,
  };
}

test('the fleet page lists a counter that stopped uploading and one with a wrong clock', async ({ page }) => {
  portal = await startPortal({ database: freshPortalDatabase(), adminToken: ADMIN, clock: () => now });
  const devices = { stopped: randomUUID(), wrongClock: randomUUID(), healthy: randomUUID(), other: randomUUID() };
  const add = (name: string, centreId: string, label: string) =>
    portal!.portal.store.addDevice({ token: tokenOf(name), centreId, label }, now);
  await add('A1', CENTRE, 'counter A1, OPD');
  await add('A2', CENTRE, 'counter A2, ward 3');
  await add('A3', CENTRE, MARKUP_LABEL);
  await add('B1', OTHER_CENTRE, 'counter B1');

  // A2 reports 12 records waiting for 10 minutes, then is heard from no more
  await report(tokenOf('A2'), reportOf(devices.stopped, CENTRE, 'A2', { pending: 12, oldestPendingAgeSeconds: 600 }));
  now = new Date(now.getTime() + 20 * 60_000);
  // the others keep reporting: A3's PC clock is 3 min 10 s behind the portal's
  await report(tokenOf('A1'), reportOf(devices.healthy, CENTRE, 'A1', { pending: 1, oldestPendingAgeSeconds: 20 }));
  await report(tokenOf('A3'), reportOf(devices.wrongClock, CENTRE, 'A3', { clockOffsetMs: 190_000 }));
  await report(tokenOf('B1'), reportOf(devices.other, OTHER_CENTRE, 'B1', { appVersion: '1.3.0' }));

  // --- the page asks for the token; a wrong one is refused next to the field ---
  await page.goto(`${portal.url}/fleet`);
  await expect(page.getByLabel('Admin token')).toBeVisible();
  await page.getByLabel('Admin token').fill('not-the-admin-token');
  await page.getByRole('button', { name: 'Show the fleet' }).click();
  await expect(page.locator('#token-error')).toHaveText(
    'The portal refused this admin token. / पोर्टल ने यह एडमिन टोकन अस्वीकार किया।',
  );

  await page.getByLabel('Admin token').fill(ADMIN);
  await page.getByRole('button', { name: 'Show the fleet' }).click();
  const row = (deviceId: string) => page.locator(`tr[data-device="${deviceId}"]`);
  await expect(row(devices.stopped)).toBeVisible();
  // signed in: the sign-in form is gone (its grid layout must not outrank the hidden attribute)
  await expect(page.locator('#sign-in')).toBeHidden();

  // --- the counter that stopped uploading: behind (10 min waiting + 20 min unheard) and not heard from ---
  await expect(row(devices.stopped)).toHaveAttribute('data-flags', 'behind silent');
  await expect(row(devices.stopped)).toContainText('Behind on uploads');
  await expect(row(devices.stopped)).toContainText('Not heard from');
  await expect(row(devices.stopped)).toContainText('12, oldest 30 min');
  await expect(row(devices.stopped)).toContainText('20 min ago');
  // ... and in Hindi beside the English, as every page of the product
  await expect(row(devices.stopped)).toContainText('संपर्क नहीं');
  await expect(row(devices.stopped)).toContainText('12, सबसे पुराना 30 min');

  // --- the counter with a wrong clock ---
  await expect(row(devices.wrongClock)).toHaveAttribute('data-flags', 'clockWrong');
  await expect(row(devices.wrongClock)).toContainText('Clock wrong');
  await expect(row(devices.wrongClock)).toContainText('3 min behind the portal');
  await expect(row(devices.wrongClock)).toContainText('पोर्टल से 3 min पीछे');

  // --- the rest: A1 fine, B1 of the other centre on an old version ---
  await expect(row(devices.healthy)).toHaveAttribute('data-flags', '');
  await expect(row(devices.healthy)).toContainText('OK');
  await expect(page.locator(`section[data-centre="${OTHER_CENTRE}"]`)).toContainText('Old version');
  await expect(page.locator('[data-flag-count="behind"]')).toHaveText('Behind on uploads / अपलोड में पीछे: 1');
  await expect(page.locator('[data-flag-count="clockWrong"]')).toHaveText('Clock wrong / घड़ी ग़लत: 1');

  // --- a label with markup is text: nothing of it ran or became an element ---
  await expect(row(devices.wrongClock)).toContainText(MARKUP_LABEL);
  expect(await row(devices.wrongClock).locator('img').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __fleetPwned?: number }).__fleetPwned)).toBeUndefined();

  // --- the token is in the tab's sessionStorage, never in the URL; a reload keeps the view ---
  expect(page.url()).toBe(`${portal.url}/fleet`);
  expect(await page.evaluate(() => sessionStorage.getItem('fleet.adminToken'))).toBe(ADMIN);
  await page.reload();
  await expect(row(devices.stopped)).toHaveAttribute('data-flags', 'behind silent');
  // forgetting it asks again
  await page.getByRole('button', { name: 'Forget the token' }).click();
  await expect(page.getByLabel('Admin token')).toBeVisible();
  await expect(row(devices.stopped)).toHaveCount(0);
  expect(await page.evaluate(() => sessionStorage.getItem('fleet.adminToken'))).toBeNull();
});

test('the fleet page runs no inline script: its CSP allows only its own files', async ({ page }) => {
  portal = await startPortal({ database: freshPortalDatabase(), adminToken: ADMIN, clock: () => now });
  const violations: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') violations.push(m.text());
  });
  const res = await page.goto(`${portal.url}/fleet`);
  expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
  await expect(page.getByLabel('Admin token')).toBeVisible();
  // an inline script injected into the page is refused by the CSP
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__inline = 1';
    document.body.appendChild(s);
  });
  expect(await page.evaluate(() => (window as unknown as { __inline?: number }).__inline)).toBeUndefined();
  expect(violations.some((v) => /Content Security Policy/i.test(v))).toBe(true);
});
