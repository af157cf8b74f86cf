/**
 * Kill -9 at random moments while the counter registers walk-ins and checks people in, then
 * look at the file with a fresh connection: what was confirmed is there once, tokens never
 * repeat, every change has its outbox row, and the file is sound. The child is restarted
 * after each kill and first retries what it was doing when it died (same submission ID),
 * as the renderer does after a lost reply.
 *
 * CRASH_SEED=<n> replays the same kill schedule and data.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisioningSchema, type WalkInFormInput } from '../../common/domain';
import { prng } from '../../common/demo/people';
import { DEMO_PROVISIONING } from '../../common/demo/counter';
import { seedDemo } from '../../main/demo/seed';
import { silentLogger } from '../../main/logging/logger';
import { CounterBackend } from '../../main/counter';
import { formatToken } from '../../main/services/tickets';
import type { Retry } from './child';

const ROOT = resolve(import.meta.dirname, '../..');
const CHILD = join(import.meta.dirname, 'child.ts');
const ROSTER_SIZE = 3000;
const KILLS = 30;
const MIN_KILLS = 20;
/** Stop starting new rounds after this; the test fails if it has not reached MIN_KILLS by then. */
const BUDGET_MS = 70_000;
const READY_TIMEOUT_MS = 15_000;
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);

/** What the parent has seen the child confirm, over all runs. */
interface Confirmed {
  walkIns: Map<string, { ticketId: string; token: string }>; // by submission ID
  checkIns: Map<string, { ticketId: string; token: string }>; // by ref ID
}

interface Run {
  lines: string[];
  stderr: string;
  ready: boolean;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
  onLine(cb: () => void): void;
}

function startChild(dataDir: string, seed: number, offset: number, retry: Retry): Run {
  const args = ['--import', 'tsx', CHILD, dataDir, String(seed), String(offset)];
  if (retry.walkIn || retry.checkIn) args.push(Buffer.from(JSON.stringify(retry)).toString('base64'));
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, COUNTER_LOG_LEVEL: 'silent' },
  });
  const listeners: Array<() => void> = [];
  const run: Run = {
    lines: [],
    stderr: '',
    ready: false,
    exit: new Promise((res) => child.on('close', (code, signal) => res({ code, signal }))),
    kill: () => {
      child.kill('SIGKILL');
    },
    onLine: (cb) => listeners.push(cb),
  };
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    // A line cut by the kill has no newline: it was never fully said, so it does not count.
    partial = parts.pop()!;
    for (const line of parts) {
      run.lines.push(line);
      if (line === 'ready') run.ready = true;
      for (const cb of listeners) cb();
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (run.stderr.length < 20_000) run.stderr += chunk;
  });
  return run;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function waitForReady(run: Run, timeoutMs: number): Promise<boolean> {
  if (run.ready) return Promise.resolve(true);
  return new Promise((res) => {
    const timer = setTimeout(() => res(false), timeoutMs);
    run.onLine(() => {
      if (run.ready) {
        clearTimeout(timer);
        res(true);
      }
    });
    void run.exit.then(() => {
      clearTimeout(timer);
      res(run.ready);
    });
  });
}

/**
 * What the child was doing when it died: the last `try`/`tryci` with no answer after it.
 * The loop is sequential, so there is at most one of each kind.
 */
function inFlight(lines: string[]): Retry {
  const retry: Retry = {};
  let walkIn: Retry['walkIn'] | undefined;
  let checkIn: Retry['checkIn'] | undefined;
  for (const line of lines) {
    const [kind, a, , c] = line.split(' ');
    if (kind === 'try') {
      const rest = line.slice('try '.length + a!.length + 1);
      walkIn = { submissionId: a!, form: JSON.parse(rest) as WalkInFormInput };
    } else if (kind === 'ok' && walkIn && c === walkIn.submissionId) {
      walkIn = undefined;
    } else if (kind === 'tryci') {
      checkIn = { refId: a! };
    } else if ((kind === 'ci' || kind === 'already') && checkIn && c === checkIn.refId) {
      checkIn = undefined;
    }
  }
  if (walkIn) retry.walkIn = walkIn;
  if (checkIn) retry.checkIn = checkIn;
  return retry;
}

/**
 * What the next run must retry: this run's unanswered operation of each kind, or, when this
 * run died before it even tried one of that kind, the one it was handed.
 */
function pendingAfter(lines: string[], handed: Retry): Retry {
  const now = inFlight(lines);
  const tried = (kind: string) => lines.some((l) => l.startsWith(`${kind} `));
  const walkIn = tried('try') ? now.walkIn : handed.walkIn;
  const checkIn = tried('tryci') ? now.checkIn : handed.checkIn;
  return { ...(walkIn ? { walkIn } : {}), ...(checkIn ? { checkIn } : {}) };
}

/** Folds a run's confirmations into `confirmed`; returns every answer by submission or ref ID. */
function collect(lines: string[], confirmed: Confirmed): { errors: string[]; answers: Map<string, string> } {
  const errors: string[] = [];
  const answers = new Map<string, string>(); // submission or ref ID -> ticket ID answered
  for (const line of lines) {
    const [kind, a, b, c] = line.split(' ');
    if (kind === 'ok') {
      const prev = confirmed.walkIns.get(c!);
      if (prev && prev.ticketId !== a) errors.push(`submission ${c} confirmed as ${prev.ticketId} and later as ${a}`);
      confirmed.walkIns.set(c!, { ticketId: a!, token: b! });
      answers.set(c!, a!);
    } else if (kind === 'ci' || kind === 'already') {
      const prev = confirmed.checkIns.get(c!);
      if (prev && prev.ticketId !== a) errors.push(`check-in of ${c} confirmed as ${prev.ticketId} and later as ${a}`);
      confirmed.checkIns.set(c!, { ticketId: a!, token: b! });
      answers.set(c!, a!);
    } else if (kind === 'err') {
      errors.push(line);
    }
  }
  return { errors, answers };
}

interface TicketRow {
  rowid: number;
  id: string;
  day: string;
  token: string;
  lane: 'priority' | 'walkin';
  seq: number;
  source: string;
  ref_id: string | null;
  walkin_id: string | null;
  submission_id: string | null;
}

interface Observed {
  ticketIds: Set<string>;
  /** ticket committed for each submission ID / ref ID, as found in the file */
  bySubmission: Map<string, string>;
  byRef: Map<string, string>;
  seqCount: Map<string, number>;
}

/**
 * Every check of the file, with a connection of its own (opened after the child is gone, so
 * it is what the next start of the app would see). Returns what it found, for the next round.
 */
function checkFile(dbFile: string, confirmed: Confirmed, previous: Observed | null): Observed {
  const db = new Database(dbFile);
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);

    const tickets = db
      .prepare(
        `SELECT t.rowid, t.id, t.day, t.token, t.lane, t.seq, t.source, t.ref_id, t.walkin_id, w.submission_id
         FROM ticket t LEFT JOIN walkin w ON w.id = t.walkin_id ORDER BY t.rowid`,
      )
      .all() as TicketRow[];
    const byId = new Map(tickets.map((t) => [t.id, t]));
    expect(byId.size).toBe(tickets.length);

    // Everything the child confirmed is there, once, with the token it was given.
    for (const [submissionId, c] of confirmed.walkIns) {
      const t = byId.get(c.ticketId);
      expect(t, `confirmed walk-in ticket ${c.ticketId} (${c.token}) is missing`).toBeDefined();
      expect(t!.token).toBe(c.token);
      expect(t!.source).toBe('walkin');
      expect(t!.submission_id).toBe(submissionId);
    }
    for (const [refId, c] of confirmed.checkIns) {
      const t = byId.get(c.ticketId);
      expect(t, `confirmed check-in ticket ${c.ticketId} (${c.token}) is missing`).toBeDefined();
      expect(t!.token).toBe(c.token);
      expect(t!.source).toBe('online');
      expect(t!.ref_id).toBe(refId);
    }
    // Nothing committed earlier has gone, confirmed or not.
    if (previous)
      for (const id of previous.ticketIds) expect(byId.has(id), `ticket ${id} seen before the restart is gone`).toBe(true);

    // Tokens: unique per day, and per lane the numbers run 1, 2, 3... in the order the tickets were
    // made (a number is used only by a committed ticket, so there are no gaps either).
    const tokens = new Set<string>();
    const seqCount = new Map<string, number>();
    const provisioning = provisioningSchema.parse(DEMO_PROVISIONING);
    const letters = { priority: provisioning.lanes.priorityLetter, walkin: provisioning.lanes.walkInLetter };
    for (const t of tickets) {
      const key = `${t.day}/${t.token}`;
      expect(tokens.has(key), `token ${t.token} given twice on ${t.day}`).toBe(false);
      tokens.add(key);
      const lane = `${t.day}/${t.lane}`;
      const expected = (seqCount.get(lane) ?? 0) + 1;
      expect(t.seq, `ticket ${t.token}: lane ${lane} sequence`).toBe(expected);
      seqCount.set(lane, expected);
      expect(t.token).toBe(formatToken(provisioning.counter.tokenPrefix, letters[t.lane], t.seq));
    }
    const sequences = db.prepare('SELECT day, lane, last_seq FROM token_sequence').all() as {
      day: string;
      lane: string;
      last_seq: number;
    }[];
    for (const s of sequences)
      expect(s.last_seq, `token_sequence ${s.day}/${s.lane}`).toBe(seqCount.get(`${s.day}/${s.lane}`) ?? 0);
    for (const [lane, n] of seqCount) {
      expect(sequences.some((s) => `${s.day}/${s.lane}` === lane)).toBe(true);
      if (previous) expect(n).toBeGreaterThanOrEqual(previous.seqCount.get(lane) ?? 0);
    }

    // Walk-ins: one ticket each, one `walkin.registered` outbox row each, naming that ticket.
    const walkIns = db.prepare('SELECT id, submission_id FROM walkin').all() as { id: string; submission_id: string }[];
    const ticketOfWalkIn = new Map<string, TicketRow[]>();
    for (const t of tickets) if (t.walkin_id) ticketOfWalkIn.set(t.walkin_id, [...(ticketOfWalkIn.get(t.walkin_id) ?? []), t]);
    const registered = db.prepare("SELECT record_id, payload FROM outbox WHERE kind = 'walkin.registered'").all() as {
      record_id: string;
      payload: string;
    }[];
    const outboxOfWalkIn = new Map<string, { ticketId: string; token: string }[]>();
    for (const o of registered) {
      const p = JSON.parse(o.payload) as { ticketId: string; token: string };
      outboxOfWalkIn.set(o.record_id, [...(outboxOfWalkIn.get(o.record_id) ?? []), p]);
    }
    expect(registered.length).toBe(walkIns.length);
    for (const w of walkIns) {
      const ts = ticketOfWalkIn.get(w.id) ?? [];
      expect(ts.length, `walk-in ${w.id}: tickets`).toBe(1);
      const os = outboxOfWalkIn.get(w.id) ?? [];
      expect(os.length, `walk-in ${w.id}: walkin.registered rows`).toBe(1);
      expect(os[0]!.ticketId).toBe(ts[0]!.id);
      expect(os[0]!.token).toBe(ts[0]!.token);
    }

    // Check-ins: one `checkin.created` row per online ticket, and a registrant checked in once.
    const created = db
      .prepare("SELECT record_id, count(*) AS n FROM outbox WHERE kind = 'checkin.created' GROUP BY record_id")
      .all() as {
      record_id: string;
      n: number;
    }[];
    const online = tickets.filter((t) => t.source === 'online');
    expect(created.length).toBe(online.length);
    for (const c of created) {
      expect(c.n, `ticket ${c.record_id}: checkin.created rows`).toBe(1);
      expect(byId.get(c.record_id)?.source).toBe('online');
    }
    const refs = new Set<string>();
    for (const t of online) {
      expect(refs.has(t.ref_id!), `${t.ref_id} checked in twice`).toBe(false);
      refs.add(t.ref_id!);
    }

    // Each ticket was issued once; outbox sequence numbers and mutation IDs are unique.
    const issued = db
      .prepare("SELECT ticket_id, count(*) AS n FROM ticket_event WHERE action = 'issued' GROUP BY ticket_id")
      .all() as {
      ticket_id: string;
      n: number;
    }[];
    expect(issued.length).toBe(tickets.length);
    expect(issued.every((e) => e.n === 1)).toBe(true);
    const outboxCounts = db
      .prepare('SELECT count(*) AS n, count(DISTINCT mutation_id) AS m, count(DISTINCT seq) AS s FROM outbox')
      .get() as {
      n: number;
      m: number;
      s: number;
    };
    expect(outboxCounts.m).toBe(outboxCounts.n);
    expect(outboxCounts.s).toBe(outboxCounts.n);

    return {
      ticketIds: new Set(byId.keys()),
      bySubmission: new Map(tickets.filter((t) => t.submission_id).map((t) => [t.submission_id!, t.id])),
      byRef: new Map(online.map((t) => [t.ref_id!, t.id])),
      seqCount,
    };
  } finally {
    db.close();
  }
}

/** Milliseconds to add to the real time so the child's clock reads today 12:00 in the centre's time zone. */
function middayOffset(): number {
  const now = new Date();
  const tz = DEMO_PROVISIONING.centre.timeZone ?? 'Asia/Kolkata';
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(now)
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const sinceMidnight = (Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second)) * 1000;
  return 12 * 3600 * 1000 - sinceMidnight;
}

describe('kill -9 while registering', () => {
  let dataDir: string;
  const offset = middayOffset();

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'counter-crash-'));
    const backend = await CounterBackend.open({ dataDir, log: silentLogger(), clock: () => new Date(Date.now() + offset) });
    try {
      await seedDemo(backend, ROSTER_SIZE);
    } finally {
      backend.close();
    }
  });

  afterAll(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it(`loses nothing confirmed and repeats no token over ${KILLS} kills (seed ${SEED})`, { timeout: 100_000 }, async () => {
    const rand = prng(SEED);
    const dbFile = join(dataDir, 'counter.db');
    const confirmed: Confirmed = { walkIns: new Map(), checkIns: new Map() };
    const started = Date.now();
    let observed: Observed | null = null;
    let retry: Retry = {};
    let kills = 0;
    let startupMs = 1500;
    let retriesChecked = 0;

    for (let round = 0; round < KILLS && Date.now() - started < BUDGET_MS; round++) {
      const t0 = Date.now();
      const run = startChild(dataDir, SEED * 100 + round, offset, retry);
      // Most kills land while it works; every fourth lands anywhere from start-up on
      // (while opening the file, signing in, or retrying the in-flight operation).
      const early = round % 4 === 3;
      if (early) {
        await sleep(Math.floor(rand() * startupMs));
      } else {
        const ready = await waitForReady(run, READY_TIMEOUT_MS);
        expect(ready, `child did not start:\n${run.stderr}\n${run.lines.join('\n')}`).toBe(true);
        startupMs = Date.now() - t0;
        await sleep(20 + Math.floor(rand() * 400));
      }
      run.kill();
      const exit = await run.exit;
      if (exit.signal === 'SIGKILL') kills++;
      else expect(exit.code, `child ended by itself:\n${run.stderr}`).toBe(0);

      const { errors, answers } = collect(run.lines, confirmed);
      expect(errors, `child reported errors:\n${errors.join('\n')}\n${run.stderr}`).toEqual([]);

      // A retried operation answers with the ticket it made before the kill, if it had made one.
      if (observed) {
        for (const [key, answered] of answers) {
          const before =
            retry.walkIn?.submissionId === key
              ? observed.bySubmission.get(key)
              : retry.checkIn?.refId === key
                ? observed.byRef.get(key)
                : undefined;
          if (before) {
            expect(answered, `retry of ${key} made a second ticket`).toBe(before);
            retriesChecked++;
          }
        }
      }

      observed = checkFile(dbFile, confirmed, observed);
      retry = pendingAfter(run.lines, retry);
    }

    expect(kills, `only ${kills} kills within ${BUDGET_MS} ms`).toBeGreaterThanOrEqual(MIN_KILLS);
    expect(confirmed.walkIns.size).toBeGreaterThan(50);
    expect(confirmed.checkIns.size).toBeGreaterThan(10);

    // A last clean start: it opens, retries the in-flight operation, and the file still holds.
    const last = startChild(dataDir, SEED * 100 + 999, offset, retry);
    expect(await waitForReady(last, READY_TIMEOUT_MS)).toBe(true);
    await sleep(100);
    last.kill();
    await last.exit;
    expect(collect(last.lines, confirmed).errors).toEqual([]);
    checkFile(dbFile, confirmed, observed);
    console.log(
      `crash test: ${kills} kills, ${confirmed.walkIns.size} walk-ins and ${confirmed.checkIns.size} check-ins confirmed, ` +
        `${retriesChecked} retries of committed operations checked, ${Date.now() - started} ms (seed ${SEED})`,
    );
  });
});
