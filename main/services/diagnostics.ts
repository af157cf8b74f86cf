/**
 * The diagnostics bundle a supervisor saves for IT: one JSON file with the versions, the OS,
 * the provisioning without secrets, the sync state, the printer's state, the database's copies
 * and the recent log lines. Nothing personal: no name, mobile, ID number or PIN of anyone, and
 * no secret (device token, PIN hashes, database key).
 *
 * Built from allow-lists: each part names the fields it takes, so a field added to the
 * provisioning later (a secret, perhaps) stays out until someone adds it here on purpose.
 * Text that comes from elsewhere (the portal's error messages, printer errors, log lines)
 * passes through the logs' redaction as well.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import os from 'node:os';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PrintJobView, Provisioning, SyncStatusView } from '../../common/domain';
import { logFiles, logsDir } from '../logging/logger';
import { redactText, redactValue } from '../logging/redact';
import { listBackups } from '../store/backup';
import { schemaVersion, type Db } from '../store/database';
import { MIGRATIONS } from '../store/migrations';

export const DIAGNOSTICS_FORMAT = 'registration-counter-diagnostics';
/** How much of the newest log files the bundle takes (the last lines, whole). */
export const DIAGNOSTICS_LOG_BYTES = 300 * 1024;

export interface DiagnosticsInput {
  db: Db;
  /** the counter's database file */
  dbFile: string;
  dataDir: string;
  deviceId: string;
  provisioning: Provisioning | null;
  sync: SyncStatusView;
  /** today's print jobs (slips and test prints) */
  printJobs: readonly PrintJobView[];
  appVersion: string;
  now: Date;
  logBytes?: number;
  /** the OS user's home folder, written `~` in the bundle (its name is often a person's) */
  homeDir?: string;
  /** the platform whose paths the log names (default: this one's): on win32 paths are matched whatever their case */
  platform?: NodeJS.Platform;
}

/**
 * The ways a home folder appears in text: as a path, and on Windows with forward slashes too;
 * as a file URL (error stacks name files so: file:///C:/Users/<name>/...), %-encoded where
 * the name has spaces or letters outside ASCII, and decoded. Longest first.
 */
export function homeFolderForms(home: string, platform: NodeJS.Platform): string[] {
  const forms = new Set<string>([home]);
  if (platform === 'win32') {
    const forward = home.replaceAll('\\', '/');
    forms.add(forward);
    // as Node's pathToFileURL writes a Windows path, on any platform: %, # and ? escaped, then the URL's own encoding
    const escaped = forward.replaceAll('%', '%25').replaceAll('#', '%23').replaceAll('?', '%3F');
    const url = new URL(`file:///${escaped.replace(/^\/+/, '')}`).href;
    forms.add(url);
    forms.add(url.slice('file://'.length));
    forms.add(url.slice('file:///'.length));
  } else {
    const url = pathToFileURL(home).href;
    forms.add(url);
    forms.add(url.slice('file://'.length));
  }
  return [...forms].filter((f) => f.length > 1).sort((a, b) => b.length - a.length);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The portal's address without anything that could be a credential (user, password, query). */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

/** The provisioning, field by field, without the device token. */
function provisioningPart(p: Provisioning | null) {
  if (!p) return null;
  return {
    centre: { id: p.centre.id, name: p.centre.name, timeZone: p.centre.timeZone },
    counter: { code: p.counter.code, tokenPrefix: p.counter.tokenPrefix },
    lanes: p.lanes,
    queuePolicy: p.queuePolicy,
    eligibility: p.eligibility,
    vaccines: p.vaccines.map((v) => ({ code: v.code, name: v.name })),
    security: {
      maxPinAttempts: p.security.maxPinAttempts,
      lockMinutes: p.security.lockMinutes,
      idleLockMinutes: p.security.idleLockMinutes,
      stepUpMinutes: p.security.stepUpMinutes,
    },
    printing: p.printing,
    portal: p.portal ? { url: safeUrl(p.portal.url), deviceToken: 'set (not included)' } : null,
    sync: p.sync,
  };
}

function syncPart(s: SyncStatusView) {
  return {
    state: s.state,
    waitingToUpload: s.pending,
    oldestWaitingAt: s.oldestPendingAt,
    needsAttention: s.needsAttention,
    uploading: s.uploading,
    lastSuccessAt: s.lastSuccessAt,
    lastAttemptAt: s.lastAttemptAt,
    nextRetryAt: s.nextRetryAt,
    lastError: s.lastError ? { code: s.lastError.code, message: redactText(s.lastError.message) } : null,
    lastRosterPullAt: s.rosterPulledAt,
    clockOffsetMs: s.clockOffsetMs ?? null,
  };
}

function printerPart(p: Provisioning | null, jobs: readonly PrintJobView[]) {
  const count = (status: PrintJobView['status']) => jobs.filter((j) => j.status === status).length;
  const lastFailed = [...jobs].filter((j) => j.status === 'failed').sort((a, b) => (a.requestedAt < b.requestedAt ? 1 : -1))[0];
  const last = [...jobs].sort((a, b) => (a.requestedAt < b.requestedAt ? 1 : -1))[0];
  return {
    target: p?.printing.printer ?? null,
    today: { printed: count('printed'), failed: count('failed'), queued: count('queued') + count('printing') },
    lastJob: last ? { kind: last.kind, status: last.status, at: last.finishedAt ?? last.requestedAt } : null,
    lastFailure: lastFailed
      ? {
          at: lastFailed.finishedAt ?? lastFailed.requestedAt,
          code: lastFailed.errorCode,
          message: lastFailed.error === null ? null : redactText(lastFailed.error),
        }
      : null,
  };
}

function sizeOf(file: string): number | null {
  try {
    return statSync(file).size;
  } catch {
    return null;
  }
}

/** The last `bytes` of the log, newest file last, whole lines only; each line redacted again (a file written by an older version, say). */
export function recentLogLines(
  dataDir: string,
  bytes = DIAGNOSTICS_LOG_BYTES,
): { files: string[]; lines: unknown[]; truncated: boolean } {
  const files = logFiles(logsDir(dataDir));
  const chunks: string[] = [];
  const used: string[] = [];
  let left = bytes;
  let truncated = false;
  for (const f of [...files].reverse()) {
    if (left <= 0) {
      truncated = true;
      break;
    }
    const size = sizeOf(f.file) ?? 0;
    const take = Math.min(size, left);
    const buf = Buffer.alloc(take);
    const fd = openSync(f.file, 'r');
    try {
      readSync(fd, buf, 0, take, size - take);
    } finally {
      closeSync(fd);
    }
    let text = buf.toString('utf8');
    // a line cut by the start of what was read is left out
    if (take < size) {
      text = text.slice(text.indexOf('\n') + 1);
      truncated = true;
    }
    chunks.unshift(text);
    used.unshift(basename(f.file));
    left -= take;
  }
  const lines = chunks
    .join('')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => {
      try {
        return redactValue(JSON.parse(l));
      } catch {
        return redactText(l);
      }
    });
  return { files: used, lines, truncated };
}

/** How many of the log's last warnings and errors the bundle lists on their own. */
export const RECENT_PROBLEMS = 50;

/** A log line at warn (40) or above. */
function isProblem(line: unknown): boolean {
  return typeof line === 'object' && line !== null && 'level' in line && typeof line.level === 'number' && line.level >= 40;
}

export interface DiagnosticsBundle {
  fileName: string;
  json: string;
}

/** The bundle as one JSON text, and the name to save it under. */
export function buildDiagnostics(input: DiagnosticsInput): DiagnosticsBundle {
  const p = input.provisioning;
  const stamp = input.now
    .toISOString()
    .replaceAll(':', '')
    .replace(/\.\d+Z$/, 'Z');
  const who = p ? `${p.centre.id}-${p.counter.code}` : 'not-set-up';
  const log = recentLogLines(input.dataDir, input.logBytes);
  const bundle = {
    format: DIAGNOSTICS_FORMAT,
    formatVersion: 1,
    createdAt: input.now.toISOString(),
    versions: {
      app: input.appVersion,
      electron: process.versions.electron ?? null,
      chrome: process.versions.chrome ?? null,
      node: process.versions.node,
      schema: { database: schemaVersion(input.db), app: MIGRATIONS.length },
    },
    os: {
      platform: process.platform,
      release: os.release(),
      arch: process.arch,
      cpus: os.cpus().length,
      memoryMb: Math.round(os.totalmem() / 2 ** 20),
      freeMemoryMb: Math.round(os.freemem() / 2 ** 20),
      uptimeHours: Math.round(os.uptime() / 360) / 10,
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    },
    device: { deviceId: input.deviceId },
    provisioning: provisioningPart(p),
    sync: syncPart(input.sync),
    /** the last warnings and errors of the log (sync, printer, updates), also among its lines below */
    recentProblems: log.lines.filter(isProblem).slice(-RECENT_PROBLEMS),
    printer: printerPart(p, input.printJobs),
    storage: {
      dataDir: input.dataDir,
      databaseBytes: sizeOf(input.dbFile),
      writeAheadLogBytes: sizeOf(`${input.dbFile}-wal`),
      backups: listBackups(input.dbFile).map((b) => ({
        name: b.name,
        fromSchema: b.fromVersion,
        toSchema: b.toVersion,
        madeAt: b.madeAt,
        bytes: sizeOf(b.file),
      })),
      logFiles: logFiles(logsDir(input.dataDir)).map((f) => ({ name: basename(f.file), bytes: sizeOf(f.file) })),
    },
    log,
  };
  let json = `${JSON.stringify(bundle, null, 2)}\n`;
  // paths name the OS user's folder (C:\Users\<name>, /home/<name>): written ~
  // and so do error stacks, as file URLs (file:///C:/Users/<name>/...); Windows paths in any case
  const home = input.homeDir ?? os.homedir();
  const platform = input.platform ?? process.platform;
  if (home.length > 1) {
    for (const form of homeFolderForms(home, platform)) {
      const inJson = JSON.stringify(form).slice(1, -1);
      json = json.replace(new RegExp(escapeRegExp(inJson), platform === 'win32' ? 'gi' : 'g'), '~');
    }
  }
  return { fileName: `counter-diagnostics-${who}-${stamp}.json`, json };
}
