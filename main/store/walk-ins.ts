/** Walk-ins: people registered at the counter without a booking. */
import type { Db } from './database';
import { limited, preparedOnce } from './prepared';

export interface WalkInRow {
  id: string;
  submission_id: string;
  day: string;
  name: string;
  name_norm: string;
  gender: string;
  birth_year: number;
  mobile: string;
  photo_id_type: string;
  /** the full number until the portal has the record (and the retention has passed), then the last 4 */
  photo_id_number: string;
  photo_id_last4: string;
  photo_id_reduced_at: string | null;
  comorbidity: number;
  dose: number;
  acknowledged_duplicates: string;
  created_at: string;
  created_by: string;
  counter_code: string;
  device_id: string;
}

/** The columns a walk-in form fills, as stored. */
export interface WalkInPersonColumns {
  name: string;
  nameNorm: string;
  gender: string;
  birthYear: number;
  mobile: string;
  photoIdType: string;
  photoIdNumber: string;
  photoIdLast4: string;
  comorbidity: 0 | 1;
  dose: number;
}

export interface NewWalkInRow extends WalkInPersonColumns {
  id: string;
  submissionId: string;
  day: string;
  /** JSON: the possible duplicates the operator saw and went past */
  acknowledged: string;
  at: string;
  operatorId: string;
  counterCode: string;
  deviceId: string;
}

/** In column order: name, name_norm, gender, birth_year, mobile, photo_id_type, photo_id_number, photo_id_last4, comorbidity, dose. */
const PERSON_VALUES =
  '@name, @nameNorm, @gender, @birthYear, @mobile, @photoIdType, @photoIdNumber, @photoIdLast4, @comorbidity, @dose';
const PERSON_SET =
  'name = @name, name_norm = @nameNorm, gender = @gender, birth_year = @birthYear, mobile = @mobile, photo_id_type = @photoIdType, ' +
  'photo_id_number = @photoIdNumber, photo_id_last4 = @photoIdLast4, comorbidity = @comorbidity, dose = @dose';

const statements = preparedOnce((db) => ({
  bySubmission: db.prepare<[string], WalkInRow>('SELECT * FROM walkin WHERE submission_id = ?'),
  withPhotoId: limited<[string, string], WalkInRow>(
    db,
    'SELECT * FROM walkin WHERE photo_id_type = ? AND photo_id_number = ? ORDER BY created_at DESC LIMIT ?',
  ),
  withReducedPhotoId: limited<[string, string], WalkInRow>(
    db,
    'SELECT * FROM walkin WHERE photo_id_type = ? AND photo_id_last4 = ? AND photo_id_reduced_at IS NOT NULL ORDER BY created_at DESC LIMIT ?',
  ),
  ofDayWithMobile: limited<[string, string], WalkInRow>(db, 'SELECT * FROM walkin WHERE day = ? AND mobile = ? LIMIT ?'),
  insert: db.prepare<NewWalkInRow>(
    `INSERT INTO walkin (id, submission_id, day, name, name_norm, gender, birth_year, mobile, photo_id_type, photo_id_number,
       photo_id_last4, comorbidity, dose, acknowledged_duplicates, created_at, created_by, counter_code, device_id)
     VALUES (@id, @submissionId, @day, ${PERSON_VALUES}, @acknowledged, @at, @operatorId, @counterCode, @deviceId)`,
  ),
  correct: db.prepare<WalkInPersonColumns & { walkInId: string }>(
    `UPDATE walkin SET ${PERSON_SET}, photo_id_reduced_at = NULL WHERE id = @walkInId`,
  ),
}));

/** The walk-in a form submission saved, if it was saved. */
export function walkInOfSubmission(db: Db, submissionId: string): WalkInRow | undefined {
  return statements(db).bySubmission.get(submissionId);
}

/** Walk-ins (any day kept) with this photo ID's full number, newest first. */
export function walkInsWithPhotoId(db: Db, photoIdType: string, photoIdNumber: string, limit: number): WalkInRow[] {
  return statements(db).withPhotoId.all(photoIdType, photoIdNumber, limit);
}

/** Walk-ins whose photo-ID number was reduced to these last 4, newest first. */
export function walkInsWithReducedPhotoId(db: Db, photoIdType: string, last4: string, limit: number): WalkInRow[] {
  return statements(db).withReducedPhotoId.all(photoIdType, last4, limit);
}

/** The day's walk-ins with this mobile number. */
export function walkInsOfDayWithMobile(db: Db, day: string, mobile: string, limit: number): WalkInRow[] {
  return statements(db).ofDayWithMobile.all(day, mobile, limit);
}

export function insertWalkIn(db: Db, w: NewWalkInRow): void {
  statements(db).insert.run(w);
}

/** A correction of a walk-in's person (the full number again: it goes to the portal once more); false when there is no such walk-in. */
export function correctWalkInPerson(db: Db, walkInId: string, person: WalkInPersonColumns): boolean {
  return statements(db).correct.run({ ...person, walkInId }).changes > 0;
}
