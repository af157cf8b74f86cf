/**
 * The portal's PostgreSQL is lost and back while a counter pushes: the portal answers 503
 * database_unavailable with Retry-After (its health too), the counter backs off for at least
 * that long and says so in its status, and once PostgreSQL is started again every record is
 * at the portal once, nothing lost. The test runs a throw-away cluster of its own (it stops and
 * starts it); skipped, with the reason, where PostgreSQL cannot be run.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPortalProcess, type PortalHandle } from '../../portal/process';
import { findPostgres, startCluster, type Cluster } from '../../scripts/pg-cluster.mjs';
import { eventually, expectPortalMatches, registerWalkIns, settled, status, syncedCounter, type SyncedCounter } from './harness';

const found = findPostgres();
const reason = 'reason' in found ? `PostgreSQL cannot be run here (${found.reason}): the outage test is skipped` : null;
if (reason) console.warn(reason);

let cluster: Cluster | undefined;
let portal: PortalHandle | undefined;
let counter: SyncedCounter | undefined;

beforeAll(async () => {
  if (reason) return;
  cluster = await startCluster();
  portal = await startPortalProcess({
    database: { engine: 'postgres', url: cluster.url, schema: `outage_${randomBytes(4).toString('hex')}` },
  });
}, 60_000);
afterAll(async () => {
  await counter?.dispose();
  await portal?.stop().catch(() => undefined);
  await cluster?.remove();
}, 60_000);

describe.skipIf(reason !== null)('PostgreSQL lost and back while a counter pushes', () => {
  it('the counter sees 503, backs off by Retry-After, and after the restart every record is at the portal once', async () => {
    const c = (counter = await syncedCounter(portal!));
    await registerWalkIns(c, 3);
    await settled(c);

    await cluster!.stop();
    const health = await fetch(`${portal!.url}/v1/health`, { signal: AbortSignal.timeout(10_000) });
    expect(health.status).toBe(503);
    expect(health.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await health.json()).toMatchObject({ ok: false, database: 'unavailable' });

    await registerWalkIns(c, 4);
    await c.ok('syncNow', {});
    // the push was answered 503 with Retry-After: the status names it and waits at least that long
    const down = await eventually(() => {
      const s = status(c);
      if (!s.lastError || !s.nextRetryAt || !s.lastAttemptAt) throw new Error(`no failure yet: ${JSON.stringify(s)}`);
      return s;
    }, 30_000);
    expect(down.state).not.toBe('online');
    expect(down.pending).toBeGreaterThanOrEqual(4);
    expect(down.lastError!.message).toMatch(/database|unavailable|503/i);
    expect(Date.parse(down.nextRetryAt!) - Date.parse(down.lastAttemptAt!)).toBeGreaterThanOrEqual(4_000);

    await cluster!.start();
    await registerWalkIns(c, 2);
    const after = await settled(c, 60_000);
    expect(after.lastError).toBeNull();
    const m = await eventually(async () => {
      const m = await expectPortalMatches(c, portal!);
      expect(m.portalRecords).toEqual(m.localRecords);
      return m;
    });
    expect(m.localRecords).toHaveLength(9);
    expect(new Set(m.portalRecords).size).toBe(9);
    const clients = await portal!.admin.clients();
    const mine = clients.find((d) => d.deviceId === c.backend.deviceId);
    expect(mine?.lastAppliedSeq).toBe(9);
  }, 120_000);
});
