/**
 * The throw-away PostgreSQL cluster the test command, the PostgreSQL suites and the bench start
 * (scripts/pg-cluster.mjs): it listens on 127.0.0.1 and its own socket only, stays durable, keeps
 * committed data over a stop and start, and leaves nothing behind once removed or when it cannot
 * start. Skipped, with the reason, where PostgreSQL cannot be run.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPostgres, pruneClusters, startCluster, type Cluster } from '../../scripts/pg-cluster.mjs';

const found = findPostgres();
const reason = 'reason' in found ? found.reason : undefined;
if (reason) console.warn(`PostgreSQL cluster tests skipped: ${reason}`);

const SCRIPT = resolve(__dirname, '../../scripts/pg-cluster.mjs');
const START_MS = 120_000;

async function query<T extends pg.QueryResultRow>(config: string | pg.ClientConfig, sql: string): Promise<T[]> {
  const client = new pg.Client(typeof config === 'string' ? { connectionString: config, connectionTimeoutMillis: 5000 } : config);
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** a parent folder for clusters: mkdtemp makes it 0700, and as root the postgres OS user must reach into it */
function parentFolder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

const refused = (url: string) => expect(query(url, 'SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [SCRIPT, ...args], { timeout: START_MS, encoding: 'utf8' }, (error, stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('finding PostgreSQL', () => {
  it('says why, with the package to install, when no server programs are found', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-pg-'));
    try {
      const r = findPostgres({ libDir: empty, path: empty });
      expect(r).toEqual({ reason: expect.stringMatching(/no PostgreSQL server programs .*apt-get install -y postgresql/) });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it.skipIf(reason)("takes the newest version in Debian's layout", () => {
    expect(found).toEqual({ bin: expect.stringMatching(/\/bin$/) });
    const bin = (found as { bin: string }).bin;
    for (const tool of ['initdb', 'pg_ctl', 'postgres']) expect(existsSync(join(bin, tool))).toBe(true);
  });
});

describe.skipIf(reason)('a throw-away cluster', () => {
  let base: string;
  let cluster: Cluster | undefined;
  let home: string;

  beforeAll(async () => {
    base = parentFolder('pg-cluster-test-');
    cluster = await startCluster({ dir: base });
    home = dirname(cluster.dataDir);
  }, START_MS);

  afterAll(async () => {
    await cluster?.remove();
    rmSync(base, { recursive: true, force: true });
  }, START_MS);

  it('listens on 127.0.0.1 and on a socket in its own folder (mode 0700), with fsync on', async () => {
    const c = cluster!;
    expect(c.url).toBe(`postgres://postgres@127.0.0.1:${c.port}/postgres`);
    expect(c.socketDir).toBe(home);
    expect(dirname(home)).toBe(base);
    const settings = await query<{ name: string; setting: string }>(
      c.url,
      "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'listen_addresses', 'port')",
    );
    expect(Object.fromEntries(settings.map((s) => [s.name, s.setting]))).toEqual({
      fsync: 'on',
      synchronous_commit: 'on',
      full_page_writes: 'on',
      listen_addresses: '127.0.0.1',
      port: String(c.port),
    });
    const [viaSocket] = await query<{ one: number }>(
      { host: c.socketDir, port: c.port, user: 'postgres', database: 'postgres' },
      'SELECT 1 AS one',
    );
    expect(viaSocket).toEqual({ one: 1 });
    for (const folder of [home, c.dataDir]) expect(statSync(folder).mode & 0o777).toBe(0o700);
    if (process.getuid?.() === 0) {
      // PostgreSQL refuses root: the cluster belongs to, and runs as, the postgres OS user
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      expect(statSync(c.dataDir).uid).toBe(uid);
      const postmaster = Number(readFileSync(join(c.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      expect(statSync(`/proc/${postmaster}`).uid).toBe(uid);
    }
  });

  it(
    'refuses a port that is taken with a clear reason, and leaves no folder behind',
    async () => {
      await expect(startCluster({ port: cluster!.port, dir: base })).rejects.toThrow(
        new RegExp(`PostgreSQL cannot be started: port ${cluster!.port} is taken`),
      );
      expect(readdirSync(base)).toEqual([home.slice(base.length + 1)]);
    },
    START_MS,
  );

  it(
    'keeps committed data over a fast stop and a start again on the same port',
    async () => {
      const c = cluster!;
      await query(c.url, 'CREATE TABLE kept (id int PRIMARY KEY, name text NOT NULL)');
      await query(c.url, "INSERT INTO kept VALUES (1, 'Asha'), (2, 'आशा')");
      await c.stop();
      await refused(c.url);
      await c.stop(); // a second stop is a no-op
      await c.start();
      expect(await query(c.url, 'SELECT id, name FROM kept ORDER BY id')).toEqual([
        { id: 1, name: 'Asha' },
        { id: 2, name: 'आशा' },
      ]);
    },
    START_MS,
  );

  it.skipIf(process.getuid?.() !== 0)(
    'as root, says so when the postgres OS user cannot reach the folder, and leaves nothing behind',
    async () => {
      const closed = mkdtempSync(join(tmpdir(), 'pg-cluster-closed-')); // 0700, root's alone
      try {
        await expect(startCluster({ dir: closed })).rejects.toThrow(
          /the postgres OS user cannot reach .*pg-cluster-closed-.*: choose a folder it can reach/,
        );
        expect(readdirSync(closed)).toEqual([]);
      } finally {
        rmSync(closed, { recursive: true, force: true });
      }
    },
    START_MS,
  );

  it(
    'remove stops it and deletes its folder',
    async () => {
      const c = cluster!;
      await c.remove();
      cluster = undefined;
      expect(existsSync(home)).toBe(false);
      await refused(c.url);
    },
    START_MS,
  );
});

describe.skipIf(reason)('the command line', () => {
  let base: string;
  let data: string | undefined;

  beforeAll(() => {
    base = parentFolder('pg-cluster-cli-');
  });
  afterAll(async () => {
    if (data && existsSync(data)) await cli(['remove', data]);
    rmSync(base, { recursive: true, force: true });
  }, START_MS);

  it(
    'start prints the URL and the data folder; stop, start-again and remove act on that folder',
    async () => {
      const started = await cli(['start', '--dir', base]);
      expect(started).toMatchObject({ code: 0 });
      const url = /^PORTAL_TEST_DATABASE_URL=(postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres)$/m.exec(started.stdout)?.[1];
      data = /^PORTAL_TEST_PG_DATA=(.+)$/m.exec(started.stdout)?.[1];
      expect(url).toBeDefined();
      expect(data).toBeDefined();
      expect(dirname(dirname(data!))).toBe(base);
      await query(url!, 'CREATE TABLE t (n int)');
      await query(url!, 'INSERT INTO t VALUES (7)');

      expect(await cli(['stop', data!])).toMatchObject({ code: 0 });
      await refused(url!);
      expect(await cli(['start-again', data!])).toMatchObject({ code: 0, stdout: `PORTAL_TEST_DATABASE_URL=${url}\n` });
      expect(await query(url!, 'SELECT n FROM t')).toEqual([{ n: 7 }]);

      expect(await cli(['remove', data!])).toMatchObject({ code: 0 });
      expect(existsSync(dirname(data!))).toBe(false);
      await refused(url!);
    },
    START_MS,
  );

  it('refuses to stop or delete a folder it did not make', async () => {
    const r = await cli(['remove', base]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not the data folder of a cluster made by this script/);
    expect(existsSync(base)).toBe(true);
    expect((await cli(['stop'])).stderr).toMatch(/give the data folder that `start` printed/);
  });
});

/** A process that starts a cluster under `dir` and is then killed, leaving the cluster behind. */
async function clusterOfAKilledProcess(dir: string): Promise<{ url: string; dataDir: string }> {
  const script = `import { startCluster } from ${JSON.stringify(pathToFileURL(SCRIPT).href)};
const c = await startCluster({ dir: ${JSON.stringify(dir)} });
console.log(JSON.stringify({ url: c.url, dataDir: c.dataDir }));
setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    return await new Promise((ok, bad) => {
      let out = '';
      const timer = setTimeout(() => bad(new Error('the cluster was not started in time')), START_MS - 20_000);
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) {
          clearTimeout(timer);
          ok(JSON.parse(out) as { url: string; dataDir: string });
        }
      });
      child.once('exit', (code) => bad(new Error(`the process exited with ${code}`)));
    });
  } finally {
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
  }
}

describe.skipIf(reason)('clusters left behind', () => {
  it(
    "prune stops and deletes the clusters whose starting process ended, and keeps running ones and the command line's",
    async () => {
      const base = parentFolder('pg-cluster-prune-');
      let mine: Cluster | undefined;
      let byHand: string | undefined;
      try {
        const left = await clusterOfAKilledProcess(base);
        mine = await startCluster({ dir: base });
        byHand = /^PORTAL_TEST_PG_DATA=(.+)$/m.exec((await cli(['start', '--dir', base])).stdout)?.[1];
        expect(byHand).toBeDefined();
        expect(await query(left.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]); // still running, orphaned

        expect(await pruneClusters({ dir: base })).toEqual([dirname(left.dataDir)]);
        expect(existsSync(dirname(left.dataDir))).toBe(false);
        await refused(left.url);
        expect(await query(mine.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
        expect(existsSync(byHand!)).toBe(true);
        expect(await pruneClusters({ dir: base })).toEqual([]);
      } finally {
        await mine?.remove();
        if (byHand) await cli(['remove', byHand]);
        rmSync(base, { recursive: true, force: true });
      }
    },
    START_MS,
  );
});
