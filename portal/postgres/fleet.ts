/**
 * Fleet reports on PostgreSQL: the latest report of each counter, and the rows the fleet view
 * reads (as portal/fleet-store.ts).
 */
import type pg from 'pg';
import type { FleetReport } from '../../common/sync-protocol';
import { toFleetRow, type FleetReportRow } from '../rows';
import { PortalError, type FleetRow, type FleetStoreApi } from '../store-api';
import { query, transaction } from './db';

const INSERT = `INSERT INTO fleet_report (centre_id, device_id, token_hash, counter_code, app_version, schema_version, pending,
  oldest_pending_age_s, roster_pulled_at, printer_state, printer_error_code, printer_failed_at, clock_offset_ms, counter_time,
  received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`;
const UPDATE = `token_hash = excluded.token_hash, counter_code = excluded.counter_code, app_version = excluded.app_version,
  schema_version = excluded.schema_version, pending = excluded.pending, oldest_pending_age_s = excluded.oldest_pending_age_s,
  roster_pulled_at = excluded.roster_pulled_at, printer_state = excluded.printer_state,
  printer_error_code = excluded.printer_error_code, printer_failed_at = excluded.printer_failed_at,
  clock_offset_ms = excluded.clock_offset_ms, counter_time = excluded.counter_time, received_at = excluded.received_at`;

const nul = (s: string | null): string | null => (s === null ? null : s.replaceAll('\u0000', '\uFFFD'));

export class PgFleetStore implements FleetStoreApi {
  constructor(
    private readonly pool: pg.Pool,
    private readonly ready: () => Promise<void>,
  ) {}

  /**
   * Keeps a report as its device's latest. The caller has checked the token and that the
   * report's centre is the token's; a device ID bound to another token is refused (403), so a
   * counter reports only for itself. A token makes one counter's row, not more: a report for a
   * device not bound yet is refused (403) when the token is bound to another device ID, or
   * first reported for another one, so one token cannot fill the fleet view with made-up counters.
   */
  async record(report: FleetReport, ctx: { tokenHash: string; now: Date }): Promise<{ receivedAt: string }> {
    await this.ready();
    const deviceId = report.deviceId.toLowerCase();
    const receivedAt = ctx.now.toISOString();
    const values = [
      report.centreId,
      deviceId,
      ctx.tokenHash,
      nul(report.counterCode),
      nul(report.appVersion),
      report.schemaVersion,
      report.pending,
      report.oldestPendingAgeSeconds,
      nul(report.rosterPulledAt),
      report.printer.state,
      nul(report.printer.errorCode),
      nul(report.printer.failedAt),
      report.clockOffsetMs,
      nul(report.counterTime),
      receivedAt,
    ];
    const mismatch = () =>
      new PortalError(
        403,
        'device_token_mismatch',
        `device ${deviceId} reports with another device token: a counter reports only for itself`,
      );
    await transaction(this.pool, async (c) => {
      const bound = (
        await c.query<{ token_hash: string; centre_id: string }>(
          'SELECT token_hash, centre_id FROM device_client WHERE device_id = $1',
          [deviceId],
        )
      ).rows[0];
      if (bound) {
        if (bound.token_hash !== ctx.tokenHash || bound.centre_id !== report.centreId) throw mismatch();
        // a device bound at the portal (it has pushed, or IT bound it): its token decides, and
        // a rebind by IT carries the row over to the new token
        await c.query(`${INSERT} ON CONFLICT (centre_id, device_id) DO UPDATE SET ${UPDATE}`, values);
        return;
      }
      // the device IDs a token is bound to, or else the one it first reported for: one fleet row
      // per token (the token's centre is the report's: the caller checked it)
      const own = await c.query('SELECT 1 FROM device_client WHERE centre_id = $1 AND token_hash = $2 LIMIT 1', [
        report.centreId,
        ctx.tokenHash,
      ]);
      const first = (
        await c.query<{ device_id: string }>(
          'SELECT device_id FROM fleet_report WHERE centre_id = $1 AND token_hash = $2 LIMIT 1',
          [report.centreId, ctx.tokenHash],
        )
      ).rows[0]?.device_id;
      if ((own.rowCount ?? 0) > 0 || (first !== undefined && first !== deviceId)) {
        throw new PortalError(
          403,
          'device_token_mismatch',
          'this device token is one counter, which reports with another device ID: a token reports for one device only',
        );
      }
      // a device not bound yet: the first token to report for it keeps the row until it is bound
      const upserted = await c.query(
        `${INSERT} ON CONFLICT (centre_id, device_id) DO UPDATE SET ${UPDATE} WHERE fleet_report.token_hash = excluded.token_hash`,
        values,
      );
      if (upserted.rowCount === 0) throw mismatch();
    });
    return { receivedAt };
  }

  /** Every counter's latest report, by centre and counter code. */
  async all(): Promise<FleetRow[]> {
    await this.ready();
    const { rows } = await query<FleetReportRow>(
      this.pool,
      `SELECT f.centre_id, f.device_id, f.counter_code, d.label, d.revoked, f.app_version, f.schema_version, f.pending,
         f.oldest_pending_age_s, f.roster_pulled_at, f.printer_state, f.printer_error_code, f.printer_failed_at,
         f.clock_offset_ms, f.counter_time, f.received_at, c.updated_at AS last_upload_at
       FROM fleet_report f
       LEFT JOIN device d ON d.token_hash = f.token_hash
       LEFT JOIN device_client c ON c.device_id = f.device_id AND c.last_applied_seq > 0
       ORDER BY f.centre_id, f.counter_code, f.device_id`,
    );
    return rows.map(toFleetRow);
  }
}
