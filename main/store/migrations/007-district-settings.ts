/**
 * 007: the district's settings in force (pulled from the portal by the sync worker). One row per
 * part the district sets (queue policy, eligibility, vaccines), with the version it came in, and
 * one row saying which version is in force; a new version replaces both in one transaction, so
 * the counter reads the old set or the new one, never a mix. The supervisor's own queue policy,
 * made while a version is in force, is kept with that version and lasts until the next one.
 */
export const sql = /* sql */ `
CREATE TABLE district_settings (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL CHECK (version > 0),
  centre_id TEXT NOT NULL,
  published_at TEXT NOT NULL,
  applied_at TEXT NOT NULL
) STRICT;

CREATE TABLE district_setting (
  part TEXT PRIMARY KEY CHECK (part IN ('queuePolicy', 'eligibility', 'vaccines')),
  version INTEGER NOT NULL,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE local_queue_policy (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  district_version INTEGER NOT NULL,
  value TEXT NOT NULL,
  set_at TEXT NOT NULL,
  set_by TEXT REFERENCES operator (id)
) STRICT;
`;
