import { v7 as uuidv7 } from 'uuid';
import type { MutationKind } from '../../common/sync-protocol';
import type { Db } from '../store/database';

/** What the portal will be told: the sync protocol's mutation kinds. */
export type OutboxKind = MutationKind;

/** An outbox row as stored. */
export interface OutboxEntry {
  seq: number;
  mutation_id: string;
  kind: OutboxKind;
  record_id: string;
  payload: string;
  created_at: string;
  state: 'pending' | 'acknowledged' | 'rejected';
  attempts: number;
  last_error: string | null;
  acknowledged_at: string | null;
  reject_code: string | null;
  portal_flags: string;
  duplicate_of: string;
  corrected_by: number | null;
  dismissed_at: string | null;
  dismissed_by: string | null;
  dismiss_reason: string | null;
}

/** Rejected rows neither resent nor dismissed: what "needs attention" lists (an SQL condition on outbox). */
export const NEEDS_ATTENTION_OF = (table: string): string =>
  `${table}.state = 'rejected' AND ${table}.corrected_by IS NULL AND ${table}.dismissed_at IS NULL`;
export const NEEDS_ATTENTION = NEEDS_ATTENTION_OF('outbox');

/** Appends one outbox row. Call only inside the transaction that makes the change. */
export function appendOutbox(db: Db, kind: OutboxKind, recordId: string, payload: object, at: string): number {
  if (!db.inTransaction) throw new Error('outbox rows are written only inside the change transaction');
  const { lastInsertRowid } = db
    .prepare('INSERT INTO outbox (mutation_id, kind, record_id, payload, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(uuidv7(), kind, recordId, JSON.stringify(payload), at);
  return Number(lastInsertRowid);
}

/** Whether anything waits to upload: one index lookup, where counting reads every pending row. */
export function hasPendingOutbox(db: Db): boolean {
  return db.prepare("SELECT 1 FROM outbox WHERE state = 'pending' LIMIT 1").get() !== undefined;
}

export function pendingOutboxCount(db: Db): number {
  return (db.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'pending'").get() as { n: number }).n;
}

/** What the status bar needs from the outbox: pending rows, the oldest one's age, rejected rows not yet resent. */
export function outboxCounts(db: Db): { pending: number; oldestPendingAt: string | null; needsAttention: number } {
  // the oldest pending row is the first by sequence (rows are numbered as they are made): an
  // index lookup, where min(created_at) would read every pending row
  const n = (db.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'pending'").get() as { n: number }).n;
  const first = db.prepare("SELECT created_at FROM outbox WHERE state = 'pending' ORDER BY seq LIMIT 1").get() as
    { created_at: string } | undefined;
  const p = { n, oldest: first?.created_at ?? null };
  const r = db.prepare(`SELECT count(*) AS n FROM outbox WHERE ${NEEDS_ATTENTION}`).get() as { n: number };
  return { pending: p.n, oldestPendingAt: p.oldest, needsAttention: r.n };
}
