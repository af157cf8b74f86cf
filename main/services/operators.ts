import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { v7 as uuidv7 } from 'uuid';
import type { OperatorView, Role } from '../../common/domain';
import { DomainError } from '../../common/result';
import type { Db } from '../store/database';
import type { Clock, SignedInOperator } from './context';

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

interface OperatorRow {
  id: string;
  login_id: string;
  name: string;
  role: Role;
  pin_hash: string;
  failed_attempts: number;
  locked_until: string | null;
  disabled: number;
}

export const toOperatorView = (r: OperatorRow): OperatorView => ({
  id: r.id,
  loginId: r.login_id,
  name: r.name,
  role: r.role,
  disabled: r.disabled === 1,
  lockedUntil: r.locked_until,
});

const audit = (db: Db, at: string, operatorId: string | null, action: string, detail: object) =>
  db
    .prepare('INSERT INTO audit_log (at, operator_id, action, detail) VALUES (?, ?, ?, ?)')
    .run(at, operatorId, action, JSON.stringify(detail));

export function operatorCount(db: Db): number {
  return (db.prepare('SELECT count(*) AS n FROM operator').get() as { n: number }).n;
}

export async function addOperator(
  db: Db,
  clock: Clock,
  by: string | null,
  input: { loginId: string; name: string; role: Role; pin: string },
): Promise<OperatorView> {
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
  if (db.prepare('SELECT 1 FROM operator WHERE login_id = ?').get(input.loginId)) {
    throw new DomainError('VALIDATION', `login ID ${input.loginId} is taken`, {
      fields: [{ field: 'loginId', code: 'login_id_taken' }],
    });
  }
  const at = clock().toISOString();
  const id = uuidv7();
  db.prepare(
    `INSERT INTO operator (id, login_id, name, role, pin_hash, created_at, created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(id, input.loginId, input.name, input.role, pinHash, at, by, at);
  audit(db, at, by, 'operator.added', { operatorId: id, loginId: input.loginId, role: input.role });
  return toOperatorView(db.prepare('SELECT * FROM operator WHERE id = ?').get(id) as OperatorRow);
}

export function listOperators(db: Db): OperatorView[] {
  return (db.prepare('SELECT * FROM operator ORDER BY role DESC, login_id').all() as OperatorRow[]).map(toOperatorView);
}

function getOperator(db: Db, id: string): OperatorRow {
  const row = db.prepare('SELECT * FROM operator WHERE id = ?').get(id) as OperatorRow | undefined;
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
        const others = db
          .prepare("SELECT count(*) AS n FROM operator WHERE role = 'supervisor' AND disabled = 0 AND id <> ?")
          .get(id) as { n: number };
        if (others.n === 0) {
          throw new DomainError('VALIDATION', 'the last supervisor cannot be disabled', {
            fields: [{ field: 'operatorId', code: 'last_supervisor' }],
          });
        }
      }
      const at = clock().toISOString();
      db.prepare('UPDATE operator SET disabled = ?, updated_at = ? WHERE id = ?').run(disabled ? 1 : 0, at, id);
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
  getOperator(db, id);
  const pinHash = await hashPin(pin);
  return db
    .transaction(() => {
      const at = clock().toISOString();
      db.prepare('UPDATE operator SET pin_hash = ?, failed_attempts = 0, locked_until = NULL, updated_at = ? WHERE id = ?').run(
        pinHash,
        at,
        id,
      );
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
  const row = db.prepare('SELECT * FROM operator WHERE login_id = ?').get(loginId) as OperatorRow | undefined;
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
        const cur = db.prepare('SELECT failed_attempts FROM operator WHERE id = ?').get(row.id) as { failed_attempts: number };
        const attempts = cur.failed_attempts + 1;
        if (attempts >= policy.maxPinAttempts) {
          const until = new Date(clock().getTime() + policy.lockMinutes * 60_000).toISOString();
          db.prepare('UPDATE operator SET failed_attempts = 0, locked_until = ?, updated_at = ? WHERE id = ?').run(
            until,
            at,
            row.id,
          );
          audit(db, at, row.id, 'operator.locked', { until });
          return until;
        }
        db.prepare('UPDATE operator SET failed_attempts = ?, updated_at = ? WHERE id = ?').run(attempts, at, row.id);
        return null;
      })
      .immediate();
    if (locked) throw new DomainError('ACCOUNT_LOCKED', `${loginId} is locked`, { details: { until: locked } });
    throw new DomainError('BAD_CREDENTIALS', 'wrong login ID or PIN');
  }
  db.transaction(() => {
    db.prepare('UPDATE operator SET failed_attempts = 0, locked_until = NULL, updated_at = ? WHERE id = ?').run(at, row.id);
    audit(db, at, row.id, 'operator.signed_in', {});
  }).immediate();
  return { id: row.id, loginId: row.login_id, name: row.name, role: row.role };
}

export function operatorViewOf(db: Db, id: string): OperatorView {
  return toOperatorView(getOperator(db, id));
}
