import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import pinoRoll from 'pino-roll';
import { PERSONAL_KEYS, redactText, redactValue } from './redact';

export type Logger = pino.Logger;

/**
 * Logs never carry full ID numbers, mobiles, names or PINs: the code names records by UUID or
 * token, and every line passes through redactValue (personal fields removed, numbers that look
 * like a mobile or an ID masked) as a net under that rule.
 */
const redacting: pino.LoggerOptions = {
  formatters: { log: (object) => redactValue(object) as Record<string, unknown> },
  hooks: {
    logMethod(args, method) {
      // the message itself: `log.info(obj, msg)` or `log.info(msg)`
      const i = args.findIndex((a) => typeof a === 'string');
      if (i >= 0) args[i] = redactText(args[i] as string);
      method.apply(this, args);
    },
  },
};

/** Structured JSON logs (pino), to stdout or to one file. */
export function createLogger(options: { level?: string; destination?: string } = {}): Logger {
  const level = options.level ?? process.env.COUNTER_LOG_LEVEL ?? 'info';
  if (options.destination) {
    return pino({ level, ...redacting }, pino.destination({ dest: options.destination, mkdir: true, sync: false }));
  }
  return pino({ level, ...redacting });
}

export const silentLogger = (): Logger => pino({ level: 'silent' });

/** The counter's log files: `<dataDir>/logs/counter.<yyyy-MM-dd>.<n>.log`. */
export const LOG_BASE = 'counter';
/** A new file each day, and within a day each time one reaches this size. */
export const LOG_FILE_SIZE = '5m';
/** How many days of files are kept. */
export const LOG_KEEP_DAYS = 14;
/** At most this many files in all (a bound on disk use when a day writes many: 60 × 5 MB). */
export const LOG_MAX_FILES = 60;

const LOG_FILE = /^counter\.(\d{4})-(\d{2})-(\d{2})\.(\d+)\.log$/;

export function logsDir(dataDir: string): string {
  return join(dataDir, 'logs');
}

/** The counter's log files, oldest first (by day, then number). */
export function logFiles(dir: string): { file: string; day: string; number: number }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .flatMap((name) => {
      const m = LOG_FILE.exec(name);
      return m ? [{ file: join(dir, name), day: `${m[1]}-${m[2]}-${m[3]}`, number: Number(m[4]) }] : [];
    })
    .sort((a, b) => (a.day === b.day ? a.number - b.number : a.day < b.day ? -1 : 1));
}

/** The local calendar day (the one pino-roll names the files after). */
function localDay(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** Removes the log files of days more than `keepDays` before `now` (today is one of the days kept). */
export function removeOldLogs(dir: string, now: Date, keepDays = LOG_KEEP_DAYS): string[] {
  const first = new Date(now);
  first.setDate(first.getDate() - (keepDays - 1));
  const oldestKept = localDay(first);
  const removed: string[] = [];
  for (const f of logFiles(dir)) {
    if (f.day >= oldestKept) continue;
    rmSync(f.file, { force: true });
    removed.push(f.file);
  }
  return removed;
}

/**
 * The single file earlier versions wrote (`logs/counter.log`, never rotated) joins the rotated
 * ones under the day it was last written, so it is removed with them after LOG_KEEP_DAYS.
 */
export function adoptUnrotatedLog(dir: string): void {
  const old = join(dir, `${LOG_BASE}.log`);
  if (!existsSync(old)) return;
  renameSync(old, join(dir, `${LOG_BASE}.${localDay(statSync(old).mtime)}.0.log`));
}

export interface CounterLog {
  log: Logger;
  dir: string;
  /** Writes what is buffered and closes the file. */
  close(): Promise<void>;
}

export interface CounterLogOptions {
  level?: string;
  /** pino-roll's size: '5m', '1k' */
  size?: string;
  keepDays?: number;
  maxFiles?: number;
  now?: () => Date;
}

/**
 * The counter's log: files in `<dataDir>/logs/` (folder 0700, files 0600), a new one each day
 * and whenever one reaches LOG_FILE_SIZE (pino-roll), the last LOG_KEEP_DAYS days kept.
 * pino-roll's stream is used in this thread, not as a pino transport: a transport is a worker
 * thread that loads pino-roll by name at run time, which a bundled main process (electron-vite)
 * inside an asar archive cannot resolve; the stream writes asynchronously (SonicBoom) either way.
 */
export async function openCounterLog(dataDir: string, options: CounterLogOptions = {}): Promise<CounterLog> {
  const dir = logsDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const now = options.now ?? (() => new Date());
  const keepDays = options.keepDays ?? LOG_KEEP_DAYS;
  adoptUnrotatedLog(dir);
  removeOldLogs(dir, now(), keepDays);
  const stream = await pinoRoll({
    file: join(dir, LOG_BASE),
    extension: '.log',
    frequency: 'daily',
    dateFormat: 'yyyy-MM-dd',
    size: options.size ?? LOG_FILE_SIZE,
    limit: { count: options.maxFiles ?? LOG_MAX_FILES, removeOtherLogFiles: true },
    mode: 0o600,
    sync: false,
  });
  // each new file (a new day, or a full one): the days past keeping go
  stream.on('ready', () => {
    try {
      removeOldLogs(dir, now(), keepDays);
    } catch {
      // the next roll tries again
    }
  });
  let closed = false;
  stream.once('close', () => (closed = true));
  const log = pino({ level: options.level ?? process.env.COUNTER_LOG_LEVEL ?? 'info', ...redacting }, stream);
  return {
    log,
    dir,
    close: () =>
      new Promise<void>((resolve) => {
        // what is logged after this is dropped, not thrown at the caller
        log.level = 'silent';
        if (closed) return resolve();
        stream.once('close', () => resolve());
        stream.flush(() => stream.end());
      }),
  };
}

export { PERSONAL_KEYS };
