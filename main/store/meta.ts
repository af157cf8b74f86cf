import type { Db } from './database';
import { preparedOnce } from './prepared';

/** Keys of the meta table: small facts about this counter's file, one value each. */
export type MetaKey = 'device_id' | 'sync.last_success';

const statements = preparedOnce((db) => ({
  get: db.prepare<[MetaKey], { value: string }>('SELECT value FROM meta WHERE key = ?'),
  set: db.prepare<[MetaKey, string]>(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  ),
}));

/** The value stored under `key`, or null when there is none. */
export function getMeta(db: Db, key: MetaKey): string | null {
  return statements(db).get.get(key)?.value ?? null;
}

/** Stores `value` under `key`, replacing any earlier value. */
export function setMeta(db: Db, key: MetaKey, value: string): void {
  statements(db).set.run(key, value);
}
