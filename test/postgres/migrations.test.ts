import { afterAll, describe, expect, it } from 'vitest';
import { checkMigrationsMatch, PG_MIGRATIONS } from '../../portal/postgres/migrations';
import { PgPortalStore } from '../../portal/postgres/store';
import { PortalSchemaTooNewError } from '../../portal/store-api';
import { PG_URL, dropSchemas, newSchema, pgReason, sql } from './pg';

afterAll(dropSchemas);

describe('PostgreSQL migrations', () => {
  it('have the same numbers and names as the SQLite ones', () => {
    expect(() => checkMigrationsMatch()).not.toThrow();
    expect(PG_MIGRATIONS.map((m) => m.version)).toEqual(PG_MIGRATIONS.map((_, i) => i + 1));
  });

  it('refuses a schema name that is not a plain identifier, before connecting', () => {
    for (const schema of ['x; DROP TABLE device', 'Public', 'a-b', '1abc', '"quoted"', 'a b', '', 'x'.repeat(64), 'é']) {
      expect(() => new PgPortalStore({ url: PG_URL, schema }), schema).toThrow(/database schema/);
    }
  });
});

describe.skipIf(pgReason !== null)('PostgreSQL migrations on a server', () => {
  it('apply once when two portal processes open the same new schema at once', async () => {
    const schema = newSchema();
    const a = new PgPortalStore({ url: PG_URL, schema, poolSize: 2 });
    const b = new PgPortalStore({ url: PG_URL, schema, poolSize: 2 });
    try {
      await Promise.all([a.ready(), b.ready()]);
      const version = await sql<{ version: number }>('SELECT version FROM portal_schema_version', [], schema);
      expect(version).toEqual([{ version: PG_MIGRATIONS.length }]);
      // the one row of the roster clock: made once
      expect(await sql('SELECT id, version::int AS version FROM roster_clock', [], schema)).toEqual([{ id: 1, version: 0 }]);
      // both work on it
      await a.addDevice({ token: 'token-a', centreId: 'C-1', label: 'A' }, new Date());
      expect((await b.deviceByToken('token-a'))?.centreId).toBe('C-1');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('opens a schema again without migrating it twice', async () => {
    const schema = newSchema();
    const first = new PgPortalStore({ url: PG_URL, schema, poolSize: 1 });
    await first.ready();
    await first.addDevice({ token: 'kept', centreId: 'C-1', label: 'kept' }, new Date());
    await first.close();
    const again = new PgPortalStore({ url: PG_URL, schema, poolSize: 1 });
    try {
      await again.ready();
      expect((await again.deviceByToken('kept'))?.label).toBe('kept');
    } finally {
      await again.close();
    }
  });

  it('refuses a schema written by a newer portal, changing nothing', async () => {
    const schema = newSchema();
    const store = new PgPortalStore({ url: PG_URL, schema, poolSize: 1 });
    await store.ready();
    await store.close();
    await sql('UPDATE portal_schema_version SET version = 99', [], schema);
    const tables = await sql('SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1', [schema]);

    const newer = new PgPortalStore({ url: PG_URL, schema, poolSize: 1 });
    try {
      await expect(newer.ready()).rejects.toBeInstanceOf(PortalSchemaTooNewError);
      await expect(newer.ready()).rejects.toThrow(/schema 99.*up to 9/);
      await expect(newer.clients()).rejects.toBeInstanceOf(PortalSchemaTooNewError);
    } finally {
      await newer.close();
    }
    expect(await sql('SELECT version FROM portal_schema_version', [], schema)).toEqual([{ version: 99 }]);
    expect(await sql('SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1', [schema])).toEqual(tables);
  });

  it('makes the schema when it is missing, and keeps every table keyed by centre or named as not', async () => {
    const schema = newSchema();
    const store = new PgPortalStore({ url: PG_URL, schema, poolSize: 1 });
    try {
      await store.ready();
      const keys = await sql<{ table: string; first: string }>(
        `SELECT c.relname AS table, a.attname AS first
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
         WHERE i.indisprimary AND c.relnamespace = $1::regnamespace AND c.relispartition = false
         ORDER BY 1`,
        [schema],
      );
      const notByCentre = keys.filter((k) => k.first !== 'centre_id').map((k) => k.table);
      // tokens, codes and the clock are reference tables; walk-ins by photo ID are keyed by the person
      expect(notByCentre.sort()).toEqual(['device', 'enrolment', 'portal_schema_version', 'roster_clock', 'walk_in_photo_id']);
    } finally {
      await store.close();
    }
  });
});
