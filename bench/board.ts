/**
 * The waiting hall's board through the web bridge: the built board page in Chromium at
 * 1920x1080, opened with the board's own key, while the counter calls 200 tokens one after
 * another (each then marked no-show, so the next call is the one on the board). Each sample
 * is the time from the counter's "call next" answered (in this process) to the board page
 * showing that token (a MutationObserver in the page), on the machine's one clock.
 *
 * Needs `npm run build` (the page) and a Chromium (Debian's at /usr/bin/chromium, or
 * CHROMIUM_PATH). Everything listens on 127.0.0.1; every wait is bounded.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import type { TicketView } from '../common/domain';
import { prng, walkInForm } from '../common/demo/people';
import { CHROMIUM_ARGS, findChromium } from '../scripts/chromium.mjs';
import { openBridgeSession, startWebBridgeProcess } from '../scripts/web-bridge-process.mjs';
import { latencyMetrics, round, type Benchmark, type BenchContext, type Metric } from './stats';

const ROOT = resolve(import.meta.dirname, '..');
const CALLS = 200;
const TARGET_P99_MS = 500;
const SHOW_TIMEOUT_MS = 10_000;
const BOARD_LINE = /Board \(waiting hall, read-only\): (http:\/\/127\.0\.0\.1:\d+\/board#key=[A-Za-z0-9_-]+)/;

function freePort(): Promise<number> {
  return new Promise((ok, bad) => {
    const server = createServer();
    server.once('error', bad);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      server.close(() => (typeof addr === 'object' && addr ? ok(addr.port) : bad(new Error('no port'))));
    });
  });
}

/**
 * In the board page: the wall-clock time (ms since the epoch, high resolution) each token was
 * first shown as "now calling". Plain JavaScript text: it runs in the page as it is written here.
 */
const BOARD_PROBE = `(() => {
  const shown = new Map();
  window.__boardShown = shown;
  const look = () => {
    const el = document.querySelector('[data-testid="board-token"]');
    const token = el && el.textContent;
    if (token && !shown.has(token)) shown.set(token, performance.timeOrigin + performance.now());
  };
  new MutationObserver(look).observe(document, { subtree: true, childList: true, characterData: true });
})()`;

async function runBoard(ctx: BenchContext): Promise<Metric[]> {
  const executablePath = findChromium().path;
  if (!existsSync(join(ROOT, 'out/renderer/board.html')))
    throw new Error('out/renderer/board.html is missing: run "npm run build" first');
  const dataDir = ctx.tempDir('board-counter');
  const args = [
    '--port',
    '0',
    '--data',
    dataDir,
    '--demo',
    '--demo-roster',
    '200',
    '--portal',
    `http://127.0.0.1:${await freePort()}`,
  ];
  let out = '';
  // as on a counter PC: the installed app does not check its own answers against the contract
  const bridge = await startWebBridgeProcess({
    args,
    env: { ...process.env, NODE_ENV: 'production' },
    timeoutMs: 60_000,
    onOutput: (c: Buffer) => (out += c.toString()),
  });
  let browser: Browser | null = null;
  try {
    // launched inside: a browser that cannot start still has the bridge stopped below
    browser = await chromium.launch({ ...(executablePath ? { executablePath } : {}), args: CHROMIUM_ARGS });
    for (let i = 0; i < 50 && !BOARD_LINE.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    const boardUrl = BOARD_LINE.exec(out)?.[1];
    if (!boardUrl) throw new Error('the web bridge printed no board address');
    const session = await openBridgeSession(bridge.launchUrl);
    const rpc = async <T>(method: string, request: unknown): Promise<T> => {
      const r = (await session.call(method, request)) as
        { ok: true; value: T } | { ok: false; error: { code: string; message: string } };
      if (!r.ok) throw Object.assign(new Error(`${method}: ${r.error.code} ${r.error.message}`), { code: r.error.code });
      return r.value;
    };
    await rpc('signIn', { loginId: 'operator', pin: '1357' });

    ctx.progress(`board: registering ${CALLS} walk-ins`);
    const r = prng(3);
    for (let i = 0; i < CALLS; i++) {
      const form = walkInForm(r);
      const submissionId = crypto.randomUUID();
      try {
        await rpc<TicketView>('registerWalkIn', { submissionId, form, acknowledgedDuplicates: [] });
      } catch (e) {
        if ((e as { code?: string }).code !== 'DUPLICATE_SUSPECTED') throw e;
        const { duplicates } = await rpc<{ duplicates: { id: string }[] }>('previewWalkIn', { form });
        await rpc('registerWalkIn', { submissionId, form, acknowledgedDuplicates: duplicates.map((d) => d.id) });
      }
    }

    const context = await browser.newContext({
      locale: 'en-IN',
      timezoneId: 'Asia/Kolkata',
      viewport: { width: 1920, height: 1080 },
    });
    await context.addInitScript({ content: BOARD_PROBE });
    const page = await context.newPage();
    await page.goto(boardUrl);
    await page.getByTestId('board').waitFor({ state: 'visible', timeout: 30_000 });
    // the event stream is open once the page has read its first view; a moment more for the stream
    await page.waitForTimeout(500);

    ctx.progress(`board: ${CALLS} calls`);
    const samples: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const ticket = await rpc<TicketView>('callNext', {});
      const answeredAt = performance.timeOrigin + performance.now();
      const handle = await page.waitForFunction(
        (token) => (window as unknown as { __boardShown: Map<string, number> }).__boardShown.get(token) ?? null,
        ticket.token,
        { timeout: SHOW_TIMEOUT_MS, polling: 'raf' },
      );
      const shownAt = (await handle.jsonValue()) as number;
      samples.push(Math.max(0, shownAt - answeredAt));
      await rpc('markNoShow', { ticketId: ticket.id });
    }
    return [
      ...latencyMetrics('board_call_latency', samples, TARGET_P99_MS).map((m) => ({
        ...m,
        value: round(m.value, 1),
        note: `${m.note}; "call next" answered to the board page (Chromium, web bridge) showing the token`,
      })),
    ];
  } finally {
    await browser?.close();
    await bridge.stop();
  }
}

export const benchmarks: Benchmark[] = [
  {
    name: 'board',
    description: 'the waiting hall board in Chromium through the web bridge: "call next" answered to the token on the board',
    run: runBoard,
  },
];
