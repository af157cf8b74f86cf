/**
 * Portal migration 8: district settings. Every version IT publishes for a centre is kept (the
 * history says who had what when); a centre's versions are numbered 1, 2, 3... and never reused.
 * `settings` is the JSON of common/domain's districtSettingsSchema as it was checked.
 */
export const districtSettingsSchemaSql = `
CREATE TABLE district_settings (
  centre_id TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version > 0),
  settings TEXT NOT NULL,
  published_at TEXT NOT NULL,
  PRIMARY KEY (centre_id, version)
) STRICT;
`;
