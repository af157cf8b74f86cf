import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { eventually, SYNC_WORKER } from '../sync/harness';
import { openDatabase, WAL_CAP_PAGES } from '../../main/store/database';
import { setupCounter, SUBMISSION, walkInForm, type Counter } from './harness';

let c: Counter;
afterEach(() => c?.dispose());

const quiet = () => new Promise((resolve) => setTimeout(resolve, 800));

it('copies the write-ahead log back into the file once no change has come for a moment, not in an operator action', async () => {
  c = await setupCounter();
  await quiet();
  const fileSize = () => statSync(join(c.dataDir, 'counter.db')).size;
  const before = fileSize();
  for (let n = 1; n <= 20; n++) {
    await c.ok('registerWalkIn', { submissionId: SUBMISSION(n), form: walkInForm(n), acknowledgedDuplicates: [] });
  }
  // the walk-ins are in the log only: no action waited for the copy
  expect(fileSize()).toBe(before);
  await quiet();
  expect(fileSize()).toBeGreaterThan(before);
});

it("with the sync worker running, the log is copied back on the worker's connection, in a rush and when quiet: never on the main loop's", async () => {
  c = await setupCounter({
    provisioning: {
      // nothing answers there: the worker runs and its uploads wait, as with the portal down
      portal: { url: 'http://127.0.0.1:9/', deviceToken: `test-device-${'0'.repeat(64)}` },
    },
    backend: { syncWorker: SYNC_WORKER },
  });
  const host = c.backend.sync;
  expect(host?.running).toBe(true);
  await quiet();
  const onMain: unknown[] = [];
  const pragma = c.backend.db.pragma.bind(c.backend.db);
  c.backend.db.pragma = ((source: string, options?: { simple?: boolean }) => {
    if (/checkpoint/i.test(source)) onMain.push(source);
    return pragma(source, options);
  }) as typeof c.backend.db.pragma;
  const fileSize = () => statSync(join(c.dataDir, 'counter.db')).size;
  const before = fileSize();
  const done = host!.checkpoints;
  // a rush with no quiet moment: 120 walk-ins back to back
  for (let n = 1; n <= 120; n++) {
    await c.ok('registerWalkIn', { submissionId: SUBMISSION(n), form: walkInForm(n), acknowledgedDuplicates: [] });
  }
  // copied back during the rush, every 20 changes, by the worker
  await eventually(() => expect(host!.checkpoints - done).toBeGreaterThanOrEqual(3));
  expect(fileSize()).toBeGreaterThan(before);
  await quiet();
  await eventually(() => expect(host!.checkpoints - done).toBeGreaterThanOrEqual(4));
  expect(onMain).toEqual([]);
});

it("every connection to the counter's file, the sync worker's too, leaves the copy to the quiet moments: a commit copies the log back only past the cap", async () => {
  c = await setupCounter();
  expect(c.backend.db.pragma('wal_autocheckpoint', { simple: true })).toBe(WAL_CAP_PAGES);
  // a second connection, as the sync worker opens one (openDatabase), gets the same
  const other = openDatabase(c.backend.db.name);
  try {
    expect(other.pragma('wal_autocheckpoint', { simple: true })).toBe(WAL_CAP_PAGES);
  } finally {
    other.close();
  }
  expect(WAL_CAP_PAGES).toBeGreaterThan(1000); // SQLite's own: a copy every 40 or so operator actions
});
