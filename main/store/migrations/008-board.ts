/**
 * 008: the waiting hall's board. One row of settings a supervisor sets: the notice line (both
 * languages, shown as text), the room name for this counter (shown as where to go instead of
 * "Counter <code>"), the speech settings (JSON, checked again as read), the display the board
 * window opens on and whether it is open. And an index of the calls (and recalls) among the
 * ticket events: the board walks the day's calls newest first on every event, and stops as soon
 * as it has what it shows, instead of reading every ticket of the day.
 */
export const sql = /* sql */ `
CREATE TABLE board_settings (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  notice_en TEXT NOT NULL DEFAULT '',
  notice_hi TEXT NOT NULL DEFAULT '',
  room_en TEXT NOT NULL DEFAULT '',
  room_hi TEXT NOT NULL DEFAULT '',
  speech TEXT NOT NULL DEFAULT '{}',
  display_id INTEGER,
  window_open INTEGER NOT NULL DEFAULT 0 CHECK (window_open IN (0, 1)),
  updated_at TEXT NOT NULL,
  updated_by TEXT REFERENCES operator (id)
) STRICT;

CREATE INDEX ticket_event_calls ON ticket_event (id) WHERE action IN ('call', 'recall');
`;
