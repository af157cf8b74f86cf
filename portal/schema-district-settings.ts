/** Portal migration 8: district settings (versioned settings the district owns, per centre). */
export const districtSettingsSchemaSql = `-- (no tables yet)`;
