/**
 * A counter with its real sync worker thread, uploading to a real reference portal on
 * loopback. Timings are shortened (backoff, circuit breaker, deadline) so fault tests settle
 * in seconds; the rules are the product's.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { v4 as uuidv4 } from 'uuid';
import type { RosterEntry, SyncStatusView } from '../../common/domain';
import { centreDay } from '../../common/rules/centre-day';
import { prng, rosterEntries, walkInForm } from '../../common/demo/people';
import type { Logger } from '../../main/logging/logger';
import type { EngineTuning } from '../../main/sync/messages';
import type { PortalHandle, PortalProcessOptions } from '../../portal/process';
import { OPERATOR, PROVISIONING, setupCounter, type Counter } from '../store/harness';
import { PORTAL_TEST_ENGINE, freshPortalDatabase } from '../support/portal-engine';

export const SYNC_WORKER = { file: resolve(import.meta.dirname, '../../main/sync/dev-worker.mjs') };
export const FAST_TUNING: Partial<EngineTuning> = {
  backoffBaseMs: 50,
  backoffCapMs: 400,
  breakerThreshold: 5,
  halfOpenAfterMs: 300,
};

export interface SyncedCounter extends Counter {
  token: string;
  today: string;
  /** each counter gets a centre of its own, so tests sharing a portal do not see each other's roster */
  centreId: string;
}

/** The walk-in record ID behind a walk-in ticket. */
export function walkInIdOf(c: Counter, ticketId: string): string {
  return (c.backend.db.prepare('SELECT walkin_id FROM ticket WHERE id = ?').get(ticketId) as { walkin_id: string }).walkin_id;
}

/** A set-up counter (operator signed in unless said) whose device token the portal knows. */
export async function syncedCounter(
  portal: Pick<PortalHandle, 'url' | 'admin'>,
  options: {
    timeoutSeconds?: number;
    tuning?: Partial<EngineTuning>;
    photoIdRetentionDays?: number;
    mobileRetentionDays?: number;
    roster?: RosterEntry[];
    log?: Logger;
    signedIn?: 'operator' | 'supervisor';
    /** an encrypted database */
    databaseKey?: string;
    /** the app's version, as the desktop app gives it */
    appVersion?: string;
    /** the counter's clock at the start (now by default); the sync worker keeps the real clock */
    at?: Date;
  } = {},
): Promise<SyncedCounter> {
  const token = `test-device-${randomBytes(32).toString('hex')}`;
  const centreId = `TEST-${randomBytes(4).toString('hex').toUpperCase()}`;
  await portal.admin.addDevice(token, centreId);
  const at = options.at ?? new Date();
  const c = await setupCounter({
    at: at.toISOString(),
    signedIn: options.signedIn ?? 'operator',
    roster: options.roster,
    provisioning: {
      centre: { ...PROVISIONING.centre, id: centreId },
      portal: { url: portal.url, deviceToken: token },
      sync: {
        requestTimeoutSeconds: options.timeoutSeconds ?? 2,
        photoIdRetentionDays: options.photoIdRetentionDays ?? 0,
        ...(options.mobileRetentionDays === undefined ? {} : { mobileRetentionDays: options.mobileRetentionDays }),
      } as never,
    },
    backend: {
      syncWorker: SYNC_WORKER,
      syncTuning: { ...FAST_TUNING, ...options.tuning },
      ...(options.log ? { log: options.log } : {}),
      ...(options.databaseKey ? { databaseKey: options.databaseKey } : {}),
      ...(options.appVersion ? { appVersion: options.appVersion } : {}),
    },
  });
  void OPERATOR;
  return Object.assign(c, { token, centreId, today: centreDay(at, 'Asia/Kolkata') });
}

/**
 * Where a portal that is killed and restarted keeps its data, on the test engine: a SQLite file
 * in `dataDir` (a temporary folder of its own when not given), or a schema of its own in the
 * test's PostgreSQL; either survives `restart()`.
 */
export function lastingPortalDatabase(dataDir?: string): Pick<PortalProcessOptions, 'database' | 'dataDir'> {
  if (PORTAL_TEST_ENGINE === 'postgres') return { database: freshPortalDatabase() };
  return dataDir === undefined ? {} : { dataDir };
}

/** Polls (bounded) until `check` returns a value; the last error says what was still wrong. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw last instanceof Error ? last : new Error(String(last));
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function status(c: Counter): SyncStatusView {
  return c.backend.syncStatus();
}

/** Waits until nothing is pending and the last request went through. */
export async function settled(c: Counter, timeoutMs = 30_000): Promise<SyncStatusView> {
  return eventually(() => {
    const s = status(c);
    if (s.pending !== 0 || s.uploading) throw new Error(`not settled: ${JSON.stringify(s)}`);
    return s;
  }, timeoutMs);
}

let seed = 1;
/** Registers `n` walk-ins (distinct people) and returns their tickets. */
export async function registerWalkIns(c: Counter, n: number) {
  const r = prng(seed++ * 7919);
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await c
        .ok('registerWalkIn', {
          submissionId: uuidv4(),
          form: walkInForm(r, { birthYear: 1960 + (i % 30) }),
          acknowledgedDuplicates: [],
        })
        .catch(async (e: Error) => {
          // a generated person resembling an earlier one: acknowledge and save
          const again = await c.call('registerWalkIn', {
            submissionId: uuidv4(),
            form: walkInForm(r),
            acknowledgedDuplicates: [],
          });
          if (again.ok) return again.value;
          const dups = (again.error.details as { duplicates?: { id: string }[] } | undefined)?.duplicates ?? [];
          if (dups.length === 0) throw e;
          throw new Error(`walk-in refused: ${again.error.code}`);
        }),
    );
  }
  return out;
}

/** The outbox as the counter holds it. */
export function outboxRows(c: Counter) {
  return c.backend.db.prepare('SELECT seq, mutation_id, kind, record_id, state, payload FROM outbox ORDER BY seq').all() as {
    seq: number;
    mutation_id: string;
    kind: string;
    record_id: string;
    state: string;
    payload: string;
  }[];
}

/**
 * Exactly once: every record the counter made (walk-ins, check-ins) is at the portal once,
 * by UUID, and the portal holds nothing else from this counter; every event once too.
 */
export async function expectPortalMatches(c: SyncedCounter, portal: PortalHandle, days: string[] = [c.today]) {
  const rows = outboxRows(c);
  const local = rows.filter((r) => r.state === 'acknowledged');
  const pending = rows.filter((r) => r.state === 'pending');
  if (pending.length > 0) throw new Error(`${pending.length} still pending`);
  const deviceId = c.backend.deviceId;
  const records = [];
  const events = [];
  for (const d of days) {
    const got = await portal.admin.records(c.centreId, d);
    records.push(...got.records.filter((r) => r.deviceId === deviceId));
    events.push(...got.events.filter((e) => e.deviceId === deviceId));
  }
  const localRecords = [
    ...new Set(local.filter((r) => r.kind === 'walkin.registered' || r.kind === 'checkin.created').map((r) => r.record_id)),
  ].sort();
  const portalRecords = records.map((r) => r.recordId).sort();
  const localEvents = local
    .filter((r) => r.kind !== 'walkin.registered' && r.kind !== 'checkin.created')
    .map((r) => r.mutation_id)
    .sort();
  const portalEvents = events.map((e) => e.mutationId).sort();
  return { localRecords, portalRecords, localEvents, portalEvents };
}

export const people = (n: number, s = 11) => rosterEntries(n, s);
