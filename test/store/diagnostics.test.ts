// The diagnostics bundle a supervisor saves for IT: the versions, the settings without secrets,
// the sync and printer state, the database's copies and the recent log lines; nothing personal
// (a counter holding known names, mobiles and ID numbers, in its database and in its log, gives
// a bundle with none of them), and only a supervisor may save it.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openCounterLog, type CounterLog } from '../../main/logging/logger';
import { buildDiagnostics, DIAGNOSTICS_FORMAT, recentLogLines } from '../../main/services/diagnostics';
import { openDatabase } from '../../main/store/database';
import { UNKNOWN_SYNC_STATUS } from '../../common/domain';
import { MIGRATIONS } from '../../main/store/migrations';
import {
  fakeClock,
  importRosterCsv,
  MORNING,
  OPERATOR,
  openCounter,
  rosterEntry,
  setupCounter,
  SUBMISSION,
  SUPERVISOR,
  tempDir,
  walkInForm,
  type Counter,
} from './harness';

const counters: Counter[] = [];
const logs: CounterLog[] = [];
afterEach(async () => {
  for (const c of counters.splice(0)) await c.dispose();
  for (const l of logs.splice(0)) await l.close();
});

const KEY = randomBytes(32).toString('hex');
const DEVICE_TOKEN = 'device-token-9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const PORTAL = { url: 'https://portal.example.org/district', deviceToken: DEVICE_TOKEN };

/** A supervisor's counter with an encrypted database, a portal set, and its log in <dataDir>/logs/ as the desktop app keeps it. */
async function counterWithLog(): Promise<{ c: Counter; log: CounterLog }> {
  const first = await setupCounter({ backend: { databaseKey: KEY }, provisioning: { portal: PORTAL }, withOperator: true });
  await first.close();
  const log = await openCounterLog(first.dataDir);
  logs.push(log);
  const c = await openCounter(first.dataDir, fakeClock(MORNING), { databaseKey: KEY, log: log.log });
  counters.push(c);
  await c.signIn(SUPERVISOR);
  return { c, log };
}

const forms = [1, 2, 3].map((n) =>
  walkInForm(n, { name: ['Savitri Devi Kushwaha', 'Harpreet Singh Bedi', 'Lakshmi Narayanan'][n - 1]! }),
);
const rosterNames = ['Bhagwati Prasad Tiwari', 'Rukhsana Begum'];

async function seedPeople(c: Counter) {
  await importRosterCsv(
    c,
    c.backend.today()!,
    rosterNames.map((name, i) => rosterEntry(`REF00${i + 1}XYZ`, { name, mobileLast4: '4321' })),
  );
  for (const [i, form] of forms.entries())
    await c.ok('registerWalkIn', { submissionId: SUBMISSION(i + 1), form, acknowledgedDuplicates: [] });
}

describe('the diagnostics bundle', () => {
  it('holds the versions, the settings without secrets, the sync and printer state, the copies and the recent log; no name, mobile, ID number, PIN hash, device token or key', async () => {
    const { c, log } = await counterWithLog();
    await seedPeople(c);
    // what a caller might wrongly pass to the log, and an older version's line that had no redaction
    log.log.warn({ name: forms[0]!.name, mobile: forms[0]!.mobile }, `resend of ${forms[1]!.photoIdNumber}`);
    await log.close();
    writeFileSync(
      join(c.dataDir, 'logs', 'counter.2021-04-09.1.log'),
      `${JSON.stringify({ level: 30, msg: `walk-in ${forms[2]!.mobile}`, name: forms[2]!.name, photoIdNumber: forms[2]!.photoIdNumber })}\nnot json ${forms[0]!.mobile}\n`,
    );

    const r = await c.ok('saveDiagnostics', {});
    expect(r.fileName).toBe('counter-diagnostics-TEST-CHC-01-C1-2021-04-10T043000Z.json');
    const bundle = JSON.parse(r.json) as Record<string, any>;

    // what IT needs
    expect(bundle.format).toBe(DIAGNOSTICS_FORMAT);
    expect(bundle.versions.node).toBe(process.versions.node);
    expect(bundle.versions.schema).toEqual({ database: MIGRATIONS.length, app: MIGRATIONS.length });
    expect(bundle.os.platform).toBe(process.platform);
    expect(bundle.device.deviceId).toBe(c.backend.deviceId);
    expect(bundle.provisioning.centre).toEqual({ id: 'TEST-CHC-01', name: 'Test CHC', timeZone: 'Asia/Kolkata' });
    expect(bundle.provisioning.portal).toEqual({ url: PORTAL.url, deviceToken: 'set (not included)' });
    expect(bundle.provisioning.security.maxPinAttempts).toBe(5);
    expect(bundle.sync).toMatchObject({ waitingToUpload: expect.any(Number), lastRosterPullAt: null, lastError: null });
    expect(bundle.sync.waitingToUpload).toBeGreaterThan(0);
    expect(bundle.sync.oldestWaitingAt).toBe(MORNING);
    expect(bundle.printer.target).toEqual({ kind: 'none' });
    expect(bundle.storage.logFiles.length).toBeGreaterThanOrEqual(2);
    expect(bundle.log.lines.length).toBeGreaterThan(3);
    expect(bundle.log.lines).toContainEqual(expect.objectContaining({ msg: 'walk-in [mobile]', name: '[removed]' }));
    // the warning logged above, among the recent problems
    expect(bundle.recentProblems).toContainEqual(expect.objectContaining({ level: 40, name: '[removed]', mobile: '[removed]' }));
    expect(bundle.recentProblems.every((l: { level: number }) => l.level >= 40)).toBe(true);

    // nothing personal, no secret
    const pinHashes = (c.backend.db.prepare('SELECT pin_hash FROM operator').all() as { pin_hash: string }[]).map(
      (o) => o.pin_hash,
    );
    expect(pinHashes.length).toBe(2);
    const needles = [
      ...forms.flatMap((f) => [f.name, f.mobile, f.photoIdNumber, ...f.name.split(' ')]),
      ...rosterNames.flatMap((n) => [n, ...n.split(' ')]),
      SUPERVISOR.name,
      OPERATOR.name,
      SUPERVISOR.pin,
      ...pinHashes,
      DEVICE_TOKEN,
      KEY,
    ];
    // each as a whole word ("Devi" of a name, not of "device")
    const found = needles.filter((n) =>
      new RegExp(`(?<![\\p{L}\\p{N}])${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}])`, 'iu').test(r.json),
    );
    expect(found).toEqual([]);
  });

  it('takes only the newest part of a long log, whole lines', () => {
    const dataDir = tempDir('counter-diagnostics-');
    mkdirSync(join(dataDir, 'logs'));
    const line = (i: number) => `${JSON.stringify({ level: 30, i, msg: 'x'.repeat(80 - String(i).length) })}\n`;
    writeFileSync(join(dataDir, 'logs', 'counter.2021-04-09.1.log'), Array.from({ length: 100 }, (_, i) => line(i)).join(''));
    writeFileSync(
      join(dataDir, 'logs', 'counter.2021-04-10.1.log'),
      Array.from({ length: 100 }, (_, i) => line(100 + i)).join(''),
    );
    const { lines, files, truncated } = recentLogLines(dataDir, 150 * line(0).length + 10);
    expect(truncated).toBe(true);
    expect(files).toEqual(['counter.2021-04-09.1.log', 'counter.2021-04-10.1.log']);
    const is = (lines as { i: number }[]).map((l) => l.i);
    expect(is.at(-1)).toBe(199);
    expect(is).toEqual(Array.from({ length: is.length }, (_, k) => 200 - is.length + k));
    expect(is.length).toBe(150);
  });
});

describe('paths in the bundle', () => {
  it('write the OS user’s home folder as ~ (its name is often a person’s)', () => {
    const dataDir = tempDir('counter-diagnostics-');
    const db = openDatabase(join(dataDir, 'counter.db'));
    try {
      const { json } = buildDiagnostics({
        db,
        dbFile: join(dataDir, 'counter.db'),
        dataDir,
        deviceId: '0190b2c3-1234-7abc-8def-123456789012',
        provisioning: null,
        sync: UNKNOWN_SYNC_STATUS,
        printJobs: [],
        appVersion: '1.4.0',
        now: new Date(MORNING),
        homeDir: dirname(dataDir),
      });
      const bundle = JSON.parse(json) as { storage: { dataDir: string }; provisioning: unknown; versions: { app: string } };
      expect(bundle.storage.dataDir).toBe(`~/${basename(dataDir)}`);
      expect(json).not.toContain(dirname(dataDir) + '/');
      expect(bundle.provisioning).toBeNull();
      expect(bundle.versions.app).toBe('1.4.0');
    } finally {
      db.close();
    }
  });
});

describe('a Windows home folder in error stacks', () => {
  it('file URLs, forward slashes, %-encoded names and any case: no user name is left in the bundle', () => {
    for (const [home, name] of [
      ['C:\\Users\\Ramesh', 'Ramesh'],
      ['C:\\Users\\Ramesh Kumar', 'Ramesh'],
      ['C:\\Users\\रमेश', 'रमेश'],
    ] as const) {
      const dataDir = tempDir('counter-diagnostics-');
      mkdirSync(join(dataDir, 'logs'));
      // as error stacks name files on Windows (Node's pathToFileURL writes Windows URLs only on Windows)
      const fileUrl = `file:///${home.replaceAll('\\', '/')}/AppData/Local/Programs/registration-counter`;
      const encoded = new URL(fileUrl).href;
      const stack = [
        'Error: printer not found',
        `    at open (${encoded}/resources/app.asar/out/main/index.js:12:5)`,
        `    at run (${fileUrl}/resources/app.asar/out/main/index.js:40:1)`,
        `    at load (${home.toLowerCase()}\\appdata\\x.js:1:1)`,
        `    at read (${home.replaceAll('\\', '/').toUpperCase()}/AppData/y.js:2:2)`,
      ].join('\n');
      writeFileSync(
        join(dataDir, 'logs', 'counter.2026-03-10.1.log'),
        `${JSON.stringify({ level: 50, msg: 'printing failed', err: { message: 'printer not found', stack } })}\n`,
      );
      const db = openDatabase(join(dataDir, 'counter.db'));
      try {
        const { json } = buildDiagnostics({
          db,
          dbFile: join(dataDir, 'counter.db'),
          dataDir,
          deviceId: '0190b2c3-1234-7abc-8def-123456789012',
          provisioning: null,
          sync: UNKNOWN_SYNC_STATUS,
          printJobs: [],
          appVersion: '1.4.0',
          now: new Date(MORNING),
          homeDir: home,
          platform: 'win32',
        });
        expect(json).toContain('printing failed');
        expect(json).toContain('resources/app.asar/out/main/index.js:12:5');
        expect(json.toLowerCase()).not.toContain(name.toLowerCase());
        expect(json).not.toContain(encodeURIComponent(name));
      } finally {
        db.close();
      }
    }
  });
});

describe('who may save it', () => {
  it('an operator is refused (FORBIDDEN); nobody signed in is refused (NOT_SIGNED_IN)', async () => {
    const c = await setupCounter({ signedIn: 'operator' });
    counters.push(c);
    expect((await c.err('saveDiagnostics', {})).code).toBe('FORBIDDEN');
    await c.ok('signOut', {});
    expect((await c.err('saveDiagnostics', {})).code).toBe('NOT_SIGNED_IN');
    await c.signIn(SUPERVISOR);
    expect((await c.ok('saveDiagnostics', {})).fileName).toMatch(/^counter-diagnostics-TEST-CHC-01-C1-/);
  });
});
