/**
 * Roster import by the supervisor: a file with one bad row is refused whole, with the row's
 * line number, and the roster in use stays; the corrected file then replaces it.
 */
import { rosterCsv, rosterEntries } from '../../common/demo/people';
import { en } from '../../renderer/src/i18n/en';
import { DEMO, expect, test } from './fixtures';
import { centreToday, openCounter, searchFor, signIn, writeTempFile } from './helpers';

/** What the demo bridge loads for today (see main/demo/seed.ts and the `bridge` fixture). */
const DEMO_ROSTER = rosterEntries(200, 7);

test('a roster file with a bad row is refused with its line number and the old roster stays', async ({ page, bridge }) => {
  const today = centreToday();
  const fresh = rosterEntries(6, 99);
  const lines = rosterCsv(today, fresh).split('\n');
  // line 1 is the header: the third appointment is line 4; give it a birth year that is no year
  const BAD_LINE = 4;
  const cells = lines[BAD_LINE - 1]!.split(',');
  cells[4] = '19x5';
  const badLines = [...lines];
  badLines[BAD_LINE - 1] = cells.join(',');

  const bad = writeTempFile('roster.csv', badLines.join('\n'));
  const good = writeTempFile('roster.csv', lines.join('\n'));
  try {
    await openCounter(page, bridge);
    await signIn(page, DEMO.supervisor);
    await page.getByTestId('tab-roster').click();
    const current = page.getByTestId('roster-current');
    await expect(current).toContainText(`${DEMO_ROSTER.length}`);

    await page.getByTestId('roster-file').setInputFiles(bad.path);
    const result = page.getByTestId('roster-result');
    await expect(result).toHaveAttribute('data-ok', 'false');
    const line = result.getByTestId('roster-line');
    await expect(line).toHaveAttribute('data-line', String(BAD_LINE));
    await expect(line).toContainText(`Line ${BAD_LINE}`);
    await expect(line).toContainText('birthYear');
    await expect(result).toContainText(en.roster.rejectedTitle);

    // the roster in use is the demo one, still whole
    await expect(current).toContainText(`${DEMO_ROSTER.length}`);
    await expect(page.getByTestId('status-roster')).toContainText(`${DEMO_ROSTER.length}`);
    await page.keyboard.press('F2');
    const old = DEMO_ROSTER[0]!;
    await searchFor(page, old.refId);
    await expect(page.getByTestId('search-hit').first()).toHaveAttribute('data-ref-id', old.refId);
    await expect(page.getByTestId('search-hit').first()).toContainText(old.name);
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('search-input')).toHaveValue('');
    // nobody from the refused file was loaded (its good rows neither)
    const notLoaded = fresh[0]!;
    await searchFor(page, notLoaded.refId);
    await expect(page.getByTestId('search-hit')).toHaveCount(0);
    await expect(page.getByTestId('search-empty')).toBeVisible();
    await page.keyboard.press('Escape');

    // the corrected file, chosen again under the same name, replaces the roster
    await page.getByTestId('tab-roster').click();
    await page.getByTestId('roster-file').setInputFiles(good.path);
    await expect(result).toHaveAttribute('data-ok', 'true');
    await expect(result.locator('[data-count]')).toHaveAttribute('data-count', String(fresh.length));
    await expect(result.getByTestId('roster-line')).toHaveCount(0);
    await expect(current).toContainText(`${fresh.length} `);
    await page.keyboard.press('F2');
    await searchFor(page, notLoaded.refId);
    await expect(page.getByTestId('search-hit').first()).toHaveAttribute('data-ref-id', notLoaded.refId);
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('search-input')).toHaveValue('');
    await searchFor(page, old.refId);
    await expect(page.getByTestId('search-empty')).toBeVisible();
  } finally {
    bad.remove();
    good.remove();
  }
});
