import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SECURITY, OPERATOR, setupCounter, SUPERVISOR, type Counter } from './harness';

const MIN = 60_000;
/** two windows (or browsers) of the same counter */
const A = 'electron:1';
const B = 'electron:2';

let c: Counter;
afterEach(async () => {
  await c?.dispose();
});

const callAs = (clientId: string, method: string, payload: unknown = {}) => c.dispatch(method, payload, clientId);
const codeOf = async (clientId: string, method: string, payload: unknown = {}) => {
  const r = await callAs(clientId, method, payload);
  return r.ok ? 'ok' : r.error.code;
};
const signInAs = async (clientId: string, who: { loginId: string; pin: string }) => {
  const r = await callAs(clientId, 'signIn', { loginId: who.loginId, pin: who.pin });
  expect(r.ok, JSON.stringify(r)).toBe(true);
};
/** the session rows of the audit log written since the counter was set up */
const auditActions = () =>
  (
    c.backend.db
      .prepare("SELECT action FROM audit_log WHERE action LIKE 'session.%' AND id > ? ORDER BY id")
      .all(setUpAuditId) as { action: string }[]
  ).map((r) => r.action);
let setUpAuditId = 0;
/** A counter with the provisioning's default session timings (unless the test gives others). */
const setUp = async (options: Parameters<typeof setupCounter>[0] = {}) => {
  c = await setupCounter({ ...options, provisioning: { ...DEFAULT_SECURITY, ...options.provisioning } });
  setUpAuditId = (c.backend.db.prepare('SELECT coalesce(max(id), 0) AS n FROM audit_log').get() as { n: number }).n;
};

describe('a session per client', () => {
  it('a supervisor signed in at one client signs nobody in at another: it is NOT_SIGNED_IN and cannot call supervisor methods', async () => {
    await setUp({ withOperator: true, signedIn: 'nobody' });
    await signInAs(A, SUPERVISOR);
    expect(await codeOf(A, 'listOperators')).toBe('ok');

    for (const m of ['getQueue', 'callNext', 'listOperators', 'exportReconciliation', 'updatePrintingSettings']) {
      const payload = m === 'exportReconciliation' ? { from: '2021-04-10', to: '2021-04-10' } : {};
      expect(await codeOf(B, m, payload), m).toBe('NOT_SIGNED_IN');
    }
    expect((await callAs(B, 'getAppState')) as { value: { operator: unknown } }).toMatchObject({ value: { operator: null } });
    expect(await codeOf(B, 'addOperator', { loginId: 'intruder', name: 'Intruder', role: 'supervisor', pin: '97531864' })).toBe(
      'NOT_SIGNED_IN',
    );

    // an operator at the other client is an operator there only
    await signInAs(B, OPERATOR);
    expect(await codeOf(B, 'listOperators')).toBe('FORBIDDEN');
    expect(await codeOf(B, 'getQueue')).toBe('ok');
    expect(await codeOf(A, 'listOperators')).toBe('ok');
    expect(c.backend.appState(A).operator?.loginId).toBe(SUPERVISOR.loginId);
    expect(c.backend.appState(B).operator?.loginId).toBe(OPERATOR.loginId);

    // signing out ends the caller's session only
    expect(await codeOf(B, 'signOut')).toBe('ok');
    expect(await codeOf(B, 'getQueue')).toBe('NOT_SIGNED_IN');
    expect(await codeOf(A, 'listOperators')).toBe('ok');
  });

  it('a change is stamped with the operator of the client that made it', async () => {
    await setUp({ withOperator: true, signedIn: 'nobody' });
    await signInAs(A, SUPERVISOR);
    await signInAs(B, OPERATOR);
    const r = await callAs(B, 'cancelTicket', { ticketId: '0190a5b2-7c3d-7e4f-8a9b-000000000001', reason: 'x' });
    expect(r.ok).toBe(false);
    const policy = await callAs(A, 'updateQueuePolicy', c.backend.appState(A).policy);
    expect(policy.ok, JSON.stringify(policy)).toBe(true);
    const row = c.backend.db.prepare("SELECT operator_id AS id FROM audit_log WHERE action = 'policy.updated'").get() as {
      id: string;
    };
    expect(row.id).toBe(c.backend.operatorAt(A)!.id);
  });

  it('a sign-in that fails ends the session that was open at that client, and only there', async () => {
    await setUp({ withOperator: true, signedIn: 'nobody' });
    await signInAs(A, SUPERVISOR);
    await signInAs(B, SUPERVISOR);
    const bad = await callAs(A, 'signIn', { loginId: OPERATOR.loginId, pin: '0000' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_CREDENTIALS' } });
    expect(await codeOf(A, 'listOperators')).toBe('NOT_SIGNED_IN');
    expect(c.backend.appState(A).operator).toBeNull();
    expect(await codeOf(B, 'listOperators')).toBe('ok');
    expect(auditActions()).toContain('session.ended');
  });

  it('ends a client when its window is gone', async () => {
    await setUp({ signedIn: 'nobody' });
    await signInAs(A, SUPERVISOR);
    c.backend.endSession(A);
    expect(await codeOf(A, 'getQueue')).toBe('NOT_SIGNED_IN');
    expect(auditActions()).toEqual(['session.ended']);
  });

  it("disabling an operator ends that operator's sessions at once", async () => {
    await setUp({ withOperator: true, signedIn: 'nobody' });
    await signInAs(A, SUPERVISOR);
    await signInAs(B, OPERATOR);
    const id = c.backend.operatorAt(B)!.id;
    expect(await codeOf(A, 'setOperatorDisabled', { operatorId: id, disabled: true })).toBe('ok');
    expect(await codeOf(B, 'getQueue')).toBe('NOT_SIGNED_IN');
  });
});

describe('idle lock', () => {
  it('locks a session after idleLockMinutes without input; background reads do not keep it open, touchSession does', async () => {
    await setUp({ withOperator: true, signedIn: 'nobody' });
    await signInAs(A, OPERATOR);
    await signInAs(B, OPERATOR);
    // B: the page tells of input every few minutes
    for (let i = 0; i < 4; i++) {
      c.clock.advance(4 * MIN);
      expect(await codeOf(A, 'getQueue')).toBe(i < 2 ? 'ok' : 'SESSION_LOCKED');
      expect(await codeOf(A, 'getSyncStatus')).toBe(i < 2 ? 'ok' : 'SESSION_LOCKED');
      expect(await codeOf(B, 'touchSession')).toBe('ok');
    }
    const locked = await callAs(A, 'callNext');
    expect(locked).toMatchObject({
      ok: false,
      error: { code: 'SESSION_LOCKED', details: { loginId: OPERATOR.loginId, name: OPERATOR.name } },
    });
    expect(await codeOf(A, 'touchSession')).toBe('SESSION_LOCKED');
    expect(await codeOf(B, 'getQueue')).toBe('ok');
    // the page learns it from the app state too, with whose PIN reopens it
    expect(c.backend.appState(A)).toMatchObject({
      operator: { loginId: OPERATOR.loginId },
      session: { locked: true, idleLockMinutes: 10 },
    });
    expect(c.backend.appState(B).session?.locked).toBe(false);
    // recorded once, at the time it fell (10 minutes after the sign-in)
    const rows = c.backend.db.prepare("SELECT at FROM audit_log WHERE action = 'session.idle_locked'").all() as { at: string }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.at).toBe('2021-04-10T04:40:00.000Z');
  });

  it('input told after the idle time does not reopen the session; the lock is recorded once', async () => {
    await setUp({ signedIn: 'nobody' });
    await signInAs(A, SUPERVISOR);
    c.clock.advance(10 * MIN + 1_000);
    expect(await codeOf(A, 'touchSession')).toBe('SESSION_LOCKED');
    expect(await codeOf(A, 'touchSession')).toBe('SESSION_LOCKED');
    expect(await codeOf(A, 'getQueue')).toBe('SESSION_LOCKED');
    expect(auditActions()).toEqual(['session.idle_locked']);
  });

  it('a change counts as input', async () => {
    await setUp({ signedIn: 'nobody' });
    await signInAs(A, SUPERVISOR);
    c.clock.advance(4 * MIN);
    expect(await codeOf(A, 'updateQueuePolicy', c.backend.appState(A).policy)).toBe('ok');
    c.clock.advance(9 * MIN);
    expect(await codeOf(A, 'getQueue')).toBe('ok');
    c.clock.advance(2 * MIN);
    expect(await codeOf(A, 'getQueue')).toBe('SESSION_LOCKED');
  });

  it("the operator's PIN reopens it; a wrong PIN does not", async () => {
    await setUp({ withOperator: true, signedIn: 'nobody' });
    await signInAs(A, OPERATOR);
    c.clock.advance(11 * MIN);
    expect(await codeOf(A, 'getQueue')).toBe('SESSION_LOCKED');
    expect(await codeOf(A, 'unlockSession', { pin: '0000' })).toBe('BAD_CREDENTIALS');
    expect(await codeOf(A, 'getQueue')).toBe('SESSION_LOCKED');
    const r = await callAs(A, 'unlockSession', { pin: OPERATOR.pin });
    expect(r).toMatchObject({ ok: true, value: { loginId: OPERATOR.loginId } });
    expect(await codeOf(A, 'getQueue')).toBe('ok');
    expect(c.backend.appState(A).session?.locked).toBe(false);
    expect(auditActions()).toEqual(['session.idle_locked', 'session.unlocked']);
  });

  it('a PIN checked while the session ended (signed out meanwhile) reopens nothing', async () => {
    await setUp({ withOperator: true, signedIn: 'nobody' });
    await signInAs(A, OPERATOR);
    c.clock.advance(11 * MIN);
    const unlocking = callAs(A, 'unlockSession', { pin: OPERATOR.pin });
    expect(await codeOf(A, 'signOut')).toBe('ok');
    expect(await unlocking).toMatchObject({ ok: false, error: { code: 'NOT_SIGNED_IN' } });
    expect(await codeOf(A, 'getQueue')).toBe('NOT_SIGNED_IN');
  });

  it('another operator may sign in instead, which ends the first session', async () => {
    await setUp({ withOperator: true, signedIn: 'nobody' });
    await signInAs(A, OPERATOR);
    c.clock.advance(11 * MIN);
    expect(await codeOf(A, 'getQueue')).toBe('SESSION_LOCKED');
    await signInAs(A, SUPERVISOR);
    expect(c.backend.appState(A)).toMatchObject({ operator: { loginId: SUPERVISOR.loginId }, session: { locked: false } });
    expect(await codeOf(A, 'listOperators')).toBe('ok');
    // the first operator's PIN no longer reopens anything of theirs here
    expect(c.backend.operatorAt(A)?.loginId).toBe(SUPERVISOR.loginId);
    expect(auditActions()).toEqual(['session.idle_locked', 'session.ended']);
  });

  it('idle time follows the provisioning', async () => {
    await setUp({ signedIn: 'nobody', provisioning: { security: { idleLockMinutes: 2 } } as never });
    await signInAs(A, SUPERVISOR);
    c.clock.advance(2 * MIN + 1_000);
    expect(await codeOf(A, 'getQueue')).toBe('SESSION_LOCKED');
  });
});

describe('step-up for supervisor-only methods', () => {
  it('asks for the PIN again after stepUpMinutes; stepUp with the right PIN lets the action through', async () => {
    await setUp({ signedIn: 'nobody' });
    await signInAs(A, SUPERVISOR);
    expect(await codeOf(A, 'listOperators')).toBe('ok');
    c.clock.advance(4 * MIN);
    expect(await codeOf(A, 'touchSession')).toBe('ok');
    expect(await codeOf(A, 'listOperators')).toBe('ok');
    c.clock.advance(2 * MIN);
    expect(await codeOf(A, 'touchSession')).toBe('ok');
    expect(await codeOf(A, 'listOperators')).toBe('STEP_UP_REQUIRED');
    expect(await codeOf(A, 'closeDay', { day: '2021-04-09' })).toBe('STEP_UP_REQUIRED');
    // operator methods go on as before
    expect(await codeOf(A, 'getQueue')).toBe('ok');

    expect(await codeOf(A, 'stepUp', { pin: '0000' })).toBe('BAD_CREDENTIALS');
    expect(await codeOf(A, 'listOperators')).toBe('STEP_UP_REQUIRED');
    expect(await codeOf(A, 'stepUp', { pin: SUPERVISOR.pin })).toBe('ok');
    expect(await codeOf(A, 'listOperators')).toBe('ok');
    expect(auditActions()).toEqual(['session.step_up']);

    c.clock.advance(5 * MIN + 1_000);
    expect(await codeOf(A, 'touchSession')).toBe('ok');
    expect(await codeOf(A, 'listOperators')).toBe('STEP_UP_REQUIRED');
  });

  it('unlocking counts as giving the PIN', async () => {
    await setUp({ signedIn: 'nobody' });
    await signInAs(A, SUPERVISOR);
    c.clock.advance(11 * MIN);
    expect(await codeOf(A, 'listOperators')).toBe('SESSION_LOCKED');
    expect(await codeOf(A, 'unlockSession', { pin: SUPERVISOR.pin })).toBe('ok');
    expect(await codeOf(A, 'listOperators')).toBe('ok');
  });

  it('stepUp needs a session', async () => {
    await setUp({ signedIn: 'nobody' });
    expect(await codeOf(A, 'stepUp', { pin: SUPERVISOR.pin })).toBe('NOT_SIGNED_IN');
    expect(await codeOf(A, 'unlockSession', { pin: SUPERVISOR.pin })).toBe('NOT_SIGNED_IN');
  });
});
