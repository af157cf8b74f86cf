/**
 * The database behind a portal, read or changed directly, for the few checks that look at what
 * no public method of the store gives (the enrolment rows, the live device tokens, the roster
 * clock, an insert made to fail): the same question in each engine's SQL. The checks of SQLite
 * itself (a migration run again, rows as an earlier version wrote them) use `sqliteDb` and run
 * only when the portal tests run on SQLite (PORTAL_TEST_ENGINE).
 */
import { PgPortalStore } from '../../portal/postgres/store';
import type { Portal } from '../../portal/server';
import { SqlitePortalStore, type PortalDb } from '../../portal/store';
import { PORTAL_TEST_ENGINE } from '../support/portal-engine';

/** the portal tests run on SQLite: checks that read the SQLite file run too */
export const ON_SQLITE = PORTAL_TEST_ENGINE === 'sqlite';

export function sqliteDb(portal: Pick<Portal, 'store'>): PortalDb {
  if (!(portal.store instanceof SqlitePortalStore)) {
    throw new Error(`this check reads the portal's SQLite file, but the portal runs on ${portal.store.engine}`);
  }
  return portal.store.db;
}

/** One question in each engine's SQL: `?` parameters for SQLite, `$1`... for PostgreSQL (in the portal's schema). */
export interface EngineSql {
  sqlite: string;
  postgres: string;
}

/** The rows the engine's SQL gives (counts as numbers: cast them to int on PostgreSQL). */
export async function engineRows<T = Record<string, unknown>>(
  portal: Pick<Portal, 'store'>,
  sql: EngineSql,
  params: readonly unknown[] = [],
): Promise<T[]> {
  const store = portal.store;
  if (store instanceof SqlitePortalStore) return store.db.prepare(sql.sqlite).all(...params) as T[];
  if (store instanceof PgPortalStore) {
    await store.ready();
    return (await store.pool.query(sql.postgres, [...params])).rows as T[];
  }
  throw new Error(`no SQL for a portal on ${store.engine}`);
}

/** Runs statements (no parameters) in the engine's SQL. */
export async function engineExec(portal: Pick<Portal, 'store'>, sql: EngineSql): Promise<void> {
  const store = portal.store;
  if (store instanceof SqlitePortalStore) {
    store.db.exec(sql.sqlite);
    return;
  }
  if (store instanceof PgPortalStore) {
    await store.ready();
    await store.pool.query(sql.postgres);
    return;
  }
  throw new Error(`no SQL for a portal on ${store.engine}`);
}
