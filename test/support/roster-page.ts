import type { CheckedRosterPage, RosterChange } from '../../common/sync-protocol';

/** One checked roster page of centre C1, the last of its pull, with nothing skipped. */
export const lastRosterPage = (day: string, changes: RosterChange[], cursor: string): CheckedRosterPage => ({
  centreId: 'C1',
  date: day,
  changes,
  cursor,
  hasMore: false,
  skipped: 0,
  firstProblem: null,
});
