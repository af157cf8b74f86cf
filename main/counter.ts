import { EventEmitter } from 'node:events';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import type { BoardSettingsView, CounterEvent, MethodName, ParsedRequestOf, ResponseOf, UpdateView } from '../common/contract';
import {
  UNKNOWN_SYNC_STATUS,
  provisioningSchema,
  type AppStateView,
  type Provisioning,
  type SyncStatusView,
} from '../common/domain';
import { DomainError } from '../common/result';
import type { InstallWindow, UpdatePort, UpdateStatus } from '../common/updates';
import { centreDay } from '../common/rules/centre-day';
import { createLogger, type Logger } from './logging/logger';
import { checkpointPassive, openDatabase, scrubWalIfOwed, type Db } from './store/database';
import { checkIn, checkInProvisional } from './services/check-in';
import type { Clock, ServiceContext, SignedInOperator } from './services/context';
import * as operators from './services/operators';
import { SessionTable, type Session, type SessionState } from './services/sessions';
import { insertAudit } from './store/audit';
import { operatorByLogin } from './store/operators';
import { getMeta, setMeta } from './store/meta';
import { outboxCounts } from './store/outbox';
import { hasPrintJob } from './store/print-jobs';
import { loadProvisioning, saveProvisioning } from './services/provisioning';
import { fileTokenKeeper, type DeviceTokenKeeper } from './services/enrolment';
import { redeemEnrolment } from './sync/enrolment-client';
import * as district from './services/district-settings';
import { districtStamp } from './store/district-settings';
import * as queue from './services/queue';
import { cleanRosters, importRoster, rosterInfo } from './services/roster';
import { refreshSearchSoon, searchRoster, warmSearch } from './services/search';
import { dismissRecord, listNeedsAttention, reconciliation, reconciliationCsv, resendRecord } from './services/sync-records';
import { SyncHost, type SyncWorkerFile } from './sync/host';
import type { EngineTuning } from './sync/messages';
import { previewWalkIn, registerWalkIn } from './services/walk-ins';
import { buildDiagnostics } from './services/diagnostics';
import * as updateWindow from './services/update-window';
import { PrintQueue } from './printing/print-queue';
import type { SystemPrinter } from './printing/types';
import type { BoardCall, BoardEvent, BoardView } from '../common/board';
import * as board from './services/board';
import { createSpeechService, type SpeechService, type SpokenFile } from './speech/speech-service';

/**
 * Changes in a row after which the sync worker is asked to copy the write-ahead log back (about
 * 500 pages: each copy short); a commit copies it only past WAL_CAP_PAGES (store/database.ts).
 */
const CHECKPOINT_EVERY_CHANGES = 20;
/** Quiet time after a change before the counter copies the write-ahead log back. */
const CHECKPOINT_IDLE_MS = 500;
/** How often the counter looks whether the centre's day changed (the boards then read their view again). */
const BOARD_DAY_CHECK_MS = 30_000;

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
  /** this app's version (the desktop app gives Electron's app.getVersion(); else npm's package version) */
  appVersion?: string | undefined;
  /** backoff and circuit-breaker timings (tests and benchmarks shorten them) */
  syncTuning?: Partial<EngineTuning> | undefined;
  /**
   * where an enrolled counter keeps its portal address and device token (the desktop app's
   * is sealed by the OS keychain); default: device-token.json (0600) in the data folder
   */
  deviceTokens?: DeviceTokenKeeper | undefined;
  /** how long enrolment waits for the portal's answer (default 15 s) */
  enrolTimeoutMs?: number | undefined;
  /** the app's updater; without it (web bridge, tests, an install IT updates) updates are 'off' */
  updates?: UpdatePort | undefined;
  /** the waiting hall's board window (the desktop app); without it there is no window to open (web bridge, tests) */
  boardScreen?: board.BoardScreenPort | undefined;
}

/**
 * One implementation per contract method, given the already-validated request and the
 * caller's client ID (an Electron window, a browser's session): each client has its own
 * session, and a call without a client ID has none.
 */
export type Handlers = {
  [M in MethodName]: (request: ParsedRequestOf<M>, clientId?: string) => Promise<ResponseOf<M>> | ResponseOf<M>;
};

/** Why a session ended without its operator signing out. */
export type SessionEndReason = 'sign_in_attempt' | 'client_gone' | 'operator_disabled';

/** The timings of a counter not set up yet (the provisioning's defaults). */
const DEFAULT_SESSION_POLICY = { idleLockMinutes: 10, stepUpMinutes: 5 };

/**
 * The counter's main-process core: owns the SQLite store, the provisioning and who is signed
 * in. Imports nothing from Electron, so it runs the same under Electron's main process, the
 * web bridge and the tests.
 */
export class CounterBackend {
  readonly events = new EventEmitter<{ event: [CounterEvent] }>();
  /** what the waiting hall's boards are told (never the operator's events): sent after each change commits */
  readonly boardEvents = new EventEmitter<{ board: [BoardEvent] }>();
  readonly handlers: Handlers;
  readonly printQueue: PrintQueue;
  /** who is signed in at each client */
  private readonly sessions: SessionTable;
  private importing = false;
  private signInChain: Promise<unknown> = Promise.resolve();
  private syncHost: SyncHost | null = null;
  private closed = false;
  private checkpointTimer: NodeJS.Timeout | null = null;
  /** changes since the write-ahead log was last asked to be copied back */
  private changesSinceCheckpoint = 0;
  /** the portal address and device token come from the token keeper (enrolment), not provisioning.json */
  private portalKept = false;
  private enrolling = false;
  /** the settings in force (provisioning overlaid with the district's), kept while neither changes */
  private inForce: { stamp: string; base: Provisioning; config: Provisioning; district: district.DistrictInForce | null } | null =
    null;
  /** the district settings (and local queue policy) the page was last told of */
  private districtToldAt = '';
  /** clients that signed in since they were last found with no session (who may be signed in) */
  private readonly signedInClients = new Set<string>();
  private stopUpdateStatus: (() => void) | null = null;
  /** the centre's day the boards were last told of (a new day: they read the view again) */
  private boardDay: string | null = null;
  private boardDayTimer: NodeJS.Timeout | null = null;
  /** says the board's calls (eSpeak NG in a worker thread); started on the first call asked for */
  private speech: SpeechService | null = null;

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
    this.sessions = new SessionTable(clock, () => this.config?.security ?? DEFAULT_SESSION_POLICY);
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
      config: () => this.effectiveConfig(),
      system: systemPrinter,
      onJob: (job) => this.events.emit('event', { type: 'print', job }),
    });
    this.printQueue.recoverInterrupted();
    this.stopUpdateStatus = options.updates?.onStatus((status) => this.updateStatusChanged(status)) ?? null;
    this.boardDay = this.today();
    this.boardDayTimer = setInterval(() => this.checkBoardDay(), BOARD_DAY_CHECK_MS);
    this.boardDayTimer.unref();
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
    const deviceId = ensureDeviceId(db);
    const clock = options.clock ?? (() => new Date());
    const today = config ? centreDay(clock(), config.centre.timeZone) : null;
    await cleanRosters(db, today);
    if (today) warmSearch(db, today);
    const backend = new CounterBackend(db, provisioningFile, config, deviceId, clock, log, options.systemPrinter, options);
    try {
      await backend.takeKeptPortal();
    } catch (e) {
      await backend.close();
      throw e;
    }
    backend.startSync();
    return backend;
  }

  /** Closes the store at once; the promise settles when the sync worker has stopped too. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    if (this.checkpointTimer) clearTimeout(this.checkpointTimer);
    if (this.boardDayTimer) clearInterval(this.boardDayTimer);
    this.boardEvents.removeAllListeners();
    this.stopUpdateStatus?.();
    this.printQueue.stop();
    this.events.removeAllListeners();
    this.db.close();
    const speech = this.speech?.close() ?? Promise.resolve();
    this.speech = null;
    return Promise.all([this.syncHost?.stop(), speech]).then(() => undefined);
  }

  /**
   * Copies the write-ahead log back into the file once no change has come for a moment, and in
   * a rush every CHECKPOINT_EVERY_CHANGES changes: on the sync worker's connection when it runs,
   * else here when quiet (never inside an operator's action).
   */
  private checkpointWhenQuiet(): void {
    this.changesSinceCheckpoint++;
    if (this.changesSinceCheckpoint >= CHECKPOINT_EVERY_CHANGES && this.syncHost?.checkpoint()) {
      this.changesSinceCheckpoint = 0;
    }
    if (this.checkpointTimer) clearTimeout(this.checkpointTimer);
    this.checkpointTimer = setTimeout(() => {
      this.checkpointTimer = null;
      if (this.closed) return;
      this.changesSinceCheckpoint = 0;
      try {
        if (!this.syncHost?.checkpoint()) checkpointPassive(this.db);
        // a truncation after a reduction that found the log in use, and ran out of retries
        scrubWalIfOwed(this.db);
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
    this.districtToldAt = districtStamp(this.db);
    this.syncHost = new SyncHost({
      ...this.options.syncWorker,
      setup: {
        dbFile: this.db.name,
        nativeBinding: this.options.nativeBinding,
        databaseKey: this.options.databaseKey,
        deviceId: this.deviceId,
        provisioning: c,
        tuning: this.options.syncTuning,
        appVersion: this.appVersion() || undefined,
      },
      log: this.log,
      // the worker reports several times a batch; the host passes on at most one update every
      // 100 ms (and a change of state, or "all uploaded", at once)
      onUpdate: ({ outboxChanged, settledRecords }) => {
        // the worker may still report while the counter closes
        if (this.closed) return;
        this.districtSettingsChanged();
        this.events.emit('event', { type: 'status', sync: this.syncStatus() });
        if (outboxChanged) {
          this.emitUploads(settledRecords);
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

  /**
   * The upload marks that moved: those of the tickets whose records the portal answered, as
   * the worker said, that the queue view lists (so the cost is that of the tickets on show, not
   * of a backlog uploading). An answer recorded by a worker that ended before it could say so
   * moves no mark here: the page's marks catch up at its next full read (every 30 s at most).
   */
  private emitUploads(settledRecords: readonly string[]): void {
    const day = this.today();
    if (!day || settledRecords.length === 0) return;
    const uploads = queue.uploadStatesOfRecords(this.db, day, settledRecords);
    if (Object.keys(uploads).length > 0) this.events.emit('event', { type: 'uploads', uploads });
  }

  /** Whether the records have reached the portal: the outbox's counts with the worker's view of the portal. */
  syncStatus(): SyncStatusView {
    const counts = outboxCounts(this.db);
    const engine = this.syncHost?.status;
    if (!this.config?.portal || !engine) {
      return { ...UNKNOWN_SYNC_STATUS, ...counts };
    }
    // (the district settings' version is the worker's news for main, not part of the status)
    const { districtSettingsVersion: _version, ...status } = engine;
    return { ...status, ...counts };
  }

  /**
   * The settings in force: the provisioning, with the parts the district sets (queue policy,
   * eligibility, vaccines) in their place. Read again only when the district's version, the
   * supervisor's own queue policy or the provisioning changed (one cheap look otherwise).
   */
  effectiveConfig(): Provisioning | null {
    const base = this.config;
    if (!base) return null;
    const stamp = districtStamp(this.db);
    if (this.inForce?.stamp === stamp && this.inForce.base === base) return this.inForce.config;
    const inForce = district.districtInForce(this.db, base.centre.id);
    this.inForce = { stamp, base, config: district.effectiveConfig(base, inForce), district: inForce };
    return this.inForce.config;
  }

  /** The district version in force (null: none), as of the last look. */
  private districtInForce(): district.DistrictInForce | null {
    this.effectiveConfig();
    return this.inForce?.district ?? null;
  }

  /** The sync worker applied new district settings: the page reads the policy and the queue again. */
  private districtSettingsChanged(): void {
    const stamp = districtStamp(this.db);
    if (stamp === this.districtToldAt) return;
    this.districtToldAt = stamp;
    this.log.info({ version: this.districtInForce()?.version ?? null }, 'district settings in force');
    this.events.emit('event', { type: 'changed', method: 'updateQueuePolicy' });
  }

  get provisioning(): Provisioning | null {
    return this.config;
  }

  /**
   * The caller's session, locked first when it has been idle too long (the lock is recorded
   * in the audit log when it is found, with the time it fell).
   */
  sessionOf(clientId: string | undefined): SessionState {
    if (clientId === undefined) return { state: 'none' };
    const s = this.sessions.look(clientId);
    if (s.state === 'locked' && s.justLocked) {
      this.audit(
        s.session.operator.id,
        'session.idle_locked',
        { idleLockMinutes: this.sessionPolicy().idleLockMinutes },
        s.session.lockedAt!,
      );
      this.log.info({ operatorId: s.session.operator.id }, 'session locked after idle time');
    }
    return s;
  }

  /** Who is signed in at this client (its session may be locked). */
  operatorAt(clientId: string | undefined): SignedInOperator | null {
    const s = this.sessionOf(clientId);
    return s.state === 'none' ? null : s.session.operator;
  }

  /** The operator is at the client's keyboard (a change, or the page telling of input): its session stays open. */
  touchSession(clientId: string | undefined): void {
    // (looked at first: a session found idle too long is locked, and recorded so, not reopened)
    if (this.sessionOf(clientId).state === 'open') this.sessions.touch(clientId!);
  }

  /** Whether a supervisor-only action of this session must ask for the PIN again first. */
  needsStepUp(session: Session): boolean {
    return this.sessions.needsStepUp(session);
  }

  /**
   * Ends a client's session when the client itself is gone: an Electron window closed, a
   * browser session expired or ended by the web bridge. Nothing happens for a client with no session.
   */
  endSession(clientId: string, reason: SessionEndReason = 'client_gone'): void {
    const ended = this.sessions.end(clientId);
    if (ended) this.audit(ended.operator.id, 'session.ended', { reason });
  }

  private sessionPolicy() {
    return this.config?.security ?? DEFAULT_SESSION_POLICY;
  }

  private audit(operatorId: string | null, action: string, detail: Record<string, unknown>, atMs?: number): void {
    const at = atMs === undefined ? this.clock() : new Date(atMs);
    insertAudit(this.db, { at: at.toISOString(), operatorId, action, detail });
  }

  today(): string | null {
    return this.config ? centreDay(this.clock(), this.config.centre.timeZone) : null;
  }

  /** The context of a call from this client, with its operator; the dispatcher has already checked access. */
  context(clientId?: string): ServiceContext {
    if (!this.config) throw new DomainError('NOT_PROVISIONED', 'this counter is not set up yet');
    const s = this.sessionOf(clientId);
    if (s.state === 'none') throw new DomainError('NOT_SIGNED_IN', 'sign in first');
    if (s.state === 'locked') throw lockedError(s.session);
    return {
      db: this.db,
      clock: this.clock,
      deviceId: this.deviceId,
      config: this.effectiveConfig()!,
      operator: s.session.operator,
      log: this.log,
    };
  }

  /** The counter's state as this client sees it: its own operator and session. */
  appState(clientId?: string): AppStateView {
    const c = this.effectiveConfig();
    const today = this.today();
    const sync = this.syncStatus();
    const session = this.sessionOf(clientId);
    const policy = this.sessionPolicy();
    return {
      provisioned: this.setUp(),
      today,
      centre: c ? { id: c.centre.id, name: c.centre.name, nameHi: c.centre.nameHi ?? null, timeZone: c.centre.timeZone } : null,
      counter: c ? { code: c.counter.code, tokenPrefix: c.counter.tokenPrefix } : null,
      deviceId: this.deviceId,
      operator: session.state === 'none' ? null : operators.operatorViewOf(this.db, session.session.operator.id),
      session: {
        locked: session.state === 'locked',
        idleLockMinutes: policy.idleLockMinutes,
        stepUpMinutes: policy.stepUpMinutes,
      },
      roster: today ? rosterInfo(this.db, today) : null,
      outbox: { pending: sync.pending },
      sync,
      vaccines: c?.vaccines ?? [],
      policy: c?.queuePolicy ?? null,
      printing: c?.printing ?? null,
      district: c ? district.districtView(this.districtInForce()) : null,
    };
  }

  /**
   * First run: writes the provisioning file and creates the first supervisor, once. The PIN
   * is hashed first; the check, the supervisor and the file then happen with nothing in
   * between (no await), so two first-run submissions cannot both succeed, and the supervisor
   * is committed only if the file was written.
   */
  async provision(req: ParsedRequestOf<'provision'>, clientId?: string): Promise<AppStateView> {
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
    return this.appState(clientId);
  }

  private get deviceTokens(): DeviceTokenKeeper {
    return this.options.deviceTokens ?? fileTokenKeeper(this.options.dataDir);
  }

  /**
   * An enrolled counter's provisioning.json has no portal: its address and device token are
   * kept apart (sealed by the OS keychain in the desktop app). A provisioning file that names
   * its portal itself (written by hand, with `portal.deviceToken`) is used as it is.
   */
  private async takeKeptPortal(): Promise<void> {
    if (!this.config || this.config.portal) return;
    const kept = await this.deviceTokens.read();
    if (!kept) return;
    this.config = { ...this.config, portal: { url: kept.portalUrl, deviceToken: kept.deviceToken } };
    this.portalKept = true;
  }

  /** The provisioning as written to provisioning.json: without the portal when the token keeper has it. */
  private fileForm(p: Provisioning): Provisioning {
    if (!this.portalKept) return p;
    const { portal: _kept, ...rest } = p;
    return rest;
  }

  /**
   * First run by enrolment: the PIN is hashed, the code redeemed at the portal (a request with
   * its own deadline: the counter keeps answering, and stays on first run if the portal cannot
   * be reached), the device token kept, then the supervisor and provisioning.json are written
   * with nothing in between, as in `provision`. A failure after the portal answered leaves the
   * counter on first run: sending the form again redeems the code again for this device (the
   * portal answers the same device again with a new token and revokes the unseen one).
   */
  async enrol(req: ParsedRequestOf<'enrol'>, clientId?: string): Promise<AppStateView> {
    const refuse = () => new DomainError('ALREADY_PROVISIONED', 'this counter is already set up');
    if (this.setUp()) throw refuse();
    if (this.config) {
      throw new DomainError(
        'ALREADY_PROVISIONED',
        'a provisioning file is deployed on this counter: set up its first supervisor with the form instead',
      );
    }
    if (this.enrolling) throw new DomainError('BUSY', 'this counter is being enrolled already');
    // a counter enrolled again keeps its operators: a login ID it has is refused before the code is used
    if (operatorByLogin(this.db, req.supervisor.loginId)) {
      throw new DomainError('VALIDATION', `login ID ${req.supervisor.loginId} is taken`, {
        fields: [{ field: 'supervisor.loginId', code: 'login_id_taken' }],
      });
    }
    this.enrolling = true;
    try {
      const pinHash = await operators.hashPin(req.supervisor.pin);
      const answer = await redeemEnrolment({
        portalUrl: req.portalUrl,
        code: req.code,
        deviceId: this.deviceId,
        timeoutMs: this.options.enrolTimeoutMs,
      });
      if (this.closed) throw new DomainError('INTERNAL', 'the counter closed while it was being enrolled');
      const provisioning = provisioningSchema.parse({ schemaVersion: 1, centre: answer.centre, counter: answer.counter });
      const portalUrl = req.portalUrl.replace(/\/+$/, '');
      await this.deviceTokens.write({ portalUrl, deviceToken: answer.deviceToken });
      this.db
        .transaction(() => {
          if (this.setUp() || this.config) throw refuse();
          operators.insertOperator(this.db, this.clock, null, { ...req.supervisor, role: 'supervisor' }, pinHash);
          // inside the transaction: if the file cannot be written, the supervisor is not kept
          saveProvisioning(this.provisioningFile, provisioning);
        })
        .immediate();
      this.config = { ...provisioning, portal: { url: portalUrl, deviceToken: answer.deviceToken } };
      this.portalKept = true;
      this.log.info(
        { centre: provisioning.centre.id, counter: provisioning.counter.code, tokenKept: this.deviceTokens.protection },
        'counter enrolled',
      );
      this.startSync();
      return this.appState(clientId);
    } finally {
      this.enrolling = false;
    }
  }

  /** Set up = a provisioning file and at least one operator; until then the app shows first run. */
  private setUp(): boolean {
    return this.config !== null && operators.operatorCount(this.db) > 0;
  }

  /**
   * Prints a newly issued ticket's slip when printing is automatic. After the ticket's
   * commit, and never able to undo or fail it: a printer problem shows as a failed job.
   */
  private autoPrint<T extends { id: string }>(ticket: T, operatorId: string): T {
    const printing = this.config?.printing;
    if (!printing?.autoPrint || printing.printer.kind === 'none') return ticket;
    try {
      // a repeated submission returns its earlier ticket: that one has its slip already
      if (!hasPrintJob(this.db, ticket.id)) this.printQueue.requestSlip(ticket.id, operatorId);
    } catch (e) {
      this.log.error({ err: e, ticketId: ticket.id }, 'could not queue the slip');
    }
    return ticket;
  }

  private saveConfig(
    clientId: string | undefined,
    change: (c: Provisioning) => Provisioning,
    action: string,
    detail: Record<string, unknown>,
  ): AppStateView {
    const { operator } = this.context(clientId);
    // the provisioning as the centre keeps it: the district's settings are not written into it
    const next = change(this.config!);
    saveProvisioning(this.provisioningFile, this.fileForm(next));
    this.config = next;
    this.audit(operator.id, action, detail);
    return this.appState(clientId);
  }

  /** A check-in or walk-in that gave out a token, its slip printed when printing is automatic. */
  private issued<T extends { id: string }>(clientId: string | undefined, issue: (ctx: ServiceContext) => T): T {
    const ctx = this.context(clientId);
    return this.autoPrint(issue(ctx), ctx.operator.id);
  }

  /**
   * Checks the PIN of the operator signed in at this client (one check at a time, like
   * sign-ins: wrong PINs count towards the lock-out), and records it as given.
   */
  private confirmPin(clientId: string | undefined, pin: string, action: 'session.unlocked' | 'session.step_up') {
    return this.onePinCheckAtATime(async () => {
      if (!this.config) throw new DomainError('NOT_PROVISIONED', 'this counter is not set up yet');
      const s = this.sessionOf(clientId);
      if (s.state === 'none') throw new DomainError('NOT_SIGNED_IN', 'sign in first');
      const operator = await operators.signIn(this.db, this.clock, this.config.security, s.session.operator.loginId, pin);
      // the session may have ended while the PIN was checked (signed out, window closed)
      const now = this.sessionOf(clientId);
      if (now.state === 'none' || now.session !== s.session) throw new DomainError('NOT_SIGNED_IN', 'sign in first');
      this.sessions.pinGiven(clientId!);
      this.audit(operator.id, action, {});
      return operator;
    });
  }

  /**
   * Runs PIN checks (sign-ins, unlocks, step-ups) one after another: each attempt is counted
   * before the next is checked, so a burst of parallel guesses meets the lock-out like guesses
   * typed one by one.
   */
  private onePinCheckAtATime<T>(check: () => Promise<T>): Promise<T> {
    const attempt = this.signInChain.then(check);
    this.signInChain = attempt.catch(() => undefined);
    return attempt;
  }

  /** Whether anyone is signed in at any client of this counter (a locked session counts: its operator has not signed out). */
  private anyoneSignedIn(): boolean {
    for (const clientId of [...this.signedInClients]) {
      if (this.sessionOf(clientId).state !== 'none') return true;
      this.signedInClients.delete(clientId);
    }
    return false;
  }

  /** The diagnostics bundle for IT (see services/diagnostics.ts): nothing personal, no secret. */
  private diagnostics(): { fileName: string; json: string } {
    const today = this.today();
    const bundle = buildDiagnostics({
      db: this.db,
      dbFile: this.db.name,
      dataDir: this.options.dataDir,
      deviceId: this.deviceId,
      // the settings in force: the district's parts in place of the file's
      provisioning: this.effectiveConfig(),
      sync: this.syncStatus(),
      printJobs: today && this.config ? this.printQueue.list(today, this.config.centre.timeZone, { failedOnly: false }) : [],
      appVersion: this.updateStatus().currentVersion,
      now: this.clock(),
    });
    this.log.info({ fileName: bundle.fileName }, 'diagnostics bundle made for IT');
    return bundle;
  }

  /** The updater's status, or 'off' without one. */
  private updateStatus(): UpdateStatus {
    return this.options.updates?.status() ?? updateWindow.updatesOff(this.appVersion());
  }

  private appVersion(): string {
    return this.options.appVersion ?? process.env.npm_package_version ?? '';
  }

  /**
   * May a ready update install now? Asked by the updater (every minute once one is ready):
   * yes when nobody is signed in and the counter is idle or the day is closed, never in the
   * middle of a queue.
   */
  updateInstallWindow(): InstallWindow {
    return updateWindow.installWindow(this.updateFacts(this.updateStatus()), this.clock());
  }

  private updateFacts(status: UpdateStatus): updateWindow.WindowFacts {
    return updateWindow.windowFacts(this.db, {
      deviceId: this.deviceId,
      today: this.today(),
      now: this.clock(),
      signedIn: this.anyoneSignedIn(),
      offered: status.phase === 'ready' ? status.version : null,
    });
  }

  /** The update as the supervisor sees it. */
  updateView(): UpdateView {
    const status = this.updateStatus();
    const facts = this.updateFacts(status);
    return { ...status, window: updateWindow.installWindow(facts, this.clock()), postponed: facts.postponed };
  }

  private emitUpdate(): UpdateView {
    const view = this.updateView();
    if (!this.closed) this.events.emit('event', { type: 'update', update: view });
    return view;
  }

  private updateStatusChanged(status: UpdateStatus): void {
    if (this.closed) return;
    if (updateWindow.forgetStalePostponement(this.db, status)) {
      this.log.info({ version: status.version }, 'a new update is offered: the postponement of the last one is dropped');
    }
    this.emitUpdate();
  }

  /** The ready update the supervisor named, or why there is none (CONFLICT, details.why). */
  private readyUpdate(version: string): UpdateStatus & { version: string } {
    const status = this.updateStatus();
    if (!this.options.updates || status.phase === 'off') {
      throw new DomainError('CONFLICT', 'this counter is updated by IT, not by the app', { details: { why: 'updates_off' } });
    }
    if (status.phase !== 'ready' || status.version === null) {
      throw new DomainError('CONFLICT', 'no update is ready to install', { details: { why: 'update_not_ready' } });
    }
    if (status.version !== version) {
      throw new DomainError('CONFLICT', `version ${status.version} is ready, not ${version}`, {
        details: { why: 'update_version_changed', version: status.version },
      });
    }
    return { ...status, version: status.version };
  }

  /** The waiting hall's board: today's calls, the lanes, the notice and the speech settings (see services/board.ts). */
  boardView(): BoardView {
    if (!this.config) throw new DomainError('NOT_PROVISIONED', 'this counter is not set up yet');
    return board.boardView(this.db, this.effectiveConfig()!, this.clock());
  }

  /** A call of today by its ID (the board asks for its speech by it), or null. */
  boardCall(callId: string): BoardCall | null {
    if (!this.config) return null;
    return board.boardCallById(this.db, this.effectiveConfig()!, this.clock(), callId);
  }

  /**
   * A call's speech for the board, as a WAV file: the chime, then the call in Hindi and English
   * in the set order, the set number of times, at the set volume (the board does not ask when
   * speech is off). Made and written by the speech worker thread, in `<data>/speech/`: neither
   * the making nor the sound is ever on this loop (the board is served the file).
   */
  async boardSpeech(callId: string): Promise<SpokenFile> {
    if (this.closed) throw new DomainError('INTERNAL', 'the counter is closing');
    const call = this.boardCall(callId);
    if (!call) throw new DomainError('NOT_FOUND', 'no call of today has this ID');
    this.speech ??= createSpeechService({ log: this.log, dir: join(this.options.dataDir, 'speech') });
    return await this.speech.file(call, this.boardSettings().speech);
  }

  /** The board's settings as stored (the desktop app opens the board window again at start when `windowOpen`). */
  boardSettings(): board.BoardSettings {
    return board.readBoardSettings(this.db);
  }

  /** Tells the boards the centre's day changed (the timer looks every 30 s; tests call it). */
  checkBoardDay(): void {
    if (this.closed) return;
    const today = this.today();
    if (today === this.boardDay) return;
    this.boardDay = today;
    this.tellBoards({ type: 'changed' });
  }

  /**
   * Tells the boards, after the change has committed. A board that fails to hear it (a
   * listener that throws) is logged: it never turns the operator's committed action into an error.
   */
  private tellBoards(event: BoardEvent): void {
    if (this.closed) return;
    try {
      this.boardEvents.emit('board', event);
    } catch (e) {
      this.log.warn({ err: e, type: event.type }, 'a board could not be told of a change');
    }
  }

  private boardChanged<T>(value: T): T {
    this.tellBoards({ type: 'changed' });
    return value;
  }

  /** After a call or recall has committed: the boards are told of it, with its own call ID. */
  private boardCalled<T extends { id: string }>(ticket: T): T {
    if (this.closed || !this.config) return ticket;
    try {
      const call = board.latestBoardCall(this.db, this.effectiveConfig()!, ticket.id);
      if (call) this.tellBoards({ type: 'called', call });
    } catch (e) {
      this.log.warn({ err: e, ticketId: ticket.id }, 'the boards could not be told of a call');
    }
    return ticket;
  }

  private boardSettingsView(): BoardSettingsView {
    const s = board.readBoardSettings(this.db);
    const screen = this.options.boardScreen;
    return {
      notice: s.notice,
      room: s.room,
      speech: s.speech,
      displayId: s.displayId,
      windowOpen: s.windowOpen,
      window: { available: screen !== undefined, open: screen?.isOpen() ?? false },
    };
  }

  private saveBoardSettings(
    clientId: string | undefined,
    change: (s: board.BoardSettings) => board.BoardSettings,
    action: string,
    detail: Record<string, unknown>,
  ): BoardSettingsView {
    const { operator } = this.context(clientId);
    const next = change(board.readBoardSettings(this.db));
    board.writeBoardSettings(this.db, { settings: next, now: this.clock(), operatorId: operator.id, action, detail });
    return this.boardChanged(this.boardSettingsView());
  }

  /** The board window's port, or why there is none (CONFLICT, details.why = 'board_window_unavailable'). */
  private boardScreen(): board.BoardScreenPort {
    const screen = this.options.boardScreen;
    if (!screen) {
      throw new DomainError(
        'CONFLICT',
        'this app cannot open a board window (the desktop app can): open the board in a browser at the address the web bridge prints',
        { details: { why: 'board_window_unavailable' } },
      );
    }
    return screen;
  }

  private makeHandlers(): Handlers {
    return {
      getAppState: (_r, clientId) => this.appState(clientId),
      provision: (r, clientId) => this.provision(r, clientId),
      enrol: (r, clientId) => this.enrol(r, clientId),
      signIn: (r, clientId) => {
        if (clientId === undefined) throw new DomainError('NOT_SIGNED_IN', 'a sign-in needs a client');
        // Any attempt ends the client's session first: a failed one leaves nobody signed in.
        this.endSession(clientId, 'sign_in_attempt');
        return this.onePinCheckAtATime(async () => {
          // (again: an earlier attempt of this client may have succeeded while this one waited)
          this.endSession(clientId, 'sign_in_attempt');
          if (!this.config) throw new DomainError('NOT_PROVISIONED', 'this counter is not set up yet');
          const operator = await operators.signIn(this.db, this.clock, this.config.security, r.loginId, r.pin);
          this.sessions.begin(clientId, operator);
          this.signedInClients.add(clientId);
          this.log.info({ operatorId: operator.id }, 'signed in');
          return operators.operatorViewOf(this.db, operator.id);
        });
      },
      signOut: (_r, clientId) => {
        const ended = clientId === undefined ? null : this.sessions.end(clientId);
        if (ended) this.audit(ended.operator.id, 'session.signed_out', {});
        return null;
      },
      touchSession: (_r, clientId) => {
        this.touchSession(clientId);
        return null;
      },
      unlockSession: (r, clientId) =>
        this.confirmPin(clientId, r.pin, 'session.unlocked').then((o) => operators.operatorViewOf(this.db, o.id)),
      stepUp: async (r, clientId) => {
        await this.confirmPin(clientId, r.pin, 'session.step_up');
        return null;
      },
      listOperators: () => operators.listOperators(this.db),
      addOperator: (r, clientId) => operators.addOperator(this.db, this.clock, this.context(clientId).operator.id, r),
      setOperatorDisabled: (r, clientId) => {
        const view = operators.setOperatorDisabled(
          this.db,
          this.clock,
          this.context(clientId).operator,
          r.operatorId,
          r.disabled,
        );
        // a disabled operator's sessions end at once, at every client
        if (r.disabled) {
          const ended = this.sessions.endOperator(r.operatorId);
          if (ended.length > 0)
            this.audit(r.operatorId, 'session.ended', { reason: 'operator_disabled', sessions: ended.length });
        }
        return view;
      },
      unlockOperator: (r, clientId) =>
        operators.unlockOperator(
          this.db,
          this.clock,
          { kind: 'supervisor', operator: this.context(clientId).operator },
          r.operatorId,
        ),
      resetOperatorPin: (r, clientId) =>
        operators.resetOperatorPin(this.db, this.clock, this.context(clientId).operator, r.operatorId, r.pin),
      updateQueuePolicy: (r, clientId) => {
        const inForce = this.districtInForce();
        if (!inForce?.settings.queuePolicy)
          return this.saveConfig(clientId, (c) => ({ ...c, queuePolicy: r }), 'policy.updated', r);
        // over the district's default, until its next version
        const { operator } = this.context(clientId);
        district.saveLocalQueuePolicy(this.db, { district: inForce, policy: r, now: this.clock(), operatorId: operator.id });
        return this.appState(clientId);
      },
      importRoster: async (r, clientId) => {
        if (this.importing) throw new DomainError('BUSY', 'a roster import is already running');
        this.importing = true;
        try {
          const ctx = this.context(clientId);
          // the rows are written on the sync worker's connection when it runs: off this loop
          const stager = this.syncHost?.rosterStager() ?? null;
          const info = await importRoster({ ...ctx, operatorId: ctx.operator.id, stager }, r);
          warmSearch(this.db, this.today()!);
          return info;
        } finally {
          this.importing = false;
        }
      },
      searchRoster: (r) => searchRoster(this.db, r.query, this.today()!),
      checkIn: (r, clientId) => this.boardChanged(this.issued(clientId, (ctx) => checkIn(ctx, r.refId))),
      checkInProvisional: (r, clientId) => this.boardChanged(this.issued(clientId, (ctx) => checkInProvisional(ctx, r))),
      previewWalkIn: (r, clientId) => previewWalkIn(this.context(clientId), r.form, r.submissionId),
      registerWalkIn: (r, clientId) => this.boardChanged(this.issued(clientId, (ctx) => registerWalkIn(ctx, r))),
      getQueue: (r, clientId) => queue.getQueue(this.context(clientId), r.waitingLimit),
      // the boards hear of each change once it has committed
      callNext: (_r, clientId) => this.boardCalled(queue.callNext(this.context(clientId))),
      callTicket: (r, clientId) => this.boardCalled(queue.callTicket(this.context(clientId), r.ticketId)),
      recallTicket: (r, clientId) => this.boardCalled(queue.recallTicket(this.context(clientId), r.ticketId)),
      markNoShow: (r, clientId) => this.boardChanged(queue.markNoShow(this.context(clientId), r.ticketId)),
      requeueTicket: (r, clientId) => this.boardChanged(queue.requeueTicket(this.context(clientId), r.ticketId)),
      cancelTicket: (r, clientId) => this.boardChanged(queue.cancelTicket(this.context(clientId), r.ticketId, r.reason)),
      serveTicket: (r, clientId) => this.boardChanged(queue.serveTicket(this.context(clientId), r)),
      printSlip: (r, clientId) => this.printQueue.requestSlip(r.ticketId, this.context(clientId).operator.id),
      listPrintJobs: (r) => this.printQueue.list(this.today()!, this.config!.centre.timeZone, r),
      listSystemPrinters: async () => (this.systemPrinter ? await this.systemPrinter.list() : []),
      updatePrintingSettings: (r, clientId) => this.saveConfig(clientId, (c) => ({ ...c, printing: r }), 'printing.updated', r),
      testPrint: (_r, clientId) => {
        const ctx = this.context(clientId);
        return this.printQueue.requestTestPrint(ctx.operator.id, ctx.operator.loginId);
      },
      getSyncStatus: () => this.syncStatus(),
      syncNow: () => {
        if (!this.config?.portal) throw new DomainError('SYNC_NOT_CONFIGURED', 'no portal is set in the provisioning file');
        this.syncHost?.syncNow();
        return this.syncStatus();
      },
      listNeedsAttention: () => listNeedsAttention(this.db),
      resendRecord: (r, clientId) => resendRecord(this.context(clientId), r),
      dismissRecord: (r, clientId) => dismissRecord(this.context(clientId), r),
      closeDay: (r, clientId) => {
        const closed = queue.closeDay(this.context(clientId), r.day);
        // the day's end: a postponed update may install now, once nobody is signed in
        updateWindow.dayClosed(this.db, r.day);
        this.emitUpdate();
        return closed;
      },
      getReconciliation: (r) => reconciliation(this.db, r.from, r.to, this.today()!),
      exportReconciliation: (r) =>
        reconciliationCsv(reconciliation(this.db, r.from, r.to, this.today()!), this.config!.centre.id),
      saveDiagnostics: () => this.diagnostics(),
      updateStatus: () => this.updateView(),
      installUpdateNow: (r, clientId) => {
        const { operator } = this.context(clientId);
        const status = this.readyUpdate(r.version);
        this.audit(operator.id, 'update.install_now', { version: status.version });
        this.log.info({ version: status.version, operatorId: operator.id }, 'update installs now, as the supervisor asked');
        this.options.updates!.installNow();
        return this.updateView();
      },
      getBoardSettings: () => this.boardSettingsView(),
      updateBoardSettings: (r, clientId) =>
        this.saveBoardSettings(clientId, (s) => ({ ...s, notice: r.notice, room: r.room, speech: r.speech }), 'board.updated', {
          notice: r.notice,
          room: r.room,
          speech: r.speech,
        }),
      listDisplays: () => this.options.boardScreen?.displays() ?? [],
      openBoard: (r, clientId) => {
        const screen = this.boardScreen();
        if (r.displayId !== null && !screen.displays().some((d) => d.id === r.displayId)) {
          throw new DomainError('VALIDATION', `no display ${r.displayId} is connected`, {
            fields: [{ field: 'displayId', code: 'display_unknown' }],
          });
        }
        // opened first: a window that cannot open leaves the settings as they were
        screen.open(r.displayId);
        const open = (s: board.BoardSettings) => ({ ...s, displayId: r.displayId, windowOpen: true });
        return this.saveBoardSettings(clientId, open, 'board.opened', { displayId: r.displayId });
      },
      closeBoard: (_r, clientId) => {
        const screen = this.boardScreen();
        screen.close();
        return this.saveBoardSettings(clientId, (s) => ({ ...s, windowOpen: false }), 'board.closed', {});
      },
      postponeUpdate: (r, clientId) => {
        const { operator } = this.context(clientId);
        const status = this.readyUpdate(r.version);
        updateWindow.postpone(this.db, r.postponed ? status.version : null, this.today());
        this.audit(operator.id, r.postponed ? 'update.postponed' : 'update.postponement_lifted', { version: status.version });
        return this.emitUpdate();
      },
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

/** A locked session's calls fail with this; the details say whose PIN reopens it. */
export function lockedError(session: Session): DomainError {
  return new DomainError('SESSION_LOCKED', 'the session locked itself after idle time; the PIN reopens it', {
    details: { loginId: session.operator.loginId, name: session.operator.name },
  });
}
