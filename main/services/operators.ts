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
// on its own; the lock-out ladder after repeated failures is what protects it.
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
  lockedUntil: r.locked_until === UNTIL_UNLOCKED ? null : r.locked_until,
  needsUnlock: r.locked_until === UNTIL_UNLOCKED,
});

export interface SignInPolicy {
  /** wrong PINs in a row that lock the account */
  maxPinAttempts: number;
  /** the first lock; the second lasts SECOND_LOCK_FACTOR times as long */
  lockMinutes: number;
}

/**
 * The lock-out ladder. `failed_attempts` counts the wrong PINs since the account last signed
 * in (or was unlocked, or given a new PIN); waiting out a lock does not reset it. The first
 * `maxPinAttempts` wrong PINs lock the account for `lockMinutes` (5), as many more after that
 * lock ends lock it for SECOND_LOCK_FACTOR times as long (30), and the next as many lock it
 * until a supervisor unlocks it, or IT with the admin command (main/admin): so a supervisor
 * locked out by someone guessing at their login is unlocked by another supervisor or by IT.
 * At most LOCK_STEPS × maxPinAttempts PINs (15) are ever tried against an account between two
 * good sign-ins, where the old lock-out let about 1,440 a day through.
 */
export const LOCK_STEPS = 3;
export const SECOND_LOCK_FACTOR = 6;
/**
 * `locked_until` of an account locked until someone unlocks it: the end of time, so every
 * "locked while locked_until is ahead" check holds without knowing the ladder.
 */
export const UNTIL_UNLOCKED = '9999-12-31T23:59:59.999Z';

/** The step (1-3) a lock after `failures` wrong PINs is, or 0 when they lock nothing. */
export function lockStepOf(policy: SignInPolicy, failures: number): number {
  if (failures >= LOCK_STEPS * policy.maxPinAttempts) return LOCK_STEPS;
  return failures > 0 && failures % policy.maxPinAttempts === 0 ? failures / policy.maxPinAttempts : 0;
}

/** When the lock of `step` (1-3) ends, from `now`. */
export function lockEnd(policy: SignInPolicy, step: number, now: Date): string {
  if (step >= LOCK_STEPS) return UNTIL_UNLOCKED;
  const minutes = step === 1 ? policy.lockMinutes : policy.lockMinutes * SECOND_LOCK_FACTOR;
  return new Date(now.getTime() + minutes * 60_000).toISOString();
}

export function isLocked(row: Pick<OperatorRow, 'locked_until'>, now: Date): boolean {
  return row.locked_until !== null && Date.parse(row.locked_until) > now.getTime();
}

const stepOf = (policy: SignInPolicy, row: OperatorRow) =>
  Math.min(Math.floor(row.failed_attempts / policy.maxPinAttempts), LOCK_STEPS);

const lockedError = (policy: SignInPolicy, row: OperatorRow) =>
  new DomainError('ACCOUNT_LOCKED', `${row.login_id} is locked`, {
    details: { until: row.locked_until === UNTIL_UNLOCKED ? null : row.locked_until, level: stepOf(policy, row) },
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

/** Who unlocks an account: a signed-in supervisor, or IT with the admin command on the PC. */
export type Unlocker = { kind: 'supervisor'; operator: SignedInOperator } | { kind: 'it_command'; osUser: string };

/**
 * Unlocks an account (whatever step of the ladder it is on) and takes it back to the foot of
 * the ladder; the wrong PINs counted so far are forgotten. Unlocking an account that is not
 * locked does the same, harmlessly.
 */
export function unlockOperator(db: Db, clock: Clock, by: Unlocker, id: string): OperatorView {
  return db
    .transaction(() => {
      const row = getOperator(db, id);
      const at = clock().toISOString();
      clearSignInFailures(db, id, at);
      audit(db, at, by.kind === 'supervisor' ? by.operator.id : null, 'operator.unlocked', {
        operatorId: id,
        loginId: row.login_id,
        wasLocked: isLocked(row, clock()),
        untilUnlocked: row.locked_until === UNTIL_UNLOCKED,
        failures: row.failed_attempts,
        by: by.kind,
        ...(by.kind === 'it_command' ? { osUser: by.osUser } : {}),
      });
      return toOperatorView(getOperator(db, id));
    })
    .immediate();
}

/**
 * IT's recovery when no supervisor can sign in: a new PIN for an account, set with the admin
 * command on the PC (the role's PIN rule applies). The account is unlocked with it.
 */
export async function resetPinByItCommand(db: Db, clock: Clock, osUser: string, id: string, pin: string): Promise<OperatorView> {
  checkPinForRole(getOperator(db, id).role, pin);
  const pinHash = await hashPin(pin);
  return db
    .transaction(() => {
      const row = getOperator(db, id);
      checkPinForRole(row.role, pin);
      const at = clock().toISOString();
      setOperatorPin(db, id, pinHash, at);
      audit(db, at, null, 'operator.pin_reset', { operatorId: id, loginId: row.login_id, by: 'it_command', osUser });
      return toOperatorView(getOperator(db, id));
    })
    .immediate();
}

/**
 * Signs an operator in. Wrong PINs count up the lock-out ladder (see LOCK_STEPS). An
 * unknown ID, a wrong PIN and a disabled account with a wrong PIN get the same answer. Every
 * refusal is written to the audit log, and so is every lock, with its step of the ladder.
 */
export async function signIn(
  db: Db,
  clock: Clock,
  policy: SignInPolicy,
  loginId: string,
  pin: string,
): Promise<SignedInOperator> {
  const row = operatorByLogin(db, loginId);
  const failed = (reason: string, extra: Record<string, unknown> = {}) =>
    audit(db, clock().toISOString(), null, 'operator.sign_in_failed', {
      loginId,
      ...(row ? { operatorId: row.id } : {}),
      reason,
      ...extra,
    });
  if (!row) {
    await hashPin(pin); // same time as a real check: do not reveal which IDs exist
    failed('unknown_login');
    throw new DomainError('BAD_CREDENTIALS', 'wrong login ID or PIN');
  }
  // Locked accounts are told so without checking the PIN (no guessing while locked): the
  // operator needs to know to ask a supervisor. Disabled is said only to the right PIN.
  if (isLocked(row, clock())) {
    failed('locked', { level: stepOf(policy, row) });
    throw lockedError(policy, row);
  }
  const good = await verifyPin(pin, row.pin_hash);
  const outcome = db
    .transaction((): SignedInOperator | DomainError => {
      // read again: another attempt may have locked the account, or the PIN been changed, meanwhile
      const now = operatorById(db, row.id)!;
      const at = clock().toISOString();
      if (isLocked(now, clock())) {
        failed('locked', { level: stepOf(policy, now) });
        return lockedError(policy, now);
      }
      if (good && now.pin_hash === row.pin_hash) {
        if (now.disabled) {
          failed('disabled');
          return new DomainError('ACCOUNT_DISABLED', `${loginId} is disabled`);
        }
        clearSignInFailures(db, row.id, at);
        audit(db, at, row.id, 'operator.signed_in', {});
        return { id: row.id, loginId: row.login_id, name: row.name, role: row.role };
      }
      const failures = now.failed_attempts + 1;
      failed('wrong_pin', { failures });
      const level = lockStepOf(policy, failures);
      if (level === 0) {
        setFailedAttempts(db, row.id, failures, at);
        return new DomainError('BAD_CREDENTIALS', 'wrong login ID or PIN');
      }
      const until = lockEnd(policy, level, clock());
      lockOperator(db, row.id, until, failures, at);
      audit(db, at, null, 'operator.locked', {
        operatorId: row.id,
        loginId: row.login_id,
        level,
        until: until === UNTIL_UNLOCKED ? null : until,
      });
      return lockedError(policy, operatorById(db, row.id)!);
    })
    .immediate();
  if (outcome instanceof DomainError) throw outcome;
  return outcome;
}

export function operatorViewOf(db: Db, id: string): OperatorView {
  return toOperatorView(getOperator(db, id));
}
