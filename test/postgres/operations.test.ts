/**
 * Operating the portal on PostgreSQL, on a throw-away cluster of this file's own (it is stopped,
 * started and restored into): PostgreSQL restarted in the middle of a load through two portal
 * processes, and the portal restored from an older pg_dump, after which the counter sends again
 * what the portal lost. Skipped, with the reason, where PostgreSQL cannot be run.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mutation } from '../../common/sync-protocol';
import pg from 'pg';
import { startPortalProcess, type PortalHandle } from '../../portal/process';
import { startPortal } from '../../portal/server';
import { newToken } from '../../portal/secrets';
import { findPostgres, startCluster, type Cluster } from '../../scripts/pg-cluster.mjs';
import { CENTRE, DAY, batch, walkIn } from '../portal/helpers';
import { eventually, expectPortalMatches, registerWalkIns, settled, syncedCounter, type SyncedCounter } from '../sync/harness';

const run = promisify(execFile);
const found = findPostgres();
const reason = 'reason' in found ? `PostgreSQL cannot be run here (${found.reason}): the operations tests are skipped` : null;
if (reason) console.warn(reason);
const bin = 'bin' in found ? found.bin : '';

let cluster: Cluster | undefined;
const portals: PortalHandle[] = [];
const counters: SyncedCounter[] = [];
const dumpDir = mkdtempSync(join(tmpdir(), 'portal-dump-'));

beforeAll(async () => {
  if (!reason) cluster = await startCluster();
}, 60_000);
afterAll(async () => {
  for (const c of counters) await c.dispose();
  for (const p of portals) await p.stop().catch(() => undefined);
  await cluster?.remove();
  rmSync(dumpDir, { recursive: true, force: true });
}, 60_000);

const schemaName = (what: string) => `${what}_${randomBytes(4).toString('hex')}`;
const urlOf = (database: string) => cluster!.url.replace(/\/postgres$/, `/${database}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(reason !== null)('the portal on PostgreSQL, operated', () => {
  it('PostgreSQL restarted in the middle of a load through two portal processes: every record once, sequences without gaps', async () => {
    const schema = schemaName('restart');
    const database = { engine: 'postgres' as const, url: cluster!.url, schema };
    const first = await startPortalProcess({ database });
    portals.push(first);
    const second = await startPortalProcess({ database });
    portals.push(second);
    const both = [first, second];

    const DEVICES = 6;
    const BATCHES = 8;
    const PER_BATCH = 10;
    const devices = await Promise.all(
      Array.from({ length: DEVICES }, async (_, i) => {
        const token = newToken();
        const centreId = `OPS-${i}`;
        await first.admin.addDevice(token, centreId);
        return { token, centreId, deviceId: randomUUID(), recordIds: [] as string[] };
      }),
    );
    let acknowledged = 0;
    const refusals = new Map<number | string, number>();
    const deadline = Date.now() + 100_000;

    // a counter's upload loop: the same batch again after a failure (Retry-After honoured), to either process
    const pusher = async (d: (typeof devices)[number], i: number) => {
      let attempt = 0;
      for (let b = 0; b < BATCHES; b++) {
        const mutations: Mutation[] = Array.from({ length: PER_BATCH }, (_, k) => walkIn(b * PER_BATCH + k + 1));
        d.recordIds.push(...mutations.map((m) => m.recordId));
        const body = JSON.stringify(batch(d.deviceId, mutations, d.centreId));
        for (;;) {
          if (Date.now() > deadline) throw new Error(`device ${i} did not finish batch ${b} in time`);
          const portal = both[(i + attempt++) % 2]!;
          let wait = 200;
          try {
            const res = await fetch(`${portal.url}/v1/push`, {
              method: 'POST',
              headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' },
              body,
              signal: AbortSignal.timeout(10_000),
            });
            const text = await res.text();
            if (res.status === 200) {
              acknowledged++;
              break;
            }
            refusals.set(res.status, (refusals.get(res.status) ?? 0) + 1);
            expect(res.status, text).toBe(503);
            expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
            wait = Math.min(Number(res.headers.get('retry-after')) * 1000, 2_000);
          } catch (e) {
            if ((e as Error).name === 'AssertionError') throw e;
            refusals.set('network', (refusals.get('network') ?? 0) + 1);
          }
          await sleep(wait);
        }
      }
    };
    const load = Promise.all(devices.map((d, i) => pusher(d, i)));

    await eventually(() => expect(acknowledged).toBeGreaterThanOrEqual((DEVICES * BATCHES) / 4), 60_000, 20);
    await cluster!.stop();
    await sleep(1_000);
    await cluster!.start();
    await load;

    expect([...refusals.keys()].length).toBeGreaterThan(0);
    const clients = await first.admin.clients();
    for (const d of devices) {
      const held = (await second.admin.records(d.centreId, DAY)).records.filter((r) => r.deviceId === d.deviceId);
      const ids = held.map((r) => r.recordId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.sort()).toEqual([...d.recordIds].sort());
      expect(clients.find((c) => c.deviceId === d.deviceId)?.lastAppliedSeq).toBe(BATCHES * PER_BATCH);
    }
  }, 150_000);

  it('a graceful stop lets a push waiting inside its transaction commit and be answered, while new requests get 503 shutting_down', async () => {
    const schema = schemaName('stop');
    const started = await startPortal({ database: { engine: 'postgres', url: cluster!.url, schema } });
    const token = newToken();
    await started.portal.store.addDevice({ token, centreId: CENTRE, label: 'stopping' }, new Date());
    const deviceId = randomUUID();
    const send = (mutations: Mutation[]) =>
      fetch(`${started.url}/v1/push`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(batch(deviceId, mutations)),
        signal: AbortSignal.timeout(20_000),
      });
    const locker = new pg.Client({ connectionString: cluster!.url, options: `-c search_path=${schema}` });
    await locker.connect();
    try {
      expect((await send([walkIn(1)])).status).toBe(200);
      // the device's sequence row held by another session: the next push waits inside its transaction
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM device_client WHERE device_id = $1 FOR UPDATE', [deviceId]);
      const waiting = send([walkIn(2), walkIn(3)]);
      await eventually(async () => {
        const { rows } = await locker.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = 'vaccination-portal'",
        );
        expect(rows[0]!.n).toBe(1);
      }, 10_000);
      const stopped = started.portal.shutdown(15_000);
      const refused = await send([walkIn(2)]);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await refused.json()) as { error: string }).error).toBe('shutting_down');
      await locker.query('COMMIT');
      const answered = await waiting;
      expect(answered.status).toBe(200);
      expect(((await answered.json()) as { results: { status: string }[] }).results.map((r) => r.status)).toEqual([
        'applied',
        'applied',
      ]);
      expect(await stopped).toBe(true);
      const { rows } = await locker.query<{ n: number; seq: number }>(
        `SELECT (SELECT count(*)::int FROM record WHERE device_id = $1) AS n,
                (SELECT last_applied_seq FROM device_client WHERE device_id = $1)::int AS seq`,
        [deviceId],
      );
      expect(rows[0]).toEqual({ n: 3, seq: 3 });
    } finally {
      await locker.end().catch(() => undefined);
      await started.close();
    }
  }, 60_000);

  it('a portal restored from an older pg_dump is sent again what it lost by the counter, and holds every record once', async () => {
    const schema = schemaName('backup');
    const before = await startPortalProcess({ database: { engine: 'postgres', url: cluster!.url, schema } });
    portals.push(before);
    const c = await syncedCounter(before);
    counters.push(c);
    await registerWalkIns(c, 3);
    await settled(c);

    // the nightly backup: the portal's schema alone, in pg_dump's custom format
    const dump = join(dumpDir, 'portal.dump');
    await run(join(bin, 'pg_dump'), ['-Fc', '-n', schema, '-f', dump, cluster!.url], { timeout: 60_000 });

    await registerWalkIns(c, 3);
    await settled(c);
    expect((await before.admin.records(c.centreId, c.today)).records).toHaveLength(6);
    await before.stop();

    // the server is lost; a new one is restored from the backup, which has 3 of the 6 records
    const restoredDb = schemaName('restored');
    await run(join(bin, 'psql'), ['-v', 'ON_ERROR_STOP=1', '-c', `CREATE DATABASE ${restoredDb}`, cluster!.url], {
      timeout: 30_000,
    });
    await run(join(bin, 'pg_restore'), ['--exit-on-error', '-d', urlOf(restoredDb), dump], { timeout: 60_000 });
    const after = await startPortalProcess({
      port: before.port,
      database: { engine: 'postgres', url: urlOf(restoredDb), schema },
    });
    portals.push(after);
    expect((await after.admin.records(c.centreId, c.today)).records).toHaveLength(3);

    await registerWalkIns(c, 2);
    await c.ok('syncNow', {});
    await settled(c, 60_000);
    const m = await eventually(async () => {
      const m = await expectPortalMatches(c, after);
      expect(m.portalRecords).toEqual(m.localRecords);
      return m;
    });
    expect(m.localRecords).toHaveLength(8);
    expect(new Set(m.portalRecords).size).toBe(8);
  }, 150_000);
});
