/**
 * District settings on PostgreSQL: each save a new version of one centre's settings, numbered
 * from 1 per centre; the latest is what its devices are answered (as portal/district-settings-store.ts).
 */
import type pg from 'pg';
import type { DistrictSettings } from '../../common/domain';
import { toPublished, type SettingsRow } from '../rows';
import type { DistrictSettingsStoreApi, PublishedSettings } from '../store-api';
import { query, transaction } from './db';

export class PgDistrictSettingsStore implements DistrictSettingsStoreApi {
  constructor(
    private readonly pool: pg.Pool,
    private readonly ready: () => Promise<void>,
  ) {}

  /** The centre's latest version, or null when none was ever published. */
  async latest(centreId: string): Promise<PublishedSettings | null> {
    await this.ready();
    const { rows } = await query<SettingsRow>(
      this.pool,
      'SELECT centre_id, version, settings, published_at FROM district_settings WHERE centre_id = $1 ORDER BY version DESC LIMIT 1',
      [centreId],
    );
    return rows[0] ? toPublished(rows[0]) : null;
  }

  /** The centre's latest version number (0: none published). */
  async latestVersion(centreId: string): Promise<number> {
    await this.ready();
    const { rows } = await query<{ version: number }>(
      this.pool,
      'SELECT coalesce(max(version), 0) AS version FROM district_settings WHERE centre_id = $1',
      [centreId],
    );
    return rows[0]?.version ?? 0;
  }

  /**
   * Saves a new version for each centre given, all in one transaction; each centre's number is
   * one above its last (two publishers at once: the second runs again on the next numbers).
   */
  async publish(centreIds: readonly string[], settings: DistrictSettings, now: Date): Promise<PublishedSettings[]> {
    await this.ready();
    const json = JSON.stringify(settings);
    const at = now.toISOString();
    return transaction(this.pool, async (c) => {
      const published: PublishedSettings[] = [];
      for (const centreId of centreIds) {
        const { rows } = await c.query<{ version: number }>(
          `INSERT INTO district_settings (centre_id, version, settings, published_at)
           SELECT $1, coalesce(max(version), 0) + 1, $2, $3 FROM district_settings WHERE centre_id = $1
           RETURNING version`,
          [centreId, json, at],
        );
        published.push({ centreId, version: rows[0]!.version, publishedAt: at, settings });
      }
      return published;
    });
  }

  /** Every centre of the district (those with a device token). */
  async centres(): Promise<string[]> {
    await this.ready();
    const { rows } = await query<{ centre_id: string }>(this.pool, 'SELECT DISTINCT centre_id FROM device ORDER BY centre_id');
    return rows.map((r) => r.centre_id);
  }
}
