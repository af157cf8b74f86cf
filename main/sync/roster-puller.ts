/**
 * The roster puller: today's and tomorrow's roster from the portal, every few minutes and on
 * "sync now", through roster-pull.ts (which applies the pages). It backs off apart from the
 * uploads, so a roster the counter cannot take never holds them up.
 */
import { addDays, centreDay } from '../../common/rules/centre-day';
import { removeImports, unwantedImports } from '../store/roster';
import type { SyncContext } from './context';
import { PortalFailure } from './portal-client';
import type { RetryPolicy } from './retry-policy';
import { PAGE_LIMIT, pullRoster } from './roster-pull';

export class RosterPuller {
  /** "sync now" requests so far: one arriving during a pull is not lost */
  private asked = 0;

  constructor(
    private readonly ctx: SyncContext,
    private readonly policy: RetryPolicy,
  ) {}

  /** A person asked for a pull now. */
  ask(): void {
    this.asked++;
  }

  /** Pulls both days; a failure plans the roster's own retry and ends the pull quietly. */
  async pull(): Promise<void> {
    const { o, clock } = this.ctx;
    const asked = this.asked;
    const today = centreDay(clock.date(), o.timeZone);
    try {
      for (const day of [today, addDays(today, 1)]) {
        if (this.ctx.stopped) return;
        await this.pullDay(day);
      }
    } catch (e) {
      if (!(e instanceof PortalFailure)) throw e;
      // planned by the request; a failure found after the answer (a page for another centre) is counted here
      if (!this.ctx.recorded(e)) this.ctx.failed(e, 'roster');
      return;
    }
    this.policy.rosterPulled();
    // rosters of days gone by leave with the day, as they do at start
    await removeImports(o.db, unwantedImports(o.db, today), 1000);
    // asked again while pulling: pull again rather than forget the request
    this.policy.setDue('roster', this.asked !== asked ? 0 : clock.now() + o.settings.rosterPullMinutes * 60_000);
    this.ctx.update({ rosterPulledAt: clock.date().toISOString() });
  }

  private async pullDay(day: string): Promise<void> {
    const { o, clock } = this.ctx;
    const result = await pullRoster(
      o.db,
      o.centreId,
      day,
      (cursor) => this.ctx.request((signal) => o.client.rosterPage(o.centreId, day, cursor, PAGE_LIMIT, signal), 'roster'),
      () => clock.date(),
    );
    if (result.skipped > 0) {
      o.log.warn(
        { day, skipped: result.skipped, firstProblem: result.firstProblem },
        'roster bookings the counter cannot take were skipped',
      );
    }
    if (result.kept) {
      o.log.warn({ day, rows: result.count }, 'the portal has no bookings for the day: the roster in use (from a file) is kept');
      return;
    }
    if (result.mode === 'full' || result.changes > 0) {
      o.log.info({ ...result }, 'roster pulled');
      o.onRosterChanged?.(day);
    }
  }
}
