/**
 * The district settings' SQL (portal migration 8): each save a new version of one centre's
 * settings, numbered from 1 per centre; the latest is what its devices are answered.
 * Statements are prepared once, when the store is made.
 */
import type Database from 'better-sqlite3';
import type { DistrictSettings } from '../common/domain';
import { toPublished, type SettingsRow } from './rows';
import type { DistrictSettingsStoreApi, PublishedSettings } from './store-api';

export type { PublishedSettings } from './store-api';

export class DistrictSettingsStore implements DistrictSettingsStoreApi {
  private readonly q;

  constructor(private readonly db: Database.Database) {
    this.q = {
      latest: db.prepare<[string], SettingsRow>(
        'SELECT centre_id, version, settings, published_at FROM district_settings WHERE centre_id = ? ORDER BY version DESC LIMIT 1',
      ),
      latestVersion: db.prepare<[string], { version: number }>(
        'SELECT coalesce(max(version), 0) AS version FROM district_settings WHERE centre_id = ?',
      ),
      insert: db.prepare<[string, number, string, string]>(
        'INSERT INTO district_settings (centre_id, version, settings, published_at) VALUES (?, ?, ?, ?)',
      ),
      // the district's centres: every centre a device token was added for
      centres: db.prepare<[], { centre_id: string }>('SELECT DISTINCT centre_id FROM device ORDER BY centre_id'),
    };
  }

  /** The centre's latest version, or null when none was ever published. */
  async latest(centreId: string): Promise<PublishedSettings | null> {
    const row = this.q.latest.get(centreId);
    return row ? toPublished(row) : null;
  }

  /** The centre's latest version number (0: none published). */
  async latestVersion(centreId: string): Promise<number> {
    return this.versionOf(centreId);
  }

  private versionOf(centreId: string): number {
    return this.q.latestVersion.get(centreId)?.version ?? 0;
  }

  /** Saves a new version for each centre given, all in one transaction; each centre's number is one above its last. */
  async publish(centreIds: readonly string[], settings: DistrictSettings, now: Date): Promise<PublishedSettings[]> {
    const json = JSON.stringify(settings);
    const at = now.toISOString();
    return this.db
      .transaction(() =>
        centreIds.map((centreId) => {
          const version = this.versionOf(centreId) + 1;
          this.q.insert.run(centreId, version, json, at);
          return { centreId, version, publishedAt: at, settings };
        }),
      )
      .immediate();
  }

  /** Every centre of the district (those with a device token). */
  async centres(): Promise<string[]> {
    return this.q.centres.all().map((r) => r.centre_id);
  }
}
