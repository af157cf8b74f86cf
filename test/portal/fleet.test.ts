/**
 * The fleet view at the portal: each counter's latest report (POST /v1/reports, its own
 * device token, its own row), and what IT is shown (GET /admin/fleet, admin token only): who
 * is behind on uploads, on an old version, with a wrong clock or a failing printer, and when
 * each was last heard from. The page at /fleet carries no data and no inline script.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { load } from 'js-yaml';
import { afterEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { fleetReportSchema, type FleetReport } from '../../common/sync-protocol';
import { compareVersions, type FleetView } from '../../portal/fleet';
import { buildPortal, type Portal } from '../../portal/server';
import { ADMIN, CENTRE, NOW, OTHER_CENTRE, OTHER_TOKEN, TOKEN, batch, memoryPortal, walkIn } from './helpers';
import { freshPortalDatabase } from '../support/portal-engine';

/** a second counter's token of CENTRE */
const SECOND_TOKEN = Buffer.from('test device token, counter A2, centre 01').toString('base64url');

let portal: Portal | null = null;
let now = NOW;
afterEach(async () => {
  await portal?.close();
  portal = null;
  now = NOW;
});

async function start(options: Parameters<typeof memoryPortal>[0] = {}): Promise<Portal> {
  portal = await memoryPortal({ clock: () => now, ...options });
  await portal.store.addDevice({ token: SECOND_TOKEN, centreId: CENTRE, label: 'counter A2' }, NOW);
  return portal;
}

function report(deviceId: string, over: Partial<FleetReport> = {}): FleetReport {
  return {
    deviceId,
    centreId: CENTRE,
    counterCode: 'A1',
    appVersion: '1.4.0',
    schemaVersion: 7,
    pending: 0,
    oldestPendingAgeSeconds: null,
    rosterPulledAt: '2026-03-10T04:00:00.000Z',
    printer: { state: 'ok', errorCode: null, failedAt: null },
    clockOffsetMs: 300,
    counterTime: now.toISOString(),
    ...over,
  };
}

const post = (p: Portal, token: string, body: unknown) =>
  p.app.inject({ method: 'POST', url: '/v1/reports', headers: { authorization: `Bearer ${token}` }, payload: body as object });

async function fleet(p: Portal, token = ADMIN): Promise<FleetView> {
  const res = await p.app.inject({ method: 'GET', url: '/admin/fleet', headers: { authorization: `Bearer ${token}` } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<FleetView>();
}

const counters = (v: FleetView) => v.centres.flatMap((c) => c.counters.map((x) => ({ ...x, centre: c.centreId })));

describe('POST /v1/reports', () => {
  it("stores a counter's report under its centre and device, with its token's label", async () => {
    const p = await start();
    const device = randomUUID();
    const res = await post(p, TOKEN, report(device, { pending: 3, oldestPendingAgeSeconds: 120 }));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ stored: true, receivedAt: NOW.toISOString() });
    const [row] = counters(await fleet(p));
    expect(row).toMatchObject({
      centre: CENTRE,
      deviceId: device,
      counterCode: 'A1',
      label: 'counter A1',
      appVersion: '1.4.0',
      schemaVersion: 7,
      pending: 3,
      oldestPendingAgeSeconds: 120,
      clockOffsetMs: 300,
      printer: { state: 'ok' },
      receivedAt: NOW.toISOString(),
      lastHeardSecondsAgo: 0,
      flags: [],
    });
  });

  it('keeps only the latest report of a device: one row, the last one wins', async () => {
    const p = await start();
    const device = randomUUID();
    expect((await post(p, TOKEN, report(device, { pending: 5, oldestPendingAgeSeconds: 60 }))).statusCode).toBe(200);
    now = new Date(NOW.getTime() + 60_000);
    expect((await post(p, TOKEN, report(device, { pending: 0, appVersion: '1.5.0' }))).statusCode).toBe(200);
    const rows = counters(await fleet(p));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      pending: 0,
      oldestPendingAgeSeconds: null,
      appVersion: '1.5.0',
      receivedAt: now.toISOString(),
    });
  });

  it("refuses a report for another centre than the token's, and leaves that centre's rows alone", async () => {
    const p = await start();
    const device = randomUUID();
    await post(p, TOKEN, report(device, { pending: 1, oldestPendingAgeSeconds: 10 }));
    const res = await post(p, OTHER_TOKEN, report(device, { pending: 999 }));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'wrong_centre' });
    // the other centre's token may only write its own centre's rows: never this device's row in CENTRE
    expect((await post(p, OTHER_TOKEN, report(device, { centreId: OTHER_CENTRE, pending: 999 }))).statusCode).toBe(200);
    const rows = counters(await fleet(p));
    expect(rows.find((r) => r.centre === CENTRE)).toMatchObject({ deviceId: device, pending: 1, label: 'counter A1' });
    expect(rows.find((r) => r.centre === OTHER_CENTRE)).toMatchObject({ pending: 999, label: 'counter B1' });
  });

  it('refuses a report for a device bound to another token of the same centre', async () => {
    const p = await start();
    const device = randomUUID();
    // the device uploads with TOKEN: bound to it
    const pushed = await p.app.inject({
      method: 'POST',
      url: '/v1/push',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: batch(device, [walkIn(1)]),
    });
    expect(pushed.statusCode, pushed.body).toBe(200);
    const res = await post(p, SECOND_TOKEN, report(device, { pending: 999 }));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'device_token_mismatch' });
    expect(await fleet(p).then(counters)).toEqual([]);
    // its own token reports, and the row shows when its upload last moved
    expect((await post(p, TOKEN, report(device))).statusCode).toBe(200);
    expect(counters(await fleet(p))[0]).toMatchObject({ deviceId: device, lastUploadAt: NOW.toISOString() });
  });

  it('a device not yet bound keeps the token it first reported with', async () => {
    const p = await start();
    const device = randomUUID();
    expect((await post(p, TOKEN, report(device, { pending: 2, oldestPendingAgeSeconds: 5 }))).statusCode).toBe(200);
    const res = await post(p, SECOND_TOKEN, report(device, { pending: 999 }));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'device_token_mismatch' });
    expect(counters(await fleet(p))[0]).toMatchObject({ pending: 2, label: 'counter A1' });
  });

  it('one token is one counter: reports for three made-up device IDs with one token are refused from the second on', async () => {
    const p = await start();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(p, TOKEN, report(randomUUID(), { pending: i }))).statusCode);
    expect(statuses).toEqual([200, 403, 403]);
    const rows = counters(await fleet(p));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ pending: 0, label: 'counter A1' });
    // a token bound to its device by an upload reports for that device only, not for an unbound one
    const device = randomUUID();
    const pushed = await p.app.inject({
      method: 'POST',
      url: '/v1/push',
      headers: { authorization: `Bearer ${SECOND_TOKEN}` },
      payload: batch(device, [walkIn(1)]),
    });
    expect(pushed.statusCode, pushed.body).toBe(200);
    const other = await post(p, SECOND_TOKEN, report(randomUUID()));
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ error: 'device_token_mismatch' });
    expect((await post(p, SECOND_TOKEN, report(device, { counterCode: 'A2' }))).statusCode).toBe(200);
    expect(counters(await fleet(p))).toHaveLength(2);
  });

  it('refuses a malformed report with the field named, and a missing token', async () => {
    const p = await start();
    const bad = await post(p, TOKEN, { ...report(randomUUID()), pending: -1 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'invalid_request', message: expect.stringContaining('pending') });
    const extra = await post(p, TOKEN, { ...report(randomUUID()), note: '<b>x</b>' });
    expect(extra.statusCode).toBe(400);
    const anon = await p.app.inject({ method: 'POST', url: '/v1/reports', payload: report(randomUUID()) });
    expect(anon.statusCode).toBe(401);
  });
});

describe('GET /admin/fleet', () => {
  it('needs the admin token: none, a wrong one and a device token are refused', async () => {
    const p = await start();
    await post(p, TOKEN, report(randomUUID()));
    expect((await p.app.inject({ method: 'GET', url: '/admin/fleet' })).statusCode).toBe(401);
    for (const token of ['wrong-admin-token', TOKEN]) {
      const res = await p.app.inject({ method: 'GET', url: '/admin/fleet', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(401);
      expect(res.body).not.toContain('counter A1');
    }
  });

  it('flags who is behind, on an old version, with a wrong clock, a failing printer, or not heard from', async () => {
    const p = await start();
    const healthy = randomUUID();
    const stopped = randomUUID();
    const slowClock = randomUUID();
    const oldApp = randomUUID();
    const printer = randomUUID();
    const silent = randomUUID();
    // each counter its own token (one token reports for one device)
    const tokenOf = async (code: string) => {
      const token = Buffer.from(`test device token, counter ${code}, centre 01`).toString('base64url');
      if (!(await p.store.deviceByToken(token)))
        await p.store.addDevice({ token, centreId: CENTRE, label: `counter ${code}` }, NOW);
      return token;
    };
    const add = (token: string, device: string, over: Partial<FleetReport>) =>
      post(p, token, report(device, over)).then((r) => expect(r.statusCode, r.body).toBe(200));
    // 20 minutes ago: a counter that has not been heard from since, and one whose records had waited 10 minutes then
    await add(await tokenOf('A6'), silent, { counterCode: 'A6' });
    await add(SECOND_TOKEN, stopped, { counterCode: 'A2', pending: 12, oldestPendingAgeSeconds: 600 });
    now = new Date(NOW.getTime() + 20 * 60_000);
    await add(TOKEN, healthy, { counterCode: 'A1', pending: 2, oldestPendingAgeSeconds: 30 });
    await add(await tokenOf('A3'), slowClock, { counterCode: 'A3', clockOffsetMs: 3 * 60_000 });
    await add(await tokenOf('A4'), oldApp, { counterCode: 'A4', appVersion: '1.3.9' });
    await add(await tokenOf('A5'), printer, {
      counterCode: 'A5',
      printer: { state: 'failed', errorCode: 'paper_out', failedAt: now.toISOString() },
    });
    // a clock 2 minutes off exactly is still right
    await add(OTHER_TOKEN, randomUUID(), { centreId: OTHER_CENTRE, counterCode: 'B1', clockOffsetMs: -120_000 });

    const view = await fleet(p);
    const flags = Object.fromEntries(counters(view).map((c) => [c.counterCode, c.flags]));
    expect(flags).toEqual({
      A1: [],
      // 10 minutes waiting when it reported, 20 minutes not heard from since: 30 minutes now
      A2: ['behind', 'silent'],
      A3: ['clockWrong'],
      A4: ['oldVersion'],
      A5: ['printerFailing'],
      A6: ['silent'],
      B1: [],
    });
    expect(view.currentVersion).toBe('1.4.0');
    expect(view.flagged).toEqual({ behind: 1, oldVersion: 1, clockWrong: 1, printerFailing: 1, silent: 2 });
    expect(view.centres.map((c) => c.centreId)).toEqual([CENTRE, OTHER_CENTRE]);
    const a2 = counters(view).find((c) => c.counterCode === 'A2')!;
    expect(a2).toMatchObject({ lastHeardSecondsAgo: 20 * 60, oldestPendingAgeNowSeconds: 30 * 60 });
    // one centre only
    const only = await p.app.inject({
      method: 'GET',
      url: `/admin/fleet?centreId=${OTHER_CENTRE}`,
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(only.json<FleetView>().centres.map((c) => c.centreId)).toEqual([OTHER_CENTRE]);
  });

  it("holds counters to the portal's expected version when it is set", async () => {
    const p = await start({ fleet: { expectedVersion: '2.0.0' } });
    await post(p, TOKEN, report(randomUUID(), { appVersion: '1.4.0' }));
    const view = await fleet(p);
    expect(view.currentVersion).toBe('2.0.0');
    expect(counters(view)[0]!.flags).toEqual(['oldVersion']);
  });
});

describe('the Date header', () => {
  it("comes from the portal's clock on every answer (counters measure theirs against it)", async () => {
    const p = await start();
    now = new Date('2026-03-10T04:33:00.000Z');
    for (const res of [
      await p.app.inject({ method: 'GET', url: '/v1/health' }),
      await post(p, TOKEN, report(randomUUID())),
      await p.app.inject({ method: 'GET', url: '/v1/nothing-here' }),
    ]) {
      expect(res.headers.date).toBe('Tue, 10 Mar 2026 04:33:00 GMT');
    }
  });
});

describe('the fleet page', () => {
  it('loads without a token, holds no data, and allows no inline script or other origin', async () => {
    const p = await start();
    await post(p, TOKEN, report(randomUUID()));
    const page = await p.app.inject({ method: 'GET', url: '/fleet' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.body).not.toContain('counter A1');
    // no inline script or handler in the page
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.body).not.toMatch(/\son[a-z]+=/i);
    const script = await p.app.inject({ method: 'GET', url: '/fleet/fleet.js' });
    expect(script.statusCode).toBe(200);
    // values go in as text, the token as a header from sessionStorage
    expect(script.body).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    expect(script.body).toContain('textContent');
    expect(script.body).toContain('sessionStorage');
    expect(script.body).toMatch(/authorization: 'Bearer '/);
    expect((await p.app.inject({ method: 'GET', url: '/fleet/fleet.css' })).statusCode).toBe(200);
  });

  it('is not served by a portal without an admin token', async () => {
    const p = buildPortalWithoutAdmin();
    expect((await p.app.inject({ method: 'GET', url: '/fleet' })).statusCode).toBe(404);
  });
});

function buildPortalWithoutAdmin(): Portal {
  portal = buildPortal({ database: freshPortalDatabase() });
  return portal;
}

describe('versions', () => {
  it.each([
    ['1.4.0', '1.4.1', -1],
    ['1.10.0', '1.9.9', 1],
    ['2.0.0-beta.2', '2.0.0', -1],
    ['2.0.0-beta.10', '2.0.0-beta.2', 1],
    ['v1.2.3', '1.2.3', 0],
    ['1.2', '1.2.0', null],
  ] as const)('%s against %s: %s', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
  });
});

describe('FleetReport in portal/openapi.yaml', () => {
  it('names the same properties and required ones as the zod schema', () => {
    const doc = load(readFileSync(resolve(import.meta.dirname, '../../portal/openapi.yaml'), 'utf8')) as {
      components: { schemas: Record<string, { required?: string[]; properties?: Record<string, unknown> }> };
    };
    const documented = doc.components.schemas.FleetReport!;
    const shape = (fleetReportSchema as unknown as z.ZodObject).shape;
    const required = Object.entries(shape)
      .filter(([, s]) => !(s as z.ZodType).safeParse(undefined).success)
      .map(([k]) => k);
    expect([...(documented.required ?? [])].sort()).toEqual(required.sort());
    expect(Object.keys(documented.properties ?? {}).sort()).toEqual(Object.keys(shape).sort());
  });
});
