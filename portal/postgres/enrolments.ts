/**
 * Enrolments on PostgreSQL: one-time codes IT makes for a new counter, and their redemption (as
 * portal/enrolment-store.ts). Redeeming adds the counter's device token, binds its device ID to
 * it and marks the code used, in one transaction that holds the code's row.
 */
import type pg from 'pg';
import { enrolmentCodeError, formatEnrolmentCode } from '../../common/rules/enrolment-code';
import { ENROL_RETRY_MINUTES, type EnrolResponse } from '../../common/sync-protocol';
import {
  hashEnrolmentCode,
  newEnrolmentCode,
  toEnrolmentView,
  unknownEnrolmentCode as unknownCode,
  type EnrolmentRow,
} from '../rows';
import { newToken } from '../secrets';
import {
  PortalError,
  hashToken,
  type CreatedEnrolment,
  type EnrolmentStoreApi,
  type EnrolmentView,
  type NewEnrolment,
} from '../store-api';
import { query, transaction } from './db';

const ADD_DEVICE = 'INSERT INTO device (token_hash, centre_id, label, revoked, created_at) VALUES ($1, $2, $3, false, $4)';

export class PgEnrolmentStore implements EnrolmentStoreApi {
  constructor(
    private readonly pool: pg.Pool,
    private readonly ready: () => Promise<void>,
  ) {}

  /**
   * Makes an enrolment and answers its code (the only time it is seen). Refuses a token prefix
   * another counter of the centre has; replaces earlier codes for the same counter not yet
   * redeemed. Enrolments of one centre are made one at a time (an advisory lock on the centre).
   */
  async create(input: NewEnrolment, now: Date, code: string = newEnrolmentCode()): Promise<CreatedEnrolment> {
    if (enrolmentCodeError(code) !== null) throw new Error('not an enrolment code');
    await this.ready();
    const at = now.toISOString();
    const expiresAt = new Date(now.getTime() + input.validHours * 3600_000).toISOString();
    return transaction(this.pool, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`portal-enrolment:${input.centre.id}`]);
      const holder = (
        await c.query<{ counter_code: string }>(
          `SELECT counter_code FROM enrolment
           WHERE centre_id = $1 AND token_prefix = $2 AND counter_code <> $3 AND (redeemed_at IS NOT NULL OR expires_at > $4)
           LIMIT 1`,
          [input.centre.id, input.counter.tokenPrefix, input.counter.code, at],
        )
      ).rows[0];
      if (holder) {
        throw new PortalError(
          409,
          'token_prefix_taken',
          `counter ${holder.counter_code} of centre ${input.centre.id} has token prefix ${input.counter.tokenPrefix}: give each counter its own`,
        );
      }
      const replaced = await c.query(
        `UPDATE enrolment SET expires_at = $1
         WHERE centre_id = $2 AND counter_code = $3 AND redeemed_at IS NULL AND expires_at > $1`,
        [at, input.centre.id, input.counter.code],
      );
      await c.query(
        `INSERT INTO enrolment (code_hash, centre_id, centre, counter_code, token_prefix, label, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          hashEnrolmentCode(code),
          input.centre.id,
          JSON.stringify(input.centre),
          input.counter.code,
          input.counter.tokenPrefix,
          input.label.replaceAll('\u0000', '\uFFFD'),
          at,
          expiresAt,
        ],
      );
      return {
        code: formatEnrolmentCode(code),
        centreId: input.centre.id,
        counterCode: input.counter.code,
        tokenPrefix: input.counter.tokenPrefix,
        label: input.label,
        expiresAt,
        replaced: replaced.rowCount ?? 0,
      };
    });
  }

  /** The enrolments of a centre, oldest first (codes are not kept, so none is shown). */
  async list(centreId: string, now: Date): Promise<EnrolmentView[]> {
    await this.ready();
    const at = now.toISOString();
    const { rows } = await query<EnrolmentRow>(
      this.pool,
      `SELECT code_hash, centre_id, centre, counter_code, token_prefix, label, created_at, expires_at, redeemed_at,
         redeemed_device_id, token_hash
       FROM enrolment WHERE centre_id = $1 ORDER BY created_at, made`,
      [centreId],
    );
    return rows.map((r) => toEnrolmentView(r, at));
  }

  async redeem(typedCode: string, deviceId: string, now: Date): Promise<EnrolResponse> {
    return (await this.redeemed(typedCode, deviceId, now)).answer;
  }

  /** `redeem`, also saying whether the device was enrolled before and its earlier token revoked (see EnrolmentStore.redeemed). */
  async redeemed(typedCode: string, deviceId: string, now: Date): Promise<{ answer: EnrolResponse; reenrolled: boolean }> {
    if (enrolmentCodeError(typedCode) !== null) throw unknownCode();
    await this.ready();
    const id = deviceId.toLowerCase();
    const at = now.toISOString();
    const hash = hashEnrolmentCode(typedCode);
    return transaction(this.pool, async (c) => {
      let reenrolled = false;
      const row = (
        await c.query<EnrolmentRow>(
          `SELECT code_hash, centre_id, centre, counter_code, token_prefix, label, created_at, expires_at, redeemed_at,
             redeemed_device_id, token_hash
           FROM enrolment WHERE code_hash = $1 FOR UPDATE`,
          [hash],
        )
      ).rows[0];
      if (!row) throw unknownCode();
      const used = () =>
        new PortalError(
          409,
          'enrol_code_used',
          'this code has been used already: each code enrols one counter once; ask hospital IT for a new one',
        );
      const client = (
        await c.query<{ token_hash: string; centre_id: string; last_applied_seq: number }>(
          'SELECT token_hash, centre_id, last_applied_seq FROM device_client WHERE device_id = $1 FOR UPDATE',
          [id],
        )
      ).rows[0];
      const token = newToken();
      const tokenHash = hashToken(token);
      const revoke = (h: string) => c.query('UPDATE device SET revoked = true WHERE token_hash = $1', [h]);
      const rebind = () =>
        c.query('UPDATE device_client SET token_hash = $1, updated_at = $2 WHERE device_id = $3', [tokenHash, at, id]);
      const markRedeemed = () =>
        c.query('UPDATE enrolment SET redeemed_at = $1, redeemed_device_id = $2, token_hash = $3 WHERE code_hash = $4', [
          at,
          id,
          tokenHash,
          hash,
        ]);
      if (row.redeemed_at !== null) {
        const retryUntil = new Date(row.redeemed_at).getTime() + ENROL_RETRY_MINUTES * 60_000;
        const sameDevice = row.redeemed_device_id === id && now.getTime() <= retryUntil;
        // a device that has uploaded has its token: it has no answer to ask for again
        if (!sameDevice || !client || client.token_hash !== row.token_hash || client.last_applied_seq > 0) throw used();
        await revoke(row.token_hash!);
        await c.query(ADD_DEVICE, [tokenHash, row.centre_id, row.label, at]);
        await rebind();
        await c.query('UPDATE enrolment SET token_hash = $1 WHERE code_hash = $2', [tokenHash, hash]);
      } else {
        if (row.expires_at <= at) {
          throw new PortalError(
            410,
            'enrol_code_expired',
            `this code expired at ${row.expires_at}: ask hospital IT for a new one`,
          );
        }
        if (client) {
          // Enrolled before as this very counter of this centre: IT's new code for it is IT's
          // word that the device is to be enrolled again. The old token is revoked.
          const before = (
            await c.query<{ centre_id: string; counter_code: string }>(
              'SELECT centre_id, counter_code FROM enrolment WHERE redeemed_device_id = $1 AND token_hash = $2 LIMIT 1',
              [id, client.token_hash],
            )
          ).rows[0];
          const again =
            before !== undefined &&
            client.centre_id === row.centre_id &&
            before.centre_id === row.centre_id &&
            before.counter_code === row.counter_code;
          if (!again) {
            throw new PortalError(
              409,
              'device_already_enrolled',
              `device ${id} has a device token already; hospital IT can rebind it (POST /admin/devices/{deviceId}/rebind)`,
            );
          }
          await revoke(client.token_hash);
          await c.query(ADD_DEVICE, [tokenHash, row.centre_id, row.label, at]);
          await rebind();
          await markRedeemed();
          reenrolled = true;
        } else {
          await c.query(ADD_DEVICE, [tokenHash, row.centre_id, row.label, at]);
          await c.query(
            'INSERT INTO device_client (centre_id, device_id, token_hash, last_applied_seq, updated_at) VALUES ($1, $2, $3, 0, $4)',
            [row.centre_id, id, tokenHash, at],
          );
          await markRedeemed();
        }
      }
      const answer: EnrolResponse = {
        deviceId: id,
        deviceToken: token,
        centre: JSON.parse(row.centre) as EnrolResponse['centre'],
        counter: { code: row.counter_code, tokenPrefix: row.token_prefix },
        label: row.label,
      };
      return { answer, reenrolled };
    });
  }
}
