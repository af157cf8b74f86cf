/**
 * The fleet reports' SQL (portal migration 9): the latest report of each counter, and the
 * rows the fleet view reads. Statements are prepared once, when the portal is built.
 */
import type Database from 'better-sqlite3';
import type { FleetReport } from '../common/sync-protocol';
import { toFleetRow, type FleetReportRow } from './rows';
import { PortalError, type FleetRow, type FleetStoreApi } from './store-api';

export type { FleetRow } from './store-api';

const COLUMNS = `centre_id, device_id, token_hash, counter_code, app_version, schema_version, pending, oldest_pending_age_s,
  roster_pulled_at, printer_state, printer_error_code, printer_failed_at, clock_offset_ms, counter_time, received_at`;
const VALUES = `@centreId, @deviceId, @tokenHash, @counterCode, @appVersion, @schemaVersion, @pending, @oldestPendingAgeSeconds,
  @rosterPulledAt, @printerState, @printerErrorCode, @printerFailedAt, @clockOffsetMs, @counterTime, @receivedAt`;
const UPDATE = `token_hash = excluded.token_hash, counter_code = excluded.counter_code, app_version = excluded.app_version,
  schema_version = excluded.schema_version, pending = excluded.pending, oldest_pending_age_s = excluded.oldest_pending_age_s,
  roster_pulled_at = excluded.roster_pulled_at, printer_state = excluded.printer_state,
  printer_error_code = excluded.printer_error_code, printer_failed_at = excluded.printer_failed_at,
  clock_offset_ms = excluded.clock_offset_ms, counter_time = excluded.counter_time, received_at = excluded.received_at`;

export class FleetStore implements FleetStoreApi {
  private readonly q;

  constructor(private readonly db: Database.Database) {
    this.q = {
      binding: db.prepare<[string], { token_hash: string; centre_id: string }>(
        'SELECT token_hash, centre_id FROM device_client WHERE device_id = ?',
      ),
      // the device IDs a token is bound to, or else the one it first reported for: one fleet row per token
      boundToToken: db.prepare<[string], { device_id: string }>('SELECT device_id FROM device_client WHERE token_hash = ?'),
      reportedByToken: db.prepare<[string], { device_id: string }>(
        'SELECT device_id FROM fleet_report WHERE token_hash = ? LIMIT 1',
      ),
      // a device bound at the portal (it has pushed, or IT bound it): its token decides, and
      // a rebind by IT carries the row over to the new token
      upsertBound: db.prepare(`INSERT INTO fleet_report (${COLUMNS}) VALUES (${VALUES})
        ON CONFLICT (centre_id, device_id) DO UPDATE SET ${UPDATE}`),
      // a device not bound yet: the first token to report for it keeps the row until it is bound
      upsertUnbound: db.prepare(`INSERT INTO fleet_report (${COLUMNS}) VALUES (${VALUES})
        ON CONFLICT (centre_id, device_id) DO UPDATE SET ${UPDATE} WHERE fleet_report.token_hash = excluded.token_hash`),
      all: db.prepare<[], FleetReportRow>(
        `SELECT f.*, d.label, d.revoked, c.updated_at AS last_upload_at
         FROM fleet_report f
         LEFT JOIN device d ON d.token_hash = f.token_hash
         LEFT JOIN device_client c ON c.device_id = f.device_id AND c.last_applied_seq > 0
         ORDER BY f.centre_id, f.counter_code, f.device_id`,
      ),
    };
  }

  /**
   * Keeps a report as its device's latest. The caller has checked the token and that the
   * report's centre is the token's; a device ID bound to another token is refused (403), so a
   * counter reports only for itself. A token makes one counter's row, not more: a report for a
   * device not bound yet is refused (403) when the token is bound to another device ID, or
   * first reported for another one, so one token cannot fill the fleet view with made-up counters.
   */
  async record(report: FleetReport, ctx: { tokenHash: string; now: Date }): Promise<{ receivedAt: string }> {
    const deviceId = report.deviceId.toLowerCase();
    const receivedAt = ctx.now.toISOString();
    const values = {
      centreId: report.centreId,
      deviceId,
      tokenHash: ctx.tokenHash,
      counterCode: report.counterCode,
      appVersion: report.appVersion,
      schemaVersion: report.schemaVersion,
      pending: report.pending,
      oldestPendingAgeSeconds: report.oldestPendingAgeSeconds,
      rosterPulledAt: report.rosterPulledAt,
      printerState: report.printer.state,
      printerErrorCode: report.printer.errorCode,
      printerFailedAt: report.printer.failedAt,
      clockOffsetMs: report.clockOffsetMs,
      counterTime: report.counterTime,
      receivedAt,
    };
    const mismatch = () =>
      new PortalError(
        403,
        'device_token_mismatch',
        `device ${deviceId} reports with another device token: a counter reports only for itself`,
      );
    this.db
      .transaction(() => {
        const bound = this.q.binding.get(deviceId);
        if (bound) {
          if (bound.token_hash !== ctx.tokenHash || bound.centre_id !== report.centreId) throw mismatch();
          this.q.upsertBound.run(values);
        } else {
          const own = this.q.boundToToken.all(ctx.tokenHash).map((c) => c.device_id);
          const first = this.q.reportedByToken.get(ctx.tokenHash)?.device_id;
          if (own.length > 0 || (first !== undefined && first !== deviceId)) {
            throw new PortalError(
              403,
              'device_token_mismatch',
              'this device token is one counter, which reports with another device ID: a token reports for one device only',
            );
          }
          if (this.q.upsertUnbound.run(values).changes === 0) throw mismatch();
        }
      })
      .immediate();
    return { receivedAt };
  }

  /** Every counter's latest report, by centre and counter code. */
  async all(): Promise<FleetRow[]> {
    return this.q.all.all().map(toFleetRow);
  }
}
