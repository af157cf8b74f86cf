/**
 * 005: indexes for the walk-in lookups a registration makes: the ticket of a walk-in (its
 * token among the possible duplicates, a repeated submission's ticket), and walk-ins whose
 * photo-ID number was reduced to its last 4 (compared by type + last 4).
 */
export const sql = /* sql */ `
CREATE INDEX ticket_walkin ON ticket (walkin_id) WHERE walkin_id IS NOT NULL;
CREATE INDEX walkin_photo_id_reduced ON walkin (photo_id_type, photo_id_last4) WHERE photo_id_reduced_at IS NOT NULL;
`;
