/**
 * The portal's SQLite store: devices and their tokens, the per-device sequence numbers and
 * mutation log that make uploads exactly-once, the records and ticket events received, and
 * the appointments counters pull as rosters. All SQL of the portal lives here.
 */
import { createHmac, randomBytes } from 'node:crypto';
import Database, { type Statement } from 'better-sqlite3';
import type { RosterEntry } from '../common/domain';
import { isIsoDay } from '../common/rules/centre-day';
import { normalizePhotoId } from '../common/rules/photo-id';
import type {
  Mutation,
  PortalRecord,
  PushRequest,
  PushResponse,
  PushResult,
  RecordsResponse,
  RosterChange,
} from '../common/sync-protocol';
import { DistrictSettingsStore } from './district-settings-store';
import { EnrolmentStore } from './enrolment-store';
import { FleetStore } from './fleet-store';
import { PORTAL_MIGRATIONS, type PortalMigration } from './migrations';
import { MAX_DUPLICATE_OF, checkMutation, sequenceReused, toResult, unbookedCheckIn, type Outcome } from './push-rules';
import { toDeviceClient } from './rows';
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
} from './store-api';

export type PortalDb = Database.Database;

/**
 * Opens (creating if needed) the portal's SQLite file like the counter opens its own: WAL with
 * synchronous=FULL, so an acknowledged push survives power loss; numbered migrations in
 * user_version; a newer file is refused before anything writes to it.
 */
export function openPortalDb(file: string, migrations: readonly PortalMigration[] = PORTAL_MIGRATIONS): PortalDb {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  const db = new Database(file);
  try {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > migrations.length) throw new PortalSchemaTooNewError(current, migrations.length, file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    for (const m of migrations.slice(current)) {
      db.transaction(() => {
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      }).immediate();
    }
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

interface RecordRow {
  record_id: string;
  kind: PortalRecord['kind'];
  centre_id: string;
  day: string;
  device_id: string;
  seq: number;
  mutation_id: string;
  payload: string;
  flags: string;
  duplicate_of: string;
  received_at: string;
}

function toPortalRecord(r: RecordRow): PortalRecord {
  return {
    recordId: r.record_id,
    kind: r.kind,
    deviceId: r.device_id,
    seq: r.seq,
    mutationId: r.mutation_id,
    day: r.day,
    receivedAt: r.received_at,
    flags: JSON.parse(r.flags) as string[],
  };
}

interface LogRow {
  device_id: string;
  seq: number;
  mutation_id: string;
  status: 'applied' | 'duplicate' | 'rejected';
  code: string | null;
  reason: string | null;
  flags: string;
  duplicate_of: string;
}

/** What a mutation already in the log answers when it is sent again: never `applied` twice. */
function fromLog(row: LogRow): Outcome {
  if (row.status === 'rejected') return { status: 'rejected', code: row.code ?? 'rejected', reason: row.reason ?? undefined };
  return { status: 'duplicate', flags: JSON.parse(row.flags) as string[], duplicateOf: JSON.parse(row.duplicate_of) as string[] };
}

/** What a record already taken answers when it arrives again. */
const duplicateOfRecord = (r: { flags: string; duplicate_of: string }): Outcome => ({
  status: 'duplicate',
  flags: JSON.parse(r.flags) as string[],
  duplicateOf: JSON.parse(r.duplicate_of) as string[],
});

/** One mutation-log row's values, in column order. */
type LogValues = [string, number, string, string, string, string, string | null, string | null, string, string, string];
const LOG_ROWS_PER_INSERT = 50;

/**
 * The portal's store on one SQLite file (the embedded default). Every method answers a promise,
 * as the PortalStore interface asks, but the work inside is synchronous: each change is one
 * IMMEDIATE transaction on the one connection, so no two changes interleave.
 */
export class SqlitePortalStore implements PortalStore {
  readonly engine = 'sqlite' as const;
  readonly enrolments: EnrolmentStore;
  readonly fleet: FleetStore;
  readonly districtSettings: DistrictSettingsStore;
  private readonly q;

  constructor(readonly db: PortalDb) {
    this.enrolments = new EnrolmentStore(db);
    this.fleet = new FleetStore(db);
    this.districtSettings = new DistrictSettingsStore(db);
    this.q = {
      deviceByHash: db.prepare<
        [string],
        { token_hash: string; centre_id: string; label: string; revoked: number; created_at: string }
      >('SELECT token_hash, centre_id, label, revoked, created_at FROM device WHERE token_hash = ?'),
      upsertDevice: db.prepare(
        `INSERT INTO device (token_hash, centre_id, label, revoked, created_at) VALUES (?, ?, ?, 0, ?)
         ON CONFLICT (token_hash) DO UPDATE SET centre_id = excluded.centre_id, label = excluded.label, revoked = 0`,
      ),
      revokeDevice: db.prepare('UPDATE device SET revoked = 1 WHERE token_hash = ?'),
      rebindClient: db.prepare('UPDATE device_client SET token_hash = ?, updated_at = ? WHERE device_id = ?'),
      client: db.prepare<[string], { device_id: string; token_hash: string; centre_id: string; last_applied_seq: number }>(
        'SELECT device_id, token_hash, centre_id, last_applied_seq FROM device_client WHERE device_id = ?',
      ),
      insertClient: db.prepare(
        'INSERT INTO device_client (device_id, token_hash, centre_id, last_applied_seq, updated_at) VALUES (?, ?, ?, 0, ?)',
      ),
      clientsOfToken: db.prepare<[string], { device_id: string }>('SELECT device_id FROM device_client WHERE token_hash = ?'),
      advanceClient: db.prepare('UPDATE device_client SET last_applied_seq = ?, updated_at = ? WHERE device_id = ?'),
      clients: db.prepare<[], { device_id: string; centre_id: string; last_applied_seq: number; updated_at: string }>(
        'SELECT device_id, centre_id, last_applied_seq, updated_at FROM device_client ORDER BY centre_id, device_id',
      ),
      logBySeq: db.prepare<[string, number], LogRow>('SELECT * FROM mutation_log WHERE device_id = ? AND seq = ?'),
      logByMutation: db.prepare<[string], LogRow>('SELECT * FROM mutation_log WHERE mutation_id = ?'),
      // a batch's mutation IDs already logged, in one lookup (a JSON array of IDs)
      logByMutations: db.prepare<[string], LogRow>(
        'SELECT * FROM mutation_log WHERE mutation_id IN (SELECT value FROM json_each(?))',
      ),
      record: db.prepare<[string], { flags: string; duplicate_of: string }>(
        'SELECT flags, duplicate_of FROM record WHERE record_id = ?',
      ),
      // what an applied mutation left, by device and sequence number (applied outcomes are not logged)
      recordBySeq: db.prepare<[string, number], { mutation_id: string; flags: string; duplicate_of: string }>(
        'SELECT mutation_id, flags, duplicate_of FROM record WHERE device_id = ? AND seq = ?',
      ),
      eventBySeq: db.prepare<[string, number], { mutation_id: string }>(
        'SELECT mutation_id FROM ticket_event WHERE device_id = ? AND seq = ?',
      ),
      eventByMutation: db.prepare<[string], { mutation_id: string }>(
        'SELECT mutation_id FROM ticket_event WHERE mutation_id = ?',
      ),
      insertRecord: db.prepare(
        `INSERT INTO record (record_id, kind, centre_id, day, device_id, seq, mutation_id, payload, flags, duplicate_of,
           photo_id_type, photo_id_number, received_at)
         VALUES (@recordId, @kind, @centreId, @day, @deviceId, @seq, @mutationId, @payload, @flags, @duplicateOf,
           @photoIdType, @photoIdNumber, @receivedAt)`,
      ),
      // a centre's own matches are named; another centre's only counted (never their identifiers)
      // The limit is written into the SQL, not bound: SQLite plans with a bound LIMIT's value, so
      // binding one makes the statement be prepared again at each run (a few µs per walk-in).
      walkInsByPhotoId: db.prepare<[string, string, string], { record_id: string }>(
        `SELECT record_id FROM record WHERE photo_id_type = ? AND photo_id_number = ? AND centre_id = ?
         ORDER BY received_at, record_id LIMIT ${MAX_DUPLICATE_OF}`,
      ),
      appointmentsByPhotoId: db.prepare<[string, string, string], { ref_id: string }>(
        `SELECT ref_id FROM appointment WHERE photo_id_type = ? AND photo_id_number = ? AND centre_id = ? AND cancelled = 0
         ORDER BY date, ref_id LIMIT ${MAX_DUPLICATE_OF}`,
      ),
      photoIdElsewhere: db.prepare<[string, string, string, string, string, string], { found: number }>(
        `SELECT EXISTS (SELECT 1 FROM record WHERE photo_id_type = ? AND photo_id_number = ? AND centre_id <> ?)
             OR EXISTS (SELECT 1 FROM appointment WHERE photo_id_type = ? AND photo_id_number = ? AND centre_id <> ?
               AND cancelled = 0) AS found`,
      ),
      booked: db.prepare<[string, string, string], { ref_id: string }>(
        'SELECT ref_id FROM appointment WHERE centre_id = ? AND date = ? AND ref_id = ? AND cancelled = 0',
      ),
      bookedElsewhere: db.prepare<[string, string, string], { ref_id: string }>(
        'SELECT ref_id FROM appointment WHERE ref_id = ? AND date = ? AND centre_id <> ? AND cancelled = 0 LIMIT 1',
      ),
      insertEvent: db.prepare(
        `INSERT INTO ticket_event (mutation_id, ticket_id, kind, payload, centre_id, day, device_id, seq, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (mutation_id) DO NOTHING`,
      ),
      recordsOfDay: db.prepare<[string, string], RecordRow>(
        'SELECT * FROM record WHERE centre_id = ? AND day = ? ORDER BY received_at, device_id, seq',
      ),
      eventCount: db.prepare<[string, string], { n: number }>(
        'SELECT count(*) AS n FROM ticket_event WHERE centre_id = ? AND day = ?',
      ),
      eventsOfDay: db.prepare<
        [string, string],
        {
          mutation_id: string;
          ticket_id: string;
          kind: string;
          payload: string;
          device_id: string;
          seq: number;
          day: string;
          received_at: string;
        }
      >('SELECT * FROM ticket_event WHERE centre_id = ? AND day = ? ORDER BY received_at, device_id, seq'),
      appointment: db.prepare<[string, string, string], { entry: string; photo_id_number: string | null; cancelled: number }>(
        'SELECT entry, photo_id_number, cancelled FROM appointment WHERE centre_id = ? AND date = ? AND ref_id = ?',
      ),
      tick: db.prepare<[], { version: number }>('UPDATE roster_clock SET version = version + 1 WHERE id = 1 RETURNING version'),
      upsertAppointment: db.prepare(
        `INSERT INTO appointment (centre_id, date, ref_id, entry, photo_id_type, photo_id_number, cancelled, version)
         VALUES (@centreId, @date, @refId, @entry, @photoIdType, @photoIdNumber, 0, @version)
         ON CONFLICT (centre_id, date, ref_id) DO UPDATE SET entry = excluded.entry, photo_id_type = excluded.photo_id_type,
           photo_id_number = excluded.photo_id_number, cancelled = 0, version = excluded.version`,
      ),
      cancelAppointment: db.prepare(
        'UPDATE appointment SET cancelled = 1, version = ? WHERE centre_id = ? AND date = ? AND ref_id = ? AND cancelled = 0',
      ),
      rosterRows: db.prepare<
        [string, string, number, number],
        { ref_id: string; entry: string; cancelled: number; version: number }
      >(
        `SELECT ref_id, entry, cancelled, version FROM appointment WHERE centre_id = ? AND date = ? AND version > ?
         ORDER BY version LIMIT ?`,
      ),
      // The district's read side. The centres come from device_client (every record and event
      // came from one of its devices), so the (centre_id, day) indexes serve a day of all centres.
      dayRecords: db.prepare<
        { day: string; centreId: string | null },
        { centre_id: string; records: number; walk_ins: number; check_ins: number; possible_duplicates: number }
      >(
        `SELECT centre_id, count(*) AS records, sum(kind = 'walkin.registered') AS walk_ins,
           sum(kind = 'checkin.created') AS check_ins, sum(flags LIKE '%"possible_duplicate"%') AS possible_duplicates
         FROM record
         WHERE centre_id IN (SELECT DISTINCT centre_id FROM device_client WHERE @centreId IS NULL OR centre_id = @centreId)
           AND day = @day
         GROUP BY centre_id`,
      ),
      dayEvents: db.prepare<{ day: string; centreId: string | null }, { centre_id: string; n: number }>(
        `SELECT centre_id, count(*) AS n FROM ticket_event
         WHERE centre_id IN (SELECT DISTINCT centre_id FROM device_client WHERE @centreId IS NULL OR centre_id = @centreId)
           AND day = @day
         GROUP BY centre_id`,
      ),
      // A rejected mutation's payload is not kept, so its day is the day (UTC) the portal received it.
      // The mutation log holds only outcomes that left no effect (rejections, duplicates): a scan of it.
      dayRejected: db.prepare<{ day: string; centreId: string | null }, { centre_id: string; n: number }>(
        `SELECT c.centre_id, count(*) AS n FROM mutation_log l JOIN device_client c ON c.device_id = l.device_id
         WHERE l.status = 'rejected' AND substr(l.received_at, 1, 10) = @day
           AND (@centreId IS NULL OR c.centre_id = @centreId)
         GROUP BY c.centre_id`,
      ),
      ping: db.prepare<[], { ok: number }>('SELECT 1 AS ok'),
    };
  }

  static open(file: string): SqlitePortalStore {
    return new SqlitePortalStore(openPortalDb(file));
  }

  /** The file is opened and migrated in the constructor: ready at once. */
  async ready(): Promise<void> {}

  async check(): Promise<void> {
    this.q.ping.get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  // ---- devices ----

  /** Adds a device token for a centre (or moves it, relabels it and lifts a revocation). */
  async addDevice(input: { token: string; centreId: string; label: string }, now: Date): Promise<void> {
    this.q.upsertDevice.run(hashToken(input.token), input.centreId, input.label, now.toISOString());
  }

  /** true when the token was known */
  async revokeDevice(token: string): Promise<boolean> {
    return this.q.revokeDevice.run(hashToken(token)).changes > 0;
  }

  async deviceByToken(token: string): Promise<Device | undefined> {
    const row = this.q.deviceByHash.get(hashToken(token));
    return (
      row && {
        tokenHash: row.token_hash,
        centreId: row.centre_id,
        label: row.label,
        revoked: row.revoked === 1,
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
    return this.db
      .transaction(() => {
        const device = this.q.deviceByHash.get(hashToken(token));
        if (!device) throw refusals.unknownToken();
        if (device.revoked === 1) throw refusals.tokenRevoked();
        const client = this.q.client.get(id);
        if (!client) {
          this.q.insertClient.run(id, device.token_hash, device.centre_id, now.toISOString());
          return { deviceId: id, centreId: device.centre_id, rebound: false };
        }
        if (client.centre_id !== device.centre_id) {
          throw refusals.wrongCentre(id, client.centre_id, device.centre_id);
        }
        this.q.rebindClient.run(device.token_hash, now.toISOString(), id);
        return { deviceId: id, centreId: client.centre_id, rebound: client.token_hash !== device.token_hash };
      })
      .immediate();
  }

  async clients(): Promise<DeviceClient[]> {
    return this.q.clients.all().map(toDeviceClient);
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
    return this.db
      .transaction(() => {
        const client = this.q.client.get(id);
        if (!client) throw refusals.unknownDevice(id);
        if (lastAppliedSeq <= client.last_applied_seq) {
          throw refusals.notAhead(id, client.last_applied_seq);
        }
        this.q.advanceClient.run(lastAppliedSeq, now.toISOString(), id);
        return { deviceId: id, from: client.last_applied_seq, to: lastAppliedSeq };
      })
      .immediate();
  }

  // ---- push ----

  /**
   * Applies a batch exactly once, in one IMMEDIATE transaction: each new mutation's effect,
   * its mutation-log row and the device's `last_applied_seq` commit together or not at all.
   * Throws PortalError for answers that apply nothing (403 device_token_mismatch, 409 sequence_gap).
   * The caller has checked the token and that `req.centreId` is the token's centre.
   */
  async push(req: PushRequest, ctx: PushContext): Promise<PushResponse> {
    const now = ctx.now.toISOString();
    const deviceId = req.deviceId.toLowerCase();
    // A new device is remembered even when its first push is refused (a sequence gap after this
    // portal was restored from a backup): IT can then see it and accept the records lost.
    if (!this.q.client.get(deviceId)) this.q.insertClient.run(deviceId, ctx.tokenHash, req.centreId, now);
    return this.db
      .transaction((): PushResponse => {
        let client = this.q.client.get(deviceId);
        // Never taken over implicitly, not even after its token was revoked: IT rebinds a device
        // ID to a new token through the admin API (bindDevice), so no other device gets there first.
        if (client && client.token_hash !== ctx.tokenHash) {
          throw refusals.deviceTokenMismatch(deviceId);
        }
        if (!client) {
          this.q.insertClient.run(deviceId, ctx.tokenHash, req.centreId, now);
          client = { device_id: deviceId, token_hash: ctx.tokenHash, centre_id: req.centreId, last_applied_seq: 0 };
        }
        let last = client.last_applied_seq;
        const gap = sequenceProblem(
          req.mutations.map((m) => m.seq),
          last,
        );
        if (gap) throw gap;
        const results: PushResult[] = [];
        const fresh = req.mutations.filter((m) => m.seq > last).map((m) => m.mutationId.toLowerCase());
        // outcomes of mutations logged before, and of those logged by this batch so far
        const logged = new Map<string, Outcome>(
          fresh.length > 0 ? this.q.logByMutations.all(JSON.stringify(fresh)).map((row) => [row.mutation_id, fromLog(row)]) : [],
        );
        const logRows: LogValues[] = [];
        for (const m of req.mutations) {
          if (m.seq <= last) {
            results.push(toResult(m, this.resent(deviceId, m)));
            continue;
          }
          const earlier = logged.get(m.mutationId.toLowerCase());
          if (earlier) {
            // the same change sent again under a new sequence number (e.g. from a restored backup):
            // it keeps its first outcome; the new number is used up
            results.push(toResult(m, earlier));
          } else {
            const outcome = this.apply(req, deviceId, m, ctx, now);
            logged.set(m.mutationId.toLowerCase(), outcome.status === 'rejected' ? outcome : { ...outcome, status: 'duplicate' });
            // an applied mutation is remembered by its effect (found by device and seq); the rest here
            if (outcome.status !== 'applied')
              logRows.push([
                deviceId,
                m.seq,
                m.mutationId.toLowerCase(),
                m.kind,
                m.recordId.toLowerCase(),
                outcome.status,
                outcome.code ?? null,
                outcome.reason ?? null,
                outcome.flags?.length ? JSON.stringify(outcome.flags) : '[]',
                outcome.duplicateOf?.length ? JSON.stringify(outcome.duplicateOf) : '[]',
                now,
              ]);
            results.push(toResult(m, outcome));
          }
          last = m.seq;
        }
        this.insertLogs(logRows);
        this.q.advanceClient.run(last, now, deviceId);
        return { deviceId: req.deviceId, lastAppliedSeq: last, results };
      })
      .immediate();
  }

  private readonly logInserts = new Map<number, Statement>();

  /** The batch's mutation-log rows, many to a statement (same transaction as their effects). */
  private insertLogs(rows: readonly LogValues[]): void {
    for (let i = 0; i < rows.length; i += LOG_ROWS_PER_INSERT) {
      const chunk = rows.slice(i, i + LOG_ROWS_PER_INSERT);
      let stmt = this.logInserts.get(chunk.length);
      if (!stmt) {
        stmt = this.db.prepare(
          `INSERT INTO mutation_log (device_id, seq, mutation_id, kind, record_id, status, code, reason, flags, duplicate_of, received_at)
           VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        );
        this.logInserts.set(chunk.length, stmt);
      }
      stmt.run(...chunk.flat());
    }
  }

  /**
   * A mutation under a sequence number already used: the same change again (its first outcome,
   * from the log or from the effect it left), or a different one (never acknowledged).
   */
  private resent(deviceId: string, m: Mutation): Outcome {
    const mutationId = m.mutationId.toLowerCase();
    const reused = sequenceReused(m.seq);
    const log = this.q.logBySeq.get(deviceId, m.seq);
    if (log) return log.mutation_id === mutationId ? fromLog(log) : reused;
    const record = this.q.recordBySeq.get(deviceId, m.seq);
    if (record) {
      if (record.mutation_id !== mutationId) return reused;
      return {
        status: 'duplicate',
        flags: JSON.parse(record.flags) as string[],
        duplicateOf: JSON.parse(record.duplicate_of) as string[],
      };
    }
    const event = this.q.eventBySeq.get(deviceId, m.seq);
    if (event) return event.mutation_id === mutationId ? { status: 'duplicate' } : reused;
    const elsewhere = this.q.logByMutation.get(mutationId);
    return elsewhere ? fromLog(elsewhere) : reused;
  }

  private apply(req: PushRequest, deviceId: string, m: Mutation, ctx: PushContext, now: string): Outcome {
    const recordId = m.recordId.toLowerCase();
    if (ctx.rejectRecordIds?.has(recordId)) {
      // what this portal has already taken stays taken (the same change sent again under a new seq)
      const isRecord = m.kind === 'walkin.registered' || m.kind === 'checkin.created';
      const had = isRecord ? this.q.record.get(recordId) : this.q.eventByMutation.get(m.mutationId.toLowerCase());
      if (!had)
        return { status: 'rejected', code: ctx.rejectCode ?? 'rejected_by_portal', reason: 'the portal refused this record' };
    }
    const change = checkMutation(m);
    if (change.kind === 'rejected') {
      // a record already taken answers as a duplicate before its photo ID is checked
      const existing = change.outcome.code === 'photo_id_invalid' ? this.q.record.get(recordId) : undefined;
      return existing ? duplicateOfRecord(existing) : change.outcome;
    }
    if (change.kind === 'event') {
      // applied even when the ticket's record has not arrived: never block other records; the
      // same change already taken under another seq (from a restored counter) is a duplicate
      const { changes } = this.q.insertEvent.run(
        change.mutationId,
        change.ticketId,
        m.kind,
        change.payload,
        req.centreId,
        change.day,
        deviceId,
        m.seq,
        now,
      );
      return changes === 0 ? { status: 'duplicate' } : { status: 'applied' };
    }

    const existing = this.q.record.get(recordId);
    if (existing) return duplicateOfRecord(existing);
    let flags: string[] = [];
    let duplicateOf: string[] = [];
    if (change.walkIn && change.photoIdType !== null && change.photoIdNumber !== null) {
      const { photoIdType, photoIdNumber } = change;
      duplicateOf = [
        ...this.q.walkInsByPhotoId.all(photoIdType, photoIdNumber, req.centreId).map((r) => r.record_id),
        ...this.q.appointmentsByPhotoId.all(photoIdType, photoIdNumber, req.centreId).map((r) => r.ref_id),
      ].slice(0, MAX_DUPLICATE_OF);
      // flagged for a person to look at, never merged; a match at another centre is a flag and nothing else
      const elsewhere =
        this.q.photoIdElsewhere.get(photoIdType, photoIdNumber, req.centreId, photoIdType, photoIdNumber, req.centreId)!.found ===
        1;
      if (duplicateOf.length > 0 || elsewhere) flags = ['possible_duplicate'];
      if (elsewhere) flags.push('other_centre');
    } else if (!change.walkIn && change.refId !== null) {
      // the portal's own bookings decide, whatever the device says
      const refId = change.refId;
      if (!this.q.booked.get(req.centreId, change.day, refId)) {
        const elsewhere = change.verified && this.q.bookedElsewhere.get(refId, change.day, req.centreId) !== undefined;
        const refused = unbookedCheckIn(change, elsewhere);
        if (refused) return refused;
        // a booking made after the roster reached this portal, or not known to it: kept, not confirmed
        flags = ['unverified'];
      }
    }
    this.q.insertRecord.run({
      recordId,
      kind: m.kind,
      centreId: req.centreId,
      day: change.day,
      deviceId,
      seq: m.seq,
      mutationId: change.mutationId,
      payload: change.payload,
      flags: JSON.stringify(flags),
      duplicateOf: JSON.stringify(duplicateOf),
      photoIdType: change.photoIdType,
      photoIdNumber: change.photoIdNumber,
      receivedAt: now,
    });
    return { status: 'applied', flags, duplicateOf };
  }

  // ---- records ----

  /**
   * A centre's records of a day as a device sees them: its own (uploaded under its token) with
   * its device ID; another device's with an opaque ID of that record in place of the device ID,
   * so no device learns another's ID (and so cannot claim it).
   */
  async records(centreId: string, date: string, tokenHash: string): Promise<RecordsResponse> {
    const own = new Set(this.q.clientsOfToken.all(tokenHash).map((c) => c.device_id));
    const records = this.q.recordsOfDay.all(centreId, date).map((r) => {
      const record = toPortalRecord(r);
      return own.has(r.device_id) ? record : { ...record, deviceId: this.opaqueId(r.record_id) };
    });
    return { centreId, date, records, events: this.q.eventCount.get(centreId, date)!.n };
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
    const records = this.q.recordsOfDay.all(centreId, date).map((r): AdminRecord => ({
      ...toPortalRecord(r),
      centreId: r.centre_id,
      duplicateOf: JSON.parse(r.duplicate_of) as string[],
      payload: JSON.parse(r.payload) as Record<string, unknown>,
    }));
    const events = this.q.eventsOfDay.all(centreId, date).map((e): AdminEvent => ({
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

  /** Adds or changes bookings; each one that changes takes the next roster version. Returns how many changed. */
  async upsertAppointments(centreId: string, date: string, entries: readonly AppointmentInput[]): Promise<number> {
    if (!isIsoDay(date)) throw refusals.badDay('date');
    return this.db
      .transaction(() => {
        let changed = 0;
        for (const input of entries) {
          const { photoIdNumber, ...entry } = input;
          const json = JSON.stringify(entry satisfies RosterEntry);
          const number = photoIdNumber ? normalizePhotoId(photoIdNumber) : null;
          const current = this.q.appointment.get(centreId, date, entry.refId);
          if (current && current.cancelled === 0 && current.entry === json && current.photo_id_number === number) continue;
          this.q.upsertAppointment.run({
            centreId,
            date,
            refId: entry.refId,
            entry: json,
            photoIdType: entry.photoIdType,
            photoIdNumber: number,
            version: this.q.tick.get()!.version,
          });
          changed++;
        }
        return changed;
      })
      .immediate();
  }

  /** Cancels bookings (unknown or already cancelled ones are skipped). Returns how many were cancelled. */
  async cancelAppointments(centreId: string, date: string, refIds: readonly string[]): Promise<number> {
    return this.db
      .transaction(() => {
        let cancelled = 0;
        for (const refId of refIds) {
          const current = this.q.appointment.get(centreId, date, refId.trim().toUpperCase());
          if (!current || current.cancelled === 1) continue;
          cancelled += this.q.cancelAppointment.run(
            this.q.tick.get()!.version,
            centreId,
            date,
            refId.trim().toUpperCase(),
          ).changes;
        }
        return cancelled;
      })
      .immediate();
  }

  /** Roster changes after `after`, in version order: upserts for bookings, removes for cancelled ones. */
  async rosterRows(centreId: string, date: string, after: number, limit: number): Promise<RosterRows> {
    const rows = this.q.rosterRows.all(centreId, date, after, limit + 1);
    const hasMore = rows.length > limit;
    const page = hasMore ? rows.slice(0, limit) : rows;
    return {
      changes: page.map((r): RosterChange =>
        r.cancelled === 1 ? { op: 'remove', refId: r.ref_id } : { op: 'upsert', entry: JSON.parse(r.entry) as RosterEntry },
      ),
      lastVersion: page.length > 0 ? page[page.length - 1]!.version : after,
      hasMore,
    };
  }

  // ---- the district's read side ----

  /**
   * One row per centre with anything on `day` (all centres, or the one given), by centre ID:
   * records by the day they carry; rejections by the day (UTC) they were received, as a
   * rejected mutation's payload is not kept.
   */
  async districtDay(day: string, centreId?: string): Promise<DistrictDayRow[]> {
    if (!isIsoDay(day)) throw refusals.badDay('day');
    const params = { day, centreId: centreId ?? null };
    const rows = new Map<string, DistrictDayRow>();
    const row = (id: string): DistrictDayRow => {
      let r = rows.get(id);
      if (!r) {
        r = { centreId: id, day, records: 0, walkIns: 0, checkIns: 0, possibleDuplicates: 0, rejected: 0, ticketEvents: 0 };
        rows.set(id, r);
      }
      return r;
    };
    for (const r of this.q.dayRecords.all(params)) {
      Object.assign(row(r.centre_id), {
        records: r.records,
        walkIns: r.walk_ins,
        checkIns: r.check_ins,
        possibleDuplicates: r.possible_duplicates,
      });
    }
    for (const r of this.q.dayEvents.all(params)) row(r.centre_id).ticketEvents = r.n;
    for (const r of this.q.dayRejected.all(params)) row(r.centre_id).rejected = r.n;
    return [...rows.values()].sort((a, b) => (a.centreId < b.centreId ? -1 : a.centreId > b.centreId ? 1 : 0));
  }
}
