import type { Db } from './database';

/**
 * Statements of one query module, prepared once per connection: the first call for a
 * connection builds them, later calls reuse them. Each query module under main/store/
 * declares its statements with this and exports typed functions that take the connection.
 */
export function preparedOnce<T>(build: (db: Db) => T): (db: Db) => T {
  const cache = new WeakMap<Db, T>();
  return (db) => {
    let statements = cache.get(db);
    if (statements === undefined) {
      statements = build(db);
      cache.set(db, statements);
    }
    return statements;
  };
}

/**
 * Statements for one roster import, prepared on first use per connection and import. An
 * import's own indexes are partial (`WHERE import_id = <id>`), and SQLite uses a partial index
 * only for a statement that names the same id as a literal: so these statements carry it.
 * `forget` drops them when the import is removed.
 */
export function preparedPerImport<T>(build: (db: Db, importId: number) => T): {
  get: (db: Db, importId: number) => T;
  forget: (db: Db, importId: number) => void;
} {
  const cache = new WeakMap<Db, Map<number, T>>();
  return {
    get(db, importId) {
      if (!Number.isSafeInteger(importId)) throw new Error(`not an import id: ${String(importId)}`);
      let perImport = cache.get(db);
      if (perImport === undefined) cache.set(db, (perImport = new Map()));
      let statements = perImport.get(importId);
      if (statements === undefined) {
        statements = build(db, importId);
        perImport.set(importId, statements);
      }
      return statements;
    },
    forget(db, importId) {
      cache.get(db)?.delete(importId);
    },
  };
}
