// The counter's log files: a new file each day and whenever one is full (pino-roll), the last
// 14 days kept, a bound on the number of files, owner-only; no name, mobile or ID number in
// them even when a caller or an error message passes one.
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logFiles, openCounterLog, removeOldLogs, type CounterLog } from '../../main/logging/logger';
import { redactText } from '../../main/logging/redact';
import { tempDir } from '../store/harness';

const open: CounterLog[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const l of open.splice(0)) await l.close();
});

async function openLog(dataDir: string, options: Parameters<typeof openCounterLog>[1] = {}) {
  const l = await openCounterLog(dataDir, options);
  open.push(l);
  return l;
}

const onDisk = (dir: string) =>
  logFiles(dir)
    .map((f) => readFileSync(f.file, 'utf8'))
    .join('');
/** Until the text logged last is in a file (pino-roll starts a new file once a write has reached the disk). */
const written = (l: CounterLog, last: string) =>
  vi.waitFor(() => expect(onDisk(l.dir)).toContain(last), { timeout: 5000, interval: 5 });
const lines = (files: string[]) =>
  files.flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  );
const day = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

describe('rotation by size', () => {
  it('starts a new file each time one passes the size; every line is in one file, in order', async () => {
    const dataDir = tempDir('counter-logs-');
    const l = await openLog(dataDir, { size: '1k' });
    const N = 120;
    for (let i = 0; i < N; i++) {
      l.log.info({ i, ticketId: '0190b2c3-1234-7abc-8def-123456789012' }, 'slip printed');
      if (i % 5 === 4) await written(l, `"i":${i},`);
    }
    await l.close();
    const files = logFiles(l.dir);
    expect(files.length).toBeGreaterThanOrEqual(4);
    expect(new Set(files.map((f) => f.day))).toEqual(new Set([day(new Date())]));
    expect(files.map((f) => f.number)).toEqual(files.map((_, k) => k + 1));
    // a file grows past the size by at most what was written before the switch
    for (const f of files.slice(0, -1)) expect(statSync(f.file).size).toBeLessThan(1024 * 3);
    expect(lines(files.map((f) => f.file)).map((r) => r.i)).toEqual(Array.from({ length: N }, (_, i) => i));
    // owner-only
    expect(statSync(l.dir).mode & 0o777).toBe(0o700);
    for (const f of files) expect(statSync(f.file).mode & 0o777).toBe(0o600);
  });

  it('keeps at most the number of files set, the newest', async () => {
    const dataDir = tempDir('counter-logs-');
    const l = await openLog(dataDir, { size: '1k', maxFiles: 3 });
    for (let i = 0; i < 150; i++) {
      l.log.info({ i }, 'a line long enough to fill a small file soon: '.padEnd(80, '.'));
      if (i % 5 === 4) await written(l, `"i":${i},`);
    }
    await l.close();
    // pino-roll removes in the background after each roll
    await vi.waitFor(() => expect(logFiles(l.dir).length).toBeLessThanOrEqual(4), { timeout: 5000, interval: 20 });
    const kept = lines(logFiles(l.dir).map((f) => f.file)).map((r) => r.i as number);
    expect(kept.at(-1)).toBe(149);
  });
});

describe('rotation by day, kept 14 days', () => {
  it('files of days past the 14 are removed at opening; today and the 13 before stay', async () => {
    const dataDir = tempDir('counter-logs-');
    const dir = join(dataDir, 'logs');
    mkdirSync(dir, { recursive: true });
    const now = new Date(2026, 11, 4, 10, 0, 0);
    for (const d of ['2026-11-01', '2026-11-20', '2026-11-21', '2026-12-03'])
      writeFileSync(join(dir, `counter.${d}.1.log`), '{}\n');
    writeFileSync(join(dir, 'not-a-log.txt'), 'kept');
    removeOldLogs(dir, now);
    expect(logFiles(dir).map((f) => f.day)).toEqual(['2026-11-21', '2026-12-03']);
    expect(existsSync(join(dir, 'not-a-log.txt'))).toBe(true);
  });

  it('the single unrotated file of an earlier version joins the rotated ones under its last day, and goes with them', async () => {
    const now = new Date();
    for (const [age, kept] of [
      [20, false],
      [2, true],
    ] as const) {
      const dataDir = tempDir('counter-logs-');
      const dir = join(dataDir, 'logs');
      mkdirSync(dir, { recursive: true });
      const old = join(dir, 'counter.log');
      writeFileSync(old, '{"msg":"from an earlier version"}\n');
      const then = new Date(now.getTime() - age * 86_400_000);
      utimesSync(old, then, then);
      const l = await openLog(dataDir);
      expect(existsSync(old)).toBe(false);
      expect(existsSync(join(dir, `counter.${day(then)}.0.log`))).toBe(kept);
      await l.close();
    }
  });

  it('at midnight the log moves to a file of the new day, and the day past the 14 goes', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'], now: new Date(2026, 11, 4, 23, 59, 58) });
    const dataDir = tempDir('counter-logs-');
    const dir = join(dataDir, 'logs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'counter.2026-11-21.1.log'), '{}\n');
    const l = await openLog(dataDir);
    expect(existsSync(join(dir, 'counter.2026-11-21.1.log'))).toBe(true);
    l.log.info('before midnight');
    await written(l, 'before midnight');
    vi.advanceTimersByTime(3000);
    await vi.waitFor(() => expect(existsSync(join(dir, 'counter.2026-12-05.1.log'))).toBe(true), { timeout: 2000, interval: 10 });
    l.log.info('after midnight');
    await l.close();
    expect(lines([join(dir, 'counter.2026-12-04.1.log')]).map((r) => r.msg)).toEqual(['before midnight']);
    expect(lines([join(dir, 'counter.2026-12-05.1.log')]).map((r) => r.msg)).toEqual(['after midnight']);
    // 2026-11-21 is the 15th day back from 2026-12-05
    expect(existsSync(join(dir, 'counter.2026-11-21.1.log'))).toBe(false);
  });
});

describe('no personal data in the log', () => {
  const NAME = 'Savitri Devi Kushwaha';
  const MOBILE = '9812345670';
  const AADHAAR = '4567 8901 2345';
  const PAN = 'ABCPK1234F';

  it('fields named like personal data are removed, and mobiles or ID numbers in any text are masked; record IDs stay', async () => {
    const dataDir = tempDir('counter-logs-');
    const l = await openLog(dataDir);
    const ticketId = '0190b2c3-1234-7abc-8def-123456789012';
    l.log.info(
      { ticketId, name: NAME, form: { mobile: MOBILE, photoIdNumber: AADHAAR, nameHi: 'सावित्री' } },
      'walk-in registered',
    );
    l.log.warn({ detail: `the portal said: ${PAN} / +91 ${MOBILE} / ${AADHAAR.replaceAll(' ', '')}` }, `resend for ${MOBILE}`);
    l.log.error({ err: new Error(`UNIQUE constraint failed for ${AADHAAR}`) }, 'handler failed');
    await l.close();
    const text = logFiles(l.dir)
      .map((f) => readFileSync(f.file, 'utf8'))
      .join('');
    for (const needle of [NAME, 'Savitri', 'सावित्री', MOBILE, AADHAAR, AADHAAR.replaceAll(' ', ''), PAN])
      expect(text).not.toContain(needle);
    expect(text).toContain(ticketId);
    expect(text).toContain('[removed]');
    expect(text).toContain('[mobile]');
    expect(text).toContain('[id-number]');
    expect(text).toContain('UNIQUE constraint failed');
  });

  it('masks the ID formats the counter accepts, and leaves times, versions and UUIDs alone', () => {
    for (const id of [
      '123456789012',
      '1234-5678-9012',
      'AB1234567890123456',
      'ABC1234567',
      'A1234567',
      'MH1220190012345',
      'ABCPK1234F',
    ])
      expect(redactText(`id ${id}.`)).toBe('id [id-number].');
    for (const m of ['9876543210', '+919876543210', '09876543210', '98765 43210'])
      expect(redactText(`m ${m}`)).toBe('m [mobile]');
    for (const safe of [
      '2026-12-04T09:05:00.000Z',
      '1.4.2',
      '0190b2c3-1234-7abc-8def-123456789012',
      'counter-schema-5-to-6-20261204T090500000Z.db',
    ])
      expect(redactText(safe)).toBe(safe);
  });
});
