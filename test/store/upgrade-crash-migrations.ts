/** Schema 1 (a table of rows), and a migration to 2 that rewrites every row and then fails. */
export const UPGRADE_CRASH_MIGRATIONS = [
  { version: 1, name: 'rows', sql: 'CREATE TABLE r (id INTEGER PRIMARY KEY, v TEXT NOT NULL);' },
  { version: 2, name: 'rewrite-then-fail', sql: "UPDATE r SET v = v || '!'; CREATE TABLE gone (x); THIS IS NOT SQL;" },
] as const;
