/**
 * Two uploads out at once: while the portal answers, the uploader sends the next batch on the
 * upload connection before the one the portal works on is answered, and never more than two.
 * A batch sent behind one that fails, or behind an answer that leaves rows pending, is let go:
 * its failure is not counted or told, nothing of its answer is recorded, and its rows go again.
 * Against a scripted portal on loopback that keeps sequence numbers as the real one does.
 */
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PortalClient } from '../../main/sync/portal-client';
import { eventually } from './harness';
import { dbWithPending, DEVICE, engineFor, json, pendingIn, pushes, runCleanups, scriptedPortal } from './scripted-portal';

afterEach(async () => {
  await runCleanups();
});

interface Sent {
  seq: number;
  mutationId: string;
}

/** What the scripted portal does with a push it has in hand: its answer, or null to hold it for the test. */
type Script = (push: Push) => 'apply' | { status: number; body: unknown } | 'hold';

interface Push {
  /** 1 for the first push the portal got */
  n: number;
  mutations: Sent[];
  res: ServerResponse;
}

/**
 * A portal that applies pushes in sequence order, as the real one does: a batch whose first new
 * number is not the next one expected is refused (409 sequence_gap), numbers already applied
 * are answered as duplicates. `script` decides per push; held pushes are answered by the test.
 */
async function sequencedPortal(script: Script) {
  const state = { lastApplied: 0, applied: new Map<number, number>(), outstanding: 0, maxOutstanding: 0, log: [] as string[] };
  const held: Push[] = [];
  let n = 0;
  /** `instead`: what is answered after applying (an answer lost on the way: a proxy's 503) */
  const answer = (p: Push, how: 'apply' | { status: number; body: unknown }, instead?: { status: number; body: unknown }) => {
    state.outstanding--;
    state.log.push(`answer ${p.n}`);
    if (how !== 'apply') return json(p.res, how.status, how.body);
    const first = p.mutations.find((m) => m.seq > state.lastApplied);
    if (first && first.seq !== state.lastApplied + 1) {
      return json(p.res, 409, {
        error: 'sequence_gap',
        message: `expected seq ${state.lastApplied + 1}`,
        expectedSeq: state.lastApplied + 1,
      });
    }
    const results = p.mutations.map((m) => {
      if (m.seq <= state.lastApplied) return { seq: m.seq, mutationId: m.mutationId, status: 'duplicate' };
      state.applied.set(m.seq, (state.applied.get(m.seq) ?? 0) + 1);
      state.lastApplied = m.seq;
      return { seq: m.seq, mutationId: m.mutationId, status: 'applied' };
    });
    if (instead) json(p.res, instead.status, instead.body, { 'retry-after': '2' });
    else json(p.res, 200, { deviceId: DEVICE, lastAppliedSeq: state.lastApplied, results });
  };
  const portal = await scriptedPortal((req, res, body) => {
    const url = req.url ?? '';
    if (url.startsWith('/v1/push')) {
      const p: Push = { n: ++n, mutations: (JSON.parse(body) as { mutations: Sent[] }).mutations, res };
      state.outstanding++;
      state.maxOutstanding = Math.max(state.maxOutstanding, state.outstanding);
      state.log.push(`push ${p.n}`);
      const how = script(p);
      if (how === 'hold') held.push(p);
      else answer(p, how);
      return;
    }
    const day = decodeURIComponent(/roster\/([^/?]+)/.exec(url)?.[1] ?? '2026-01-01');
    json(res, 200, { centreId: 'TEST', date: day, changes: [], cursor: 'c1', hasMore: false });
  });
  /** Answers the held pushes, oldest first, one every `ms`; the function returned stops it. */
  const answerHeldEvery = (ms: number): (() => void) => {
    const timer = setInterval(() => {
      const p = held.shift();
      if (p) answer(p, 'apply');
    }, ms);
    return () => clearInterval(timer);
  };
  return { portal, state, held, answer, answerHeldEvery };
}

/** Every one of `n` records applied at the portal, each once. */
function expectEachAppliedOnce(state: { applied: Map<number, number> }, n: number): void {
  expect(state.applied.size).toBe(n);
  expect([...state.applied.values()].every((times) => times === 1)).toBe(true);
}

/** The uploads' warnings (the fleet report's, which the scripted portal does not take, left out). */
function uploadWarnings() {
  const warnings: string[] = [];
  const log = {
    info() {},
    warn: (_: unknown, message: string) => void (message.includes('fleet report') ? undefined : warnings.push(message)),
    error() {},
  };
  return { warnings, log };
}

describe('uploads in flight two at a time', () => {
  it('sends the next batch before the first is answered, never a third, and every record arrives once', async () => {
    // every push is held, and the oldest held answered every 50 ms
    const s = await sequencedPortal(() => 'hold');
    const stopAnswering = s.answerHeldEvery(50);
    // the uploads the counter has out, counted where they leave it (a third would queue in the client)
    const push = PortalClient.prototype.push;
    let out = 0;
    let maxOut = 0;
    vi.spyOn(PortalClient.prototype, 'push').mockImplementation(function (this: PortalClient, ...args) {
      maxOut = Math.max(maxOut, ++out);
      const sending = push.apply(this, args);
      sending.then(
        () => out--,
        () => out--,
      );
      return sending;
    });
    try {
      const db = dbWithPending(1000);
      engineFor(s.portal.url, db).start();
      await eventually(() => expect(pendingIn(db)).toBe(0), 15_000);
    } finally {
      stopAnswering();
      vi.restoreAllMocks();
    }
    expect(pushes(s.portal)).toHaveLength(5);
    expect(maxOut).toBe(2);
    expect(s.state.maxOutstanding).toBe(2);
    // the second push reached the portal before the first was answered
    expect(s.state.log.slice(0, 3)).toEqual(['push 1', 'push 2', 'answer 1']);
    expectEachAppliedOnce(s.state, 1000);
  });

  it('a batch behind one that fails is let go: the first failure is the one told, the rows behind get no failed try, and one batch goes at a time until the portal answers again', async () => {
    const s = await sequencedPortal((p) => {
      // the first push is refused once the one behind it is there; the portal then takes the
      // second out of order (409), as a real one would
      if (p.n === 2) {
        s.answer(s.held.shift()!, { status: 503, body: { error: 'unavailable', message: 'down for a moment' } });
        return 'apply';
      }
      return 'hold';
    });
    // from the third push on, each is held, and the oldest held answered every 40 ms
    const stopAnswering = s.answerHeldEvery(40);
    const { warnings, log } = uploadWarnings();
    const db = dbWithPending(800);
    try {
      engineFor(s.portal.url, db, { tuning: { backoffBaseMs: 50, backoffCapMs: 100 }, log }).start();
      await eventually(() => expect(s.state.log).toContain('answer 2'), 5_000);
      await eventually(() => expect(warnings).toHaveLength(1), 5_000);
      // the refused batch has a failed try; the batch behind it none
      const tries = db.prepare('SELECT seq, attempts FROM outbox ORDER BY seq').all() as { seq: number; attempts: number }[];
      expect(tries.filter((r) => r.seq <= 200).every((r) => r.attempts === 1)).toBe(true);
      expect(tries.filter((r) => r.seq > 200).every((r) => r.attempts === 0)).toBe(true);
      await eventually(() => expect(pendingIn(db)).toBe(0), 15_000);
    } finally {
      stopAnswering();
    }
    // told: the 503, never the 409 of the batch behind it
    expect(warnings).toEqual([expect.stringContaining('down for a moment')]);
    // after the failure the first batch went alone; two at a time again once it was answered
    const after = s.state.log.slice(s.state.log.indexOf('answer 2') + 1);
    expect(after.slice(0, 4)).toEqual(['push 3', 'answer 3', 'push 4', 'push 5']);
    expectEachAppliedOnce(s.state, 800);
  });

  it('an answer that leaves rows of its batch pending lets the batch behind go: its refusal is not told or counted, and its rows go again', async () => {
    const s = await sequencedPortal((p) => {
      if (p.n === 1) return 'hold';
      if (p.n === 2) {
        // the first batch is answered for all but its last row; the portal then refuses the
        // second, whose first number is not the next it expects (409)
        const first = s.held.shift()!;
        s.answer({ ...first, mutations: first.mutations.slice(0, -1) }, 'apply');
      }
      return 'apply';
    });
    const { warnings, log } = uploadWarnings();
    const db = dbWithPending(400);
    engineFor(s.portal.url, db, { log }).start();
    await eventually(() => expect(pendingIn(db)).toBe(0), 15_000);
    expect(s.state.log.slice(0, 4)).toEqual(['push 1', 'push 2', 'answer 1', 'answer 2']);
    // the refusal of the batch let go is no failure of the counter's
    expect(warnings).toEqual([]);
    const tries = db.prepare('SELECT count(*) AS n FROM outbox WHERE attempts > 0').get() as { n: number };
    expect(tries.n).toBe(0);
    // the row left unanswered and the rows of the batch let go went again, and arrived once
    expect(pushes(s.portal).length).toBeGreaterThanOrEqual(3);
    expectEachAppliedOnce(s.state, 400);
  });

  it("a batch the portal took whose answer was lost (a proxy's 503): that failure stays told until the next try, the batch behind it is let go, and every record arrives once", async () => {
    const s = await sequencedPortal((p) => {
      if (p.n === 1) return 'hold';
      if (p.n === 2) {
        // the portal took the first batch, but its answer was lost on the way (a proxy's 503)
        s.answer(s.held.shift()!, 'apply', { status: 503, body: { error: 'unavailable', message: 'bad gateway on the way' } });
      }
      return 'apply';
    });
    const db = dbWithPending(400);
    const engine = engineFor(s.portal.url, db);
    engine.start();
    await eventually(() => expect(s.state.log).toContain('answer 2'), 5_000);
    // the second batch's 200 came after the 503: the status keeps the 503 until the next try (Retry-After 2 s)
    const states: string[] = [];
    for (let i = 0; i < 25; i++) {
      states.push(`${engine.status.state}:${engine.status.lastError?.code ?? '-'}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(new Set(states.slice(2))).toEqual(new Set(['degraded:unavailable']));
    await eventually(() => expect(pendingIn(db)).toBe(0), 15_000);
    expectEachAppliedOnce(s.state, 400);
  });
});
