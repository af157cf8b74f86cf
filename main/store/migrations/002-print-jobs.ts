/**
 * 002: token slip print jobs. A device-local record (not portal data, so no outbox row): what
 * was printed, reprinted or failed, so the counter can show a failure and offer a reprint.
 */
export const sql = /* sql */ `
CREATE TABLE print_job (
  id TEXT PRIMARY KEY,
  ticket_id TEXT REFERENCES ticket (id),
  kind TEXT NOT NULL CHECK (kind IN ('print', 'reprint', 'test')),
  status TEXT NOT NULL CHECK (status IN ('queued', 'printing', 'printed', 'failed')),
  printer TEXT NOT NULL,
  paper TEXT NOT NULL,
  error_code TEXT,
  error TEXT,
  requested_at TEXT NOT NULL,
  requested_by TEXT NOT NULL REFERENCES operator (id),
  finished_at TEXT
) STRICT;
CREATE INDEX print_job_ticket ON print_job (ticket_id, requested_at);
CREATE INDEX print_job_status ON print_job (status, requested_at);
`;
