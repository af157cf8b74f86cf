/**
 * The district's read side: per centre and day, the records received (walk-ins and check-ins),
 * possible duplicates, rejected mutations and ticket events, with the counters behind on uploads
 * from the counters' own reports (GET /admin/district/day, admin token only), and the page at
 * /district that shows them to the district officer, every value as text. Only the portal's
 * public API is used, so the same tests hold on SQLite and on PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pushResponseSchema, type FleetReport, type Mutation, type PushResponse } from '../../common/sync-protocol';
import { districtDayReport, type DistrictDayReport } from '../../portal/district-report';
import type { FleetRow } from '../../portal/store-api';
import { buildPortal, type Portal } from '../../portal/server';
import { freshPortalDatabase } from '../support/portal-engine';
import {
  ADMIN,
  CENTRE,
  DAY,
  NOW,
  OTHER_CENTRE,
  OTHER_TOKEN,
  TOKEN,
  batch,
  checkIn,
  memoryPortal,
  newAadhaar,
  push,
  ticketEvent,
  walkIn,
} from './helpers';

/** jsdom (which ships no types of its own): the page is run in it as a browser would run it */
interface JSDOM {
  window: Window & typeof globalThis;
}
interface JSDOMOptions {
  url: string;
  runScripts: 'dangerously';
  beforeParse(window: Window & typeof globalThis): void;
}
const { JSDOM } = createRequire(import.meta.url)('jsdom') as { JSDOM: new (html: string, options: JSDOMOptions) => JSDOM };

const NEXT_DAY = '2026-03-11';
const NEXT_NOW = new Date('2026-03-11T05:00:00.000Z');
/** a second counter of CENTRE, and the one counter of a third centre that has uploaded nothing */
const SECOND_TOKEN = Buffer.from('test device token, counter A2, centre 01').toString('base64url');
const THIRD_CENTRE = 'TEST-CENTRE-03';
const THIRD_TOKEN = Buffer.from('test device token, counter C1, centre 03').toString('base64url');
/** a centre ID and a counter code with markup in them: shown as text, never run */
const MARKUP_CENTRE = '<img src=x onerror="window.__pwned=1">C4';
const MARKUP_CODE = '<b>X</b>';
const MARKUP_TOKEN = Buffer.from('test device token, counter X, centre 04').toString('base64url');

let portal: Portal | null = null;
let now = NOW;
afterEach(async () => {
  await portal?.close();
  portal = null;
  now = NOW;
});

async function start(): Promise<Portal> {
  portal = await memoryPortal({ clock: () => now });
  await portal.store.addDevice({ token: SECOND_TOKEN, centreId: CENTRE, label: 'counter A2' }, NOW);
  await portal.store.addDevice({ token: THIRD_TOKEN, centreId: THIRD_CENTRE, label: 'counter C1' }, NOW);
  await portal.store.addDevice({ token: MARKUP_TOKEN, centreId: MARKUP_CENTRE, label: 'counter X' }, NOW);
  return portal;
}

async function pushOk(p: Portal, body: unknown, token = TOKEN): Promise<PushResponse> {
  const res = await push(p, body, token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return pushResponseSchema.parse(res.body);
}

const onDay = (m: Mutation, day: string): Mutation => ({ ...m, payload: { ...m.payload, day } });

async function get(p: Portal, url: string, token: string | null = ADMIN) {
  const res = await p.app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.statusCode, body: res.json<Record<string, unknown>>(), headers: res.headers };
}

async function report(p: Portal, query: string): Promise<DistrictDayReport> {
  const res = await get(p, `/admin/district/day?${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as unknown as DistrictDayReport;
}

function fleetReport(deviceId: string, centreId: string, counterCode: string, over: Partial<FleetReport> = {}): FleetReport {
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
    clockOffsetMs: 200,
    counterTime: now.toISOString(),
    ...over,
  };
}

async function reportFleet(p: Portal, token: string, body: FleetReport): Promise<void> {
  const res = await p.app.inject({
    method: 'POST',
    url: '/v1/reports',
    headers: { authorization: `Bearer ${token}` },
    payload: body as object,
  });
  expect(res.statusCode, res.body).toBe(200);
}

const zeros = {
  records: 0,
  walkIns: 0,
  checkIns: 0,
  possibleDuplicates: 0,
  rejected: 0,
  ticketEvents: 0,
  countersBehind: 0,
  countersBehindCodes: [],
  counters: 0,
};

/**
 * Two days at two centres. Day one: CENTRE takes two walk-ins with one Aadhaar (the second a
 * possible duplicate), a check-in, a ticket called, and a provisional check-in with no booking
 * (rejected); OTHER_CENTRE one walk-in. Day two: CENTRE one walk-in and one more rejected.
 */
async function twoDaysAtTwoCentres(p: Portal): Promise<void> {
  const device = randomUUID();
  const aadhaar = newAadhaar();
  const first = walkIn(1, { photoIdNumber: aadhaar });
  const day1 = await pushOk(
    p,
    batch(device, [
      first,
      walkIn(2, { photoIdNumber: aadhaar }),
      checkIn(3, { refId: 'REF100001' }),
      ticketEvent(4, first.recordId),
      checkIn(5, { refId: 'REF999999', verified: false }),
    ]),
  );
  expect(day1.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied', 'applied', 'rejected']);
  expect(day1.results[1]!.flags).toEqual(['possible_duplicate']);
  await pushOk(p, batch(randomUUID(), [walkIn(1)], OTHER_CENTRE), OTHER_TOKEN);
  now = NEXT_NOW;
  const day2 = await pushOk(
    p,
    batch(device, [onDay(walkIn(6), NEXT_DAY), checkIn(7, { refId: 'REF999998', verified: false, day: NEXT_DAY })]),
  );
  expect(day2.results.map((r) => r.status)).toEqual(['applied', 'rejected']);
}

describe('GET /admin/district/day', () => {
  it('counts records, walk-ins, check-ins, possible duplicates, rejections and ticket events per centre and day', async () => {
    const p = await start();
    await twoDaysAtTwoCentres(p);

    const first = await report(p, `date=${DAY}`);
    expect(first.date).toBe(DAY);
    expect(first.generatedAt).toBe(NEXT_NOW.toISOString());
    expect(first.centres).toEqual([
      { ...zeros, centreId: CENTRE, records: 3, walkIns: 2, checkIns: 1, possibleDuplicates: 1, rejected: 1, ticketEvents: 1 },
      { ...zeros, centreId: OTHER_CENTRE, records: 1, walkIns: 1 },
    ]);
    expect(first.totals).toEqual({
      centres: 2,
      records: 4,
      walkIns: 3,
      checkIns: 1,
      possibleDuplicates: 1,
      rejected: 1,
      ticketEvents: 1,
      countersBehind: 0,
      counters: 0,
    });

    const second = await report(p, `date=${NEXT_DAY}`);
    expect(second.centres).toEqual([{ ...zeros, centreId: CENTRE, records: 1, walkIns: 1, rejected: 1 }]);
    expect(second.totals).toMatchObject({ centres: 1, records: 1, walkIns: 1, rejected: 1 });

    // a day with nothing: no centre, zero totals
    const empty = await report(p, 'date=2026-03-12');
    expect(empty.centres).toEqual([]);
    expect(empty.totals).toMatchObject({ centres: 0, records: 0, rejected: 0 });
  });

  it('a resent batch changes no figure (each mutation counted once)', async () => {
    const p = await start();
    const body = batch(randomUUID(), [walkIn(1), checkIn(2, { refId: 'REF999999', verified: false })]);
    await pushOk(p, body);
    const before = await report(p, `date=${DAY}`);
    const again = await pushOk(p, body);
    expect(again.results.map((r) => r.status)).toEqual(['duplicate', 'rejected']);
    const after = await report(p, `date=${DAY}`);
    expect(after.centres).toEqual(before.centres);
    expect(after.centres[0]).toMatchObject({ centreId: CENTRE, records: 1, walkIns: 1 });
  });

  it('shows only the centre asked for, and nothing for a centre it does not know', async () => {
    const p = await start();
    await twoDaysAtTwoCentres(p);
    const other = await report(p, `date=${DAY}&centreId=${OTHER_CENTRE}`);
    expect(other.centres).toEqual([{ ...zeros, centreId: OTHER_CENTRE, records: 1, walkIns: 1 }]);
    expect(other.totals).toMatchObject({ centres: 1, records: 1, walkIns: 1, rejected: 0 });
    const unknown = await report(p, `date=${DAY}&centreId=NO-SUCH-CENTRE`);
    expect(unknown.centres).toEqual([]);
    expect(unknown.totals.records).toBe(0);
  });

  it('counts the counters behind on uploads from their reports, and lists a centre with counters but no records', async () => {
    const p = await start();
    const [a1, a2, c1] = [randomUUID(), randomUUID(), randomUUID()];
    // a token is one counter: A1 uploads and reports under one device ID
    await pushOk(p, batch(a1, [walkIn(1)]));
    // A1 uploads as it should; A2 has had 5 records waiting for 20 minutes (the limit is 15)
    await reportFleet(p, TOKEN, fleetReport(a1, CENTRE, 'A1', { pending: 1, oldestPendingAgeSeconds: 30 }));
    await reportFleet(p, SECOND_TOKEN, fleetReport(a2, CENTRE, 'A2', { pending: 5, oldestPendingAgeSeconds: 20 * 60 }));
    // the third centre's counter reports but has uploaded nothing that day
    await reportFleet(p, THIRD_TOKEN, fleetReport(c1, THIRD_CENTRE, 'C1'));

    const day = await report(p, `date=${DAY}`);
    expect(day.behindAfterMinutes).toBe(15);
    expect(day.centres).toEqual([
      { ...zeros, centreId: CENTRE, records: 1, walkIns: 1, counters: 2, countersBehind: 1, countersBehindCodes: ['A2'] },
      { ...zeros, centreId: THIRD_CENTRE, counters: 1 },
    ]);
    expect(day.totals).toMatchObject({ centres: 2, counters: 3, countersBehind: 1, records: 1 });

    // the same counters, 10 minutes on: A1's one record has waited 10.5 minutes, not yet behind;
    // the third centre's counter, silent and with nothing waiting, is not behind either
    now = new Date(NOW.getTime() + 10 * 60_000);
    const later = await report(p, `date=${DAY}&centreId=${THIRD_CENTRE}`);
    expect(later.centres).toEqual([{ ...zeros, centreId: THIRD_CENTRE, counters: 1 }]);
    now = new Date(NOW.getTime() + 16 * 60_000);
    const behind = await report(p, `date=${DAY}&centreId=${CENTRE}`);
    expect(behind.centres[0]).toMatchObject({ countersBehind: 2, countersBehindCodes: ['A1', 'A2'], counters: 2 });
  });

  it('refuses a bad day, a missing one and an unknown field with 400 naming the field', async () => {
    const p = await start();
    for (const [query, field] of [
      ['date=2026-02-30', /^date: /],
      ['date=10-03-2026', /^date: /],
      ['', /^date: /],
      ['date=2026-03-10&date=2026-03-11', /^date: /],
      ['date=2026-03-10&centre=X', /^centre: not a field/],
      ['date=2026-03-10&centreId=', /^centreId: /],
      [`date=2026-03-10&centreId=${'C'.repeat(65)}`, /^centreId: /],
    ] as const) {
      const res = await get(p, `/admin/district/day?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body, query).toMatchObject({ error: 'invalid_request' });
      expect(String(res.body.message), query).toMatch(field);
    }
  });

  it('needs the admin token: none, a wrong one or a device token is refused with 401', async () => {
    const p = await start();
    await pushOk(p, batch(randomUUID(), [walkIn(1)]));
    for (const token of [null, 'not-the-admin-token', TOKEN]) {
      const res = await get(p, `/admin/district/day?date=${DAY}`, token);
      expect(res.status, String(token)).toBe(401);
      expect(res.body).toMatchObject({ error: 'unauthorized' });
      expect(JSON.stringify(res.body)).not.toContain(CENTRE);
    }
    expect((await get(p, `/admin/district/day?date=${DAY}`)).headers['cache-control']).toBe('no-store');
  });
});

describe('districtDayReport', () => {
  const row = (deviceId: string, counterCode: string, over: Partial<FleetRow> = {}): FleetRow => ({
    ...fleetReport(deviceId, CENTRE, counterCode),
    label: '',
    revoked: false,
    receivedAt: NOW.toISOString(),
    lastUploadAt: null,
    ...over,
  });
  const waiting = { pending: 4, oldestPendingAgeSeconds: 30 * 60 };

  it("leaves out a counter whose token was revoked, names a code once, and keeps the fleet's limit", () => {
    const fleet = [
      row('d1', 'A1', waiting),
      // the same counter code on a second PC (enrolled again), also behind: one code, two counters
      row('d2', 'A1', waiting),
      row('d3', 'A2', { ...waiting, revoked: true }),
      row('d4', 'A3'),
    ];
    const report = districtDayReport({ date: DAY, now: NOW, rows: [], fleet });
    expect(report.centres).toEqual([{ ...zeros, centreId: CENTRE, counters: 3, countersBehind: 2, countersBehindCodes: ['A1'] }]);
    const lenient = districtDayReport({ date: DAY, now: NOW, rows: [], fleet, settings: { behindAfterMinutes: 60 } });
    expect(lenient.behindAfterMinutes).toBe(60);
    expect(lenient.centres[0]).toMatchObject({ countersBehind: 0, countersBehindCodes: [] });
  });
});

describe('the district page', () => {
  it('loads without a token, holds no data, and allows no inline script or other origin', async () => {
    const p = await start();
    await pushOk(p, batch(randomUUID(), [walkIn(1)]));
    const page = await p.app.inject({ method: 'GET', url: '/district' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.body).not.toContain(CENTRE);
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.body).not.toMatch(/\son[a-z]+=/i);
    // English and Hindi labels together
    expect(page.body).toContain('Records received');
    expect(page.body).toContain('प्राप्त रिकॉर्ड');
    const script = await p.app.inject({ method: 'GET', url: '/district/district.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.body).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    expect(script.body).toContain('textContent');
    expect(script.body).toContain('sessionStorage');
    expect(script.body).not.toContain('localStorage');
    const style = await p.app.inject({ method: 'GET', url: '/district/district.css' });
    expect(style.statusCode).toBe(200);
    expect(style.headers['content-security-policy']).toBe(csp);
    // the Devanagari font the counter ships, from the page's own origin (font-src 'self'), so Hindi reads on any PC
    expect(csp).toMatch(/font-src 'self'/);
    expect(style.body).toContain('url(/district/devanagari-400.woff2)');
    for (const weight of ['400', '700']) {
      const font = await p.app.inject({ method: 'GET', url: `/district/devanagari-${weight}.woff2` });
      expect(font.statusCode).toBe(200);
      expect(font.headers['content-type']).toBe('font/woff2');
      expect(font.rawPayload.subarray(0, 4).toString('latin1')).toBe('wOF2');
    }
  });

  it('is not served, nor its JSON, by a portal without an admin token', async () => {
    portal = buildPortal({ database: freshPortalDatabase(), clock: () => now });
    await portal.app.ready();
    for (const url of ['/district', '/district/district.js', `/admin/district/day?date=${DAY}`]) {
      expect((await portal.app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
  });

  it('shows each centre, its figures and its counters behind, with markup in a centre ID or a counter code as text', async () => {
    const p = await start();
    await twoDaysAtTwoCentres(p);
    now = NOW;
    // the markup centre: a walk-in, and its counter behind on uploads
    const x = randomUUID();
    await pushOk(p, batch(x, [walkIn(1)], MARKUP_CENTRE), MARKUP_TOKEN);
    await reportFleet(p, MARKUP_TOKEN, fleetReport(x, MARKUP_CENTRE, MARKUP_CODE, { pending: 2, oldestPendingAgeSeconds: 3600 }));

    const dom = await openPage(p);
    try {
      await checkPage(dom);
    } finally {
      dom.window.close();
    }
  });
});

async function checkPage(dom: JSDOM): Promise<void> {
  const doc = dom.window.document;
  // before the token: the sign-in form, no figures
  expect(doc.getElementById('sign-in')!.hidden).toBe(false);
  expect(doc.querySelectorAll('#rows tr')).toHaveLength(0);

  // a wrong token is refused next to its field
  signIn(dom, 'not-the-admin-token');
  await vi.waitFor(() => expect(doc.getElementById('token-error')!.textContent).toContain('refused this admin token'), {
    timeout: 5000,
  });
  expect(doc.getElementById('token-error')!.textContent).toContain('पोर्टल ने यह एडमिन टोकन अस्वीकार किया');

  signIn(dom, ADMIN);
  await vi.waitFor(() => expect(doc.querySelectorAll('#rows tr')).toHaveLength(3), { timeout: 5000 });
  // the day defaults to today in the portal's clock
  expect((doc.getElementById('date') as HTMLInputElement).value).toBe(DAY);
  expect(dom.window.sessionStorage.getItem('district.adminToken')).toBe(ADMIN);

  const row = (centreId: string) =>
    [...doc.querySelectorAll<HTMLTableRowElement>('#rows tr')].find((tr) => tr.dataset.centre === centreId)!;
  const cells = (tr: HTMLTableRowElement) => [...tr.querySelectorAll('td')].map((td) => td.textContent);
  // CENTRE: 3 records (2 walk-ins, 1 check-in), 1 possible duplicate, 1 rejected, 1 ticket event
  expect(cells(row(CENTRE)).slice(0, 7)).toEqual(['3', '2', '1', '1', '1', '1', '0']);
  expect(row(CENTRE).className).toBe('attention');
  expect(row(CENTRE).textContent).toContain('1 rejected / 1 अस्वीकृत');
  expect(row(OTHER_CENTRE).className).toBe('');
  expect(row(OTHER_CENTRE).textContent).toContain('OK / ठीक');

  // the markup centre and its counter code are text: no element of theirs, nothing ran
  const marked = row(MARKUP_CENTRE);
  expect(marked.querySelector('th')!.textContent).toContain(MARKUP_CENTRE);
  expect(marked.textContent).toContain(MARKUP_CODE);
  expect(marked.textContent).toContain('1 behind on uploads / 1 अपलोड में पीछे');
  expect(marked.dataset.flags).toBe('behind');
  expect(doc.querySelectorAll('#report img, #report b, #centre img')).toHaveLength(0);
  expect([...doc.querySelectorAll('#centre option')].map((o) => o.textContent)).toContain(MARKUP_CENTRE);
  expect((dom.window as unknown as { __pwned?: number }).__pwned).toBeUndefined();

  // totals
  const totals = [...doc.querySelectorAll('#totals td')].map((td) => td.textContent);
  expect(totals.slice(1, 8)).toEqual(['5', '4', '1', '1', '1', '1', '1']);

  // the centre filter asks the portal for that centre only
  const centre = doc.getElementById('centre') as HTMLSelectElement;
  centre.value = OTHER_CENTRE;
  centre.dispatchEvent(new dom.window.Event('change'));
  await vi.waitFor(() => expect(doc.querySelectorAll('#rows tr')).toHaveLength(1), { timeout: 5000 });
  expect(row(OTHER_CENTRE)).toBeDefined();

  // another day
  centre.value = '';
  const date = doc.getElementById('date') as HTMLInputElement;
  date.value = NEXT_DAY;
  date.dispatchEvent(new dom.window.Event('change'));
  await vi.waitFor(() => expect(doc.getElementById('caption')!.textContent).toContain(NEXT_DAY), { timeout: 5000 });
  expect(cells(row(CENTRE)).slice(0, 6)).toEqual(['1', '1', '0', '0', '1', '0']);

  // no day chosen: said next to the day's field, in English and Hindi, and nothing asked of the portal
  date.value = '';
  doc.getElementById('filters')!.dispatchEvent(new dom.window.Event('submit', { cancelable: true }));
  expect(doc.getElementById('date-error')!.textContent).toBe('Choose a day (YYYY-MM-DD). / दिन (YYYY-MM-DD) चुनें।');
  expect(doc.getElementById('date')!.getAttribute('aria-describedby')).toBe('date-error');
  expect(doc.getElementById('caption')!.textContent).toContain(NEXT_DAY);
}

/**
 * The page as the portal serves it, in jsdom: its own script run in it, its requests answered
 * by the portal (app.inject), the portal's Date header included.
 */
async function openPage(p: Portal): Promise<JSDOM> {
  const html = (await p.app.inject({ method: 'GET', url: '/district' })).body;
  const script = (await p.app.inject({ method: 'GET', url: '/district/district.js' })).body;
  const inline = html.replace(/<script src="\/district\/district\.js" defer><\/script>/, () => `<script>${script}</script>`);
  expect(inline).not.toBe(html);
  const dom = new JSDOM(inline, {
    url: 'http://127.0.0.1/district',
    runScripts: 'dangerously',
    beforeParse(window) {
      Object.assign(window, {
        fetch: async (url: string, init: { headers?: Record<string, string> } = {}) => {
          const res = await p.app.inject({ method: 'GET', url, headers: init.headers ?? {} });
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, String(v));
          return new Response(res.body, { status: res.statusCode, headers });
        },
      });
    },
  });
  await new Promise<void>((resolve) => {
    if (dom.window.document.readyState !== 'loading') resolve();
    else dom.window.document.addEventListener('DOMContentLoaded', () => resolve());
  });
  return dom;
}

function signIn(dom: JSDOM, token: string): void {
  const doc = dom.window.document;
  (doc.getElementById('token') as HTMLInputElement).value = token;
  doc.getElementById('sign-in')!.dispatchEvent(new dom.window.Event('submit', { cancelable: true }));
}
