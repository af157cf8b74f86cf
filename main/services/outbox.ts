import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../store/database';

/** What the portal will be told. Names are stable: the sync API uses them. */
export type OutboxKind =
  | 'checkin.created'
  | 'walkin.registered'
  | 'ticket.called'
  | 'ticket.recalled'
  | 'ticket.no_show'
  | 'ticket.requeued'
  | 'ticket.cancelled'
  | 'vaccination.recorded';

/** Appends one outbox row. Call only inside the transaction that makes the change. */
export function appendOutbox(db: Db, kind: OutboxKind, recordId: string, payload: object, at: string): void {
  if (!db.inTransaction) throw new Error('outbox rows are written only inside the change transaction');
  db.prepare('INSERT INTO outbox (mutation_id, kind, record_id, payload, created_at) VALUES (?, ?, ?, ?, ?)').run(
    uuidv7(),
    kind,
    recordId,
    JSON.stringify(payload),
    at,
  );
}

export function pendingOutboxCount(db: Db): number {
  return (db.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'pending'").get() as { n: number }).n;
}
