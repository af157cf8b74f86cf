/**
 * The waiting hall's board beside the counter, in one browser: the counter page (the
 * operator's session) and the board page (its own read-only key, a context of its own with no
 * cookie) side by side. Call next, recall, no-show and serve at the counter, and the board
 * follows, in English and Hindi together. Screenshots of the board at 1920x1080 go to
 * docs/screenshots/board-*.png.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from '@playwright/test';
import type { Result } from '../../common/result';
import { prng, walkInForm } from '../../common/demo/people';
import { startWebBridgeProcess } from '../../scripts/web-bridge-process.mjs';
import { DEMO, expect, freePort, test } from './fixtures';
import { openCounter, signIn } from './helpers';

const SCREENSHOT_DIR = resolve(import.meta.dirname, '../../docs/screenshots');
const BOARD_LINE = /Board \(waiting hall, read-only\): (http:\/\/127\.0\.0\.1:\d+\/board#key=[A-Za-z0-9_-]+)/;
const NOTICE = { en: 'Bring your photo ID <b>please</b>', hi: 'अपना फ़ोटो पहचान पत्र साथ लाएँ' };

interface BoardBridge {
  url: string;
  launchUrl: string;
  boardUrl: string;
  stop(): Promise<void>;
}

/** A demo counter's web bridge, with the board's address it printed beside the launch link. */
async function startBoardBridge(): Promise<BoardBridge> {
  const dataDir = mkdtempSync(join(tmpdir(), 'counter-e2e-board-'));
  let out = '';
  const bridge = await startWebBridgeProcess({
    args: ['--port', '0', '--data', dataDir, '--demo', '--demo-roster', '50', '--portal', `http://127.0.0.1:${await freePort()}`],
    onOutput: (c: Buffer) => (out += c.toString()),
  });
  const stop = async () => {
    await bridge.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  for (let i = 0; i < 50 && !BOARD_LINE.test(out); i++) await new Promise((r) => setTimeout(r, 100));
  const m = BOARD_LINE.exec(out);
  if (!m) {
    await stop();
    throw new Error(`the bridge printed no board address:\n${out}`);
  }
  return { url: bridge.url, launchUrl: bridge.launchUrl, boardUrl: m[1]!, stop };
}

/** A call of `window.counter` in the counter page (the operator's own session). */
async function counterCall<T>(page: Page, method: string, request: unknown): Promise<T> {
  const r = await page.evaluate(
    ([m, req]) => (window.counter as unknown as Record<string, (r: unknown) => Promise<unknown>>)[m as string]!(req),
    [method, request] as const,
  );
  const result = r as Result<T>;
  if (!result.ok) throw new Error(`${method}: ${JSON.stringify(result)}`);
  return result.value;
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.evaluate(async () => {
    await document.fonts.ready;
  });
  const body = await page.screenshot({ animations: 'disabled', caret: 'hide' });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  writeFileSync(join(SCREENSHOT_DIR, `${name}.png`), body);
}

test.describe('board', () => {
  let bb: BoardBridge;
  test.beforeEach(async () => {
    bb = await startBoardBridge();
  });
  test.afterEach(async () => {
    await bb.stop();
  });

  test('follows the counter: call next, recall, no-show, serve; English and Hindi together', async ({ page, browser }) => {
    test.setTimeout(120_000);
    // --- the counter: the supervisor signs in, sets the notice and room, and registers walk-ins ---
    await openCounter(page, { ...bb, dataDir: '', pid: 0, stop: bb.stop });
    await signIn(page, DEMO.supervisor);
    await counterCall(page, 'updateBoardSettings', {
      notice: NOTICE,
      room: { en: 'Room 2', hi: 'कमरा 2' },
      speech: { enabled: true, order: 'hi-en', volume: 80, repeat: 1 },
    });
    const r = prng(5);
    for (let i = 0; i < 8; i++) {
      await counterCall(page, 'registerWalkIn', {
        submissionId: crypto.randomUUID(),
        form: walkInForm(r),
        acknowledgedDuplicates: [],
      });
    }
    await expect(page.getByTestId('lane-walkin').getByTestId('lane-count')).toHaveAttribute('data-count', '8');

    // --- the board: its own context (no operator cookie), a TV's size ---
    const boardContext = await browser.newContext({
      viewport: { width: 1920, height: 1080 },
      locale: 'en-IN',
      timezoneId: 'Asia/Kolkata',
    });
    const board = await boardContext.newPage();
    const speechAsked: string[] = [];
    board.on('request', (req) => {
      const u = new URL(req.url());
      if (u.pathname.startsWith('/board/speech/'))
        speechAsked.push(decodeURIComponent(u.pathname.slice('/board/speech/'.length)));
    });
    const cspViolations: string[] = [];
    board.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
    await board.goto(bb.boardUrl);
    expect(await boardContext.cookies()).toEqual([]);
    await expect(board.getByTestId('board')).toBeVisible();
    await expect(board.getByText('Please wait for your token to be called')).toBeVisible();
    await expect(board.getByText('कृपया अपना टोकन बुलाए जाने की प्रतीक्षा करें')).toBeVisible();
    const walkinLane = board.getByTestId('board-lane-walkin');
    await expect(walkinLane).toContainText('Walk-in');
    await expect(walkinLane).toContainText('वॉक-इन');
    await expect(walkinLane.locator('.board-figure-value').first()).toHaveText('8');
    // the notice as text, markup and all
    await expect(board.getByTestId('board-notice')).toContainText(NOTICE.en);
    await expect(board.getByTestId('board-notice')).toContainText(NOTICE.hi);
    expect(await board.getByTestId('board-notice').locator('b').count()).toBe(0);
    // a browser asks for one click before it plays sound, in both languages
    const soundButton = board.getByTestId('board-sound');
    if (await soundButton.isVisible()) {
      await expect(soundButton).toContainText('Click to turn on sound');
      await expect(soundButton).toContainText('आवाज़ चालू करने के लिए क्लिक करें');
      await shoot(board, 'board-sound-prompt');
      await soundButton.click();
      await expect(soundButton).toHaveCount(0);
    }

    // --- call next at the counter: the board shows the token, the room, both languages ---
    await page.getByTestId('call-next').click();
    const called = page.getByTestId('called-ticket');
    await expect(called).toHaveCount(1);
    const first = (await called.getAttribute('data-token'))!;
    const token = board.getByTestId('board-token');
    await expect(token).toHaveText(first);
    const now = board.getByTestId('board-now');
    await expect(now).toContainText('Room 2');
    await expect(now).toContainText('कमरा 2');
    await expect(now).toContainText('Walk-in');
    await expect(now).toContainText('वॉक-इन');
    await expect(now.locator('svg[data-shape="circle"]')).toHaveCount(1);
    await expect(board.getByTestId('board-live')).toContainText(`Token ${first}`);
    await expect(board.getByTestId('board-live')).toContainText(`टोकन ${first}`);
    await expect(board.getByText('Now calling', { exact: true })).toBeVisible();
    await expect(board.getByText('अभी बुलाया जा रहा है', { exact: true })).toBeVisible();
    await expect(walkinLane.locator('.board-figure-value').first()).toHaveText('7');
    // the token is at least 12% of the screen's height
    const box = (await token.boundingBox())!;
    const fontPx = await token.evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    expect(fontPx).toBeGreaterThanOrEqual(0.12 * 1080);
    expect(box.height).toBeGreaterThanOrEqual(0.12 * 1080);
    const firstCallId = (await now.getAttribute('data-call-id'))!;
    await shoot(board, 'board-now-calling');

    // --- recall: the same token again, marked, as a new call (spoken again) ---
    await page.getByTestId('recall-button').click();
    await expect(now).not.toHaveAttribute('data-call-id', firstCallId);
    await expect(token).toHaveText(first);
    await expect(now).toContainText('Called again');
    await expect(now).toContainText('फिर से बुलाया गया');
    const recallId = (await now.getAttribute('data-call-id'))!;
    await shoot(board, 'board-recall');

    // --- no-show: the token leaves "now calling" ---
    await page.getByTestId('noshow-button').click();
    await expect(called).toHaveCount(0);
    await expect(board.getByTestId('board-now')).toHaveCount(0);
    await expect(board.getByTestId('board-token')).toHaveCount(0);

    // --- call next twice, and serve the token shown ---
    await page.getByTestId('call-next').click();
    await expect(called).toHaveCount(1);
    const second = (await called.getAttribute('data-token'))!;
    expect(second).not.toBe(first);
    await expect(token).toHaveText(second);
    await page.getByTestId('call-next').click();
    await expect(called).toHaveCount(2);
    const third = (await called.nth(0).getAttribute('data-token'))!;
    const thirdOnBoard = third === second ? (await called.nth(1).getAttribute('data-token'))! : third;
    await expect(token).toHaveText(thirdOnBoard);
    await expect(board.getByTestId('board-recent')).toContainText(second);
    // serving the token on the board takes it off: the board goes back to the call still standing
    const servedRow = page.locator(`[data-testid="called-ticket"][data-token="${thirdOnBoard}"]`);
    await servedRow.first().getByTestId('serve-button').click();
    const serve = page.getByTestId('serve-dialog');
    await expect(serve).toBeVisible();
    await serve.getByTestId('serve-lot').fill('4121Z005');
    if ((await serve.getByTestId('serve-dose').inputValue()) === '') await serve.getByTestId('serve-dose').fill('1');
    await serve.getByTestId('serve-lot').press('Enter');
    await expect(serve).toHaveCount(0);
    await expect(called).toHaveCount(1);
    await expect(token).toHaveText(second);

    // every call and recall was asked for its speech, in order
    await expect.poll(() => speechAsked.includes(recallId)).toBe(true);
    expect(speechAsked.indexOf(firstCallId)).toBeLessThan(speechAsked.indexOf(recallId));

    // --- a few more calls: the board lists the last five ---
    for (let i = 0; i < 4; i++) {
      await page.getByTestId('call-next').click();
      await expect(called).toHaveCount(2 + i);
      const tokens = await called.evaluateAll((els) => els.map((e) => e.getAttribute('data-token')));
      await expect(token).not.toHaveText(thirdOnBoard);
      await expect(token).toHaveText(new RegExp(`^(${tokens.join('|')})$`));
    }
    await expect(board.getByTestId('board-recent').locator('li')).toHaveCount(5);
    await shoot(board, 'board-last-called');
    // every call's speech came (main's speech worker) and played: none is listed as not spoken
    await expect(board.getByTestId('board-sound-failed')).toHaveCount(0);
    await expect(board.getByTestId('board-sound-missed')).toHaveCount(0);
    // the board runs under the app's policy: no inline script or style
    expect(cspViolations).toEqual([]);
    await boardContext.close();
  });

  test('a wrong or missing board key is refused in the page', async ({ browser }) => {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    const board = await context.newPage();
    const base = bb.boardUrl.slice(0, bb.boardUrl.indexOf('#'));
    await board.goto(`${base}#key=${'x'.repeat(43)}`);
    await expect(board.getByRole('alert')).toContainText('This board link is not valid');
    await expect(board.getByRole('alert')).toContainText('यह बोर्ड लिंक मान्य नहीं है');
    await expect(board.getByTestId('board')).toHaveCount(0);
    await board.goto(`${base}`);
    await board.reload();
    await expect(board.getByRole('alert')).toContainText('This board link is not valid');
    // the operator's launch link's page is not reachable with the board key
    const rpc = await board.evaluate(
      async ([key]) =>
        (await fetch('/rpc/getQueue', { method: 'POST', headers: { 'x-board-key': key!, 'x-counter-request': '1' }, body: '{}' }))
          .status,
      [new URLSearchParams(bb.boardUrl.split('#')[1]).get('key')],
    );
    expect(rpc).toBe(403);
    await context.close();
  });
});
