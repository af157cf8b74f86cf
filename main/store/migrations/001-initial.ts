/** 001: the counter's records, the day roster with its name index, and the outbox. */
export const sql = /* sql */ `
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE operator (
  id TEXT PRIMARY KEY,
  login_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('operator', 'supervisor')),
  pin_hash TEXT NOT NULL,
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  locked_until TEXT,
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at TEXT NOT NULL,
  created_by TEXT,
  updated_at TEXT NOT NULL
) STRICT;

-- Local administration (operators, sign-ins, roster imports): not portal data, so no outbox row.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  operator_id TEXT,
  action TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '{}'
) STRICT;

CREATE TABLE roster_import (
  id INTEGER PRIMARY KEY,
  day TEXT NOT NULL,
  source TEXT NOT NULL,
  row_count INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('staging', 'active', 'superseded')),
  imported_at TEXT NOT NULL,
  imported_by TEXT
) STRICT;
-- one active roster per day: tomorrow's roster can be pulled ahead without replacing today's
CREATE UNIQUE INDEX roster_import_one_active ON roster_import (day) WHERE status = 'active';

CREATE TABLE roster_entry (
  rowid INTEGER PRIMARY KEY,
  import_id INTEGER NOT NULL REFERENCES roster_import (id),
  ref_id TEXT NOT NULL,
  ref_last4 TEXT NOT NULL,
  name TEXT NOT NULL,
  name_norm TEXT NOT NULL,
  gender TEXT NOT NULL,
  birth_year INTEGER NOT NULL,
  mobile_last4 TEXT NOT NULL,
  photo_id_type TEXT NOT NULL,
  photo_id_last4 TEXT NOT NULL,
  dose INTEGER NOT NULL,
  slot_time TEXT,
  UNIQUE (import_id, ref_id)
) STRICT;
CREATE INDEX roster_entry_ref_last4 ON roster_entry (import_id, ref_last4);
CREATE INDEX roster_entry_mobile_last4 ON roster_entry (import_id, mobile_last4);
CREATE INDEX roster_entry_photo_last4 ON roster_entry (import_id, photo_id_last4);
CREATE INDEX roster_entry_name ON roster_entry (import_id, name_norm);

-- Trigram index of normalized names: substring and typo-tolerant search. Rows are added and
-- removed with their roster_entry rows by the importer (contentless, so deletes are by rowid).
CREATE VIRTUAL TABLE roster_name_fts USING fts5 (
  name_norm,
  content = '',
  contentless_delete = 1,
  tokenize = 'trigram'
);

CREATE TABLE walkin (
  id TEXT PRIMARY KEY,
  submission_id TEXT NOT NULL UNIQUE,
  day TEXT NOT NULL,
  name TEXT NOT NULL,
  name_norm TEXT NOT NULL,
  gender TEXT NOT NULL,
  birth_year INTEGER NOT NULL,
  mobile TEXT NOT NULL,
  photo_id_type TEXT NOT NULL,
  -- the full number is kept until the portal acknowledges the record (sync), then reduced
  photo_id_number TEXT NOT NULL,
  photo_id_last4 TEXT NOT NULL,
  comorbidity INTEGER NOT NULL CHECK (comorbidity IN (0, 1)),
  dose INTEGER NOT NULL,
  acknowledged_duplicates TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL REFERENCES operator (id),
  counter_code TEXT NOT NULL,
  device_id TEXT NOT NULL
) STRICT;
CREATE INDEX walkin_photo_id ON walkin (photo_id_type, photo_id_number);
CREATE INDEX walkin_mobile ON walkin (day, mobile);

CREATE TABLE token_sequence (
  day TEXT NOT NULL,
  lane TEXT NOT NULL,
  last_seq INTEGER NOT NULL,
  PRIMARY KEY (day, lane)
) STRICT;

CREATE TABLE ticket (
  id TEXT PRIMARY KEY,
  day TEXT NOT NULL,
  token TEXT NOT NULL,
  lane TEXT NOT NULL CHECK (lane IN ('priority', 'walkin')),
  seq INTEGER NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('online', 'provisional', 'walkin')),
  ref_id TEXT,
  walkin_id TEXT REFERENCES walkin (id),
  name TEXT NOT NULL,
  dose INTEGER,
  verified INTEGER NOT NULL CHECK (verified IN (0, 1)),
  late INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
  status TEXT NOT NULL CHECK (status IN ('waiting', 'called', 'served', 'no_show', 'cancelled')),
  queued_at TEXT NOT NULL,
  -- order within the day's queue: taken from a counter when the ticket joins or rejoins a lane,
  -- so equal timestamps or a clock stepping back cannot reorder people
  queue_pos INTEGER NOT NULL,
  called_at TEXT,
  finished_at TEXT,
  recall_count INTEGER NOT NULL DEFAULT 0,
  requeue_count INTEGER NOT NULL DEFAULT 0,
  cancel_reason TEXT,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL REFERENCES operator (id),
  counter_code TEXT NOT NULL,
  device_id TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (day, token),
  UNIQUE (day, lane, seq)
) STRICT;
-- A registrant is checked in once a day (a cancelled ticket frees them).
CREATE UNIQUE INDEX ticket_once_per_registrant ON ticket (day, ref_id) WHERE ref_id IS NOT NULL AND status <> 'cancelled';
CREATE INDEX ticket_queue ON ticket (day, status, lane, queue_pos);
CREATE INDEX ticket_queue_pos ON ticket (day, queue_pos);
CREATE INDEX ticket_called ON ticket (day, lane, called_at);

CREATE TABLE ticket_event (
  id INTEGER PRIMARY KEY,
  ticket_id TEXT NOT NULL REFERENCES ticket (id),
  action TEXT NOT NULL,
  from_status TEXT,
  to_status TEXT NOT NULL,
  at TEXT NOT NULL,
  operator_id TEXT NOT NULL REFERENCES operator (id),
  detail TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX ticket_event_ticket ON ticket_event (ticket_id);

CREATE TABLE vaccination (
  id TEXT PRIMARY KEY,
  ticket_id TEXT NOT NULL UNIQUE REFERENCES ticket (id),
  vaccine TEXT NOT NULL,
  lot_number TEXT NOT NULL,
  dose INTEGER NOT NULL,
  vaccinated_at TEXT NOT NULL,
  vaccinated_by TEXT NOT NULL REFERENCES operator (id),
  counter_code TEXT NOT NULL,
  device_id TEXT NOT NULL
) STRICT;

-- Every change the portal must learn about, written in the same transaction as the change.
-- seq is this device's mutation sequence number; rows leave only when the portal acknowledges them.
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  mutation_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  record_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'acknowledged', 'rejected')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  acknowledged_at TEXT
) STRICT;
CREATE INDEX outbox_state ON outbox (state, seq);
`;
