import * as m001 from './001-initial';
import * as m002 from './002-print-jobs';

/** Numbered migrations, applied in order; `version` is recorded in PRAGMA user_version. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', sql: m001.sql },
  { version: 2, name: 'print-jobs', sql: m002.sql },
];
