/**
 * Token slips on a network thermal printer (a virtual ESC/POS printer on loopback): the
 * supervisor sets it up and prints a test slip; a check-in prints its slip at once; a
 * printer that stops answering never holds up a token, and its failed slip is listed and
 * reprinted once the printer is back.
 */
import { rosterEntries } from '../../common/demo/people';
import { en } from '../../renderer/src/i18n/en';
import { decodeEscPos } from '../support/escpos-decode';
import { startVirtualPrinter, type VirtualPrinter } from '../support/virtual-printer';
import { DEMO, expect, test } from './fixtures';
import { checkInByRefId, openCounter, signIn } from './helpers';

/** The demo bridge's roster: `startBridge` seeds 200 people with seed 7. */
const ROSTER = rosterEntries(200, 7);
/** A slip job's deadline in the settings; the failed slip must show within it (plus margin). */
const TIMEOUT_SECONDS = 2;

/** A printed slip as the printer saw it: an 80 mm raster image, then a cut. */
function expectSlip(bytes: Uint8Array): void {
  const job = decodeEscPos(bytes);
  expect(job.unknown).toEqual([]);
  expect(job.truncated).toBe(false);
  expect(job.initialized).toBe(true);
  expect(job.images.length).toBeGreaterThan(0);
  expect(job.images[0]!.width).toBe(576);
  expect(job.images[0]!.height).toBeGreaterThan(100);
  expect(job.cutAtEnd).toBe(true);
}

let printer: VirtualPrinter;

test.beforeEach(async () => {
  printer = await startVirtualPrinter({ mode: 'normal' });
});

test.afterEach(async () => {
  await printer.close();
});

test('slips: set up the printer, print on check-in, survive a hung printer, reprint from the problem list', async ({
  page,
  bridge,
}) => {
  const [first, second] = ROSTER;
  if (!first || !second) throw new Error('the demo roster is empty');

  await openCounter(page, bridge);
  await signIn(page, DEMO.supervisor);

  // --- the Printer tab: a network thermal printer, checked on the way in ---
  await page.getByTestId('tab-printer').click();
  await page.getByTestId('printer-kind').selectOption('escpos-tcp');
  await page.getByTestId('printer-host').fill('printer one');
  await page.getByTestId('printer-port').fill('70000');
  await page.getByTestId('printer-save').click();
  await expect(page.getByTestId('error-host')).toHaveAttribute('data-code', 'printer_host_format');
  await expect(page.getByTestId('error-host').locator('[lang="hi"]')).not.toBeEmpty();
  await expect(page.getByTestId('error-port')).toHaveAttribute('data-code', 'port_range');
  await expect(page.getByTestId('printer-host')).toBeFocused();

  await page.getByTestId('printer-host').fill('127.0.0.1');
  await page.getByTestId('printer-port').fill(String(printer.port));
  await expect(page.getByTestId('error-port')).toHaveCount(0);
  await page.getByTestId('printer-paper').selectOption('80mm');
  await expect(page.getByTestId('printer-autoPrint')).toBeChecked();
  await page.getByTestId('printer-timeoutSeconds').fill(String(TIMEOUT_SECONDS));
  await page.getByTestId('printer-save').click();
  await expect(page.getByTestId('action-message')).toHaveText(en.printer.saved);

  // --- a test slip reaches the printer ---
  await page.getByTestId('printer-test').click();
  await expect(page.getByTestId('printer-result')).toHaveAttribute('data-status', 'printed');
  const [testSlip] = await printer.waitForJobs(1, 10_000);
  expectSlip(testSlip!);

  // --- a check-in: the token at once, and its slip on the printer ---
  await page.keyboard.press('F2');
  await checkInByRefId(page, first.refId);
  await expect(page.getByTestId('slip-status')).toHaveAttribute('data-status', 'printed');
  const jobs = await printer.waitForJobs(2, 10_000);
  expectSlip(jobs[1]!);
  await expect(page.getByTestId('slip-problems')).toHaveCount(0);

  // --- the printer hangs: the next token is still issued at once; the slip fails in time ---
  await printer.setMode('hang');
  const { token, elapsedMs } = await checkInByRefId(page, second.refId);
  expect(elapsedMs, 'the token did not wait for the printer').toBeLessThan(TIMEOUT_SECONDS * 1000);
  const status = page.getByTestId('slip-status');
  await expect(status).toHaveAttribute('data-status', 'failed', { timeout: (TIMEOUT_SECONDS + 6) * 1000 });
  const code = await status.getAttribute('data-code');
  expect(['printer_timeout', 'printer_unreachable', 'printer_offline']).toContain(code);
  await expect(status).toContainText(en.errors.print[code as keyof typeof en.errors.print]);
  await expect(page.getByTestId('slip-reprint')).toBeVisible();

  // the problem list has it
  const badge = page.getByTestId('slip-problems');
  await expect(badge).toHaveAttribute('data-count', '1');
  await badge.click();
  const problem = page.getByTestId('slip-problem');
  await expect(problem).toHaveCount(1);
  await expect(problem).toHaveAttribute('data-token', token);
  await expect(problem).toHaveAttribute('data-code', code!);
  await expect(problem.getByTestId('slip-problem-reprint')).toBeFocused();

  // --- back to normal: Reprint prints it, and the problem is gone ---
  await printer.setMode('normal');
  await page.keyboard.press('Enter');
  const afterReprint = await printer.waitForJobs(3, 10_000);
  expectSlip(afterReprint[2]!);
  await expect(page.getByTestId('slip-problem')).toHaveCount(0);
  await expect(page.getByTestId('slip-problems')).toHaveAttribute('data-count', '0');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('slip-problems')).toHaveCount(0);
  // nothing printed for it before: this is its first slip
  await expect(status).toHaveAttribute('data-status', 'printed');
  await expect(status).toHaveText(en.slip.printed);

  // --- Ctrl+P prints it again (a reprint now), without the browser's print dialog ---
  await expect(page.getByTestId('search-input')).toBeFocused();
  // listens after the app's own listeners: sees whether they kept the browser from printing the page
  await page.evaluate(() => {
    window.addEventListener('keydown', (e) => {
      if (e.ctrlKey && e.key.toLowerCase() === 'p') document.body.dataset.ctrlPPrevented = String(e.defaultPrevented);
    });
  });
  await page.keyboard.press('Control+p');
  await expect(page.locator('body')).toHaveAttribute('data-ctrl-p-prevented', 'true');
  const afterCtrlP = await printer.waitForJobs(4, 10_000);
  expectSlip(afterCtrlP[3]!);
  await expect(status).toHaveText(en.slip.reprinted);
  await expect(page.getByTestId('search-input')).toBeFocused();
});
