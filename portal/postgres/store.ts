/**
 * The portal's store on PostgreSQL: a district's server, where several API processes share one
 * database. Same behaviour and answers as the SQLite store (portal/store.ts), with the same
 * rules (portal/push-rules.ts).
 *
 * Exactly once under concurrency, by the database alone: a batch is one READ COMMITTED
 * transaction that first takes its device's sequence row (`SELECT ... FOR UPDATE`), so batches
 * of one device run one after the other whichever process takes them; every outcome is written
 * to the mutation log under unique keys (device and sequence number, mutation ID, an applied
 * record's ID), and a batch that finds one of them taken meanwhile by another device's batch
 * runs again and answers from what that one wrote. Lookups and writes are batched: a few round
 * trips per batch, never one per mutation.
 */
import { createHmac, randomBytes } from 'node:crypto';
import pg from 'pg';
import type { RosterEntry } from '../../common/domain';
import { addDays, isIsoDay } from '../../common/rules/centre-day';
import { normalizePhotoId } from '../../common/rules/photo-id';
import {
  RECORD_KINDS,
  type Mutation,
  type PortalRecord,
  type PushRequest,
  type PushResponse,
  type PushResult,
  type RecordsResponse,
  type RosterChange,
} from '../../common/sync-protocol';
import {
  MAX_DUPLICATE_OF,
  checkMutation,
  sequenceReused,
  toResult,
  unbookedCheckIn,
  type Outcome,
  type RecordToApply,
} from '../push-rules';
import { toDeviceClient } from '../rows';
import {
  PortalSchemaTooNewError,
  hashToken,
  refusals,
  sequenceProblem,
  type AdminEvent,
  type AdminRecord,
  type AppointmentInput,
  type Device,
  type DeviceClient,
  type DistrictDayRow,
  type PortalStore,
  type PushContext,
  type RosterRows,
} from '../store-api';
import {
  CommitThen,
  LostRace,
  asPortalError,
  checkout,
  checkSchemaName,
  databaseUnavailable,
  makePool,
  query,
  transaction,
} from './db';
import { PgDistrictSettingsStore } from './district-settings';
import { PgEnrolmentStore } from './enrolments';
import { PgFleetStore } from './fleet';
import { PG_MIGRATIONS, type PgMigration } from './migrations';
import { ensurePartitions } from './partitions';

/** How often a running portal makes the coming days' partitions (it also does when it opens). */
const PARTITIONS_EVERY_MS = 6 * 3600_000;
const PARTITIONS_AHEAD_DAYS = 7;
const CHECK_TIMEOUT_MS = 2_000;

interface LogRow {
  via: 's' | 'm' | 'r';
  device_id: string;
  seq: number;
  mutation_id: string;
  record_id: string;
  status: 'applied' | 'duplicate' | 'rejected';
  code: string | null;
  reason: string | null;
  flags: string[];
  duplicate_of: string[];
}

/** What a mutation already in the log answers when it is sent again: never `applied` twice. */
function fromLog(row: LogRow): Outcome {
  if (row.status === 'rejected') return { status: 'rejected', code: row.code ?? 'rejected', reason: row.reason ?? undefined };
  return { status: 'duplicate', flags: row.flags, duplicateOf: row.duplicate_of };
}

/** What a record already taken answers when it arrives again. */
const duplicateOfRecord = (r: { flags: string[]; duplicate_of: string[] }): Outcome => ({
  status: 'duplicate',
  flags: r.flags,
  duplicateOf: r.duplicate_of,
});

interface RecordRow {
  record_id: string;
  kind: PortalRecord['kind'];
  centre_id: string;
  day: string;
  device_id: string;
  seq: number;
  mutation_id: string;
  payload: string;
  flags: string[];
  duplicate_of: string[];
  received_at: string;
}

const toPortalRecord = (r: RecordRow): PortalRecord => ({
  recordId: r.record_id,
  kind: r.kind,
  deviceId: r.device_id,
  seq: r.seq,
  mutationId: r.mutation_id,
  day: r.day,
  receivedAt: r.received_at,
  flags: r.flags,
});

/**
 * A statement each connection parses and plans once: the push's short ones. (The lookups and the
 * write take a plan for their arrays each time: a generic plan of theirs was found slower.)
 */
const prepared = <R extends pg.QueryResultRow>(c: pg.PoolClient, name: string, text: string, values: unknown[]) =>
  c.query<R>({ name, text, values });

/** PostgreSQL text holds no NUL character: one in a reason (an unknown field's name, quoted) is kept as U+FFFD. */
const storable = (s: string | null | undefined): string | null => (s == null ? null : s.replaceAll('\u0000', '\uFFFD'));

/** Columns of one batch's rows, one array per column, for INSERT ... SELECT FROM unnest(...). */
class Columns<K extends string> {
  readonly cols: Record<K, unknown[]>;
  length = 0;
  constructor(names: readonly K[]) {
    this.cols = Object.fromEntries(names.map((n) => [n, []])) as unknown as Record<K, unknown[]>;
  }
  push(row: Record<K, unknown>): void {
    for (const k of Object.keys(this.cols) as K[]) this.cols[k].push(row[k]);
    this.length++;
  }
}

export class PgPortalStore implements PortalStore {
  readonly engine = 'postgres' as const;
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly enrolments: PgEnrolmentStore;
  readonly fleet: PgFleetStore;
  readonly districtSettings: PgDistrictSettingsStore;
  private opened: Promise<void> | null = null;
  private partitionsTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    options: { url: string; schema?: string; poolSize?: number },
    private readonly migrations: readonly PgMigration[] = PG_MIGRATIONS,
  ) {
    this.schema = checkSchemaName(options.schema ?? 'public');
    migrations.forEach((m, i) => {
      if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
    });
    this.pool = makePool({ url: options.url, schema: this.schema, poolSize: options.poolSize ?? 10 });
    const ready = () => this.ready();
    this.enrolments = new PgEnrolmentStore(this.pool, ready);
    this.fleet = new PgFleetStore(this.pool, ready);
    this.districtSettings = new PgDistrictSettingsStore(this.pool, ready);
  }

  // ---- opening ----

  /**
   * Makes the schema when missing and applies the migrations it lacks, under an advisory lock
   * (several portal processes may open at once: one migrates, the others wait and find it
   * done); a schema written by a newer portal is refused before anything is written. Then the
   * day partitions from yesterday to a week ahead. Tried again on the next call after a failure
   * other than a newer schema.
   */
  ready(): Promise<void> {
    if (!this.opened) {
      this.opened = this.open().catch((e: unknown) => {
        if (!(e instanceof PortalSchemaTooNewError)) this.opened = null;
        throw asPortalError(e);
      });
    }
    return this.opened;
  }

  private async open(): Promise<void> {
    const { client, release } = await checkout(this.pool);
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`portal-migrations:${this.schema}`]);
      const made = (await client.query<{ made: boolean }>(`SELECT to_regclass('portal_schema_version') IS NOT NULL AS made`))
        .rows[0]!.made;
      const current = made
        ? ((await client.query<{ version: number }>('SELECT version FROM portal_schema_version WHERE id = 1')).rows[0]?.version ??
          0)
        : 0;
      if (current > this.migrations.length) {
        throw new PortalSchemaTooNewError(current, this.migrations.length, `(PostgreSQL schema ${this.schema})`);
      }
      if (current < this.migrations.length) {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
        await client.query(
          `CREATE TABLE IF NOT EXISTS portal_schema_version (
             id integer PRIMARY KEY CHECK (id = 1), version integer NOT NULL, migrated_at timestamptz NOT NULL)`,
        );
        for (const m of this.migrations.slice(current)) await client.query(m.sql);
        await client.query(
          `INSERT INTO portal_schema_version (id, version, migrated_at) VALUES (1, $1, now())
           ON CONFLICT (id) DO UPDATE SET version = excluded.version, migrated_at = excluded.migrated_at`,
          [this.migrations.length],
        );
      }
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError as Error;
      });
      throw e;
    } finally {
      release(broken);
    }
    await this.makePartitions();
    if (!this.closed && !this.partitionsTimer) {
      this.partitionsTimer = setInterval(() => void this.makePartitions().catch(() => undefined), PARTITIONS_EVERY_MS);
      this.partitionsTimer.unref();
    }
  }

  private async makePartitions(): Promise<void> {
    const today = new Date().toISOString().slice(0, 10);
    await ensurePartitions(this.pool, addDays(today, -1), PARTITIONS_AHEAD_DAYS + 2);
  }

  async check(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.pool.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('connection timeout')), CHECK_TIMEOUT_MS);
        }),
      ]);
    } catch {
      throw databaseUnavailable();
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.partitionsTimer);
    await this.opened?.catch(() => undefined);
    await this.pool.end();
  }

  private async run<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    await this.ready();
    return query<R>(this.pool, text, values);
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    await this.ready();
    return transaction(this.pool, fn);
  }

  // ---- devices ----

  /** Adds a device token for a centre (or moves it, relabels it and lifts a revocation). */
  async addDevice(input: { token: string; centreId: string; label: string }, now: Date): Promise<void> {
    await this.run(
      `INSERT INTO device (token_hash, centre_id, label, revoked, created_at) VALUES ($1, $2, $3, false, $4)
       ON CONFLICT (token_hash) DO UPDATE SET centre_id = excluded.centre_id, label = excluded.label, revoked = false`,
      [hashToken(input.token), input.centreId, storable(input.label), now.toISOString()],
    );
  }

  /** true when the token was known */
  async revokeDevice(token: string): Promise<boolean> {
    return ((await this.run('UPDATE device SET revoked = true WHERE token_hash = $1', [hashToken(token)])).rowCount ?? 0) > 0;
  }

  async deviceByToken(token: string): Promise<Device | undefined> {
    const { rows } = await this.run<{
      token_hash: string;
      centre_id: string;
      label: string;
      revoked: boolean;
      created_at: string;
    }>('SELECT token_hash, centre_id, label, revoked, created_at FROM device WHERE token_hash = $1', [hashToken(token)]);
    const row = rows[0];
    return (
      row && {
        tokenHash: row.token_hash,
        centreId: row.centre_id,
        label: row.label,
        revoked: row.revoked,
        createdAt: row.created_at,
      }
    );
  }

  /**
   * Binds a device ID to a token (IT's explicit rebind after rotating a counter's token, or a
   * binding made before the counter's first push). The token must be known, not revoked, and for
   * the centre the device ID already uploads to.
   */
  async bindDevice(
    deviceId: string,
    token: string,
    now: Date,
  ): Promise<{ deviceId: string; centreId: string; rebound: boolean }> {
    const id = deviceId.toLowerCase();
    const at = now.toISOString();
    return this.tx(async (c) => {
      const device = (
        await c.query<{ token_hash: string; centre_id: string; revoked: boolean }>(
          'SELECT token_hash, centre_id, revoked FROM device WHERE token_hash = $1',
          [hashToken(token)],
        )
      ).rows[0];
      if (!device) throw refusals.unknownToken();
      if (device.revoked) throw refusals.tokenRevoked();
      const client = (
        await c.query<{ token_hash: string; centre_id: string }>(
          'SELECT token_hash, centre_id FROM device_client WHERE device_id = $1 FOR UPDATE',
          [id],
        )
      ).rows[0];
      if (!client) {
        const inserted = await c.query(
          `INSERT INTO device_client (centre_id, device_id, token_hash, last_applied_seq, updated_at) VALUES ($1, $2, $3, 0, $4)
           ON CONFLICT DO NOTHING`,
          [device.centre_id, id, device.token_hash, at],
        );
        if (inserted.rowCount !== 1) throw new LostRace(`device ${id}`);
        return { deviceId: id, centreId: device.centre_id, rebound: false };
      }
      if (client.centre_id !== device.centre_id) {
        throw refusals.wrongCentre(id, client.centre_id, device.centre_id);
      }
      await c.query('UPDATE device_client SET token_hash = $1, updated_at = $2 WHERE device_id = $3', [
        device.token_hash,
        at,
        id,
      ]);
      return { deviceId: id, centreId: client.centre_id, rebound: client.token_hash !== device.token_hash };
    });
  }

  async clients(): Promise<DeviceClient[]> {
    const { rows } = await this.run<{ device_id: string; centre_id: string; last_applied_seq: number; updated_at: string }>(
      'SELECT device_id, centre_id, last_applied_seq, updated_at FROM device_client ORDER BY centre_id, device_id',
    );
    return rows.map(toDeviceClient);
  }

  /**
   * Hospital IT accepts that this portal lost a device's records up to `lastAppliedSeq` (it was
   * restored from a backup older than the counter keeps uploaded rows): the device's sequence
   * moves forward so its later records are taken. Never backwards: that would take records twice.
   */
  async acceptLostRecords(
    deviceId: string,
    lastAppliedSeq: number,
    now: Date,
  ): Promise<{ deviceId: string; from: number; to: number }> {
    const id = deviceId.toLowerCase();
    return this.tx(async (c) => {
      const client = (
        await c.query<{ last_applied_seq: number }>(
          'SELECT last_applied_seq FROM device_client WHERE device_id = $1 FOR UPDATE',
          [id],
        )
      ).rows[0];
      if (!client) throw refusals.unknownDevice(id);
      if (lastAppliedSeq <= client.last_applied_seq) {
        throw refusals.notAhead(id, client.last_applied_seq);
      }
      await c.query('UPDATE device_client SET last_applied_seq = $1, updated_at = $2 WHERE device_id = $3', [
        lastAppliedSeq,
        now.toISOString(),
        id,
      ]);
      return { deviceId: id, from: client.last_applied_seq, to: lastAppliedSeq };
    });
  }

  // ---- push ----

  /**
   * Applies a batch exactly once, in one transaction: each new mutation's effect, its outcome in
   * the mutation log and the device's `last_applied_seq` commit together or not at all.
   * Throws PortalError for answers that apply nothing (403 device_token_mismatch, 409 sequence_gap).
   * The caller has checked the token and that `req.centreId` is the token's centre.
   */
  async push(req: PushRequest, ctx: PushContext): Promise<PushResponse> {
    const now = ctx.now.toISOString();
    const deviceId = req.deviceId.toLowerCase();
    return this.tx((c) => this.pushIn(c, req, ctx, deviceId, now));
  }

  private async pushIn(
    c: pg.PoolClient,
    req: PushRequest,
    ctx: PushContext,
    deviceId: string,
    now: string,
  ): Promise<PushResponse> {
    // A new device is remembered even when its first push is refused (a sequence gap after this
    // portal was restored from a backup): IT can then see it and accept the records lost.
    await prepared(
      c,
      'push-client',
      `INSERT INTO device_client (centre_id, device_id, token_hash, last_applied_seq, updated_at) VALUES ($1, $2, $3, 0, $4)
       ON CONFLICT DO NOTHING`,
      [req.centreId, deviceId, ctx.tokenHash, now],
    );
    // the device's sequence row, locked until this batch commits: its batches one at a time, in any process
    const client = (
      await prepared<{ centre_id: string; token_hash: string; last_applied_seq: number }>(
        c,
        'push-lock',
        'SELECT centre_id, token_hash, last_applied_seq FROM device_client WHERE device_id = $1 FOR UPDATE',
        [deviceId],
      )
    ).rows[0]!;
    // Never taken over implicitly, not even after its token was revoked: IT rebinds a device
    // ID to a new token through the admin API (bindDevice), so no other device gets there first.
    if (client.token_hash !== ctx.tokenHash) {
      throw new CommitThen(refusals.deviceTokenMismatch(deviceId));
    }
    let last = client.last_applied_seq;
    const gap = sequenceProblem(
      req.mutations.map((m) => m.seq),
      last,
    );
    if (gap) throw new CommitThen(gap);
    const centre = client.centre_id;
    const resent = req.mutations.filter((m) => m.seq <= last);
    const fresh = req.mutations.filter((m) => m.seq > last);
    const changes = new Map<Mutation, ReturnType<typeof checkMutation>>(fresh.map((m) => [m, checkMutation(m)]));
    const isRecord = (m: Mutation) => (RECORD_KINDS as readonly string[]).includes(m.kind);

    // 1. what the log holds: resent sequence numbers, the batch's mutation IDs, its records already taken
    const { rows: logRows } = await c.query<LogRow>(
      `SELECT 's' AS via, device_id, seq, mutation_id, record_id, status, code, reason, flags, duplicate_of
         FROM mutation_log WHERE centre_id = $1 AND device_id = $2 AND seq BETWEEN $3 AND $4
       UNION ALL
       SELECT 'm', device_id, seq, mutation_id, record_id, status, code, reason, flags, duplicate_of
         FROM mutation_log WHERE centre_id = $1 AND mutation_id = ANY($5::text[])
       UNION ALL
       SELECT 'r', device_id, seq, mutation_id, record_id, status, code, reason, flags, duplicate_of
         FROM mutation_log WHERE centre_id = $1 AND record_id = ANY($6::text[])
           AND status = 'applied' AND kind IN ('checkin.created', 'walkin.registered')`,
      [
        centre,
        deviceId,
        resent[0]?.seq ?? 1,
        resent.at(-1)?.seq ?? 0,
        req.mutations.map((m) => m.mutationId.toLowerCase()),
        fresh.filter(isRecord).map((m) => m.recordId.toLowerCase()),
      ],
    );
    const bySeq = new Map<number, LogRow>();
    const loggedBefore = new Map<string, Outcome>();
    const recordsTaken = new Map<string, { flags: string[]; duplicate_of: string[] }>();
    for (const row of logRows) {
      if (row.via === 's') bySeq.set(row.seq, row);
      else if (row.via === 'm') loggedBefore.set(row.mutation_id, fromLog(row));
      else recordsTaken.set(row.record_id, row);
    }

    // 2. the bookings and earlier walk-ins the batch's records are checked against
    const records = [...changes.values()].filter((ch): ch is RecordToApply => ch.kind === 'record');
    const booking = await this.bookings(c, req.centreId, records);
    const seen = await this.photoIdsSeen(c, req.centreId, records);

    // 3. each mutation's outcome, in order (a batch's own earlier records count)
    const results: PushResult[] = [];
    const logged = new Map(loggedBefore);
    const log = new Columns([
      'seq',
      'mutation_id',
      'kind',
      'record_id',
      'status',
      'code',
      'reason',
      'flags',
      'duplicate_of',
    ] as const);
    const recordRows = new Columns([
      'day',
      'record_id',
      'kind',
      'seq',
      'mutation_id',
      'payload',
      'flags',
      'duplicate_of',
    ] as const);
    const eventRows = new Columns(['day', 'mutation_id', 'ticket_id', 'kind', 'payload', 'seq'] as const);
    const photoRows = new Columns(['type', 'number', 'record_id'] as const);
    const batchWalkIns = new Map<string, string[]>();
    const nowMs = Date.parse(now);

    const apply = (m: Mutation, change: ReturnType<typeof checkMutation>): Outcome => {
      const recordId = m.recordId.toLowerCase();
      const taken = (id: string) => recordsTaken.get(id);
      if (ctx.rejectRecordIds?.has(recordId)) {
        // what this portal has already taken stays taken (the same change sent again under a new seq)
        if (!isRecord(m) || !taken(recordId))
          return { status: 'rejected', code: ctx.rejectCode ?? 'rejected_by_portal', reason: 'the portal refused this record' };
      }
      if (change.kind === 'rejected') {
        // a record already taken answers as a duplicate before its photo ID is checked
        const existing = change.outcome.code === 'photo_id_invalid' ? taken(recordId) : undefined;
        return existing ? duplicateOfRecord(existing) : change.outcome;
      }
      if (change.kind === 'event') {
        // applied even when the ticket's record has not arrived: never block other records
        eventRows.push({
          day: change.day,
          mutation_id: change.mutationId,
          ticket_id: change.ticketId,
          kind: m.kind,
          payload: change.payload,
          seq: m.seq,
        });
        return { status: 'applied' };
      }
      const existing = taken(recordId);
      if (existing) return duplicateOfRecord(existing);
      let flags: string[] = [];
      let duplicateOf: string[] = [];
      if (change.walkIn && change.photoIdType !== null && change.photoIdNumber !== null) {
        const key = `${change.photoIdType}\u0000${change.photoIdNumber}`;
        const before = seen.get(key) ?? { own: [], bookings: [], elsewhere: false };
        const mine = (batchWalkIns.get(key) ?? []).map((id) => ({ id, at: nowMs }));
        const own = [...before.own, ...mine]
          .sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
          .slice(0, MAX_DUPLICATE_OF)
          .map((w) => w.id);
        duplicateOf = [...own, ...before.bookings].slice(0, MAX_DUPLICATE_OF);
        // flagged for a person to look at, never merged; a match at another centre is a flag and nothing else
        if (duplicateOf.length > 0 || before.elsewhere) flags = ['possible_duplicate'];
        if (before.elsewhere) flags.push('other_centre');
        batchWalkIns.set(key, [...(batchWalkIns.get(key) ?? []), recordId]);
        photoRows.push({ type: change.photoIdType, number: change.photoIdNumber, record_id: recordId });
      } else if (!change.walkIn && change.refId !== null) {
        // the portal's own bookings decide, whatever the device says
        const b = booking.get(`${change.day}\u0000${change.refId}`);
        if (!b?.here) {
          const refused = unbookedCheckIn(change, change.verified && b?.elsewhere === true);
          if (refused) return refused;
          // a booking made after the roster reached this portal, or not known to it: kept, not confirmed
          flags = ['unverified'];
        }
      }
      recordRows.push({
        day: change.day,
        record_id: recordId,
        kind: m.kind,
        seq: m.seq,
        mutation_id: change.mutationId,
        payload: change.payload,
        flags: JSON.stringify(flags),
        duplicate_of: JSON.stringify(duplicateOf),
      });
      recordsTaken.set(recordId, { flags, duplicate_of: duplicateOf });
      return { status: 'applied', flags, duplicateOf };
    };

    for (const m of req.mutations) {
      if (m.seq <= last) {
        results.push(toResult(m, this.resentOutcome(m, bySeq, loggedBefore)));
        continue;
      }
      const mutationId = m.mutationId.toLowerCase();
      const earlier = logged.get(mutationId);
      if (earlier) {
        // the same change sent again under a new sequence number (e.g. from a restored backup):
        // it keeps its first outcome; the new number is used up
        results.push(toResult(m, earlier));
      } else {
        const outcome = apply(m, changes.get(m)!);
        logged.set(mutationId, outcome.status === 'rejected' ? outcome : { ...outcome, status: 'duplicate' });
        log.push({
          seq: m.seq,
          mutation_id: mutationId,
          kind: m.kind,
          record_id: m.recordId.toLowerCase(),
          status: outcome.status,
          code: outcome.code ?? null,
          reason: storable(outcome.reason),
          flags: JSON.stringify(outcome.flags ?? []),
          duplicate_of: JSON.stringify(outcome.duplicateOf ?? []),
        });
        results.push(toResult(m, outcome));
      }
      last = m.seq;
    }

    // 4. every write of the batch in one statement; a row another device's batch took meanwhile: run again
    const { rows } = await c.query<{ logged: number; records: number; events: number }>(
      `WITH l AS (
         INSERT INTO mutation_log (centre_id, device_id, seq, mutation_id, kind, record_id, status, code, reason, flags,
           duplicate_of, received_at)
         SELECT $1, $2, u.* , $3::timestamptz
         FROM unnest($4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::jsonb[],
           $12::jsonb[]) AS u
         ON CONFLICT DO NOTHING RETURNING 1
       ), r AS (
         INSERT INTO record (centre_id, day, record_id, kind, device_id, seq, mutation_id, payload, flags, duplicate_of, received_at)
         SELECT $13, u.day, u.record_id, u.kind, $2, u.seq, u.mutation_id, u.payload, u.flags, u.duplicate_of, $3::timestamptz
         FROM unnest($14::text[], $15::text[], $16::text[], $17::bigint[], $18::text[], $19::text[], $20::jsonb[], $21::jsonb[])
           AS u (day, record_id, kind, seq, mutation_id, payload, flags, duplicate_of)
         ON CONFLICT DO NOTHING RETURNING 1
       ), e AS (
         INSERT INTO ticket_event (centre_id, day, mutation_id, ticket_id, kind, payload, device_id, seq, received_at)
         SELECT $13, u.day, u.mutation_id, u.ticket_id, u.kind, u.payload, $2, u.seq, $3::timestamptz
         FROM unnest($22::text[], $23::text[], $24::text[], $25::text[], $26::text[], $27::bigint[])
           AS u (day, mutation_id, ticket_id, kind, payload, seq)
         ON CONFLICT DO NOTHING RETURNING 1
       ), p AS (
         INSERT INTO walk_in_photo_id (photo_id_type, photo_id_number, centre_id, record_id, received_at)
         SELECT u.type, u.number, $13, u.record_id, $3::timestamptz FROM unnest($28::text[], $29::text[], $30::text[])
           AS u (type, number, record_id)
         ON CONFLICT DO NOTHING
       ), c AS (
         UPDATE device_client SET last_applied_seq = $31, updated_at = $3::timestamptz WHERE device_id = $2
       )
       SELECT (SELECT count(*) FROM l)::int AS logged, (SELECT count(*) FROM r)::int AS records, (SELECT count(*) FROM e)::int AS events`,
      [
        centre,
        deviceId,
        now,
        ...Object.values(log.cols),
        req.centreId,
        ...Object.values(recordRows.cols),
        ...Object.values(eventRows.cols),
        ...Object.values(photoRows.cols),
        last,
      ],
    );
    const wrote = rows[0]!;
    if (wrote.logged !== log.length || wrote.records !== recordRows.length || wrote.events !== eventRows.length) {
      throw new LostRace('a mutation or record of this batch');
    }
    return { deviceId: req.deviceId, lastAppliedSeq: last, results };
  }

  /**
   * A mutation under a sequence number already used: the same change again (its first outcome),
   * or a different one (never acknowledged).
   */
  private resentOutcome(m: Mutation, bySeq: ReadonlyMap<number, LogRow>, logged: ReadonlyMap<string, Outcome>): Outcome {
    const mutationId = m.mutationId.toLowerCase();
    const row = bySeq.get(m.seq);
    if (row) return row.mutation_id === mutationId ? fromLog(row) : sequenceReused(m.seq);
    return logged.get(mutationId) ?? sequenceReused(m.seq);
  }

  /** The batch's check-ins' bookings: here (this centre, that day) and at another centre. */
  private async bookings(
    c: pg.PoolClient,
    centreId: string,
    records: readonly RecordToApply[],
  ): Promise<Map<string, { here: boolean; elsewhere: boolean }>> {
    const keys = new Map<string, [string, string]>();
    for (const r of records) if (!r.walkIn && r.refId !== null) keys.set(`${r.day}\u0000${r.refId}`, [r.day, r.refId]);
    if (keys.size === 0) return new Map();
    const { rows } = await c.query<{ day: string; ref_id: string; here: boolean; elsewhere: boolean }>(
      `SELECT k.day, k.ref_id,
         EXISTS (SELECT 1 FROM appointment a WHERE a.centre_id = $1 AND a.date = k.day AND a.ref_id = k.ref_id AND NOT a.cancelled) AS here,
         EXISTS (SELECT 1 FROM appointment a WHERE a.ref_id = k.ref_id AND a.date = k.day AND a.centre_id <> $1 AND NOT a.cancelled)
           AS elsewhere
       FROM unnest($2::text[], $3::text[]) AS k (day, ref_id)`,
      [centreId, [...keys.values()].map((k) => k[0]), [...keys.values()].map((k) => k[1])],
    );
    return new Map(rows.map((r) => [`${r.day}\u0000${r.ref_id}`, { here: r.here, elsewhere: r.elsewhere }]));
  }

  /**
   * The batch's walk-ins' photo IDs as seen before: this centre's walk-ins (first 20, oldest
   * first) and bookings (first 20 by date), and whether another centre has either. Only this
   * centre's are named; another centre's are only a flag (never their identifiers).
   */
  private async photoIdsSeen(
    c: pg.PoolClient,
    centreId: string,
    records: readonly RecordToApply[],
  ): Promise<Map<string, { own: { id: string; at: number }[]; bookings: string[]; elsewhere: boolean }>> {
    const keys = new Map<string, [string, string]>();
    for (const r of records) {
      if (r.walkIn && r.photoIdType !== null && r.photoIdNumber !== null) {
        keys.set(`${r.photoIdType}\u0000${r.photoIdNumber}`, [r.photoIdType, r.photoIdNumber]);
      }
    }
    if (keys.size === 0) return new Map();
    // Two counters registering one person at once: a lock per photo ID until commit, so the batch
    // that commits second reads the first one's walk-in (READ COMMITTED reads again after the
    // wait) and is flagged. Taken in one order (sorted) by every batch: no deadlock.
    await c.query('SELECT pg_advisory_xact_lock(hashtextextended(k, 1)) FROM unnest($1::text[]) AS k', [
      [...keys.values()].map(([type, number]) => `photo-id:${centreId}:${type}:${number}`).sort(),
    ]);
    const { rows } = await c.query<{
      type: string;
      number: string;
      own_ids: string[];
      own_at: number[];
      bookings: string[];
      elsewhere: boolean;
    }>(
      `SELECT k.type, k.number,
         ARRAY(SELECT w.record_id FROM walk_in_photo_id w
               WHERE w.photo_id_type = k.type AND w.photo_id_number = k.number AND w.centre_id = $1
               ORDER BY w.received_at, w.record_id LIMIT $4) AS own_ids,
         ARRAY(SELECT (extract(epoch FROM w.received_at) * 1000)::float8 FROM walk_in_photo_id w
               WHERE w.photo_id_type = k.type AND w.photo_id_number = k.number AND w.centre_id = $1
               ORDER BY w.received_at, w.record_id LIMIT $4) AS own_at,
         ARRAY(SELECT a.ref_id FROM appointment a
               WHERE a.photo_id_type = k.type AND a.photo_id_number = k.number AND a.centre_id = $1 AND NOT a.cancelled
               ORDER BY a.date, a.ref_id LIMIT $4) AS bookings,
         EXISTS (SELECT 1 FROM walk_in_photo_id w
                 WHERE w.photo_id_type = k.type AND w.photo_id_number = k.number AND w.centre_id <> $1)
         OR EXISTS (SELECT 1 FROM appointment a
                    WHERE a.photo_id_type = k.type AND a.photo_id_number = k.number AND a.centre_id <> $1 AND NOT a.cancelled)
           AS elsewhere
       FROM unnest($2::text[], $3::text[]) AS k (type, number)`,
      [centreId, [...keys.values()].map((k) => k[0]), [...keys.values()].map((k) => k[1]), MAX_DUPLICATE_OF],
    );
    return new Map(
      rows.map((r) => [
        `${r.type}\u0000${r.number}`,
        { own: r.own_ids.map((id, i) => ({ id, at: r.own_at[i]! })), bookings: r.bookings, elsewhere: r.elsewhere },
      ]),
    );
  }

  // ---- records ----

  /**
   * A centre's records of a day as a device sees them: its own (uploaded under its token) with
   * its device ID; another device's with an opaque ID of that record in place of the device ID,
   * so no device learns another's ID (and so cannot claim it).
   */
  async records(centreId: string, date: string, tokenHash: string): Promise<RecordsResponse> {
    const own = new Set(
      (
        await this.run<{ device_id: string }>('SELECT device_id FROM device_client WHERE centre_id = $1 AND token_hash = $2', [
          centreId,
          tokenHash,
        ])
      ).rows.map((r) => r.device_id),
    );
    const records = (await this.recordsOfDay(centreId, date)).map((r) => {
      const record = toPortalRecord(r);
      return own.has(r.device_id) ? record : { ...record, deviceId: this.opaqueId(r.record_id) };
    });
    const { rows } = await this.run<{ n: number }>('SELECT count(*) AS n FROM ticket_event WHERE centre_id = $1 AND day = $2', [
      centreId,
      date,
    ]);
    return { centreId, date, records, events: rows[0]!.n };
  }

  private async recordsOfDay(centreId: string, date: string): Promise<RecordRow[]> {
    return (
      await this.run<RecordRow>(
        `SELECT record_id, kind, centre_id, day, device_id, seq, mutation_id, payload, flags, duplicate_of, received_at
         FROM record WHERE centre_id = $1 AND day = $2 ORDER BY received_at, device_id, seq`,
        [centreId, date],
      )
    ).rows;
  }

  /** A key for opaque IDs, new each time the store opens: an opaque ID tells nothing and is never a device's. */
  private readonly opaqueKey = randomBytes(32);

  /** An opaque UUID (version 8, RFC 9562) standing for a record's device in answers to other devices. */
  private opaqueId(recordId: string): string {
    const b = createHmac('sha256', this.opaqueKey).update(recordId).digest().subarray(0, 16);
    b[6] = (b[6]! & 0x0f) | 0x80;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** Everything held for a centre and day, payloads included (admin API and tests). */
  async adminRecords(
    centreId: string,
    date: string,
  ): Promise<{ centreId: string; date: string; records: AdminRecord[]; events: AdminEvent[] }> {
    const records = (await this.recordsOfDay(centreId, date)).map((r): AdminRecord => ({
      ...toPortalRecord(r),
      centreId: r.centre_id,
      duplicateOf: r.duplicate_of,
      payload: JSON.parse(r.payload) as Record<string, unknown>,
    }));
    const { rows } = await this.run<{
      mutation_id: string;
      ticket_id: string;
      kind: string;
      payload: string;
      device_id: string;
      seq: number;
      day: string;
      received_at: string;
    }>(
      `SELECT mutation_id, ticket_id, kind, payload, device_id, seq, day, received_at
       FROM ticket_event WHERE centre_id = $1 AND day = $2 ORDER BY received_at, device_id, seq`,
      [centreId, date],
    );
    const events = rows.map((e): AdminEvent => ({
      mutationId: e.mutation_id,
      ticketId: e.ticket_id,
      kind: e.kind,
      deviceId: e.device_id,
      seq: e.seq,
      day: e.day,
      receivedAt: e.received_at,
      payload: JSON.parse(e.payload) as Record<string, unknown>,
    }));
    return { centreId, date, records, events };
  }

  // ---- appointments and rosters ----

  /** The roster clock, locked until the transaction ends: booking changes take versions in commit order. */
  private async clock(c: pg.PoolClient): Promise<number> {
    return (await c.query<{ version: number }>('SELECT version FROM roster_clock WHERE id = 1 FOR UPDATE')).rows[0]!.version;
  }

  /** Adds or changes bookings; each one that changes takes the next roster version. Returns how many changed. */
  async upsertAppointments(centreId: string, date: string, entries: readonly AppointmentInput[]): Promise<number> {
    if (!isIsoDay(date)) throw refusals.badDay('date');
    if (entries.length === 0) return 0;
    return this.tx(async (c) => {
      let version = await this.clock(c);
      const { rows } = await c.query<{ ref_id: string; entry: string; photo_id_number: string | null; cancelled: boolean }>(
        'SELECT ref_id, entry, photo_id_number, cancelled FROM appointment WHERE centre_id = $1 AND date = $2 AND ref_id = ANY($3::text[])',
        [centreId, date, entries.map((e) => e.refId)],
      );
      const current = new Map(rows.map((r) => [r.ref_id, r]));
      const changed = new Map<string, { entry: string; type: string; number: string | null; version: number }>();
      let count = 0;
      for (const input of entries) {
        const { photoIdNumber, ...entry } = input;
        const json = JSON.stringify(entry satisfies RosterEntry);
        const number = photoIdNumber ? normalizePhotoId(photoIdNumber) : null;
        const now = current.get(entry.refId);
        if (now && !now.cancelled && now.entry === json && now.photo_id_number === number) continue;
        version++;
        count++;
        changed.set(entry.refId, { entry: json, type: entry.photoIdType, number, version });
        current.set(entry.refId, { ref_id: entry.refId, entry: json, photo_id_number: number, cancelled: false });
      }
      if (count === 0) return 0;
      const list = [...changed.entries()];
      await c.query(
        `INSERT INTO appointment (centre_id, date, ref_id, entry, photo_id_type, photo_id_number, cancelled, version)
         SELECT $1, $2, u.ref_id, u.entry, u.type, u.number, false, u.version
         FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[]) AS u (ref_id, entry, type, number, version)
         ON CONFLICT (centre_id, date, ref_id) DO UPDATE SET entry = excluded.entry, photo_id_type = excluded.photo_id_type,
           photo_id_number = excluded.photo_id_number, cancelled = false, version = excluded.version`,
        [
          centreId,
          date,
          list.map(([ref]) => ref),
          list.map(([, v]) => storable(v.entry)),
          list.map(([, v]) => v.type),
          list.map(([, v]) => v.number),
          list.map(([, v]) => v.version),
        ],
      );
      await c.query('UPDATE roster_clock SET version = $1 WHERE id = 1', [version]);
      return count;
    });
  }

  /** Cancels bookings (unknown or already cancelled ones are skipped). Returns how many were cancelled. */
  async cancelAppointments(centreId: string, date: string, refIds: readonly string[]): Promise<number> {
    if (refIds.length === 0) return 0;
    const refs = refIds.map((r) => r.trim().toUpperCase());
    return this.tx(async (c) => {
      let version = await this.clock(c);
      const { rows } = await c.query<{ ref_id: string; cancelled: boolean }>(
        'SELECT ref_id, cancelled FROM appointment WHERE centre_id = $1 AND date = $2 AND ref_id = ANY($3::text[])',
        [centreId, date, refs],
      );
      const live = new Set(rows.filter((r) => !r.cancelled).map((r) => r.ref_id));
      const cancelled: [string, number][] = [];
      for (const ref of refs) {
        if (!live.delete(ref)) continue;
        cancelled.push([ref, ++version]);
      }
      if (cancelled.length === 0) return 0;
      await c.query(
        `UPDATE appointment a SET cancelled = true, version = u.version
         FROM unnest($3::text[], $4::bigint[]) AS u (ref_id, version)
         WHERE a.centre_id = $1 AND a.date = $2 AND a.ref_id = u.ref_id`,
        [centreId, date, cancelled.map(([r]) => r), cancelled.map(([, v]) => v)],
      );
      await c.query('UPDATE roster_clock SET version = $1 WHERE id = 1', [version]);
      return cancelled.length;
    });
  }

  /** Roster changes after `after`, in version order: upserts for bookings, removes for cancelled ones. */
  async rosterRows(centreId: string, date: string, after: number, limit: number): Promise<RosterRows> {
    const { rows } = await this.run<{ ref_id: string; entry: string; cancelled: boolean; version: number }>(
      `SELECT ref_id, entry, cancelled, version FROM appointment WHERE centre_id = $1 AND date = $2 AND version > $3
       ORDER BY version LIMIT $4`,
      [centreId, date, after, limit + 1],
    );
    const hasMore = rows.length > limit;
    const page = hasMore ? rows.slice(0, limit) : rows;
    return {
      changes: page.map((r): RosterChange =>
        r.cancelled ? { op: 'remove', refId: r.ref_id } : { op: 'upsert', entry: JSON.parse(r.entry) as RosterEntry },
      ),
      lastVersion: page.length > 0 ? page[page.length - 1]!.version : after,
      hasMore,
    };
  }

  // ---- the district's read side ----

  /**
   * One row per centre with anything on `day` (all centres, or the one given), by centre ID, in
   * one query: records and ticket events by the day they carry (one day partition; with a
   * centre, its primary key), rejections by the day (UTC) they were received, as a rejected
   * mutation's payload is not kept (mutation_log_rejected).
   */
  async districtDay(day: string, centreId?: string): Promise<DistrictDayRow[]> {
    if (!isIsoDay(day)) throw refusals.badDay('day');
    // a day PostgreSQL's timestamps cannot hold (year 0000) received nothing
    const from = day >= '0001-01-01' ? `${day}T00:00:00.000Z` : null;
    const to = from ? `${addDays(day, 1)}T00:00:00.000Z` : null;
    const { rows } = await this.run<{
      centre_id: string;
      records: number;
      walk_ins: number;
      check_ins: number;
      possible_duplicates: number;
      rejected: number;
      events: number;
    }>(
      `WITH r AS (
         SELECT centre_id, count(*) AS records, count(*) FILTER (WHERE kind = 'walkin.registered') AS walk_ins,
           count(*) FILTER (WHERE kind = 'checkin.created') AS check_ins,
           count(*) FILTER (WHERE flags ? 'possible_duplicate') AS possible_duplicates
         FROM record WHERE day = $1 AND ($2::text IS NULL OR centre_id = $2) GROUP BY centre_id
       ), e AS (
         SELECT centre_id, count(*) AS events FROM ticket_event WHERE day = $1 AND ($2::text IS NULL OR centre_id = $2)
         GROUP BY centre_id
       ), j AS (
         SELECT centre_id, count(*) AS rejected FROM mutation_log
         WHERE status = 'rejected' AND received_at >= $3::timestamptz AND received_at < $4::timestamptz
           AND ($2::text IS NULL OR centre_id = $2)
         GROUP BY centre_id
       )
       SELECT centre_id, coalesce(r.records, 0) AS records, coalesce(r.walk_ins, 0) AS walk_ins,
         coalesce(r.check_ins, 0) AS check_ins, coalesce(r.possible_duplicates, 0) AS possible_duplicates,
         coalesce(j.rejected, 0) AS rejected, coalesce(e.events, 0) AS events
       FROM r FULL JOIN e USING (centre_id) FULL JOIN j USING (centre_id)
       ORDER BY centre_id`,
      [day, centreId ?? null, from, to],
    );
    return rows.map((r) => ({
      centreId: r.centre_id,
      day,
      records: r.records,
      walkIns: r.walk_ins,
      checkIns: r.check_ins,
      possibleDuplicates: r.possible_duplicates,
      rejected: r.rejected,
      ticketEvents: r.events,
    }));
  }
}
