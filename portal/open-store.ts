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
