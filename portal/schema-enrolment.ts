/** Portal migration 7: enrolments (one-time codes IT makes for a new counter). */
export const enrolmentSchemaSql = `-- (no tables yet)`;
