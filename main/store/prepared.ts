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
