/**
 * The sync engine's policies against a scripted portal on loopback, on a clock the test
 * moves: the hard deadline ends a hung request, Retry-After is honoured, backoff stays under
 * its cap, the circuit opens after repeated failures and lets one upload through later, and
 * uploads resume within seconds of a hung portal's return. Times asserted are the clock's,
 * exact to the step the test moves it by; only the requests themselves take real time.
 */
import type { EngineTuning } from '../../main/sync/messages';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RetryPolicy } from '../../main/sync/retry-policy';
import { eventually } from './harness';
import { ioTurn, ManualClock } from './manual-clock';
import { dbWithPending, DEVICE, engineFor, json, pendingIn, pushes, runCleanups, scriptedPortal } from './scripted-portal';

afterEach(async () => {
  await runCleanups();
});

/**
 * A portal that hangs (takes requests, never answers; what it took stays unanswered after it
 * is back, as a dead connection would) until `up` is set, then acknowledges every upload and
 * answers roster pulls with an empty page.
 */
function hangingPortal(clock: ManualClock) {
  const state = { up: false };
  const portal = scriptedPortal((req, res, body) => {
    if (!state.up) return;
    const url = req.url ?? '';
    if (url.startsWith('/v1/push')) {
      const sent = JSON.parse(body) as { mutations: { seq: number; mutationId: string }[] };
      return json(res, 200, {
        deviceId: DEVICE,
        lastAppliedSeq: sent.mutations.at(-1)!.seq,
        results: sent.mutations.map((m) => ({ seq: m.seq, mutationId: m.mutationId, status: 'applied' })),
      });
    }
    const day = decodeURIComponent(/roster\/([^/?]+)/.exec(url)?.[1] ?? '2026-01-01');
    json(res, 200, { centreId: 'TEST', date: day, changes: [], cursor: 'c1', hasMore: false });
  }, clock);
  return { state, portal };
}

/**
 * An engine on the product's timing (a 15 s deadline, 1 s backoff base, probes every 2 s with a
 * 2 s deadline; `tuning` on top) with `rows` pending, started against a hanging portal on a
 * manual clock.
 */
async function startedAgainstHangingPortal(rows: number, tuning: Partial<EngineTuning> = {}) {
  const clock = new ManualClock();
  const { state, portal: started } = hangingPortal(clock);
  const portal = await started;
  const db = dbWithPending(rows);
  const engine = engineFor(portal.url, db, { clock, timeoutSeconds: 15, tuning });
  engine.start();
  return { clock, state, portal, db, engine };
}

describe('sync engine policies', () => {
  it('ends a hung request at its deadline, counts it as a timeout and keeps every record', async () => {
    const clock = new ManualClock();
    const portal = await scriptedPortal(() => undefined, clock); // accepts, never answers
    const db = dbWithPending(3);
    const engine = engineFor(portal.url, db, {
      clock,
      tuning: { backoffBaseMs: 60_000, backoffCapMs: 60_000 },
      timeoutSeconds: 2,
    });
    engine.start();
    // neither online nor offline before the first request has ended
    expect(engine.status.state).toBe('connecting');
    await eventually(() => expect(pushes(portal)).toHaveLength(1), 5_000);
    await clock.advance(1999);
    await ioTurn(20);
    expect(portal.closes).toEqual([]);
    expect(engine.status.lastError).toBeNull();
    await clock.advance(1);
    await eventually(() => expect(portal.closes.filter((c) => c.url.startsWith('/v1/push'))).toHaveLength(1), 5_000);
    expect(portal.closes[0]!.at - pushes(portal)[0]!.at).toBe(2000);
    expect(engine.status.lastError?.code).toBe('timeout');
    expect(pendingIn(db)).toBe(3);
    expect(engine.status.state).toBe('offline');
  });

  it("waits at least the portal's Retry-After before trying again", async () => {
    const clock = new ManualClock();
    let n = 0;
    const portal = await scriptedPortal((req, res) => {
      n++;
      if (n === 1) return json(res, 429, { error: 'rate_limited', message: 'slow down' }, { 'retry-after': '2' });
      json(res, 503, { error: 'busy', message: 'still busy' }, { 'retry-after': '0' });
    }, clock);
    const engine = engineFor(portal.url, dbWithPending(1), {
      clock,
      tuning: { backoffBaseMs: 10, backoffCapMs: 20, breakerThreshold: 50 },
    });
    engine.start();
    await eventually(() => expect(engine.status.lastError?.code).toBe('unavailable'), 5_000);
    await clock.advanceUntil(() => portal.hits.length >= 2, { stepMs: 10, maxMs: 10_000 });
    const gap = portal.hits[1]!.at - portal.hits[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(2000);
    expect(gap).toBeLessThanOrEqual(2000 + 10 + 10); // the jitter (under the 10 ms base) and one step
    expect(engine.status.lastError?.code).toBe('unavailable');
    expect(engine.status.state).toBe('degraded');
  });

  it('backs off with full jitter under the cap, then opens the circuit and lets a single upload through', async () => {
    const clock = new ManualClock();
    const portal = await scriptedPortal((_req, res) => json(res, 500, { error: 'internal', message: 'boom' }), clock);
    const engine = engineFor(portal.url, dbWithPending(1), {
      clock,
      tuning: { backoffBaseMs: 20, backoffCapMs: 80, breakerThreshold: 4, halfOpenAfterMs: 1500 },
    });
    engine.start();
    await clock.advanceUntil(() => portal.hits.length >= 6, { stepMs: 5, maxMs: 10_000 });
    const gaps = portal.hits.slice(1).map((h, i) => h.at - portal.hits[i]!.at);
    // the first three retries wait under their step (20, 40, 80 ms), plus one clock step
    expect(gaps[0]!).toBeLessThan(20 + 5);
    expect(gaps[1]!).toBeLessThan(40 + 5);
    expect(gaps[2]!).toBeLessThan(80 + 5);
    // after the fourth failure the circuit is open: the fifth request is the one let through at
    // the half-open time, and it failing opens the circuit again for as long
    expect(gaps[3]!).toBeGreaterThanOrEqual(1500);
    expect(gaps[3]!).toBeLessThan(1500 + 80 + 5);
    expect(gaps[4]!).toBeGreaterThanOrEqual(1500);
    expect(engine.status.state).toBe('offline');
  });

  it('"sync now" tries at once even while the circuit is open', async () => {
    const clock = new ManualClock();
    let fail = true;
    const portal = await scriptedPortal((_req, res) => {
      if (fail) return json(res, 503, { error: 'busy', message: 'busy' });
      json(res, 200, { deviceId: DEVICE, lastAppliedSeq: 1, results: [] });
    }, clock);
    const engine = engineFor(portal.url, dbWithPending(1), {
      clock,
      tuning: { backoffBaseMs: 10, backoffCapMs: 20, breakerThreshold: 2, halfOpenAfterMs: 60_000 },
    });
    engine.start();
    await clock.advanceUntil(() => portal.hits.length === 2 && engine.status.state === 'offline', { stepMs: 5, maxMs: 5_000 });
    expect(engine.status.lastError?.code).toBe('unavailable');
    const before = portal.hits.length;
    await clock.advanceBy(30_000, { stepMs: 1000 });
    expect(portal.hits.length).toBe(before); // open: nothing is sent
    fail = false;
    engine.syncNow();
    await eventually(() => expect(portal.hits.length).toBeGreaterThan(before), 5_000);
  });

  it("keeps the portal's own reason while its circuit is open: a request the open circuit holds back does not replace it", async () => {
    // a counter whose token the portal does not know: every upload and roster pull is refused
    const clock = new ManualClock();
    const portal = await scriptedPortal(
      (_req, res) => json(res, 401, { error: 'unauthorized', message: 'unknown token' }),
      clock,
    );
    const admit = vi.spyOn(RetryPolicy.prototype, 'admit');
    const engine = engineFor(portal.url, dbWithPending(1), { clock });
    engine.start();
    const seen = new Set<string>();
    const watch = () => {
      const e = engine.status.lastError;
      if (e) seen.add(`${engine.status.state} ${e.code}: ${e.message}`);
      return false;
    };
    await clock.advanceUntil(() => watch() || engine.status.state === 'offline', { stepMs: 50, maxMs: 60_000 });
    const open = portal.hits.length;
    // the product's timing: the uploads and the roster back off apart, and both come due while
    // the circuit is open (30 s); each is held back, and the half-open trial fails again
    for (let i = 0; i < 260; i++) {
      await clock.advance(250);
      await ioTurn();
      watch();
    }
    expect(portal.hits.length).toBeGreaterThan(open); // the trial went through, and failed
    // requests came due while the circuit was open, and it held them back
    expect(admit.mock.results.filter((r) => r.value === false).length).toBeGreaterThan(0);
    admit.mockRestore();
    expect([...seen].filter((s) => !s.includes('unauthorized'))).toEqual([]);
    expect(engine.status.state).toBe('offline');
    expect(Date.parse(engine.status.nextRetryAt!)).toBeGreaterThan(clock.date().getTime());
  });
});

describe('uploads after a hung portal comes back', () => {
  it('an upload out when the portal comes back is ended by a probe that answers, and sent again at once: resumed within seconds, not at its deadline', async () => {
    const { clock, state, portal, db, engine } = await startedAgainstHangingPortal(2);
    await eventually(() => expect(pushes(portal)).toHaveLength(1), 5_000);
    // the first upload runs to its deadline; the second goes after the backoff
    await clock.advanceUntil(() => pushes(portal).length === 2, { stepMs: 50, maxMs: 20_000 });
    await clock.advanceBy(1000, { stepMs: 50 });
    state.up = true;
    const took = await clock.advanceUntil(() => pendingIn(db) === 0, { stepMs: 50, maxMs: 30_000 });
    // the next probe (every 2 s) answers and the upload goes again: not the 14 s left of its deadline
    expect(took).toBeLessThanOrEqual(2000 + 100);
    expect(engine.status.state).toBe('online');
    // the upload that hung was let go
    expect(portal.closes.some((c) => c.url.startsWith('/v1/push'))).toBe(true);
  });

  it('two uploads out when the portal hangs: the probe that answers ends the first, the one behind it goes with it, and all resume within seconds', async () => {
    // two batches: both go at once, the second behind the first
    const { clock, state, portal, db, engine } = await startedAgainstHangingPortal(400);
    await eventually(() => expect(pushes(portal)).toHaveLength(2), 5_000);
    await clock.advanceBy(5000, { stepMs: 50 });
    state.up = true;
    const took = await clock.advanceUntil(() => pendingIn(db) === 0, { stepMs: 50, maxMs: 30_000 });
    expect(took).toBeLessThanOrEqual(2000 + 100);
    expect(engine.status.state).toBe('online');
    // one probe at a time, every 2 s: not one for each upload out
    const probes = portal.hits.filter((h) => h.url.includes('limit=1'));
    expect(probes.length).toBeLessThanOrEqual(4);
  });

  it('with the circuit open, a probe answering again lets uploads through at once, not at the end of the half-open time', async () => {
    const { clock, state, portal, db, engine } = await startedAgainstHangingPortal(2, { breakerThreshold: 2 });
    await clock.advanceUntil(() => engine.status.state === 'offline' && pushes(portal).length === 2 && !engine.status.uploading, {
      stepMs: 50,
      maxMs: 60_000,
    });
    await clock.advanceBy(5000, { stepMs: 50 });
    const probes = portal.hits.filter((h) => h.url.includes('limit=1'));
    expect(probes.length).toBeGreaterThanOrEqual(2); // probed all along, every 2 s
    expect(pushes(portal)).toHaveLength(2); // and no upload through the open circuit
    state.up = true;
    const took = await clock.advanceUntil(() => pendingIn(db) === 0, { stepMs: 50, maxMs: 60_000 });
    expect(took).toBeLessThanOrEqual(4000 + 100); // a probe out when it came back ends at its 2 s deadline; the next answers
  });

  it('a portal that answers probes while its uploads hang is not asked in a loop: each upload runs to its deadline', async () => {
    const clock = new ManualClock();
    const portal = await scriptedPortal((req, res) => {
      if (req.url?.startsWith('/v1/push')) return; // uploads hang
      json(res, 200, { centreId: 'TEST', date: '2026-01-01', changes: [], cursor: 'c1', hasMore: false });
    }, clock);
    const db = dbWithPending(1);
    const engine = engineFor(portal.url, db, { clock, timeoutSeconds: 15, tuning: { breakerThreshold: 50 } });
    engine.start();
    await eventually(() => expect(pushes(portal)).toHaveLength(1), 5_000);
    await clock.advanceBy(120_000, { stepMs: 250 });
    // probes answered all along: that says nothing about the uploads, which keep their deadline and backoff
    const sent = pushes(portal);
    const ended = portal.closes.filter((c) => c.url.startsWith('/v1/push'));
    expect(sent.length).toBeGreaterThanOrEqual(4);
    expect(sent.length).toBeLessThanOrEqual(Math.ceil(120 / 15));
    for (const [i, c] of ended.entries()) expect(c.at - sent[i]!.at).toBeGreaterThanOrEqual(15_000);
    expect(pendingIn(db)).toBe(1);
  });

  it('a roster pull out when a hung portal comes back is ended and pulled again at once', async () => {
    const { clock, state, portal, engine } = await startedAgainstHangingPortal(0);
    await eventually(() => expect(portal.hits.filter((h) => h.url.includes('/roster/'))).toHaveLength(1), 5_000);
    // probes from 2 s on get no answer; the portal is back at 5 s
    await clock.advanceBy(5000, { stepMs: 50 });
    state.up = true;
    const took = await clock.advanceUntil(() => engine.status.rosterPulledAt !== null, { stepMs: 50, maxMs: 30_000 });
    expect(took).toBeLessThanOrEqual(2000 + 100);
  });
});
