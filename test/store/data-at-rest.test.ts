// The counter's files are its OS user's alone: the data folder 0700, the database with its
// write-ahead log and shared-memory file 0600, created so and tightened when found looser;
// deleted content is zeroed (secure_delete). Where the tests run as root, another OS user
// (nobody) is shown to read nothing.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../main/store/database';
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
});
