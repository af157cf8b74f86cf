/**
 * The lock-out ladder and unlocking an account: every wrong PIN here is hashed for real (scrypt),
 * hundreds of them, so these run in the slow tier (vitest.config.ts); the other sign-in tests
 * are in operators.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { UNTIL_UNLOCKED } from '../../main/services/operators';
import { OPERATOR, operatorRowOf, setupCounter, signInAs, SUPERVISOR, type Counter } from './harness';

let c: Counter;
afterEach(() => c?.dispose());

const MIN = 60_000;
const operatorRow = (loginId: string) => operatorRowOf(c, loginId);
const signIn = (who: { loginId: string; pin: string }) => signInAs(c, who);

const auditRows = (action: string) =>
  (
    c.backend.db.prepare('SELECT operator_id, detail FROM audit_log WHERE action = ? ORDER BY id').all(action) as {
      operator_id: string | null;
      detail: string;
    }[]
  ).map((r): Record<string, unknown> => ({ actor: r.operator_id, ...(JSON.parse(r.detail) as Record<string, unknown>) }));

async function wrongPins(loginId: string, n: number) {
  const results = [];
  for (let i = 0; i < n; i++) results.push(await signIn({ loginId, pin: String(9000 + i) }));
  return results.map((r) => (r.ok ? 'OK' : r.error.code));
}

describe('the lock-out ladder', () => {
  it('5 wrong PINs lock for 5 minutes, 5 more for 30, the next 5 until unlocked; waiting does not reset it', async () => {
    c = await setupCounter({ withOperator: true, signedIn: 'nobody' });
    const id = operatorRow('oper1').id;
    expect(await wrongPins('oper1', 5)).toEqual([...Array(4).fill('BAD_CREDENTIALS'), 'ACCOUNT_LOCKED']);
    const first = new Date(c.clock().getTime() + 5 * MIN).toISOString();
    expect(operatorRow('oper1')).toMatchObject({ locked_until: first, failed_attempts: 5 });

    // the first lock ends; the next 5 wrong PINs lock it for 30 minutes, not 5
    c.clock.advance(5 * MIN);
    expect(await wrongPins('oper1', 5)).toEqual([...Array(4).fill('BAD_CREDENTIALS'), 'ACCOUNT_LOCKED']);
    const second = new Date(c.clock().getTime() + 30 * MIN).toISOString();
    expect(operatorRow('oper1')).toMatchObject({ locked_until: second, failed_attempts: 10 });
    c.clock.advance(29 * MIN);
    expect(await signIn(OPERATOR)).toMatchObject({ ok: false, error: { code: 'ACCOUNT_LOCKED', details: { until: second } } });
    c.clock.advance(MIN);

    // the third lock has no end
    const third = await wrongPins('oper1', 5);
    expect(third).toEqual([...Array(4).fill('BAD_CREDENTIALS'), 'ACCOUNT_LOCKED']);
    expect(operatorRow('oper1')).toMatchObject({ locked_until: UNTIL_UNLOCKED, failed_attempts: 15 });
    c.clock.advance(7 * 24 * 60 * MIN);
    expect(await signIn(OPERATOR)).toMatchObject({
      ok: false,
      error: { code: 'ACCOUNT_LOCKED', details: { until: null, level: 3 } },
    });
    // a day of guessing, once a minute, gets no further: no PIN is even checked
    for (let i = 0; i < 60; i++) {
      c.clock.advance(MIN);
      expect(await signIn({ loginId: 'oper1', pin: String(1000 + i) })).toMatchObject({ error: { code: 'ACCOUNT_LOCKED' } });
    }

    await c.signIn(SUPERVISOR);
    const listed = (await c.ok('listOperators', {})).find((o) => o.id === id);
    expect(listed).toMatchObject({ lockedUntil: null, needsUnlock: true });
    expect(auditRows('operator.locked').map((r) => [r.actor, r.operatorId, r.level])).toEqual([
      [null, id, 1],
      [null, id, 2],
      [null, id, 3],
    ]);
    const failures = auditRows('operator.sign_in_failed').filter((r) => r.operatorId === id);
    expect(failures.filter((r) => r.reason === 'wrong_pin')).toHaveLength(15);
    expect(failures.filter((r) => r.reason === 'locked').length).toBeGreaterThanOrEqual(62);
  });

  it('a good sign-in takes the account back to the foot of the ladder', async () => {
    c = await setupCounter({ withOperator: true, signedIn: 'nobody' });
    await wrongPins('oper1', 5);
    c.clock.advance(5 * MIN);
    await c.signIn(OPERATOR);
    expect(operatorRow('oper1')).toMatchObject({ failed_attempts: 0, locked_until: null });
    await c.ok('signOut', {});
    await wrongPins('oper1', 5);
    expect(operatorRow('oper1')).toMatchObject({
      failed_attempts: 5,
      locked_until: new Date(c.clock().getTime() + 5 * MIN).toISOString(),
    });
  });

  it('the steps follow security.lockMinutes: the second lock lasts 6 times the first', async () => {
    c = await setupCounter({
      withOperator: true,
      signedIn: 'nobody',
      provisioning: { security: { maxPinAttempts: 3, lockMinutes: 2 } },
    });
    await wrongPins('oper1', 3);
    expect(operatorRow('oper1').locked_until).toBe(new Date(c.clock().getTime() + 2 * MIN).toISOString());
    c.clock.advance(2 * MIN);
    await wrongPins('oper1', 3);
    expect(operatorRow('oper1').locked_until).toBe(new Date(c.clock().getTime() + 12 * MIN).toISOString());
  });

  it('an unknown login, a wrong PIN and a locked account each leave an audit row, never the PIN', async () => {
    c = await setupCounter({
      withOperator: true,
      signedIn: 'nobody',
      provisioning: { security: { maxPinAttempts: 3, lockMinutes: 5 } },
    });
    const id = operatorRow('oper1').id;
    await signIn({ loginId: 'nobody1', pin: '5555' });
    await wrongPins('oper1', 4);
    expect(auditRows('operator.sign_in_failed')).toEqual([
      { actor: null, loginId: 'nobody1', reason: 'unknown_login' },
      { actor: null, loginId: 'oper1', operatorId: id, reason: 'wrong_pin', failures: 1 },
      { actor: null, loginId: 'oper1', operatorId: id, reason: 'wrong_pin', failures: 2 },
      { actor: null, loginId: 'oper1', operatorId: id, reason: 'wrong_pin', failures: 3 },
      { actor: null, loginId: 'oper1', operatorId: id, reason: 'locked', level: 1 },
    ]);
    expect(auditRows('operator.locked')).toEqual([
      { actor: null, operatorId: id, loginId: 'oper1', level: 1, until: new Date(c.clock().getTime() + 5 * MIN).toISOString() },
    ]);
    expect(JSON.stringify(c.backend.db.prepare('SELECT * FROM audit_log').all())).not.toMatch(/5555|900[0-3]/);
  });
});

describe('unlocking an account', () => {
  it('a supervisor unlocks a locked operator: the lock and the ladder are gone, an audit row says who', async () => {
    c = await setupCounter({ withOperator: true, signedIn: 'nobody' });
    const id = operatorRow('oper1').id;
    for (let i = 0; i < 3; i++) {
      await wrongPins('oper1', 5);
      c.clock.advance(30 * MIN);
    }
    expect(operatorRow('oper1').locked_until).toBe(UNTIL_UNLOCKED);
    await c.signIn(SUPERVISOR);
    const view = await c.ok('unlockOperator', { operatorId: id });
    expect(view).toMatchObject({ lockedUntil: null, needsUnlock: false });
    expect(operatorRow('oper1')).toMatchObject({ failed_attempts: 0, locked_until: null });
    const supervisorId = operatorRow('super1').id;
    expect(auditRows('operator.unlocked')).toEqual([
      {
        actor: supervisorId,
        operatorId: id,
        loginId: 'oper1',
        wasLocked: true,
        untilUnlocked: true,
        failures: 15,
        by: 'supervisor',
      },
    ]);
    await c.signIn(OPERATOR);
  });

  it('a supervisor locked out by someone guessing at their login is unlocked by another supervisor', async () => {
    c = await setupCounter();
    await c.ok('addOperator', { loginId: 'super2', name: 'Second Supervisor', role: 'supervisor', pin: '135790' });
    await c.ok('signOut', {});
    for (let i = 0; i < 3; i++) {
      await wrongPins('super1', 5);
      c.clock.advance(30 * MIN);
    }
    expect(await signIn(SUPERVISOR)).toMatchObject({ ok: false, error: { code: 'ACCOUNT_LOCKED', details: { until: null } } });
    await c.signIn({ loginId: 'super2', pin: '135790' });
    await c.ok('unlockOperator', { operatorId: operatorRow('super1').id });
    await c.signIn(SUPERVISOR);
  });

  it('an operator cannot unlock anyone', async () => {
    c = await setupCounter({ signedIn: 'operator' });
    expect(await c.err('unlockOperator', { operatorId: operatorRow('super1').id })).toMatchObject({ code: 'FORBIDDEN' });
  });
});
