/**
 * The engine the portal and sync suites run against: SQLite (the default) or PostgreSQL, when
 * the test command has started its throw-away cluster and says so in the environment
 * (PORTAL_TEST_ENGINE=postgres, PORTAL_TEST_DATABASE_URL). The same tests run on both: a test
 * asks for a fresh database here instead of naming ':memory:'.
 */
import { randomBytes } from 'node:crypto';
import type { PortalDatabase, PortalEngine } from '../../portal/store-api';

export const PORTAL_TEST_ENGINE: PortalEngine = process.env.PORTAL_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';

function testDatabaseUrl(): string {
  const url = process.env.PORTAL_TEST_DATABASE_URL;
  if (!url) throw new Error('PORTAL_TEST_ENGINE=postgres needs PORTAL_TEST_DATABASE_URL (the test command sets both)');
  return url;
}

/** A fresh, empty database for one portal: SQLite in memory, or a schema of its own in the test cluster. */
export function freshPortalDatabase(): PortalDatabase {
  if (PORTAL_TEST_ENGINE === 'sqlite') return { engine: 'sqlite', file: ':memory:' };
  return { engine: 'postgres', url: testDatabaseUrl(), schema: `t_${randomBytes(8).toString('hex')}` };
}
