import { v7 as uuidv7 } from 'uuid';
import type { PrintJobView, Provisioning } from '../../common/domain';
import { DomainError } from '../../common/result';
import { centreDay } from '../../common/rules/centre-day';
import type { Logger } from '../logging/logger';
import type { Clock } from '../services/context';
import { getTicketRow, recordEvent } from '../store/tickets';
import type { Db } from '../store/database';
import { relaxedImmediate } from '../store/relaxed-commit';
import {
  failedPrintJobsOfDay,
  failInterruptedPrintJobs,
  hasPrintedSlip,
  hasQueuedPrintJob,
  insertPrintJob,
  nextQueuedPrintJob,
  printJobsOfDay,
  setPrintJobStatus,
  type PrintJobKind,
  type PrintJobRow,
  type PrintJobStatus,
  type PrintJobWithToken,
} from '../store/print-jobs';
import { sampleSlip, slipDataFor } from './slip-data';
import { sharedSlipRenderer, type SlipRenderer } from './slip-renderer';
import { transportFor } from './transports';
import { PrintError, type SlipData, type SystemPrinter } from './types';

export interface PrintQueueDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  config: () => Provisioning | null;
  /** the operating system's printers; only the desktop app has them */
  system?: SystemPrinter | undefined;
  /** told every time a job changes */
  onJob: (job: PrintJobView) => void;
  /** draws and encodes slips off the main event loop; the process's slip worker by default */
  renderer?: SlipRenderer | undefined;
}

function describePrinter(p: Provisioning['printing']['printer']): string {
  switch (p.kind) {
    case 'none':
      return 'none';
    case 'system':
      return `system "${p.deviceName}"`;
    case 'escpos-tcp':
      return `ESC/POS tcp ${p.host}:${p.port}`;
    case 'escpos-device':
      return `ESC/POS device ${p.path}`;
    case 'escpos-cups':
      return `ESC/POS CUPS queue ${p.queue}`;
  }
}

/**
 * The slip printer's queue. A ticket is committed before its slip is asked for, and asking
 * only writes a job row and returns: printing runs here, one job at a time, and a printer
 * that is missing, jammed or hung fails the job (with a reason and a reprint), never the
 * check-in. Jobs are kept in SQLite so a failure survives a restart and can be reprinted.
 *
 * The job's writes do not wait for the disk (see `relaxedImmediate`): they survive the app
 * closing or crashing, and the next check-in's commit makes them durable; a power cut in
 * between may lose a job's last state, which costs at most a slip shown as not printed. So
 * a slip adds no disk flush to the main process's loop, only its small writes and reads;
 * the drawing and encoding run in the slip worker thread.
 */
export class PrintQueue {
  private running: Promise<void> | null = null;
  private stopped = false;
  private pendingSlips = new Map<string, SlipData>();
  readonly renderer: SlipRenderer;

  constructor(private readonly deps: PrintQueueDeps) {
    this.renderer = deps.renderer ?? sharedSlipRenderer(this.deps.log);
  }

  /** Jobs cut short by a crash or a closed app are failed at start, not printed again unasked. */
  recoverInterrupted(): void {
    failInterruptedPrintJobs(this.deps.db, this.deps.clock().toISOString());
  }

  /** Asks for the slip of a ticket: a first print, or a reprint (marked on the slip) when one printed before. */
  requestSlip(ticketId: string, operatorId: string): PrintJobView {
    const { db } = this.deps;
    const config = this.configured();
    const job = relaxedImmediate(db, () => {
      const ticket = getTicketRow(db, ticketId);
      if (!ticket) throw new DomainError('NOT_FOUND', `no ticket ${ticketId}`);
      const kind = hasPrintedSlip(db, ticketId) ? 'reprint' : 'print';
      const at = this.deps.clock().toISOString();
      if (kind === 'reprint') recordEvent(db, ticketId, 'slip_reprint', ticket.status, ticket.status, at, operatorId, {});
      return this.insertJob({ ticketId, token: ticket.token }, kind, config, operatorId, at);
    });
    this.deps.onJob(job);
    this.kick();
    return job;
  }

  requestTestPrint(operatorId: string, operatorCode: string): PrintJobView {
    const config = this.configured();
    const at = this.deps.clock().toISOString();
    const job = relaxedImmediate(this.deps.db, () => this.insertJob(null, 'test', config, operatorId, at));
    this.pendingSlips.set(job.id, sampleSlip(config, operatorCode, this.deps.clock()));
    this.deps.onJob(job);
    this.kick();
    return job;
  }

  /**
   * The day's print jobs, newest first. `failedOnly`: the slips still not printed, i.e. each
   * ticket whose latest job failed (a later print or reprint that worked clears it).
   */
  list(day: string, timeZone: string, options: { failedOnly: boolean }): PrintJobView[] {
    const { db } = this.deps;
    if (options.failedOnly) return failedPrintJobsOfDay(db, day).map(toView);
    const rows = printJobsOfDay(db, day, new Date(Date.parse(`${day}T00:00:00Z`) - 14 * 3600_000).toISOString());
    // test prints carry no ticket: keep those made on the centre's day
    return rows.filter((r) => r.ticket_id !== null || centreDay(new Date(r.requested_at), timeZone) === day).map(toView);
  }

  /**
   * Stops taking jobs (the app is closing). A job still printing is left as it is in the
   * store, and is reported as interrupted at the next start.
   */
  stop(): void {
    this.stopped = true;
  }

  /** Resolves when no job is queued or printing (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private configured(): Provisioning {
    const config = this.deps.config();
    if (!config) throw new DomainError('NOT_PROVISIONED', 'this counter is not set up yet');
    if (config.printing.printer.kind === 'none') {
      throw new DomainError('VALIDATION', 'no slip printer is set up', {
        fields: [{ field: 'printer', code: 'printer_not_configured' }],
      });
    }
    return config;
  }

  /** Writes a queued job (inside the caller's transaction) and returns it as the counter shows it. */
  private insertJob(
    ticket: { ticketId: string; token: string } | null,
    kind: PrintJobKind,
    config: Provisioning,
    operatorId: string,
    at: string,
  ): PrintJobView {
    const row: PrintJobWithToken = {
      id: uuidv7(),
      ticket_id: ticket?.ticketId ?? null,
      token: ticket?.token ?? null,
      kind,
      status: 'queued',
      printer: describePrinter(config.printing.printer),
      paper: config.printing.paper,
      error_code: null,
      error: null,
      requested_at: at,
      requested_by: operatorId,
      finished_at: null,
    };
    insertPrintJob(this.deps.db, {
      id: row.id,
      ticketId: row.ticket_id,
      kind,
      printer: row.printer,
      paper: row.paper,
      requestedAt: at,
      requestedBy: operatorId,
    });
    return toView(row);
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    // start after the current call has answered: the job's reads and the printer's socket run here
    this.running = new Promise<void>((next) => setImmediate(next))
      .then(() => this.drain())
      // nothing here may end the process: the counter goes on without slips
      .catch((e: unknown) => this.deps.log.error({ err: e }, 'print queue stopped on an error'))
      .finally(() => {
        this.running = null;
        // a job asked for while the last one finished is not left waiting
        if (!this.stopped && this.deps.db.open && hasQueuedPrintJob(this.deps.db)) this.kick();
      });
  }

  private async drain(): Promise<void> {
    while (!this.stopped && this.deps.db.open) {
      const next = nextQueuedPrintJob(this.deps.db);
      if (!next) return;
      await this.run(next);
      // the next job starts in a turn of its own: a finished job's write, its news and the
      // next job's reads and hand-over do not hold the main loop all at once
      await new Promise<void>((turn) => setImmediate(turn));
    }
  }

  private setStatus(job: PrintJobWithToken, status: PrintJobStatus, error?: { code: string; message: string }): void {
    if (this.stopped || !this.deps.db.open) return;
    const finished = status === 'printed' || status === 'failed' ? this.deps.clock().toISOString() : null;
    relaxedImmediate(this.deps.db, () => setPrintJobStatus(this.deps.db, job.id, status, error ?? null, finished));
    this.deps.onJob(
      toView({ ...job, status, error_code: error?.code ?? null, error: error?.message ?? null, finished_at: finished }),
    );
  }

  private async run(job: PrintJobWithToken): Promise<void> {
    try {
      this.setStatus(job, 'printing');
      const config = this.deps.config();
      if (!config || config.printing.printer.kind === 'none')
        throw new PrintError('printer_not_configured', 'no slip printer is set up');
      const slip = this.slipOf(job, config);
      await this.print(slip, config);
      this.setStatus(job, 'printed');
      this.deps.log.info({ jobId: job.id, ticketId: job.ticket_id, kind: job.kind }, 'slip printed');
    } catch (e) {
      const err = e instanceof PrintError ? e : new PrintError('driver_error', e instanceof Error ? e.message : String(e));
      this.deps.log.warn({ jobId: job.id, ticketId: job.ticket_id, code: err.code, err: err.message }, 'slip not printed');
      try {
        this.setStatus(job, 'failed', { code: err.code, message: err.message });
      } catch (storeError) {
        // the store refused even that (disk full?): stop here rather than loop on this job
        this.deps.log.error({ jobId: job.id, err: storeError }, 'could not record the failed slip');
        this.stop();
      }
    } finally {
      this.pendingSlips.delete(job.id);
    }
  }

  private slipOf(job: PrintJobRow, config: Provisioning): SlipData {
    if (job.kind === 'test') {
      const s = this.pendingSlips.get(job.id);
      if (!s) throw new PrintError('driver_error', 'test print lost');
      return s;
    }
    const ticket = getTicketRow(this.deps.db, job.ticket_id!);
    if (!ticket) throw new PrintError('driver_error', `no ticket ${job.ticket_id}`);
    return slipDataFor(this.deps.db, config, ticket, job.kind === 'reprint');
  }

  private async print(slip: SlipData, config: Provisioning): Promise<void> {
    const { printer, paper, timeoutSeconds, statusCheck } = config.printing;
    const timeoutMs = timeoutSeconds * 1000;
    if (printer.kind === 'none') throw new PrintError('printer_not_configured', 'no slip printer is set up');
    if (printer.kind === 'system') {
      if (!this.deps.system) {
        throw new PrintError('printer_unreachable', "the operating system's printers can be used only from the desktop app");
      }
      const html = await this.renderer.html(slip, paper);
      await withDeadline(this.deps.system.print(html, { deviceName: printer.deviceName, paper, timeoutMs }), timeoutMs + 2000);
      return;
    }
    const bytes = await this.renderer.escPos(slip, paper);
    await withDeadline(transportFor(printer).send(bytes, { timeoutMs, statusCheck }), timeoutMs + 2000);
  }
}

/** A last guard: whatever a driver does, the queue moves on. */
function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, bad) => {
    timer = setTimeout(
      () => bad(new PrintError('printer_timeout', `the printer did not finish within ${Math.round(ms / 1000)} s`)),
      ms,
    );
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

function toView(r: PrintJobWithToken): PrintJobView {
  return {
    id: r.id,
    ticketId: r.ticket_id,
    token: r.token,
    kind: r.kind,
    status: r.status,
    printer: r.printer,
    errorCode: r.error_code,
    error: r.error,
    requestedAt: r.requested_at,
    finishedAt: r.finished_at,
  };
}
