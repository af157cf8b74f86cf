import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../store/database';
import { insertOutbox, type OutboxKind } from '../store/outbox';

/** Appends one outbox row. Call only inside the transaction that makes the change. */
export function appendOutbox(db: Db, kind: OutboxKind, recordId: string, payload: object, at: string): number {
  if (!db.inTransaction) throw new Error('outbox rows are written only inside the change transaction');
  return insertOutbox(db, { mutationId: uuidv7(), kind, recordId, payload: JSON.stringify(payload), createdAt: at });
}
