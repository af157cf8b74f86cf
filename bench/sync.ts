/**
 * Sync with the reference portal, over loopback, on the product's path: the counter's real
 * backend and sync worker thread (main/sync/dev-worker.mjs) uploading to the portal as a child
 * process (portal/process.ts), so counter and portal do not share a CPU thread.
 *
 *   sync_raw_loopback_10k  the floor: the same 10,000 payloads in the same 200-item batches,
 *                          posted one after another by a bare node:http client to a bare
 *                          node:http child process that only stores them (raw-store-server.mjs)
 *   sync_drain_10k         10,000 outbox rows made through the backend's handlers (check-ins,
 *                          walk-ins, calls, vaccinations, no-shows) drained from "sync now" to
 *                          nothing pending; compared with the raw floor
 *   sync_pull_lag_p99_ms   the main event loop while the worker pulls a 100,000-row roster
 *   sync_hung_ipc_p99_ms   IPC round trips while every portal request hangs; each hung request's end
 *   sync_resume_after_hang_s  the portal's return from a hang to the first record acknowledged
 *   sync_storm             200 counters (in-process SyncEngines, own SQLite files) with 500 rows
 *                          each, started at once against one portal that sheds load (503 busy)
 *
 * Every wait is bounded; every server listens on 127.0.0.1 only.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance as nodePerformance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { Client } from 'undici';
import type { CounterEvent } from '../common/contract';
import { provisioningSchema, syncSettingsSchema, type ProvisioningInput, type SyncStatusView } from '../common/domain';
import { prng, rosterCsv, rosterEntries, walkInForm } from '../common/demo/people';
import { DEMO_PROVISIONING, DEMO_USERS } from '../common/demo/counter';
import { createDispatcher } from '../main/ipc/dispatcher';
import type { Logger } from '../main/logging/logger';
import { CounterBackend } from '../main/counter';
import { pendingOutboxCount } from '../main/store/outbox';
import { openDatabase, type Db } from '../main/store/database';
import { SyncEngine, type SyncLog } from '../main/sync/engine';
import type { SyncWorkerFile } from '../main/sync/host';
import type { EngineTuning } from '../main/sync/messages';
import { pushBody, toMutation, type OutboxRow } from '../main/sync/outbox-sync';
import { PortalClient, PUSH_PIPELINE } from '../main/sync/portal-client';
import type { PushResponse } from '../common/sync-protocol';
import { startPortalProcess, type PortalHandle, type PortalProcessOptions } from '../portal/process';
import { middayClock, openBenchCounter, unwrap, type BenchCounter, type ClientDispatch } from './counter';
import { latencyMetrics, loopHoldWatch, median, round, summarize, type Benchmark, type BenchContext, type Metric } from './stats';

const SYNC_WORKER: SyncWorkerFile = { file: resolve(import.meta.dirname, '../main/sync/dev-worker.mjs') };
const RAW_SERVER = resolve(import.meta.dirname, 'raw-store-server.mjs');

const DRAIN_ROWS = 10_000;
const BATCH = 200;
const DRAIN_RUNS = 5;
const RAW_RUNS = 5;
const PULL_ROWS = 100_000;
const APPOINTMENT_CHUNK = 10_000;
const IPC_EVERY_MS = 5;
const IDLE_BASELINE_MS = 3000;
const HUNG_WINDOW_MS = 12_000;
const HUNG_TIMEOUT_S = 2;
const STORM_COUNTERS = 200;
const STORM_ROWS = 500;
const STORM_MAX_IN_FLIGHT = 16;
const STORM_BOUND_MS = 180_000;

/** Targets from the sync issue. */
// the counter's limits: a drain at most 2.3 times the bare loopback floor, the main loop's lag
// during a 100,000-row pull at most 10 ms at p99
const TARGET = {
  drainSeconds: 10,
  drainRatio: 2.3,
  pullLagP99Ms: 10,
  hungIpcP99Ms: 20,
  /** a hung request ends at its deadline: allow half a second for the abort and the message to arrive */
  hungEndMs: HUNG_TIMEOUT_S * 1000 + 500,
  resumeAfterHangSeconds: 10,
};

// ---------------------------------------------------------------------------------------------
// helpers

/** Polls `check` (bounded) until it returns something other than undefined/false. */
async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs: number, everyMs = 20): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (performance.now() > end) throw new Error(`${what}: not within ${(timeoutMs / 1000).toFixed(0)} s`);
    await sleep(everyMs);
  }
}

/** A pino logger that keeps its records (the sync worker's log lines reach the main process's logger). */
function capturingLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'info' },
    {
      write(s: string) {
        try {
          lines.push(JSON.parse(s) as Record<string, unknown>);
        } catch {
          // not JSON: ignore
        }
      },
    },
  );
  return { log, lines };
}

interface SyncedCounter extends BenchCounter {
  lines: Array<Record<string, unknown>>;
  status(): SyncStatusView;
}

/**
 * A counter with its real sync worker thread, uploading to `portal` with `token`. A folder
 * that holds a provisioning file (a copied template) is pointed at the portal; an empty one
 * is provisioned as the demo counter with the portal.
 */
async function openSyncedCounter(
  dataDir: string,
  portal: { url: string; token: string },
  options: { sync?: Record<string, number>; tuning?: Partial<EngineTuning> } = {},
): Promise<SyncedCounter> {
  const provisioningFile = join(dataDir, 'provisioning.json');
  const portalConfig = { url: portal.url, deviceToken: portal.token };
  if (existsSync(provisioningFile)) {
    const p = JSON.parse(readFileSync(provisioningFile, 'utf8')) as ProvisioningInput;
    writeFileSync(provisioningFile, JSON.stringify({ ...p, portal: portalConfig, sync: { ...p.sync, ...options.sync } }));
  }
  const provisioning = provisioningSchema.parse({ ...DEMO_PROVISIONING, portal: portalConfig, sync: options.sync ?? {} });
  const { log, lines } = capturingLogger();
  const backend = await CounterBackend.open({
    dataDir,
    log,
    clock: middayClock(provisioning.centre.timeZone),
    syncWorker: SYNC_WORKER,
    syncTuning: options.tuning,
  });
  const dispatcher = createDispatcher(backend);
  const dispatch: ClientDispatch = (method, payload) => dispatcher(method, payload, 'bench:sync');
  if (!backend.provisioning)
    unwrap('provision', await dispatch('provision', { provisioning, supervisor: DEMO_USERS.supervisor }));
  unwrap('signIn', await dispatch('signIn', { loginId: DEMO_USERS.supervisor.loginId, pin: DEMO_USERS.supervisor.pin }));
  return {
    backend,
    dispatch,
    day: backend.today()!,
    close: () => backend.close(),
    lines,
    status: () => backend.syncStatus(),
  };
}

/** Calls `onStatus` with each sync status the backend reports (the worker's messages, relayed). */
function onSyncStatus(backend: CounterBackend, onStatus: (s: SyncStatusView) => void): () => void {
  const listener = (e: CounterEvent) => {
    if (e.type === 'status') onStatus(e.sync);
  };
  backend.events.on('event', listener);
  return () => backend.events.off('event', listener);
}

/** The portal as a child process on 127.0.0.1 (a random admin token, given in its environment). */
function startPortalChild(options: PortalProcessOptions): Promise<PortalHandle> {
  return startPortalProcess(options);
}

const ms = (x: number) => `${x.toFixed(0)} ms`;
const secs = (xs: readonly number[]) => xs.map((x) => x.toFixed(2)).join(', ');

// ---------------------------------------------------------------------------------------------
// the outbox template: a counter's day of work, made through the handlers once and copied

interface OutboxTemplate {
  dir: string;
  rows: number;
  deviceId: string;
  centreId: string;
  counterCode: string;
  /** rows by mutation kind */
  mix: Record<string, number>;
}
let template: OutboxTemplate | null = null;

/**
 * A closed counter folder whose outbox holds `rows` pending mutations made through the
 * dispatcher as at a counter: roster check-ins (60%) and walk-ins (40%, duplicates previewed
 * first), each called, then vaccinated (92%), recalled first (3%) or marked a no-show (5%).
 */
async function outboxTemplate(ctx: BenchContext, rows: number): Promise<OutboxTemplate> {
  if (template && template.rows >= rows) return template;
  const dir = ctx.tempDir('sync-template');
  const started = performance.now();
  const counter = await openBenchCounter(dir);
  const { dispatch } = counter;
  // Building the fixture is not measured: its commits need not wait for the disk. The copies
  // the benchmarks run on are opened by the product with synchronous=FULL again.
  counter.backend.db.pragma('synchronous = OFF');
  const roster = rosterEntries(Math.max(500, Math.ceil(rows / 4)), 51);
  unwrap(
    'importRoster',
    await dispatch('importRoster', { fileName: 'roster.csv', format: 'csv', content: rosterCsv(counter.day, roster) }),
  );
  const r = prng(29);
  let made = 0;
  let nextRef = 0;
  const step = async (method: string, payload: unknown): Promise<{ id: string }> => {
    const t = unwrap<{ id: string }>(method, await dispatch(method, payload));
    made++;
    return t;
  };
  while (made < rows) {
    let ticket: { id: string };
    if (r() < 0.6 && nextRef < roster.length) {
      ticket = await step('checkIn', { refId: roster[nextRef++]!.refId });
    } else {
      const form = walkInForm(r);
      const preview = unwrap<{ duplicates: { id: string }[] }>('previewWalkIn', await dispatch('previewWalkIn', { form }));
      ticket = await step('registerWalkIn', {
        submissionId: randomUUID(),
        form,
        acknowledgedDuplicates: preview.duplicates.map((d) => d.id),
      });
    }
    if (made >= rows) break;
    await step('callTicket', { ticketId: ticket.id });
    if (made >= rows) break;
    const x = r();
    if (x < 0.03) {
      await step('recallTicket', { ticketId: ticket.id });
      if (made >= rows) break;
    }
    if (x > 0.95) await step('markNoShow', { ticketId: ticket.id });
    else
      await step('serveTicket', {
        ticketId: ticket.id,
        vaccine: 'COVISHIELD',
        lotNumber: `4121Z${String(made % 97).padStart(3, '0')}`,
        dose: 1,
      });
  }
  const db = counter.backend.db;
  const count = pendingOutboxCount(db);
  if (count !== rows) throw new Error(`outbox template: ${count} pending rows, expected ${rows}`);
  const mix = Object.fromEntries(
    (
      db.prepare('SELECT kind, count(*) AS n FROM outbox GROUP BY kind ORDER BY n DESC').all() as { kind: string; n: number }[]
    ).map((k) => [k.kind, k.n]),
  );
  const config = counter.backend.provisioning!;
  const t: OutboxTemplate = {
    dir,
    rows,
    deviceId: counter.backend.deviceId,
    centreId: config.centre.id,
    counterCode: config.counter.code,
    mix,
  };
  await counter.backend.close();
  ctx.progress(`outbox template: ${rows} rows through the handlers in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  template = t;
  return t;
}

/** Copies the template's counter folder (closed: the WAL is checkpointed) to a fresh one. */
function copyTemplate(t: OutboxTemplate, to: string): void {
  for (const f of ['counter.db', 'counter.db-wal', 'provisioning.json']) {
    if (existsSync(join(t.dir, f))) copyFileSync(join(t.dir, f), join(to, f));
  }
}

function templateRows(t: OutboxTemplate, limit: number): OutboxRow[] {
  const db = openDatabase(join(t.dir, 'counter.db'));
  try {
    return db
      .prepare(
        "SELECT seq, mutation_id, kind, record_id, payload, created_at FROM outbox WHERE state = 'pending' ORDER BY seq LIMIT ?",
      )
      .all(limit) as OutboxRow[];
  } finally {
    db.close();
  }
}

const mixText = (mix: Record<string, number>) =>
  Object.entries(mix)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

// ---------------------------------------------------------------------------------------------
// sync_raw_loopback_10k

interface RawResult {
  fullSeconds: number[];
  memorySeconds: number[];
}
let raw: RawResult | null = null;

async function startRawServer(args: string[]): Promise<{ url: URL; stop(): Promise<void> }> {
  const proc = spawn(process.execPath, [RAW_SERVER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const url = await new Promise<URL>((ok, bad) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      bad(new Error(`raw server did not start within 10 s\n${err}`));
    }, 10_000);
    proc.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^Raw: (http:\/\/\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(new URL(m[1]!));
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      bad(new Error(`raw server exited (${code}) before listening\n${err}`));
    });
  });
  return {
    url,
    stop: () =>
      new Promise<void>((ok) => {
        if (proc.exitCode !== null) return ok();
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        proc.once('exit', () => {
          clearTimeout(timer);
          ok();
        });
        proc.kill('SIGTERM');
      }),
  };
}

function post(agent: Agent, url: URL, body: string): Promise<{ status: number; text: string }> {
  return new Promise((ok, bad) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: '/push',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => ok({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', bad);
      },
    );
    req.on('timeout', () => req.destroy(new Error('raw post: no answer within 15 s')));
    req.on('error', bad);
    req.end(body);
  });
}

/** Posts the template's rows in batches of 200, one after another; seconds from the first post to the last answer. */
async function rawRun(t: OutboxTemplate, rows: OutboxRow[], serverArgs: string[]): Promise<number> {
  const server = await startRawServer(serverArgs);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // the rows as the engine sends them (payload parsed from the outbox row)
    const mutations = rows.map(toMutation);
    const t0 = performance.now();
    for (let i = 0; i < mutations.length; i += BATCH) {
      const body = JSON.stringify({
        deviceId: t.deviceId,
        centreId: t.centreId,
        counterCode: t.counterCode,
        mutations: mutations.slice(i, i + BATCH),
      });
      const res = await post(agent, server.url, body);
      if (res.status !== 200) throw new Error(`raw server answered ${res.status}: ${res.text.slice(0, 200)}`);
      const answer = JSON.parse(res.text) as { stored: number };
      if (answer.stored !== Math.min(BATCH, mutations.length - i)) throw new Error(`raw server stored ${answer.stored}`);
    }
    return (performance.now() - t0) / 1000;
  } finally {
    agent.destroy();
    await server.stop();
  }
}

async function measureRaw(ctx: BenchContext): Promise<RawResult> {
  if (raw) return raw;
  const t = await outboxTemplate(ctx, DRAIN_ROWS);
  const rows = templateRows(t, DRAIN_ROWS);
  const result: RawResult = { fullSeconds: [], memorySeconds: [] };
  for (let run = 0; run < RAW_RUNS; run++) {
    const file = join(ctx.tempDir(`raw-${run}`), 'raw.sqlite');
    result.fullSeconds.push(await rawRun(t, rows, ['--data', file]));
    result.memorySeconds.push(await rawRun(t, rows, ['--memory']));
    ctx.progress(
      `raw run ${run + 1}/${RAW_RUNS}: SQLite ${result.fullSeconds.at(-1)!.toFixed(2)} s, memory ${result.memorySeconds.at(-1)!.toFixed(2)} s`,
    );
  }
  raw = result;
  return result;
}

function rawMetrics(r: RawResult): Metric[] {
  const batches = Math.ceil(DRAIN_ROWS / BATCH);
  return [
    {
      metric: 'sync_raw_loopback_10k_s',
      value: round(median(r.fullSeconds)),
      unit: 's',
      note: `bare node:http client -> bare node:http child storing in SQLite (WAL, synchronous=FULL, 1 tx per batch); ${batches} batches of ${BATCH}; median of ${RAW_RUNS}: ${secs(r.fullSeconds)} s`,
    },
    {
      metric: 'sync_raw_loopback_memory_10k_s',
      value: round(median(r.memorySeconds)),
      unit: 's',
      note: `for information only: the same with an in-memory store (no disk); median of ${RAW_RUNS}: ${secs(r.memorySeconds)} s`,
    },
  ];
}

const rawLoopback: Benchmark = {
  name: 'sync_raw_loopback_10k',
  description: `baseline: ${DRAIN_ROWS} outbox payloads in batches of ${BATCH} posted sequentially by bare node:http to a bare node:http child that stores them`,
  async run(ctx) {
    return rawMetrics(await measureRaw(ctx));
  },
};

// ---------------------------------------------------------------------------------------------
// sync_drain_10k

interface DrainRun {
  seconds: number;
  batches: number;
  applied: number;
  requests: number;
  /** the main loop's longest hold and p99 during the drain (a 1 ms timer's delay less its 1 ms) */
  holdMaxMs: number;
  holdP99Ms: number;
}

async function drainRun(ctx: BenchContext, t: OutboxTemplate, run: number): Promise<DrainRun> {
  const portal = await startPortalChild({ dataDir: ctx.tempDir(`drain-portal-${run}`) });
  let counter: SyncedCounter | null = null;
  try {
    const dir = ctx.tempDir(`drain-counter-${run}`);
    copyTemplate(t, dir);
    const token = `bench-drain-${randomBytes(32).toString('hex')}`;
    counter = await openSyncedCounter(dir, { url: portal.url, token });
    const c = counter;
    // The worker tries at once when it starts; the portal does not know the token yet (401), so
    // it backs off. "Sync now" is pressed while it waits, with the worker warm and idle: a wait
    // of over 2 s leaves room for the two admin calls below on a busy machine.
    await waitFor(
      'the worker to be refused and back off',
      () => {
        const s = c.status();
        return (
          s.lastError?.code === 'unauthorized' && !s.uploading && s.nextRetryAt && Date.parse(s.nextRetryAt) - Date.now() > 2000
        );
      },
      60_000,
      5,
    );
    await portal.admin.addDevice(token, t.centreId, 'bench drain');
    await portal.admin.resetStats();
    if (pendingOutboxCount(c.backend.db) !== t.rows) throw new Error('drain: rows left before "sync now"');
    let done: () => void = () => undefined;
    const drained = new Promise<void>((ok) => (done = ok));
    const off = onSyncStatus(c.backend, (s) => {
      if (s.pending === 0) done();
    });
    // the main loop as the operator's actions would find it while the backlog uploads
    const watch = loopHoldWatch();
    const t0 = performance.now();
    unwrap('syncNow', await c.dispatch('syncNow', {}));
    try {
      await Promise.race([drained, waitFor('drain: pending = 0', () => pendingOutboxCount(c.backend.db) === 0, 120_000, 100)]);
    } finally {
      off();
    }
    const hold = watch.stop();
    const seconds = (performance.now() - t0) / 1000;
    const stats = await portal.admin.stats();
    if (stats.results.rejected > 0) throw new Error(`drain: the portal rejected ${stats.results.rejected} rows`);
    return {
      seconds,
      batches: stats.pushes,
      applied: stats.results.applied,
      requests: stats.requests,
      holdMaxMs: hold.maxMs,
      holdP99Ms: hold.p99Ms,
    };
  } finally {
    await counter?.backend.close();
    await portal.stop();
  }
}

/**
 * The portal's own part of a drain: the same rows in the same batches, as the counter writes
 * them (pushBody), pushed straight to a fresh portal process by a bare undici client with as
 * many requests out on one connection as the counter's uploader keeps; seconds from the first
 * push to the last answer. What a drain takes beyond this is the counter's part.
 */
async function portalAloneRun(ctx: BenchContext, t: OutboxTemplate, rows: readonly OutboxRow[], run: number): Promise<number> {
  const portal = await startPortalChild({ dataDir: ctx.tempDir(`alone-portal-${run}`) });
  let client: Client | null = null;
  try {
    const token = `bench-alone-${randomBytes(32).toString('hex')}`;
    await portal.admin.addDevice(token, t.centreId, 'bench portal alone');
    const bodies: string[] = [];
    for (let i = 0; i < rows.length; i += BATCH)
      bodies.push(pushBody(t.deviceId, t.centreId, t.counterCode, rows.slice(i, i + BATCH)));
    const c = new Client(portal.url, { pipelining: PUSH_PIPELINE });
    client = c;
    const headers = { authorization: `Bearer ${token}`, accept: 'application/json', 'content-type': 'application/json' };
    let next = 0;
    let applied = 0;
    // each lane sends the next body once its last is answered: PUSH_PIPELINE out at a time, in order on the connection
    const lane = async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const res = await c.request({ path: '/v1/push', method: 'POST', headers, body, blocking: false, idempotent: true });
        const text = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`portal alone: the portal answered ${res.statusCode}: ${text.slice(0, 200)}`);
        applied += (JSON.parse(text) as PushResponse).results.filter((r) => r.status === 'applied').length;
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: PUSH_PIPELINE }, lane));
    const seconds = (performance.now() - t0) / 1000;
    if (applied !== rows.length) throw new Error(`portal alone: ${applied} of ${rows.length} rows applied`);
    return seconds;
  } finally {
    await client?.close();
    await portal.stop();
  }
}

const drain: Benchmark = {
  name: 'sync_drain_10k',
  description: `${DRAIN_ROWS} outbox rows (made through the handlers) drained by the sync worker thread to the portal process, "sync now" to pending 0; ${DRAIN_RUNS} runs after one not counted, each just after a raw loopback run (the ratio's floor)`,
  async run(ctx) {
    const t = await outboxTemplate(ctx, DRAIN_ROWS);
    const rows = templateRows(t, DRAIN_ROWS);
    const hadRaw = raw !== null;
    // one drain first that is not counted (the disk and the page cache settle after building the template)
    const warm = await drainRun(ctx, t, -1);
    ctx.progress(`drain warm-up (not counted): ${warm.seconds.toFixed(2)} s`);
    // The floor is measured in this run, each raw run just before a drain run: a machine that
    // gets busier or quieter during the benchmark weighs on both sides of the ratio alike.
    const r: RawResult = { fullSeconds: [], memorySeconds: [] };
    const runs: DrainRun[] = [];
    const alone: number[] = [];
    for (let run = 0; run < DRAIN_RUNS; run++) {
      r.fullSeconds.push(await rawRun(t, rows, ['--data', join(ctx.tempDir(`drain-raw-${run}`), 'raw.sqlite')]));
      r.memorySeconds.push(await rawRun(t, rows, ['--memory']));
      const got = await drainRun(ctx, t, run);
      runs.push(got);
      // after the drain, so that each raw run stays just before its drain run
      alone.push(await portalAloneRun(ctx, t, rows, run));
      ctx.progress(
        `drain run ${run + 1}/${DRAIN_RUNS}: ${got.seconds.toFixed(2)} s, ${got.batches} batches, ${got.applied} applied; ` +
          `raw just before ${r.fullSeconds.at(-1)!.toFixed(2)} s, the portal alone just after ${alone.at(-1)!.toFixed(2)} s`,
      );
    }
    raw ??= r;
    const seconds = runs.map((x) => x.seconds);
    const s = summarize(seconds);
    const perSecond = runs.map((x) => x.batches / x.seconds);
    const rawMedian = median(r.fullSeconds);
    const metrics: Metric[] = [
      {
        metric: 'sync_drain_10k_s',
        value: round(s.p50),
        unit: 's',
        target: { max: TARGET.drainSeconds },
        note: `median of ${DRAIN_RUNS} runs: ${secs(seconds)} s; mix: ${mixText(t.mix)}`,
      },
      {
        metric: 'sync_drain_10k_max_s',
        value: round(s.max),
        unit: 's',
        note: `slowest of ${DRAIN_RUNS} runs (p99 of runs); each run a fresh portal process and copied counter`,
      },
      {
        metric: 'sync_drain_batches_per_s',
        value: round(median(perSecond), 1),
        unit: 'batches/s',
        note: `median; ${runs.map((x) => x.batches).join('/')} pushes of up to ${BATCH}, ${runs.map((x) => x.requests).join('/')} requests`,
      },
      {
        metric: 'sync_drain_ratio',
        value: round(s.p50 / rawMedian, 2),
        unit: 'x',
        target: { max: TARGET.drainRatio },
        note: `median drain / median raw loopback (SQLite FULL) ${rawMedian.toFixed(3)} s, each raw run just before a drain run (${secs(r.fullSeconds)} s); vs in-memory raw ${(s.p50 / median(r.memorySeconds)).toFixed(1)}x`,
      },
      {
        metric: 'sync_drain_main_hold_max_ms',
        value: round(median(runs.map((x) => x.holdMaxMs)), 1),
        unit: 'ms',
        note:
          `for information: the main loop's longest hold while the backlog uploads (a 1 ms timer's delay less its 1 ms), median of ${DRAIN_RUNS} runs: ` +
          `${runs.map((x) => x.holdMaxMs.toFixed(1)).join(', ')} ms; p99 ${runs.map((x) => x.holdP99Ms.toFixed(1)).join(', ')} ms`,
      },
      {
        metric: 'sync_portal_alone_10k_s',
        value: round(median(alone)),
        unit: 's',
        note:
          `for information: the same batches pushed straight to a fresh portal process, ${PUSH_PIPELINE} out at a time (median of ${DRAIN_RUNS}: ${secs(alone)} s), ` +
          `${(median(alone) / rawMedian).toFixed(2)}x the raw floor; the drain takes ${((s.p50 - median(alone)) * 1000).toFixed(0)} ms more (the counter's part)`,
      },
    ];
    return hadRaw ? metrics : [...rawMetrics(r), ...metrics];
  },
};

// ---------------------------------------------------------------------------------------------
// sync_pull_lag_p99_ms

/** Renderer-like IPC: a cheap call every few ms until stopped; `take()` hands over the round trips (ms) so far. */
function ipcLoop(calls: Array<() => Promise<{ ok: boolean; error?: { code: string } }>>, everyMs: number) {
  let times: number[] = [];
  const errors: string[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const t0 = performance.now();
      const res = await calls[i % calls.length]!();
      times.push(performance.now() - t0);
      if (!res.ok && errors.length < 10) errors.push(res.error?.code ?? 'error');
      await sleep(everyMs);
    }
  })();
  return {
    errors,
    take: () => {
      const got = times;
      times = [];
      return got;
    },
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

interface LagSummary {
  p50: number;
  p99: number;
  max: number;
  samples: number;
  /** share of the time the main event loop was busy (eventLoopUtilization) */
  utilization: number;
}

const LAG_RESOLUTION_MS = 10;

/**
 * Main event-loop delay with `monitorEventLoopDelay` at a 10 ms resolution. The histogram
 * records the time between the monitor's timer ticks, so the timer's own 10 ms is taken off:
 * what is left is how late the loop was.
 */
class LagMonitor {
  private readonly h = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  private readonly elu = nodePerformance.eventLoopUtilization();
  constructor() {
    this.h.enable();
  }
  stop(): LagSummary {
    this.h.disable();
    const late = (ns: number) => Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS);
    return {
      p50: late(this.h.percentile(50)),
      p99: late(this.h.percentile(99)),
      max: late(this.h.max),
      samples: this.h.count,
      utilization: nodePerformance.eventLoopUtilization(this.elu).utilization,
    };
  }
}

const lagText = (l: LagSummary) =>
  `p50 ${l.p50.toFixed(1)}, p99 ${l.p99.toFixed(1)}, max ${l.max.toFixed(1)} ms (${l.samples} samples, loop busy ${(l.utilization * 100).toFixed(0)}%)`;

const pullLag: Benchmark = {
  name: 'sync_pull_lag_p99_ms',
  description: `main event-loop lag and IPC round trips while the sync worker pulls a ${PULL_ROWS}-row roster from the portal process`,
  async run(ctx) {
    const portal = await startPortalChild({ dataDir: ctx.tempDir('pull-portal') });
    let counter: SyncedCounter | null = null;
    try {
      const token = `bench-pull-${randomBytes(32).toString('hex')}`;
      const centreId = provisioningSchema.parse(DEMO_PROVISIONING).centre.id;
      await portal.admin.addDevice(token, centreId, 'bench pull');
      counter = await openSyncedCounter(ctx.tempDir('pull-counter'), { url: portal.url, token });
      const c = counter;
      // a running counter: its first pull (nothing booked yet) is done before the bookings arrive
      await waitFor('the first (empty) roster pull', () => c.status().rosterPulledAt, 30_000);
      const entries = rosterEntries(PULL_ROWS, 42);
      const addStart = performance.now();
      for (let i = 0; i < entries.length; i += APPOINTMENT_CHUNK) {
        await portal.admin.addAppointments(centreId, c.day, entries.slice(i, i + APPOINTMENT_CHUNK));
      }
      ctx.progress(
        `pull: ${PULL_ROWS} appointments added through the admin API in ${((performance.now() - addStart) / 1000).toFixed(1)} s`,
      );
      const pulledBefore = c.status().rosterPulledAt;
      const ipc = ipcLoop([() => c.dispatch('getQueue', {}), () => c.dispatch('getSyncStatus', {})], IPC_EVERY_MS);

      // the same IPC with no pull, for comparison: what this machine's scheduling alone costs
      const idle = new LagMonitor();
      await sleep(IDLE_BASELINE_MS);
      const idleLag = idle.stop();
      const idleIpc = ipc.take();

      const lag = new LagMonitor();
      const pullPhase = new LagMonitor();
      const t0 = performance.now();
      unwrap('syncNow', await c.dispatch('syncNow', {}));
      let pullSeconds = NaN;
      let pullLag: LagSummary | null = null;
      let afterLag: LagSummary | null = null;
      let all: LagSummary | null = null;
      try {
        await waitFor(
          `the ${PULL_ROWS}-row roster to arrive`,
          () => {
            const roster = c.backend.appState().roster;
            return roster?.day === c.day && roster.count === PULL_ROWS;
          },
          180_000,
        );
        pullSeconds = (performance.now() - t0) / 1000;
        pullLag = pullPhase.stop();
        // and until the pass has ended (tomorrow's roster too) and the main process has warmed its search
        const after = new LagMonitor();
        await waitFor('the pull pass to end', () => c.status().rosterPulledAt !== pulledBefore, 60_000);
        await sleep(1000);
        afterLag = after.stop();
      } finally {
        all = lag.stop();
        pullLag ??= pullPhase.stop();
      }
      const times = ipc.take();
      await ipc.stop();
      if (ipc.errors.length) throw new Error(`IPC calls failed during the pull: ${ipc.errors.join(', ')}`);
      const pulled = c.lines
        .filter((l) => l.msg === 'roster pulled')
        .map((l) => `${String(l.day)} ${String(l.mode)} ${String(l.changes)}`);
      const lagNote = `delay beyond the 10 ms monitorEventLoopDelay timer, "sync now" to 1 s after the pass: ${lagText(all)}; while pulling ${lagText(pullLag)}; after (search warm-up) ${afterLag ? lagText(afterLag) : '-'}; idle baseline ${lagText(idleLag)}`;
      const ipcMetrics = latencyMetrics('sync_pull_ipc', times);
      const idleIpcP99 = summarize(idleIpc).p99;
      for (const m of ipcMetrics)
        m.note = `getQueue/getSyncStatus every ${IPC_EVERY_MS} ms during the pull; ${m.note}; idle baseline p99 ${idleIpcP99.toFixed(2)} ms`;
      return [
        {
          metric: 'sync_pull_100k_s',
          value: round(pullSeconds),
          unit: 's',
          note: `"sync now" to roster.count = ${PULL_ROWS} in appState; worker log (day mode rows): ${pulled.join('; ') || 'none'}`,
        },
        { metric: 'sync_pull_lag_p50_ms', value: round(all.p50, 1), unit: 'ms', note: lagNote },
        {
          metric: 'sync_pull_lag_p99_ms',
          value: round(all.p99, 1),
          unit: 'ms',
          target: { max: TARGET.pullLagP99Ms },
          note: lagNote,
        },
        { metric: 'sync_pull_lag_max_ms', value: round(all.max, 1), unit: 'ms', note: lagNote },
        {
          metric: 'sync_pull_lag_idle_p99_ms',
          value: round(idleLag.p99, 1),
          unit: 'ms',
          note: `for information: the same monitor and IPC for ${IDLE_BASELINE_MS / 1000} s before "sync now" (no pull): ${lagText(idleLag)}`,
        },
        ...ipcMetrics,
      ];
    } finally {
      await counter?.backend.close();
      await portal.stop();
    }
  },
};

// ---------------------------------------------------------------------------------------------
// sync_hung_ipc_p99_ms

const hungIpc: Benchmark = {
  name: 'sync_hung_ipc_p99_ms',
  description: `IPC round trips (walk-ins, queue, search, status) while every portal request hangs; each hung request's end vs its ${HUNG_TIMEOUT_S} s deadline`,
  async run(ctx) {
    const portal = await startPortalChild({ dataDir: ctx.tempDir('hung-portal'), faults: true });
    let counter: SyncedCounter | null = null;
    try {
      const token = `bench-hung-${randomBytes(32).toString('hex')}`;
      const centreId = provisioningSchema.parse(DEMO_PROVISIONING).centre.id;
      await portal.admin.addDevice(token, centreId, 'bench hung');
      await portal.admin.setFaults({ rules: [{ fault: 'hang' }] });
      counter = await openSyncedCounter(
        ctx.tempDir('hung-counter'),
        { url: portal.url, token },
        { sync: { requestTimeoutSeconds: HUNG_TIMEOUT_S } },
      );
      const c = counter;
      const roster = rosterEntries(5000, 61);
      unwrap(
        'importRoster',
        await c.dispatch('importRoster', { fileName: 'roster.csv', format: 'csv', content: rosterCsv(c.day, roster) }),
      );

      // each attempt starts at lastAttemptAt (the worker's clock); a timeout failure ends it
      const ended: number[] = [];
      const kinds = new Map<string, number>();
      let lastRetry: string | null = null;
      const off = onSyncStatus(c.backend, (s) => {
        if (!s.lastError || s.nextRetryAt === lastRetry) return;
        lastRetry = s.nextRetryAt;
        kinds.set(s.lastError.code, (kinds.get(s.lastError.code) ?? 0) + 1);
        if (s.lastError.code === 'timeout' && s.lastAttemptAt) ended.push(Date.now() - Date.parse(s.lastAttemptAt));
      });

      const r = prng(71);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
      const times: number[] = [];
      const byMethod = new Map<string, number[]>();
      const timed = async (method: string, payload: unknown) => {
        const t0 = performance.now();
        const res = await c.dispatch(method, payload);
        const dt = performance.now() - t0;
        times.push(dt);
        (byMethod.get(method) ?? byMethod.set(method, []).get(method)!).push(dt);
        return unwrap<unknown>(method, res);
      };
      const queries = () => (r() < 0.5 ? pick(roster).refId : pick(roster).name.split(' ')[0]!.slice(0, 4));
      unwrap('syncNow', await c.dispatch('syncNow', {}));
      const end = performance.now() + HUNG_WINDOW_MS;
      let walkIns = 0;
      try {
        for (let i = 0; performance.now() < end && i < 20_000; i++) {
          switch (i % 4) {
            case 0: {
              const form = walkInForm(r);
              const preview = (await timed('previewWalkIn', { form })) as { duplicates: { id: string }[] };
              await timed('registerWalkIn', {
                submissionId: randomUUID(),
                form,
                acknowledgedDuplicates: preview.duplicates.map((d) => d.id),
              });
              walkIns++;
              break;
            }
            case 1:
              await timed('getQueue', {});
              break;
            case 2:
              await timed('searchRoster', { query: queries() });
              break;
            case 3:
              await timed('getSyncStatus', {});
              break;
          }
          await sleep(2);
        }
      } finally {
        off();
      }
      const status = c.status();
      if (ended.length === 0) throw new Error(`no hung request ended during the window: ${JSON.stringify(status)}`);
      const metrics = latencyMetrics('sync_hung_ipc', times, TARGET.hungIpcP99Ms);
      const perMethod = [...byMethod]
        .map(([m, ts]) => {
          const s = summarize(ts);
          return `${m} p99 ${s.p99.toFixed(1)}`;
        })
        .join(', ');
      for (const m of metrics) m.note = `${m.note}; ${walkIns} walk-ins registered; ${perMethod} ms`;
      const e = summarize(ended);
      const endNote = `deadline ${HUNG_TIMEOUT_S * 1000} ms; ${ended.length} hung requests ended after ${ended.map(ms).join(', ')} (lastAttemptAt to the timeout status in main); failures seen: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}; ${status.pending} pending`;
      return [
        ...metrics,
        { metric: 'sync_hung_request_end_p50_ms', value: round(e.p50, 0), unit: 'ms', note: endNote },
        {
          metric: 'sync_hung_request_end_max_ms',
          value: round(e.max, 0),
          unit: 'ms',
          target: { max: TARGET.hungEndMs },
          note: endNote,
        },
      ];
    } finally {
      await counter?.backend.close();
      await portal.stop();
    }
  },
};

// ---------------------------------------------------------------------------------------------
// sync_resume_after_hang_s

/** When, in a hang, the portal comes back: each is one run. */
const RESUME_PHASES = [
  { name: 'the first upload of the hang out for 5 s', key: 'first' },
  { name: 'the second upload out for 1 s', key: 'attempt' },
  { name: 'the circuit open for 5 s', key: 'open' },
  { name: "the circuit's half-open upload started 1 s before", key: 'half-open' },
] as const;
const RESUME_RUN_BOUND_MS = 150_000;

const resumeAfterHang: Benchmark = {
  name: 'sync_resume_after_hang_s',
  description: `uploads after the portal comes back from a hang (every request hangs, then none): the return to the first record acknowledged; ${RESUME_PHASES.length} runs, the return at a different point of the counter's retries each (product deadline and half-open time; circuit after 2 failures)`,
  async run(ctx) {
    const portal = await startPortalChild({ dataDir: ctx.tempDir('resume-portal'), faults: true });
    let counter: SyncedCounter | null = null;
    try {
      const token = `bench-resume-${randomBytes(32).toString('hex')}`;
      const centreId = provisioningSchema.parse(DEMO_PROVISIONING).centre.id;
      await portal.admin.addDevice(token, centreId, 'bench resume');
      // product deadline (15 s), backoff and half-open time (30 s); the circuit opens after 2
      // failures rather than 5 so a run reaches it in 30 s, not 75
      counter = await openSyncedCounter(
        ctx.tempDir('resume-counter'),
        { url: portal.url, token },
        { tuning: { breakerThreshold: 2 } },
      );
      const c = counter;
      const r = prng(83);
      const walkIn = async () => {
        const form = walkInForm(r);
        const preview = unwrap<{ duplicates: { id: string }[] }>('previewWalkIn', await c.dispatch('previewWalkIn', { form }));
        unwrap(
          'registerWalkIn',
          await c.dispatch('registerWalkIn', {
            submissionId: randomUUID(),
            form,
            acknowledgedDuplicates: preview.duplicates.map((d) => d.id),
          }),
        );
      };
      const settledOnline = (what: string) =>
        waitFor(what, () => c.status().pending === 0 && c.status().state === 'online', 120_000, 20);
      await walkIn();
      await settledOnline('the first walk-in to upload');
      // the worker's first roster pull has ended: each hang begins with an upload
      await waitFor('the first roster pull', () => c.status().rosterPulledAt !== null, 60_000, 20);

      const seconds: number[] = [];
      const notes: string[] = [];
      for (const phase of RESUME_PHASES) {
        const started = performance.now();
        await portal.admin.setFaults({ rules: [{ fault: 'hang' }] });
        const linesBefore = c.lines.length;
        const opened = () => c.lines.slice(linesBefore).some((l) => String(l.msg).startsWith('circuit open'));
        /** Waits until an upload attempt starts after `after()` holds. */
        const nextAttempt = async (what: string, after: () => boolean) => {
          await waitFor(what, after, RESUME_RUN_BOUND_MS, 10);
          const last = c.status().lastAttemptAt;
          await waitFor(`${what}: the next attempt`, () => c.status().lastAttemptAt !== last, RESUME_RUN_BOUND_MS, 10);
        };
        const before = c.status().lastAttemptAt;
        const rosterBefore = c.status().rosterPulledAt;
        await walkIn();
        if (phase.key === 'first') {
          await waitFor('the first upload', () => c.status().lastAttemptAt !== before, RESUME_RUN_BOUND_MS, 10);
          await sleep(5000);
        } else if (phase.key === 'attempt') {
          // the first upload of the hang runs to its deadline; the second has been out for 1 s
          await nextAttempt('a first upload to time out', () => c.status().lastError?.code === 'timeout');
          await sleep(1000);
        } else if (phase.key === 'open') {
          await waitFor('the circuit to open', opened, RESUME_RUN_BOUND_MS, 10);
          await sleep(5000);
        } else {
          await nextAttempt('the circuit to open', opened);
          await sleep(1000);
        }
        const pending = c.status().pending;
        if (pending === 0) throw new Error(`sync_resume_after_hang_s: nothing pending during the hang (${phase.name})`);
        await portal.admin.setFaults({});
        const back = performance.now();
        await waitFor(`uploads to resume (${phase.name})`, () => c.status().pending < pending, RESUME_RUN_BOUND_MS, 10);
        const s = (performance.now() - back) / 1000;
        seconds.push(s);
        notes.push(`${phase.name}: ${s.toFixed(1)} s (hang ${((back - started) / 1000).toFixed(0)} s)`);
        ctx.progress(`resume after hang, ${phase.name}: ${s.toFixed(2)} s`);
        if (s > TARGET.resumeAfterHangSeconds) {
          const at = (ms: number) => new Date(performance.timeOrigin + ms).toISOString().slice(11, 23);
          const log = c.lines
            .slice(linesBefore)
            .map((l) => `${new Date(Number(l.time)).toISOString().slice(11, 23)} ${String(l.msg)}`);
          ctx.progress(
            `the worker's log from the hang (${at(started)}) on, the portal back at ${at(back)}:\n  ${log.join('\n  ')}`,
          );
        }
        await settledOnline('the counter to settle after the hang');
        // and a roster pull put off by the hang has run (it follows the upload at once; none
        // was put off when the first upload of the hang was given up)
        await waitFor('a roster pull', () => c.status().rosterPulledAt !== rosterBefore, 5000, 20).catch(() => undefined);
      }
      const sum = summarize(seconds);
      return [
        {
          metric: 'sync_resume_after_hang_s',
          value: round(sum.max, 1),
          unit: 's',
          target: { max: TARGET.resumeAfterHangSeconds },
          note: `slowest of ${seconds.length} runs, the portal's return (faults off) to the first record acknowledged: ${notes.join('; ')}`,
        },
      ];
    } finally {
      await counter?.backend.close();
      await portal.stop();
    }
  },
};

// ---------------------------------------------------------------------------------------------
// sync_storm

/** The engines' failures, by kind (timeout, unavailable, ...), counted across all counters. */
const stormFailures = new Map<string, number>();
const countingSyncLog: SyncLog = {
  info: () => undefined,
  warn: (data) => {
    if (typeof data.kind === 'string') stormFailures.set(data.kind, (stormFailures.get(data.kind) ?? 0) + 1);
  },
  error: (data, message) => stormFailures.set(`error: ${message}`, (stormFailures.get(`error: ${message}`) ?? 0) + 1),
};
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

interface StormCounter {
  db: Db;
  engine: SyncEngine;
  deviceId: string;
  doneAt: number | null;
}

/**
 * `STORM_COUNTERS` counters, each its own SQLite file holding the template's first
 * `STORM_ROWS` outbox rows with every UUID made new (records, tickets, device), so the portal
 * sees distinct records; each with its own SyncEngine and PortalClient in this process.
 */
async function stormCounters(ctx: BenchContext, portal: PortalHandle): Promise<StormCounter[]> {
  const t = await outboxTemplate(ctx, STORM_ROWS);
  const rows = templateRows(t, STORM_ROWS);
  const dir = ctx.tempDir('storm');
  const empty = join(dir, 'empty.db');
  openDatabase(empty).close();
  const settings = syncSettingsSchema.parse({});
  const counters: StormCounter[] = [];
  for (let i = 0; i < STORM_COUNTERS; i++) {
    const file = join(dir, `counter-${String(i).padStart(3, '0')}.db`);
    copyFileSync(empty, file);
    const db = openDatabase(file);
    const deviceId = randomUUID();
    const fresh = new Map<string, string>([[t.deviceId.toLowerCase(), deviceId]]);
    const renew = (s: string) =>
      s.replace(UUID, (u) => {
        const k = u.toLowerCase();
        let v = fresh.get(k);
        if (!v) fresh.set(k, (v = randomUUID()));
        return v;
      });
    const insert = db.prepare('INSERT INTO outbox (mutation_id, kind, record_id, payload, created_at) VALUES (?, ?, ?, ?, ?)');
    db.transaction(() => {
      for (const r of rows) insert.run(renew(r.mutation_id), r.kind, renew(r.record_id), renew(r.payload), r.created_at);
    }).immediate();
    const token = `bench-storm-${i}-${randomBytes(32).toString('hex')}`;
    const centreId = `STORM-${String(i % 50).padStart(2, '0')}`;
    await portal.admin.addDevice(token, centreId, `storm counter ${i}`);
    const counter: StormCounter = { db, deviceId, doneAt: null, engine: null as unknown as SyncEngine };
    counter.engine = new SyncEngine({
      db,
      client: new PortalClient({ baseUrl: portal.url, deviceToken: token, timeoutMs: settings.requestTimeoutSeconds * 1000 }),
      deviceId,
      centreId,
      counterCode: t.counterCode,
      timeZone: 'Asia/Kolkata',
      settings,
      log: countingSyncLog,
      onOutboxChanged: () => {
        if (counter.doneAt === null && pendingOutboxCount(db) === 0) counter.doneAt = performance.now();
      },
    });
    counters.push(counter);
  }
  return counters;
}

const storm: Benchmark = {
  name: 'sync_storm',
  description: `reconnect storm: ${STORM_COUNTERS} counters x ${STORM_ROWS} rows (real SyncEngines, product backoff) at once against a portal with --max-in-flight ${STORM_MAX_IN_FLIGHT}`,
  async run(ctx) {
    const portal = await startPortalChild({ dataDir: ctx.tempDir('storm-portal'), maxInFlight: STORM_MAX_IN_FLIGHT });
    let counters: StormCounter[] = [];
    try {
      counters = await stormCounters(ctx, portal);
      const total = STORM_COUNTERS * STORM_ROWS;
      await portal.admin.resetStats();
      stormFailures.clear();
      ctx.progress(`storm: ${counters.length} counters, ${total} rows; starting all at once`);
      const t0 = performance.now();
      for (const c of counters) c.engine.start();
      let lastProgress = t0;
      await waitFor(
        `sync_storm: all ${total} rows acknowledged`,
        () => {
          const done = counters.filter((c) => c.doneAt !== null).length;
          if (performance.now() - lastProgress > 10_000) {
            lastProgress = performance.now();
            ctx.progress(`storm: ${done}/${counters.length} counters drained after ${((lastProgress - t0) / 1000).toFixed(0)} s`);
          }
          return done === counters.length;
        },
        STORM_BOUND_MS,
        50,
      ).catch((e: Error) => {
        const left = counters.reduce((a, c) => a + pendingOutboxCount(c.db), 0);
        throw new Error(`${e.message}: ${left} of ${total} rows still pending (bounded at ${STORM_BOUND_MS / 1000} s)`);
      });
      const seconds = (Math.max(...counters.map((c) => c.doneAt!)) - t0) / 1000;
      const stats = await portal.admin.stats();
      const acknowledged = counters.reduce(
        (a, c) => a + (c.db.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'acknowledged'").get() as { n: number }).n,
        0,
      );
      if (acknowledged !== total) throw new Error(`sync_storm: ${acknowledged} of ${total} rows acknowledged`);
      const minPushes = STORM_COUNTERS * Math.ceil(STORM_ROWS / BATCH);
      const busy = stats.byStatus['503'] ?? 0;
      const perCounter = counters.map((c) => (c.doneAt! - t0) / 1000);
      const pc = summarize(perCounter);
      const statusText = Object.entries(stats.byStatus)
        .map(([k, n]) => `${k}: ${n}`)
        .join(', ');
      const failures = [...stormFailures].map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
      const rosterPulls = stats.requests - stats.pushes - busy;
      return [
        {
          metric: 'sync_storm_100k_s',
          value: round(seconds, 2),
          unit: 's',
          note: `start to the last of ${total} rows acknowledged; per counter p50 ${pc.p50.toFixed(1)} s, p90 ${pc.p90.toFixed(1)} s, max ${pc.max.toFixed(1)} s; bound ${STORM_BOUND_MS / 1000} s; failed requests seen by the counters: ${failures}`,
        },
        {
          metric: 'sync_storm_peak_rps',
          value: stats.peakRequestsPerSecond,
          unit: 'req/s',
          note: `portal /admin/stats peakRequestsPerSecond; requests in flight at the portal at most ${stats.inFlightMax} (--max-in-flight ${STORM_MAX_IN_FLIGHT})`,
        },
        {
          metric: 'sync_storm_503',
          value: busy,
          unit: 'answers',
          note: `503 busy answers (Retry-After: 1); answers by status ${statusText}`,
        },
        {
          metric: 'sync_storm_requests',
          value: stats.requests,
          unit: 'requests',
          note: `all /v1 requests until the last ack: ${stats.pushes} pushes handled (${(stats.pushes / minPushes).toFixed(2)}x the ${minPushes} needed, ${Math.ceil(STORM_ROWS / BATCH)} per counter; ${total / BATCH} if batches could span counters; results applied ${stats.results.applied}, duplicate ${stats.results.duplicate}), ${busy} refused busy, ${rosterPulls} roster pulls (2 per drained counter)`,
        },
      ];
    } finally {
      await Promise.all(counters.map((c) => c.engine.stop()));
      for (const c of counters) c.db.close();
      await portal.stop();
    }
  },
};

export const benchmarks: Benchmark[] = [rawLoopback, drain, pullLag, hungIpc, resumeAfterHang, storm];

export function cleanup(): void {
  template = null;
  raw = null;
}
