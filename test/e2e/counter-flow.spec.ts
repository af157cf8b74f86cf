/**
 * A counter's day, the way a supervisor works it at the keyboard: load today's roster,
 * check in an online registrant, register walk-ins (one refused field, one possible
 * duplicate), call and serve the next token, and switch the screen to Hindi.
 */
import { rosterCsv, rosterEntries } from '../../common/demo/people';
import type { RosterEntry } from '../../common/domain';
import { en } from '../../renderer/src/i18n/en';
import { hi } from '../../renderer/src/i18n/hi';
import { DEMO, expect, test } from './fixtures';
import {
  aadhaarPair,
  centreToday,
  checkInPanel,
  openCounter,
  searchFor,
  selectHit,
  signIn,
  walkInPanel,
  writeTempFile,
} from './helpers';

const ROSTER_SEED = 42;
const ROSTER_SIZE = 12;

/**
 * Someone whose surname other people in the roster share, so a part of it finds several
 * and the operator has to pick the right one with the arrows.
 */
function registrantToFind(entries: readonly RosterEntry[]): { target: RosterEntry; query: string } {
  const bySurname = new Map<string, RosterEntry[]>();
  for (const e of entries) {
    const surname = e.name.split(' ').at(-1)!;
    if (surname.length < 5) continue;
    bySurname.set(surname, [...(bySurname.get(surname) ?? []), e]);
  }
  const shared = [...bySurname.entries()].filter(([, list]) => list.length >= 2).sort((a, b) => b[1].length - a[1].length)[0];
  if (!shared) throw new Error('the test roster has no shared surname: pick another seed');
  const [surname, list] = shared;
  const unique = list.filter((e) => entries.filter((o) => o.name === e.name).length === 1);
  const target = unique.sort((a, b) => a.name.localeCompare(b.name)).at(-1);
  if (!target) throw new Error('no registrant with a unique name under a shared surname');
  // part of the surname, in small letters, as typed in a hurry
  return { target, query: surname.slice(0, 5).toLowerCase() };
}

test('supervisor: roster import, check-in, walk-ins with a refused field and a duplicate, call, serve, Hindi', async ({
  page,
  bridge,
}) => {
  const today = centreToday();
  const entries = rosterEntries(ROSTER_SIZE, ROSTER_SEED);
  const { target, query } = registrantToFind(entries);
  const aadhaar = aadhaarPair('52834716092');

  await openCounter(page, bridge);
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await signIn(page, DEMO.supervisor);
  await expect(page.getByTestId('status-operator')).toContainText(en.role.supervisor);

  // --- today's roster from a file ---
  const file = writeTempFile(`roster-${today}.csv`, rosterCsv(today, entries));
  try {
    await page.getByTestId('tab-roster').click();
    await page.getByTestId('roster-file').setInputFiles(file.path);
    const result = page.getByTestId('roster-result');
    await expect(result).toHaveAttribute('data-ok', 'true');
    await expect(result.locator('[data-count]')).toHaveAttribute('data-count', String(ROSTER_SIZE));
    await expect(result.locator('[data-count]')).toHaveAttribute('data-day', today);
    await expect(page.getByTestId('status-roster')).toHaveAttribute('data-stale', 'false');
    await expect(page.getByTestId('status-roster')).toContainText(String(ROSTER_SIZE));
  } finally {
    file.remove();
  }

  // --- check-in by part of the name: type, ↓ to the right person, Enter ---
  await page.keyboard.press('F2');
  await expect(page.getByTestId('tab-checkin')).toHaveAttribute('aria-selected', 'true');
  await searchFor(page, query);
  await expect(page.getByTestId('search-hit')).not.toHaveCount(1);
  await selectHit(page, target.refId);
  await page.keyboard.press('Enter');
  const issued = page.getByTestId('issued-token');
  await expect(issued).toHaveAttribute('data-token', 'A-P001');
  await expect(issued).toHaveAttribute('data-lane', 'priority');
  await expect(page.getByTestId('search-input')).toHaveValue('');
  await expect(page.getByTestId('search-input')).toBeFocused();
  const priorityLane = page.getByTestId('lane-priority');
  await expect(priorityLane.getByTestId('waiting-ticket')).toHaveCount(1);
  await expect(priorityLane.getByTestId('waiting-ticket')).toHaveAttribute('data-token', 'A-P001');

  // --- the same person again: the existing token is shown, no second ticket ---
  await searchFor(page, query);
  const again = await selectHit(page, target.refId);
  await expect(again.getByTestId('hit-ticket')).toHaveAttribute('data-token', 'A-P001');
  await page.keyboard.press('Enter');
  const checkInError = checkInPanel(page).getByTestId('action-error');
  await expect(checkInError).toHaveAttribute('data-code', 'ALREADY_CHECKED_IN');
  await expect(checkInError).toContainText('A-P001');
  await expect(priorityLane.getByTestId('lane-count')).toHaveAttribute('data-count', '1');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('search-input')).toHaveValue('');

  // --- walk-in (F3), first with an Aadhaar number whose check digit is wrong ---
  await page.keyboard.press('F3');
  await expect(page.getByTestId('tab-walkin')).toHaveAttribute('aria-selected', 'true');
  const walkIn = walkInPanel(page);
  await expect(walkIn.getByTestId('walkin-name')).toBeFocused();
  await page.keyboard.type('Kavita Joshi');
  await page.keyboard.press('Tab');
  await expect(walkIn.getByTestId('walkin-gender')).toBeFocused();
  // a closed select picks an option by its first letter, as at any form
  await page.keyboard.press('f');
  await expect(walkIn.getByTestId('walkin-gender')).toHaveValue('F');
  await page.keyboard.press('Tab');
  await expect(walkIn.getByTestId('walkin-birthYear')).toBeFocused();
  await page.keyboard.type('1938');
  await page.keyboard.press('Tab');
  await page.keyboard.type('9876543210');
  await page.keyboard.press('Tab');
  await expect(walkIn.getByTestId('walkin-photoIdType')).toBeFocused();
  await expect(walkIn.getByTestId('walkin-photoIdType')).toHaveValue('AADHAAR');
  await page.keyboard.press('Tab');
  await expect(walkIn.getByTestId('walkin-photoIdNumber')).toBeFocused();
  await page.keyboard.type(aadhaar.badChecksum);
  // leaving the field already says what is wrong, next to it, in both languages
  await page.keyboard.press('Tab');
  const idError = walkIn.getByTestId('error-photoIdNumber');
  await expect(idError).toHaveAttribute('data-code', 'aadhaar_checksum');
  await expect(idError.locator('[lang="en"]')).toHaveText(en.errors.field.aadhaar_checksum);
  await expect(idError.locator('[lang="hi"]')).toHaveText(hi.errors.field.aadhaar_checksum);
  const idField = walkIn.getByTestId('walkin-photoIdNumber');
  await expect(idField).toHaveAttribute('aria-invalid', 'true');
  await expect(idField).toHaveAttribute('aria-describedby', /walkin-photoIdNumber-error/);
  // Enter with the mistake still there: nothing is registered, the cursor goes to the field
  await walkIn.getByTestId('walkin-name').focus();
  await page.keyboard.press('Enter');
  await expect(idField).toBeFocused();
  await expect(idError).toBeVisible();
  await expect(walkIn.getByTestId('error-name')).toHaveCount(0);
  await expect(issued).toHaveAttribute('data-token', 'A-P001');
  // fix the last digit: the error goes as soon as the number is right
  await page.keyboard.press('End');
  await page.keyboard.press('Backspace');
  await page.keyboard.type(aadhaar.valid.slice(-1));
  await expect(idField).toHaveValue(aadhaar.valid);
  await expect(idError).toHaveCount(0);
  await expect(idField).toHaveAttribute('aria-invalid', 'false');
  await page.keyboard.press('Enter');
  await expect(issued).toHaveAttribute('data-token', 'A-W001');
  await expect(issued).toHaveAttribute('data-lane', 'walkin');
  await expect(walkIn.getByTestId('walkin-name')).toHaveValue('');
  await expect(walkIn.getByTestId('walkin-name')).toBeFocused();

  // --- a second walk-in with the same Aadhaar: possible duplicate, confirmed as a different person ---
  await page.keyboard.type('Sunil Verma');
  await page.keyboard.press('Tab');
  await expect(walkIn.getByTestId('walkin-gender')).toBeFocused();
  await page.keyboard.press('m');
  await expect(walkIn.getByTestId('walkin-gender')).toHaveValue('M');
  await page.keyboard.press('Tab');
  await expect(walkIn.getByTestId('walkin-birthYear')).toBeFocused();
  await page.keyboard.type('1936');
  await page.keyboard.press('Tab');
  await page.keyboard.type('8765432109');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(idField).toBeFocused();
  await page.keyboard.type(aadhaar.valid);
  await page.keyboard.press('Enter');
  const dupes = page.getByTestId('duplicates-panel');
  await expect(dupes).toBeVisible();
  await expect(dupes.getByTestId('duplicate-candidate')).toHaveCount(1);
  await expect(dupes.getByTestId('duplicate-candidate')).toContainText('Kavita Joshi');
  await expect(dupes.getByTestId('duplicate-candidate')).toContainText(en.duplicates.reason.same_photo_id);
  await expect(dupes.getByTestId('duplicate-candidate')).toContainText('A-W001');
  // a stray Enter must not register: the focus starts on Cancel; going to "register anyway" is deliberate
  await expect(dupes.getByTestId('duplicates-cancel')).toBeFocused();
  await page.keyboard.press('Shift+Tab');
  await expect(dupes.getByTestId('duplicates-confirm')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dupes).toHaveCount(0);
  await expect(issued).toHaveAttribute('data-token', 'A-W002');
  await expect(issued).toHaveAttribute('data-lane', 'walkin');
  const walkInLane = page.getByTestId('lane-walkin');
  await expect(walkInLane.getByTestId('waiting-ticket')).toHaveCount(2);
  await expect(walkInLane.getByTestId('waiting-ticket').nth(0)).toHaveAttribute('data-token', 'A-W001');
  await expect(walkInLane.getByTestId('waiting-ticket').nth(1)).toHaveAttribute('data-token', 'A-W002');

  // --- call next (F4): the priority ticket goes first although the walk-ins joined later ---
  const next = page.getByTestId('next-ticket');
  await expect(next).toHaveAttribute('data-token', 'A-P001');
  await expect(next).toHaveAttribute('data-reason', 'priority_first');
  await page.keyboard.press('F4');
  const called = page.getByTestId('called-ticket');
  await expect(called).toHaveCount(1);
  await expect(called).toHaveAttribute('data-token', 'A-P001');
  await expect(page.getByTestId('queue-message')).toContainText('A-P001');
  await expect(priorityLane.getByTestId('lane-count')).toHaveAttribute('data-count', '0');
  await expect(next).toHaveAttribute('data-token', 'A-W001');

  // --- serve it: S on the called ticket, lot number, dose from the roster, Enter ---
  await called.focus();
  await page.keyboard.press('s');
  const serve = page.getByTestId('serve-dialog');
  await expect(serve).toBeVisible();
  await expect(serve.getByTestId('serve-lot')).toBeFocused();
  await expect(serve.getByTestId('serve-dose')).toHaveValue(String(target.dose));
  await expect(serve.getByTestId('serve-vaccine')).not.toHaveValue('');
  await page.keyboard.type('4121z005');
  await expect(serve.getByTestId('serve-lot')).toHaveValue('4121Z005');
  await page.keyboard.press('Enter');
  await expect(serve).toHaveCount(0);
  await expect(called).toHaveCount(0);
  const recent = page.getByTestId('recent-ticket');
  await expect(recent.first()).toHaveAttribute('data-token', 'A-P001');
  await expect(recent.first()).toHaveAttribute('data-status', 'served');
  await expect(page.getByTestId('queue-counts')).toHaveAttribute('data-served', '1');

  // --- Hindi: the texts change, the tokens and the queue stay ---
  await page.getByTestId('lang-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'hi');
  await expect(page.getByTestId('tab-checkin')).toContainText(hi.tabs.checkin);
  await expect(page.getByTestId('tab-roster')).toContainText(hi.tabs.roster);
  await expect(page.getByRole('heading', { name: hi.queue.title, exact: true })).toBeVisible();
  await expect(page.getByTestId('call-next')).toContainText(hi.queue.callNext);
  await expect(page.getByTestId('status-operator')).toContainText(hi.role.supervisor);
  await expect(walkInLane.getByTestId('waiting-ticket')).toHaveCount(2);
  await expect(walkInLane.getByTestId('waiting-ticket').nth(0)).toContainText('A-W001');
  await expect(walkInLane.getByTestId('waiting-ticket').nth(1)).toContainText('A-W002');
  await expect(next).toHaveAttribute('data-token', 'A-W001');
  await expect(next).toContainText('A-W001');
  await expect(recent.first()).toContainText('A-P001');
  await expect(recent.first()).toContainText(hi.ticketStatus.served);
  expect(await page.evaluate(() => localStorage.getItem('counter.lang'))).toBe('hi');
});
