// After a walk-in's photo-ID number and mobile number are reduced to their last 4 (the photo
// ID once the portal acknowledges it, the mobile after `sync.mobileRetentionDays`), no copy of
// the full numbers is left anywhere on disk: not in counter.db (free pages included), not in
// counter.db-wal, not in counter.db-shm. Read as raw bytes while the counter runs (closing it
// would checkpoint and remove the log, hiding what a copy of the folder would show).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sweepAcknowledged } from '../../main/sync/outbox-sync';
import { startPortalProcess, type PortalHandle } from '../../portal/process';
import { walkInForm, type Counter } from '../store/harness';
import { eventually, settled, status, syncedCounter, walkInIdOf } from './harness';
import { freshPortalDatabase } from '../support/portal-engine';

let portal: PortalHandle;
const counters: Counter[] = [];

beforeAll(async () => {
  portal = await startPortalProcess({ faults: true, database: freshPortalDatabase() });
});
afterEach(async () => {
  await portal?.admin.setFaults({});
});
afterAll(async () => {
  for (const c of counters) await c.dispose();
  await portal?.stop();
});

const DAY_MS = 86_400_000;

async function counterWithSync(databaseKey?: string) {
  const c = await syncedCounter(portal, { signedIn: 'supervisor', mobileRetentionDays: 30, databaseKey });
  counters.push(c);
  return c;
}

/** The full numbers still found (as ASCII digits) in the database, its log and its shared-memory file. */
function fullNumbersOnDisk(dataDir: string, numbers: readonly string[]): string[] {
  const found: string[] = [];
  for (const f of ['counter.db', 'counter.db-wal', 'counter.db-shm']) {
    const path = join(dataDir, f);
    if (!existsSync(path)) continue;
    const bytes = readFileSync(path);
    for (const n of numbers) if (bytes.includes(Buffer.from(n, 'latin1'))) found.push(`${f}: ${n}`);
  }
  return found;
}

const N = 12;

describe('no full number on disk after its reduction', () => {
  it('photo-ID numbers after acknowledgement, mobile numbers after their retention: in none of counter.db, -wal, -shm', async () => {
    const c = await counterWithSync();
    const forms = Array.from({ length: N }, (_, i) => walkInForm(900 + i, { birthYear: 1950 + i }));
    for (const form of forms) await c.ok('registerWalkIn', { form, submissionId: uuidv4(), acknowledgedDuplicates: [] });
    const ids = forms.map((f) => f.photoIdNumber);
    const mobiles = forms.map((f) => f.mobile);
    // before the upload the full numbers are there, as they must be (the bytes search finds them)
    expect(fullNumbersOnDisk(c.dataDir, ids).length).toBeGreaterThan(0);

    await settled(c);
    // acknowledged: every photo-ID number is its last 4 in the tables, and in no file
    const rows = c.backend.db.prepare('SELECT photo_id_number, mobile FROM walkin').all() as {
      photo_id_number: string;
      mobile: string;
    }[];
    expect(rows.every((r) => r.photo_id_number.length === 4)).toBe(true);
    await eventually(() => expect(fullNumbersOnDisk(c.dataDir, ids)).toEqual([]), 15_000);
    // the mobile numbers are kept for their retention (30 days)
    expect(rows.every((r) => r.mobile.length === 10)).toBe(true);

    // 29 days on: still whole; 31 days on: the last 4, in the walk-ins and in the payloads
    sweepAcknowledged(c.backend.db, new Date(Date.now() + 29 * DAY_MS), 0, 90, 30);
    expect(c.backend.db.prepare('SELECT count(*) AS n FROM walkin WHERE length(mobile) = 10').get()).toEqual({ n: N });
    sweepAcknowledged(c.backend.db, new Date(Date.now() + 31 * DAY_MS), 0, 90, 30);
    const after = c.backend.db.prepare('SELECT mobile FROM walkin').all() as { mobile: string }[];
    expect(after.map((r) => r.mobile).sort()).toEqual(mobiles.map((m) => m.slice(-4)).sort());
    const payloads = c.backend.db.prepare("SELECT payload FROM outbox WHERE kind = 'walkin.registered'").all() as {
      payload: string;
    }[];
    for (const p of payloads) {
      const person = (JSON.parse(p.payload) as { person: { mobile: string; photoIdNumber: string } }).person;
      expect(person.mobile).toMatch(/^XXXXXX\d{4}$/);
      expect(person.photoIdNumber).toMatch(/^XXXX.{4}$/);
    }
    await eventually(() => expect(fullNumbersOnDisk(c.dataDir, [...ids, ...mobiles])).toEqual([]), 15_000);
    // and the counter carries on: a new walk-in registers and uploads
    await c.ok('registerWalkIn', { form: walkInForm(990), submissionId: uuidv4(), acknowledgedDuplicates: [] });
    await settled(c);
  }, 60_000);

  it('the sync worker opens the encrypted database with the key it is given and uploads from it', async () => {
    const key = randomBytes(32).toString('hex');
    const c = await counterWithSync(key);
    const forms = Array.from({ length: 3 }, (_, i) => walkInForm(950 + i, { birthYear: 1950 + i }));
    for (const form of forms) await c.ok('registerWalkIn', { form, submissionId: uuidv4(), acknowledgedDuplicates: [] });
    await settled(c);
    const atPortal = (await portal.admin.records(c.centreId, c.today)).records;
    expect(atPortal).toHaveLength(3);
    // acknowledged through the worker's connection: reduced there
    const rows = c.backend.db.prepare('SELECT photo_id_number FROM walkin').all() as { photo_id_number: string }[];
    expect(rows.every((r) => r.photo_id_number.length === 4)).toBe(true);
    const header = readFileSync(join(c.dataDir, 'counter.db')).subarray(0, 16).toString('latin1');
    expect(header).not.toBe('SQLite format 3\0');
    expect(fullNumbersOnDisk(c.dataDir, [...forms.map((f) => f.name), ...forms.map((f) => f.mobile)])).toEqual([]);
  }, 60_000);

  it('a photo-ID number reduced on the main connection, when a supervisor dismisses a refused walk-in: in none of the files either', async () => {
    const c = await counterWithSync();
    // the portal answers 503 until told otherwise, so the refusal is set up before the upload
    await portal.admin.setFaults({ rules: [{ fault: 'http503', route: 'push', retryAfterSeconds: 0 }] });
    const form = walkInForm(970);
    const ticket = await c.ok('registerWalkIn', { form, submissionId: uuidv4(), acknowledgedDuplicates: [] });
    await portal.admin.setFaults({ rejectRecordIds: [walkInIdOf(c, ticket.id)], rejectCode: 'test_entry' });
    await c.ok('syncNow', {});
    await eventually(() => expect(status(c).needsAttention).toBe(1));
    const [item] = await c.ok('listNeedsAttention', {});
    await c.ok('cancelTicket', { ticketId: ticket.id, reason: 'test entry' });
    expect(fullNumbersOnDisk(c.dataDir, [form.photoIdNumber]).length).toBeGreaterThan(0);
    await c.ok('dismissRecord', { seq: item!.seq, reason: 'test entry' });
    const w = c.backend.db.prepare('SELECT photo_id_number FROM walkin').get() as { photo_id_number: string };
    expect(w.photo_id_number).toBe(form.photoIdNumber.slice(-4));
    await eventually(() => expect(fullNumbersOnDisk(c.dataDir, [form.photoIdNumber])).toEqual([]), 15_000);
  }, 60_000);
});
