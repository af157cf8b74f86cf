import { EventEmitter } from 'node:events';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import type { CounterEvent, MethodName, ParsedRequestOf, ResponseOf } from '../common/contract';
import { UNKNOWN_SYNC_STATUS, type AppStateView, type Provisioning, type SyncStatusView } from '../common/domain';
import { DomainError } from '../common/result';
import { centreDay } from '../common/rules/centre-day';
import { createLogger, type Logger } from './logging/logger';
import { checkpointPassive, openDatabase, setAutoCheckpointPages, type Db } from './store/database';
import { checkIn, checkInProvisional } from './services/check-in';
import type { Clock, ServiceContext, SignedInOperator } from './services/context';
import * as operators from './services/operators';
import { insertAudit } from './store/audit';
import { getMeta, setMeta } from './store/meta';
import { outboxCounts } from './store/outbox';
import { hasPrintJob } from './store/print-jobs';
import { settledOutboxHighWater, ticketsSettledAfter } from './store/tickets';
import { loadProvisioning, saveProvisioning } from './services/provisioning';
import * as queue from './services/queue';
import { cleanRosters, importRoster, rosterInfo } from './services/roster';
import { refreshSearchSoon, searchRoster, warmSearch } from './services/search';
import { dismissRecord, listNeedsAttention, reconciliation, reconciliationCsv, resendRecord } from './services/sync-records';
import { SyncHost, type SyncWorkerFile } from './sync/host';
import type { EngineTuning } from './sync/messages';
import { previewWalkIn, registerWalkIn } from './services/walk-ins';
import { PrintQueue } from './printing/print-queue';
import type { SystemPrinter } from './printing/types';

/**
 * Each check-in or walk-in adds about 20 pages to the write-ahead log. SQLite copies the log
 * back into the file in the commit that takes it past 1,000 pages, so one operator action in
 * 40 or 50 waited for that copy and its fsync. The counter copies it back itself once nothing
 * has changed for a moment; a commit does it only past this cap (16 MB).
 */
const WAL_CAP_PAGES = 4000;
/** Quiet time after a change before the counter copies the write-ahead log back. */
const CHECKPOINT_IDLE_MS = 500;

export interface BackendOptions {
  /** folder holding counter.db and provisioning.json */
  dataDir: string;
  clock?: Clock;
  log?: Logger;
  /** better_sqlite3.node for the running runtime, when it is not the default build */
  nativeBinding?: string | undefined;
  /** the key the database file is encrypted with (none: an unencrypted file) */
  databaseKey?: string | undefined;
  /** the operating system's printers (the desktop app gives Electron's) */
  systemPrinter?: SystemPrinter | undefined;
  /** the sync worker's entry; without it the counter keeps its records in the outbox and does not upload */
  syncWorker?: SyncWorkerFile | undefined;
  /** backoff and circuit-breaker timings (tests and benchmarks shorten them) */
  syncTuning?: Partial<EngineTuning> | undefined;
}

/** One implementation per contract method, given the already-validated request. */
export type Handlers = {
  [M in MethodName]: (request: ParsedRequestOf<M>) => Promise<ResponseOf<M>> | ResponseOf<M>;
};

/**
 * The counter's main-process core: owns the SQLite store, the provisioning and who is signed
 * in. Imports nothing from Electron, so it runs the same under Electron's main process, the
 * web bridge and the tests.
 */
export class CounterBackend {
  readonly events = new EventEmitter<{ event: [CounterEvent] }>();
  readonly handlers: Handlers;
  readonly printQueue: PrintQueue;
  private session: SignedInOperator | null = null;
  private importing = false;
  private signInChain: Promise<unknown> = Promise.resolve();
  private syncHost: SyncHost | null = null;
  private closed = false;
  private checkpointTimer: NodeJS.Timeout | null = null;
  /** the highest outbox row the portal had answered when the page last heard of upload marks */
  private settledUpTo = 0;

  private constructor(
    readonly db: Db,
    readonly provisioningFile: string,
    private config: Provisioning | null,
    readonly deviceId: string,
    readonly clock: Clock,
    readonly log: Logger,
    private readonly systemPrinter: SystemPrinter | undefined,
    private readonly options: BackendOptions,
  ) {
    this.handlers = this.makeHandlers();
    // every confirmed change wakes the sync worker, which uploads it unless it is backing off
    this.events.on('event', (e) => {
      // (not for the sync worker's own news: acknowledgements and pulled rosters add no outbox rows)
      if (e.type === 'changed' && e.method !== 'syncNow' && e.method !== 'importRoster') this.syncHost?.nudge();
      if (e.type === 'changed') this.checkpointWhenQuiet();
    });
    this.printQueue = new PrintQueue({
      db,
      clock,
      log,
      config: () => this.config,
      system: systemPrinter,
      onJob: (job) => this.events.emit('event', { type: 'print', job }),
    });
    this.printQueue.recoverInterrupted();
  }

  static async open(options: BackendOptions): Promise<CounterBackend> {
    // the data folder is the counter's OS user's alone: another user of the PC lists nothing in it
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    chmodSync(options.dataDir, 0o700);
    const log = options.log ?? createLogger();
    const provisioningFile = join(options.dataDir, 'provisioning.json');
    const config = loadProvisioning(provisioningFile, (problems) =>
      log.warn({ problems }, 'the saved printer is one slips may no longer go to: the counter starts with no printer set'),
    );
    const db = openDatabase(join(options.dataDir, 'counter.db'), {
      nativeBinding: options.nativeBinding,
      key: options.databaseKey,
    });
    setAutoCheckpointPages(db, WAL_CAP_PAGES);
    const deviceId = ensureDeviceId(db);
    const clock = options.clock ?? (() => new Date());
    const today = config ? centreDay(clock(), config.centre.timeZone) : null;
    await cleanRosters(db, today);
    if (today) warmSearch(db, today);
    const backend = new CounterBackend(db, provisioningFile, config, deviceId, clock, log, options.systemPrinter, options);
    backend.startSync();
    return backend;
  }

  /** Closes the store at once; the promise settles when the sync worker has stopped too. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    if (this.checkpointTimer) clearTimeout(this.checkpointTimer);
    this.printQueue.stop();
    this.events.removeAllListeners();
    this.db.close();
    return this.syncHost?.stop() ?? Promise.resolve();
  }

  /** Copies the write-ahead log back into the file once no change has come for a moment (off the operator's actions). */
  private checkpointWhenQuiet(): void {
    if (this.checkpointTimer) clearTimeout(this.checkpointTimer);
    this.checkpointTimer = setTimeout(() => {
      this.checkpointTimer = null;
      if (this.closed) return;
      try {
        checkpointPassive(this.db);
      } catch (e) {
        // a commit past the cap copies it back instead
        this.log.warn({ err: e }, 'could not copy the write-ahead log back');
      }
    }, CHECKPOINT_IDLE_MS);
    this.checkpointTimer.unref();
  }

  /** The sync worker's handle (tests kill it to prove nothing is lost). */
  get sync(): SyncHost | null {
    return this.syncHost;
  }

  /** Starts the sync worker when the counter is set up with a portal and a worker entry was given. */
  private startSync(): void {
    const c = this.config;
    if (this.syncHost || !c?.portal || !this.options.syncWorker || !this.setUp()) return;
    this.settledUpTo = settledOutboxHighWater(this.db);
    this.syncHost = new SyncHost({
      ...this.options.syncWorker,
      setup: {
        dbFile: this.db.name,
        nativeBinding: this.options.nativeBinding,
        databaseKey: this.options.databaseKey,
        deviceId: this.deviceId,
        provisioning: c,
        tuning: this.options.syncTuning,
      },
      log: this.log,
      // the worker reports several times a batch; the host passes on at most one update every
      // 100 ms (and a change of state, or "all uploaded", at once)
      onUpdate: ({ outboxChanged }) => {
        // the worker may still report while the counter closes
        if (this.closed) return;
        this.events.emit('event', { type: 'status', sync: this.syncStatus() });
        if (outboxChanged) {
          this.emitUploads();
          this.events.emit('event', { type: 'changed', method: 'syncNow' });
        }
      },
      onRosterChanged: (day) => {
        if (this.closed) return;
        // tomorrow's roster changing leaves today's search alone
        if (this.today() === day) refreshSearchSoon(this.db, day);
        this.events.emit('event', { type: 'changed', method: 'importRoster' });
      },
    });
    this.syncHost.start();
  }

  /** The upload marks that moved since the last look (the tickets whose rows the portal answered). */
  private emitUploads(): void {
    const { ticketIds, upTo } = ticketsSettledAfter(this.db, this.settledUpTo);
    this.settledUpTo = upTo;
    if (ticketIds.length > 0)
      this.events.emit('event', {
        type: 'uploads',
        uploads: queue.uploadStates(
          this.db,
          ticketIds.map((id) => ({ id })),
        ),
      });
  }

  /** Whether the records have reached the portal: the outbox's counts with the worker's view of the portal. */
  syncStatus(): SyncStatusView {
    const counts = outboxCounts(this.db);
    const engine = this.syncHost?.status;
    if (!this.config?.portal || !engine) {
      return { ...UNKNOWN_SYNC_STATUS, ...counts };
    }
    return { ...engine, ...counts };
  }

  get provisioning(): Provisioning | null {
    return this.config;
  }

  get signedIn(): SignedInOperator | null {
    return this.session;
  }

  today(): string | null {
    return this.config ? centreDay(this.clock(), this.config.centre.timeZone) : null;
  }

  /** The context of a signed-in call; the dispatcher has already checked access. */
  context(): ServiceContext {
    if (!this.config) throw new DomainError('NOT_PROVISIONED', 'this counter is not set up yet');
    if (!this.session) throw new DomainError('NOT_SIGNED_IN', 'sign in first');
    return {
      db: this.db,
      clock: this.clock,
      deviceId: this.deviceId,
      config: this.config,
      operator: this.session,
      log: this.log,
    };
  }

  appState(): AppStateView {
    const c = this.config;
    const today = this.today();
    const sync = this.syncStatus();
    return {
      provisioned: this.setUp(),
      today,
      centre: c ? { id: c.centre.id, name: c.centre.name, nameHi: c.centre.nameHi ?? null, timeZone: c.centre.timeZone } : null,
      counter: c ? { code: c.counter.code, tokenPrefix: c.counter.tokenPrefix } : null,
      deviceId: this.deviceId,
      operator: this.session ? operators.operatorViewOf(this.db, this.session.id) : null,
      roster: today ? rosterInfo(this.db, today) : null,
      outbox: { pending: sync.pending },
      sync,
      vaccines: c?.vaccines ?? [],
      policy: c?.queuePolicy ?? null,
      printing: c?.printing ?? null,
    };
  }

  /**
   * First run: writes the provisioning file and creates the first supervisor, once. The PIN
   * is hashed first; the check, the supervisor and the file then happen with nothing in
   * between (no await), so two first-run submissions cannot both succeed, and the supervisor
   * is committed only if the file was written.
   */
  async provision(req: ParsedRequestOf<'provision'>): Promise<AppStateView> {
    const refuse = () => new DomainError('ALREADY_PROVISIONED', 'this counter is already set up');
    if (this.setUp()) throw refuse();
    const pinHash = await operators.hashPin(req.supervisor.pin);
    // A provisioning file deployed by hospital IT is kept as it is (it carries the rules,
    // vaccines and printer the form does not ask for): first run then only adds the supervisor.
    const config = this.config ?? req.provisioning;
    this.db
      .transaction(() => {
        if (this.setUp()) throw refuse();
        operators.insertOperator(this.db, this.clock, null, { ...req.supervisor, role: 'supervisor' }, pinHash);
        // inside the transaction: if the file cannot be written, the supervisor is not kept
        if (!this.config) saveProvisioning(this.provisioningFile, config);
      })
      .immediate();
    this.config = config;
    this.log.info({ centre: config.centre.id, counter: config.counter.code }, 'counter provisioned');
    this.startSync();
    return this.appState();
  }

  /** Set up = a provisioning file and at least one operator; until then the app shows first run. */
  private setUp(): boolean {
    return this.config !== null && operators.operatorCount(this.db) > 0;
  }

  /**
   * Prints a newly issued ticket's slip when printing is automatic. After the ticket's
   * commit, and never able to undo or fail it: a printer problem shows as a failed job.
   */
  private autoPrint<T extends { id: string }>(ticket: T): T {
    const printing = this.config?.printing;
    if (!printing?.autoPrint || printing.printer.kind === 'none' || !this.session) return ticket;
    try {
      // a repeated submission returns its earlier ticket: that one has its slip already
      if (!hasPrintJob(this.db, ticket.id)) this.printQueue.requestSlip(ticket.id, this.session.id);
    } catch (e) {
      this.log.error({ err: e, ticketId: ticket.id }, 'could not queue the slip');
    }
    return ticket;
  }

  private saveConfig(next: Provisioning, action: string, detail: Record<string, unknown>): AppStateView {
    saveProvisioning(this.provisioningFile, next);
    this.config = next;
    insertAudit(this.db, { at: this.clock().toISOString(), operatorId: this.session?.id ?? null, action, detail });
    return this.appState();
  }

  private makeHandlers(): Handlers {
    return {
      getAppState: () => this.appState(),
      provision: (r) => this.provision(r),
      signIn: (r) => {
        // One sign-in at a time: each attempt is counted before the next is checked, so a
        // burst of parallel guesses meets the lock-out like guesses typed one by one.
        const attempt = this.signInChain.then(async () => {
          if (!this.config) throw new DomainError('NOT_PROVISIONED', 'this counter is not set up yet');
          this.session = await operators.signIn(this.db, this.clock, this.config.security, r.loginId, r.pin);
          this.log.info({ operatorId: this.session.id }, 'signed in');
          return operators.operatorViewOf(this.db, this.session.id);
        });
        this.signInChain = attempt.catch(() => undefined);
        return attempt;
      },
      signOut: () => {
        this.session = null;
        return null;
      },
      listOperators: () => operators.listOperators(this.db),
      addOperator: (r) => operators.addOperator(this.db, this.clock, this.session!.id, r),
      setOperatorDisabled: (r) => operators.setOperatorDisabled(this.db, this.clock, this.session!, r.operatorId, r.disabled),
      resetOperatorPin: (r) => operators.resetOperatorPin(this.db, this.clock, this.session!, r.operatorId, r.pin),
      updateQueuePolicy: (r) => this.saveConfig({ ...this.config!, queuePolicy: r }, 'policy.updated', r),
      importRoster: async (r) => {
        if (this.importing) throw new DomainError('BUSY', 'a roster import is already running');
        this.importing = true;
        try {
          const ctx = this.context();
          const info = await importRoster({ ...ctx, operatorId: ctx.operator.id }, r);
          warmSearch(this.db, this.today()!);
          return info;
        } finally {
          this.importing = false;
        }
      },
      searchRoster: (r) => searchRoster(this.db, r.query, this.today()!),
      checkIn: (r) => this.autoPrint(checkIn(this.context(), r.refId)),
      checkInProvisional: (r) => this.autoPrint(checkInProvisional(this.context(), r)),
      previewWalkIn: (r) => previewWalkIn(this.context(), r.form, r.submissionId),
      registerWalkIn: (r) => this.autoPrint(registerWalkIn(this.context(), r)),
      getQueue: (r) => queue.getQueue(this.context(), r.waitingLimit),
      callNext: () => queue.callNext(this.context()),
      callTicket: (r) => queue.callTicket(this.context(), r.ticketId),
      recallTicket: (r) => queue.recallTicket(this.context(), r.ticketId),
      markNoShow: (r) => queue.markNoShow(this.context(), r.ticketId),
      requeueTicket: (r) => queue.requeueTicket(this.context(), r.ticketId),
      cancelTicket: (r) => queue.cancelTicket(this.context(), r.ticketId, r.reason),
      serveTicket: (r) => queue.serveTicket(this.context(), r),
      printSlip: (r) => this.printQueue.requestSlip(r.ticketId, this.context().operator.id),
      listPrintJobs: (r) => this.printQueue.list(this.today()!, this.config!.centre.timeZone, r),
      listSystemPrinters: async () => (this.systemPrinter ? await this.systemPrinter.list() : []),
      updatePrintingSettings: (r) => this.saveConfig({ ...this.config!, printing: r }, 'printing.updated', r),
      testPrint: () => {
        const ctx = this.context();
        return this.printQueue.requestTestPrint(ctx.operator.id, ctx.operator.loginId);
      },
      getSyncStatus: () => this.syncStatus(),
      syncNow: () => {
        if (!this.config?.portal) throw new DomainError('SYNC_NOT_CONFIGURED', 'no portal is set in the provisioning file');
        this.syncHost?.syncNow();
        return this.syncStatus();
      },
      listNeedsAttention: () => listNeedsAttention(this.db),
      resendRecord: (r) => resendRecord(this.context(), r),
      dismissRecord: (r) => dismissRecord(this.context(), r),
      closeDay: (r) => queue.closeDay(this.context(), r.day),
      getReconciliation: (r) => reconciliation(this.db, r.from, r.to, this.today()!),
      exportReconciliation: (r) =>
        reconciliationCsv(reconciliation(this.db, r.from, r.to, this.today()!), this.config!.centre.id),
    };
  }
}

/** A device ID made once per database (UUID v7) and kept in it: it names this counter's records and outbox sequence. */
function ensureDeviceId(db: Db): string {
  const known = getMeta(db, 'device_id');
  if (known !== null) return known;
  const id = uuidv7();
  setMeta(db, 'device_id', id);
  return id;
}
