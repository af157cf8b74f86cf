/**
 * Portal migration 7: enrolments, the one-time codes IT makes for a new counter. Only the code's
 * SHA-256 is kept. A code is redeemed once, by one device: `redeemed_device_id` and the token it
 * was given (by hash) are set in the same transaction that adds that token, so a code is never
 * used up without a token, and a device asking again after a lost answer is recognised.
 */
export const enrolmentSchemaSql = `
CREATE TABLE enrolment (
  code_hash TEXT PRIMARY KEY,
  centre_id TEXT NOT NULL,
  -- the centre as the counter's provisioning takes it: id, name, nameHi, timeZone
  centre TEXT NOT NULL,
  counter_code TEXT NOT NULL,
  token_prefix TEXT NOT NULL,
  label TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  redeemed_at TEXT,
  redeemed_device_id TEXT,
  token_hash TEXT REFERENCES device (token_hash),
  CHECK ((redeemed_at IS NULL) = (redeemed_device_id IS NULL)),
  CHECK ((redeemed_at IS NULL) = (token_hash IS NULL))
) STRICT;
CREATE INDEX enrolment_centre ON enrolment (centre_id, created_at);
`;
