/**
 * 008: the roster's trigram index of names goes. The name search reads a name index the main
 * process holds in memory (services/name-index.ts), and scans the roster's names for the
 * moments that index is being built; writing every name into the trigram index as well took
 * a third of a 100,000-row import.
 */
export const sql = /* sql */ `
DROP TABLE roster_name_fts;
`;
