import * as m001 from './001-initial';
import * as m002 from './002-print-jobs';
import * as m003 from './003-sync';
import * as m004 from './004-dismissed';
import * as m005 from './005-walk-in-lookups';
import * as m006 from './006-roster-search';
import * as m007 from './007-district-settings';
import * as m008 from './008-board';
import * as m009 from './009-lane-calls';

/** Numbered migrations, applied in order; `version` is recorded in PRAGMA user_version. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', sql: m001.sql },
  { version: 2, name: 'print-jobs', sql: m002.sql },
  { version: 3, name: 'sync', sql: m003.sql },
  { version: 4, name: 'dismissed', sql: m004.sql },
  { version: 5, name: 'walk-in-lookups', sql: m005.sql },
  { version: 6, name: 'roster-search', sql: m006.sql },
  { version: 7, name: 'district-settings', sql: m007.sql },
  { version: 8, name: 'board', sql: m008.sql },
  { version: 9, name: 'lane-calls', sql: m009.sql },
];
