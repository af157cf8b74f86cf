/**
 * The counter's fleet report: what it says (read from a store with a backlog and a failed
 * slip, on an injected clock), its clock measured against a portal whose Date header is 3
 * minutes ahead, and that a report never delays or fails an upload (a hung or failing report
 * is let go and sent again later), with reports every 5 minutes when idle.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { syncSettingsSchema } from '../../common/domain';
import { fleetReportSchema, type FleetReport } from '../../common/sync-protocol';
import { openDatabase, type Db } from '../../main/store/database';
import { MIGRATIONS } from '../../main/store/migrations';
import { insertPrintJob, setPrintJobStatus } from '../../main/store/print-jobs';
import { SyncEngine } from '../../main/sync/engine';
import { REPORT_EVERY_MS, fleetReportOf } from '../../main/sync/fleet-report';
import { PortalClient, clockOffsetOf } from '../../main/sync/portal-client';
import { fleetView } from '../../portal/fleet';
import { startPortalInProcess } from '../../portal/process';
import { startPortal } from '../../portal/server';
import { tempDir } from '../store/harness';
import { freshPortalDatabase } from '../support/portal-engine';
import { eventually, syncedCounter } from './harness';
import { ManualClock } from './manual-clock';
import { CENTRE, DEVICE, json, pendingIn, runCleanups, scriptedPortal } from './scripted-portal';

afterEach(async () => {
  await runCleanups();
});

const T0 = Date.parse('2026-11-25T04:00:00.250Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

function counterDb(): Db {
  const db = openDatabase(join(tempDir('fleet-'), 'counter.db'));
  dbs.push(db);
  return db;
}

/** Pending outbox rows created at these times (the counter's clock). */
function addPending(db: Db, times: string[]): void {
  const insert = db.prepare(
    "INSERT INTO outbox (mutation_id, kind, record_id, payload, created_at) VALUES (?, 'ticket.called', ?, ?, ?)",
  );
  for (const t of times) insert.run(uuidv7(), uuidv7(), JSON.stringify({ ticketId: uuidv7(), day: t.slice(0, 10) }), t);
}

/** A test slip that printed, then one that failed for want of paper. */
function addPrintJobs(db: Db): void {
  // the print jobs' operator is not what this test is about
  db.pragma('foreign_keys = OFF');
  const job = (id: string, minutes: number) =>
    insertPrintJob(db, {
      id,
      ticketId: null,
      kind: 'test',
      printer: 'tcp://127.0.0.1:9100',
      paper: '80mm',
      requestedAt: at(minutes),
      requestedBy: uuidv7(),
    });
  const printed = uuidv7();
  const failed = uuidv7();
  job(printed, 1);
  setPrintJobStatus(db, printed, 'printed', null, at(1.1));
  job(failed, 5);
  setPrintJobStatus(db, failed, 'failed', { code: 'paper_out', message: 'the printer is out of paper' }, at(5.1));
}

const SOURCE = { deviceId: DEVICE, centreId: CENTRE, counterCode: 'C1', timeZone: 'Asia/Kolkata', appVersion: '1.4.0' };

describe('the fleet report', () => {
  it('says what waits and for how long, the printer, the version and schema, on the clock it is given', () => {
    const db = counterDb();
    addPending(db, [at(0), at(1), at(2)]);
    addPrintJobs(db);
    const report = fleetReportOf({ ...SOURCE, db }, new Date(at(20)), {
      rosterPulledAt: at(15),
      clockOffsetMs: 181_250,
    });
    expect(fleetReportSchema.parse(report)).toEqual(report);
    expect(report).toEqual({
      deviceId: DEVICE,
      centreId: CENTRE,
      counterCode: 'C1',
      appVersion: '1.4.0',
      schemaVersion: MIGRATIONS.length,
      pending: 3,
      // the oldest record was made 20 minutes before the report, by the same clock
      oldestPendingAgeSeconds: 20 * 60,
      rosterPulledAt: at(15),
      printer: { state: 'failed', errorCode: 'paper_out', failedAt: at(5.1) },
      clockOffsetMs: 181_250,
      counterTime: at(20),
    } satisfies FleetReport);
  });

  it('with nothing waiting and no slip today: no age, printer unknown', () => {
    const db = counterDb();
    const report = fleetReportOf({ ...SOURCE, db }, new Date(at(20)), { rosterPulledAt: null, clockOffsetMs: null });
    expect(report).toMatchObject({ pending: 0, oldestPendingAgeSeconds: null, printer: { state: 'unknown' } });
  });

  it('the clock offset is the Date header (its second, middle) against the middle of the request', () => {
    const sent = T0;
    // the portal's clock is 3 minutes ahead; the answer took 400 ms; its header is cut to the second
    const portalDate = Math.floor((sent + 200 + 180_000) / 1000) * 1000;
    const offset = clockOffsetOf({ portalDate, sentAt: sent, answeredAt: sent + 400 });
    expect(Math.abs(offset - 180_000)).toBeLessThanOrEqual(500);
  });
});

interface Scripted {
  reports: FleetReport[];
  pushes: number;
}

/**
 * A portal on loopback whose clock is `skewMs` ahead of the counter's (its Date header): it
 * takes uploads, answers an empty roster, and answers reports as `onReport` says.
 */
async function skewedPortal(
  clock: ManualClock,
  skewMs: number,
  onReport: (res: ServerResponse, n: number) => void = (res) =>
    json(res, 200, { stored: true, receivedAt: new Date().toISOString() }),
) {
  const seen: Scripted = { reports: [], pushes: 0 };
  let lastApplied = 0;
  const portal = await scriptedPortal((req: IncomingMessage, res: ServerResponse, body: string) => {
    res.setHeader('date', new Date(clock.date().getTime() + skewMs).toUTCString());
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v1/push') {
      seen.pushes++;
      const batch = JSON.parse(body) as { mutations: { seq: number; mutationId: string }[] };
      lastApplied = Math.max(lastApplied, ...batch.mutations.map((m) => m.seq));
      return json(res, 200, {
        deviceId: DEVICE,
        lastAppliedSeq: lastApplied,
        results: batch.mutations.map((m) => ({ seq: m.seq, mutationId: m.mutationId, status: 'applied' })),
      });
    }
    if (url.pathname === '/v1/reports') {
      seen.reports.push(fleetReportSchema.parse(JSON.parse(body)));
      return onReport(res, seen.reports.length);
    }
    const roster = /^\/v1\/centres\/([^/]+)\/roster\/([^/]+)$/.exec(url.pathname);
    if (roster) {
      return json(res, 200, {
        centreId: CENTRE,
        date: decodeURIComponent(roster[2]!),
        changes: [],
        cursor: 'c1',
        hasMore: false,
      });
    }
    json(res, 404, { error: 'not_found', message: 'no' });
  }, clock);
  return { portal, seen };
}

function engineOn(url: string, db: Db, clock: ManualClock): SyncEngine {
  const engine = new SyncEngine({
    db,
    // the counter's clock is the engine's: the Date header is measured against it
    client: new PortalClient({ baseUrl: url, deviceToken: 'test-token-0123456789', wallClock: () => clock.date().getTime() }),
    clock,
    deviceId: DEVICE,
    centreId: CENTRE,
    counterCode: 'C1',
    timeZone: 'Asia/Kolkata',
    appVersion: '1.4.0',
    settings: syncSettingsSchema.parse({ requestTimeoutSeconds: 5 }),
    log: { info() {}, warn() {}, error() {} },
  });
  return engine;
}

describe('the fleet report from the sync engine', () => {
  it('measures its clock against a portal 3 minutes ahead: in its status and in its report', async () => {
    const clock = new ManualClock(new Date(T0));
    const { portal, seen } = await skewedPortal(clock, 3 * 60_000);
    const db = counterDb();
    addPending(db, [at(0), at(0)]);
    const engine = engineOn(portal.url, db, clock);
    engine.start();
    try {
      await clock.advanceUntil(() => seen.reports.length >= 1, { stepMs: 20, maxMs: 30_000 });
      const report = seen.reports[0]!;
      expect(report.clockOffsetMs).not.toBeNull();
      expect(Math.abs(report.clockOffsetMs! - 180_000)).toBeLessThanOrEqual(1000);
      expect(report).toMatchObject({ deviceId: DEVICE, centreId: CENTRE, appVersion: '1.4.0', pending: 0 });
      expect(engine.status.clockOffsetMs).toBe(180_000);
    } finally {
      await engine.stop();
    }
  });

  it('a report that hangs or fails never holds up an upload, and is sent again later; idle, one every 5 minutes', async () => {
    const clock = new ManualClock(new Date(T0));
    // the first report never answers, the second fails, then they go through
    const { portal, seen } = await skewedPortal(clock, 0, (res, n) => {
      if (n === 1) return; // hangs
      if (n === 2) return json(res, 500, { error: 'internal', message: 'down' });
      json(res, 200, { stored: true, receivedAt: new Date().toISOString() });
    });
    const db = counterDb();
    addPending(db, [at(0)]);
    const engine = engineOn(portal.url, db, clock);
    engine.start();
    try {
      await clock.advanceUntil(() => seen.reports.length === 1, { stepMs: 20, maxMs: 30_000 });
      // records made while the report hangs upload at once, and nothing says the portal failed
      addPending(db, [clock.date().toISOString(), clock.date().toISOString()]);
      const pushesBefore = seen.pushes;
      engine.nudge();
      const took = await clock.advanceUntil(() => pendingIn(db) === 0, { stepMs: 20, maxMs: 5_000 });
      expect(took).toBeLessThan(1000);
      expect(seen.pushes).toBeGreaterThan(pushesBefore);
      expect(engine.status).toMatchObject({ state: 'online', lastError: null });
      // the hung report is let go at its deadline; the failing one after it changes nothing either
      await clock.advanceUntil(() => seen.reports.length >= 2, { stepMs: 200, maxMs: 6 * 60_000 });
      expect(engine.status).toMatchObject({ state: 'online', lastError: null });
      // and the next one goes through; then, idle, one every 5 minutes
      await clock.advanceUntil(() => seen.reports.length >= 3, { stepMs: 200, maxMs: 6 * 60_000 });
      const third = clock.now();
      await clock.advanceUntil(() => seen.reports.length >= 4, { stepMs: 1000, maxMs: 10 * 60_000 });
      const gap = clock.now() - third;
      expect(gap).toBeGreaterThanOrEqual(REPORT_EVERY_MS - 1000);
      expect(gap).toBeLessThanOrEqual(REPORT_EVERY_MS + 61_000);
      expect(seen.reports.at(-1)).toMatchObject({ pending: 0, oldestPendingAgeSeconds: null });
    } finally {
      await engine.stop();
    }
  });
});

describe('the fleet report against a real portal', () => {
  it('a portal whose clock is 3 minutes ahead: the counter measures it, reports it, and the fleet view flags it', async () => {
    const token = Buffer.from('fleet report test device token, counter C1').toString('base64url');
    const started = await startPortal({ database: freshPortalDatabase(), clock: () => new Date(Date.now() + 3 * 60_000) });
    const db = counterDb();
    addPending(db, [new Date().toISOString(), new Date().toISOString()]);
    const engine = new SyncEngine({
      db,
      client: new PortalClient({ baseUrl: started.url, deviceToken: token }),
      deviceId: DEVICE,
      centreId: CENTRE,
      counterCode: 'C1',
      timeZone: 'Asia/Kolkata',
      appVersion: '1.4.0',
      settings: syncSettingsSchema.parse({ requestTimeoutSeconds: 5 }),
      log: { info() {}, warn() {}, error() {} },
    });
    try {
      await started.portal.store.addDevice({ token, centreId: CENTRE, label: 'counter C1' }, new Date());
      engine.start();
      const row = await eventually(async () => {
        const [r] = await started.portal.fleet.store.all();
        expect(r).toBeDefined();
        return r!;
      }, 15_000);
      expect(pendingIn(db)).toBe(0);
      expect(row).toMatchObject({ deviceId: DEVICE, centreId: CENTRE, appVersion: '1.4.0', pending: 0, label: 'counter C1' });
      expect(Math.abs(row.clockOffsetMs! - 180_000)).toBeLessThanOrEqual(1500);
      expect(Math.abs(engine.status.clockOffsetMs! - 180_000)).toBeLessThanOrEqual(1000);
      const view = fleetView(await started.portal.fleet.store.all(), new Date(Date.now() + 3 * 60_000));
      expect(view.centres[0]!.counters[0]!.flags).toEqual(['clockWrong']);
    } finally {
      await engine.stop();
      await started.close();
    }
  });
});

describe('the fleet report from a counter with its sync worker thread', () => {
  it("reaches the portal with the app's version, and the clock offset reaches the status the page is given", async () => {
    const portal = await startPortalInProcess({ database: freshPortalDatabase() });
    const c = await syncedCounter(portal);
    try {
      const offset = await eventually(() => {
        const v = c.backend.syncStatus().clockOffsetMs;
        expect(typeof v).toBe('number');
        return v!;
      }, 15_000);
      // the same clock on both sides: well within the 2 minutes
      expect(Math.abs(offset)).toBeLessThanOrEqual(2000);
      const row = await eventually(async () => {
        const res = await fetch(`${portal.url}/admin/fleet`, { headers: { authorization: `Bearer ${portal.adminToken}` } });
        const view = (await res.json()) as ReturnType<typeof fleetView>;
        const found = view.centres.find((x) => x.centreId === c.centreId)?.counters[0];
        expect(found).toBeDefined();
        return found!;
      }, 15_000);
      // the worker read the version from package.json (main gives none here)
      const { version } = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as {
        version: string;
      };
      expect(row).toMatchObject({ appVersion: version, schemaVersion: MIGRATIONS.length, flags: [] });
    } finally {
      await c.dispose();
      await portal.stop();
    }
  }, 60_000);

  it("reports the version the desktop app gives the counter (Electron's app.getVersion())", async () => {
    const portal = await startPortalInProcess({ database: freshPortalDatabase() });
    const c = await syncedCounter(portal, { appVersion: '7.8.9' });
    try {
      const row = await eventually(async () => {
        const res = await fetch(`${portal.url}/admin/fleet`, { headers: { authorization: `Bearer ${portal.adminToken}` } });
        const view = (await res.json()) as ReturnType<typeof fleetView>;
        const found = view.centres.find((x) => x.centreId === c.centreId)?.counters[0];
        expect(found).toBeDefined();
        return found!;
      }, 15_000);
      expect(row.appVersion).toBe('7.8.9');
    } finally {
      await c.dispose();
      await portal.stop();
    }
  }, 60_000);
});
