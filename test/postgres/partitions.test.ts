import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../common/rules/centre-day';
import type { Mutation } from '../../common/sync-protocol';
import { detachPartitionsBefore, ensurePartitions, partitionName, runPartitionsCommand } from '../../portal/postgres/partitions';
import { PgPortalStore } from '../../portal/postgres/store';
import { hashToken } from '../../portal/store-api';
import { PG_URL, dropSchemas, newSchema, pgReason, sql } from './pg';

const CENTRE = 'UP-LKO-CHC-01';
const TOKEN = 'partition-test-token';
const today = () => new Date().toISOString().slice(0, 10);

function event(seq: number, day: string): Mutation {
  const ticketId = randomUUID();
  return {
    seq,
    mutationId: randomUUID(),
    kind: 'ticket.called',
    recordId: ticketId,
    createdAt: new Date().toISOString(),
    payload: { ticketId, day },
  };
}

/** Which partition holds each of a day's ticket events. */
async function whereEvents(schema: string, day: string): Promise<string[]> {
  const rows = await sql<{ part: string }>(
    'SELECT tableoid::regclass::text AS part FROM ticket_event WHERE day = $1',
    [day],
    schema,
  );
  return rows.map((r) => r.part.replace(`${schema}.`, ''));
}

describe.skipIf(pgReason !== null)('PostgreSQL day partitions', () => {
  let schema: string;
  let store: PgPortalStore;
  let pool: pg.Pool;
  let seq = 0;
  const device = randomUUID();
  const push = (day: string) =>
    store.push(
      { deviceId: device, centreId: CENTRE, counterCode: 'A', mutations: [event(++seq, day)] },
      { tokenHash: hashToken(TOKEN), now: new Date() },
    );

  beforeAll(async () => {
    schema = newSchema();
    store = new PgPortalStore({ url: PG_URL, schema, poolSize: 2 });
    await store.addDevice({ token: TOKEN, centreId: CENTRE, label: 'A' }, new Date());
    pool = new pg.Pool({ connectionString: PG_URL, max: 1, options: `-c search_path=${schema}` });
  });
  afterAll(async () => {
    await store?.close();
    await pool?.end();
    await dropSchemas();
  });

  it('are made from yesterday to a week ahead when the portal opens', async () => {
    const names = (await sql<{ name: string }>('SELECT tablename AS name FROM pg_tables WHERE schemaname = $1', [schema])).map(
      (r) => r.name,
    );
    for (let i = -1; i <= 7; i++) {
      expect(names).toContain(partitionName('record', addDays(today(), i)));
      expect(names).toContain(partitionName('ticket_event', addDays(today(), i)));
    }
    expect(names).not.toContain(partitionName('record', addDays(today(), 9)));
    // a record of today goes to today's partition
    await push(today());
    expect(await whereEvents(schema, today())).toEqual([partitionName('ticket_event', today())]);
  });

  it('a record of a day without a partition lands in DEFAULT, and moves into its partition when that is made', async () => {
    const far = addDays(today(), 40);
    await push(far);
    await push(far);
    expect(await whereEvents(schema, far)).toEqual(['ticket_event_default', 'ticket_event_default']);

    expect(await ensurePartitions(pool, far, 1)).toEqual([partitionName('record', far), partitionName('ticket_event', far)]);
    expect(await whereEvents(schema, far)).toEqual([partitionName('ticket_event', far), partitionName('ticket_event', far)]);
    expect((await store.records(CENTRE, far, hashToken(TOKEN))).events).toBe(2);
    // made once: a second call makes nothing
    expect(await ensurePartitions(pool, far, 1)).toEqual([]);
  });

  it('detach-before detaches only the partitions of older days, and the DEFAULT partition stays', async () => {
    const old = addDays(today(), -30);
    await ensurePartitions(pool, old, 2);
    await push(old);
    const detached = await detachPartitionsBefore(pool, addDays(old, 1));
    expect(detached.sort()).toEqual([partitionName('record', old), partitionName('ticket_event', old)].sort());
    // the old day's rows are out of the table (kept in the detached one, to archive), the next day is still attached
    expect((await store.records(CENTRE, old, hashToken(TOKEN))).events).toBe(0);
    expect(await sql('SELECT count(*)::int AS n FROM ' + partitionName('ticket_event', old), [], schema)).toEqual([{ n: 1 }]);
    const attached = (
      await sql<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'ticket_event'::regclass`,
        [],
        schema,
      )
    ).map((r) => r.name);
    expect(attached).toContain(partitionName('ticket_event', addDays(old, 1)));
    expect(attached).toContain('ticket_event_default');
    expect(attached).toContain(partitionName('ticket_event', today()));
    expect(attached).not.toContain(partitionName('ticket_event', old));
  });

  it('the partitions command makes days ahead and detaches old ones, and names what is wrong with its arguments', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {} };
    const ahead = 20;
    expect(await runPartitionsCommand(['--database', PG_URL, '--database-schema', schema, '--ahead', String(ahead)], io)).toBe(0);
    expect(out.at(-1)).toContain(partitionName('record', addDays(today(), ahead)));
    expect(await runPartitionsCommand(['--database', PG_URL, '--database-schema', schema, '--ahead', String(ahead)], io)).toBe(0);
    expect(out.at(-1)).toBe('Partitions: all there already');

    const before = addDays(today(), -1);
    expect(
      await runPartitionsCommand(['--database-schema', schema, '--detach-before', before], {
        ...io,
        env: { PORTAL_DATABASE_URL: PG_URL },
      }),
    ).toBe(0);
    // the one day partition left before yesterday (the earlier test's day after its old day)
    expect(out.slice(-2)).toEqual(
      (['record', 'ticket_event'] as const).map((t) => {
        const name = `${schema}.${partitionName(t, addDays(today(), -29))}`;
        return `Detached ${name}: archive it with pg_dump -t ${name}, then DROP TABLE ${name}`;
      }),
    );

    const refused = async (argv: string[]) => {
      err.length = 0;
      expect(await runPartitionsCommand(argv, io), argv.join(' ')).toBe(2);
      return err.join('\n');
    };
    expect(await refused(['--ahead', '7'])).toMatch(/--database: a postgres:\/\/ URL is required/);
    expect(await refused(['--database', 'postgres://u:secret@127.0.0.1/db', '--ahead', '7'])).toMatch(
      /password on the command line/,
    );
    expect(await refused(['--database', PG_URL, '--database-schema', 'x;drop', '--ahead', '7'])).toMatch(/--database-schema/);
    expect(await refused(['--database', PG_URL])).toMatch(/one of --ahead DAYS or --detach-before DAY/);
    expect(await refused(['--database', PG_URL, '--ahead', '0'])).toMatch(/--ahead: a whole number of days from 1 to 366/);
    expect(await refused(['--database', PG_URL, '--detach-before', '2026-02-30'])).toMatch(
      /--detach-before: a day as YYYY-MM-DD/,
    );
    expect(await refused(['--database', PG_URL, '--ahead', '3', '--drop'])).toMatch(/--drop goes with --detach-before/);
    expect(await refused(['--database', PG_URL, '--bogus'])).toMatch(/usage: npm run portal -- partitions/);

    err.length = 0;
    expect(await runPartitionsCommand(['--database', PG_URL, '--database-schema', 'no_portal_here', '--ahead', '3'], io)).toBe(1);
    expect(err.join('\n')).toMatch(/has no portal tables/);
  });
});
