import { describe, expect, it } from 'vitest';
import { centreDay, centreMinuteOfDay, centreTime, isIsoDay, isValidTimeZone } from '../../common/rules/centre-day';

const IST = 'Asia/Kolkata';

describe("the centre's day", () => {
  it('is the calendar day in the centre time zone, not UTC', () => {
    // 20:00 UTC is 01:30 the next morning in India
    expect(centreDay(new Date('2021-03-04T20:00:00Z'), IST)).toBe('2021-03-05');
    expect(centreDay(new Date('2021-03-04T20:00:00Z'), 'UTC')).toBe('2021-03-04');
  });

  it('turns at midnight IST, 18:30 UTC', () => {
    expect(centreDay(new Date('2021-03-04T18:29:59.999Z'), IST)).toBe('2021-03-04');
    expect(centreDay(new Date('2021-03-04T18:30:00.000Z'), IST)).toBe('2021-03-05');
  });

  it('handles the year and month ends', () => {
    expect(centreDay(new Date('2020-12-31T18:30:00Z'), IST)).toBe('2021-01-01');
    expect(centreDay(new Date('2021-02-28T19:00:00Z'), IST)).toBe('2021-03-01');
  });

  it('gives the wall-clock time and the minute of the day in the centre', () => {
    expect(centreTime(new Date('2021-03-04T04:30:00Z'), IST)).toBe('10:00');
    expect(centreMinuteOfDay(new Date('2021-03-04T04:30:00Z'), IST)).toBe(600);
    expect(centreMinuteOfDay(new Date('2021-03-04T18:30:00Z'), IST)).toBe(0);
    expect(centreMinuteOfDay(new Date('2021-03-04T18:29:00Z'), IST)).toBe(23 * 60 + 59);
  });

  it('knows valid time zones', () => {
    expect(isValidTimeZone(IST)).toBe(true);
    expect(isValidTimeZone('Asia/Calcutta')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });

  it('accepts only real calendar days as YYYY-MM-DD', () => {
    expect(isIsoDay('2021-03-05')).toBe(true);
    expect(isIsoDay('2020-02-29')).toBe(true);
    expect(isIsoDay('2021-02-29')).toBe(false);
    expect(isIsoDay('2021-13-01')).toBe(false);
    expect(isIsoDay('2021-3-5')).toBe(false);
    expect(isIsoDay('05-03-2021')).toBe(false);
    expect(isIsoDay('2021-03-05T00:00')).toBe(false);
  });
});
