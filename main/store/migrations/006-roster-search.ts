/**
 * 006: the roster's lookups are indexed per import, and its trigram index of names goes.
 * - The name search reads a name index the main process holds in memory
 *   (services/name-index.ts), and scans the roster's names while that is being built; writing
 *   every name into the trigram index as well took a third of a 100,000-row import.
 * - The last-4 and name-start indexes over every import's rows are replaced by partial ones
 *   per import (store/roster.ts), made once an import's rows are all in rather than kept up
 *   row by row; the counter makes those of the rosters it keeps when it starts.
 */
export const sql = /* sql */ `
DROP TABLE roster_name_fts;
DROP INDEX roster_entry_ref_last4;
DROP INDEX roster_entry_mobile_last4;
DROP INDEX roster_entry_photo_last4;
DROP INDEX roster_entry_name;
`;
