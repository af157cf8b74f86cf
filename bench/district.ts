/**
 * The district's sync server at district scale: 1,000 counters (devices, four to a centre, 250
 * centres), 300 mutations each, pushed as counters push (batches of up to 200, each device's
 * in sequence) to portal processes (`node --import tsx portal/cli.ts`) on PostgreSQL and on
 * SQLite, then read back through the admin API to check every mutation arrived exactly once.
 *
 *   district            PostgreSQL through 2 portal processes (pushes round-robin over them, so
 *                       a device's batches reach both), PostgreSQL through 1, SQLite through 1:
 *                       total time, mutations per second, push p50 and p99, CPU time per 1,000
 *   district_sustained  a steady 500 mutations/s (batches of 10: each counter every 20 s) through
 *                       2 processes on PostgreSQL for 60 s: push p99, the portals' memory and the
 *                       database's connections after a warm-up and at the end (no growth)
 *
 * The load generator runs in the bench process on the same 2 cores as the portals and
 * PostgreSQL: every request body is made before the clock starts and sent over keep-alive
 * connections. PostgreSQL is a throw-away cluster (scripts/pg-cluster.mjs), or the server at
 * DISTRICT_BENCH_DATABASE_URL (a schema of its own, dropped at the end); where neither can be
 * had the PostgreSQL runs are skipped with the reason and the SQLite run still runs.
 *
 * Environment: DISTRICT_SCALE (0.1: a tenth of the counters; default 1), DISTRICT_CONCURRENCY
 * (devices pushing at once), DISTRICT_SUSTAINED_SECONDS (default 60), DISTRICT_PG_POOL
 * (connections per portal process), DISTRICT_PG=off (the SQLite run only).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { startPortalProcess, type PortalHandle, type PortalProcessOptions } from '../portal/process';
import { POOL_IDLE_TIMEOUT_MS } from '../portal/postgres/db';
import type { PortalDatabase } from '../portal/store-api';
import {
  buildDistrictPlan,
  DistrictLoadError,
  pushDistrict,
  pushSteady,
  seedPortal,
  verifyDistrictDay,
  verifyExactlyOnce,
  type DistrictPlan,
  type DistrictShape,
  type PushTally,
} from './district-load';
import { round, summarize, type Benchmark, type BenchContext, type Metric } from './stats';

const ROOT = resolve(import.meta.dirname, '..');

function envNumber(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${name} must be a number from ${min} to ${max}, not ${raw}`);
  return n;
}

const SCALE = envNumber('DISTRICT_SCALE', 1, 0.004, 1);
const CENTRES = Math.max(1, Math.round(250 * SCALE));
const DEVICES_PER_CENTRE = 4;
const MUTATIONS_PER_DEVICE = 300;
const BATCH = 200;
/**
 * Devices catching up at once (each pushing its batches back to back, the next device starting
 * as one finishes). At a steady district rate a push is rarely waiting for another (see
 * district_sustained: about one in flight at 500 mutations/s); after an outage the counters that
 * come back push 200 at a time, and the portals refuse beyond --max-in-flight. On 2 cores the
 * portals and PostgreSQL are saturated with 4 devices catching up: 8 or 16 gave no higher rate,
 * only queueing, the push p99 growing with the number at once (measured: 4 devices p99 130-260 ms,
 * 8 devices 470-720 ms, 16 devices 1,000-1,300 ms, the rate the same within the machine's noise).
 */
const CONCURRENCY = envNumber('DISTRICT_CONCURRENCY', 4, 1, 64);
const PG_POOL = envNumber('DISTRICT_PG_POOL', 8, 1, 64);
const LOAD_BOUND_MS = 15 * 60_000;

const TARGET_RECORDS_PER_S = 5000;
const TARGET_PUSH_P99_MS = 250;

const SUSTAINED_RATE = 500;
const SUSTAINED_BATCH = 10;
const SUSTAINED_SECONDS = envNumber('DISTRICT_SUSTAINED_SECONDS', 60, 5, 3600);
const SUSTAINED_WARMUP_SECONDS = 10;
/** no growth: the portals' memory at the end at most a quarter above that after the warm-up */
const SUSTAINED_RSS_GROWTH_PCT = 25;

const SHARED_CORES = "the load generator, the portal processes and PostgreSQL share this machine's cores";

// ---------------------------------------------------------------------------------------------
// PostgreSQL: a throw-away cluster, or a server given

interface PgServer {
  url: string;
  /** the cluster's data folder when the bench started it (its processes' CPU time is read) */
  dataDir: string | null;
  /** where it came from, for the notes */
  label: string;
  close(): Promise<void>;
}

interface ClusterModule {
  findPostgres(): { bin: string } | { reason: string };
  startCluster(options?: { port?: number; dir?: string }): Promise<{ url: string; dataDir: string; remove(): Promise<void> }>;
}

async function postgres(ctx: BenchContext): Promise<PgServer | { reason: string }> {
  if (process.env.DISTRICT_PG === 'off') return { reason: 'DISTRICT_PG=off' };
  const given = process.env.DISTRICT_BENCH_DATABASE_URL;
  if (given)
    return { url: given, dataDir: null, label: 'the server at DISTRICT_BENCH_DATABASE_URL', close: async () => undefined };
  const file = resolve(ROOT, 'scripts/pg-cluster.mjs');
  if (!existsSync(file)) return { reason: 'scripts/pg-cluster.mjs is missing and DISTRICT_BENCH_DATABASE_URL is not set' };
  const cluster = (await import(pathToFileURL(file).href)) as ClusterModule;
  const found = cluster.findPostgres();
  if ('reason' in found) return { reason: found.reason };
  ctx.progress('starting a throw-away PostgreSQL cluster');
  try {
    const c = await cluster.startCluster();
    return { url: c.url, dataDir: c.dataDir, label: 'a throw-away cluster (scripts/pg-cluster.mjs)', close: () => c.remove() };
  } catch (e) {
    return { reason: `the PostgreSQL cluster could not be started: ${(e as Error).message}` };
  }
}

async function withPg<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'district-bench' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Rows in the schema's tables (partitions counted once): shows the portals wrote to PostgreSQL. */
async function rowsInSchema(url: string, schema: string): Promise<{ tables: number; rows: number }> {
  return withPg(url, async (c) => {
    const tables = await c.query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
      [schema],
    );
    let rows = 0;
    for (const t of tables.rows) {
      const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(schema)}.${quoteIdent(t.relname)}`);
      rows += Number(r.rows[0]!.n);
    }
    return { tables: tables.rows.length, rows };
  });
}

/** Connections to the portal's database other than this one (pg_stat_activity). */
const connections = (url: string): Promise<number> =>
  withPg(url, async (c) => {
    const r = await c.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    return Number(r.rows[0]!.n);
  });

const dropSchema = (url: string, schema: string) =>
  withPg(url, (c) => c.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`)).catch(() => undefined);

// ---------------------------------------------------------------------------------------------
// portal processes

type Engine = { engine: 'sqlite' } | { engine: 'postgres'; url: string; schema: string; dataDir: string | null };

/** `count` portal processes on one database; the first migrates it before the others start. */
async function startPortals(ctx: BenchContext, engine: Engine, count: number): Promise<PortalHandle[]> {
  const portals: PortalHandle[] = [];
  try {
    for (let i = 0; i < count; i++) {
      if (engine.engine === 'sqlite') {
        portals.push(await startPortalProcess({ dataDir: ctx.tempDir('district-sqlite') }));
      } else {
        const database: PortalDatabase = { engine: 'postgres', url: engine.url, schema: engine.schema, poolSize: PG_POOL };
        const options: PortalProcessOptions & { database: PortalDatabase } = { database };
        portals.push(await startPortalProcess(options));
      }
    }
    if (engine.engine === 'postgres') {
      const { tables } = await rowsInSchema(engine.url, engine.schema);
      if (tables === 0) {
        throw new DistrictLoadError(
          `the portal processes started with no tables in PostgreSQL schema ${engine.schema}: they did not open PostgreSQL (does startPortalProcess take \`database\`?)`,
        );
      }
    }
    return portals;
  } catch (e) {
    await Promise.all(portals.map((p) => p.stop()));
    throw e;
  }
}

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) / 1024;
}

/** The CPU time of a process so far, seconds (/proc/PID/stat: user + system, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The CPU seconds of a PostgreSQL cluster so far: its postmaster (postmaster.pid in the data
 * folder), the backends that have ended (counted into the postmaster's children's time) and
 * those still running.
 */
function postgresCpuSeconds(dataDir: string): number {
  const postmaster = Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  const stat = (pid: number | string) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const own = stat(postmaster);
  // fields after the command: state ppid ... utime(11) stime(12) cutime(13) cstime(14)
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const f = stat(pid);
      if (Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // ended meanwhile
    }
  }
  return ticks / 100;
}

/** The machine's busy and total CPU time so far (/proc/stat), in clock ticks. */
function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  // idle and iowait
  return { busy: total - cpu[3]! - (cpu[4] ?? 0), total };
}

/**
 * Where the CPU went while a load ran: the machine's cores busy (everyone's work, PostgreSQL's
 * included), the portal processes' and the load generator's own CPU seconds, and the load
 * average (work from outside the bench shows there). Call to read.
 */
function cpuMeter(
  portals: readonly PortalHandle[],
  pgDataDir: string | null,
): () => { text: string; ownSeconds: number | null; busiestPortalSeconds: number } {
  try {
    const pgCpu = () => {
      try {
        return pgDataDir ? postgresCpuSeconds(pgDataDir) : null;
      } catch {
        return null;
      }
    };
    const pg0 = pgCpu();
    const m0 = machineTicks();
    const p0 = portals.map((p) => cpuSeconds(p.pid));
    const g0 = process.cpuUsage();
    const t0 = performance.now();
    const load0 = loadavg()[0]!;
    return () => {
      const m1 = machineTicks();
      const wall = (performance.now() - t0) / 1000;
      const portalCpu = portals.map((p, i) => cpuSeconds(p.pid) - p0[i]!);
      const g = process.cpuUsage(g0);
      const generator = (g.user + g.system) / 1e6;
      const pg1 = pgCpu();
      const pgSeconds = pg0 !== null && pg1 !== null ? pg1 - pg0 : null;
      const pgText = pgSeconds !== null ? `PostgreSQL ${pgSeconds.toFixed(1)} s, ` : '';
      const text =
        `the machine's ${cpus().length} cores ${((100 * (m1.busy - m0.busy)) / (m1.total - m0.total)).toFixed(0)}% busy; ` +
        `portal processes ${portalCpu.map((c) => `${c.toFixed(1)} s`).join(' + ')}, ${pgText}load generator ${generator.toFixed(1)} s, in ${wall.toFixed(1)} s; ` +
        `load average ${load0.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after`;
      // the whole cost of the load only where PostgreSQL's share is known (a cluster of the bench's own) or there is none
      const ownSeconds =
        pgDataDir === null || pgSeconds !== null ? portalCpu.reduce((a, b) => a + b, 0) + generator + (pgSeconds ?? 0) : null;
      return { text, ownSeconds, busiestPortalSeconds: Math.max(...portalCpu) };
    };
  } catch {
    return () => ({ text: 'not measured (no /proc)', ownSeconds: null, busiestPortalSeconds: 0 });
  }
}

// ---------------------------------------------------------------------------------------------
// district

const shape: DistrictShape = {
  centres: CENTRES,
  devicesPerCentre: DEVICES_PER_CENTRE,
  mutationsPerDevice: MUTATIONS_PER_DEVICE,
  batch: BATCH,
};

const today = () => new Date().toISOString().slice(0, 10);

interface RunResult {
  seconds: number;
  perSecond: number;
  tally: PushTally;
  held: { records: number; events: number };
  /** CPU seconds of the portals, PostgreSQL and the generator together, where known */
  cpuSeconds: number | null;
  /** the CPU seconds of the busiest portal process (each runs its JavaScript on one core) */
  busiestPortalSeconds: number;
  processes: number;
  note: string;
}

/** One run: fresh portals on a fresh database, seeded, loaded, read back. */
async function districtRun(ctx: BenchContext, plan: DistrictPlan, engine: Engine, processes: number): Promise<RunResult> {
  const what = `${engine.engine} through ${processes} process${processes > 1 ? 'es' : ''}`;
  ctx.progress(`district: ${what}: starting`);
  const portals = await startPortals(ctx, engine, processes);
  try {
    await seedPortal(portals[0]!, plan);
    ctx.progress(
      `district: ${what}: ${plan.devices.length} devices and their bookings added; pushing ${plan.mutations} mutations`,
    );
    const cpu = cpuMeter(portals, engine.engine === 'postgres' ? engine.dataDir : null);
    const { seconds, tally } = await pushDistrict(
      plan,
      portals.map((p) => p.url),
      CONCURRENCY,
      LOAD_BOUND_MS,
      ctx.progress,
    );
    const used = cpu();
    if (tally.rejected > 0) throw new DistrictLoadError(`${tally.rejected} mutations rejected, first: ${tally.firstRejection}`);
    if (tally.applied + tally.duplicate !== plan.mutations) {
      throw new DistrictLoadError(
        `${tally.applied} applied and ${tally.duplicate} duplicate answers for ${plan.mutations} mutations`,
      );
    }
    const held = await verifyExactlyOnce(portals[portals.length - 1]!, plan);
    const dayMs = await verifyDistrictDay(portals[0]!, plan, tally);
    const dayNote =
      dayMs === null ? 'the district read side not served' : `the district's day read back in ${dayMs.toFixed(0)} ms, adding up`;
    let stored = '';
    if (engine.engine === 'postgres') {
      const rows = await rowsInSchema(engine.url, engine.schema);
      if (rows.rows < plan.mutations) {
        throw new DistrictLoadError(
          `PostgreSQL schema ${engine.schema} holds ${rows.rows} rows in ${rows.tables} tables, fewer than the ${plan.mutations} mutations: the portal processes did not keep their data there`,
        );
      }
      stored = `; ${rows.rows} rows in ${rows.tables} tables of its schema`;
    }
    const perSecond = plan.mutations / seconds;
    ctx.progress(`district: ${what}: ${seconds.toFixed(1)} s, ${perSecond.toFixed(0)} mutations/s, exactly once`);
    const s = summarize(tally.latencies);
    const note =
      `${plan.mutations} mutations (${held.records} records, ${held.events} ticket events) from ${plan.devices.length} devices ` +
      `in ${tally.pushes} pushes, ${CONCURRENCY} devices at once, ${what}; exactly once (admin API${stored}); ` +
      `push p50 ${s.p50.toFixed(0)} ms, p99 ${s.p99.toFixed(0)} ms, max ${s.max.toFixed(0)} ms; 503 answers ${tally.busy}, ` +
      `failed requests ${tally.failed}; possible duplicates flagged ${tally.possibleDuplicates}; ${dayNote}; CPU: ${used.text}`;
    return {
      seconds,
      perSecond,
      tally,
      held,
      cpuSeconds: used.ownSeconds,
      busiestPortalSeconds: used.busiestPortalSeconds,
      processes,
      note,
    };
  } finally {
    await Promise.all(portals.map((p) => p.stop()));
  }
}

/**
 * CPU time per 1,000 mutations, and the rate the machine's cores could carry were they the
 * load's alone: all the CPU time spread over every core, but no portal process faster than one
 * core runs its JavaScript.
 */
function cpuMetric(prefix: string, r: RunResult, plan: DistrictPlan): Metric {
  const cores = cpus().length;
  const spread = (cores * plan.mutations) / r.cpuSeconds!;
  const oneCoreEach = r.busiestPortalSeconds > 0 ? plan.mutations / r.busiestPortalSeconds : Infinity;
  const who =
    prefix === 'district_sqlite'
      ? 'the portal process and the load generator'
      : 'the portal processes, PostgreSQL and the load generator';
  return {
    metric: `${prefix}_cpu_ms_per_1k`,
    value: round((r.cpuSeconds! * 1e6) / plan.mutations, 0),
    unit: 'ms',
    note:
      `CPU time per 1,000 mutations of ${who} together, little changed by other work on the machine; ` +
      `on ${cores} cores of its own this load would reach at most ${round(Math.min(spread, oneCoreEach), 0)} mutations/s ` +
      `(${oneCoreEach < spread ? `the busiest of ${r.processes} portal process${r.processes > 1 ? 'es' : ''} on one core` : 'all its CPU time spread over the cores'})`,
  };
}

function runMetrics(prefix: string, r: RunResult, targets: boolean, plan: DistrictPlan): Metric[] {
  const s = summarize(r.tally.latencies);
  const perSecondText = targets
    ? `; target >= ${TARGET_RECORDS_PER_S}/s: ${r.perSecond >= TARGET_RECORDS_PER_S ? 'met' : 'NOT met'} (see ${prefix}_total_s)`
    : '';
  return [
    {
      metric: `${prefix}_records_per_s`,
      value: round(r.perSecond, 0),
      unit: 'mut/s',
      note: `mutations (records and ticket events) per second, first push to last answer${perSecondText}; ${r.note}`,
    },
    {
      metric: `${prefix}_total_s`,
      value: round(r.seconds, 1),
      unit: 's',
      ...(targets ? { target: { max: round(plan.mutations / TARGET_RECORDS_PER_S, 1) } } : {}),
      note: `${plan.mutations} mutations pushed and answered${targets ? ` (the target is ${TARGET_RECORDS_PER_S} mutations/s)` : ''}`,
    },
    ...(r.cpuSeconds === null ? [] : [cpuMetric(prefix, r, plan)]),
    { metric: `${prefix}_push_p50_ms`, value: round(s.p50, 1), unit: 'ms', note: `${s.n} pushes of up to ${BATCH}` },
    {
      metric: `${prefix}_push_p99_ms`,
      value: round(s.p99, 1),
      unit: 'ms',
      ...(targets ? { target: { max: TARGET_PUSH_P99_MS } } : {}),
      note: `${s.n} pushes of up to ${BATCH}, p90 ${s.p90.toFixed(0)} ms, max ${s.max.toFixed(0)} ms; ${SHARED_CORES}`,
    },
  ];
}

const district: Benchmark = {
  name: 'district',
  description: `district load: ${CENTRES * DEVICES_PER_CENTRE} counters x ${MUTATIONS_PER_DEVICE} mutations to portal processes on PostgreSQL (2 and 1) and SQLite (1), exactly once`,
  async run(ctx) {
    const plan = buildDistrictPlan(shape, today());
    ctx.progress(
      `district: plan of ${plan.mutations} mutations (${Object.entries(plan.mix)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}), ${(plan.bodyBytes / 1e6).toFixed(0)} MB of request bodies; ${SHARED_CORES}`,
    );
    const metrics: Metric[] = [];
    let skipped: string | null = null;
    const runs = new Map<number, RunResult>();
    // each run on a PostgreSQL of its own, so that none pays for the one before (its
    // checkpoints, autovacuum of its rows, the dropped schema's files)
    for (const processes of [2, 1]) {
      const server = await postgres(ctx);
      if ('reason' in server) {
        skipped = `PostgreSQL runs skipped: ${server.reason}`;
        ctx.progress(`district: ${skipped}`);
        break;
      }
      const schema = `district_${randomBytes(6).toString('hex')}`;
      try {
        const r = await districtRun(
          ctx,
          plan,
          { engine: 'postgres', url: server.url, schema, dataDir: server.dataDir },
          processes,
        );
        runs.set(processes, r);
        metrics.push(...runMetrics(processes === 2 ? 'district_pg' : 'district_pg1', r, processes === 2, plan));
      } finally {
        await dropSchema(server.url, schema);
        await server.close();
      }
    }
    const [two, one] = [runs.get(2), runs.get(1)];
    const head = metrics.find((x) => x.metric === 'district_pg_records_per_s');
    if (two && one && head) {
      head.note = `from 1 to 2 portal processes: ${(two.perSecond / one.perSecond).toFixed(2)} times the rate (${one.perSecond.toFixed(0)} to ${two.perSecond.toFixed(0)}/s), ${((two.cpuSeconds ?? NaN) / (one.cpuSeconds ?? NaN)).toFixed(2)} times the CPU time; ${head.note}`;
    }
    const sqlite = await districtRun(ctx, plan, { engine: 'sqlite' }, 1);
    const m = runMetrics('district_sqlite', sqlite, false, plan);
    if (skipped) m[0]!.note = `${skipped}; ${m[0]!.note}`;
    metrics.push(...m);
    return metrics;
  },
};

// ---------------------------------------------------------------------------------------------
// sustained

/** RSS of each portal process, MB. */
const portalRss = (portals: readonly PortalHandle[]) => portals.map((p) => rssMb(p.pid));

const sustained: Benchmark = {
  name: 'district_sustained',
  description: `a steady ${SUSTAINED_RATE} mutations/s for ${SUSTAINED_SECONDS} s (after ${SUSTAINED_WARMUP_SECONDS} s of warm-up) through 2 portal processes on PostgreSQL: push p99, memory and connections at the end`,
  async run(ctx) {
    const server = await postgres(ctx);
    if ('reason' in server) {
      ctx.progress(`district_sustained: skipped: ${server.reason}`);
      return [];
    }
    const schema = `district_${randomBytes(6).toString('hex')}`;
    try {
      const devices = CENTRES * DEVICES_PER_CENTRE;
      const interval = (SUSTAINED_BATCH / SUSTAINED_RATE) * 1000;
      const total = Math.ceil(((SUSTAINED_WARMUP_SECONDS + SUSTAINED_SECONDS) * 1000) / interval);
      const perDevice = Math.ceil(total / devices);
      const plan = buildDistrictPlan(
        {
          centres: CENTRES,
          devicesPerCentre: DEVICES_PER_CENTRE,
          mutationsPerDevice: perDevice * SUSTAINED_BATCH,
          batch: SUSTAINED_BATCH,
        },
        today(),
        13,
      );
      const engine: Engine = { engine: 'postgres', url: server.url, schema, dataDir: server.dataDir };
      const portals = await startPortals(ctx, engine, 2);
      try {
        await seedPortal(portals[0]!, plan);
        const urls = portals.map((p) => p.url);
        let afterWarmup: Promise<{ rss: number[]; connections: number }> | null = null;
        const before = { rss: portalRss(portals), connections: await connections(server.url) };
        ctx.progress(
          `district_sustained: ${devices} devices, a push of ${SUSTAINED_BATCH} every ${interval} ms (each device every ${((devices * interval) / 1000).toFixed(0)} s), ${total} pushes`,
        );
        const steady = await pushSteady(plan, urls, {
          intervalMs: interval,
          pushes: total,
          warmupPushes: Math.round((SUSTAINED_WARMUP_SECONDS * 1000) / interval),
          boundMs: (SUSTAINED_WARMUP_SECONDS + SUSTAINED_SECONDS) * 1000 + 120_000,
          onWarm: () => {
            const rss = portalRss(portals);
            afterWarmup = connections(server.url).then((n) => ({ rss, connections: n }));
          },
        });
        const { warm, measured, late, seconds, measuredSeconds, nextBatch } = steady;
        await sleep(2000);
        const after = { rss: portalRss(portals), connections: await connections(server.url) };
        const start = (await afterWarmup) ?? before;
        // a pool opens connections for a burst and closes them once idle: growth is what stays after that
        ctx.progress(`district_sustained: the pools idle for ${(POOL_IDLE_TIMEOUT_MS / 1000 + 2).toFixed(0)} s`);
        await sleep(POOL_IDLE_TIMEOUT_MS + 2000);
        const idled = await connections(server.url);
        // each device is checked for the batches it sent (every one was answered)
        const sent = plan.devices.map((d) => ({
          ...d,
          mutationIds: d.mutationIds.slice(0, (nextBatch.get(d.deviceId) ?? 0) * SUSTAINED_BATCH),
        }));
        const held = await verifyExactlyOnce(
          portals[1]!,
          plan,
          sent.filter((d) => d.mutationIds.length > 0),
        );
        const rows = await rowsInSchema(server.url, schema);
        if (rows.rows < held.records + held.events) {
          throw new DistrictLoadError(
            `PostgreSQL schema ${schema} holds ${rows.rows} rows: the portal processes did not keep their data there`,
          );
        }
        const applied = warm.applied + measured.applied + warm.duplicate + measured.duplicate;
        const s = summarize(measured.latencies);
        const rssStart = start.rss.reduce((a, b) => a + b, 0);
        const rssEnd = after.rss.reduce((a, b) => a + b, 0);
        const growth = ((rssEnd - rssStart) / rssStart) * 100;
        const mb = (xs: number[]) => xs.map((x) => `${x.toFixed(0)} MB`).join(' + ');
        const note = `${applied} mutations in ${seconds.toFixed(1)} s, exactly once; ${SHARED_CORES}`;
        return [
          {
            metric: 'district_sustained_records_per_s',
            value: round((measured.applied + measured.duplicate) / measuredSeconds, 0),
            unit: 'mut/s',
            note: `asked ${SUSTAINED_RATE}/s for ${SUSTAINED_SECONDS} s after ${SUSTAINED_WARMUP_SECONDS} s of warm-up: ${measured.applied + measured.duplicate} answered in ${measuredSeconds.toFixed(1)} s from the warm-up's end to the last answer; pushes sent late by the generator (more than one interval): ${late}; ${note}`,
          },
          {
            metric: 'district_sustained_push_p99_ms',
            value: round(s.p99, 1),
            unit: 'ms',
            target: { max: TARGET_PUSH_P99_MS },
            note: `${s.n} pushes of ${SUSTAINED_BATCH} after the warm-up, p50 ${s.p50.toFixed(0)} ms, max ${s.max.toFixed(0)} ms; 503 answers ${warm.busy + measured.busy}, failed requests ${warm.failed + measured.failed}`,
          },
          {
            metric: 'district_sustained_rss_growth_pct',
            value: round(growth, 1),
            unit: '%',
            target: { max: SUSTAINED_RSS_GROWTH_PCT },
            note: `the 2 portal processes' RSS after the warm-up ${mb(start.rss)}, at the end ${mb(after.rss)} (before any load ${mb(before.rss)}); no growth: at most ${SUSTAINED_RSS_GROWTH_PCT}% above`,
          },
          {
            metric: 'district_sustained_pg_connections_growth',
            value: idled - start.connections,
            unit: 'conns',
            target: { max: 0 },
            note: `connections to the database (pg_stat_activity): before any load ${before.connections}, after the warm-up ${start.connections}, at the end ${after.connections} (pool of ${PG_POOL} per process), ${idled} once the pools had idled ${POOL_IDLE_TIMEOUT_MS / 1000} s; no growth: after idling at most the warm-up's`,
          },
        ];
      } finally {
        await Promise.all(portals.map((p) => p.stop()));
      }
    } finally {
      await dropSchema(server.url, schema);
      await server.close();
    }
  },
};

export const benchmarks: Benchmark[] = [district, sustained];
