import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { v7 as uuidv7 } from 'uuid';
import { supervisorPinSchema, type OperatorView, type Role } from '../../common/domain';
import { DomainError } from '../../common/result';
import { insertAudit } from '../store/audit';
import type { Db } from '../store/database';
import {
  allOperators,
  clearSignInFailures,
  insertOperatorRow,
  lockOperator,
  operatorById,
  operatorByLogin,
  otherActiveSupervisorCount,
  setFailedAttempts,
  setOperatorDisabledRow,
  setOperatorPin,
  type OperatorRow,
} from '../store/operators';
import type { Clock, SignedInOperator } from './context';

export { operatorCount } from '../store/operators';

const scrypt = promisify(scryptCb) as (pin: string, salt: Buffer, keylen: number, opts: object) => Promise<Buffer>;
// N=2^15, r=8: ~50 ms here, in libuv's pool (never on the event loop). A 4-8 digit PIN is weak
// on its own; the lock-out after repeated failures is what protects it.
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export async function hashPin(pin: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(pin, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPin(pin: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, key] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await scrypt(pin, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return timingSafeEqual(actual, expected);
}

export const toOperatorView = (r: OperatorRow): OperatorView => ({
  id: r.id,
  loginId: r.login_id,
  name: r.name,
  role: r.role,
  disabled: r.disabled === 1,
  lockedUntil: r.locked_until,
});

/**
 * Supervisors choose PINs of 6-8 digits, operators 4-8: a supervisor's account can do
 * everything. Checked when a PIN is set; a supervisor whose PIN was set before the rule
 * still signs in with it.
 */
export function checkPinForRole(role: Role, pin: string): void {
  if (role === 'supervisor' && !supervisorPinSchema.safeParse(pin).success) {
    throw new DomainError('VALIDATION', 'a supervisor PIN is 6 to 8 digits', {
      fields: [{ field: 'pin', code: 'supervisor_pin_format' }],
    });
  }
}

const audit = (db: Db, at: string, operatorId: string | null, action: string, detail: Record<string, unknown>) =>
  insertAudit(db, { at, operatorId, action, detail });

export async function addOperator(
  db: Db,
  clock: Clock,
  by: string | null,
  input: { loginId: string; name: string; role: Role; pin: string },
): Promise<OperatorView> {
  checkPinForRole(input.role, input.pin);
  const pinHash = await hashPin(input.pin);
  return db.transaction(() => insertOperator(db, clock, by, input, pinHash)).immediate();
}

/** Inserts an operator whose PIN is already hashed. Call inside a transaction. */
export function insertOperator(
  db: Db,
  clock: Clock,
  by: string | null,
  input: { loginId: string; name: string; role: Role },
  pinHash: string,
): OperatorView {
  if (operatorByLogin(db, input.loginId)) {
    throw new DomainError('VALIDATION', `login ID ${input.loginId} is taken`, {
      fields: [{ field: 'loginId', code: 'login_id_taken' }],
    });
  }
  const at = clock().toISOString();
  const id = uuidv7();
  insertOperatorRow(db, { id, loginId: input.loginId, name: input.name, role: input.role, pinHash, at, by });
  audit(db, at, by, 'operator.added', { operatorId: id, loginId: input.loginId, role: input.role });
  return toOperatorView(operatorById(db, id)!);
}

export function listOperators(db: Db): OperatorView[] {
  return allOperators(db).map(toOperatorView);
}

function getOperator(db: Db, id: string): OperatorRow {
  const row = operatorById(db, id);
  if (!row) throw new DomainError('NOT_FOUND', `no operator ${id}`);
  return row;
}

export function setOperatorDisabled(db: Db, clock: Clock, by: SignedInOperator, id: string, disabled: boolean): OperatorView {
  return db
    .transaction(() => {
      const row = getOperator(db, id);
      if (row.id === by.id && disabled) {
        throw new DomainError('VALIDATION', 'you cannot disable yourself', {
          fields: [{ field: 'operatorId', code: 'cannot_disable_self' }],
        });
      }
      if (disabled && row.role === 'supervisor') {
        if (otherActiveSupervisorCount(db, id) === 0) {
          throw new DomainError('VALIDATION', 'the last supervisor cannot be disabled', {
            fields: [{ field: 'operatorId', code: 'last_supervisor' }],
          });
        }
      }
      const at = clock().toISOString();
      setOperatorDisabledRow(db, id, disabled, at);
      audit(db, at, by.id, disabled ? 'operator.disabled' : 'operator.enabled', { operatorId: id });
      return toOperatorView(getOperator(db, id));
    })
    .immediate();
}

export async function resetOperatorPin(
  db: Db,
  clock: Clock,
  by: SignedInOperator,
  id: string,
  pin: string,
): Promise<OperatorView> {
  checkPinForRole(getOperator(db, id).role, pin);
  const pinHash = await hashPin(pin);
  return db
    .transaction(() => {
      const at = clock().toISOString();
      // the role could have been checked against a row since replaced: check it again
      checkPinForRole(getOperator(db, id).role, pin);
      setOperatorPin(db, id, pinHash, at);
      audit(db, at, by.id, 'operator.pin_reset', { operatorId: id });
      return toOperatorView(getOperator(db, id));
    })
    .immediate();
}

/**
 * Signs an operator in. Wrong PINs count up; at `maxAttempts` the account is locked for
 * `lockMinutes`. An unknown ID, a wrong PIN and a disabled account with a wrong PIN get the
 * same answer.
 */
export async function signIn(
  db: Db,
  clock: Clock,
  policy: { maxPinAttempts: number; lockMinutes: number },
  loginId: string,
  pin: string,
): Promise<SignedInOperator> {
  const row = operatorByLogin(db, loginId);
  const now = clock();
  if (!row) {
    await hashPin(pin); // same time as a real check: do not reveal which IDs exist
    throw new DomainError('BAD_CREDENTIALS', 'wrong login ID or PIN');
  }
  // Locked accounts are told so without checking the PIN (no guessing while locked): the
  // operator needs to know to ask a supervisor. Disabled is said only to the right PIN.
  if (row.locked_until && Date.parse(row.locked_until) > now.getTime()) {
    throw new DomainError('ACCOUNT_LOCKED', `${loginId} is locked`, { details: { until: row.locked_until } });
  }
  const good = await verifyPin(pin, row.pin_hash);
  const at = clock().toISOString();
  if (good && row.disabled) throw new DomainError('ACCOUNT_DISABLED', `${loginId} is disabled`);
  if (!good) {
    const locked = db
      .transaction(() => {
        const attempts = operatorById(db, row.id)!.failed_attempts + 1;
        if (attempts >= policy.maxPinAttempts) {
          const until = new Date(clock().getTime() + policy.lockMinutes * 60_000).toISOString();
          lockOperator(db, row.id, until, at);
          audit(db, at, row.id, 'operator.locked', { until });
          return until;
        }
        setFailedAttempts(db, row.id, attempts, at);
        return null;
      })
      .immediate();
    if (locked) throw new DomainError('ACCOUNT_LOCKED', `${loginId} is locked`, { details: { until: locked } });
    throw new DomainError('BAD_CREDENTIALS', 'wrong login ID or PIN');
  }
  db.transaction(() => {
    clearSignInFailures(db, row.id, at);
    audit(db, at, row.id, 'operator.signed_in', {});
  }).immediate();
  return { id: row.id, loginId: row.login_id, name: row.name, role: row.role };
}

export function operatorViewOf(db: Db, id: string): OperatorView {
  return toOperatorView(getOperator(db, id));
}
