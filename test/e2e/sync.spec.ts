/**
 * Uploading to the portal, as the counter sees it in its status bar: a day's work done while
 * the portal is down stays waiting (never "all uploaded") and reaches the portal, each record
 * once, when it is back; a record the portal refuses is listed under "Needs attention", and
 * is corrected and resent from there.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from '@playwright/test';
import type { WalkInFormInput } from '../../common/domain';
import { aadhaarNumber, personName, prng, rosterEntries } from '../../common/demo/people';
import { DEMO_PROVISIONING } from '../../common/demo/counter';
import { en } from '../../renderer/src/i18n/en';
import { startPortalProcess, type PortalHandle } from '../../portal/process';
import { DEMO, expect, test } from './fixtures';
import { centreToday, checkInByRefId, openCounter, signIn, walkInPanel } from './helpers';

/** The demo bridge's roster: `startBridge` seeds 200 people with seed 7 (the portal's demo books the same people). */
const ROSTER = rosterEntries(200, 7);
const CENTRE_ID = DEMO_PROVISIONING.centre.id;
const SCREENSHOT = resolve(import.meta.dirname, '../../docs/screenshots/sync-status.png');
/** How long the counter may take to upload everything once the portal answers again. */
const UPLOAD_TIMEOUT_MS = 30_000;

type WalkIn = Pick<WalkInFormInput, 'name' | 'gender' | 'birthYear' | 'mobile' | 'photoIdNumber'>;

/**
 * `count` walk-ins that are nobody else: unique mobile and Aadhaar numbers, and no roster
 * person with the same last four digits of either (so no possible-duplicate panel), aged 70+.
 */
function walkIns(count: number, seed: number): WalkIn[] {
  const r = prng(seed);
  const rosterLast4 = new Set(ROSTER.flatMap((e) => [e.photoIdLast4, e.mobileLast4]));
  const out: WalkIn[] = [];
  const seen = new Set<string>();
  while (out.length < count) {
    const gender = r() < 0.5 ? 'F' : 'M';
    const person: WalkIn = {
      name: personName(r, gender),
      gender,
      birthYear: 1940 + Math.floor(r() * 15),
      mobile: `9${String(Math.floor(r() * 1e9)).padStart(9, '0')}`,
      photoIdNumber: aadhaarNumber(r),
    };
    const keys = [person.mobile, person.photoIdNumber];
    if (keys.some((k) => seen.has(k) || rosterLast4.has(k.slice(-4)))) continue;
    keys.forEach((k) => seen.add(k));
    out.push(person);
  }
  return out;
}

/** Fills the walk-in form from its first field with the keyboard and registers with Enter; waits for `token`. */
async function registerWalkIn(page: Page, person: WalkIn, token: string): Promise<void> {
  const walkIn = walkInPanel(page);
  await typeWalkIn(page, person);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('issued-token')).toHaveAttribute('data-token', token);
  await expect(walkIn.getByTestId('walkin-name')).toHaveValue('');
  await expect(walkIn.getByTestId('walkin-name')).toBeFocused();
}

/** Name, Tab, gender by its letter, Tab, birth year, Tab, mobile, Tab, (Aadhaar, the default ID type), Tab, number. */
async function typeWalkIn(page: Page, person: WalkIn): Promise<void> {
  const walkIn = walkInPanel(page);
  await expect(walkIn.getByTestId('walkin-name')).toBeFocused();
  await page.keyboard.type(person.name);
  await page.keyboard.press('Tab');
  await page.keyboard.press(person.gender === 'F' ? 'f' : 'm');
  await expect(walkIn.getByTestId('walkin-gender')).toHaveValue(person.gender);
  await page.keyboard.press('Tab');
  await page.keyboard.type(String(person.birthYear));
  await page.keyboard.press('Tab');
  await page.keyboard.type(person.mobile);
  await page.keyboard.press('Tab');
  await expect(walkIn.getByTestId('walkin-photoIdType')).toHaveValue('AADHAAR');
  await page.keyboard.press('Tab');
  await expect(walkIn.getByTestId('walkin-photoIdNumber')).toBeFocused();
  await page.keyboard.type(person.photoIdNumber);
  await expect(walkIn.getByTestId('walkin-photoIdNumber')).toHaveValue(person.photoIdNumber);
}

const pendingOf = async (page: Page): Promise<number> =>
  Number(await page.getByTestId('status-outbox').getAttribute('data-pending'));

/** The status bar says everything reached the portal: online, nothing waiting, nothing refused. */
async function expectAllUploaded(page: Page): Promise<void> {
  const state = page.getByTestId('status-sync-state');
  const outbox = page.getByTestId('status-outbox');
  await expect(state).toHaveAttribute('data-state', 'online', { timeout: UPLOAD_TIMEOUT_MS });
  await expect(outbox).toHaveAttribute('data-pending', '0', { timeout: UPLOAD_TIMEOUT_MS });
  await expect(outbox).toHaveText(en.status.outboxEmpty);
  await expect(state).toHaveAttribute('data-uploading', 'false');
  await expect(page.getByTestId('status-needs-attention')).toHaveCount(0);
  await expect(page.getByTestId('status-sync-error')).toHaveCount(0);
  await expect(page.getByTestId('status-last-success')).not.toHaveText(en.sync.neverUploaded);
}

let portal: PortalHandle | null = null;

test.afterEach(async () => {
  await portal?.stop();
  portal = null;
});

test('portal down: 20 walk-ins and 20 check-ins wait in the outbox, then all 40 reach the portal once it is back', async ({
  page,
  portalBridge,
}, testInfo) => {
  test.setTimeout(240_000);
  const today = centreToday();
  const checkIns = ROSTER.slice(0, 20);
  const people = walkIns(20, 2024);
  const state = page.getByTestId('status-sync-state');
  const outbox = page.getByTestId('status-outbox');

  await openCounter(page, portalBridge);
  await signIn(page, DEMO.operator);
  await expect(page.getByTestId('status-sync-now')).toBeVisible();

  // --- the portal is down: 20 online registrants checked in by reference ID ---
  const started = Date.now();
  for (const [i, person] of checkIns.entries()) {
    const { token } = await checkInByRefId(page, person.refId);
    expect(token).toBe(`A-P${String(i + 1).padStart(3, '0')}`);
    await expect(outbox).not.toHaveText(en.status.outboxEmpty);
  }

  // --- and 20 walk-ins registered at the keyboard ---
  await page.keyboard.press('F3');
  await expect(page.getByTestId('tab-walkin')).toHaveAttribute('aria-selected', 'true');
  for (const [i, person] of people.entries()) {
    await registerWalkIn(page, person, `A-W${String(i + 1).padStart(3, '0')}`);
    await expect(outbox).not.toHaveText(en.status.outboxEmpty);
  }
  const workMs = Date.now() - started;

  // --- the status bar: the portal cannot be reached, 40+ records wait, never "all uploaded" ---
  await expect(state).toHaveAttribute('data-state', /^(offline|degraded)$/);
  await expect.poll(() => pendingOf(page)).toBeGreaterThanOrEqual(40);
  const pendingWhileDown = await pendingOf(page);
  await expect(outbox).toContainText(en.status.outbox.replace('{{count}}', String(pendingWhileDown)));
  await expect(outbox).not.toContainText(en.status.outboxEmpty);
  await expect(page.getByTestId('status-oldest-pending')).toBeVisible();
  await expect(page.getByTestId('status-sync-error')).toHaveAttribute('data-code', /^(network|timeout|unavailable)$/);
  await expect(page.getByTestId('status-last-success')).toHaveText(en.sync.neverUploaded);
  await expect(page.getByTestId('status-needs-attention')).toHaveCount(0);

  // --- the portal comes back; Sync now sends everything ---
  portal = await startPortalProcess({ port: portalBridge.portalPort, demo: true });
  expect(portal.port).toBe(portalBridge.portalPort);
  const syncNow = page.getByTestId('status-sync-now');
  await expect(syncNow).toBeEnabled({ timeout: UPLOAD_TIMEOUT_MS });
  const syncStarted = Date.now();
  await syncNow.click();
  await expectAllUploaded(page);
  const syncMs = Date.now() - syncStarted;

  // --- the portal holds each record once: 20 check-ins and 20 walk-ins for the centre, today ---
  const held = await portal.admin.records(CENTRE_ID, today);
  expect(held.records).toHaveLength(40);
  expect(new Set(held.records.map((r) => r.recordId)).size).toBe(40);
  const ofKind = (kind: string) => held.records.filter((r) => r.kind === kind);
  expect(ofKind('checkin.created')).toHaveLength(20);
  expect(ofKind('walkin.registered')).toHaveLength(20);
  expect(held.records.every((r) => r.day === today)).toBe(true);
  expect(
    ofKind('checkin.created')
      .map((r) => String(r.payload.refId))
      .sort(),
  ).toEqual(checkIns.map((p) => p.refId).sort());
  expect(
    ofKind('walkin.registered')
      .map((r) => (r.payload.person as { photoIdNumber: string }).photoIdNumber)
      .sort(),
  ).toEqual(people.map((p) => p.photoIdNumber).sort());
  expect(
    ofKind('walkin.registered')
      .map((r) => String(r.payload.token))
      .sort(),
  ).toEqual(people.map((_, i) => `A-W${String(i + 1).padStart(3, '0')}`).sort());

  // the picture of the synced status bar, for the docs
  await page.evaluate(async () => {
    await document.fonts.ready;
  });
  const picture = await page.getByTestId('status-bar').screenshot({ animations: 'disabled', caret: 'hide' });
  mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
  writeFileSync(SCREENSHOT, picture);
  await testInfo.attach('sync-status', { body: picture, contentType: 'image/png' });
  testInfo.annotations.push({
    type: 'timings',
    description: `40 records at the keyboard ${workMs} ms; ${pendingWhileDown} waiting; uploaded ${syncMs} ms after Sync now`,
  });
});

test('a record the portal refuses shows under "Needs attention" and is corrected and resent from there', async ({
  page,
  portalBridge,
}) => {
  test.setTimeout(120_000);
  const today = centreToday();
  const [first, second] = walkIns(2, 77);
  if (!first || !second) throw new Error('no walk-ins');
  const correctedName = `${first.name} Devi`;

  // the portal answers, but takes no uploads for now (503), so nothing leaves before its refusal is set up
  portal = await startPortalProcess({ port: portalBridge.portalPort, demo: true, faults: true });
  await portal.admin.setFaults({ rules: [{ fault: 'http503', route: 'push', retryAfterSeconds: 1 }] });

  await openCounter(page, portalBridge);
  await signIn(page, DEMO.operator);
  await page.keyboard.press('F3');
  const walkIn = walkInPanel(page);
  await registerWalkIn(page, first, 'A-W001');

  // the first walk-in's record ID: a second form with the same Aadhaar number lists it as a possible duplicate
  await typeWalkIn(page, { ...second, photoIdNumber: first.photoIdNumber });
  await page.keyboard.press('Enter');
  const dupes = page.getByTestId('duplicates-panel');
  await expect(dupes.getByTestId('duplicate-candidate')).toHaveCount(1);
  await expect(dupes.getByTestId('duplicate-candidate')).toContainText(first.name);
  const firstId = await dupes.getByTestId('duplicate-candidate').getAttribute('data-id');
  expect(firstId).toMatch(/^[0-9a-f-]{36}$/i);
  await expect(dupes.getByTestId('duplicates-cancel')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dupes).toHaveCount(0);
  // the form takes the cursor back to its first field (a moment after the panel closes)
  await expect(walkIn.getByTestId('walkin-name')).toBeFocused();
  // the second person's own number, and register
  const idField = walkIn.getByTestId('walkin-photoIdNumber');
  await idField.focus();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type(second.photoIdNumber);
  await expect(idField).toHaveValue(second.photoIdNumber);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('issued-token')).toHaveAttribute('data-token', 'A-W002');

  const state = page.getByTestId('status-sync-state');
  const outbox = page.getByTestId('status-outbox');
  await expect.poll(() => pendingOf(page)).toBeGreaterThanOrEqual(2);
  await expect(outbox).not.toContainText(en.status.outboxEmpty);

  // --- the portal takes uploads again but refuses the first walk-in ---
  await portal.admin.setFaults({ rejectRecordIds: [firstId!] });
  const syncNow = page.getByTestId('status-sync-now');
  await expect(syncNow).toBeEnabled({ timeout: UPLOAD_TIMEOUT_MS });
  await syncNow.click();
  const badge = page.getByTestId('status-needs-attention');
  await expect(badge).toHaveAttribute('data-count', '1', { timeout: UPLOAD_TIMEOUT_MS });
  await expect(outbox).toHaveAttribute('data-pending', '0', { timeout: UPLOAD_TIMEOUT_MS });
  await expect(state).toHaveAttribute('data-state', 'online');
  // nothing waits, but not everything is uploaded
  await expect(outbox).toHaveText(en.status.outboxNone);
  let held = await portal.admin.records(CENTRE_ID, today);
  expect(held.records.map((r) => r.recordId)).not.toContain(firstId!.toLowerCase());
  expect(held.records.filter((r) => r.kind === 'walkin.registered')).toHaveLength(1);

  // --- Needs attention: the refused walk-in, with the portal's reason ---
  await badge.click();
  await expect(page.getByTestId('tab-attention')).toHaveAttribute('aria-selected', 'true');
  const item = page.getByTestId('attention-item');
  await expect(item).toHaveCount(1);
  await expect(item).toHaveAttribute('data-token', 'A-W001');
  await expect(item).toHaveAttribute('data-kind', 'walkin.registered');
  await expect(item).toHaveAttribute('data-code', 'rejected_by_portal');
  await expect(item).toHaveAttribute('data-correctable', 'walkin');
  await expect(item.getByTestId('attention-reason')).toContainText('rejected_by_portal');

  // the cause is fixed at the portal; the operator corrects the name and resends, at the keyboard
  await portal.admin.setFaults({});
  await page.keyboard.press('Tab');
  await expect(item.getByTestId('attention-open')).toBeFocused();
  await page.keyboard.press('Enter');
  const form = item.getByTestId('correct-walkin');
  await expect(form).toBeVisible();
  const name = form.getByTestId('correct-walkin-name');
  await expect(name).toBeFocused();
  await expect(name).toHaveValue(first.name);
  await expect(form.getByTestId('correct-walkin-photoIdNumber')).toHaveValue(first.photoIdNumber);
  await savePicture(page, 'needs-attention.png');
  await page.keyboard.press('End');
  await page.keyboard.type(' Devi');
  await expect(name).toHaveValue(correctedName);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('attention-item')).toHaveCount(0);
  await expect(page.getByTestId('attention-empty')).toBeVisible();
  await expect(page.getByTestId('action-message')).toHaveText(en.attention.resent.replace('{{token}}', 'A-W001'));

  // --- it is uploaded: everything is, and the portal has the corrected record ---
  await expectAllUploaded(page);
  held = await portal.admin.records(CENTRE_ID, today);
  const walkInRecords = held.records.filter((r) => r.kind === 'walkin.registered');
  expect(walkInRecords).toHaveLength(2);
  const corrected = walkInRecords.find((r) => r.recordId === firstId!.toLowerCase());
  expect((corrected?.payload.person as { name: string } | undefined)?.name).toBe(correctedName);
});

/** A picture of the whole window for the README (docs/screenshots). */
async function savePicture(page: Page, name: string): Promise<void> {
  const picture = await page.screenshot({ animations: 'disabled', caret: 'hide' });
  writeFileSync(resolve(SCREENSHOT, '..', name), picture);
}
