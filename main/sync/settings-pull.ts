/**
 * The district settings puller: after each roster pull (every few minutes, and on "sync now"),
 * asks the portal for the centre's district settings newer than the version in force, and hands
 * an answer to main/services/district-settings.ts, which applies it whole or refuses it.
 */
import { applyDistrictSettings, type ApplyHooks } from '../services/district-settings';
import { districtHeader } from '../store/district-settings';
import type { SyncContext } from './context';
import { PortalFailure } from './portal-client';

export class SettingsPuller {
  constructor(
    private readonly ctx: SyncContext,
    private readonly hooks?: ApplyHooks,
  ) {}

  /** One look; a failure is planned by the request (the roster's route) and ends the look quietly. */
  async pull(): Promise<void> {
    const { o, clock } = this.ctx;
    const header = districtHeader(o.db);
    const known = header && header.centre_id === o.centreId ? header.version : 0;
    let answer: unknown;
    try {
      answer = await this.ctx.request((signal) => o.client.districtSettings(o.centreId, known, signal), 'roster');
    } catch (e) {
      if (!(e instanceof PortalFailure)) throw e;
      if (e.kind === 'bad_answer')
        o.log.error({ reason: e.message }, 'district settings refused: the settings in force are kept');
      return;
    }
    if (answer === null) {
      this.ctx.update({ districtSettingsVersion: known || null });
      return;
    }
    const outcome = applyDistrictSettings(o.db, {
      centreId: o.centreId,
      now: clock.date(),
      answer,
      ...(this.hooks ? { hooks: this.hooks } : {}),
    });
    switch (outcome.kind) {
      case 'applied':
        o.log.info(
          {
            version: outcome.version,
            previous: outcome.previous,
            parts: outcome.parts,
            localPolicyCleared: outcome.localPolicyCleared,
          },
          'district settings applied',
        );
        this.ctx.update({ districtSettingsVersion: outcome.version });
        return;
      case 'ignored':
        o.log.warn(
          { version: outcome.version, inForce: outcome.inForce },
          'district settings not newer than those in force: ignored',
        );
        return;
      case 'refused':
        o.log.error(
          { refusal: outcome.refusal, reason: outcome.reason },
          'district settings refused: the settings in force are kept',
        );
        return;
    }
  }
}
