/**
 * The PostgreSQL the tests of this folder use (the test command's throw-away cluster, or the
 * server PORTAL_TEST_DATABASE_URL names), each test file in schemas of its own, dropped at the end.
 * `pgReason` says why the tests are skipped when no PostgreSQL can be reached.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_URL = process.env.PORTAL_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:55432/postgres';

async function probe(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (e) {
    return `no PostgreSQL at ${PG_URL.replace(/:[^:@/]*@/, ':***@')} (${(e as Error).message}): the PostgreSQL tests are skipped`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** null when PostgreSQL answers; else the reason the tests are skipped (printed once). */
export const pgReason = await probe();
if (pgReason) console.warn(pgReason);

const made: string[] = [];

/** A schema name of its own for one store (dropped by dropSchemas). */
export function newSchema(): string {
  const schema = `t_pg_${randomBytes(6).toString('hex')}`;
  made.push(schema);
  return schema;
}

/** One statement on the test server, in `schema` when given. */
export async function sql<R extends pg.QueryResultRow = Record<string, unknown>>(
  text: string,
  values: unknown[] = [],
  schema?: string,
): Promise<R[]> {
  const client = new pg.Client({ connectionString: PG_URL, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

export async function dropSchemas(): Promise<void> {
  if (pgReason) return;
  for (const schema of made.splice(0)) await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}
