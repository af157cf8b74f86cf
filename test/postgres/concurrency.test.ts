/**
 * Exactly once when several portal processes share one PostgreSQL: each store here has a pool
 * of its own, as each portal process does, and the same schema.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushResponse } from '../../common/sync-protocol';
import { PgPortalStore } from '../../portal/postgres/store';
import { PortalError, hashToken } from '../../portal/store-api';
import { CENTRE, NOW, batch, ticketEvent, walkIn } from '../portal/helpers';
import { PG_URL, dropSchemas, newSchema, pgReason, sql } from './pg';

const TOKEN_A = 'concurrency token of counter A, 32+ bytes long';
const TOKEN_B = 'concurrency token of counter B, 32+ bytes long';
const ctx = (token: string) => ({ tokenHash: hashToken(token), now: NOW });

describe.skipIf(pgReason !== null)('PostgreSQL: exactly once across portal processes', () => {
  let schema: string;
  let one: PgPortalStore;
  let two: PgPortalStore;

  beforeAll(async () => {
    schema = newSchema();
    one = new PgPortalStore({ url: PG_URL, schema, poolSize: 4 });
    two = new PgPortalStore({ url: PG_URL, schema, poolSize: 4 });
    await Promise.all([one.ready(), two.ready()]);
    await one.addDevice({ token: TOKEN_A, centreId: CENTRE, label: 'A' }, NOW);
    await one.addDevice({ token: TOKEN_B, centreId: CENTRE, label: 'B' }, NOW);
  });
  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
    await dropSchemas();
  });

  const count = async (table: 'record' | 'ticket_event' | 'mutation_log', deviceId: string) =>
    (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE device_id = $1`, [deviceId], schema))[0]!.n;

  it('the same batch pushed to two processes at once is applied once, and both answers say so', async () => {
    const device = randomUUID();
    let seq = 0;
    for (let round = 0; round < 8; round++) {
      const ticket = randomUUID();
      const mutations = [walkIn(++seq, { recordId: ticket }), ticketEvent(++seq, ticket), walkIn(++seq)];
      const req = batch(device, mutations);
      const [a, b] = await Promise.all([one.push(req, ctx(TOKEN_A)), two.push(req, ctx(TOKEN_A))]);
      for (const answer of [a, b]) expect(answer.lastAppliedSeq).toBe(seq);
      // each mutation applied by exactly one of the two; the other answers duplicate
      mutations.forEach((_, i) => {
        expect([a.results[i]!.status, b.results[i]!.status].sort()).toEqual(['applied', 'duplicate']);
      });
    }
    expect(await count('record', device)).toBe(16);
    expect(await count('ticket_event', device)).toBe(8);
    expect((await one.clients()).find((c) => c.deviceId === device)?.lastAppliedSeq).toBe(24);
  });

  it('a resend racing the original, and a later batch racing both, leave the sequence without gaps', async () => {
    const device = randomUUID();
    const first = batch(device, [walkIn(1), walkIn(2), walkIn(3)]);
    const next = batch(device, [walkIn(4), walkIn(5)]);
    const answers = await Promise.allSettled([
      one.push(first, ctx(TOKEN_A)),
      two.push(first, ctx(TOKEN_A)),
      one.push(next, ctx(TOKEN_A)),
      two.push(first, ctx(TOKEN_A)),
    ]);
    // the later batch is taken after the first (seq 4 follows 3) or refused as a gap, never applied out of order
    const later = answers[2]!;
    if (later.status === 'rejected') {
      expect(later.reason).toBeInstanceOf(PortalError);
      expect((later.reason as PortalError).code).toBe('sequence_gap');
      await one.push(next, ctx(TOKEN_A));
    }
    for (const i of [0, 1, 3]) expect(answers[i]!.status).toBe('fulfilled');
    const applied = [0, 1, 3].flatMap((i) =>
      (answers[i] as PromiseFulfilledResult<PushResponse>).value.results.filter((r) => r.status === 'applied').map((r) => r.seq),
    );
    expect(applied.sort()).toEqual([1, 2, 3]);
    expect(await count('record', device)).toBe(5);
    const logged = await sql<{ seq: number }>(
      'SELECT seq::int FROM mutation_log WHERE device_id = $1 ORDER BY seq',
      [device],
      schema,
    );
    expect(logged.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('two devices of one centre sending the same record at once keep it once, whichever process takes each', async () => {
    for (let round = 0; round < 6; round++) {
      const shared = randomUUID();
      const a = randomUUID();
      const b = randomUUID();
      const fromA = walkIn(1, { recordId: shared });
      const fromB = { ...fromA, mutationId: randomUUID() };
      const [ra, rb] = await Promise.all([
        one.push(
          batch(
            a,
            [walkIn(1), fromA].map((m, i) => ({ ...m, seq: i + 1 })),
          ),
          ctx(TOKEN_A),
        ),
        two.push(
          batch(
            b,
            [fromB, walkIn(2)].map((m, i) => ({ ...m, seq: i + 1 })),
          ),
          ctx(TOKEN_B),
        ),
      ]);
      expect([ra.results[1]!.status, rb.results[0]!.status].sort()).toEqual(['applied', 'duplicate']);
      expect(ra.lastAppliedSeq).toBe(2);
      expect(rb.lastAppliedSeq).toBe(2);
      const rows = await sql<{ n: number }>('SELECT count(*)::int AS n FROM record WHERE record_id = $1', [shared], schema);
      expect(rows[0]!.n).toBe(1);
    }
  });

  it('answers 503 database_unavailable when the database cannot be reached, and works again once it can', async () => {
    const nowhere = new PgPortalStore({ url: 'postgres://postgres@127.0.0.1:1/postgres', schema, poolSize: 1 });
    try {
      const refused = (e: unknown) => e instanceof PortalError && e.status === 503 && e.code === 'database_unavailable';
      await expect(nowhere.check()).rejects.toSatisfy(refused);
      await expect(nowhere.push(batch(randomUUID(), [walkIn(1)]), ctx(TOKEN_A))).rejects.toSatisfy(refused);
      await expect(nowhere.clients()).rejects.toSatisfy(refused);
    } finally {
      await nowhere.close();
    }
    await expect(one.check()).resolves.toBeUndefined();
  });

  it('a connection killed in the middle of a batch applies none of it; the batch sent again applies once', async () => {
    const device = randomUUID();
    await one.push(batch(device, [walkIn(1)]), ctx(TOKEN_A));
    // the batch's transaction holds the device's row: kill that connection while it waits for the lock
    const blocker = await one.pool.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM device_client WHERE device_id = $1 FOR UPDATE', [device]);
    const req = batch(device, [walkIn(2), walkIn(3)]);
    const pending = two.push(req, ctx(TOKEN_A)).then(
      () => null,
      (e: unknown) => e,
    );
    let pid: number | undefined;
    for (let i = 0; i < 100 && pid === undefined; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const rows = await sql<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%' AND pid <> pg_backend_pid()
           AND query LIKE '%device_client%' AND datname = current_database()`,
      );
      pid = rows[0]?.pid;
    }
    expect(pid).toBeDefined();
    await sql('SELECT pg_terminate_backend($1)', [pid]);
    const refused = await pending;
    expect(refused).toBeInstanceOf(PortalError);
    expect((refused as PortalError).status).toBe(503);
    await blocker.query('ROLLBACK');
    blocker.release();
    expect(await count('record', device)).toBe(1);
    const again = await two.push(req, ctx(TOKEN_A));
    expect(again.results.map((r) => r.status)).toEqual(['applied', 'applied']);
    expect(await count('record', device)).toBe(3);
  });
});
