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

export interface SyncContext {
  readonly o: SyncEngineOptions;
  readonly clock: Clock;
  readonly stopped: boolean;
  /**
   * One request under the policies: refused at once while the circuit is open, a hard
   * deadline, and (an upload while the portal may be hanging) raced by probes. A failure
   * plans the route's next attempt before it is thrown; `onFailure` runs first.
   */
  request<T>(fn: (signal: AbortSignal) => Promise<T>, route: Route, onFailure?: () => void): Promise<T>;
  /** A failure found after the answer (a mismatch, an answer covering nothing): plans the retry and says it. */
  failed(failure: PortalFailure, route: Route): void;
  /** Whether this failure has been planned for already (so it is never counted twice on its way up). */
  recorded(failure: PortalFailure): boolean;
  update(patch: Partial<EngineStatus>): void;
}
