/**
 * The portal's enrolments: one-time codes IT makes for a new counter, and their redemption.
 * All of their SQL lives here, each statement prepared once. Redeeming adds the counter's device
 * token, binds its device ID to it and marks the code used, in one IMMEDIATE transaction.
 */
import type Database from 'better-sqlite3';
import { enrolmentCodeError, formatEnrolmentCode } from '../common/rules/enrolment-code';
import { ENROL_RETRY_MINUTES, type EnrolResponse } from '../common/sync-protocol';
import {
  hashEnrolmentCode,
  newEnrolmentCode,
  toEnrolmentView,
  unknownEnrolmentCode as unknownCode,
  type EnrolmentRow,
} from './rows';
import { newToken } from './secrets';
import {
  PortalError,
  hashToken,
  type CreatedEnrolment,
  type EnrolmentStoreApi,
  type EnrolmentView,
  type NewEnrolment,
} from './store-api';

export type { CreatedEnrolment, EnrolmentState, EnrolmentView, NewEnrolment } from './store-api';

export class EnrolmentStore implements EnrolmentStoreApi {
  private readonly q;

  constructor(readonly db: Database.Database) {
    this.q = {
      insert: db.prepare(
        `INSERT INTO enrolment (code_hash, centre_id, centre, counter_code, token_prefix, label, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      byHash: db.prepare<[string], EnrolmentRow>('SELECT * FROM enrolment WHERE code_hash = ?'),
      // earlier codes for the same counter that nobody has redeemed: replaced by a new one
      replaceWaiting: db.prepare<[string, string, string, string]>(
        `UPDATE enrolment SET expires_at = ?
         WHERE centre_id = ? AND counter_code = ? AND redeemed_at IS NULL AND expires_at > ?`,
      ),
      // another counter of the centre holding this token prefix (enrolled, or with a code still valid)
      prefixHolder: db.prepare<[string, string, string, string], { counter_code: string }>(
        `SELECT counter_code FROM enrolment
         WHERE centre_id = ? AND token_prefix = ? AND counter_code <> ? AND (redeemed_at IS NOT NULL OR expires_at > ?)
         LIMIT 1`,
      ),
      byCentre: db.prepare<[string], EnrolmentRow>('SELECT * FROM enrolment WHERE centre_id = ? ORDER BY created_at, rowid'),
      redeem: db.prepare<[string, string, string, string]>(
        'UPDATE enrolment SET redeemed_at = ?, redeemed_device_id = ?, token_hash = ? WHERE code_hash = ?',
      ),
      newToken: db.prepare<[string, string]>('UPDATE enrolment SET token_hash = ? WHERE code_hash = ?'),
      addDevice: db.prepare<[string, string, string, string]>(
        'INSERT INTO device (token_hash, centre_id, label, revoked, created_at) VALUES (?, ?, ?, 0, ?)',
      ),
      revokeDevice: db.prepare<[string]>('UPDATE device SET revoked = 1 WHERE token_hash = ?'),
      client: db.prepare<[string], { token_hash: string; centre_id: string; last_applied_seq: number }>(
        'SELECT token_hash, centre_id, last_applied_seq FROM device_client WHERE device_id = ?',
      ),
      insertClient: db.prepare<[string, string, string, string]>(
        'INSERT INTO device_client (device_id, token_hash, centre_id, last_applied_seq, updated_at) VALUES (?, ?, ?, 0, ?)',
      ),
      rebindClient: db.prepare<[string, string, string]>(
        'UPDATE device_client SET token_hash = ?, updated_at = ? WHERE device_id = ?',
      ),
      // the enrolment that gave a device its current token (none for a token IT made by hand)
      enrolledAs: db.prepare<[string, string], { centre_id: string; counter_code: string }>(
        'SELECT centre_id, counter_code FROM enrolment WHERE redeemed_device_id = ? AND token_hash = ? LIMIT 1',
      ),
    };
  }

  /**
   * Makes an enrolment and answers its code (the only time it is seen). Refuses a token prefix
   * another counter of the centre has; replaces earlier codes for the same counter not yet redeemed.
   */
  async create(input: NewEnrolment, now: Date, code: string = newEnrolmentCode()): Promise<CreatedEnrolment> {
    if (enrolmentCodeError(code) !== null) throw new Error('not an enrolment code');
    const at = now.toISOString();
    const expiresAt = new Date(now.getTime() + input.validHours * 3600_000).toISOString();
    return this.db
      .transaction((): CreatedEnrolment => {
        const holder = this.q.prefixHolder.get(input.centre.id, input.counter.tokenPrefix, input.counter.code, at);
        if (holder) {
          throw new PortalError(
            409,
            'token_prefix_taken',
            `counter ${holder.counter_code} of centre ${input.centre.id} has token prefix ${input.counter.tokenPrefix}: give each counter its own`,
          );
        }
        const replaced = this.q.replaceWaiting.run(at, input.centre.id, input.counter.code, at).changes;
        this.q.insert.run(
          hashEnrolmentCode(code),
          input.centre.id,
          JSON.stringify(input.centre),
          input.counter.code,
          input.counter.tokenPrefix,
          input.label,
          at,
          expiresAt,
        );
        return {
          code: formatEnrolmentCode(code),
          centreId: input.centre.id,
          counterCode: input.counter.code,
          tokenPrefix: input.counter.tokenPrefix,
          label: input.label,
          expiresAt,
          replaced,
        };
      })
      .immediate();
  }

  /** The enrolments of a centre, oldest first (codes are not kept, so none is shown). */
  async list(centreId: string, now: Date): Promise<EnrolmentView[]> {
    const at = now.toISOString();
    return this.q.byCentre.all(centreId).map((r) => toEnrolmentView(r, at));
  }

  /**
   * Redeems a code for the device `deviceId`: a new device token for the enrolment's centre,
   * the device ID bound to it, the code marked used, all in one transaction (a failure leaves
   * the code as it was). The same device asking again within ENROL_RETRY_MINUTES of its first
   * redemption, before it has uploaded anything, gets a new token and the one it never received
   * is revoked: a lost answer never leaves two tokens, nor a used code and a counter without one.
   * A fresh code for the counter a device is already enrolled as (same centre, same counter
   * code) enrols it again: its earlier token is revoked (`reenrolled` says so, for the log).
   * A device bound any other way (another centre or counter, a token IT made by hand) is refused.
   */
  async redeem(typedCode: string, deviceId: string, now: Date): Promise<EnrolResponse> {
    return (await this.redeemed(typedCode, deviceId, now)).answer;
  }

  /** `redeem`, also saying whether the device was enrolled before and its earlier token revoked. */
  async redeemed(typedCode: string, deviceId: string, now: Date): Promise<{ answer: EnrolResponse; reenrolled: boolean }> {
    if (enrolmentCodeError(typedCode) !== null) throw unknownCode();
    const id = deviceId.toLowerCase();
    const at = now.toISOString();
    const hash = hashEnrolmentCode(typedCode);
    let reenrolled = false;
    const answer = this.db
      .transaction((): EnrolResponse => {
        const row = this.q.byHash.get(hash);
        if (!row) throw unknownCode();
        const used = () =>
          new PortalError(
            409,
            'enrol_code_used',
            'this code has been used already: each code enrols one counter once; ask hospital IT for a new one',
          );
        const client = this.q.client.get(id);
        const token = newToken();
        const tokenHash = hashToken(token);
        if (row.redeemed_at !== null) {
          const retryUntil = new Date(row.redeemed_at).getTime() + ENROL_RETRY_MINUTES * 60_000;
          const sameDevice = row.redeemed_device_id === id && now.getTime() <= retryUntil;
          // a device that has uploaded has its token: it has no answer to ask for again
          if (!sameDevice || !client || client.token_hash !== row.token_hash || client.last_applied_seq > 0) throw used();
          this.q.revokeDevice.run(row.token_hash!);
          this.q.addDevice.run(tokenHash, row.centre_id, row.label, at);
          this.q.rebindClient.run(tokenHash, at, id);
          this.q.newToken.run(tokenHash, hash);
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
            // word that the device is to be enrolled again (its answer was lost past the retry
            // window, or its kept token can no longer be read). The old token is revoked.
            const before = this.q.enrolledAs.get(id, client.token_hash);
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
            this.q.revokeDevice.run(client.token_hash);
            this.q.addDevice.run(tokenHash, row.centre_id, row.label, at);
            this.q.rebindClient.run(tokenHash, at, id);
            this.q.redeem.run(at, id, tokenHash, hash);
            reenrolled = true;
          } else {
            this.q.addDevice.run(tokenHash, row.centre_id, row.label, at);
            this.q.insertClient.run(id, tokenHash, row.centre_id, at);
            this.q.redeem.run(at, id, tokenHash, hash);
          }
        }
        return {
          deviceId: id,
          deviceToken: token,
          centre: JSON.parse(row.centre) as EnrolResponse['centre'],
          counter: { code: row.counter_code, tokenPrefix: row.token_prefix },
          label: row.label,
        };
      })
      .immediate();
    return { answer, reenrolled };
  }
}
