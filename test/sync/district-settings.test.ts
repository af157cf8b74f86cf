/**
 * District settings from a real reference portal on loopback to a counter with its real sync
 * worker: a version published at the portal is in force after the next pull (the next ticket
 * called, who is eligible, the vaccines), and a hostile answer on the way is refused and
 * logged while the settings in force stay.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CounterEvent } from '../../common/contract';
import { centreDay } from '../../common/rules/centre-day';
import { startPortalInProcess, type PortalHandle } from '../../portal/process';
import { SUBMISSION, walkInForm } from '../store/harness';
import { eventually, people, syncedCounter, type SyncedCounter } from './harness';
import { freshPortalDatabase } from '../support/portal-engine';

type Mode = 'pass' | 'wrong_centre' | 'bad_schema' | 'huge' | 'older';

let portal: PortalHandle;
let proxy: Server;
let proxyUrl = '';
let mode: Mode = 'pass';
/** settings requests that reached the proxy */
let settingsPulls = 0;
const counters: SyncedCounter[] = [];

const isSettings = (req: IncomingMessage) => /^\/v1\/centres\/[^/]+\/settings/.test(req.url ?? '');

/** Passes everything to the portal; the settings answers are spoiled as the mode says. */
function relay(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const settings = isSettings(req);
  if (settings) settingsPulls++;
  const target = new URL(portal.url);
  const up = httpRequest(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (upRes) => {
      const chunks: Buffer[] = [];
      upRes.on('data', (c: Buffer) => chunks.push(c));
      upRes.on('end', () => {
        let text = Buffer.concat(chunks).toString('utf8');
        if (settings && upRes.statusCode === 200) {
          const a = JSON.parse(text) as { centreId: string; version: number; settings: Record<string, unknown> };
          if (mode === 'wrong_centre') a.centreId = 'SOMEONE-ELSE';
          if (mode === 'bad_schema') a.settings = { ...a.settings, queuePolicy: { mode: 'fastest-first' } };
          if (mode === 'older') a.version = 1;
          text = JSON.stringify(a);
          if (mode === 'huge') text = `${text.slice(0, -1)},"padding":"${'x'.repeat(400 * 1024)}"}`;
        }
        res.writeHead(upRes.statusCode ?? 502, { 'content-type': 'application/json' });
        res.end(text);
      });
    },
  );
  up.on('error', () => res.destroy());
  up.end(body);
}

beforeAll(async () => {
  portal = await startPortalInProcess({ database: freshPortalDatabase() });
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => relay(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const c of counters) await c.dispose();
  proxy?.closeAllConnections();
  await new Promise((r) => proxy?.close(r));
  await portal?.stop();
});

async function publish(centreId: string, settings: unknown): Promise<{ version: number }> {
  const res = await fetch(`${portal.url}/admin/centres/${encodeURIComponent(centreId)}/settings`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${portal.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(settings),
    signal: AbortSignal.timeout(5000),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { version: number };
}

function middayToday(): Date {
  return new Date(`${centreDay(new Date(), 'Asia/Kolkata')}T12:00:00+05:30`);
}

async function counter(): Promise<{ c: SyncedCounter; logs: () => string }> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const c = await syncedCounter(
    { ...portal, url: proxyUrl },
    // the centre's midday today: the half hour the test moves the counter's clock on never
    // reaches its midnight (the roster it was given is for today)
    { roster: people(3, 21), signedIn: 'supervisor', log: pino({ level: 'info' }, sink), at: middayToday() },
  );
  counters.push(c);
  return { c, logs: () => lines.join('') };
}

const districtVersion = (c: SyncedCounter) => c.backend.appState().district?.version ?? 0;

const SIXTY_PLUS = [{ from: '2021-03-01', label: '60+ only', anyOf: [{ minAge: 60 }] }];
const CORBEVAX = [{ code: 'CORBEVAX', name: 'Corbevax' }];
const MAX_WAIT_10 = { mode: 'strict', walkInMaxWaitMinutes: 10 };

describe('district settings from the portal', () => {
  it('a new version is in force after the next pull: the next ticket called, eligibility and vaccines change', async () => {
    mode = 'pass';
    const { c, logs } = await counter();
    const events: CounterEvent[] = [];
    c.backend.events.on('event', (e) => events.push(e));
    // a walk-in who has waited 30 minutes, and a booked person who just arrived
    const walkIn = await c.ok('registerWalkIn', {
      submissionId: SUBMISSION(1),
      form: walkInForm(1, { birthYear: 1950 }),
      acknowledgedDuplicates: [],
    });
    c.clock.advance(30 * 60_000);
    const booked = await c.ok('checkIn', { refId: people(3, 21)[0]!.refId });
    const fifty = walkInForm(2, { birthYear: Number(c.today.slice(0, 4)) - 50 });
    expect((await c.ok('getQueue', {})).next).toMatchObject({ ticketId: booked.id, reason: 'priority_first' });
    expect((await c.ok('previewWalkIn', { form: fifty })).eligibility.eligible).toBe(true);
    expect(c.backend.appState().vaccines.map((v) => v.code)).not.toContain('CORBEVAX');

    await publish(c.centreId, { queuePolicy: MAX_WAIT_10, eligibility: SIXTY_PLUS, vaccines: CORBEVAX });
    await c.ok('syncNow', {});
    await eventually(() => expect(districtVersion(c)).toBe(1), 15_000);

    expect((await c.ok('getQueue', {})).next).toMatchObject({ ticketId: walkIn.id, reason: 'max_wait' });
    expect((await c.ok('callNext', {})).id).toBe(walkIn.id);
    expect((await c.ok('previewWalkIn', { form: fifty })).eligibility).toMatchObject({ eligible: false, phase: '60+ only' });
    expect(c.backend.appState().vaccines).toEqual(CORBEVAX);
    expect(c.backend.appState().district).toMatchObject({ version: 1, parts: ['queuePolicy', 'eligibility', 'vaccines'] });
    // the page is told to read the policy and the queue again
    await eventually(() => expect(events).toContainEqual({ type: 'changed', method: 'updateQueuePolicy' }), 5000);
    expect(logs()).toMatch(/district settings applied/);

    // the next version replaces the whole set
    await publish(c.centreId, { vaccines: [{ code: 'COVAXIN', name: 'Covaxin' }] });
    await c.ok('syncNow', {});
    await eventually(() => expect(districtVersion(c)).toBe(2), 15_000);
    expect(c.backend.appState().vaccines).toEqual([{ code: 'COVAXIN', name: 'Covaxin' }]);
    expect((await c.ok('previewWalkIn', { form: fifty })).eligibility.eligible).toBe(true);
  }, 60_000);

  it.each([
    ['wrong_centre', /the settings are for centre SOMEONE-ELSE[^\n]*"msg":"district settings refused/],
    ['bad_schema', /settings\.queuePolicy\.mode[^\n]*"msg":"district settings refused/],
    ['huge', /byte limit[^\n]*"msg":"district settings refused/],
    ['older', /"version":1,"inForce":1[^\n]*"msg":"district settings not newer than those in force: ignored/],
  ] as const)(
    'an answer spoiled as %s is refused and logged, and the settings in force stay',
    async (spoil, logged) => {
      mode = 'pass';
      const { c, logs } = await counter();
      await publish(c.centreId, { vaccines: CORBEVAX });
      await c.ok('syncNow', {});
      await eventually(() => expect(districtVersion(c)).toBe(1), 15_000);

      const pulls = settingsPulls;
      mode = spoil;
      await publish(c.centreId, { vaccines: [{ code: 'COVAXIN', name: 'Covaxin' }], eligibility: SIXTY_PLUS });
      await c.ok('syncNow', {});
      await eventually(() => expect(logs()).toMatch(logged), 15_000);
      expect(settingsPulls).toBeGreaterThan(pulls);
      expect(districtVersion(c)).toBe(1);
      expect(c.backend.appState().vaccines).toEqual(CORBEVAX);

      // the portal's own answer, once it comes through, is applied
      mode = 'pass';
      await c.ok('syncNow', {});
      await eventually(() => expect(districtVersion(c)).toBe(2), 15_000);
      expect(c.backend.appState().vaccines).toEqual([{ code: 'COVAXIN', name: 'Covaxin' }]);
    },
    60_000,
  );
});
