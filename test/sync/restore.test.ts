/**
 * A counter whose database is restored from a backup (disk failure, reinstall) reuses
 * sequence numbers the portal has already applied to other changes. The portal says so
 * (`sequence_reused`); the counter numbers its pending rows again after the portal's last
 * applied number, and the new records are uploaded, not filed as needing attention.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { syncSettingsSchema } from '../../common/domain';
import { openDatabase, type Db } from '../../main/store/database';
import { SyncEngine } from '../../main/sync/engine';
import { PortalClient } from '../../main/sync/portal-client';
import { startPortal, type StartedPortal } from '../../portal/server';
import { tempDir } from '../store/harness';
import { freshPortalDatabase } from '../support/portal-engine';
import { eventually } from './harness';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const DEVICE = uuidv7();
const TOKEN = 'restored-device-token-0123456789';
const CENTRE = 'TEST';

function addEvents(db: Db, n: number): void {
  const at = new Date().toISOString();
  const insert = db.prepare(
    "INSERT INTO outbox (mutation_id, kind, record_id, payload, created_at) VALUES (?, 'ticket.called', ?, ?, ?)",
  );
  for (let i = 0; i < n; i++) {
    const ticketId = uuidv7();
    insert.run(uuidv7(), ticketId, JSON.stringify({ ticketId, day: at.slice(0, 10) }), at);
  }
}

async function syncOnce(portal: StartedPortal, db: Db): Promise<void> {
  const engine = new SyncEngine({
    db,
    client: new PortalClient({ baseUrl: portal.url, deviceToken: TOKEN, timeoutMs: 5000 }),
    deviceId: DEVICE,
    centreId: CENTRE,
    counterCode: 'C1',
    timeZone: 'Asia/Kolkata',
    settings: syncSettingsSchema.parse({ requestTimeoutSeconds: 5 }),
    log: { info() {}, warn() {}, error() {} },
  });
  engine.start();
  await eventually(
    () => expect((db.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'pending'").get() as { n: number }).n).toBe(0),
    10_000,
  );
  await engine.stop();
}

describe('counter database restored from a backup', () => {
  it('new records written after the restore are uploaded, not rejected as sequence_reused', async () => {
    const portal = await startPortal({ database: freshPortalDatabase() });
    cleanups.push(() => portal.close());
    await portal.portal.store.addDevice({ token: TOKEN, centreId: CENTRE, label: 'restored counter' }, new Date());

    const dir = tempDir('restore-');
    const file = join(dir, 'counter.db');
    let db = openDatabase(file);
    addEvents(db, 1);
    await syncOnce(portal, db);
    db.exec(`VACUUM INTO '${join(dir, 'backup.db')}'`); // the nightly backup
    addEvents(db, 2);
    await syncOnce(portal, db); // portal: lastAppliedSeq = 3
    db.close();

    // the disk is replaced; the counter is restored from last night's backup and used again
    copyFileSync(join(dir, 'backup.db'), file);
    db = openDatabase(file);
    cleanups.push(() => void db.close());
    addEvents(db, 2); // two new, valid records (they get seq 2 and 3 again)
    await syncOnce(portal, db);

    const rejected = db.prepare("SELECT seq, reject_code FROM outbox WHERE state = 'rejected'").all();
    expect(rejected).toEqual([]);
    // the portal has every change once: 1 before the backup, 2 lost with the disk, 2 after the restore
    const day = new Date().toISOString().slice(0, 10);
    const held = (await portal.portal.store.adminRecords(CENTRE, day)).events.map((e) => e.mutationId);
    const local = (db.prepare('SELECT mutation_id FROM outbox').all() as { mutation_id: string }[]).map((r) => r.mutation_id);
    expect(new Set(held).size).toBe(5);
    for (const m of local) expect(held).toContain(m.toLowerCase());
    // new rows after the restore continue after the renumbered ones
    const seqs = (db.prepare('SELECT seq FROM outbox ORDER BY seq').all() as { seq: number }[]).map((r) => r.seq);
    expect(seqs).toEqual([1, 4, 5]);
  }, 30_000);
});
