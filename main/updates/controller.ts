/**
 * The counter's side of updates: checks the feed in the background, downloads what it offers,
 * and installs a ready update only when the counter says it may (asked every minute) or when
 * the supervisor says "install now". Nothing here is awaited by the counter: status() and
 * installNow() answer at once, and a feed that is down or hangs only ends a check with phase
 * 'error' (every check and download has a deadline) and a retry later.
 */
import { CancellationToken } from 'builder-util-runtime';
import type { InstallWindow, UpdatePort, UpdateStatus } from '../../common/updates';
import type { Logger } from '../logging/logger';
import { classifyUpdateFailure } from './refusal';

/** What the controller needs from electron-updater (an adapter in feed-updater.ts; fakes in tests). */
export interface UpdateEngine {
  /** null: the updater is not active here; cancelling `token` stops the check's requests */
  check(token: CancellationToken): Promise<{ available: boolean; version: string } | null>;
  download(token: CancellationToken): Promise<void>;
  /** closes the app and runs the installer silently; the app starts again on the new version */
  install(): void;
  onProgress(listener: (percent: number) => void): void;
  /** errors electron-updater reports outside a check or download (an installer that would not start) */
  onError(listener: (err: Error) => void): void;
}

/** Schedules `fn` after `ms`; returns a cancel function. */
export type Schedule = (fn: () => void, ms: number) => () => void;

export const realSchedule: Schedule = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

export interface UpdateControllerOptions {
  engine: UpdateEngine;
  currentVersion: string;
  log: Logger;
  /** the counter's answer to "may a ready update install now?" */
  installWindow: () => InstallWindow;
  schedule?: Schedule;
  now?: () => Date;
  /** the first check after start (default 2 minutes: the counter opens first) */
  firstCheckAfterMs?: number;
  /** between checks when nothing is offered (default 6 hours) */
  checkEveryMs?: number;
  /** after an error or a refusal (default 30 minutes) */
  retryAfterMs?: number;
  /** how often a ready update asks the install window (default 1 minute) */
  installPollMs?: number;
  /** a check that takes longer ends as an error (default 2 minutes) */
  checkTimeoutMs?: number;
  /** a download that takes longer is cancelled (default 12 hours: 100 MB at 2 Mbit/s takes 7 minutes) */
  downloadTimeoutMs?: number;
}

class Deadline extends Error {}

function withDeadline<T>(work: Promise<T>, ms: number, schedule: Schedule, message: string, onExpire?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cancel = schedule(() => {
      onExpire?.();
      reject(new Deadline(message));
    }, ms);
    work.then(
      (v) => {
        cancel();
        resolve(v);
      },
      (e: unknown) => {
        cancel();
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export class UpdateController implements UpdatePort {
  private current: UpdateStatus;
  private readonly listeners = new Set<(status: UpdateStatus) => void>();
  private readonly schedule: Schedule;
  private readonly now: () => Date;
  private cancelTimer: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly o: UpdateControllerOptions) {
    this.schedule = o.schedule ?? realSchedule;
    this.now = o.now ?? (() => new Date());
    this.current = {
      phase: 'idle',
      currentVersion: o.currentVersion,
      version: null,
      progressPercent: null,
      refusal: null,
      detail: null,
      checkedAt: null,
    };
    o.engine.onProgress((percent) => {
      if (this.current.phase !== 'downloading') return;
      const p = Math.max(0, Math.min(100, Math.floor(percent)));
      if (p !== this.current.progressPercent) this.set({ progressPercent: p });
    });
    o.engine.onError((err) => {
      if (this.current.phase !== 'installing') return;
      this.o.log.error({ err: err.message, version: this.current.version }, 'the update installer did not start');
      this.set({ phase: 'error', detail: `the installer did not start: ${err.message}`.slice(0, 300) });
      this.later(this.o.retryAfterMs ?? 30 * 60_000);
    });
  }

  status(): UpdateStatus {
    return { ...this.current };
  }

  onStatus(listener: (status: UpdateStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Begins the background checks. */
  start(): void {
    this.stopped = false;
    this.later(this.o.firstCheckAfterMs ?? 2 * 60_000);
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  installNow(): void {
    if (this.current.phase !== 'ready') {
      this.o.log.info({ phase: this.current.phase }, 'install now: no update is ready');
      return;
    }
    this.install('the supervisor chose to install now');
  }

  /** One check (and download, when something is offered); resolves when it has ended. */
  checkNow(): Promise<void> {
    if (this.running) return this.running;
    if (['downloading', 'ready', 'installing'].includes(this.current.phase)) return Promise.resolve();
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.running = this.checkAndDownload().finally(() => (this.running = null));
    return this.running;
  }

  private set(patch: Partial<UpdateStatus>): void {
    this.current = { ...this.current, ...patch };
    const snapshot = this.status();
    for (const l of this.listeners) {
      try {
        l(snapshot);
      } catch (err) {
        this.o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'an update status listener failed');
      }
    }
  }

  private later(ms: number, then: () => void = () => void this.checkNow()): void {
    if (this.stopped) return;
    this.cancelTimer?.();
    this.cancelTimer = this.schedule(() => {
      this.cancelTimer = null;
      then();
    }, ms);
  }

  private async checkAndDownload(): Promise<void> {
    const { engine, log } = this.o;
    this.set({ phase: 'checking', checkedAt: this.now().toISOString(), progressPercent: null });
    let version: string | null = null;
    try {
      // a check past its deadline is stopped, not left running in the background
      const checkToken = new CancellationToken();
      const offer = await withDeadline(
        engine.check(checkToken),
        this.o.checkTimeoutMs ?? 2 * 60_000,
        this.schedule,
        'the update feed did not answer in time',
        () => checkToken.cancel(),
      );
      if (!offer || !offer.available) {
        this.set({ phase: 'idle', version: null, refusal: null, detail: null });
        this.later(this.o.checkEveryMs ?? 6 * 60 * 60_000);
        return;
      }
      version = offer.version;
      log.info({ version }, 'an update is offered; downloading it in the background');
      this.set({ phase: 'downloading', version, progressPercent: 0, refusal: null, detail: null });
      const token = new CancellationToken();
      await withDeadline(
        engine.download(token),
        this.o.downloadTimeoutMs ?? 12 * 60 * 60_000,
        this.schedule,
        'the update download took too long',
        () => token.cancel(),
      );
    } catch (err) {
      const failure = classifyUpdateFailure(err);
      if (failure.kind === 'refused') {
        log.error({ refusal: failure.refusal, version, detail: failure.detail }, 'an update was refused; nothing is installed');
        this.set({ phase: 'refused', version, refusal: failure.refusal, detail: failure.detail, progressPercent: null });
      } else {
        log.warn({ version, detail: failure.detail }, 'the update feed could not be read; trying again later');
        this.set({ phase: 'error', version, refusal: null, detail: failure.detail, progressPercent: null });
      }
      this.later(this.o.retryAfterMs ?? 30 * 60_000);
      return;
    }
    log.info({ version }, 'an update is downloaded and verified; it installs when the counter is idle');
    this.set({ phase: 'ready', progressPercent: 100 });
    this.askInstallWindow();
  }

  private askInstallWindow(): void {
    if (this.current.phase !== 'ready') return;
    let window: InstallWindow;
    try {
      window = this.o.installWindow();
    } catch (err) {
      this.o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'the install window could not be read');
      window = { mayInstall: false, reason: 'queue_active' };
    }
    if (window.mayInstall) {
      this.install(window.reason === 'day_closed' ? 'the day is closed' : 'the counter is idle');
      return;
    }
    this.later(this.o.installPollMs ?? 60_000, () => this.askInstallWindow());
  }

  private install(why: string): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.o.log.info({ version: this.current.version, why }, 'installing the update; the counter restarts on the new version');
    this.set({ phase: 'installing' });
    try {
      this.o.engine.install();
    } catch (err) {
      const detail = `the installer did not start: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300);
      this.o.log.error({ version: this.current.version, detail }, 'the update did not install');
      this.set({ phase: 'error', detail });
      this.later(this.o.retryAfterMs ?? 30 * 60_000);
    }
  }
}

/** The port where nothing updates in-app (MSI, .deb, a copy run from the source tree, updates turned off). */
export function updatesOff(currentVersion: string, detail: string | null = null): UpdatePort {
  const status: UpdateStatus = {
    phase: 'off',
    currentVersion,
    version: null,
    progressPercent: null,
    refusal: null,
    detail,
    checkedAt: null,
  };
  return { status: () => ({ ...status }), installNow: () => {}, onStatus: () => () => {} };
}
