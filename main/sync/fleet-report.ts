/**
 * The counter's report of itself for the portal's fleet view (POST /v1/reports): its version
 * and schema, what waits to upload and for how long, the last roster pull, whether its
 * printer's latest slip failed, and its clock against the portal's.
 *
 * Reports go after a pass that uploaded or changed what waits (at most once a minute) and
 * every 5 minutes otherwise, on the engine's clock. A report never delays or fails an
 * upload: it is sent on a connection of its own, after the pass, not awaited by the loop,
 * under its own deadline; a failed one is let go and tried again at the next turn.
 */
import type { FleetReport } from '../../common/sync-protocol';
import { centreDay } from '../../common/rules/centre-day';
import { MIGRATIONS } from '../store/migrations';
import { outboxCounts } from '../store/outbox';
import { printJobsOfDay } from '../store/print-jobs';
import type { Db } from '../store/database';
import { withDeadline, type Clock } from './clock';
import type { SyncLog } from './context';
import { PortalFailure, type PortalClient } from './portal-client';

/** With nothing changing, a report this often. */
export const REPORT_EVERY_MS = 5 * 60 * 1000;
/** After uploads (what waits has changed), a report at most this often. */
export const REPORT_AFTER_CHANGE_MS = 60 * 1000;
/** A report's own deadline: it never holds anything up, and a hung one is let go. */
export const REPORT_TIMEOUT_MS = 10_000;

export interface FleetReportSource {
  db: Db;
  deviceId: string;
  centreId: string;
  counterCode: string;
  timeZone: string;
  appVersion: string;
}

/** The report as of `at` (the counter's clock): read from the store, with what the engine knows. */
export function fleetReportOf(
  s: FleetReportSource,
  at: Date,
  known: { rosterPulledAt: string | null; clockOffsetMs: number | null },
): FleetReport {
  const counts = outboxCounts(s.db);
  const oldest = counts.pending > 0 && counts.oldestPendingAt ? Date.parse(counts.oldestPendingAt) : NaN;
  const day = centreDay(at, s.timeZone);
  // the day's jobs, newest first (test prints since the day began, UTC, roughly): the latest that finished
  const last = printJobsOfDay(s.db, day, `${day}T00:00:00`).find((j) => j.status === 'printed' || j.status === 'failed');
  return {
    deviceId: s.deviceId,
    centreId: s.centreId,
    counterCode: s.counterCode,
    appVersion: s.appVersion.slice(0, 40) || 'unknown',
    // the store is opened at the newest schema this app knows (a newer one is refused)
    schemaVersion: MIGRATIONS.length,
    pending: counts.pending,
    oldestPendingAgeSeconds: Number.isNaN(oldest) ? null : Math.max(0, Math.floor((at.getTime() - oldest) / 1000)),
    rosterPulledAt: known.rosterPulledAt,
    printer: !last
      ? { state: 'unknown', errorCode: null, failedAt: null }
      : last.status === 'failed'
        ? { state: 'failed', errorCode: last.error_code?.slice(0, 64) ?? null, failedAt: last.finished_at }
        : { state: 'ok', errorCode: null, failedAt: null },
    clockOffsetMs: known.clockOffsetMs,
    counterTime: at.toISOString(),
  };
}

export interface FleetReporterOptions extends FleetReportSource {
  client: PortalClient;
  clock: Clock;
  log: SyncLog;
  /** ends a report in flight when the engine stops */
  stopped: AbortSignal;
  /** what the engine knows now (the last roster pull) */
  known(): { rosterPulledAt: string | null };
  /** whether the portal is failing now (uploads fail, or the circuit is open): no report is tried */
  portalDown(): boolean;
  /** told after each report's answer (its Date header is a fresh clock sample) */
  onAnswered?(): void;
}

/** Decides when the counter reports, and sends each report without anyone waiting on it. */
export class FleetReporter {
  private lastAt: number | null = null;
  private lastPending: number | null = null;
  private sending: Promise<void> | null = null;
  private failures = 0;

  constructor(private readonly o: FleetReporterOptions) {}

  /** A report in flight, for tests and for the engine's stop. */
  get inFlight(): Promise<void> | null {
    return this.sending;
  }

  /** After each pass of the engine: sends a report when one is due (never waits for it). */
  afterPass(): void {
    if (this.sending || this.o.stopped.aborted || this.o.portalDown()) return;
    const now = this.o.clock.now();
    const pending = outboxCounts(this.o.db).pending;
    const since = this.lastAt === null ? Infinity : now - this.lastAt;
    const changed = pending !== this.lastPending;
    if (since < REPORT_EVERY_MS && !(changed && since >= REPORT_AFTER_CHANGE_MS)) return;
    // the next turn counts from this try, whether it goes through or not: a failing report is tried again later
    this.lastAt = now;
    const report = fleetReportOf(this.o, this.o.clock.date(), {
      rosterPulledAt: this.o.known().rosterPulledAt,
      clockOffsetMs: this.o.client.clockOffsetMs(),
    });
    this.sending = this.send(report).finally(() => {
      this.sending = null;
    });
  }

  private async send(report: FleetReport): Promise<void> {
    try {
      await withDeadline(
        this.o.clock,
        REPORT_TIMEOUT_MS,
        (signal) => this.o.client.report(report, AbortSignal.any([signal, this.o.stopped])),
        () => new PortalFailure('timeout', `the fleet report got no answer within ${REPORT_TIMEOUT_MS / 1000} s`),
      );
      this.lastPending = report.pending;
      if (this.failures > 0) this.o.log.info({ after: this.failures }, 'the fleet report went through again');
      this.failures = 0;
    } catch (e) {
      // said once, not at every try: the uploads say whether the portal answers
      if (this.failures++ === 0 && !this.o.stopped.aborted) {
        this.o.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'the fleet report was not taken; tried again later');
      }
    } finally {
      this.o.onAnswered?.();
    }
  }
}
