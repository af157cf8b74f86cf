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
  onOutboxChanged?: () => void;
  onRosterChanged?: (day: string) => void;
}

/**
 * A request sent behind another on the same connection, before that one's answer (a pipelined
 * upload). Whether it is kept is decided once the request before it is settled: it is let go
 * when that one failed or left rows pending. A failure of a request let go is not its own: it
 * is not counted, planned or recorded against its records.
 */
export interface Behind {
  /** true once the request is kept; false when it is let go */
  kept: Promise<boolean>;
  /** aborted when it is let go */
  letGo: AbortSignal;
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
  request<T>(fn: (signal: AbortSignal) => Promise<T>, route: Route, onFailure?: () => void, behind?: Behind): Promise<T>;
  /** The portal answered the last request and nothing has failed since (see RetryPolicy.answering). */
  readonly portalAnswering: boolean;
  /** A failure found after the answer (a mismatch, an answer covering nothing): plans the retry and says it. */
  failed(failure: PortalFailure, route: Route): void;
  /** Whether this failure has been planned for already (so it is never counted twice on its way up). */
  recorded(failure: PortalFailure): boolean;
  update(patch: Partial<EngineStatus>): void;
}
