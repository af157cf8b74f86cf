import { districtSettingsSchemaSql } from './schema-district-settings';
import { enrolmentSchemaSql } from './schema-enrolment';
import { fleetSchemaSql } from './schema-fleet';

/** The portal's numbered schema migrations, recorded in PRAGMA user_version (same scheme as the counter's). */
export interface PortalMigration {
  version: number;
  name: string;
  sql: string;
}

const initial = `
CREATE TABLE device (
  token_hash TEXT PRIMARY KEY,
  centre_id TEXT NOT NULL,
  label TEXT NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
  created_at TEXT NOT NULL
) STRICT;

-- one row per counter installation: the last sequence number applied for it
CREATE TABLE device_client (
  device_id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL REFERENCES device (token_hash),
  centre_id TEXT NOT NULL,
  last_applied_seq INTEGER NOT NULL CHECK (last_applied_seq >= 0),
  updated_at TEXT NOT NULL
) STRICT;

-- every mutation a device sent under a sequence number, applied or rejected; a rejection is final
CREATE TABLE mutation_log (
  device_id TEXT NOT NULL REFERENCES device_client (device_id),
  seq INTEGER NOT NULL,
  mutation_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  record_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('applied', 'duplicate', 'rejected')),
  code TEXT,
  reason TEXT,
  flags TEXT NOT NULL DEFAULT '[]',
  duplicate_of TEXT NOT NULL DEFAULT '[]',
  received_at TEXT NOT NULL,
  PRIMARY KEY (device_id, seq)
) STRICT;

CREATE TABLE record (
  record_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('checkin.created', 'walkin.registered')),
  centre_id TEXT NOT NULL,
  day TEXT NOT NULL,
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  mutation_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  flags TEXT NOT NULL DEFAULT '[]',
  duplicate_of TEXT NOT NULL DEFAULT '[]',
  -- walk-ins only: normalized photo ID, for possible-duplicate checks
  photo_id_type TEXT,
  photo_id_number TEXT,
  received_at TEXT NOT NULL
) STRICT;
CREATE INDEX record_centre_day ON record (centre_id, day);
CREATE INDEX record_photo_id ON record (photo_id_type, photo_id_number) WHERE photo_id_number IS NOT NULL;

CREATE TABLE ticket_event (
  mutation_id TEXT PRIMARY KEY,
  ticket_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  centre_id TEXT NOT NULL,
  day TEXT NOT NULL,
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  received_at TEXT NOT NULL
) STRICT;
CREATE INDEX ticket_event_ticket ON ticket_event (ticket_id);
CREATE INDEX ticket_event_centre_day ON ticket_event (centre_id, day);

CREATE TABLE appointment (
  centre_id TEXT NOT NULL,
  date TEXT NOT NULL,
  ref_id TEXT NOT NULL,
  entry TEXT NOT NULL,
  photo_id_type TEXT NOT NULL,
  -- the full number when the booking has one; never sent to counters
  photo_id_number TEXT,
  cancelled INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),
  version INTEGER NOT NULL,
  PRIMARY KEY (centre_id, date, ref_id)
) STRICT;
CREATE UNIQUE INDEX appointment_version ON appointment (centre_id, date, version);
CREATE INDEX appointment_photo_id ON appointment (photo_id_type, photo_id_number) WHERE photo_id_number IS NOT NULL;

-- the global roster change counter: every insert, change or cancel takes the next value
CREATE TABLE roster_clock (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
) STRICT;
INSERT INTO roster_clock (id, version) VALUES (1, 0);
`;

/**
 * 2: no query reads ticket events by ticket, and that index cost every pushed event a write
 * at a scattered place in it (ticket IDs are older than the events on them).
 */
const dropEventTicketIndex = `DROP INDEX ticket_event_ticket;`;

/**
 * 3: an applied mutation is remembered by its effect alone (the record or the ticket event,
 * found by device and sequence number); the mutation log keeps the outcomes that left no
 * effect (rejected, duplicate). One row and its indexes fewer per applied mutation. Applied
 * outcomes logged before stay in the log and are still found there first.
 */
const appliedByEffect = `
CREATE UNIQUE INDEX record_device_seq ON record (device_id, seq);
CREATE UNIQUE INDEX ticket_event_device_seq ON ticket_event (device_id, seq);
`;

/**
 * 4: a check-in's booking looked up by reference and day across centres, so a check-in for
 * another centre's booking is told apart from one the portal does not know.
 */
const appointmentByRef = `CREATE INDEX appointment_ref_date ON appointment (ref_id, date);`;

/**
 * 5: a walk-in's possible duplicates name only its own centre's records and bookings. What an
 * earlier version kept of another centre (a record ID or booking reference in duplicate_of, on
 * the record and in the mutation log, answered again to a resend) is dropped; the record keeps
 * its flag and is marked other_centre.
 */
const ownCentreDuplicates = `
CREATE TEMP TABLE own_duplicates AS
  SELECT record_id, (
      SELECT json_group_array(j.value) FROM json_each(record.duplicate_of) AS j
      WHERE EXISTS (SELECT 1 FROM record AS r WHERE r.record_id = j.value AND r.centre_id = record.centre_id)
         OR EXISTS (SELECT 1 FROM appointment AS a WHERE a.ref_id = j.value AND a.centre_id = record.centre_id)
    ) AS kept
  FROM record WHERE duplicate_of <> '[]';
UPDATE record SET
  flags = CASE WHEN flags LIKE '%other_centre%' THEN flags ELSE json_insert(flags, '$[#]', 'other_centre') END,
  duplicate_of = (SELECT kept FROM own_duplicates AS o WHERE o.record_id = record.record_id)
WHERE record_id IN (SELECT record_id FROM own_duplicates WHERE json_array_length(kept) < json_array_length(
  (SELECT duplicate_of FROM record AS r WHERE r.record_id = own_duplicates.record_id)));
UPDATE mutation_log SET duplicate_of = (
    SELECT json_group_array(j.value) FROM json_each(mutation_log.duplicate_of) AS j
    WHERE EXISTS (SELECT 1 FROM record AS r JOIN device_client AS c ON c.device_id = mutation_log.device_id
                  WHERE r.record_id = j.value AND r.centre_id = c.centre_id)
       OR EXISTS (SELECT 1 FROM appointment AS a JOIN device_client AS c ON c.device_id = mutation_log.device_id
                  WHERE a.ref_id = j.value AND a.centre_id = c.centre_id)
  )
WHERE duplicate_of <> '[]';
DROP TABLE own_duplicates;
`;

/** 6: a device's own records told apart from others' by its token (the records a device is answered). */
const clientByToken = `CREATE INDEX device_client_token ON device_client (token_hash);`;

export const PORTAL_MIGRATIONS: readonly PortalMigration[] = [
  { version: 1, name: 'initial', sql: initial },
  { version: 2, name: 'drop-event-ticket-index', sql: dropEventTicketIndex },
  { version: 3, name: 'applied-by-effect', sql: appliedByEffect },
  { version: 4, name: 'appointment-by-ref', sql: appointmentByRef },
  { version: 5, name: 'own-centre-duplicates', sql: ownCentreDuplicates },
  { version: 6, name: 'client-by-token', sql: clientByToken },
  { version: 7, name: 'enrolment', sql: enrolmentSchemaSql },
  { version: 8, name: 'district-settings', sql: districtSettingsSchemaSql },
  { version: 9, name: 'fleet-report', sql: fleetSchemaSql },
];
