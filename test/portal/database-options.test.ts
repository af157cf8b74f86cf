/**
 * Where the portal keeps its data, as it is told: a SQLite file (the default), or PostgreSQL by
 * `--database URL` or PORTAL_DATABASE_URL. A password never goes on a command line (every user
 * of the machine can read it); two different URLs, a schema that is not a plain name, a pool
 * size out of range, and --data or --memory beside a PostgreSQL database are refused with the
 * reason. And a store's 503 (its database unreachable) is answered with Retry-After. An admin
 * token on the command line is refused with its reason whatever it looks like.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DATABASE_URL_ENV,
  DatabaseOptionError,
  describeDatabase,
  openPortalStore,
  postgresDatabaseOf,
} from '../../portal/open-store';
import { PgPortalStore } from '../../portal/postgres/store';
import { startPortalProcess } from '../../portal/process';
import { buildPortal, startPortal, type Portal } from '../../portal/server';
import { SqlitePortalStore } from '../../portal/store';
import { PortalError, type PortalDatabase } from '../../portal/store-api';
import { PORTAL_TEST_ENGINE, freshPortalDatabase } from '../support/portal-engine';
import { CENTRE, batch, memoryPortal, push, walkIn } from './helpers';

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const URL_OK = 'postgres://portal@127.0.0.1:5432/district';

describe('postgresDatabaseOf', () => {
  it('is null (SQLite) when no URL is given, and takes one from --database or the environment', () => {
    expect(postgresDatabaseOf({})).toBeNull();
    expect(postgresDatabaseOf({ flag: URL_OK })).toEqual({ engine: 'postgres', url: URL_OK, poolSize: 10 });
    expect(postgresDatabaseOf({ env: URL_OK, schema: 'lucknow', poolSize: '25' })).toEqual({
      engine: 'postgres',
      url: URL_OK,
      schema: 'lucknow',
      poolSize: 25,
    });
    // the same URL both ways is one database
    expect(postgresDatabaseOf({ flag: URL_OK, env: URL_OK })?.url).toBe(URL_OK);
  });

  it('takes a password in the environment, never on the command line', () => {
    const withPassword = 'postgres://portal:s3cret-word@127.0.0.1:5432/district';
    expect(postgresDatabaseOf({ env: withPassword })?.url).toBe(withPassword);
    for (const flag of [withPassword, 'postgres://portal@127.0.0.1/district?password=s3cret-word']) {
      const refused = (() => {
        try {
          postgresDatabaseOf({ flag });
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(refused).toBeInstanceOf(DatabaseOptionError);
      expect((refused as Error).message).toMatch(/password.*PGPASSWORD.*pgpass.*PORTAL_DATABASE_URL/);
      expect((refused as Error).message).not.toContain('s3cret');
    }
  });

  it('refuses what it cannot take, with the reason', () => {
    const cases: [Parameters<typeof postgresDatabaseOf>[0], RegExp][] = [
      [{ flag: URL_OK, env: 'postgres://portal@127.0.0.1:5432/other' }, /one way.*not two different/],
      [{ flag: 'mysql://portal@127.0.0.1/district' }, /starts with postgres:\/\//],
      [{ flag: 'not a url' }, /not a URL/],
      [{ env: 'postgres:///district' }, /PORTAL_DATABASE_URL: the URL names no host/],
      [{ flag: URL_OK, schema: 'Lucknow; DROP TABLE record' }, /--database-schema must be a plain name/],
      [{ flag: URL_OK, schema: '1district' }, /--database-schema must be a plain name/],
      [{ flag: URL_OK, poolSize: '0' }, /--pool-size must be a whole number from 1 to 100/],
      [{ flag: URL_OK, poolSize: '101' }, /--pool-size must be a whole number from 1 to 100/],
      [{ flag: URL_OK, poolSize: '2.5' }, /--pool-size/],
      [{ schema: 'lucknow' }, /--database-schema is for a PostgreSQL database/],
      [{ poolSize: '5' }, /--pool-size is for a PostgreSQL database/],
    ];
    for (const [input, reason] of cases) expect(() => postgresDatabaseOf(input), JSON.stringify(input)).toThrow(reason);
  });

  it('names a database without its password', () => {
    expect(describeDatabase({ engine: 'sqlite', file: ':memory:' })).toBe('sqlite in memory');
    expect(describeDatabase({ engine: 'sqlite', file: '/srv/portal/portal.sqlite' })).toBe('sqlite /srv/portal/portal.sqlite');
    expect(
      describeDatabase({ engine: 'postgres', url: 'postgres://portal:s3cret@db.example:6432/district', schema: 'lko' }),
    ).toBe('postgres db.example:6432/district (schema lko)');
    expect(describeDatabase({ engine: 'postgres', url: 'postgres://portal@10.0.0.7/district' })).toBe(
      'postgres 10.0.0.7:5432/district (schema public)',
    );
  });
});

describe('openPortalStore and buildPortal', () => {
  it('opens the engine named: SQLite at once, PostgreSQL as a pool that connects when used', async () => {
    const sqlite = openPortalStore({ engine: 'sqlite', file: ':memory:' });
    expect(sqlite).toBeInstanceOf(SqlitePortalStore);
    expect(sqlite.engine).toBe('sqlite');
    await sqlite.ready();
    await sqlite.check();
    await sqlite.close();
    // nothing listens on port 1: making the store connects to nothing
    const pg = openPortalStore({ engine: 'postgres', url: 'postgres://portal@127.0.0.1:1/district', schema: 'lko', poolSize: 3 });
    expect(pg).toBeInstanceOf(PgPortalStore);
    expect(pg.engine).toBe('postgres');
    await pg.close();
  });

  it('does not start when its PostgreSQL cannot be reached, and says why (nothing listens on port 1)', async () => {
    await expect(
      startPortal({ database: { engine: 'postgres', url: 'postgres://portal@127.0.0.1:1/district' } }),
    ).rejects.toThrow(/cannot reach its database/);
  });

  it('needs exactly one of dbFile and database', () => {
    expect(() => buildPortal({})).toThrow(/exactly one of dbFile and database/);
    expect(() => buildPortal({ dbFile: ':memory:', database: { engine: 'sqlite', file: ':memory:' } })).toThrow(
      /exactly one of dbFile and database/,
    );
  });
});

describe('a store that cannot reach its database', () => {
  let portal: Portal | null = null;
  afterEach(async () => {
    vi.restoreAllMocks();
    await portal?.close();
    portal = null;
  });

  it('is answered 503 with Retry-After, so counters back off and send again', async () => {
    portal = await memoryPortal();
    vi.spyOn(portal.store, 'push').mockRejectedValue(
      new PortalError(503, 'database_unavailable', 'the portal cannot reach its database: try again later'),
    );
    const res = await push(portal, batch('5a3b1c2d-0000-4000-8000-000000000001', [walkIn(1)], CENTRE));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toEqual({ error: 'database_unavailable', message: 'the portal cannot reach its database: try again later' });
  });
});

/** Runs the portal command until it prints its URL (then stops it) or exits by itself. */
function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  const base: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete base.PORTAL_ADMIN_TOKEN;
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete base[k];
  const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'portal/cli.ts'), '--port', '0', ...args], {
    cwd: ROOT,
    env: base,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    if (/^Portal: http:\/\/\S+$/m.test(out)) child.kill('SIGTERM');
  });
  return new Promise((ok, bad) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      bad(new Error(`the portal neither started nor exited\n${err}`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      ok({ code, out, err });
    });
  });
}

describe('npm run portal -- partitions', () => {
  it('is a command of the portal: a wrong option is refused with its usage, and a password on the command line too', () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, ['--import', TSX, join(ROOT, 'portal/cli.ts'), 'partitions', ...args], {
        cwd: ROOT,
        env: { ...process.env, [DATABASE_URL_ENV]: undefined },
        encoding: 'utf8',
        timeout: 30_000,
      });
    const bogus = run(['--bogus']);
    expect(bogus.status).toBe(2);
    expect(bogus.stderr).toMatch(/usage: npm run portal -- partitions/);
    const secret = run(['--database', 'postgres://portal:s3cret-word@127.0.0.1:1/district', '--ahead', '7']);
    expect(secret.status).toBe(2);
    expect(secret.stderr + secret.stdout).not.toContain('s3cret-word');
  }, 60_000);
});

describe('npm run portal -- --database', () => {
  it('refuses a password on the command line before it connects to anything, and never prints it', async () => {
    const run = await runCli(['--database', 'postgres://portal:s3cret-word@127.0.0.1:1/district'], {
      [DATABASE_URL_ENV]: undefined,
    });
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/carries a password/);
    expect(run.err + run.out).not.toContain('s3cret-word');
  }, 40_000);

  it('refuses --memory or --data beside a PostgreSQL database, and two different URLs', async () => {
    const memory = await runCli(['--memory'], { [DATABASE_URL_ENV]: 'postgres://portal@127.0.0.1:1/district' });
    expect(memory.code).toBe(2);
    expect(memory.err).toMatch(/--data and --memory are for a SQLite portal/);
    const two = await runCli(['--database', 'postgres://portal@127.0.0.1:1/a'], {
      [DATABASE_URL_ENV]: 'postgres://portal@127.0.0.1:1/b',
    });
    expect(two.code).toBe(2);
    expect(two.err).toMatch(/one way/);
  }, 60_000);

  it('says where the data is when it starts', async () => {
    const run = await runCli(['--memory'], { [DATABASE_URL_ENV]: undefined });
    expect(run.out).toMatch(/^Database: sqlite in memory$/m);
    expect(run.out).toMatch(/^Portal: http:\/\/127\.0\.0\.1:\d+$/m);
  }, 40_000);
});

describe('startPortalProcess with a database', () => {
  it('keeps the data across a restart, and gives a PostgreSQL URL in the environment, never in the arguments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portal-database-'));
    const database: PortalDatabase =
      PORTAL_TEST_ENGINE === 'postgres' ? freshPortalDatabase() : { engine: 'sqlite', file: join(dir, 'portal.sqlite') };
    const portal = await startPortalProcess({ database });
    try {
      const token = await portal.admin.issueDevice(CENTRE, { deviceId: '5a3b1c2d-0000-4000-8000-0000000000aa' });
      const args = readFileSync(`/proc/${portal.pid}/cmdline`, 'utf8').split('\0');
      expect(args.join(' ')).not.toMatch(/postgres(ql)?:\/\//);
      if (database.engine === 'postgres') expect(args).toEqual(expect.arrayContaining(['--database-schema', database.schema!]));
      else expect(args).toEqual(expect.arrayContaining(['--data', dir]));
      await portal.restart();
      expect(await portal.admin.clients()).toMatchObject([
        { deviceId: '5a3b1c2d-0000-4000-8000-0000000000aa', centreId: CENTRE },
      ]);
      expect(await portal.admin.revoke(token)).toBe(true);
    } finally {
      await portal.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses a database beside dataDir or memory', async () => {
    await expect(startPortalProcess({ database: { engine: 'sqlite', file: ':memory:' }, memory: true })).rejects.toThrow(
      /not both/,
    );
    await expect(startPortalProcess({ database: { engine: 'sqlite', file: '/tmp/other.db' } })).rejects.toThrow(
      /named portal.sqlite/,
    );
  });
});

describe('npm run portal -- --admin-token', () => {
  it('refuses a token that starts with "-" with the same reason as any other, not a parser error', async () => {
    for (const args of [['--admin-token', '-tokenThatStartsWithADash0123456789abcdefgh'], ['--admin-token=-abc']]) {
      const run = await runCli(['--memory', ...args]);
      expect(run.code).toBe(2);
      expect(run.err).toMatch(/--admin-token is not taken.*PORTAL_ADMIN_TOKEN.*--admin-token-file/);
      expect(run.err).not.toMatch(/ambiguous/);
    }
  }, 60_000);
});
