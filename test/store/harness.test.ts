/**
 * The harness's shortcuts leave each test the counter it had before: a copy of one provisioned
 * template per set of options, with its own device ID and folder, and PIN hashes reused only
 * in the set-up (what a test does hashes for real).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pinHashCounts } from '../support/pin-hash-cache';
import { OPERATOR, setupCounter, SUPERVISOR, type Counter } from './harness';

const counters: Counter[] = [];
afterEach(async () => {
  for (const c of counters.splice(0)) await c.dispose();
});

async function setUp(...args: Parameters<typeof setupCounter>): Promise<Counter> {
  const c = await setupCounter(...args);
  counters.push(c);
  return c;
}

const actions = (c: Counter) =>
  (c.backend.db.prepare('SELECT action FROM audit_log ORDER BY id').all() as { action: string }[]).map((r) => r.action);

describe('the store harness', () => {
  it('gives each test its own folder and device ID, with the accounts and audit rows of a first run', async () => {
    const a = await setUp({ withOperator: true });
    const b = await setUp({ withOperator: true });
    expect(a.dataDir).not.toBe(b.dataDir);
    expect(a.backend.deviceId).not.toBe(b.backend.deviceId);
    for (const c of [a, b]) {
      expect(c.backend.signedIn).toMatchObject({ loginId: SUPERVISOR.loginId });
      expect((await c.ok('listOperators', {})).map((o) => o.loginId).sort()).toEqual(['oper1', 'super1']);
      // two accounts added and one sign-in of the supervisor, as first run and the set-up leave it
      expect(actions(c).filter((x) => x === 'operator.signed_in')).toHaveLength(1);
      expect(actions(c).filter((x) => x === 'operator.added')).toHaveLength(2);
    }
    // a change in one is not in the other
    await a.ok('setOperatorDisabled', {
      operatorId: (await a.ok('listOperators', {})).find((o) => o.loginId === 'oper1')!.id,
      disabled: true,
    });
    expect((await b.ok('listOperators', {})).find((o) => o.loginId === 'oper1')!.disabled).toBe(false);
  });

  it("reuses the set-up's PIN hashes in later set-ups, and hashes a test's own sign-ins for real", async () => {
    await setUp({ signedIn: 'operator' });
    const before = pinHashCounts();
    const c = await setUp({ signedIn: 'operator' });
    const afterSetUp = pinHashCounts();
    // the second set-up signs in the supervisor and the operator from memory
    expect(afterSetUp.computed).toBe(before.computed);
    expect(afterSetUp.reused).toBe(before.reused + 2);
    // the same sign-in made by the test itself is hashed again
    await c.signIn(OPERATOR);
    expect(pinHashCounts()).toEqual({ computed: afterSetUp.computed + 1, reused: afterSetUp.reused });
    expect(c.backend.signedIn).toMatchObject({ loginId: OPERATOR.loginId });
  });
});
