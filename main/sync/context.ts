/**
 * What the sync engine's parts (the uploader, the roster puller) share: the options it was
 * made with, its clock, and the one way to send a request under the retry policy.
 */
import type { SyncSettings } from '../../common/domain';
import type { Db } from '../store/database';
import type { Clock } from './clock';
import type { EngineStatus, EngineTuning } from './messages';
import type { PortalClient, PortalFailure } from './portal-client';
import type { Route } from './retry-policy';

export interface SyncLog {
  info(data: Record<string, unknown>, message: string): void;
  warn(data: Record<string, unknown>, message: string): void;
  error(data: Record<string, unknown>, message: string): void;
}

export interface SyncEngineOptions {
  db: Db;
  client: PortalClient;
  deviceId: string;
  centreId: string;
  counterCode: string;
  timeZone: string;
  settings: SyncSettings;
  log: SyncLog;
  /** time: the real clock unless a test passes its own */
  clock?: Clock;
  /** [0, 1) for the backoff's jitter; Math.random unless a test passes its own */
  random?: () => number;
  tuning?: Partial<EngineTuning>;
  onStatus?: (status: EngineStatus) => void;
  /** rows were acknowledged or rejected: the records they belong to (each once) */
  onOutboxChanged?: (settledRecords: readonly string[]) => void;
  onRosterChanged?: (day: string) => void;
}

/**
 * An upload among those out on the upload connection. The sender ends it (`letGo`) when its
 * pass ends, or when the upload before it failed or left rows pending. One sent behind another,
 * before that one's answer (a pipelined upload), is kept or let go once the one before it is
 * settled (`kept`). An upload let go is not the portal's verdict: its failure is not counted,
 * planned or recorded against its records, nor its answer taken as the portal answering.
 */
export interface Sent {
  /** aborted when the sender lets it go */
  letGo: AbortSignal;
  /** for one sent behind another: true once it is kept, false when it is let go */
  kept?: Promise<boolean>;
}

export interface SyncContext {
  readonly o: SyncEngineOptions;
  readonly clock: Clock;
  readonly stopped: boolean;
  /**
   * One request under the policies: refused at once while the circuit is open, a hard
   * deadline, and (an upload while the portal may be hanging) raced by probes. A failure
   * plans the route's next attempt before it is thrown; `onFailure` runs first.
   */
  request<T>(fn: (signal: AbortSignal) => Promise<T>, route: Route, onFailure?: () => void, sent?: Sent): Promise<T>;
  /** The portal answered the last request and nothing has failed since (see RetryPolicy.answering). */
  readonly portalAnswering: boolean;
  /** A failure found after the answer (a mismatch, an answer covering nothing): plans the retry and says it. */
  failed(failure: PortalFailure, route: Route): void;
  /** Whether this failure has been planned for already (so it is never counted twice on its way up). */
  recorded(failure: PortalFailure): boolean;
  update(patch: Partial<EngineStatus>): void;
}
