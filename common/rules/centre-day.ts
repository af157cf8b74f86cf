/**
 * "Today" at a counter is the centre's calendar day in the centre's time zone,
 * never the PC's: a counter PC left on UTC must still open the right day.
 */
// Intl formatters are costly to build (a check-in asks for the day and the time several
// times): one of each kind per time zone.
const formatters = new Map<string, Intl.DateTimeFormat>();
const timeFormatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

function timeFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = timeFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    timeFormatters.set(timeZone, f);
  }
  return f;
}

/** `YYYY-MM-DD` of `at` in `timeZone`. */
export function centreDay(at: Date, timeZone: string): string {
  return formatter(timeZone).format(at);
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** Wall-clock `HH:MM` of `at` in `timeZone`. */
export function centreTime(at: Date, timeZone: string): string {
  return timeFormatter(timeZone).format(at);
}

/** Minutes since the centre's midnight for `at`. */
export function centreMinuteOfDay(at: Date, timeZone: string): number {
  const [h, m] = centreTime(at, timeZone).split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

export function isIsoDay(s: string): boolean {
  // arithmetic, not a Date round trip: the portal checks a day on every mutation it takes
  if (!ISO_DAY.test(s)) return false;
  const year = Number(s.slice(0, 4));
  const month = Number(s.slice(5, 7));
  const day = Number(s.slice(8, 10));
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** The calendar day `days` after (or, negative, before) a YYYY-MM-DD day. */
export function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
