/**
 * Messages between the main process and the sync worker thread. The worker owns nothing the
 * main process needs to wait for: it reports, the main process relays to the renderer.
 */
import { UNKNOWN_SYNC_STATUS, type Provisioning, type SyncState } from '../../common/domain';
import type { StagedRows } from '../store/roster';

/** What the sync engine knows that the database does not: how the portal is answering. */
export interface EngineStatus {
  state: Exclude<SyncState, 'not_configured'>;
  lastSuccessAt: string | null;
  lastAttemptAt: string | null;
  nextRetryAt: string | null;
  lastError: { code: string; message: string } | null;
  /** the portal's clock minus this PC's (ms), from the latest answer's Date header; null before one */
  clockOffsetMs: number | null;
  uploading: boolean;
  rosterPulledAt: string | null;
  /** the district settings' version in force, once the worker has applied or found one (news for main, not shown) */
  districtSettingsVersion?: number | null;
}

/** Before the first request has ended: neither online nor offline yet. */
export const INITIAL_ENGINE_STATUS: EngineStatus = (({ pending: _p, needsAttention: _n, oldestPendingAt: _o, ...engine }) => ({
  ...engine,
  state: 'connecting' as const,
  clockOffsetMs: null,
}))(UNKNOWN_SYNC_STATUS);

/** Tuning the tests and benchmarks may change; the product uses the defaults. */
export interface EngineTuning {
  /** first backoff step (full jitter: the wait is random in [0, step)) */
  backoffBaseMs: number;
  backoffCapMs: number;
  /** consecutive failures that open the circuit */
  breakerThreshold: number;
  /** how long the circuit stays open before one upload is let through to try */
  halfOpenAfterMs: number;
  /**
   * While uploads get no answer (a timeout, the network), a cheap request asks the portal
   * this often whether it answers again, and an upload still out is raced by it
   */
  probeEveryMs: number;
  /** the probe's own deadline */
  probeTimeoutMs: number;
}

export const DEFAULT_TUNING: EngineTuning = {
  backoffBaseMs: 1000,
  backoffCapMs: 5 * 60 * 1000,
  breakerThreshold: 5,
  halfOpenAfterMs: 30_000,
  probeEveryMs: 2000,
  probeTimeoutMs: 2000,
};

export interface WorkerSetup {
  dbFile: string;
  nativeBinding?: string | undefined;
  databaseKey?: string | undefined;
  deviceId: string;
  provisioning: Provisioning;
  tuning?: Partial<EngineTuning>;
  /** the app's version, for the fleet report (the worker reads package.json when not given) */
  appVersion?: string | undefined;
}

/**
 * Work main asks of the worker and waits for (each with an `id` the answer repeats): a roster
 * file's rows staged on the worker's connection, then its lookup indexes made there.
 */
export type WorkerRequest =
  /** `rows`: `count` entries packed (store/roster's packRosterRows) */
  { type: 'stageRoster'; importId: number; rows: string; count: number } | { type: 'indexRoster'; importId: number };

/** What each request answers. */
export interface WorkerAnswers {
  stageRoster: StagedRows;
  indexRoster: null;
}

export type ToWorker =
  | (WorkerRequest & { id: number })
  | { type: 'nudge' }
  | { type: 'syncNow' }
  | { type: 'stop' }
  /** copy the write-ahead log back into the file on the worker's connection (off the main loop) */
  | { type: 'checkpoint' };

export type FromWorker =
  | { type: 'status'; status: EngineStatus }
  /**
   * the outbox changed (acknowledged or rejected rows); `allUploaded`: nothing is pending now;
   * `settled`: the records of the rows answered (whose tickets' upload marks moved)
   */
  | { type: 'outbox'; allUploaded?: boolean; settled?: string[] }
  /** a day's roster was pulled and changed */
  | { type: 'roster'; day: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string; data?: Record<string, unknown> }
  /** a checkpoint asked for is done: the log's pages, and how many of them are in the file now */
  | { type: 'checkpointed'; logPages: number; copiedPages: number }
  /** a request's answer, or why it failed */
  | { type: 'answer'; id: number; ok: true; value: WorkerAnswers[WorkerRequest['type']] }
  /** `code`: the error's own (e.g. SQLITE_BUSY), so that main tells the operator what it means */
  | { type: 'answer'; id: number; ok: false; message: string; code?: string }
  | { type: 'stopped' };
