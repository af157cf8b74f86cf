/**
 * The main process's handle on the sync worker: starts it, relays what it reports, and
 * starts it again if it dies. Holds no lock and never waits on the portal.
 *
 * The worker reports several times a batch; `onUpdate` hears at most every 100 ms (the
 * latest state), so a long upload does not keep the main process counting the outbox. A
 * change of state or of the reason for failing, and the last record reaching the portal
 * ("all uploaded"), are told at once.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../logging/logger';
import { packRosterRows, StagerGone, type RosterStager } from '../store/roster';
import { realClock, type Cancel, type Clock } from './clock';
import {
  INITIAL_ENGINE_STATUS,
  type EngineStatus,
  type FromWorker,
  type ToWorker,
  type WorkerAnswers,
  type WorkerRequest,
  type WorkerSetup,
} from './messages';

export interface SyncWorkerFile {
  /** the worker's entry: the built `sync-worker.js`, or `worker-thread.ts` under tsx */
  file: string | URL;
  execArgv?: string[];
}

/** What the worker said since the last update, throttled. */
export interface SyncUpdate {
  /** the worker's latest status */
  status: EngineStatus;
  /** records were acknowledged or rejected since the last update */
  outboxChanged: boolean;
  /** the records whose rows the portal answered since the last update (each once) */
  settledRecords: string[];
}

export interface SyncHostOptions extends SyncWorkerFile {
  setup: WorkerSetup;
  log: Logger;
  /** what the worker said, at most every 100 ms: what the wiring passes on to the renderer */
  onUpdate: (update: SyncUpdate) => void;
  onRosterChanged: (day: string) => void;
  /** the most often `onUpdate` is called (100 ms) */
  updateEveryMs?: number;
  /** the throttle's and the restarts' time: the real clock unless a test passes its own */
  clock?: Clock;
}

const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 60_000;
const UPDATE_EVERY_MS = 100;

export class SyncHost {
  private worker: Worker | null = null;
  private stopping = false;
  private restartDelay = RESTART_MIN_MS;
  private restartTimer: Cancel | null = null;
  private last: EngineStatus = { ...INITIAL_ENGINE_STATUS };
  private exits = 0;
  private checkpointsDone = 0;
  private readonly clock: Clock;
  /** the throttle: an update waiting to go, and what it will say */
  private updateTimer: Cancel | null = null;
  private outboxChanged = false;
  private readonly settled = new Set<string>();
  private shown: { state: string; error: string | null } | null = null;
  /** requests the worker has not answered yet, by id */
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (e: Error) => void }>();
  private nextRequest = 1;
  private answered = 0;

  constructor(private readonly o: SyncHostOptions) {
    this.clock = o.clock ?? realClock;
  }

  get status(): EngineStatus {
    return this.last;
  }

  get running(): boolean {
    return this.worker !== null;
  }

  /** How often the worker ended without being asked to (and was started again). */
  get unexpectedExits(): number {
    return this.exits;
  }

  start(): void {
    if (this.worker || this.stopping) return;
    const w = new Worker(this.o.file, { workerData: this.o.setup, execArgv: this.o.execArgv ?? [] });
    this.worker = w;
    w.on('message', (m: FromWorker) => this.onMessage(m));
    w.on('error', (e) => this.o.log.error({ err: e }, 'sync worker failed'));
    w.on('exit', (code) => {
      if (this.worker === w) this.worker = null;
      this.abandonRequests(code);
      if (this.stopping) return;
      this.exits++;
      // what it last said no longer holds: nothing uploads until it is back
      this.last = {
        ...this.last,
        state: 'offline',
        uploading: false,
        lastError: { code: 'worker_stopped', message: `the sync worker stopped (exit ${code}); starting it again` },
      };
      this.statusChanged(this.last);
      // died (a crash, or terminated): records are safe in the outbox; start again after a pause
      this.o.log.warn({ code, restartInMs: this.restartDelay }, 'sync worker stopped; starting it again');
      this.restartTimer = this.clock.schedule(this.restartDelay, () => {
        this.restartTimer = null;
        this.start();
      });
      this.restartDelay = Math.min(this.restartDelay * 2, RESTART_MAX_MS);
    });
  }

  nudge(): void {
    this.post({ type: 'nudge' });
  }

  /**
   * Asks the worker to copy the write-ahead log back into the file on its own connection: true
   * when asked, false when no worker runs (the caller then does it itself).
   */
  checkpoint(): boolean {
    if (!this.worker) return false;
    this.post({ type: 'checkpoint' });
    return true;
  }

  /** Checkpoints the worker has done since it started (tests; diagnostics). */
  get checkpoints(): number {
    return this.checkpointsDone;
  }

  syncNow(): void {
    if (!this.worker && !this.stopping) {
      this.restartTimer?.();
      this.restartTimer = null;
      this.start();
    }
    this.post({ type: 'syncNow' });
  }

  /**
   * Stages roster files on the worker's connection, off the main loop; null when no worker
   * runs now. A worker that ends meanwhile fails what it had not answered with `StagerGone`.
   */
  rosterStager(): RosterStager | null {
    if (!this.worker || this.stopping) return null;
    return {
      stage: (importId, entries) =>
        this.request({ type: 'stageRoster', importId, rows: packRosterRows(entries), count: entries.length }),
      index: async (importId) => {
        await this.request({ type: 'indexRoster', importId });
      },
    };
  }

  /** Requests the worker has answered since this host began (tests; diagnostics). */
  get requestsAnswered(): number {
    return this.answered;
  }

  private request<T extends WorkerRequest>(m: T): Promise<WorkerAnswers[T['type']]> {
    const w = this.worker;
    if (!w || this.stopping) return Promise.reject(new StagerGone('the sync worker is not running'));
    const id = this.nextRequest++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      w.postMessage({ ...m, id } satisfies ToWorker);
    });
  }

  private abandonRequests(code: number): void {
    for (const { reject } of this.waiting.values()) reject(new StagerGone(`the sync worker stopped (exit ${code})`));
    this.waiting.clear();
  }

  /** Ends the worker as a crash would (tests: a killed worker must lose nothing). */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }

  /** Asks the worker to finish (the request in flight is cut short), waiting at most `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    this.restartTimer?.();
    this.updateTimer?.();
    this.updateTimer = null;
    const w = this.worker;
    if (!w) return;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    this.post({ type: 'stop' });
    const timer = setTimeout(() => void w.terminate(), graceMs);
    await exited;
    clearTimeout(timer);
    this.worker = null;
  }

  private post(m: ToWorker): void {
    this.worker?.postMessage(m);
  }

  private onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'status':
        this.last = m.status;
        // a worker that gets as far as a successful request is healthy: the next restart is quick again
        if (m.status.state === 'online') this.restartDelay = RESTART_MIN_MS;
        this.statusChanged(m.status);
        break;
      case 'outbox':
        this.outboxChanged = true;
        for (const id of m.settled ?? []) this.settled.add(id);
        // the last record reaching the portal is told at once ("all uploaded")
        if (m.allUploaded) this.flushUpdate();
        else this.updateSoon();
        break;
      case 'roster':
        this.o.onRosterChanged(m.day);
        break;
      case 'log':
        this.o.log[m.level](m.data ?? {}, m.message);
        break;
      case 'checkpointed':
        this.checkpointsDone++;
        break;
      case 'answer': {
        const waiting = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        this.answered++;
        if (m.ok) waiting?.resolve(m.value);
        else waiting?.reject(Object.assign(new Error(m.message), m.code === undefined ? {} : { code: m.code }));
        break;
      }
      case 'stopped':
        break;
    }
  }

  private statusChanged(status: EngineStatus): void {
    // a change of state or of the reason for failing is told at once; the rest (uploading
    // on and off, times) at most every 100 ms
    const now = { state: status.state, error: status.lastError?.message ?? null };
    if (now.state !== this.shown?.state || now.error !== this.shown?.error) {
      this.shown = now;
      this.flushUpdate();
    } else this.updateSoon();
  }

  private updateSoon(): void {
    if (this.updateTimer || this.stopping) return;
    this.updateTimer = this.clock.schedule(this.o.updateEveryMs ?? UPDATE_EVERY_MS, () => this.flushUpdate());
  }

  private flushUpdate(): void {
    this.updateTimer?.();
    this.updateTimer = null;
    if (this.stopping) return;
    const outboxChanged = this.outboxChanged;
    this.outboxChanged = false;
    const settledRecords = [...this.settled];
    this.settled.clear();
    this.o.onUpdate({ status: this.last, outboxChanged, settledRecords });
  }
}
