/**
 * Portal migration 9: fleet reports, the latest report of each counter (one row per device,
 * its centre first in the key: a centre's counters are read together). The token a report
 * came with is kept so the device's label can be shown and a device ID cannot be taken over.
 */
export const fleetSchemaSql = `
CREATE TABLE fleet_report (
  centre_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  counter_code TEXT NOT NULL,
  app_version TEXT NOT NULL,
  schema_version INTEGER NOT NULL,
  pending INTEGER NOT NULL CHECK (pending >= 0),
  oldest_pending_age_s INTEGER,
  roster_pulled_at TEXT,
  printer_state TEXT NOT NULL CHECK (printer_state IN ('ok', 'failed', 'unknown')),
  printer_error_code TEXT,
  printer_failed_at TEXT,
  clock_offset_ms INTEGER,
  counter_time TEXT NOT NULL,
  received_at TEXT NOT NULL,
  PRIMARY KEY (centre_id, device_id)
) STRICT, WITHOUT ROWID;
`;
