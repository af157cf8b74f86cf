import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { provisioningSchema } from '../../common/domain';
import { hashPin, setOperatorDisabled, verifyPin } from '../../main/services/operators';
import {
  count,
  fakeClock,
  MORNING,
  OPERATOR,
  operatorRowOf,
  openCounter,
  PROVISIONING,
  setupCounter,
  signInAs,
  SUPERVISOR,
  tempDir,
  type Counter,
} from './harness';

let c: Counter;
afterEach(() => c?.dispose());

const MIN = 60_000;
const operatorRow = (loginId: string) => operatorRowOf(c, loginId);
const signIn = (who: { loginId: string; pin: string }) => signInAs(c, who);

describe('operators and sign-in', () => {
  it('stores a salted scrypt hash, never the PIN', async () => {
    c = await setupCounter({ withOperator: true });
    await c.ok('addOperator', { loginId: 'oper2', name: 'Anil Verma', role: 'operator', pin: OPERATOR.pin });
    const a = operatorRow('oper1').pin_hash;
    const b = operatorRow('oper2').pin_hash;
    expect(a).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toContain(OPERATOR.pin);
    expect(a).not.toBe(b); // same PIN, different salt
    expect(await verifyPin(OPERATOR.pin, a)).toBe(true);
    expect(await verifyPin('0000', a)).toBe(false);
    const audit = JSON.stringify(c.backend.db.prepare('SELECT * FROM audit_log').all());
    expect(audit).not.toContain(OPERATOR.pin);
  });

  it('signs in with the right PIN and is refused the same way for a wrong PIN or an unknown login', async () => {
    c = await setupCounter({ withOperator: true, signedIn: 'nobody' });
    const wrong = await signIn({ loginId: 'oper1', pin: '9999' });
    const unknown = await signIn({ loginId: 'nobody', pin: '9999' });
    expect(wrong).toEqual({ ok: false, error: { code: 'BAD_CREDENTIALS', message: 'wrong login ID or PIN' } });
    expect(unknown).toEqual(wrong);
    expect(await signIn(OPERATOR)).toMatchObject({ ok: true, value: { loginId: 'oper1', role: 'operator', disabled: false } });
    expect(c.backend.signedIn).toMatchObject({ loginId: 'oper1' });
  });

  it('login IDs are case-insensitive and unique', async () => {
    c = await setupCounter({ withOperator: true });
    expect(await c.err('addOperator', { loginId: 'OPER1', name: 'Someone Else', role: 'operator', pin: '4321' })).toMatchObject({
      code: 'VALIDATION',
      fields: [{ field: 'loginId', code: 'login_id_taken' }],
    });
    expect(await signIn({ loginId: 'Oper1', pin: OPERATOR.pin })).toMatchObject({ ok: true });
  });

  it('wrong PIN maxPinAttempts times locks the account for lockMinutes; then the right PIN works again', async () => {
    c = await setupCounter({
      withOperator: true,
      signedIn: 'nobody',
      provisioning: { security: { maxPinAttempts: 3, lockMinutes: 10 } },
    });
    expect(await signIn({ loginId: 'oper1', pin: '0000' })).toMatchObject({ ok: false, error: { code: 'BAD_CREDENTIALS' } });
    expect(await signIn({ loginId: 'oper1', pin: '0001' })).toMatchObject({ ok: false, error: { code: 'BAD_CREDENTIALS' } });
    const until = new Date(c.clock().getTime() + 10 * MIN).toISOString();
    expect(await signIn({ loginId: 'oper1', pin: '0002' })).toMatchObject({
      ok: false,
      error: { code: 'ACCOUNT_LOCKED', details: { until } },
    });
    expect(operatorRow('oper1').locked_until).toBe(until);

    // while locked, even the right PIN is refused
    c.clock.advance(10 * MIN - 1_000);
    expect(await signIn(OPERATOR)).toMatchObject({ ok: false, error: { code: 'ACCOUNT_LOCKED', details: { until } } });
    c.clock.advance(1_000);
    expect(await signIn(OPERATOR)).toMatchObject({ ok: true });
    expect(operatorRow('oper1')).toMatchObject({ failed_attempts: 0, locked_until: null });
  });

  it('a successful sign-in clears the count of wrong PINs', async () => {
    c = await setupCounter({
      withOperator: true,
      signedIn: 'nobody',
      provisioning: { security: { maxPinAttempts: 3, lockMinutes: 10 } },
    });
    await signIn({ loginId: 'oper1', pin: '0000' });
    await signIn({ loginId: 'oper1', pin: '0000' });
    expect(operatorRow('oper1').failed_attempts).toBe(2);
    await c.signIn(OPERATOR);
    expect(operatorRow('oper1').failed_attempts).toBe(0);
    expect(await signIn({ loginId: 'oper1', pin: '0000' })).toMatchObject({ ok: false, error: { code: 'BAD_CREDENTIALS' } });
  });

  it('a supervisor PIN reset unlocks the account at once, and the old PIN stops working', async () => {
    c = await setupCounter({ withOperator: true, provisioning: { security: { maxPinAttempts: 3, lockMinutes: 60 } } });
    const id = operatorRow('oper1').id;
    for (const pin of ['0000', '0001', '0002']) await signIn({ loginId: 'oper1', pin });
    expect(operatorRow('oper1').locked_until).not.toBeNull();
    await c.signIn(SUPERVISOR);
    const view = await c.ok('resetOperatorPin', { operatorId: id, pin: '86420' });
    expect(view.lockedUntil).toBeNull();
    expect(await signIn(OPERATOR)).toMatchObject({ ok: false, error: { code: 'BAD_CREDENTIALS' } });
    expect(await signIn({ loginId: 'oper1', pin: '86420' })).toMatchObject({ ok: true });
  });

  it('a disabled operator cannot sign in, whatever the PIN; enabled again they can', async () => {
    c = await setupCounter({ withOperator: true });
    const id = operatorRow('oper1').id;
    expect(await c.ok('setOperatorDisabled', { operatorId: id, disabled: true })).toMatchObject({ disabled: true });
    expect(await signIn(OPERATOR)).toMatchObject({ ok: false, error: { code: 'ACCOUNT_DISABLED' } });
    await c.signIn(SUPERVISOR);
    await c.ok('setOperatorDisabled', { operatorId: id, disabled: false });
    expect(await signIn(OPERATOR)).toMatchObject({ ok: true });
  });

  it('a supervisor cannot disable themself', async () => {
    c = await setupCounter();
    const me = c.backend.signedIn!;
    expect(await c.err('setOperatorDisabled', { operatorId: me.id, disabled: true })).toMatchObject({
      code: 'VALIDATION',
      fields: [{ field: 'operatorId', code: 'cannot_disable_self' }],
    });
  });

  it('the last active supervisor cannot be disabled', async () => {
    c = await setupCounter();
    await c.ok('addOperator', { loginId: 'super2', name: 'Second Supervisor', role: 'supervisor', pin: '112233' });
    const first = c.backend.signedIn!;
    const second = operatorRow('super2');
    // with two, one may go
    await c.ok('setOperatorDisabled', { operatorId: second.id, disabled: true });
    await c.ok('setOperatorDisabled', { operatorId: second.id, disabled: false });
    // the second disables the first...
    await c.signIn({ loginId: 'super2', pin: '112233' });
    await c.ok('setOperatorDisabled', { operatorId: first.id, disabled: true });
    // ...and now nobody, not even a session left over from the first, can disable the second
    expect(() => setOperatorDisabled(c.backend.db, c.clock, first, second.id, true)).toThrow(
      expect.objectContaining({ code: 'VALIDATION', extra: { fields: [{ field: 'operatorId', code: 'last_supervisor' }] } }),
    );
    expect(operatorRow('super2').disabled).toBe(0);
  });

  it('an operator cannot reach supervisor methods: FORBIDDEN, and nothing changes', async () => {
    c = await setupCounter({ signedIn: 'operator' });
    const sup = operatorRow('super1');
    expect(await c.err('listOperators', {})).toMatchObject({ code: 'FORBIDDEN' });
    expect(
      await c.err('addOperator', { loginId: 'sneaky', name: 'Sneaky Person', role: 'supervisor', pin: '1234' }),
    ).toMatchObject({ code: 'FORBIDDEN' });
    expect(await c.err('setOperatorDisabled', { operatorId: sup.id, disabled: true })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await c.err('resetOperatorPin', { operatorId: sup.id, pin: '1234' })).toMatchObject({ code: 'FORBIDDEN' });
    expect(
      await c.err('updateQueuePolicy', {
        mode: 'ratio',
        priorityPerWalkIn: 2,
        walkInMaxWaitMinutes: null,
        lateArrivalMinutes: null,
        provisionalPriority: false,
      }),
    ).toMatchObject({ code: 'FORBIDDEN' });
    expect(await c.err('importRoster', { fileName: 'r.csv', format: 'csv', content: '' })).toMatchObject({ code: 'FORBIDDEN' });
    expect(operatorRow('sneaky')).toBeUndefined();
    expect(operatorRow('super1')).toMatchObject({ disabled: 0, pin_hash: sup.pin_hash });
    expect(c.backend.provisioning!.queuePolicy.mode).toBe('strict');
    // but the counter work is theirs
    expect(await c.ok('getQueue', {})).toMatchObject({ day: '2021-04-10' });
  });

  it('NOT_PROVISIONED before set-up, NOT_SIGNED_IN after sign-out, ALREADY_PROVISIONED on a second set-up', async () => {
    c = await openCounter(tempDir(), fakeClock(MORNING));
    expect(await c.err('getQueue', {})).toMatchObject({ code: 'NOT_PROVISIONED' });
    expect(await signIn(SUPERVISOR)).toMatchObject({ ok: false, error: { code: 'NOT_PROVISIONED' } });
    expect(await c.ok('getAppState', {})).toMatchObject({ provisioned: false, today: null, operator: null });
    const provision = { provisioning: provisioningSchema.parse(PROVISIONING) as never, supervisor: { ...SUPERVISOR } };
    expect(await c.ok('provision', provision)).toMatchObject({
      provisioned: true,
      today: '2021-04-10',
      counter: { code: 'C1', tokenPrefix: 'A' },
    });
    expect(
      await c.err('provision', { ...provision, supervisor: { loginId: 'other', name: 'Other One', pin: '111111' } }),
    ).toMatchObject({
      code: 'ALREADY_PROVISIONED',
    });
    expect(await c.err('getQueue', {})).toMatchObject({ code: 'NOT_SIGNED_IN' });
    await c.signIn(SUPERVISOR);
    expect(await c.ok('getQueue', {})).toMatchObject({ day: '2021-04-10' });
    await c.ok('signOut', {});
    expect(await c.err('callNext', {})).toMatchObject({ code: 'NOT_SIGNED_IN' });
  });

  it('the set-up survives a restart: provisioning, accounts and device ID', async () => {
    c = await setupCounter();
    const deviceId = c.backend.deviceId;
    c.close();
    c = await openCounter(c.dataDir, c.clock);
    expect(c.backend.deviceId).toBe(deviceId);
    expect(c.backend.signedIn).toBeNull();
    await c.signIn(SUPERVISOR);
    expect(c.backend.appState()).toMatchObject({ provisioned: true, deviceId, centre: { id: 'TEST-CHC-01' } });
  });
});

describe('races at the door', () => {
  it('parallel wrong PINs meet the lock-out like typed ones: the right PIN sent with them does not get in', async () => {
    c = await setupCounter();
    await c.ok('signOut', {});
    const guesses = Array.from({ length: 12 }, (_, i) => String(1000 + i));
    const results = await Promise.all([...guesses, SUPERVISOR.pin].map((pin) => signIn({ loginId: SUPERVISOR.loginId, pin })));
    const codes = results.map((r) => (r.ok ? 'OK' : r.error.code));
    // 4 wrong PINs are told so, the 5th locks the account, everything after is refused unchecked
    expect(codes.filter((x) => x === 'BAD_CREDENTIALS')).toHaveLength(4);
    expect(codes.at(-1)).toBe('ACCOUNT_LOCKED');
    expect(codes).not.toContain('OK');
    expect(c.backend.signedIn).toBeNull();
  });

  it('two first-run submissions at once set the counter up once, with one supervisor', async () => {
    const fresh = await openCounter(tempDir(), fakeClock(MORNING));
    try {
      const submit = (loginId: string, code: string) =>
        fresh.call('provision', {
          provisioning: provisioningSchema.parse({ ...PROVISIONING, counter: { code, tokenPrefix: 'A' } }) as never,
          supervisor: { loginId, name: 'Some Body', pin: '246810' },
        });
      const [a, b] = await Promise.all([submit('first1', 'C1'), submit('second2', 'C2')]);
      expect([a.ok, b.ok].sort()).toEqual([false, true]);
      const loser = a.ok ? b : a;
      expect(loser.ok ? null : loser.error.code).toBe('ALREADY_PROVISIONED');
      expect(count(fresh, 'SELECT count(*) AS n FROM operator')).toBe(1);
      const winner = a.ok ? 'C1' : 'C2';
      expect(fresh.backend.provisioning?.counter.code).toBe(winner);
    } finally {
      fresh.dispose();
    }
  });
});

describe('a provisioning file deployed by IT', () => {
  it('first run keeps the file as deployed and only adds the supervisor', async () => {
    const dir = tempDir();
    const deployed = {
      ...PROVISIONING,
      counter: { code: 'K7', tokenPrefix: 'K' },
      vaccines: [{ code: 'CORBEVAX', name: 'Corbevax' }],
    };
    writeFileSync(join(dir, 'provisioning.json'), JSON.stringify(deployed));
    const fresh = await openCounter(dir, fakeClock(MORNING));
    try {
      const before = readFileSync(join(dir, 'provisioning.json'), 'utf8');
      const state = await fresh.ok('getAppState', {});
      // no one can sign in yet: the first-run screen is shown, with the deployed centre and counter
      expect(state).toMatchObject({ provisioned: false, counter: { code: 'K7', tokenPrefix: 'K' } });
      const after = await fresh.ok('provision', {
        provisioning: provisioningSchema.parse({ ...PROVISIONING, counter: { code: 'C1', tokenPrefix: 'A' } }) as never,
        supervisor: { ...SUPERVISOR },
      });
      expect(after).toMatchObject({ provisioned: true, counter: { code: 'K7' }, vaccines: [{ code: 'CORBEVAX' }] });
      expect(readFileSync(join(dir, 'provisioning.json'), 'utf8')).toBe(before);
      expect(await fresh.call('signIn', { loginId: SUPERVISOR.loginId, pin: SUPERVISOR.pin })).toMatchObject({ ok: true });
      expect(
        await fresh.err('provision', {
          provisioning: provisioningSchema.parse(PROVISIONING) as never,
          supervisor: { ...SUPERVISOR, loginId: 'other1' },
        }),
      ).toMatchObject({
        code: 'ALREADY_PROVISIONED',
      });
    } finally {
      fresh.dispose();
    }
  });
});

describe('supervisor PINs', () => {
  it('first run refuses a supervisor PIN of fewer than 6 digits, next to the PIN', async () => {
    c = await openCounter(tempDir(), fakeClock(MORNING));
    const provisioning = provisioningSchema.parse(PROVISIONING) as never;
    expect(await c.err('provision', { provisioning, supervisor: { ...SUPERVISOR, pin: '24680' } })).toMatchObject({
      code: 'VALIDATION',
      fields: [{ field: 'supervisor.pin', code: 'supervisor_pin_format' }],
    });
    expect(count(c, 'SELECT count(*) AS n FROM operator')).toBe(0);
    await c.ok('provision', { provisioning, supervisor: { ...SUPERVISOR, pin: '246802' } });
  });

  it('a supervisor is added with 6-8 digits; an operator still with 4', async () => {
    c = await setupCounter();
    expect(
      await c.err('addOperator', { loginId: 'super2', name: 'Second Supervisor', role: 'supervisor', pin: '1357' }),
    ).toMatchObject({
      code: 'VALIDATION',
      fields: [{ field: 'pin', code: 'supervisor_pin_format' }],
    });
    expect(operatorRow('super2')).toBeUndefined();
    await c.ok('addOperator', { loginId: 'super2', name: 'Second Supervisor', role: 'supervisor', pin: '13579246' });
    await c.ok('addOperator', { loginId: 'oper2', name: 'Anil Verma', role: 'operator', pin: '1357' });
  });

  it('a supervisor PIN is reset to 6-8 digits only; an operator PIN to 4', async () => {
    c = await setupCounter({ withOperator: true });
    const sup = operatorRow('super1');
    expect(await c.err('resetOperatorPin', { operatorId: sup.id, pin: '86420' })).toMatchObject({
      code: 'VALIDATION',
      fields: [{ field: 'pin', code: 'supervisor_pin_format' }],
    });
    expect(operatorRow('super1').pin_hash).toBe(sup.pin_hash);
    await c.ok('resetOperatorPin', { operatorId: sup.id, pin: '864200' });
    await c.ok('resetOperatorPin', { operatorId: operatorRow('oper1').id, pin: '8642' });
  });

  it('a supervisor whose 4-digit PIN was set before the rule still signs in with it', async () => {
    c = await setupCounter({ signedIn: 'nobody' });
    // as an older version stored it
    c.backend.db.prepare('UPDATE operator SET pin_hash = ? WHERE login_id = ?').run(await hashPin('2468'), 'super1');
    expect(await signIn({ loginId: 'super1', pin: '2468' })).toMatchObject({ ok: true, value: { role: 'supervisor' } });
  });
});
