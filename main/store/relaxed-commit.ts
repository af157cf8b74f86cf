import type { Db } from './database';
import { preparedOnce } from './prepared';

const statements = preparedOnce((db) => ({
  level: db.prepare<[], number>('PRAGMA synchronous').pluck(),
  normal: db.prepare('PRAGMA synchronous = NORMAL'),
  full: db.prepare('PRAGMA synchronous = FULL'),
  extra: db.prepare('PRAGMA synchronous = EXTRA'),
}));

/**
 * Runs `write` in one immediate transaction whose commit does not wait for the disk
 * (synchronous=NORMAL for that commit: it survives the app crashing, and a power cut may lose
 * it), then puts the connection's durability back. For writes that count for nothing on
 * their own or can be told again: staged roster rows, a slip's print job. The next commit
 * with full durability makes these durable too. Inside another transaction, `write` simply
 * joins it (and its durability).
 */
export function relaxedImmediate<T>(db: Db, write: () => T): T {
  if (db.inTransaction) return write();
  const s = statements(db);
  const level = s.level.get()!;
  if (level <= 1) return db.transaction(write).immediate();
  s.normal.run();
  try {
    return db.transaction(write).immediate();
  } finally {
    (level === 3 ? s.extra : s.full).run();
  }
}
