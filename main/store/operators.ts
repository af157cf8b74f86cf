/** The people who may sign in at this counter, with their PIN hashes and lock-out state. */
import type { Role } from '../../common/domain';
import type { Db } from './database';
import { preparedOnce } from './prepared';

export interface OperatorRow {
  id: string;
  login_id: string;
  name: string;
  role: Role;
  pin_hash: string;
  /** wrong PINs since the last good sign-in, unlock or new PIN (a lock does not reset them) */
  failed_attempts: number;
  /** end of the current or last lock; the end of time for a lock only an unlock ends */
  locked_until: string | null;
  disabled: number;
}

export interface NewOperatorRow {
  id: string;
  loginId: string;
  name: string;
  role: Role;
  pinHash: string;
  at: string;
  /** the supervisor who added them, or null for the first supervisor */
  by: string | null;
}

const statements = preparedOnce((db) => ({
  count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM operator'),
  byId: db.prepare<[string], OperatorRow>('SELECT * FROM operator WHERE id = ?'),
  byLogin: db.prepare<[string], OperatorRow>('SELECT * FROM operator WHERE login_id = ?'),
  all: db.prepare<[], OperatorRow>('SELECT * FROM operator ORDER BY role DESC, login_id'),
  otherActiveSupervisors: db.prepare<[string], { n: number }>(
    "SELECT count(*) AS n FROM operator WHERE role = 'supervisor' AND disabled = 0 AND id <> ?",
  ),
  insert: db.prepare<[string, string, string, Role, string, string, string | null, string]>(
    'INSERT INTO operator (id, login_id, name, role, pin_hash, created_at, created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  ),
  setDisabled: db.prepare<[number, string, string]>('UPDATE operator SET disabled = ?, updated_at = ? WHERE id = ?'),
  setPin: db.prepare<[string, string, string]>(
    'UPDATE operator SET pin_hash = ?, failed_attempts = 0, locked_until = NULL, updated_at = ? WHERE id = ?',
  ),
  setFailedAttempts: db.prepare<[number, string, string]>('UPDATE operator SET failed_attempts = ?, updated_at = ? WHERE id = ?'),
  lock: db.prepare<[number, string, string, string]>(
    'UPDATE operator SET failed_attempts = ?, locked_until = ?, updated_at = ? WHERE id = ?',
  ),
  clearFailures: db.prepare<[string, string]>(
    'UPDATE operator SET failed_attempts = 0, locked_until = NULL, updated_at = ? WHERE id = ?',
  ),
}));

export function operatorCount(db: Db): number {
  return statements(db).count.get()!.n;
}

export function operatorById(db: Db, id: string): OperatorRow | undefined {
  return statements(db).byId.get(id);
}

export function operatorByLogin(db: Db, loginId: string): OperatorRow | undefined {
  return statements(db).byLogin.get(loginId);
}

/** Supervisors first, then by login ID. */
export function allOperators(db: Db): OperatorRow[] {
  return statements(db).all.all();
}

/** Supervisors other than `id` who are not disabled. */
export function otherActiveSupervisorCount(db: Db, id: string): number {
  return statements(db).otherActiveSupervisors.get(id)!.n;
}

export function insertOperatorRow(db: Db, o: NewOperatorRow): void {
  statements(db).insert.run(o.id, o.loginId, o.name, o.role, o.pinHash, o.at, o.by, o.at);
}

export function setOperatorDisabledRow(db: Db, id: string, disabled: boolean, at: string): void {
  statements(db).setDisabled.run(disabled ? 1 : 0, at, id);
}

/** A new PIN: the failures counted so far and any lock (the lock-out ladder) go with the old one. */
export function setOperatorPin(db: Db, id: string, pinHash: string, at: string): void {
  statements(db).setPin.run(pinHash, at, id);
}

export function setFailedAttempts(db: Db, id: string, attempts: number, at: string): void {
  statements(db).setFailedAttempts.run(attempts, at, id);
}

/** Locks the account until `until` after `failures` wrong PINs (kept: the next lock is a longer one). */
export function lockOperator(db: Db, id: string, until: string, failures: number, at: string): void {
  statements(db).lock.run(failures, until, at, id);
}

/** A good sign-in, or an unlock: no failures counted, no lock (the lock-out ladder starts again). */
export function clearSignInFailures(db: Db, id: string, at: string): void {
  statements(db).clearFailures.run(at, id);
}
