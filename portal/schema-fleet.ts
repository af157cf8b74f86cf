/** Portal migration 9: fleet reports (the latest report of each counter). */
export const fleetSchemaSql = `-- (no tables yet)`;
