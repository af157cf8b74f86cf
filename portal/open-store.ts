/**
 * The portal's store for where its data is kept: one SQLite file (the embedded default), or a
 * PostgreSQL server (a district's, shared by several API processes).
 */
import { PgPortalStore } from './postgres/store';
import { SqlitePortalStore } from './store';
import type { PortalDatabase, PortalStore } from './store-api';

/** Opens the store: SQLite at once (the file is migrated here); PostgreSQL when `ready()` resolves. */
export function openPortalStore(db: PortalDatabase): PortalStore {
  if (db.engine === 'sqlite') return SqlitePortalStore.open(db.file);
  return new PgPortalStore({
    url: db.url,
    ...(db.schema !== undefined ? { schema: db.schema } : {}),
    ...(db.poolSize !== undefined ? { poolSize: db.poolSize } : {}),
  });
}

/** the environment variable a PostgreSQL URL is given in (it may carry a password; a command line may not) */
export const DATABASE_URL_ENV = 'PORTAL_DATABASE_URL';
export const DEFAULT_POOL_SIZE = 10;
export const MAX_POOL_SIZE = 100;

/** A schema name as the portal takes it: a plain identifier (lower case, digits, _), never quoted. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A database option that cannot be taken, with the reason. */
export class DatabaseOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseOptionError';
  }
}

function parsePostgresUrl(text: string, from: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DatabaseOptionError(`${from}: not a URL; give postgres://USER@HOST:PORT/DATABASE`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new DatabaseOptionError(`${from}: a PostgreSQL URL starts with postgres:// (not ${url.protocol}//)`);
  }
  if (!url.hostname && !url.searchParams.get('host')) {
    throw new DatabaseOptionError(`${from}: the URL names no host (postgres://USER@HOST:PORT/DATABASE)`);
  }
  return url;
}

const hasPassword = (url: URL) => url.password !== '' || url.searchParams.has('password');

/**
 * The PostgreSQL database the portal is told to use (`--database URL` or PORTAL_DATABASE_URL,
 * `--database-schema`, `--pool-size`), or null when neither names one (SQLite then). Refuses,
 * with the reason: a password on the command line (every user of the machine can read it), two
 * different URLs, a schema that is not a plain identifier, a pool size outside 1..100, and a
 * schema or pool size with no PostgreSQL URL.
 */
export function postgresDatabaseOf(o: {
  flag?: string | undefined;
  env?: string | undefined;
  schema?: string | undefined;
  poolSize?: string | undefined;
}): Extract<PortalDatabase, { engine: 'postgres' }> | null {
  const flag = o.flag?.trim() || undefined;
  const env = o.env?.trim() || undefined;
  if (flag !== undefined) {
    const url = parsePostgresUrl(flag, '--database');
    if (hasPassword(url)) {
      throw new DatabaseOptionError(
        '--database: the URL carries a password, and a command line can be read by every user of this machine. ' +
          `Leave the password out and give it in PGPASSWORD or ~/.pgpass, or give the whole URL in ${DATABASE_URL_ENV}.`,
      );
    }
  }
  if (env !== undefined) parsePostgresUrl(env, DATABASE_URL_ENV);
  if (flag !== undefined && env !== undefined && flag !== env) {
    throw new DatabaseOptionError(`Give the database one way: --database or ${DATABASE_URL_ENV}, not two different ones`);
  }
  const url = flag ?? env;
  if (url === undefined) {
    if (o.schema !== undefined)
      throw new DatabaseOptionError('--database-schema is for a PostgreSQL database: give --database too');
    if (o.poolSize !== undefined) throw new DatabaseOptionError('--pool-size is for a PostgreSQL database: give --database too');
    return null;
  }
  if (o.schema !== undefined && !SCHEMA_NAME.test(o.schema)) {
    throw new DatabaseOptionError(
      '--database-schema must be a plain name: lower-case letters, digits and _, starting with a letter or _, at most 63',
    );
  }
  let poolSize = DEFAULT_POOL_SIZE;
  if (o.poolSize !== undefined) {
    poolSize = Number(o.poolSize);
    if (!/^\d{1,3}$/.test(o.poolSize) || poolSize < 1 || poolSize > MAX_POOL_SIZE) {
      throw new DatabaseOptionError(`--pool-size must be a whole number from 1 to ${MAX_POOL_SIZE}`);
    }
  }
  return { engine: 'postgres', url, ...(o.schema !== undefined ? { schema: o.schema } : {}), poolSize };
}

/** Where the data is, for a log line or the console: never a user's password. */
export function describeDatabase(db: PortalDatabase): string {
  if (db.engine === 'sqlite') return db.file === ':memory:' ? 'sqlite in memory' : `sqlite ${db.file}`;
  let url: URL;
  try {
    url = new URL(db.url);
  } catch {
    return `postgres (schema ${db.schema ?? 'public'})`;
  }
  const host = url.hostname || url.searchParams.get('host') || 'localhost';
  const name = decodeURIComponent(url.pathname.replace(/^\//, '')) || decodeURIComponent(url.username) || 'postgres';
  return `postgres ${host}:${url.port || '5432'}/${name} (schema ${db.schema ?? 'public'})`;
}
