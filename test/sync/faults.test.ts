/**
 * The fault matrix: each fault the reference portal can inject, alone and mixed, while the
 * counter keeps registering. When the faults stop and the worker settles, the portal holds
 * every record of the counter exactly once (by UUID), and the outbox is empty.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultConfigInput } from '../../portal/faults';
import { DEFAULT_TUNING } from '../../main/sync/messages';
import { sweepAcknowledged } from '../../main/sync/outbox-sync';
import { startPortalProcess, type PortalHandle } from '../../portal/process';
import { freshPortalDatabase } from '../support/portal-engine';
import {
  eventually,
  expectPortalMatches,
  lastingPortalDatabase,
  outboxRows,
  registerWalkIns,
  settled,
  status,
  syncedCounter,
  type SyncedCounter,
} from './harness';

let portal: PortalHandle;
const counters: SyncedCounter[] = [];

beforeAll(async () => {
  portal = await startPortalProcess({ faults: true, database: freshPortalDatabase() });
});
afterAll(async () => {
  await portal?.admin.setFaults({}).catch(() => undefined);
  for (const c of counters) await c.dispose();
  await portal?.stop();
});

type Rules = NonNullable<FaultConfigInput['rules']>;

const MATRIX: Array<{ name: string; rules: Rules }> = [
  { name: 'hang (accept, never answer)', rules: [{ fault: 'hang', route: 'push', times: 2 }] },
  { name: 'slow answers past the deadline', rules: [{ fault: 'slow', route: 'push', delayMs: 2600, times: 2 }] },
  { name: 'slow answers within the deadline', rules: [{ fault: 'slow', delayMs: 300 }] },
  { name: '500', rules: [{ fault: 'http500', route: 'push', probability: 0.6 }] },
  { name: '503 with Retry-After', rules: [{ fault: 'http503', route: 'push', probability: 0.6, retryAfterSeconds: 1 }] },
  { name: '429 with Retry-After', rules: [{ fault: 'http429', route: 'push', times: 3, retryAfterSeconds: 1 }] },
  { name: 'connection reset', rules: [{ fault: 'reset', route: 'push', probability: 0.6 }] },
  { name: 'commit, then drop the answer', rules: [{ fault: 'commit_then_drop', route: 'push', probability: 0.7 }] },
  {
    name: 'mixed',
    rules: [
      { fault: 'commit_then_drop', route: 'push', probability: 0.3 },
      { fault: 'http503', probability: 0.2, retryAfterSeconds: 0 },
      { fault: 'reset', probability: 0.2 },
      { fault: 'http500', route: 'roster', probability: 0.5 },
      { fault: 'hang', route: 'push', times: 1 },
    ],
  },
];

describe('fault matrix', () => {
  for (const [i, { name, rules }] of MATRIX.entries()) {
    it(`${name}: every record reaches the portal exactly once`, async () => {
      const c = await syncedCounter(portal);
      counters.push(c);
      await settled(c);
      await portal.admin.setFaults({ rules, seed: 100 + i });
      try {
        // records made while the portal misbehaves; batches of one so there are many requests
        for (let round = 0; round < 4; round++) {
          const before = status(c).lastAttemptAt;
          await registerWalkIns(c, 3);
          await c.ok('syncNow', {});
          // the counter has tried since (a hung request first runs to its deadline)
          await eventually(() => expect(status(c).lastAttemptAt).not.toBe(before), 20_000);
        }
        // the portal failing never turns a record into a rejection
        expect(status(c).needsAttention).toBe(0);
      } finally {
        await portal.admin.setFaults({});
      }
      await c.ok('syncNow', {});
      const s = await settled(c, 45_000);
      expect(s.needsAttention).toBe(0);
      const m = await eventually(async () => {
        const m = await expectPortalMatches(c, portal);
        expect(m.portalRecords).toEqual(m.localRecords);
        return m;
      });
      expect(m.localRecords).toHaveLength(12);
      expect(new Set(m.portalRecords).size).toBe(12);
      const client = (await portal.admin.clients()).find((x) => x.deviceId === c.backend.deviceId);
      const maxSeq = (c.backend.db.prepare('SELECT max(seq) AS s FROM outbox').get() as { s: number }).s;
      expect(client?.lastAppliedSeq).toBe(maxSeq);
    }, 90_000);
  }

  it('after the portal comes back from a hang, uploads resume within 10 s: the upload out at its return does not run to its 15 s deadline', async () => {
    // the product's timing: a 15 s deadline, probes every 2 s
    const c = await syncedCounter(portal, { timeoutSeconds: 15, tuning: DEFAULT_TUNING });
    counters.push(c);
    // the worker's first pass (the roster) has ended: the hang begins with uploads
    await eventually(() => expect(status(c).rosterPulledAt).not.toBeNull());
    await settled(c);
    const attempts = [status(c).lastAttemptAt];
    const attemptsSeen = () => {
      const at = status(c).lastAttemptAt;
      if (at !== attempts.at(-1)) attempts.push(at);
      return attempts.length - 1;
    };
    await portal.admin.setFaults({ rules: [{ fault: 'hang' }] });
    let back: number;
    try {
      await registerWalkIns(c, 2);
      // the first upload runs to its deadline; the second is out when the portal comes back
      await eventually(() => expect(attemptsSeen()).toBeGreaterThanOrEqual(2), 40_000);
      expect(status(c).lastError?.code).toBe('timeout');
      expect(status(c).pending).toBeGreaterThan(0);
    } finally {
      await portal.admin.setFaults({});
      back = Date.now();
    }
    await settled(c, 30_000);
    expect(Date.now() - back).toBeLessThan(10_000);
    const m = await expectPortalMatches(c, portal);
    expect(m.portalRecords).toEqual(m.localRecords);
  }, 90_000);

  it('a portal killed and restarted mid-upload loses nothing and duplicates nothing', async () => {
    const own = await startPortalProcess({ faults: true, ...lastingPortalDatabase() });
    try {
      const c = await syncedCounter(own);
      counters.push(c);
      await registerWalkIns(c, 5);
      await own.kill();
      await registerWalkIns(c, 5);
      await c.ok('syncNow', {});
      await eventually(() => expect(status(c).lastError).not.toBeNull());
      expect(status(c).pending).toBeGreaterThan(0);
      await own.restart();
      await c.ok('syncNow', {});
      await settled(c, 45_000);
      const m = await expectPortalMatches(c, own);
      expect(m.portalRecords).toEqual(m.localRecords);
      expect(m.localRecords).toHaveLength(10);
    } finally {
      await own.stop();
    }
  }, 90_000);

  /**
   * A counter uploads 4 walk-ins to a portal that is then replaced by an empty one on the same
   * address (restored from a backup without them); `meanwhile` runs in between.
   */
  async function portalRestoredEmpty(meanwhile: (c: SyncedCounter) => void = () => undefined) {
    const first = await startPortalProcess({ database: freshPortalDatabase() });
    const c = await syncedCounter(first);
    counters.push(c);
    await registerWalkIns(c, 4);
    await settled(c);
    meanwhile(c);
    await first.stop();
    // an empty portal on the same address: a database of its own
    const second = await startPortalProcess({ port: first.port, database: freshPortalDatabase() });
    await second.admin.addDevice(c.token, c.centreId);
    return { c, second };
  }

  it('a portal restored from an older backup is sent again what it lost, and ends up with everything once', async () => {
    let second: PortalHandle | null = null;
    try {
      const restored = await portalRestoredEmpty();
      second = restored.second;
      const c = restored.c;
      await registerWalkIns(c, 3);
      await c.ok('syncNow', {});
      await settled(c, 45_000);
      const m = await eventually(async () => {
        const m = await expectPortalMatches(c, second!);
        expect(m.portalRecords).toEqual(m.localRecords);
        return m;
      });
      expect(m.localRecords).toHaveLength(7);
    } finally {
      await second?.stop();
    }
  }, 90_000);

  it('a portal that lost records the counter no longer keeps: the status says so until IT accepts the loss, then all new records go', async () => {
    let second: PortalHandle | null = null;
    try {
      // weeks later the counter has removed its acknowledged rows, when the portal is restored
      // from a backup that has none of them
      const restored = await portalRestoredEmpty((c) => {
        sweepAcknowledged(c.backend.db, new Date(Date.now() + 40 * 86_400_000), 0, 30);
        expect(outboxRows(c)).toEqual([]);
      });
      second = restored.second;
      const c = restored.c;
      await registerWalkIns(c, 3);
      await c.ok('syncNow', {});
      const s = await eventually(() => {
        const s = status(c);
        if (s.lastError?.code !== 'records_lost') throw new Error(JSON.stringify(s));
        return s;
      });
      expect(s.lastError!.message).toContain(`accept the loss for device ${c.backend.deviceId} up to seq 4`);
      expect(s.pending).toBe(3);
      expect((await second.admin.records(c.centreId, c.today)).records).toEqual([]);

      // hospital IT accepts the loss at the portal: the sequence moves forward, never back
      await expect(second.admin.acceptLost(c.backend.deviceId, 0)).rejects.toThrow();
      // the device is known to the portal once it has pushed (its refused pushes count)
      await eventually(async () => expect((await second!.admin.clients()).map((d) => d.deviceId)).toContain(c.backend.deviceId));
      expect(await second.admin.acceptLost(c.backend.deviceId, 4)).toMatchObject({ from: 0, to: 4 });
      await expect(second.admin.acceptLost(c.backend.deviceId, 3)).rejects.toThrow(/409|not_ahead/);
      await c.ok('syncNow', {});
      const after = await settled(c, 45_000);
      expect(after.lastError).toBeNull();
      const held = (await second.admin.records(c.centreId, c.today)).records.map((r) => r.recordId).sort();
      const local = outboxRows(c)
        .filter((r) => r.kind === 'walkin.registered')
        .map((r) => r.record_id)
        .sort();
      expect(held).toEqual(local);
      expect(held).toHaveLength(3);
    } finally {
      await second?.stop();
    }
  }, 90_000);

  it('a sync worker killed mid-upload is started again and finishes the job', async () => {
    const c = await syncedCounter(portal);
    counters.push(c);
    await portal.admin.setFaults({ rules: [{ fault: 'slow', route: 'push', delayMs: 400 }] });
    try {
      await registerWalkIns(c, 6);
      await c.ok('syncNow', {});
      await eventually(() => expect(status(c).uploading).toBe(true), 10_000, 5);
      await c.backend.sync!.kill();
    } finally {
      await portal.admin.setFaults({});
    }
    await eventually(() => expect(c.backend.sync!.running).toBe(true), 10_000);
    await c.ok('syncNow', {});
    await settled(c, 45_000);
    const m = await expectPortalMatches(c, portal);
    expect(m.portalRecords).toEqual(m.localRecords);
    expect(m.localRecords).toHaveLength(6);
  }, 60_000);
});
