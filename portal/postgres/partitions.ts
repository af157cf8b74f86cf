/**
 * The day partitions of `record` and `ticket_event` (see migrations.ts): made ahead (the store
 * makes yesterday to a week ahead when it opens and every few hours; `npm run portal --
 * partitions --ahead N` from cron makes more), and detached when old, to be archived with
 * `pg_dump -t` and dropped. A record of a day without a partition lands in the DEFAULT one;
 * when its day's partition is made later, the rows are moved into it.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { addDays, isIsoDay } from '../../common/rules/centre-day';
import { checkout } from './db';

export const PARTITIONED_TABLES = ['record', 'ticket_event'] as const;
export type PartitionedTable = (typeof PARTITIONED_TABLES)[number];

/** e.g. record_p20261205 */
export const partitionName = (table: PartitionedTable, day: string): string => `${table}_p${day.replaceAll('-', '')}`;

/** The advisory lock every change of partitions takes (several portal processes may start at once). */
const PARTITIONS_LOCK = "hashtextextended('portal-partitions:' || current_schema(), 0)";

interface Partition {
  table: PartitionedTable;
  name: string;
  /** the first day it holds, null for DEFAULT */
  from: string | null;
}

/** The partitions attached to record and ticket_event in the current schema, with the first day each holds. */
export async function listPartitions(db: pg.Pool | pg.PoolClient): Promise<Partition[]> {
  const { rows } = await db.query<{ parent: string; name: string; bound: string }>(
    `SELECT p.relname AS parent, c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
     FROM pg_inherits i
     JOIN pg_class c ON c.oid = i.inhrelid
     JOIN pg_class p ON p.oid = i.inhparent
     WHERE p.relnamespace = current_schema()::regnamespace AND p.relname = ANY($1)
     ORDER BY p.relname, c.relname`,
    [[...PARTITIONED_TABLES]],
  );
  return rows.map((r) => ({
    table: r.parent as PartitionedTable,
    name: r.name,
    from: /FROM \('([0-9-]+)'\)/.exec(r.bound)?.[1] ?? null,
  }));
}

const quote = (day: string): string => {
  if (!isIsoDay(day)) throw new Error(`not a day (YYYY-MM-DD): ${day}`);
  return `'${day}'`;
};

/**
 * Makes the partitions of `days` days from `fromDay` that are missing, for both tables. Rows of
 * such a day already in the DEFAULT partition are moved into the new one, in the same
 * transaction. Returns the partitions made.
 */
export async function ensurePartitions(pool: pg.Pool, fromDay: string, days: number): Promise<string[]> {
  const wanted = Array.from({ length: days }, (_, i) => addDays(fromDay, i));
  wanted.forEach(quote);
  const missing = async (db: pg.Pool | pg.PoolClient) => {
    const have = new Set((await listPartitions(db)).map((p) => p.name));
    return PARTITIONED_TABLES.flatMap((table) =>
      wanted.filter((day) => !have.has(partitionName(table, day))).map((day) => ({ table, day })),
    );
  };
  if ((await missing(pool)).length === 0) return [];
  const { client, release } = await checkout(pool);
  const made: string[] = [];
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(${PARTITIONS_LOCK})`);
    for (const { table, day } of await missing(client)) {
      const name = partitionName(table, day);
      const bounds = `FOR VALUES FROM (${quote(day)}) TO (${quote(addDays(day, 1))})`;
      const { rows } = await client.query<{ waiting: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM ${table}_default WHERE day = $1) AS waiting`,
        [day],
      );
      if (!rows[0]!.waiting) {
        await client.query(`CREATE TABLE ${name} PARTITION OF ${table} ${bounds}`);
      } else {
        // a day's records that arrived before its partition: moved into it
        await client.query(`CREATE TABLE ${name} (LIKE ${table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
        await client.query(
          `WITH moved AS (DELETE FROM ${table}_default WHERE day = $1 RETURNING *)
          INSERT INTO ${name} SELECT * FROM moved`,
          [day],
        );
        await client.query(`ALTER TABLE ${table} ATTACH PARTITION ${name} ${bounds}`);
      }
      made.push(name);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      broken = rollbackError as Error;
    });
    throw e;
  } finally {
    release(broken);
  }
  return made;
}

/**
 * Detaches the day partitions of both tables that hold only days before `day` (they stay in
 * the database as ordinary tables until archived: `pg_dump -t SCHEMA.NAME`), and drops them when
 * `drop` is set. The DEFAULT partition stays. Returns the partitions detached.
 */
export async function detachPartitionsBefore(pool: pg.Pool, day: string, options: { drop?: boolean } = {}): Promise<string[]> {
  quote(day);
  const { client, release } = await checkout(pool);
  const detached: string[] = [];
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(${PARTITIONS_LOCK})`);
    for (const p of await listPartitions(client)) {
      // a day partition holds one day: [from, from + 1)
      if (p.from === null || addDays(p.from, 1) > day) continue;
      await client.query(`ALTER TABLE ${p.table} DETACH PARTITION ${p.name}`);
      if (options.drop) await client.query(`DROP TABLE ${p.name}`);
      detached.push(p.name);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      broken = rollbackError as Error;
    });
    throw e;
  } finally {
    release(broken);
  }
  return detached;
}

export const PARTITIONS_USAGE = `usage: npm run portal -- partitions --database URL [--database-schema NAME] (--ahead DAYS | --detach-before YYYY-MM-DD [--drop])
  --ahead DAYS                makes the day partitions from yesterday to DAYS days ahead (1-366); run it daily (cron)
  --detach-before DAY         detaches the partitions of days before DAY; archive each with pg_dump -t, then drop it
  --drop                      with --detach-before: drops them too (only once archived)
  the URL may also come from PORTAL_DATABASE_URL; a password from PGPASSWORD or ~/.pgpass, never the command line`;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * `npm run portal -- partitions ...`: makes day partitions ahead or detaches old ones, in the
 * portal's PostgreSQL database. Returns the exit code.
 */
export async function runPartitionsCommand(
  argv: string[],
  io: { out: (line: string) => void; err: (line: string) => void; now?: () => Date; env?: NodeJS.ProcessEnv },
): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        database: { type: 'string' },
        'database-schema': { type: 'string', default: 'public' },
        ahead: { type: 'string' },
        'detach-before': { type: 'string' },
        drop: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (e) {
    io.err(`${(e as Error).message}\n${PARTITIONS_USAGE}`);
    return 2;
  }
  const env = io.env ?? process.env;
  const url = values.database ?? env.PORTAL_DATABASE_URL;
  const problem = (text: string) => {
    io.err(`${text}\n${PARTITIONS_USAGE}`);
    return 2;
  };
  if (!url || !/^postgres(ql)?:\/\//.test(url)) return problem('--database: a postgres:// URL is required');
  if (values.database !== undefined && /^postgres(ql)?:\/\/[^/@]*:[^/@]*@/.test(values.database)) {
    return problem(
      '--database: a password on the command line can be read by every user of the machine: use PGPASSWORD or ~/.pgpass',
    );
  }
  const schema = values['database-schema'];
  if (!SCHEMA_NAME.test(schema))
    return problem('--database-schema: lower-case letters, digits and _ only, not starting with a digit');
  if ((values.ahead === undefined) === (values['detach-before'] === undefined)) {
    return problem('give one of --ahead DAYS or --detach-before DAY');
  }
  if (values.drop && values['detach-before'] === undefined) return problem('--drop goes with --detach-before');
  if (values.ahead !== undefined && (!/^\d{1,3}$/.test(values.ahead) || Number(values.ahead) < 1 || Number(values.ahead) > 366)) {
    return problem('--ahead: a whole number of days from 1 to 366');
  }
  const before = values['detach-before'];
  if (before !== undefined && !isIsoDay(before)) return problem('--detach-before: a day as YYYY-MM-DD');

  const pool = new pg.Pool({ connectionString: url, max: 1, options: `-c search_path=${schema}` });
  pool.on('error', () => undefined);
  try {
    const { rows } = await pool.query<{ ok: boolean }>(`SELECT to_regclass('record') IS NOT NULL AS ok`);
    if (!rows[0]!.ok) {
      io.err(`schema ${schema} has no portal tables: start the portal on this database first`);
      return 1;
    }
    if (values.ahead !== undefined) {
      const today = (io.now?.() ?? new Date()).toISOString().slice(0, 10);
      const made = await ensurePartitions(pool, addDays(today, -1), Number(values.ahead) + 2);
      io.out(made.length === 0 ? 'Partitions: all there already' : `Partitions made: ${made.join(', ')}`);
    } else {
      const detached = await detachPartitionsBefore(pool, before!, { drop: values.drop });
      if (detached.length === 0) io.out(`Partitions: none holds only days before ${before}`);
      for (const name of detached) {
        io.out(
          values.drop
            ? `Dropped ${schema}.${name}`
            : `Detached ${schema}.${name}: archive it with pg_dump -t ${schema}.${name}, then DROP TABLE ${schema}.${name}`,
        );
      }
    }
    return 0;
  } catch (e) {
    io.err(`partitions: ${(e as Error).message}`);
    return 1;
  } finally {
    await pool.end();
  }
}
