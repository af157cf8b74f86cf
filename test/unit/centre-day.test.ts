import fc from 'fast-check';
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
    expect(isIsoDay('1900-02-29')).toBe(false);
    expect(isIsoDay('2000-02-29')).toBe(true);
    expect(isIsoDay('2021-04-31')).toBe(false);
    expect(isIsoDay('2021-00-10')).toBe(false);
    expect(isIsoDay('2021-01-00')).toBe(false);
  });

  it('agrees with the calendar for any year, month and day numbers', () => {
    // the calendar's answer: the day survives a round trip through a UTC date
    const calendar = (s: string) => {
      const d = new Date(`${s}T00:00:00Z`);
      return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
    };
    const pad = (n: number, w: number) => String(n).padStart(w, '0');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        (y, m, d) => {
          const s = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
          expect(isIsoDay(s)).toBe(calendar(s));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
