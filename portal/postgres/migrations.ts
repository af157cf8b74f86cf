/**
 * The portal's schema on PostgreSQL: the same numbered migrations as portal/migrations.ts (same
 * numbers, same names), in PostgreSQL's dialect, recorded in `portal_schema_version`. A new
 * engine has no old data, so version 1 is already the schema for a district; steps that only
 * repaired or tuned an older SQLite file are empty here and keep their number.
 *
 * Keyed by centre. Every table whose rows belong to a centre has centre_id first in its primary
 * key and its indexes, so it can be distributed by centre. On a distributed PostgreSQL such as
 * Citus (not installed here):
 *   - distributed by centre_id, co-located: device_client, mutation_log, record, ticket_event,
 *     appointment, fleet_report, district_settings;
 *     a push touches one centre's rows only, so it runs on one worker;
 *   - reference tables (small, copied to every worker, joined anywhere): device (the tokens),
 *     roster_clock (one row), enrolment (one row per counter, looked up by its code);
 *   - walk_in_photo_id is keyed by the person (photo ID) and not by centre: its one query asks
 *     "has this person been seen at another centre?". Distributed by photo_id_number it stays a
 *     one-worker lookup; the two other cross-centre lookups (appointment_photo_id and
 *     appointment_ref_date) fan out to every worker, which a district can afford and a state
 *     would replace by the same kind of person- or booking-keyed table.
 * What changes at state scale: a unique index must contain the distribution column, so the
 * global "a device ID uploads to one centre only" (device_client_device) becomes a reference
 * table of device IDs and their centre, written once at a device's first push; the one global
 * roster clock (a row lock every booking change takes) becomes a clock per centre
 * (centre_id, version), as rosters are only ever paged within one centre and day; and the
 * mutation log, which grows by every mutation, is pruned past the days a counter can resend.
 *
 * Records and ticket events are partitioned by day (RANGE on `day`, the day the record carries;
 * see partitions.ts): partitions are made ahead, a day without one lands in the DEFAULT
 * partition, and old days are detached and archived. `day` is the YYYY-MM-DD text the protocol
 * carries (COLLATE "C", so its order is the calendar's): every day the protocol accepts is kept
 * as sent, including years PostgreSQL's `date` has no room for (0000).
 *
 * Text that is compared or ordered uses COLLATE "C", so that orders are byte orders as in SQLite
 * and answers are the same on both engines. Payloads and roster entries are kept as the JSON
 * text they were checked as (answered back exactly); flags and duplicate_of are jsonb arrays.
 * The portal's own times are timestamptz (answered as ISO strings with milliseconds and Z);
 * times a counter reports are kept as the text it sent.
 *
 * Indexes exist only for queries the store makes; each names its query (portal/postgres/store.ts).
 */
import { PORTAL_MIGRATIONS } from '../migrations';

export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

const initial = `
-- device tokens (a reference table on Citus): looked up by the token's hash on every request
CREATE TABLE device (
  token_hash text COLLATE "C" PRIMARY KEY,
  centre_id text COLLATE "C" NOT NULL,
  label text NOT NULL,
  revoked boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL
);

-- one row per counter installation: the last sequence number applied for it. A push takes
-- this row's lock (SELECT ... FOR UPDATE): batches of one device are applied one after the
-- other, whichever portal process takes them.
CREATE TABLE device_client (
  centre_id text COLLATE "C" NOT NULL,
  device_id text COLLATE "C" NOT NULL,
  token_hash text COLLATE "C" NOT NULL REFERENCES device (token_hash),
  last_applied_seq bigint NOT NULL CHECK (last_applied_seq >= 0),
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (centre_id, device_id)
);
-- a device ID uploads to one centre only; push, bindDevice, acceptLostRecords, enrolment and
-- fleet find a device by its ID alone (WHERE device_id = $1)
CREATE UNIQUE INDEX device_client_device ON device_client (device_id);

-- The outcome of every mutation taken, applied or not, under its device's sequence number: the
-- ledger that makes uploads exactly once. A resend is answered from it; the unique keys refuse
-- a second application even when two processes race (the batch is then retried).
CREATE TABLE mutation_log (
  centre_id text COLLATE "C" NOT NULL,
  device_id text COLLATE "C" NOT NULL,
  seq bigint NOT NULL,
  mutation_id text COLLATE "C" NOT NULL,
  kind text NOT NULL,
  record_id text COLLATE "C" NOT NULL,
  status text NOT NULL CHECK (status IN ('applied', 'duplicate', 'rejected')),
  code text,
  reason text,
  flags jsonb NOT NULL DEFAULT '[]',
  duplicate_of jsonb NOT NULL DEFAULT '[]',
  received_at timestamptz NOT NULL,
  -- push: a resend's outcome by device and sequence number (WHERE centre_id AND device_id AND seq BETWEEN)
  PRIMARY KEY (centre_id, device_id, seq)
);
-- push: a change sent again under a new sequence number keeps its first outcome (WHERE centre_id AND mutation_id = ANY)
CREATE UNIQUE INDEX mutation_log_mutation ON mutation_log (centre_id, mutation_id);
-- push: a record already taken is a duplicate, whichever device sent it (WHERE centre_id AND record_id = ANY AND applied record)
CREATE UNIQUE INDEX mutation_log_record ON mutation_log (centre_id, record_id)
  WHERE status = 'applied' AND kind IN ('checkin.created', 'walkin.registered');
-- districtDay: rejections of a day (WHERE status = 'rejected' AND received_at in the day)
CREATE INDEX mutation_log_rejected ON mutation_log (centre_id, received_at) WHERE status = 'rejected';

-- records received (walk-ins and check-ins), partitioned by the day they carry
CREATE TABLE record (
  centre_id text COLLATE "C" NOT NULL,
  day text COLLATE "C" NOT NULL,
  record_id text COLLATE "C" NOT NULL,
  kind text NOT NULL CHECK (kind IN ('checkin.created', 'walkin.registered')),
  device_id text COLLATE "C" NOT NULL,
  seq bigint NOT NULL,
  mutation_id text COLLATE "C" NOT NULL,
  -- the payload as sent, JSON text (payload::json for reports)
  payload text NOT NULL,
  flags jsonb NOT NULL DEFAULT '[]',
  duplicate_of jsonb NOT NULL DEFAULT '[]',
  received_at timestamptz NOT NULL,
  -- records, adminRecords, districtDay: a centre's records of a day (WHERE centre_id AND day)
  PRIMARY KEY (centre_id, day, record_id)
) PARTITION BY RANGE (day);
CREATE TABLE record_default PARTITION OF record DEFAULT;

CREATE TABLE ticket_event (
  centre_id text COLLATE "C" NOT NULL,
  day text COLLATE "C" NOT NULL,
  mutation_id text COLLATE "C" NOT NULL,
  ticket_id text COLLATE "C" NOT NULL,
  kind text NOT NULL,
  payload text NOT NULL,
  device_id text COLLATE "C" NOT NULL,
  seq bigint NOT NULL,
  received_at timestamptz NOT NULL,
  -- records (the count), adminRecords, districtDay: a centre's events of a day (WHERE centre_id AND day)
  PRIMARY KEY (centre_id, day, mutation_id)
) PARTITION BY RANGE (day);
CREATE TABLE ticket_event_default PARTITION OF ticket_event DEFAULT;

-- walk-ins with a full photo-ID number, by the person: a walk-in's possible duplicates
CREATE TABLE walk_in_photo_id (
  photo_id_type text COLLATE "C" NOT NULL,
  photo_id_number text COLLATE "C" NOT NULL,
  centre_id text COLLATE "C" NOT NULL,
  record_id text COLLATE "C" NOT NULL,
  received_at timestamptz NOT NULL,
  -- push: the centre's own walk-ins with this photo ID, and whether another centre has one
  -- (WHERE photo_id_type AND photo_id_number AND centre_id = / <> $centre)
  PRIMARY KEY (photo_id_type, photo_id_number, centre_id, record_id)
);

CREATE TABLE appointment (
  centre_id text COLLATE "C" NOT NULL,
  date text COLLATE "C" NOT NULL,
  ref_id text COLLATE "C" NOT NULL,
  -- the roster entry as JSON text (compared as text: an unchanged booking takes no new version)
  entry text NOT NULL,
  photo_id_type text COLLATE "C" NOT NULL,
  -- the full number when the booking has one; never sent to counters
  photo_id_number text COLLATE "C",
  cancelled boolean NOT NULL DEFAULT false,
  version bigint NOT NULL,
  -- upsertAppointments, cancelAppointments, push (booked here?): WHERE centre_id AND date AND ref_id
  PRIMARY KEY (centre_id, date, ref_id)
);
-- rosterRows: WHERE centre_id AND date AND version > $after ORDER BY version LIMIT
CREATE UNIQUE INDEX appointment_version ON appointment (centre_id, date, version);
-- push: a walk-in's bookings with the same photo ID, here and at other centres
-- (WHERE photo_id_type AND photo_id_number AND centre_id = / <> $centre AND NOT cancelled)
CREATE INDEX appointment_photo_id ON appointment (photo_id_type, photo_id_number, centre_id)
  WHERE photo_id_number IS NOT NULL AND NOT cancelled;

-- the global roster change counter (one row, a reference table on Citus): every insert, change
-- or cancel takes the next value under this row's lock, so versions commit in their order
CREATE TABLE roster_clock (
  id integer PRIMARY KEY CHECK (id = 1),
  version bigint NOT NULL
);
INSERT INTO roster_clock (id, version) VALUES (1, 0);
`;

/** 2: SQLite dropped an index on ticket events by ticket; version 1 here never made it. */
const dropEventTicketIndex = `SELECT 1;`;

/** 3: SQLite stopped logging applied outcomes; here the mutation log is the ledger of every outcome (see version 1). */
const appliedByEffect = `SELECT 1;`;

/** 4: push: a check-in's booking at another centre (WHERE ref_id AND date AND centre_id <> $centre AND NOT cancelled). */
const appointmentByRef = `CREATE INDEX appointment_ref_date ON appointment (ref_id, date) WHERE NOT cancelled;`;

/** 5: SQLite dropped other centres' IDs from duplicate_of kept by an older version; nothing of the kind here. */
const ownCentreDuplicates = `SELECT 1;`;

/**
 * 6: records: a device's own records told apart by its token (WHERE centre_id AND token_hash);
 * fleet: the device IDs a token is bound to (same).
 */
const clientByToken = `CREATE INDEX device_client_token ON device_client (centre_id, token_hash);`;

/**
 * 7: enrolments, the one-time codes IT makes for a new counter (see portal/schema-enrolment.ts).
 * A reference table on Citus: one row per counter, found by its code's hash.
 */
const enrolment = `
CREATE TABLE enrolment (
  -- redeem: WHERE code_hash = $1
  code_hash text COLLATE "C" PRIMARY KEY,
  centre_id text COLLATE "C" NOT NULL,
  -- the centre as the counter's provisioning takes it (JSON text): id, name, nameHi, timeZone
  centre text NOT NULL,
  counter_code text COLLATE "C" NOT NULL,
  token_prefix text COLLATE "C" NOT NULL,
  label text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  redeemed_at timestamptz,
  redeemed_device_id text COLLATE "C",
  token_hash text COLLATE "C" REFERENCES device (token_hash),
  -- the order enrolments were made in (list: created_at, then this)
  made bigint GENERATED ALWAYS AS IDENTITY,
  CHECK ((redeemed_at IS NULL) = (redeemed_device_id IS NULL)),
  CHECK ((redeemed_at IS NULL) = (token_hash IS NULL))
);
-- list: WHERE centre_id ORDER BY created_at, made; create: a centre's counters and token prefixes (WHERE centre_id AND ...)
CREATE INDEX enrolment_centre ON enrolment (centre_id, created_at, made);
-- redeem: the enrolment that gave a device its token (WHERE redeemed_device_id AND token_hash)
CREATE INDEX enrolment_device ON enrolment (redeemed_device_id) WHERE redeemed_device_id IS NOT NULL;
`;

/** 8: district settings, every version IT publishes for a centre (see portal/schema-district-settings.ts). */
const districtSettings = `
CREATE TABLE district_settings (
  centre_id text COLLATE "C" NOT NULL,
  version integer NOT NULL CHECK (version > 0),
  settings text NOT NULL,
  published_at timestamptz NOT NULL,
  -- latest, latestVersion: WHERE centre_id ORDER BY version DESC LIMIT 1
  PRIMARY KEY (centre_id, version)
);
`;

/** 9: fleet reports, the latest report of each counter (see portal/schema-fleet.ts). */
const fleetReport = `
CREATE TABLE fleet_report (
  centre_id text COLLATE "C" NOT NULL,
  device_id text COLLATE "C" NOT NULL,
  token_hash text COLLATE "C" NOT NULL,
  counter_code text COLLATE "C" NOT NULL,
  app_version text NOT NULL,
  schema_version integer NOT NULL,
  pending bigint NOT NULL CHECK (pending >= 0),
  oldest_pending_age_s bigint,
  roster_pulled_at text,
  printer_state text NOT NULL CHECK (printer_state IN ('ok', 'failed', 'unknown')),
  printer_error_code text,
  printer_failed_at text,
  clock_offset_ms bigint,
  counter_time text NOT NULL,
  received_at timestamptz NOT NULL,
  -- record: the device's row (ON CONFLICT (centre_id, device_id)); all: ORDER BY centre_id, counter_code, device_id
  PRIMARY KEY (centre_id, device_id)
);
-- record: the device a token first reported for (WHERE centre_id AND token_hash LIMIT 1)
CREATE INDEX fleet_report_token ON fleet_report (centre_id, token_hash);
`;

export const PG_MIGRATIONS: readonly PgMigration[] = [
  { version: 1, name: 'initial', sql: initial },
  { version: 2, name: 'drop-event-ticket-index', sql: dropEventTicketIndex },
  { version: 3, name: 'applied-by-effect', sql: appliedByEffect },
  { version: 4, name: 'appointment-by-ref', sql: appointmentByRef },
  { version: 5, name: 'own-centre-duplicates', sql: ownCentreDuplicates },
  { version: 6, name: 'client-by-token', sql: clientByToken },
  { version: 7, name: 'enrolment', sql: enrolment },
  { version: 8, name: 'district-settings', sql: districtSettings },
  { version: 9, name: 'fleet-report', sql: fleetReport },
];

/** The two engines' migrations keep the same numbers and names (a test checks it). */
export function checkMigrationsMatch(pgMigrations: readonly PgMigration[] = PG_MIGRATIONS): void {
  pgMigrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  if (pgMigrations !== PG_MIGRATIONS) return;
  const sqlite = PORTAL_MIGRATIONS.map((m) => `${m.version} ${m.name}`).join(', ');
  const pg = pgMigrations.map((m) => `${m.version} ${m.name}`).join(', ');
  if (sqlite !== pg) throw new Error(`the PostgreSQL migrations (${pg}) differ from the SQLite ones (${sqlite})`);
}
