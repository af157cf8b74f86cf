import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { errorBodySchema, pushResponseSchema } from '../../common/sync-protocol';
import { startPortal } from '../../portal/server';
import { PortalAdminError, startPortalInProcess, startPortalProcess, type PortalHandle } from '../../portal/process';
import { CENTRE, DAY, TOKEN, batch, walkIn } from './helpers';
import { PORTAL_TEST_ENGINE, freshPortalDatabase } from '../support/portal-engine';

type Handle = Awaited<ReturnType<typeof startPortalInProcess>>;
let portal: Handle;
let device: string;

beforeEach(async () => {
  portal = await startPortalInProcess({ faults: true, database: freshPortalDatabase() });
  await portal.admin.addDevice(TOKEN, CENTRE);
  device = randomUUID();
});
afterEach(() => portal.stop());

function pushHttp(body: unknown, timeoutMs = 5000) {
  return fetch(`${portal.url}/v1/push`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
}
const rosterHttp = (timeoutMs = 5000) =>
  fetch(`${portal.url}/v1/centres/${CENTRE}/roster/${DAY}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
    signal: AbortSignal.timeout(timeoutMs),
  });
const held = async () => (await portal.admin.records(CENTRE, DAY)).records;

describe('fault injection over HTTP', () => {
  it('hang: the request is never answered; the client times out and the server still closes', async () => {
    await portal.admin.setFaults({ rules: [{ fault: 'hang', route: 'push', times: 1 }] });
    await expect(pushHttp(batch(device, [walkIn(1)]), 300)).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(await held()).toHaveLength(0);
    // the next request is handled again
    expect((await pushHttp(batch(device, [walkIn(1)]))).status).toBe(200);
    // a hung request still open does not keep the server from closing
    await portal.admin.setFaults({ rules: [{ fault: 'hang' }] });
    const pending = rosterHttp(10_000).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    const closing = performance.now();
    await portal.kill();
    expect(performance.now() - closing).toBeLessThan(3000);
    expect(await pending).toBeInstanceOf(Error);
  });

  it('slow: answers normally after the delay', async () => {
    await portal.admin.setFaults({ rules: [{ fault: 'slow', delayMs: 400 }] });
    const started = performance.now();
    const res = await pushHttp(batch(device, [walkIn(1)]));
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(380);
    expect(pushResponseSchema.parse(await res.json()).results[0]!.status).toBe('applied');
  });

  it('http500: answers 500 in the error shape and applies nothing', async () => {
    await portal.admin.setFaults({ rules: [{ fault: 'http500', route: 'push' }] });
    const res = await pushHttp(batch(device, [walkIn(1)]));
    expect(res.status).toBe(500);
    expect(errorBodySchema.parse(await res.json()).error).toBe('internal');
    expect(await held()).toHaveLength(0);
    expect((await rosterHttp()).status).toBe(200);
  });

  it('http503 and http429: answer with Retry-After', async () => {
    await portal.admin.setFaults({
      rules: [
        { fault: 'http503', route: 'push', times: 1, retryAfterSeconds: 7 },
        { fault: 'http429', route: 'push', times: 1 },
      ],
    });
    const a = await pushHttp(batch(device, [walkIn(1)]));
    expect(a.status).toBe(503);
    expect(a.headers.get('retry-after')).toBe('7');
    expect(errorBodySchema.parse(await a.json()).error).toBe('unavailable');
    const b = await pushHttp(batch(device, [walkIn(1)]));
    expect(b.status).toBe(429);
    expect(b.headers.get('retry-after')).toBe('1');
    expect(errorBodySchema.parse(await b.json()).error).toBe('rate_limited');
    expect((await pushHttp(batch(device, [walkIn(1)]))).status).toBe(200);
  });

  it('reset: the connection is dropped without an answer and nothing is applied', async () => {
    await portal.admin.setFaults({ rules: [{ fault: 'reset', times: 1 }] });
    await expect(pushHttp(batch(device, [walkIn(1)]))).rejects.toThrow(TypeError);
    expect(await held()).toHaveLength(0);
    expect(await portal.admin.clients()).toEqual([]);
  });

  it('commit_then_drop: the push is applied but the answer never comes; a resend is acknowledged as duplicate', async () => {
    await portal.admin.setFaults({ rules: [{ fault: 'commit_then_drop', route: 'push', times: 1 }] });
    const body = batch(device, [walkIn(1), walkIn(2)]);
    await expect(pushHttp(body)).rejects.toThrow(TypeError);
    expect(await held()).toHaveLength(2);
    const res = await pushHttp(body);
    const again = pushResponseSchema.parse(await res.json());
    expect(again.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
    expect(again.lastAppliedSeq).toBe(2);
  });

  it('commit_then_drop on a pull just drops the connection', async () => {
    await portal.admin.setFaults({ rules: [{ fault: 'commit_then_drop', route: 'roster', times: 1 }] });
    await expect(rosterHttp()).rejects.toThrow(TypeError);
    expect((await rosterHttp()).status).toBe(200);
  });

  it('rejectRecordIds: those records are rejected with the chosen code, others applied', async () => {
    const chosen = walkIn(1);
    await portal.admin.setFaults({ rules: [], rejectRecordIds: [chosen.recordId] });
    const res = pushResponseSchema.parse(await (await pushHttp(batch(device, [chosen, walkIn(2)]))).json());
    expect(res.results[0]).toMatchObject({ status: 'rejected', code: 'rejected_by_portal' });
    expect(res.results[0]!.reason).toBeTruthy();
    expect(res.results[1]!.status).toBe('applied');
    const other = walkIn(3);
    await portal.admin.setFaults({ rules: [], rejectRecordIds: [other.recordId], rejectCode: 'under_review' });
    const res2 = pushResponseSchema.parse(await (await pushHttp(batch(device, [other]))).json());
    expect(res2.results[0]).toMatchObject({ status: 'rejected', code: 'under_review' });
  });

  it('probability draws from the seed: the same seed gives the same faults', async () => {
    const run = async () => {
      await portal.admin.setFaults({ rules: [{ fault: 'http503', route: 'roster', probability: 0.5 }], seed: 42 });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await rosterHttp()).status);
      return statuses;
    };
    const first = await run();
    expect(first).toContain(503);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
  });

  it('never touches /v1/health or /admin; rejects a malformed configuration', async () => {
    await portal.admin.setFaults({ rules: [{ fault: 'http500' }] });
    expect((await fetch(`${portal.url}/v1/health`)).status).toBe(200);
    expect(await portal.admin.stats()).toMatchObject({ requests: 1 });
    await expect(portal.admin.setFaults({ rules: [{ fault: 'explode' as 'hang' }] })).rejects.toMatchObject({ status: 400 });
  });

  it('sheds load: beyond maxInFlight requests are answered 503 busy with Retry-After 1', async () => {
    await portal.stop();
    portal = await startPortalInProcess({ faults: true, database: freshPortalDatabase(), maxInFlight: 2 });
    await portal.admin.addDevice(TOKEN, CENTRE);
    await portal.admin.setFaults({ rules: [{ fault: 'slow', route: 'roster', delayMs: 500, times: 2 }] });
    const slow = [rosterHttp(), rosterHttp()];
    await new Promise((r) => setTimeout(r, 100));
    const busy = await rosterHttp();
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(errorBodySchema.parse(await busy.json()).error).toBe('busy');
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200]);
    expect((await rosterHttp()).status).toBe(200);
    const stats = await portal.admin.stats();
    expect(stats).toMatchObject({ requests: 4, inFlightMax: 3, inFlight: 0, byStatus: { 200: 3, 503: 1 } });
    expect(stats.peakRequestsPerSecond).toBeGreaterThanOrEqual(3);
    const reset = await portal.admin.resetStats();
    expect(reset).toMatchObject({ requests: 0, pushes: 0, byStatus: {} });
  });
});

describe('fault injection is refused', () => {
  it('without the faults flag: /admin/faults is 404', async () => {
    const plain = await startPortalInProcess({ database: freshPortalDatabase() });
    try {
      await expect(plain.admin.setFaults({ rules: [] })).rejects.toBeInstanceOf(PortalAdminError);
      await expect(plain.admin.setFaults({ rules: [] })).rejects.toMatchObject({ status: 404 });
    } finally {
      await plain.stop();
    }
  });

  it('on a host that is not loopback', async () => {
    await expect(startPortal({ database: freshPortalDatabase(), faults: true, host: '0.0.0.0', port: 0 })).rejects.toThrow(
      /loopback/,
    );
    const tsx = pathToFileURL(resolve('node_modules/tsx/dist/loader.mjs')).href;
    const cli = spawnSync(
      process.execPath,
      ['--import', tsx, join('portal', 'cli.ts'), '--faults', '--host', '0.0.0.0', '--memory'],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(cli.status).toBe(2);
    expect(cli.stderr).toMatch(/loopback/);
  });
});

describe('the portal as a child process', () => {
  let proc: PortalHandle;
  beforeAll(async () => {
    // what it acknowledged must outlive the process: a SQLite file in a folder of its own, or the test's PostgreSQL
    proc = await startPortalProcess({
      faults: true,
      ...(PORTAL_TEST_ENGINE === 'postgres' ? { database: freshPortalDatabase() } : {}),
    });
  }, 30_000);
  afterAll(() => proc?.stop());

  it('keeps what it acknowledged across a SIGKILL and restarts on the same port', async () => {
    await proc.admin.addDevice(TOKEN, CENTRE);
    const deviceId = randomUUID();
    const body = batch(deviceId, [walkIn(1), walkIn(2)]);
    const post = () =>
      fetch(`${proc.url}/v1/push`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
    await proc.admin.setFaults({ rules: [{ fault: 'commit_then_drop', times: 1 }] });
    await expect(post()).rejects.toThrow(TypeError);
    const port = proc.port;
    await proc.kill();
    await proc.restart();
    expect(proc.port).toBe(port);
    // a portal just started may shed load while it warms up on a busy machine (503 busy): a counter waits and sends again
    const resend = async () => {
      for (let i = 0; ; i++) {
        const res = await post();
        if (res.status !== 503 || i === 20) return res;
        await sleep(250);
      }
    };
    const again = pushResponseSchema.parse(await (await resend()).json());
    expect(again.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
    expect((await proc.admin.records(CENTRE, DAY)).records).toHaveLength(2);
    expect(await proc.admin.clients()).toEqual([expect.objectContaining({ deviceId, lastAppliedSeq: 2 })]);
    // faults are not kept across a restart
    expect((await post()).status).toBe(200);
  }, 60_000);
});

describe('plain HTTP answers a sync worker sees', () => {
  it('413 too_large is answered (not a dropped connection) for a body over 2 MiB', async () => {
    const m = walkIn(1);
    m.payload.note = 'x'.repeat(3 * 1024 * 1024);
    const res = await pushHttp(batch(device, [m]));
    expect(res.status).toBe(413);
    expect(errorBodySchema.parse(await res.json()).error).toBe('too_large');
  });

  it('counts pushes and their results in the stats', async () => {
    await pushHttp(batch(device, [walkIn(1), walkIn(2)]));
    await pushHttp(batch(device, [walkIn(2)]));
    expect(await portal.admin.stats()).toMatchObject({
      requests: 2,
      pushes: 2,
      pushedMutations: 3,
      results: { applied: 2, duplicate: 0, rejected: 1 },
      byStatus: { 200: 2 },
    });
  });
});
