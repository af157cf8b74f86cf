/**
 * Small steps shared by the end-to-end specs: the centre's day, signing in, searching and
 * roster files on disk. Everything waits on what the page shows, never on the clock.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { centreDay } from '../../common/rules/centre-day';
import { verhoeffDigit } from '../../common/rules/verhoeff';
import { expect, type BridgeProcess } from './fixtures';

/** The demo centre's time zone: "today" for the roster is the day there, not on this PC. */
export const CENTRE_TIME_ZONE = 'Asia/Kolkata';

export function centreToday(): string {
  return centreDay(new Date(), CENTRE_TIME_ZONE);
}

/** A 12-digit Aadhaar-format number with a valid check digit, and the same number with a wrong one. */
export function aadhaarPair(body11: string): { valid: string; badChecksum: string } {
  if (!/^[2-9]\d{10}$/.test(body11)) throw new Error(`not an 11-digit Aadhaar body: ${body11}`);
  const check = verhoeffDigit(body11);
  return { valid: `${body11}${check}`, badChecksum: `${body11}${(check + 1) % 10}` };
}

/**
 * Opens the counter with the link the bridge printed, as a user does (the first time it signs
 * the browser in and leads to the bare address), and waits until the app has left its loading screen.
 */
export async function openCounter(page: Page, bridge: BridgeProcess, screen: 'signin' | 'firstrun' = 'signin'): Promise<void> {
  await page.goto(bridge.launchUrl);
  await expect(page).toHaveURL(bridge.url);
  await expect(page.getByTestId(screen === 'signin' ? 'signin-login' : 'firstrun-centreId')).toBeVisible();
}

/** Signs in with the keyboard, as an operator does: login ID, Tab, PIN, Enter. */
export async function signIn(page: Page, user: { loginId: string; pin: string }): Promise<void> {
  const login = page.getByTestId('signin-login');
  await login.click();
  await login.fill('');
  await page.keyboard.type(user.loginId);
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('signin-pin')).toBeFocused();
  await page.keyboard.type(user.pin);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('status-bar')).toBeVisible();
  // the check-in search box takes the focus once the counter screen is up
  await expect(page.getByTestId('search-input')).toBeFocused();
}

/**
 * Types a query into the focused search box and waits until the results on screen are the
 * ones for that query (the search runs a moment after the last key).
 */
export async function searchFor(page: Page, query: string): Promise<Locator> {
  const input = page.getByTestId('search-input');
  await expect(input).toBeFocused();
  await page.keyboard.type(query);
  await expect(input).toHaveValue(query);
  const results = page.getByTestId('search-results');
  await expect(results).toHaveAttribute('data-query', query.trim());
  return results;
}

/** Moves the selection with ↓ to the hit of `refId` and checks that it is the selected one. */
export async function selectHit(page: Page, refId: string): Promise<Locator> {
  const hits = page.getByTestId('search-hit');
  const refIds = await hits.evaluateAll((els) => els.map((e) => e.getAttribute('data-ref-id')));
  const index = refIds.indexOf(refId);
  expect(index, `${refId} is among the hits ${refIds.join(', ')}`).toBeGreaterThanOrEqual(0);
  for (let i = 0; i < index; i++) await page.keyboard.press('ArrowDown');
  const hit = page.locator(`[data-testid="search-hit"][data-ref-id="${refId}"]`);
  await expect(hit).toHaveAttribute('aria-selected', 'true');
  return hit;
}

/** A roster file in its own temporary folder; `remove` deletes both. */
export function writeTempFile(name: string, content: string): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'counter-e2e-file-'));
  const path = join(dir, name);
  writeFileSync(path, content, 'utf8');
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Checks in a roster registrant by typing the whole reference ID and Enter in the focused
 * search box; waits for the new token. `elapsedMs`: from Enter to the token on screen.
 */
export async function checkInByRefId(page: Page, refId: string): Promise<{ token: string; elapsedMs: number }> {
  const issued = page.getByTestId('issued-token');
  const before = (await issued.count()) > 0 ? await issued.getAttribute('data-token') : null;
  await searchFor(page, refId);
  await expect(page.locator(`[data-testid="search-hit"][data-ref-id="${refId}"]`)).toHaveAttribute('aria-selected', 'true');
  const started = Date.now();
  await page.keyboard.press('Enter');
  await expect(issued).toHaveAttribute('data-token', before ? new RegExp(`^(?!${before}$)`) : /./);
  const elapsedMs = Date.now() - started;
  await expect(page.getByTestId('search-input')).toHaveValue('');
  return { token: (await issued.getAttribute('data-token'))!, elapsedMs };
}

/** The visible part of the counter screen a step works in (the hidden tab keeps the same test IDs). */
export const checkInPanel = (page: Page): Locator => page.locator('#tabpanel-checkin');
export const walkInPanel = (page: Page): Locator => page.locator('#tabpanel-walkin');
