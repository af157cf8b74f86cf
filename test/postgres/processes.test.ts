/**
 * Exactly once under concurrency, with real portal processes over HTTP sharing one PostgreSQL
 * (the test command's, PORTAL_TEST_DATABASE_URL, else a throw-away cluster of this file's own):
 * the same batch sent to two processes at the same instant, a resend racing the original, two
 * devices of one centre pushing at once through both, a process SIGKILLed in the middle of a
 * batch of 200 and the counter's resend to the other, and one person's walk-in registered at
 * once at two counters. The SQLite engine's equivalents run through one process.
 * Skipped, with the reason printed, where PostgreSQL can be neither reached nor started.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mutation, PushRequest, PushResponse, PushResult } from '../../common/sync-protocol';
import { startPortalProcess, type PortalHandle } from '../../portal/process';
import type { AdminRecord } from '../../portal/store-api';
import { findPostgres, startCluster, type Cluster } from '../../scripts/pg-cluster.mjs';
import { DAY, batch, newAadhaar, ticketEvent, walkIn } from '../portal/helpers';

const REQUEST_TIMEOUT_MS = 30_000;
/** a counter's resend loop: bounded tries, each 503 waited out (shorter than its Retry-After, for the test's time) */
const RESEND_TRIES = 40;
const RESEND_WAIT_MS = 150;

/** The PostgreSQL these tests use, or why they are skipped. */
async function findDatabase(): Promise<{ url: string; cluster: Cluster | null } | { reason: string }> {
  const given = process.env.PORTAL_TEST_DATABASE_URL;
  if (given) return { url: given, cluster: null };
  const found = findPostgres();
  if ('reason' in found) return { reason: found.reason };
  try {
    const cluster = await startCluster();
    return { url: cluster.url, cluster };
  } catch (e) {
    return { reason: `a throw-away cluster did not start: ${(e as Error).message}` };
  }
}

const database = await findDatabase();
const pgSkip =
  'reason' in database
    ? `no PostgreSQL for the portal process tests (${database.reason}): the PostgreSQL cases are skipped`
    : null;
if (pgSkip) console.warn(pgSkip);
// at the file's end, not the PostgreSQL cases': their hooks do not run when none of them is chosen
afterAll(async () => {
  if ('cluster' in database) await database.cluster?.remove();
}, 60_000);

// ---- talking to a portal as a counter does ----

interface Answer {
  /** 0 when no answer came (the connection was cut: the process was killed) */
  status: number;
  body: PushResponse & { error?: string; expectedSeq?: number };
  retryAfter: string | null;
}

async function pushTo(portal: PortalHandle, token: string, req: PushRequest): Promise<Answer> {
  try {
    const res = await fetch(`${portal.url}/v1/push`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(req),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text ? JSON.parse(text) : ({} as Answer['body']),
      retryAfter: res.headers.get('retry-after'),
    };
  } catch {
    return { status: 0, body: {} as Answer['body'], retryAfter: null };
  }
}

/** The counter's resend: until the portal answers 200, waiting out 503s (bounded). */
async function resend(portal: PortalHandle, token: string, req: PushRequest): Promise<Answer> {
  let last: Answer | undefined;
  for (let i = 0; i < RESEND_TRIES; i++) {
    last = await pushTo(portal, token, req);
    if (last.status === 200) return last;
    if (last.status !== 503 && last.status !== 0) break;
    expect(last.status === 0 || last.retryAfter !== null, 'a 503 says when to come back (Retry-After)').toBe(true);
    await new Promise((r) => setTimeout(r, RESEND_WAIT_MS));
  }
  throw new Error(`the resend was not taken: ${last?.status} ${JSON.stringify(last?.body)}`);
}

const statuses = (a: Answer) => a.body.results.map((r: PushResult) => r.status);
const newToken = () => randomBytes(32).toString('base64url');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** n walk-ins with consecutive sequence numbers from `from` */
const walkIns = (from: number, n: number): Mutation[] => Array.from({ length: n }, (_, i) => walkIn(from + i));

/** A new centre with `n` counters' tokens, added through one portal's admin API (the database is shared). */
async function centreWith(portal: PortalHandle, n: number): Promise<{ centre: string; tokens: string[] }> {
  const centre = `PROC-${randomBytes(4).toString('hex').toUpperCase()}`;
  const tokens = Array.from({ length: n }, newToken);
  for (const [i, t] of tokens.entries()) await portal.admin.addDevice(t, centre, `counter ${i + 1}`);
  return { centre, tokens };
}

/** every record of the centre's day kept once, and each device's records numbered 1..n without a gap */
async function expectOnceWithoutGaps(portal: PortalHandle, centre: string, devices: Record<string, number>) {
  const { records } = await portal.admin.records(centre, DAY);
  const ids = records.map((r: AdminRecord) => r.recordId);
  expect(new Set(ids).size, 'no record kept twice').toBe(ids.length);
  for (const [deviceId, n] of Object.entries(devices)) {
    const seqs = records
      .filter((r) => r.deviceId === deviceId)
      .map((r) => r.seq)
      .sort((a, b) => a - b);
    expect(seqs, `device ${deviceId}: records 1..${n}, each once`).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  }
  const clients = await portal.admin.clients();
  for (const [deviceId, n] of Object.entries(devices)) {
    expect(clients.find((c) => c.deviceId === deviceId)?.lastAppliedSeq, `device ${deviceId}: last applied`).toBe(n);
  }
  return records;
}

/** each mutation applied by exactly one of the answers, the others saying duplicate */
function expectAppliedOnce(answers: Answer[], req: PushRequest) {
  for (const a of answers) {
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(a.body.lastAppliedSeq).toBe(req.mutations.at(-1)!.seq);
  }
  req.mutations.forEach((m, i) => {
    const got = answers.map((a) => a.body.results[i]!);
    for (const r of got) expect(r.mutationId).toBe(m.mutationId);
    expect(got.map((r) => r.status).sort(), `seq ${m.seq}`).toEqual(['applied', ...Array(answers.length - 1).fill('duplicate')]);
  });
}

// ---- PostgreSQL: several processes ----

describe.skipIf(pgSkip !== null)('PostgreSQL: exactly once across real portal processes', () => {
  const url = 'url' in database ? database.url : '';
  const schema = `t_proc_${randomBytes(6).toString('hex')}`;
  let one: PortalHandle;
  let two: PortalHandle;

  const sql = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> => {
    const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  };
  const loggedSeqs = async (deviceId: string) =>
    (await sql<{ seq: number }>('SELECT seq::int FROM mutation_log WHERE device_id = $1 ORDER BY seq', [deviceId])).map(
      (r) => r.seq,
    );

  beforeAll(async () => {
    const db = { engine: 'postgres' as const, url, schema, poolSize: 4 };
    // one after the other: the first migrates (two opening at once is a test of its own)
    one = await startPortalProcess({ database: db });
    two = await startPortalProcess({ database: db });
  }, 90_000);

  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop()].map((p) => p?.catch(() => undefined)));
    await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  }, 60_000);

  it('the same batch pushed to two processes at the same instant is applied once; one answer applied, the other duplicate', async () => {
    const { centre, tokens } = await centreWith(one, 1);
    const device = randomUUID();
    let seq = 0;
    const ROUNDS = 10;
    for (let round = 0; round < ROUNDS; round++) {
      const ticket = randomUUID();
      const mutations = [walkIn(++seq, { recordId: ticket }), ticketEvent(++seq, ticket), ...walkIns(seq + 1, 18)];
      seq += 18;
      const req = batch(device, mutations, centre);
      // both requests fired before either is awaited
      const answers = await Promise.all([pushTo(one, tokens[0]!, req), pushTo(two, tokens[0]!, req)]);
      expectAppliedOnce(answers, req);
    }
    const { records, events } = await one.admin.records(centre, DAY);
    expect(records).toHaveLength(ROUNDS * 19);
    expect(events).toHaveLength(ROUNDS);
    expect(new Set(records.map((r) => r.recordId)).size).toBe(ROUNDS * 19);
    expect((await two.admin.clients()).find((c) => c.deviceId === device)?.lastAppliedSeq).toBe(seq);
    expect(await loggedSeqs(device)).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
  }, 60_000);

  it('a resend racing the original (0-20 ms later, to the other process) applies each mutation once, over 20 batches', async () => {
    const { centre, tokens } = await centreWith(one, 1);
    const device = randomUUID();
    const ROUNDS = 20;
    const SIZE = 10;
    for (let round = 0; round < ROUNDS; round++) {
      const req = batch(device, walkIns(round * SIZE + 1, SIZE), centre);
      const [first, second] = round % 2 === 0 ? [one, two] : [two, one];
      const delay = (round * 7) % 21; // 0..20 ms, a different one each round
      const original = pushTo(first, tokens[0]!, req);
      await sleep(delay);
      const again = pushTo(second, tokens[0]!, req);
      expectAppliedOnce(await Promise.all([original, again]), req);
    }
    await expectOnceWithoutGaps(one, centre, { [device]: ROUNDS * SIZE });
    expect(await loggedSeqs(device)).toEqual(Array.from({ length: ROUNDS * SIZE }, (_, i) => i + 1));
  }, 60_000);

  it('two devices of one centre pushing at once through both processes each advance without gaps, every record once', async () => {
    const { centre, tokens } = await centreWith(one, 2);
    const devices = [randomUUID(), randomUUID()];
    const BATCHES = 15;
    const SIZE = 10;
    const counter = async (d: 0 | 1) => {
      for (let b = 0; b < BATCHES; b++) {
        const req = batch(devices[d]!, walkIns(b * SIZE + 1, SIZE), centre);
        // device 0 goes one, two, one...; device 1 two, one, two...: every batch meets the other device's on the other process
        const to = (b + d) % 2 === 0 ? one : two;
        const answer = await resend(to, tokens[d]!, req);
        expect(answer.body.lastAppliedSeq).toBe((b + 1) * SIZE);
        expect(statuses(answer)).toEqual(Array(SIZE).fill('applied'));
      }
    };
    await Promise.all([counter(0), counter(1)]);
    await expectOnceWithoutGaps(two, centre, { [devices[0]!]: BATCHES * SIZE, [devices[1]!]: BATCHES * SIZE });
    for (const d of devices) expect(await loggedSeqs(d)).toEqual(Array.from({ length: BATCHES * SIZE }, (_, i) => i + 1));
  }, 60_000);

  it('a process SIGKILLed in the middle of a batch of 200: the resend to the other process applies each mutation once, nothing lost', async () => {
    const { centre, tokens } = await centreWith(one, 1);
    const db = { engine: 'postgres' as const, url, schema, poolSize: 4 };
    const victim = await startPortalProcess({ database: db });
    const device = randomUUID();
    const SIZE = 200;
    // kill after these delays (ms), with a little randomness each: before, during and around the batch's transaction
    const DELAYS = [0, 5, 15, 30, 50, 80, 120];
    let cut = 0;
    let committedBeforeKill = 0;
    try {
      for (const [round, base] of DELAYS.entries()) {
        const req = batch(device, walkIns(round * SIZE + 1, SIZE), centre);
        const inFlight = pushTo(victim, tokens[0]!, req);
        await sleep(base + Math.floor(Math.random() * 5));
        await victim.kill();
        const lost = await inFlight;
        if (lost.status === 0) cut++;
        // the counter never saw an answer it trusts: it sends the same batch to the other process
        const answer = await resend(two, tokens[0]!, req);
        expect(answer.body.lastAppliedSeq).toBe((round + 1) * SIZE);
        const got = statuses(answer);
        // all applied by the resend, or all by the killed process before it died: never part of a batch
        expect(got.every((s) => s === 'applied') || got.every((s) => s === 'duplicate'), got.join(',')).toBe(true);
        if (got[0] === 'duplicate') committedBeforeKill++;
        await victim.restart();
      }
    } finally {
      await victim.stop().catch(() => undefined);
    }
    console.info(
      `SIGKILL mid-batch: ${cut} of ${DELAYS.length} pushes cut by the kill, ${committedBeforeKill} had committed first`,
    );
    // the kill came while the push was in flight at least once (else this test showed nothing)
    expect(cut, `rounds whose push was cut by the kill (${committedBeforeKill} had committed first)`).toBeGreaterThan(0);
    await expectOnceWithoutGaps(one, centre, { [device]: DELAYS.length * SIZE });
    expect(await loggedSeqs(device)).toEqual(Array.from({ length: DELAYS.length * SIZE }, (_, i) => i + 1));
  }, 120_000);

  it('a process SIGKILLed while its batch of 200 is inside its transaction applies none of it; the resend to the other applies all once', async () => {
    const { centre, tokens } = await centreWith(one, 1);
    const victim = await startPortalProcess({ database: { engine: 'postgres', url, schema, poolSize: 4 } });
    const device = randomUUID();
    const blocker = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
    await blocker.connect();
    try {
      expect(statuses(await resend(one, tokens[0]!, batch(device, walkIns(1, 1), centre)))).toEqual(['applied']);
      // another holds the device's sequence row: the victim's batch is certain to be inside its transaction
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM device_client WHERE device_id = $1 FOR UPDATE', [device]);
      const blockerPid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const req = batch(device, walkIns(2, 200), centre);
      const inFlight = pushTo(victim, tokens[0]!, req);
      let waiting: number | undefined;
      for (let i = 0; i < 200 && waiting === undefined; i++) {
        await sleep(25);
        waiting = (
          await sql<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [blockerPid])
        )[0]?.pid;
      }
      expect(waiting, "the victim's batch waits for the device's row").toBeDefined();
      await victim.kill();
      expect((await inFlight).status, 'no answer from a killed process').toBe(0);
      // the counter's resend goes to the other process while the killed one's transaction is still open
      const again = resend(two, tokens[0]!, req);
      await sleep(50);
      await blocker.query('ROLLBACK');
      const answer = await again;
      expect(answer.body.lastAppliedSeq).toBe(201);
      expect(statuses(answer)).toEqual(Array(200).fill('applied'));
      // the killed process's connection ends with its transaction rolled back: no lock or connection left behind
      let left = 1;
      for (let i = 0; i < 100 && left > 0; i++) {
        left = (await sql<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [waiting]))[0]!.n;
        if (left > 0) await sleep(50);
      }
      expect(left, "the killed process's database connection has ended").toBe(0);
    } finally {
      await blocker.end().catch(() => undefined);
      await victim.stop().catch(() => undefined);
    }
    await expectOnceWithoutGaps(one, centre, { [device]: 201 });
    expect(await loggedSeqs(device)).toEqual(Array.from({ length: 201 }, (_, i) => i + 1));
  }, 60_000);

  // Fails on the PostgreSQL store as it is: see the last assertion's message (the fix is a lock on
  // the centre's photo ID taken before the photo IDs seen are read).
  it('one person registered as a walk-in at two counters at once: both records kept, the later one flagged as a possible duplicate of the other', async () => {
    // The rule: a walk-in whose photo ID matches an earlier walk-in of the same centre is flagged
    // possible_duplicate with duplicateOf naming it. Under a race the batch that commits second
    // must see the first one's walk-in, so exactly one of the two is flagged and names the other.
    const { centre, tokens } = await centreWith(one, 2);
    const devices = [randomUUID(), randomUUID()];
    const ROUNDS = 8;
    const unflagged: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const photoIdNumber = newAadhaar();
      const a = walkIn(round + 1, { photoIdNumber });
      const b = walkIn(round + 1, { photoIdNumber });
      const [ra, rb] = await Promise.all([
        pushTo(one, tokens[0]!, batch(devices[0]!, [a], centre)),
        pushTo(two, tokens[1]!, batch(devices[1]!, [b], centre)),
      ]);
      expect([ra.status, rb.status]).toEqual([200, 200]);
      const [x, y] = [ra.body.results[0]!, rb.body.results[0]!];
      expect([x.status, y.status]).toEqual(['applied', 'applied']);
      const flagged = [x, y].filter((r) => r.flags?.includes('possible_duplicate'));
      if (flagged.length === 0) unflagged.push(round + 1);
      else {
        expect(flagged, 'only the later of the two is flagged').toHaveLength(1);
        const other = flagged[0] === x ? b.recordId : a.recordId;
        expect(flagged[0]!.duplicateOf).toEqual([other]);
      }
    }
    const records = await expectOnceWithoutGaps(one, centre, { [devices[0]!]: ROUNDS, [devices[1]!]: ROUNDS });
    expect(records).toHaveLength(2 * ROUNDS);
    expect(
      unflagged,
      'rounds in which neither walk-in was flagged: the two batches read the photo IDs seen before either committed ' +
        '(portal/postgres/store.ts pushIn, photoIdsSeen under READ COMMITTED with no lock on the photo ID)',
    ).toEqual([]);
  }, 60_000);
});

// ---- SQLite: one process ----

// (in the test command's PostgreSQL run, with the other suites about engines and processes)
describe('SQLite: the same races through one portal process', () => {
  let portal: PortalHandle;
  beforeAll(async () => {
    portal = await startPortalProcess();
  }, 60_000);
  afterAll(async () => {
    await portal?.stop();
  }, 30_000);

  it('the same batch sent twice at once through one process is applied once; one answer applied, the other duplicate', async () => {
    const { centre, tokens } = await centreWith(portal, 1);
    const device = randomUUID();
    const ROUNDS = 10;
    const SIZE = 20;
    for (let round = 0; round < ROUNDS; round++) {
      const req = batch(device, walkIns(round * SIZE + 1, SIZE), centre);
      expectAppliedOnce(await Promise.all([pushTo(portal, tokens[0]!, req), pushTo(portal, tokens[0]!, req)]), req);
    }
    await expectOnceWithoutGaps(portal, centre, { [device]: ROUNDS * SIZE });
  }, 60_000);

  it('one person registered at two counters at once: both kept, exactly one flagged as a possible duplicate of the other', async () => {
    const { centre, tokens } = await centreWith(portal, 2);
    const devices = [randomUUID(), randomUUID()];
    const ROUNDS = 8;
    for (let round = 0; round < ROUNDS; round++) {
      const photoIdNumber = newAadhaar();
      const a = walkIn(round + 1, { photoIdNumber });
      const b = walkIn(round + 1, { photoIdNumber });
      const [ra, rb] = await Promise.all([
        pushTo(portal, tokens[0]!, batch(devices[0]!, [a], centre)),
        pushTo(portal, tokens[1]!, batch(devices[1]!, [b], centre)),
      ]);
      const [x, y] = [ra.body.results[0]!, rb.body.results[0]!];
      expect([x.status, y.status]).toEqual(['applied', 'applied']);
      const flagged = [x, y].filter((r) => r.flags?.includes('possible_duplicate'));
      expect(flagged).toHaveLength(1);
      expect(flagged[0]!.duplicateOf).toEqual([flagged[0] === x ? b.recordId : a.recordId]);
    }
    await expectOnceWithoutGaps(portal, centre, { [devices[0]!]: ROUNDS, [devices[1]!]: ROUNDS });
  }, 60_000);
});
