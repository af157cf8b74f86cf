/**
 * Someone shows an online registration whose reference ID is not in today's roster: the
 * operator checks them in provisionally; by default the ticket is unverified and joins the
 * walk-in lane.
 */
import { en } from '../../renderer/src/i18n/en';
import { DEMO, expect, test } from './fixtures';
import { checkInPanel, openCounter, searchFor, signIn } from './helpers';

test('a reference ID not in the roster is checked in provisionally: unverified, walk-in lane', async ({ page, bridge }) => {
  await openCounter(page, bridge);
  await signIn(page, DEMO.operator);
  await expect(page.getByTestId('status-operator')).toContainText(en.role.operator);
  await expect(page.getByTestId('tab-roster')).toHaveCount(0);

  const refId = 'ZX98765432';
  await searchFor(page, refId.toLowerCase());
  const panel = checkInPanel(page);
  await expect(panel.getByTestId('search-empty')).toBeVisible();
  await expect(panel.getByTestId('search-hit')).toHaveCount(0);
  await expect(panel.getByTestId('provisional-checkin')).toBeVisible();

  // a plain Enter checks in nobody
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('provisional-dialog')).toHaveCount(0);
  await expect(page.getByTestId('issued-token')).toHaveCount(0);

  await page.keyboard.press('Control+Enter');
  const dialog = page.getByTestId('provisional-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('provisional-refId')).toHaveValue(refId);
  await expect(dialog.getByTestId('provisional-name')).toBeFocused();

  // the name is required: said next to it, inside the dialog
  await page.keyboard.press('Enter');
  await expect(dialog.getByTestId('error-name')).toHaveAttribute('data-code', 'required');
  await expect(dialog.getByTestId('error-name').locator('[lang="hi"]')).not.toBeEmpty();
  await expect(page.getByTestId('issued-token')).toHaveCount(0);

  await dialog.getByTestId('provisional-name').focus();
  await page.keyboard.type('Meera Bai');
  await dialog.getByTestId('provisional-birthYear').fill('1958');
  await dialog.getByTestId('provisional-gender').selectOption('F');
  await dialog.getByTestId('provisional-name').focus();
  await page.keyboard.press('Enter');

  await expect(dialog).toHaveCount(0);
  const issued = page.getByTestId('issued-token');
  await expect(issued).toHaveAttribute('data-lane', 'walkin');
  await expect(issued).toHaveAttribute('data-token', 'A-W001');
  await expect(page.getByText(en.issued.unverified)).toBeVisible();
  await expect(page.getByTestId('search-input')).toHaveValue('');
  await expect(page.getByTestId('search-input')).toBeFocused();

  const walkInLane = page.getByTestId('lane-walkin');
  const ticket = walkInLane.getByTestId('waiting-ticket');
  await expect(ticket).toHaveCount(1);
  await expect(ticket).toHaveAttribute('data-token', 'A-W001');
  await expect(ticket).toContainText('Meera Bai');
  await expect(ticket.locator('.badge-unverified')).toHaveText(en.queue.badgeUnverified);
  await expect(page.getByTestId('lane-priority').getByTestId('lane-count')).toHaveAttribute('data-count', '0');
  await expect(page.getByTestId('next-ticket')).toHaveAttribute('data-token', 'A-W001');
  await expect(page.getByTestId('next-ticket')).toHaveAttribute('data-reason', 'only_waiting');

  // the same reference ID again is refused: it already has a ticket today
  await searchFor(page, refId);
  await page.keyboard.press('Control+Enter');
  await expect(dialog).toBeVisible();
  await dialog.getByTestId('provisional-name').fill('Meera Bai');
  await page.keyboard.press('Enter');
  await expect(dialog.getByTestId('action-error')).toHaveAttribute('data-code', 'ALREADY_CHECKED_IN');
  await expect(dialog.getByTestId('action-error')).toContainText('A-W001');
  await expect(ticket).toHaveCount(1);
});

test('a long one-word name is searched as a name, never offered as a reference ID', async ({ page, bridge }) => {
  await openCounter(page, bridge);
  await signIn(page, DEMO.operator);
  // "shanti": six letters, the length of a reference ID, and a first name in the demo roster
  const results = await searchFor(page, 'shanti');
  await expect(results.getByTestId('search-hit').first()).toBeVisible();
  const panel = checkInPanel(page);
  await expect(panel.getByTestId('provisional-checkin')).toHaveCount(0);
  await page.keyboard.press('Control+Enter');
  await expect(page.getByTestId('provisional-dialog')).toHaveCount(0);
  await expect(page.getByTestId('issued-token')).toHaveCount(0);
});
