/**
 * Convergence under chaos, as a property: random interleavings of counter work (walk-ins,
 * check-ins of people booked at the portal, calling and serving tickets, roster bookings and
 * imports) with every failure the sync path can meet (portal faults of every kind, the sync
 * worker terminated, the whole app SIGKILLed and started again on its data folder, the portal
 * process SIGKILLed and restarted on its data folder) end, once the faults stop and the app
 * settles, in the same exactly-once state:
 *
 *  1. every outbox row is acknowledged (rejected only for a record a reject fault named);
 *  2. the portal holds each acknowledged walk-in / check-in record once by UUID, each ticket
 *     event once by mutation ID, and nothing else from this device;
 *  3. the portal's lastAppliedSeq for the device is the local max seq;
 *  4. whatever the app answered before a kill is there, once; an operation cut by a kill is
 *     there at most once, and retried with the same submission ID it answers with the ticket
 *     it made before the kill, if it made one.
 *
 * The counter runs in a child process (test/sync/counter-app.ts) with its real sync worker
 * thread; the portal is the reference portal as a process (faults on, loopback only).
 *
 * CONVERGENCE_SEED=<n> replays a run; CONVERGENCE_RUNS=<n> changes the number of runs;
 * CONVERGENCE_SHRINK=1 lets fast-check shrink a failure (slow: every try starts processes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RosterEntry, WalkInFormInput } from '../../common/domain';
import { RECORD_KINDS } from '../../common/sync-protocol';
import { prng, rosterCsv, rosterEntries, walkInForm } from '../../common/demo/people';
import { FAULT_KINDS, type FaultConfigInput } from '../../portal/faults';
import { startPortalProcess, type PortalHandle } from '../../portal/process';
import { PROVISIONING, setupCounter, tempDir } from '../store/harness';
import { eventually, lastingPortalDatabase } from './harness';

const ROOT = resolve(import.meta.dirname, '../..');
const APP = join(import.meta.dirname, 'counter-app.ts');
const TUNING = { backoffBaseMs: 50, backoffCapMs: 400, breakerThreshold: 5, halfOpenAfterMs: 300 };
const RUNS = Number(process.env.CONVERGENCE_RUNS ?? 8);
const SEED = process.env.CONVERGENCE_SEED ? Number(process.env.CONVERGENCE_SEED) : undefined;
const MAX_COMMANDS = 22;
/** no new run starts after this (a loaded machine): the file stays bounded; at least MIN_RUNS must have run */
const BUDGET_MS = Number(process.env.CONVERGENCE_BUDGET_MS ?? 75_000);
const MIN_RUNS = Math.min(3, RUNS);
const READY_TIMEOUT_MS = 20_000;
const ANSWER_TIMEOUT_MS = 15_000;
const SETTLE_TIMEOUT_MS = 30_000;

/** CONVERGENCE_DEBUG=<file>: a trace of every run (commands, sync status after each) */
const DEBUG = process.env.CONVERGENCE_DEBUG;
const debug = (...parts: unknown[]) => {
  if (DEBUG) appendFileSync(DEBUG, `${parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ')}\n`);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The app process

type AppError = { code: string; message: string; details?: Record<string, unknown> };
type Answer = { ok: true; value: unknown } | { ok: false; error: AppError };
/** what a request came to: its answer, or `cut` when the app died before answering */
type Outcome = Answer | { cut: true };
type TicketView = { id: string; token: string; status: string };

class AppProcess {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, (o: Outcome) => void>();
  private nextId = 1;
  private stderr = '';
  private closed = false;
  readonly exited: Promise<void>;
  readonly ready: Promise<{ deviceId: string }>;

  constructor(dataDir: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', APP, dataDir, JSON.stringify(TUNING)], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, COUNTER_LOG_LEVEL: 'silent' },
    });
    let readyLine: (v: { deviceId: string }) => void = () => undefined;
    let notReady: (e: Error) => void = () => undefined;
    this.ready = new Promise((ok, bad) => {
      readyLine = ok;
      notReady = bad;
    });
    const timer = setTimeout(
      () => notReady(new Error(`app not ready within ${READY_TIMEOUT_MS} ms\n${this.stderr}`)),
      READY_TIMEOUT_MS,
    );
    let partial = '';
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      // a line cut by the kill was never fully said: it does not count
      partial = parts.pop()!;
      for (const line of parts) {
        if (!line.trim()) continue;
        const m = JSON.parse(line) as { ready?: boolean; deviceId?: string; id?: number } & Answer;
        if (m.ready) {
          clearTimeout(timer);
          readyLine({ deviceId: m.deviceId! });
        } else if (m.id !== undefined) {
          const done = this.waiting.get(m.id);
          this.waiting.delete(m.id);
          done?.(m.ok ? { ok: true, value: m.value } : { ok: false, error: m.error });
        }
      }
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (c: string) => {
      if (this.stderr.length < 20_000) this.stderr += c;
    });
    this.child.stdin!.on('error', () => undefined);
    // 'close': the process has ended and its stdout is read to the end
    this.exited = new Promise((res) =>
      this.child.once('close', () => {
        this.closed = true;
        clearTimeout(timer);
        notReady(new Error(`app exited before it was ready\n${this.stderr}`));
        for (const done of this.waiting.values()) done({ cut: true });
        this.waiting.clear();
        res();
      }),
    );
  }

  /** Sends a request; the promise settles with its answer, or `cut` if the app dies first. */
  send(op: string, args: Record<string, unknown> = {}): Promise<Outcome> {
    if (this.closed) return Promise.resolve({ cut: true });
    const id = this.nextId++;
    const p = new Promise<Outcome>((res) => this.waiting.set(id, res));
    this.child.stdin!.write(`${JSON.stringify({ id, op, ...args })}\n`);
    return p;
  }

  /** Sends and waits (bounded) for the answer; the app must not die meanwhile. */
  async ask(op: string, args: Record<string, unknown> = {}): Promise<Answer> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, bad) => {
      timer = setTimeout(
        () => bad(new Error(`no answer to ${op} within ${ANSWER_TIMEOUT_MS} ms\n${this.stderr}`)),
        ANSWER_TIMEOUT_MS,
      );
    });
    try {
      const o = await Promise.race([this.send(op, args), timeout]);
      if ('cut' in o) throw new Error(`app died while answering ${op}\n${this.stderr}`);
      return o;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends and expects success. */
  async value<T>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const a = await this.ask(op, args);
    if (!a.ok) throw new Error(`${op} ${JSON.stringify(args).slice(0, 300)} failed: ${JSON.stringify(a.error)}`);
    return a.value as T;
  }

  query<T>(sql: string, ...params: unknown[]): Promise<T[]> {
    return this.value<T[]>('query', { sql, params });
  }

  /** SIGKILL: the whole app, sync worker thread included, as a power cut or a crash would. */
  async kill(): Promise<void> {
    if (!this.closed) this.child.kill('SIGKILL');
    await bounded(this.exited, 10_000, 'killed app did not exit');
  }

  /** A clean close (the backend closes and stops its worker). */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.send('close');
    await bounded(this.exited, 10_000, 'app did not exit after close').catch(() => this.kill());
  }
}

async function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, bad) => {
        timer = setTimeout(() => bad(new Error(`${what} within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Commands

type FaultRule = NonNullable<FaultConfigInput['rules']>[number];
type TicketAction = 'serve' | 'recall' | 'noShow' | 'requeue' | 'cancel';

type Command =
  | { t: 'walkIn'; n: number }
  | { t: 'checkIn'; pick: number }
  | { t: 'book'; n: number }
  | { t: 'importRoster' }
  | { t: 'callNext' }
  | { t: 'ticket'; action: TicketAction; pick: number }
  | { t: 'fault'; rule: FaultRule }
  | { t: 'reject'; pick: number }
  | { t: 'clearFaults' }
  | { t: 'syncNow' }
  | { t: 'pause'; ms: number }
  | { t: 'killWorker' }
  | { t: 'killApp'; burst: number; afterMs: number; retry: boolean }
  | { t: 'killPortal' }
  | { t: 'restartPortal' };

const faultRule: fc.Arbitrary<FaultRule> = fc.record({
  fault: fc.constantFrom(...FAULT_KINDS),
  route: fc.constantFrom('push' as const, 'roster' as const, 'any' as const),
  probability: fc.constantFrom(1, 0.6, 0.3),
  times: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
  // past the 2 s deadline at times: the portal commits after the counter gave up
  delayMs: fc.integer({ min: 50, max: 2600 }),
  retryAfterSeconds: fc.integer({ min: 0, max: 1 }),
});

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('walkIn' as const), n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('checkIn' as const), pick: fc.nat(50) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('book' as const), n: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'importRoster' as const }) },
  { weight: 3, arbitrary: fc.constant({ t: 'callNext' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('ticket' as const),
      action: fc.constantFrom<TicketAction>('serve', 'serve', 'recall', 'noShow', 'requeue', 'cancel'),
      pick: fc.nat(50),
    }),
  },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('fault' as const), rule: faultRule }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reject' as const), pick: fc.nat(50) }) },
  { weight: 2, arbitrary: fc.constant({ t: 'clearFaults' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'syncNow' as const }) },
  // time for the sync worker to work (and meet the faults) between the counter's actions
  { weight: 6, arbitrary: fc.record({ t: fc.constant('pause' as const), ms: fc.integer({ min: 20, max: 600 }) }) },
  { weight: 2, arbitrary: fc.constant({ t: 'killWorker' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('killApp' as const),
      burst: fc.integer({ min: 0, max: 4 }),
      // mostly while the burst is being handled (each takes a few ms), sometimes after
      afterMs: fc.constantFrom(0, 0, 1, 2, 3, 5, 8, 15, 40),
      retry: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'killPortal' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'restartPortal' as const }) },
);

// ---------------------------------------------------------------------------------------------
// One run

interface Confirmed {
  ticketId: string;
  token: string;
}

class Run {
  app!: AppProcess;
  deviceId = '';
  today = '';
  /** the counter's folder (kept across app kills) */
  dataDir = '';
  readonly token = `test-device-${randomBytes(32).toString('hex')}`;
  readonly centreId = `CONV-${randomBytes(4).toString('hex').toUpperCase()}`;
  readonly rand: () => number;
  /** people the portal could book for this centre, and how many of them it has booked */
  readonly pool: RosterEntry[];
  booked = 0;
  /** the portal's fault set (it lives in the portal process: a restart clears it) */
  rules: FaultRule[] = [];
  rejectIds: string[] = [];
  /** every record ID a reject fault ever named: only these may end rejected */
  readonly everRejected = new Set<string>();
  portalDown = false;
  /** answers the app gave: walk-ins by submission ID, check-ins by ref ID, ticket changes */
  readonly walkIns = new Map<string, Confirmed>();
  readonly checkIns = new Map<string, Confirmed>();
  readonly changes: { ticketId: string; kind: string }[] = [];
  /** every walk-in submission sent (answered or cut), with its form */
  readonly submissions = new Map<string, WalkInFormInput>();
  readonly log: string[] = [];
  stats = {
    appKills: 0,
    cut: 0,
    retried: 0,
    retriedFound: 0,
    workerKills: 0,
    portalKills: 0,
    rows: 0,
    pendingAtSettle: 0,
    failedTries: 0,
    workerStartMs: 0,
  };

  constructor(
    readonly portal: PortalHandle,
    seed: number,
  ) {
    this.rand = prng(seed);
    this.pool = rosterEntries(40, seed % 100_000);
  }

  async start(): Promise<void> {
    await this.portal.admin.addDevice(this.token, this.centreId);
    const setup = await setupCounter({
      at: new Date().toISOString(),
      signedIn: 'operator',
      provisioning: {
        centre: { ...PROVISIONING.centre, id: this.centreId },
        portal: { url: this.portal.url, deviceToken: this.token },
        sync: { requestTimeoutSeconds: 2, photoIdRetentionDays: 0 } as never,
      },
    });
    // the counter is set up in this process (no sync worker), then run as the app on its folder
    this.dataDir = setup.dataDir;
    this.today = setup.backend.today()!;
    await setup.close();
    await this.book(5);
    await this.launch();
  }

  async launch(): Promise<void> {
    this.app = new AppProcess(this.dataDir);
    const { deviceId } = await this.app.ready;
    if (this.deviceId && deviceId !== this.deviceId) throw new Error(`device ID changed: ${this.deviceId} -> ${deviceId}`);
    this.deviceId = deviceId;
    // the sync worker (a thread loading its own TypeScript) is running once it has tried the portal
    // (an upload or the first roster pull, through whatever faults there are): only then does it
    // take part in what follows
    const t0 = Date.now();
    await eventually(async () => {
      const s = await this.app.value<{ lastAttemptAt: string | null }>('status');
      if (s.lastAttemptAt === null) throw new Error(`sync worker has not tried the portal yet: ${JSON.stringify(s)}`);
    }, READY_TIMEOUT_MS);
    this.stats.workerStartMs = Math.max(this.stats.workerStartMs, Date.now() - t0);
  }

  async book(n: number): Promise<void> {
    const next = this.pool.slice(this.booked, this.booked + n);
    if (next.length === 0) return;
    await this.portal.admin.addAppointments(this.centreId, this.today, next);
    this.booked += next.length;
  }

  async setFaults(): Promise<void> {
    await this.portal.admin.setFaults({
      rules: this.rules,
      rejectRecordIds: this.rejectIds,
      seed: Math.floor(this.rand() * 1e6),
    });
  }

  private newForm(): WalkInFormInput {
    return walkInForm(this.rand);
  }

  private async freeRefs(): Promise<string[]> {
    const rows = await this.app.query<{ ref_id: string }>(
      `SELECT e.ref_id FROM roster_entry e JOIN roster_import i ON i.id = e.import_id AND i.status = 'active' AND i.day = ?
        WHERE e.ref_id NOT IN (SELECT ref_id FROM ticket WHERE ref_id IS NOT NULL AND day = ?) ORDER BY e.ref_id`,
      this.today,
      this.today,
    );
    return rows.map((r) => r.ref_id);
  }

  private confirmWalkIn(submissionId: string, o: Outcome): void {
    if ('cut' in o) return;
    if (!o.ok) throw new Error(`walk-in ${submissionId} refused: ${JSON.stringify(o.error)}`);
    const t = o.value as TicketView;
    const prev = this.walkIns.get(submissionId);
    if (prev && prev.ticketId !== t.id) throw new Error(`submission ${submissionId} answered ${prev.ticketId}, later ${t.id}`);
    this.walkIns.set(submissionId, { ticketId: t.id, token: t.token });
  }

  private confirmCheckIn(refId: string, o: Outcome, retry: boolean): void {
    if ('cut' in o) return;
    let c: Confirmed;
    if (o.ok) {
      const t = o.value as TicketView;
      c = { ticketId: t.id, token: t.token };
    } else if (retry && o.error.code === 'ALREADY_CHECKED_IN') {
      const d = o.error.details as { ticketId: string; token: string };
      c = { ticketId: d.ticketId, token: d.token };
    } else {
      throw new Error(`check-in of ${refId} refused: ${JSON.stringify(o.error)}`);
    }
    const prev = this.checkIns.get(refId);
    if (prev && prev.ticketId !== c.ticketId)
      throw new Error(`check-in of ${refId} answered ${prev.ticketId}, later ${c.ticketId}`);
    this.checkIns.set(refId, c);
  }

  private async tickets(status: string): Promise<{ id: string; dose: number | null }[]> {
    return this.app.query('SELECT id, dose FROM ticket WHERE day = ? AND status = ? ORDER BY rowid', this.today, status);
  }

  async exec(c: Command): Promise<void> {
    this.log.push(JSON.stringify(c));
    switch (c.t) {
      case 'walkIn':
        for (let i = 0; i < c.n; i++) {
          const submissionId = randomUUID();
          const form = this.newForm();
          this.submissions.set(submissionId, form);
          this.confirmWalkIn(submissionId, await this.app.ask('walkIn', { submissionId, form }));
        }
        return;
      case 'checkIn': {
        const refs = await this.freeRefs();
        if (refs.length === 0) return;
        const refId = refs[c.pick % refs.length]!;
        this.confirmCheckIn(refId, await this.app.ask('checkIn', { refId }), false);
        return;
      }
      case 'book':
        if (this.portalDown) return;
        await this.book(c.n);
        await this.app.value('syncNow');
        return;
      case 'importRoster':
        // the same people the portal has booked (a file from the same booking system)
        if (this.booked === 0) return;
        await this.app.value('importRoster', { content: rosterCsv(this.today, this.pool.slice(0, this.booked)) });
        return;
      case 'callNext': {
        const a = await this.app.ask('call', { method: 'callNext', request: {} });
        if (a.ok) this.changes.push({ ticketId: (a.value as TicketView).id, kind: 'ticket.called' });
        else if (a.error.code !== 'NOT_FOUND') throw new Error(`callNext failed: ${JSON.stringify(a.error)}`);
        return;
      }
      case 'ticket': {
        const from = { serve: 'called', recall: 'called', noShow: 'called', requeue: 'no_show', cancel: 'waiting' }[c.action];
        const candidates = await this.tickets(from);
        if (candidates.length === 0) return;
        const t = candidates[c.pick % candidates.length]!;
        const [method, request, kind] = {
          serve: [
            'serveTicket',
            { ticketId: t.id, vaccine: 'COVISHIELD', lotNumber: 'AB123', dose: t.dose ?? 1 },
            'vaccination.recorded',
          ],
          recall: ['recallTicket', { ticketId: t.id }, 'ticket.recalled'],
          noShow: ['markNoShow', { ticketId: t.id }, 'ticket.no_show'],
          requeue: ['requeueTicket', { ticketId: t.id }, 'ticket.requeued'],
          cancel: ['cancelTicket', { ticketId: t.id, reason: 'left the queue' }, 'ticket.cancelled'],
        }[c.action] as [string, object, string];
        await this.app.value('call', { method, request });
        this.changes.push({ ticketId: t.id, kind });
        return;
      }
      case 'fault':
        if (this.portalDown) return;
        this.rules = [...this.rules, c.rule].slice(-3);
        await this.setFaults();
        return;
      case 'reject': {
        if (this.portalDown) return;
        const ids = await this.app.query<{ record_id: string }>(
          `SELECT record_id FROM outbox WHERE kind IN (${RECORD_KINDS.map((k) => `'${k}'`).join(', ')}) ORDER BY seq`,
        );
        if (ids.length === 0) return;
        const id = ids[c.pick % ids.length]!.record_id;
        this.rejectIds = [...this.rejectIds, id];
        this.everRejected.add(id);
        await this.setFaults();
        return;
      }
      case 'clearFaults':
        if (this.portalDown) return;
        this.rules = [];
        this.rejectIds = [];
        await this.setFaults();
        return;
      case 'syncNow':
        await this.app.value('syncNow');
        return;
      case 'pause':
        await sleep(c.ms);
        return;
      case 'killWorker':
        this.stats.workerKills++;
        await this.app.value('killWorker');
        return;
      case 'killApp':
        await this.killApp(c.burst, c.afterMs, c.retry);
        return;
      case 'killPortal':
        if (this.portalDown) return;
        this.stats.portalKills++;
        await this.portal.kill();
        this.portalDown = true;
        this.rules = [];
        this.rejectIds = [];
        return;
      case 'restartPortal':
        await this.restartPortal();
        return;
    }
  }

  async restartPortal(): Promise<void> {
    if (!this.portalDown) return;
    await this.portal.restart();
    this.portalDown = false;
  }

  /**
   * Sends `burst` walk-ins / check-ins without waiting, SIGKILLs the app `afterMs` later and
   * starts it again. What was answered before the kill counts as confirmed; what was cut is
   * retried with the same IDs (as the renderer does after a lost reply) when `retry`.
   */
  private async killApp(burst: number, afterMs: number, retry: boolean): Promise<void> {
    const refs = burst > 0 ? await this.freeRefs() : [];
    const sent: { walkIn?: { submissionId: string; form: WalkInFormInput }; refId?: string; outcome: Promise<Outcome> }[] = [];
    for (let i = 0; i < burst; i++) {
      if (refs.length > 0 && this.rand() < 0.4) {
        const refId = refs.splice(Math.floor(this.rand() * refs.length), 1)[0]!;
        sent.push({ refId, outcome: this.app.send('checkIn', { refId }) });
      } else {
        const walkIn = { submissionId: randomUUID(), form: this.newForm() };
        this.submissions.set(walkIn.submissionId, walkIn.form);
        sent.push({ walkIn, outcome: this.app.send('walkIn', walkIn) });
      }
    }
    await sleep(afterMs);
    await this.app.kill();
    this.stats.appKills++;
    const cut: typeof sent = [];
    for (const s of sent) {
      const o = await s.outcome;
      if ('cut' in o) cut.push(s);
      else if (s.walkIn) this.confirmWalkIn(s.walkIn.submissionId, o);
      else this.confirmCheckIn(s.refId!, o, false);
    }
    this.stats.cut += cut.length;
    await this.launch();
    if (!retry) return;
    for (const s of cut) {
      this.stats.retried++;
      if (s.walkIn) {
        const before = await this.app.query<{ id: string }>(
          'SELECT t.id FROM ticket t JOIN walkin w ON w.id = t.walkin_id WHERE w.submission_id = ?',
          s.walkIn.submissionId,
        );
        const o = await this.app.ask('walkIn', s.walkIn);
        this.confirmWalkIn(s.walkIn.submissionId, o);
        if (before.length > 0) {
          this.stats.retriedFound++;
          expect((o as { value: TicketView }).value.id, `retried submission ${s.walkIn.submissionId} made a second ticket`).toBe(
            before[0]!.id,
          );
        }
      } else {
        const before = await this.app.query<{ id: string }>(
          'SELECT id FROM ticket WHERE day = ? AND ref_id = ?',
          this.today,
          s.refId,
        );
        const o = await this.app.ask('checkIn', { refId: s.refId });
        if (before.length > 0) {
          this.stats.retriedFound++;
          expect(o.ok, `retried check-in of ${s.refId} made a second ticket`).toBe(false);
        }
        this.confirmCheckIn(s.refId!, o, true);
        if (before.length > 0) expect(this.checkIns.get(s.refId!)!.ticketId).toBe(before[0]!.id);
      }
    }
  }

  /** Faults stop, the portal is up, the app runs: wait (bounded) until nothing is pending. */
  async settle(): Promise<void> {
    const [before] = await this.app.query<{ pending: number }>("SELECT count(*) AS pending FROM outbox WHERE state = 'pending'");
    this.stats.pendingAtSettle = before!.pending;
    const t0 = Date.now();
    if (process.env.CONVERGENCE_DEBUG)
      console.log('settle from', JSON.stringify(await this.app.value('status')), this.log.join(' '));
    await this.restartPortal();
    this.rules = [];
    this.rejectIds = [];
    await this.setFaults();
    await this.app.value('syncNow');
    let nudged = Date.now();
    await eventually(async () => {
      const s = await this.app.value<{ pending: number; uploading: boolean; workerRunning: boolean }>('status');
      if (s.pending === 0 && !s.uploading) return s;
      // a person would press "sync now" again after a while
      if (Date.now() - nudged > 2_000) {
        nudged = Date.now();
        await this.app.value('syncNow');
      }
      throw new Error(`not settled: ${JSON.stringify(s)}`);
    }, SETTLE_TIMEOUT_MS);
    debug('settled in', Date.now() - t0);
  }

  /** The exactly-once checks. */
  async check(): Promise<void> {
    const rows = await this.app.query<{
      seq: number;
      mutation_id: string;
      kind: string;
      record_id: string;
      state: string;
      day: string;
    }>("SELECT seq, mutation_id, kind, record_id, state, json_extract(payload, '$.day') AS day FROM outbox ORDER BY seq");
    this.stats.rows = rows.length;
    const [tries] = await this.app.query<{ n: number }>('SELECT coalesce(sum(attempts), 0) AS n FROM outbox');
    this.stats.failedTries = tries!.n;
    const isRecord = (kind: string) => (RECORD_KINDS as readonly string[]).includes(kind);

    // (1) every row answered: acknowledged, or rejected only where a reject fault named the record
    for (const r of rows) {
      if (r.state === 'rejected')
        expect(this.everRejected.has(r.record_id), `seq ${r.seq} (${r.kind}) rejected with no reject fault`).toBe(true);
      else expect(r.state, `seq ${r.seq} (${r.kind})`).toBe('acknowledged');
    }

    // (2) the portal holds this device's acknowledged records once by UUID and its events once by mutation ID, nothing else
    const days = [...new Set([this.today, ...rows.map((r) => r.day)])];
    const portalRecords: { recordId: string; mutationId: string; seq: number }[] = [];
    const portalEvents: { mutationId: string; seq: number }[] = [];
    for (const d of days) {
      const got = await this.portal.admin.records(this.centreId, d);
      portalRecords.push(...got.records.filter((r) => r.deviceId === this.deviceId));
      portalEvents.push(...got.events.filter((e) => e.deviceId === this.deviceId));
    }
    const ackRecords = rows.filter((r) => r.state === 'acknowledged' && isRecord(r.kind));
    const ackEvents = rows.filter((r) => r.state === 'acknowledged' && !isRecord(r.kind));
    const sorted = (xs: string[]) => [...xs].sort();
    expect(sorted(portalRecords.map((r) => r.recordId)), 'records at the portal (by UUID, each once)').toEqual(
      sorted(ackRecords.map((r) => r.record_id)),
    );
    const byRecord = new Map(ackRecords.map((r) => [r.record_id, r]));
    for (const p of portalRecords) {
      expect(p.mutationId, `record ${p.recordId}: mutation`).toBe(byRecord.get(p.recordId)!.mutation_id);
      expect(p.seq, `record ${p.recordId}: seq`).toBe(byRecord.get(p.recordId)!.seq);
    }
    expect(sorted(portalEvents.map((e) => e.mutationId)), 'ticket events at the portal (by mutation ID, each once)').toEqual(
      sorted(ackEvents.map((r) => r.mutation_id)),
    );

    // (3) the portal's last applied seq is the local max seq
    const clients = await this.portal.admin.clients();
    const client = clients.find((c) => c.deviceId.toLowerCase() === this.deviceId.toLowerCase());
    const maxSeq = rows.length > 0 ? rows[rows.length - 1]!.seq : 0;
    expect(client?.lastAppliedSeq ?? 0, 'portal lastAppliedSeq').toBe(maxSeq);

    // (4) what was answered is there, once; nothing was made twice
    const tickets = await this.app.query<{
      id: string;
      day: string;
      token: string;
      ref_id: string | null;
      submission_id: string | null;
    }>(`SELECT t.id, t.day, t.token, t.ref_id, w.submission_id FROM ticket t LEFT JOIN walkin w ON w.id = t.walkin_id`);
    const byId = new Map(tickets.map((t) => [t.id, t]));
    expect(byId.size, 'ticket IDs unique').toBe(tickets.length);
    for (const [submissionId, c] of this.walkIns) {
      const t = byId.get(c.ticketId);
      expect(t, `answered walk-in ticket ${c.token} (${c.ticketId}) is missing`).toBeDefined();
      expect(t!.token).toBe(c.token);
      expect(t!.submission_id).toBe(submissionId);
    }
    for (const [refId, c] of this.checkIns) {
      const t = byId.get(c.ticketId);
      expect(t, `answered check-in ticket ${c.token} (${c.ticketId}) is missing`).toBeDefined();
      expect(t!.token).toBe(c.token);
      expect(t!.ref_id).toBe(refId);
    }
    const once = (keys: string[], what: string) => {
      const seen = new Set<string>();
      for (const k of keys) {
        expect(seen.has(k), `${what} ${k} twice`).toBe(false);
        seen.add(k);
      }
    };
    once(
      tickets.map((t) => `${t.day}/${t.token}`),
      'token',
    );
    once(
      tickets.filter((t) => t.ref_id).map((t) => `${t.day}/${t.ref_id}`),
      'check-in of',
    );
    once(
      tickets.filter((t) => t.submission_id).map((t) => t.submission_id!),
      'walk-in submission',
    );
    for (const t of tickets)
      if (t.submission_id) expect(this.submissions.has(t.submission_id), `unknown submission ${t.submission_id}`).toBe(true);
    // one record row per ticket; every answered ticket change has its outbox row
    const issued = rows.filter((r) => isRecord(r.kind));
    const walkinIds = await this.app.query<{ id: string; ticket: string }>(
      'SELECT w.id, t.id AS ticket FROM walkin w JOIN ticket t ON t.walkin_id = w.id',
    );
    const recordOfTicket = new Map([...walkinIds.map((w) => [w.ticket, w.id] as const)]);
    once(
      issued.map((r) => r.record_id),
      'record row for',
    );
    expect(issued.length, 'one walkin.registered / checkin.created row per ticket').toBe(tickets.length);
    const recordRows = new Set(issued.map((r) => r.record_id));
    for (const t of tickets)
      expect(recordRows.has(recordOfTicket.get(t.id) ?? t.id), `ticket ${t.token}: its record's outbox row`).toBe(true);
    const changeRows = new Map<string, number>();
    for (const r of rows)
      if (!isRecord(r.kind)) changeRows.set(`${r.record_id}/${r.kind}`, (changeRows.get(`${r.record_id}/${r.kind}`) ?? 0) + 1);
    const answered = new Map<string, number>();
    for (const c of this.changes) answered.set(`${c.ticketId}/${c.kind}`, (answered.get(`${c.ticketId}/${c.kind}`) ?? 0) + 1);
    for (const [k, n] of answered) expect(changeRows.get(k) ?? 0, `outbox rows for answered change ${k}`).toBe(n);
  }

  async dispose(): Promise<void> {
    await this.app?.close().catch(() => this.app.kill());
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

describe('sync converges to exactly-once under faults and kills', () => {
  let portal: PortalHandle;
  let portalDir: string;

  beforeAll(async () => {
    portalDir = tempDir('portal-converge-');
    portal = await startPortalProcess({ faults: true, ...lastingPortalDatabase(portalDir) });
  });
  afterAll(async () => {
    await portal?.stop();
    if (portalDir) rmSync(portalDir, { recursive: true, force: true });
  });

  it('every interleaving settles to the same state at the portal and on the counter', { timeout: 170_000 }, async () => {
    const totals: Record<string, number> = {};
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 10, maxLength: MAX_COMMANDS, size: 'max' }),
        fc.integer({ min: 1, max: 1e9 }),
        async (commands, seed) => {
          if (Date.now() - started > BUDGET_MS) {
            totals.skipped = (totals.skipped ?? 0) + 1;
            return;
          }
          const run = new Run(portal, seed);
          const t0 = Date.now();
          try {
            await run.start();
            for (const c of commands) {
              await run.exec(c);
              if (DEBUG) debug(Date.now() - t0, JSON.stringify(c), JSON.stringify(await run.app.value('status')));
            }
            await run.settle();
            await run.check();
            debug(`run: ${Date.now() - t0} ms`, JSON.stringify(run.stats));
            for (const [k, v] of Object.entries({ runs: 1, commands: commands.length, ...run.stats }))
              totals[k] = k.endsWith('Ms') ? Math.max(totals[k] ?? 0, v) : (totals[k] ?? 0) + v;
          } catch (e) {
            const err = e instanceof Error ? e : new Error(String(e));
            err.message += `\ncommands run:\n  ${run.log.join('\n  ')}`;
            throw err;
          } finally {
            await run.dispose();
            // whatever happened, the next run starts with the portal up and without faults
            if (run.portalDown) await portal.restart();
            await portal.admin.setFaults({});
          }
        },
      ),
      {
        numRuns: RUNS,
        ...(SEED !== undefined ? { seed: SEED } : {}),
        endOnFailure: process.env.CONVERGENCE_SHRINK !== '1',
      },
    );
    console.log(`convergence: ${JSON.stringify(totals)} in ${Date.now() - started} ms`);
    expect(totals.runs ?? 0, `only ${totals.runs ?? 0} runs within ${BUDGET_MS} ms`).toBeGreaterThanOrEqual(MIN_RUNS);
  });
});
