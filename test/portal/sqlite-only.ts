/**
 * The SQLite file behind a portal, for the few checks that look at rows no public method of the
 * store gives, or at SQLite itself (a trigger, a migration run again). Such checks run only when
 * the portal tests run on SQLite (PORTAL_TEST_ENGINE); on another engine this throws.
 */
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
