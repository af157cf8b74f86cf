/**
 * 003: sync with the portal. The outbox learns the portal's answer per row (rejection code,
 * flags such as a possible duplicate, which later row corrected a rejected one); the roster
 * pulled from the portal remembers its cursor per day; walk-ins record when their full
 * photo-ID number was reduced to the last 4 characters.
 */
export const sql = /* sql */ `
ALTER TABLE outbox ADD COLUMN reject_code TEXT;
ALTER TABLE outbox ADD COLUMN portal_flags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE outbox ADD COLUMN duplicate_of TEXT NOT NULL DEFAULT '[]';
-- a rejected row stays; the row that resent it (corrected or not) is named here
ALTER TABLE outbox ADD COLUMN corrected_by INTEGER REFERENCES outbox (seq);
ALTER TABLE outbox ADD COLUMN correction_of INTEGER REFERENCES outbox (seq);
ALTER TABLE outbox ADD COLUMN rejected_at TEXT;
CREATE INDEX outbox_record ON outbox (record_id, seq);
CREATE INDEX outbox_created ON outbox (created_at);

ALTER TABLE walkin ADD COLUMN photo_id_reduced_at TEXT;

-- The portal's opaque roster cursor for a day, and the roster import it was applied to:
-- later pulls ask only for changes since it.
CREATE TABLE roster_cursor (
  day TEXT PRIMARY KEY,
  import_id INTEGER NOT NULL REFERENCES roster_import (id) ON DELETE CASCADE,
  cursor TEXT NOT NULL,
  pulled_at TEXT NOT NULL
) STRICT;
`;
