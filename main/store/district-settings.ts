import type { DistrictPart } from '../../common/domain';
import type { Db } from './database';
import { preparedOnce } from './prepared';

/** The district version in force (migration 007). */
export interface DistrictHeaderRow {
  version: number;
  centre_id: string;
  published_at: string;
  applied_at: string;
}

export interface DistrictPartRow {
  part: DistrictPart;
  version: number;
  /** JSON of the part, as checked when it was applied */
  value: string;
}

export interface LocalQueuePolicyRow {
  district_version: number;
  value: string;
  set_at: string;
  set_by: string | null;
}

const statements = preparedOnce((db) => ({
  header: db.prepare<[], DistrictHeaderRow>(
    'SELECT version, centre_id, published_at, applied_at FROM district_settings WHERE id = 1',
  ),
  parts: db.prepare<[], DistrictPartRow>('SELECT part, version, value FROM district_setting ORDER BY part'),
  // what the counter's cached view of the settings depends on, in one look
  stamp: db.prepare<[], { version: number | null; local: string | null }>(
    `SELECT (SELECT version FROM district_settings WHERE id = 1) AS version,
            (SELECT district_version || ' ' || set_at FROM local_queue_policy WHERE id = 1) AS local`,
  ),
  setHeader: db.prepare<[number, string, string, string]>(
    `INSERT INTO district_settings (id, version, centre_id, published_at, applied_at) VALUES (1, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET version = excluded.version, centre_id = excluded.centre_id,
       published_at = excluded.published_at, applied_at = excluded.applied_at`,
  ),
  deleteParts: db.prepare('DELETE FROM district_setting'),
  insertPart: db.prepare<[DistrictPart, number, string]>('INSERT INTO district_setting (part, version, value) VALUES (?, ?, ?)'),
  localQueuePolicy: db.prepare<[], LocalQueuePolicyRow>(
    'SELECT district_version, value, set_at, set_by FROM local_queue_policy WHERE id = 1',
  ),
  setLocalQueuePolicy: db.prepare<[number, string, string, string | null]>(
    `INSERT INTO local_queue_policy (id, district_version, value, set_at, set_by) VALUES (1, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET district_version = excluded.district_version, value = excluded.value,
       set_at = excluded.set_at, set_by = excluded.set_by`,
  ),
  clearLocalQueuePolicy: db.prepare('DELETE FROM local_queue_policy'),
}));

/** The district version in force, or undefined when none was ever applied. */
export function districtHeader(db: Db): DistrictHeaderRow | undefined {
  return statements(db).header.get();
}

/** The parts of the version in force. */
export function districtParts(db: Db): DistrictPartRow[] {
  return statements(db).parts.all();
}

/** A cheap key that changes whenever the district version or the local queue policy does. */
export function districtStamp(db: Db): string {
  const row = statements(db).stamp.get();
  return `${row?.version ?? 0}|${row?.local ?? ''}`;
}

export function setDistrictHeader(
  db: Db,
  h: { version: number; centreId: string; publishedAt: string; appliedAt: string },
): void {
  statements(db).setHeader.run(h.version, h.centreId, h.publishedAt, h.appliedAt);
}

export function deleteDistrictParts(db: Db): void {
  statements(db).deleteParts.run();
}

export function insertDistrictPart(db: Db, part: DistrictPart, version: number, value: unknown): void {
  statements(db).insertPart.run(part, version, JSON.stringify(value));
}

export function localQueuePolicy(db: Db): LocalQueuePolicyRow | undefined {
  return statements(db).localQueuePolicy.get();
}

export function setLocalQueuePolicy(
  db: Db,
  p: { districtVersion: number; value: unknown; setAt: string; setBy: string | null },
): void {
  statements(db).setLocalQueuePolicy.run(p.districtVersion, JSON.stringify(p.value), p.setAt, p.setBy);
}

/** true when there was one */
export function clearLocalQueuePolicy(db: Db): boolean {
  return statements(db).clearLocalQueuePolicy.run().changes > 0;
}
