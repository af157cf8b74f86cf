/**
 * The main process's handle on the sync worker: starts it, relays what it reports, and
 * starts it again if it dies. Holds no lock and never waits on the portal.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../logging/logger';
import { INITIAL_ENGINE_STATUS, type EngineStatus, type FromWorker, type ToWorker, type WorkerSetup } from './messages';

export interface SyncWorkerFile {
  /** the worker's entry: the built `sync-worker.js`, or `worker-thread.ts` under tsx */
  file: string | URL;
  execArgv?: string[];
}

export interface SyncHostOptions extends SyncWorkerFile {
  setup: WorkerSetup;
  log: Logger;
  onStatus: (status: EngineStatus) => void;
  onOutboxChanged: () => void;
  onRosterChanged: (day: string) => void;
}

const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 60_000;

export class SyncHost {
  private worker: Worker | null = null;
  private stopping = false;
  private restartDelay = RESTART_MIN_MS;
  private restartTimer: NodeJS.Timeout | null = null;
  private last: EngineStatus = { ...INITIAL_ENGINE_STATUS };
  private exits = 0;

  constructor(private readonly o: SyncHostOptions) {}

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
      if (this.stopping) return;
      this.exits++;
      // what it last said no longer holds: nothing uploads until it is back
      this.last = {
        ...this.last,
        state: 'offline',
        uploading: false,
        lastError: { code: 'worker_stopped', message: `the sync worker stopped (exit ${code}); starting it again` },
      };
      this.o.onStatus(this.last);
      // died (a crash, or terminated): records are safe in the outbox; start again after a pause
      this.o.log.warn({ code, restartInMs: this.restartDelay }, 'sync worker stopped; starting it again');
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        this.start();
      }, this.restartDelay);
      this.restartTimer.unref?.();
      this.restartDelay = Math.min(this.restartDelay * 2, RESTART_MAX_MS);
    });
  }

  nudge(): void {
    this.post({ type: 'nudge' });
  }

  syncNow(): void {
    if (!this.worker && !this.stopping) {
      if (this.restartTimer) clearTimeout(this.restartTimer);
      this.restartTimer = null;
      this.start();
    }
    this.post({ type: 'syncNow' });
  }

  /** Ends the worker as a crash would (tests: a killed worker must lose nothing). */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }

  /** Asks the worker to finish (the request in flight is cut short), waiting at most `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
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
        this.o.onStatus(m.status);
        break;
      case 'outbox':
        this.o.onOutboxChanged();
        break;
      case 'roster':
        this.o.onRosterChanged(m.day);
        break;
      case 'log':
        this.o.log[m.level](m.data ?? {}, m.message);
        break;
      case 'stopped':
        break;
    }
  }
}
