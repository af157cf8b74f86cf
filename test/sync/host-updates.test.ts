/**
 * The sync host's updates to the wiring, on a clock the test moves: the worker's reports come
 * out at most every 100 ms with the latest status, a change of state or of the reason for
 * failing is told at once, and so is the last record reaching the portal ("all uploaded").
 */
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Provisioning } from '../../common/domain';
import { silentLogger } from '../../main/logging/logger';
import { SyncHost, type SyncUpdate } from '../../main/sync/host';
import { INITIAL_ENGINE_STATUS, type EngineStatus, type FromWorker, type WorkerSetup } from '../../main/sync/messages';
import { eventually } from './harness';
import { ManualClock } from './manual-clock';

const hosts: SyncHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop(2000);
});

const status = (patch: Partial<EngineStatus>): FromWorker => ({ type: 'status', status: { ...INITIAL_ENGINE_STATUS, ...patch } });
const online = { state: 'online' as const, lastError: null };

function scriptedHost(batches: FromWorker[][]) {
  const clock = new ManualClock();
  const updates: SyncUpdate[] = [];
  let posted = 0;
  const log = silentLogger();
  log.info = ((_data: unknown, message: string) => {
    if (/^batch \d+ posted$/.test(message)) posted++;
  }) as typeof log.info;
  const setup: WorkerSetup & { batches: FromWorker[][] } = {
    dbFile: '',
    deviceId: 'test-device',
    provisioning: {} as Provisioning,
    batches,
  };
  const host = new SyncHost({
    file: resolve(import.meta.dirname, 'fixtures/scripted-worker.mjs'),
    setup,
    log,
    clock,
    onUpdate: (u) => updates.push(u),
    onRosterChanged: () => undefined,
  });
  hosts.push(host);
  host.start();
  /** Posts the next batch and waits until the host has read all of it. */
  const post = async () => {
    const want = posted + 1;
    host.nudge();
    await eventually(() => expect(posted).toBe(want), 5_000, 5);
  };
  return { clock, host, updates, post };
}

describe('sync host updates', () => {
  it('a burst of reports comes out as one update within 100 ms, with the latest status', async () => {
    const { clock, updates, post } = scriptedHost([
      [status({ ...online })],
      [
        status({ ...online, uploading: true }),
        status({ ...online, uploading: false }),
        { type: 'outbox', allUploaded: false },
        status({ ...online, uploading: true, lastAttemptAt: '2026-03-01T10:00:00.000Z' }),
      ],
    ]);
    await post();
    expect(updates).toHaveLength(1); // connecting -> online: at once
    await post();
    expect(updates).toHaveLength(1);
    await clock.advance(99);
    expect(updates).toHaveLength(1);
    await clock.advance(1);
    expect(updates).toHaveLength(2);
    expect(updates[1]).toEqual({
      status: { ...INITIAL_ENGINE_STATUS, ...online, uploading: true, lastAttemptAt: '2026-03-01T10:00:00.000Z' },
      outboxChanged: true,
      settledRecords: [],
    });
    await clock.advance(1000);
    expect(updates).toHaveLength(2); // nothing new: nothing said
  });

  it('a change of state or of the reason for failing is told at once', async () => {
    const { updates, post } = scriptedHost([
      [status({ ...online })],
      [status({ state: 'degraded', lastError: { code: 'unavailable', message: '503 busy' } })],
      [status({ state: 'degraded', lastError: { code: 'timeout', message: 'no answer within 15 s' } })],
    ]);
    await post();
    await post();
    await post();
    expect(updates.map((u) => [u.status.state, u.status.lastError?.code ?? null])).toEqual([
      ['online', null],
      ['degraded', 'unavailable'],
      ['degraded', 'timeout'],
    ]);
  });

  it('the last record reaching the portal is told at once, with the outbox changed', async () => {
    const { updates, post } = scriptedHost([
      [status({ ...online })],
      [status({ ...online, uploading: true }), { type: 'outbox', allUploaded: false }],
      [{ type: 'outbox', allUploaded: true }],
    ]);
    await post();
    await post();
    expect(updates).toHaveLength(1);
    await post();
    expect(updates).toHaveLength(2);
    expect(updates[1]!.outboxChanged).toBe(true);
    expect(updates[1]!.status.uploading).toBe(true);
  });

  it('passes on the records the portal answered since the last update, each once, and each only once', async () => {
    const { clock, updates, post } = scriptedHost([
      [status({ ...online })],
      [
        { type: 'outbox', allUploaded: false, settled: ['r1', 'r2'] },
        { type: 'outbox', allUploaded: false, settled: ['r2', 'r3'] },
      ],
      [{ type: 'outbox', allUploaded: true, settled: ['r4'] }],
      [{ type: 'outbox', allUploaded: true }],
    ]);
    await post();
    await post();
    await clock.advance(100);
    expect(updates.map((u) => u.settledRecords)).toEqual([[], ['r1', 'r2', 'r3']]);
    await post();
    await post();
    expect(updates.map((u) => u.settledRecords)).toEqual([[], ['r1', 'r2', 'r3'], ['r4'], []]);
  });

  it('says nothing once stopping', async () => {
    const { clock, host, updates, post } = scriptedHost([[status({ ...online })], [status({ ...online, uploading: true })]]);
    await post();
    await post();
    await host.stop(2000);
    await clock.advance(1000);
    expect(updates).toHaveLength(1);
  });
});
