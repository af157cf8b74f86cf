// The counter's files are its OS user's alone: the data folder 0700, the database with its
// write-ahead log and shared-memory file 0600, created so and tightened when found looser;
// deleted content is zeroed (secure_delete). Where the tests run as root, another OS user
// (nobody) is shown to read nothing.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, scrubWal, truncateWal, walScrubOwed, WAL_SCRUB_RETRY_MS } from '../../main/store/database';
import { acknowledgeOutboxRange } from '../../main/store/outbox';
import { sweepAcknowledged } from '../../main/sync/outbox-sync';
import { MORNING, fakeClock, openCounter, setupCounter, tempDir, walkInForm, type Counter } from './harness';

const mode = (path: string) => statSync(path).mode & 0o777;
const counters: Counter[] = [];
afterEach(async () => {
  for (const c of counters.splice(0)) await c.dispose();
});

describe('data at rest', () => {
  it('a new counter’s folder is 0700 and its database, log and shared-memory files 0600', async () => {
    const c = await setupCounter();
    counters.push(c);
    await c.ok('registerWalkIn', { form: walkInForm(1), submissionId: crypto.randomUUID(), acknowledgedDuplicates: [] });
    expect(mode(c.dataDir)).toBe(0o700);
    for (const f of ['counter.db', 'counter.db-wal', 'counter.db-shm', 'provisioning.json']) {
      expect(existsSync(join(c.dataDir, f)), f).toBe(true);
      expect(mode(join(c.dataDir, f)), f).toBe(0o600);
    }
  });

  it('a folder and files left readable by an older version are tightened when the counter opens', async () => {
    const first = await setupCounter();
    await first.close();
    chmodSync(first.dataDir, 0o755);
    for (const f of ['counter.db', 'counter.db-wal', 'counter.db-shm']) {
      if (existsSync(join(first.dataDir, f))) chmodSync(join(first.dataDir, f), 0o644);
    }
    const c = await openCounter(first.dataDir, fakeClock(MORNING));
    counters.push(c);
    expect(mode(c.dataDir)).toBe(0o700);
    expect(mode(join(c.dataDir, 'counter.db'))).toBe(0o600);
    if (existsSync(join(c.dataDir, 'counter.db-wal'))) expect(mode(join(c.dataDir, 'counter.db-wal'))).toBe(0o600);
  });

  it('deleted content is zeroed, not left in free pages (secure_delete)', () => {
    const db = openDatabase(join(tempDir(), 'counter.db'));
    try {
      expect(db.pragma('secure_delete', { simple: true })).toBe(1);
    } finally {
      db.close();
    }
  });

  it.skipIf(process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv'))(
    'another OS user of the PC can neither list the folder nor read the database',
    async () => {
      // the data folder inside a folder everyone may enter, as ~/.config is
      const parent = tempDir();
      chmodSync(parent, 0o755);
      const c = await openCounter(join(parent, 'Registration Counter'), fakeClock(MORNING));
      counters.push(c);
      const asNobody = (cmd: string[]) =>
        spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', ...cmd], { encoding: 'utf8' });
      const list = asNobody(['ls', c.dataDir]);
      expect(list.status).not.toBe(0);
      expect(list.stderr).toMatch(/Permission denied/);
      const read = asNobody(['cat', join(c.dataDir, 'counter.db')]);
      expect(read.status).not.toBe(0);
      expect(read.stdout).toBe('');
    },
  );

  it('the write-ahead log is truncated after a reduction without waiting for another connection: tried again once it is out of the way', async () => {
    const file = join(tempDir(), 'counter.db');
    const db = openDatabase(file);
    const other = openDatabase(file);
    try {
      db.exec('CREATE TABLE t (x TEXT)');
      db.prepare('INSERT INTO t VALUES (?)').run('123456789012');
      // the other connection reads an older snapshot: the log cannot be emptied yet
      other.exec('BEGIN');
      other.prepare('SELECT count(*) FROM t').get();
      db.prepare("UPDATE t SET x = '9012'").run();
      const started = performance.now();
      expect(scrubWal(db)).toBe(false);
      // it did not wait for the other connection's busy timeout (5 s)
      expect(performance.now() - started).toBeLessThan(1000);
      expect(walScrubOwed(db)).toBe(true);
      other.exec('COMMIT');
      const until = Date.now() + WAL_SCRUB_RETRY_MS.slice(0, 4).reduce((a, b) => a + b, 0) + 2000;
      while (walScrubOwed(db) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(walScrubOwed(db)).toBe(false);
      expect(statSync(`${file}-wal`).size).toBe(0);
      for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(readFileSync(f).includes('123456789012'), f).toBe(false);
      // and the connection waits for locks as before
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(truncateWal(db)).toBe(true);
    } finally {
      other.close();
      db.close();
    }
  });

  it('a full mobile number is kept for sync.mobileRetentionDays after acknowledgement, then its last 4; the walk-in’s row is kept until then', async () => {
    const c = await setupCounter();
    counters.push(c);
    const form = walkInForm(7);
    await c.ok('registerWalkIn', { form, submissionId: crypto.randomUUID(), acknowledgedDuplicates: [] });
    const db = c.backend.db;
    acknowledgeOutboxRange(db, 0, 1_000_000, c.clock().toISOString());
    const mobile = () => (db.prepare('SELECT mobile FROM walkin').get() as { mobile: string }).mobile;
    const rows = () => (db.prepare("SELECT count(*) AS n FROM outbox WHERE kind = 'walkin.registered'").get() as { n: number }).n;
    const day = 86_400_000;
    const at = (days: number) => new Date(c.clock().getTime() + days * day);
    // acknowledged rows are kept 7 days, mobile numbers 30: the walk-in's row stays while its number is whole
    sweepAcknowledged(db, at(10), 0, 7, 30);
    expect(mobile()).toBe(form.mobile);
    expect(rows()).toBe(1);
    sweepAcknowledged(db, at(29.9), 0, 7, 30);
    expect(mobile()).toBe(form.mobile);
    sweepAcknowledged(db, at(30.1), 0, 7, 30);
    expect(mobile()).toBe(form.mobile.slice(-4));
    expect(rows()).toBe(0);
    expect(walScrubOwed(db)).toBe(false);
    const disk = ['counter.db', 'counter.db-wal', 'counter.db-shm'].map((f) => join(c.dataDir, f)).filter(existsSync);
    for (const f of disk) expect(readFileSync(f).includes(form.mobile), f).toBe(false);
  });
});
