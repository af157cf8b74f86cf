import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runAdmin, type AdminIo } from '../../main/admin/commands';
import { UNTIL_UNLOCKED } from '../../main/services/operators';
import { OPERATOR, openCounter, setupCounter, SUPERVISOR, type Counter } from '../store/harness';

const CLI = join(import.meta.dirname, '../../main/admin/cli.ts');
const ROOT = join(import.meta.dirname, '../..');
const MIN = 60_000;
/** fewer wrong PINs to reach the last lock (each costs a PIN hash) */
const FAST_LOCKS = { security: { maxPinAttempts: 3, lockMinutes: 5 } };

let c: Counter;
afterEach(() => c?.dispose());

interface Run {
  code: number;
  out: string[];
  err: string[];
}

async function admin(args: string[], env: Record<string, string> = {}, typed = ''): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: AdminIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env,
    readPin: () => Promise.resolve(typed),
    osUser: 'it-admin',
    clock: c.clock,
  };
  return { code: await runAdmin(args, io), out, err };
}

/** Three wrong PINs (the tests' security.maxPinAttempts) three times, with the timed locks waited out: locked until someone unlocks the account. */
async function lockForGood(loginId: string) {
  for (let i = 0; i < 9; i++) {
    await c.call('signIn', { loginId, pin: String(900000 + i) });
    if (i % 3 === 2) c.clock.advance(30 * MIN);
  }
  const row = c.backend.db.prepare('SELECT locked_until FROM operator WHERE login_id = ?').get(loginId) as {
    locked_until: string;
  };
  expect(row.locked_until).toBe(UNTIL_UNLOCKED);
}

const auditOf = (action: string) =>
  (
    c.backend.db.prepare('SELECT operator_id, detail FROM audit_log WHERE action = ?').all(action) as {
      operator_id: string | null;
      detail: string;
    }[]
  ).map((r) => ({ actor: r.operator_id, ...(JSON.parse(r.detail) as Record<string, unknown>) }));

describe('counter-admin: IT recovery when no supervisor can sign in', () => {
  it('unlock: the only supervisor, locked until unlocked, signs in again; the audit log says the IT command did it', async () => {
    c = await setupCounter({ provisioning: FAST_LOCKS, signedIn: 'nobody' });
    await lockForGood(SUPERVISOR.loginId);
    expect(await c.call('signIn', { loginId: SUPERVISOR.loginId, pin: SUPERVISOR.pin })).toMatchObject({
      ok: false,
      error: { code: 'ACCOUNT_LOCKED' },
    });

    // the counter app is still open: the command works beside it
    const run = await admin(['unlock', '--data', c.dataDir, '--login', 'SUPER1']);
    expect(run).toMatchObject({ code: 0, err: [] });
    expect(run.out.join('\n')).toContain('super1 is unlocked');
    await c.signIn(SUPERVISOR);
    expect(auditOf('operator.unlocked')).toEqual([
      expect.objectContaining({
        actor: null,
        loginId: 'super1',
        untilUnlocked: true,
        wasLocked: true,
        by: 'it_command',
        osUser: 'it-admin',
      }),
    ]);
  });

  it('reset-pin: the new PIN from COUNTER_ADMIN_PIN, the supervisor rule applied, and never from the command line', async () => {
    c = await setupCounter({ provisioning: FAST_LOCKS, signedIn: 'nobody' });
    await lockForGood(SUPERVISOR.loginId);
    const before = c.backend.db.prepare('SELECT pin_hash FROM operator WHERE login_id = ?').get('super1');

    expect(await admin(['reset-pin', '--data', c.dataDir, '--login', 'super1', '--pin', '97531864'])).toMatchObject({ code: 2 });
    expect(await admin(['reset-pin', '--data', c.dataDir, '--login', 'super1', '--pin=97531864'])).toMatchObject({ code: 2 });
    const short = await admin(['reset-pin', '--data', c.dataDir, '--login', 'super1'], { COUNTER_ADMIN_PIN: '1357' });
    expect(short.code).toBe(1);
    expect(short.err.join('\n')).toContain('6 to 8 digits');
    expect(c.backend.db.prepare('SELECT pin_hash FROM operator WHERE login_id = ?').get('super1')).toEqual(before);

    expect(await admin(['reset-pin', '--data', c.dataDir, '--login', 'super1'], { COUNTER_ADMIN_PIN: '97531864' })).toMatchObject(
      { code: 0 },
    );
    expect(await c.call('signIn', { loginId: SUPERVISOR.loginId, pin: SUPERVISOR.pin })).toMatchObject({
      ok: false,
      error: { code: 'BAD_CREDENTIALS' },
    });
    await c.signIn({ loginId: 'super1', pin: '97531864' });
    expect(auditOf('operator.pin_reset')).toEqual([
      expect.objectContaining({ actor: null, loginId: 'super1', by: 'it_command', osUser: 'it-admin' }),
    ]);
    const audit = JSON.stringify(c.backend.db.prepare('SELECT * FROM audit_log').all());
    expect(audit).not.toContain('97531864');
  });

  it('reset-pin asks for the PIN when no variable gives it', async () => {
    c = await setupCounter({ provisioning: FAST_LOCKS, withOperator: true, signedIn: 'nobody' });
    expect(await admin(['reset-pin', '--data', c.dataDir, '--login', 'oper1'], {}, '8642')).toMatchObject({ code: 0 });
    await c.signIn({ loginId: 'oper1', pin: '8642' });
  });

  it('list shows the accounts and their locks; misuse is told plainly', async () => {
    c = await setupCounter({ provisioning: FAST_LOCKS, withOperator: true, signedIn: 'nobody' });
    await lockForGood('oper1');
    const list = await admin(['list', '--data', c.dataDir]);
    expect(list.code).toBe(0);
    expect(list.out).toEqual(['super1\tsupervisor\tactive', 'oper1\toperator\tlocked until unlocked']);
    expect(await admin(['unlock', '--data', c.dataDir, '--login', 'nobody'])).toMatchObject({ code: 1 });
    expect(await admin(['unlock', '--data', join(c.dataDir, 'missing'), '--login', 'super1'])).toMatchObject({ code: 2 });
    expect(await admin(['unlock', '--data', c.dataDir])).toMatchObject({ code: 2 });
    expect(await admin(['format-disk', '--data', c.dataDir])).toMatchObject({ code: 2 });
  });

  it('opens an encrypted database with the key from COUNTER_DB_KEY, and says so when it has none', async () => {
    const key = 'ab'.repeat(32);
    c = await setupCounter({ provisioning: FAST_LOCKS, withOperator: true, signedIn: 'nobody', backend: { databaseKey: key } });
    await lockForGood('oper1');
    const without = await admin(['unlock', '--data', c.dataDir, '--login', 'oper1']);
    expect(without.code).toBe(1);
    expect(without.err.join('\n')).toContain('could not be opened');
    expect(await admin(['unlock', '--data', c.dataDir, '--login', 'oper1'], { COUNTER_DB_KEY: key })).toMatchObject({ code: 0 });
    await c.signIn(OPERATOR);
  });

  it('leaves a database in the clear in the clear, whatever COUNTER_DB_KEY says', async () => {
    c = await setupCounter({ provisioning: FAST_LOCKS, withOperator: true, signedIn: 'nobody' });
    expect(await admin(['unlock', '--data', c.dataDir, '--login', 'oper1'], { COUNTER_DB_KEY: 'cd'.repeat(32) })).toMatchObject({
      code: 0,
    });
    await c.close();
    expect(readFileSync(join(c.dataDir, 'counter.db')).subarray(0, 15).toString('latin1')).toBe('SQLite format 3');
  });

  it('runs as a command: the PIN typed on standard input, the counter closed', async () => {
    c = await setupCounter({ provisioning: FAST_LOCKS, signedIn: 'nobody' });
    await lockForGood(SUPERVISOR.loginId);
    await c.close();
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'reset-pin', '--data', c.dataDir, '--login', 'super1'], {
      cwd: ROOT,
      env: { ...process.env, COUNTER_ADMIN_PIN: undefined },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.stdin.end('24681357\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, output }).toMatchObject({ code: 0, output: expect.stringContaining('super1 has a new PIN') });
    c = await openCounter(c.dataDir, c.clock);
    await c.signIn({ loginId: 'super1', pin: '24681357' });
  });
});
