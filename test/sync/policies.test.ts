/**
 * The sync engine's policies against a scripted portal on loopback: the hard deadline ends a
 * hung request, Retry-After is honoured, backoff stays under its cap, the circuit opens after
 * repeated failures and lets one probe through later. Time bounds here are only lower bounds
 * or generous upper bounds (the machines are shared): they check the rule, not the speed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from './harness';
import { dbWithPending, DEVICE, engineFor, json, runCleanups, scriptedPortal } from './scripted-portal';

afterEach(async () => {
  await runCleanups();
});

describe('sync engine policies', () => {
  it('ends a hung request at its deadline, counts it as a timeout and keeps every record', async () => {
    const portal = await scriptedPortal(() => undefined); // accepts, never answers
    const db = dbWithPending(3);
    const engine = engineFor(portal.url, db, { backoffBaseMs: 60_000, backoffCapMs: 60_000 }, 2);
    engine.start();
    // neither online nor offline before the first request has ended
    expect(engine.status.state).toBe('connecting');
    await eventually(() => expect(engine.status.lastError?.code).toBe('timeout'), 15_000);
    await eventually(() => expect(portal.closes.length).toBe(1), 5_000);
    const held = portal.closes[0]! - portal.hits[0]!.at;
    expect(held).toBeGreaterThanOrEqual(1900);
    expect(held).toBeLessThan(8000);
    expect((db.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'pending'").get() as { n: number }).n).toBe(3);
    expect(engine.status.state).toBe('offline');
  }, 30_000);

  it("waits at least the portal's Retry-After before trying again", async () => {
    let n = 0;
    const portal = await scriptedPortal((req, res) => {
      n++;
      if (n === 1) return json(res, 429, { error: 'rate_limited', message: 'slow down' }, { 'retry-after': '2' });
      json(res, 503, { error: 'busy', message: 'still busy' }, { 'retry-after': '0' });
    });
    const engine = engineFor(portal.url, dbWithPending(1), { backoffBaseMs: 10, backoffCapMs: 20, breakerThreshold: 50 });
    engine.start();
    await eventually(() => expect(portal.hits.length).toBeGreaterThanOrEqual(2), 15_000);
    expect(portal.hits[1]!.at - portal.hits[0]!.at).toBeGreaterThanOrEqual(1900);
    expect(engine.status.lastError?.code).toBe('unavailable');
    expect(engine.status.state).toBe('degraded');
  }, 30_000);

  it('backs off with full jitter under the cap, then opens the circuit and lets a single probe through', async () => {
    const portal = await scriptedPortal((_req, res) => json(res, 500, { error: 'internal', message: 'boom' }));
    const engine = engineFor(portal.url, dbWithPending(1), {
      backoffBaseMs: 20,
      backoffCapMs: 80,
      breakerThreshold: 4,
      halfOpenAfterMs: 1500,
    });
    engine.start();
    await eventually(() => expect(portal.hits.length).toBeGreaterThanOrEqual(5), 20_000);
    const gaps = portal.hits.slice(1).map((h, i) => h.at - portal.hits[i]!.at);
    // the first three retries wait at most the cap (plus scheduling slack)
    for (const g of gaps.slice(0, 3)) expect(g).toBeLessThan(80 + 1000);
    // after the fourth failure the circuit is open: the fifth request is the half-open probe
    expect(gaps[3]!).toBeGreaterThanOrEqual(1400);
    expect(engine.status.state).toBe('offline');
  }, 30_000);

  it('"sync now" tries at once even while the circuit is open', async () => {
    let fail = true;
    const portal = await scriptedPortal((req, res) => {
      if (fail) return json(res, 503, { error: 'busy', message: 'busy' });
      json(res, 200, { deviceId: DEVICE, lastAppliedSeq: 1, results: [] });
    });
    const engine = engineFor(portal.url, dbWithPending(1), {
      backoffBaseMs: 10,
      backoffCapMs: 20,
      breakerThreshold: 2,
      halfOpenAfterMs: 60_000,
    });
    engine.start();
    await eventually(() => {
      expect(portal.hits.length).toBe(2);
      expect(engine.status.lastError?.code).toBe('unavailable');
      expect(engine.status.state).toBe('offline');
    }, 10_000);
    const before = portal.hits.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(portal.hits.length).toBe(before); // open: nothing is sent
    fail = false;
    engine.syncNow();
    await eventually(() => expect(portal.hits.length).toBeGreaterThan(before), 5_000);
  }, 30_000);
});
