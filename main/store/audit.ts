import type { Db } from './database';
import { preparedOnce } from './prepared';

/** One row of the local audit log: administration that is not portal data (sign-ins, operators, imports). */
export interface AuditEntry {
  at: string;
  /** the signed-in operator, or null for the counter itself (a roster pull) */
  operatorId: string | null;
  action: string;
  detail: Record<string, unknown>;
}

const statements = preparedOnce((db) => ({
  insert: db.prepare<[string, string | null, string, string]>(
    'INSERT INTO audit_log (at, operator_id, action, detail) VALUES (?, ?, ?, ?)',
  ),
}));

export function insertAudit(db: Db, entry: AuditEntry): void {
  statements(db).insert.run(entry.at, entry.operatorId, entry.action, JSON.stringify(entry.detail));
}
