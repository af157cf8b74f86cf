/**
 * 004: a supervisor can dismiss a record the portal rejected, with a reason, instead of
 * resending it (a test entry, a record the portal already has by other means). The row stays
 * rejected and in the reconciliation; it only leaves "needs attention".
 */
export const sql = /* sql */ `
ALTER TABLE outbox ADD COLUMN dismissed_at TEXT;
ALTER TABLE outbox ADD COLUMN dismissed_by TEXT REFERENCES operator (id);
ALTER TABLE outbox ADD COLUMN dismiss_reason TEXT;
`;
