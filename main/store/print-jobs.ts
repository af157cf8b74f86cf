import type { Db } from './database';
import { preparedOnce } from './prepared';

/**
 * Token slip print jobs (migration 002): device-local, never uploaded. A job is queued when a
 * slip is asked for, printing while the printer has it, then printed or failed.
 */
export type PrintJobKind = 'print' | 'reprint' | 'test';
export type PrintJobStatus = 'queued' | 'printing' | 'printed' | 'failed';

export interface PrintJobRow {
  id: string;
  ticket_id: string | null;
  kind: PrintJobKind;
  status: PrintJobStatus;
  printer: string;
  paper: string;
  error_code: string | null;
  error: string | null;
  requested_at: string;
  requested_by: string;
  finished_at: string | null;
}

/** A job with its ticket's token (null for a test print). */
export type PrintJobWithToken = PrintJobRow & { token: string | null };

export interface NewPrintJob {
  id: string;
  ticketId: string | null;
  kind: PrintJobKind;
  printer: string;
  paper: string;
  requestedAt: string;
  requestedBy: string;
}

const statements = preparedOnce((db) => ({
  insert: db.prepare<[string, string | null, PrintJobKind, string, string, string, string]>(
    `INSERT INTO print_job (id, ticket_id, kind, status, printer, paper, requested_at, requested_by)
     VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)`,
  ),
  setStatus: db.prepare<[PrintJobStatus, string | null, string | null, string | null, string]>(
    'UPDATE print_job SET status = ?, error_code = ?, error = ?, finished_at = ? WHERE id = ?',
  ),
  failInterrupted: db.prepare<[string]>(
    `UPDATE print_job SET status = 'failed', error_code = 'interrupted', error = 'the app closed before this slip printed', finished_at = ?
     WHERE status IN ('queued', 'printing')`,
  ),
  nextQueued: db.prepare<[], PrintJobWithToken>(
    `SELECT j.*, t.token FROM print_job j LEFT JOIN ticket t ON t.id = j.ticket_id
     WHERE j.status = 'queued' ORDER BY j.requested_at, j.id LIMIT 1`,
  ),
  anyQueued: db.prepare<[], 1>("SELECT 1 FROM print_job WHERE status = 'queued' LIMIT 1").pluck(),
  anyForTicket: db.prepare<[string], 1>('SELECT 1 FROM print_job WHERE ticket_id = ?').pluck(),
  printedForTicket: db
    .prepare<[string], 1>("SELECT 1 FROM print_job WHERE ticket_id = ? AND status = 'printed' AND kind IN ('print', 'reprint')")
    .pluck(),
  failedLatestOfDay: db.prepare<[string], PrintJobWithToken>(
    `SELECT j.*, t.token FROM print_job j JOIN ticket t ON t.id = j.ticket_id
     WHERE t.day = ? AND j.status = 'failed'
       AND j.id = (SELECT j2.id FROM print_job j2 WHERE j2.ticket_id = j.ticket_id ORDER BY j2.requested_at DESC, j2.id DESC LIMIT 1)
     ORDER BY j.requested_at DESC, j.id DESC`,
  ),
  ofDay: db.prepare<[string, string], PrintJobWithToken>(
    `SELECT j.*, t.token FROM print_job j LEFT JOIN ticket t ON t.id = j.ticket_id
     WHERE t.day = ? OR (j.ticket_id IS NULL AND j.requested_at >= ?)
     ORDER BY j.requested_at DESC, j.id DESC LIMIT 200`,
  ),
}));

export function insertPrintJob(db: Db, job: NewPrintJob): void {
  statements(db).insert.run(job.id, job.ticketId, job.kind, job.printer, job.paper, job.requestedAt, job.requestedBy);
}

/** `finishedAt` is set for printed and failed, null while queued or printing. */
export function setPrintJobStatus(
  db: Db,
  id: string,
  status: PrintJobStatus,
  error: { code: string; message: string } | null,
  finishedAt: string | null,
): void {
  statements(db).setStatus.run(status, error?.code ?? null, error?.message ?? null, finishedAt, id);
}

/** Jobs cut short by a crash or a closed app: failed as interrupted, not printed again unasked. */
export function failInterruptedPrintJobs(db: Db, at: string): void {
  statements(db).failInterrupted.run(at);
}

/** The oldest job waiting for the printer, with its ticket's token. */
export function nextQueuedPrintJob(db: Db): PrintJobWithToken | undefined {
  return statements(db).nextQueued.get();
}

export function hasQueuedPrintJob(db: Db): boolean {
  return statements(db).anyQueued.get() !== undefined;
}

/** Whether a slip was ever asked for this ticket (a repeated submission has its slip already). */
export function hasPrintJob(db: Db, ticketId: string): boolean {
  return statements(db).anyForTicket.get(ticketId) !== undefined;
}

/** Whether this ticket's slip printed before: the next one is a reprint. */
export function hasPrintedSlip(db: Db, ticketId: string): boolean {
  return statements(db).printedForTicket.get(ticketId) !== undefined;
}

/** Each ticket of the day whose latest job failed, newest first. */
export function failedPrintJobsOfDay(db: Db, day: string): PrintJobWithToken[] {
  return statements(db).failedLatestOfDay.all(day);
}

/**
 * The day's jobs, newest first, at most 200: those of the day's tickets, and test prints
 * (no ticket) asked for since `testsSince`.
 */
export function printJobsOfDay(db: Db, day: string, testsSince: string): PrintJobWithToken[] {
  return statements(db).ofDay.all(day, testsSince);
}
