/**
 * The PostgreSQL connection pool of one portal process, and how the store talks through it:
 * one query, or one READ COMMITTED transaction retried when it lost a race to another process;
 * a database that cannot be reached answers 503 so counters back off and send again.
 */
import pg from 'pg';
import { PortalError } from '../store-api';

/** How long a pooled connection may sit idle before the pool closes it (a burst's extra connections go after it). */
export const POOL_IDLE_TIMEOUT_MS = 30_000;

/** A schema name as the command line and the options take it: a plain lower-case identifier, never quoted. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(
      `database schema ${JSON.stringify(schema)}: lower-case letters, digits and _ only, not starting with a digit`,
    );
  }
  return schema;
}

const defaultTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ);

/**
 * Values as the SQLite store answers them: bigint as a number (sequence numbers and counts stay
 * far below 2^53), timestamptz as an ISO string with milliseconds and Z.
 */
const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8) return (v: string) => Number(v);
    if (oid === pg.types.builtins.TIMESTAMPTZ) return (v: string) => (defaultTimestamptz(v) as Date).toISOString();
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid);
  }) as typeof pg.types.getTypeParser,
};

export function makePool(options: { url: string; schema: string; poolSize: number }): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    // every connection works in the portal's schema (the name was checked: a plain identifier)
    options: `-c search_path=${checkSchemaName(options.schema)}`,
    application_name: 'vaccination-portal',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: POOL_IDLE_TIMEOUT_MS,
    types: typeParsers,
  });
  // An idle connection lost (the database restarted): the pool drops it and connects again when
  // asked; the request that needs it then gets 503 or a new connection. Never a crash.
  pool.on('error', () => undefined);
  return pool;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // admin_shutdown, crash_shutdown, cannot_connect_now (starting up or shutting down), too_many_connections
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** The error means the database cannot be reached now (down, restarting, a connection lost), not that the request was wrong. */
export function isUnreachable(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { code, message } = e as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNREACHABLE.has(code) || code.startsWith('08'))) return true;
  return (
    typeof message === 'string' &&
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Connection ended/i.test(
      message,
    )
  );
}

export const databaseUnavailable = (): PortalError =>
  new PortalError(503, 'database_unavailable', 'the portal cannot reach its database: try again shortly');

export const asPortalError = (e: unknown): unknown => (isUnreachable(e) ? databaseUnavailable() : e);

/** Thrown inside a transaction when a concurrent one got there first: the whole transaction runs again. */
export class LostRace extends Error {
  constructor(what: string) {
    super(`another transaction took ${what} at the same time`);
    this.name = 'LostRace';
  }
}

/** Thrown inside a transaction: what it wrote so far commits, then `error` is thrown. */
export class CommitThen extends Error {
  constructor(readonly error: Error) {
    super(error.message);
    this.name = 'CommitThen';
  }
}

/** serialization_failure, deadlock_detected, unique_violation (a row another transaction made meanwhile) */
const RETRIED = new Set(['40001', '40P01', '23505']);
const ATTEMPTS = 5;

export type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * A connection of the pool for several statements. A checked-out connection has no error
 * listener of the pool's: one lost meanwhile (the database restarted, the connection killed)
 * would crash the process, so it gets one, and is thrown away when released after an error.
 */
export async function checkout(pool: pg.Pool): Promise<{ client: pg.PoolClient; release: (error?: Error) => void }> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    throw asPortalError(e);
  }
  let lost: Error | undefined;
  const onError = (e: Error) => {
    lost = e;
  };
  client.on('error', onError);
  return {
    client,
    release: (error?: Error) => {
      client.removeListener('error', onError);
      // a late error of a connection thrown away is ignored (the pool ends it)
      if (error ?? lost) client.on('error', () => undefined);
      client.release(error ?? lost);
    },
  };
}

/** One READ COMMITTED transaction: `fn` again from the start when it lost a race, up to a few times. */
export async function transaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const { client, release } = await checkout(pool);
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      if (e instanceof CommitThen) {
        try {
          await client.query('COMMIT');
        } catch (commitError) {
          broken = commitError as Error;
          throw asPortalError(commitError);
        }
        throw e.error;
      }
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError as Error;
      });
      if (isUnreachable(e)) broken ??= e as Error;
      const code = (e as { code?: unknown }).code;
      const retry = e instanceof LostRace || (typeof code === 'string' && RETRIED.has(code));
      if (!retry || attempt >= ATTEMPTS || broken) throw asPortalError(e);
    } finally {
      release(broken);
    }
  }
}

/** One statement outside a transaction. */
export async function query<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  text: string,
  values?: unknown[],
): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(text, values);
  } catch (e) {
    throw asPortalError(e);
  }
}
