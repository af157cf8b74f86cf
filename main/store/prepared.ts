import type { Statement } from 'better-sqlite3';
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

/** A statement whose last parameter is its LIMIT (see `limited`). */
export interface Limited<P extends unknown[], R> {
  /** the rows, at most `limit` of them (-1: no limit) */
  all(...args: [...P, number]): R[];
  /** the SQL as written, with `LIMIT ?` (query plan tests) */
  readonly source: string;
}

/** Limits kept prepared per statement; another limit is prepared each time it is asked for. */
const LIMITS_KEPT = 8;

/**
 * A statement whose LIMIT is written into its SQL rather than bound: one prepared statement per
 * limit used, made on first use. SQLite (built with STAT4, as better-sqlite3 is) plans with the
 * value of a bound LIMIT, so binding one makes the statement be prepared again at every run:
 * 2 to 9 µs each time, more the longer the statement. `sql` ends with `LIMIT ?`.
 */
export function limited<P extends unknown[], R>(db: Db, sql: string): Limited<P, R> {
  const template = sql.trimEnd();
  if (!/\sLIMIT \?$/.test(template)) throw new Error(`a limited statement ends with LIMIT ?: ${sql}`);
  const byLimit = new Map<number, Statement<P, R>>();
  const at = (limit: number): Statement<P, R> => {
    if (!Number.isSafeInteger(limit) || limit < -1)
      throw new RangeError(`a limit is a whole number from -1, not ${String(limit)}`);
    let statement = byLimit.get(limit);
    if (statement === undefined) {
      statement = db.prepare<P, R>(`${template.slice(0, -1)}${limit}`);
      if (byLimit.size < LIMITS_KEPT) byLimit.set(limit, statement);
    }
    return statement;
  };
  return {
    source: template,
    all: (...args) => {
      const limit = args.pop() as number;
      return at(limit).all(...(args as unknown as P));
    },
  };
}
