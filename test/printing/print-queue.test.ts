/**
 * The print queue against a real counter and a virtual ESC/POS network printer: the ticket
 * is committed before anything prints, a printer failure never fails or slows a check-in,
 * and a failed slip can be reprinted (and says REPRINT).
 */
import jsQR from 'jsqr';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PrintJobView } from '../../common/domain';
import { count, rosterEntry, setupCounter, walkInForm, type Counter } from '../store/harness';
import { decodeEscPos } from '../support/escpos-decode';
import { startVirtualPrinter, type VirtualPrinter } from '../support/virtual-printer';

const roster = [
  rosterEntry('REF0000000001', { name: 'Sunita Devi Sharma' }),
  rosterEntry('REF0000000002'),
  rosterEntry('REF0000000003'),
];
let c: Counter;
let printer: VirtualPrinter;
const jobEvents: PrintJobView[] = [];

async function usePrinter(over: Partial<{ autoPrint: boolean; timeoutSeconds: number; paper: '80mm' | '58mm' }> = {}) {
  await c.ok('updatePrintingSettings', {
    printer: { kind: 'escpos-tcp', host: '127.0.0.1', port: printer.port },
    paper: over.paper ?? '80mm',
    autoPrint: over.autoPrint ?? true,
    nameOnSlip: 'first',
    minutesPerPerson: 3,
    timeoutSeconds: over.timeoutSeconds ?? 2,
    statusCheck: true,
  });
}

/** The job's final state, from the queue's events. */
async function settled(jobId: string, timeoutMs = 8000): Promise<PrintJobView> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const last = [...jobEvents].reverse().find((j) => j.id === jobId);
    if (last && (last.status === 'printed' || last.status === 'failed')) return last;
    if (Date.now() > until) throw new Error(`job ${jobId} still ${last?.status ?? 'unknown'}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const jobsOf = (ticketId: string) => jobEvents.filter((j) => j.ticketId === ticketId);

beforeEach(async () => {
  jobEvents.length = 0;
  printer = await startVirtualPrinter({ mode: 'normal' });
  c = await setupCounter({ roster });
  c.backend.events.on('event', (e) => {
    if (e.type === 'print') jobEvents.push(e.job);
  });
});

afterEach(async () => {
  await c.backend.printQueue.idle();
  c.dispose();
  await printer.close();
});

describe('print queue', () => {
  it('a check-in prints its slip automatically: an 80 mm raster with the ticket in its QR, then a cut', async () => {
    await usePrinter();
    const t = await c.ok('checkIn', { refId: 'REF0000000001' });
    const job = jobsOf(t.id)[0]!;
    expect(job).toMatchObject({ kind: 'print', token: t.token });
    expect((await settled(job.id)).status).toBe('printed');
    const [bytes] = await printer.waitForJobs(1, 5000);
    const decoded = decodeEscPos(bytes!);
    expect(decoded.cutAtEnd).toBe(true);
    const image = decoded.images[0]!;
    expect(image.width).toBe(576);
    const qr = jsQR(image.rgba, image.width, image.height);
    expect(JSON.parse(qr!.data)).toEqual({ t: t.id, k: t.token });
  });

  it('a hung printer fails the slip with a reason, never the check-in, and the reprint after it says REPRINT only if one printed', async () => {
    await usePrinter({ timeoutSeconds: 2 });
    await printer.setMode('hang');
    const t = await c.ok('checkIn', { refId: 'REF0000000002' });
    // the answer does not wait for the printer: the ticket is back while its slip is still on its way
    expect(['queued', 'printing']).toContain(jobsOf(t.id).at(-1)!.status);
    expect(count(c, 'SELECT count(*) AS n FROM ticket WHERE id = ?', t.id)).toBe(1);
    const failed = await settled(jobsOf(t.id)[0]!.id);
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'printer_timeout' });
    // the ticket is intact and the queue still works
    expect((await c.ok('getQueue', {})).waiting.priority.map((x) => x.id)).toEqual([t.id]);
    await printer.setMode('normal');
    const again = await c.ok('printSlip', { ticketId: t.id });
    // nothing printed before, so this is the first print, not a reprint
    expect(again.kind).toBe('print');
    expect((await settled(again.id)).status).toBe('printed');
    const reprint = await c.ok('printSlip', { ticketId: t.id });
    expect(reprint.kind).toBe('reprint');
    expect((await settled(reprint.id)).status).toBe('printed');
    expect(count(c, "SELECT count(*) AS n FROM ticket_event WHERE ticket_id = ? AND action = 'slip_reprint'", t.id)).toBe(1);
    const jobs = await printer.waitForJobs(2, 5000);
    // the reprint's slip differs from the first one (the REPRINT banner)
    const first = decodeEscPos(jobs[0]!).images[0]!;
    const second = decodeEscPos(jobs[1]!).images[0]!;
    expect(second.height).toBeGreaterThan(first.height);
  });

  it('a refused connection and a printer closing mid-job each fail with their own reason; the failed list names them', async () => {
    await usePrinter({ timeoutSeconds: 2 });
    await printer.setMode('refuse');
    const a = await c.ok('checkIn', { refId: 'REF0000000001' });
    expect(await settled(jobsOf(a.id)[0]!.id)).toMatchObject({ status: 'failed', errorCode: 'printer_unreachable' });
    await printer.setMode('close-mid-job');
    const b = await c.ok('registerWalkIn', {
      submissionId: '01a2b3c4-0000-7000-8000-000000000001',
      form: walkInForm(1),
      acknowledgedDuplicates: [],
    });
    expect(await settled(jobsOf(b.id)[0]!.id)).toMatchObject({ status: 'failed', errorCode: 'printer_disconnected' });
    const failed = await c.ok('listPrintJobs', { failedOnly: true });
    expect(failed.map((j) => j.token).sort()).toEqual([a.token, b.token].sort());
    expect(count(c, 'SELECT count(*) AS n FROM ticket')).toBe(2);
    // a reprint that works takes the ticket off the list of slips not printed
    await printer.setMode('normal');
    await settled((await c.ok('printSlip', { ticketId: a.id })).id);
    expect((await c.ok('listPrintJobs', { failedOnly: true })).map((j) => j.token)).toEqual([b.token]);
    expect((await c.ok('listPrintJobs', { failedOnly: false })).filter((j) => j.ticketId === a.id).map((j) => j.status)).toEqual([
      'printed',
      'failed',
    ]);
  });

  it('paper out and offline are told apart', async () => {
    await usePrinter();
    await printer.setMode('paper-out');
    const a = await c.ok('checkIn', { refId: 'REF0000000001' });
    expect(await settled(jobsOf(a.id)[0]!.id)).toMatchObject({ errorCode: 'paper_out' });
    await printer.setMode('offline');
    const job = await c.ok('printSlip', { ticketId: a.id });
    expect(await settled(job.id)).toMatchObject({ errorCode: 'printer_offline' });
  });

  it('with printing on demand nothing prints until asked; a repeated walk-in submission does not print twice', async () => {
    await usePrinter({ autoPrint: false });
    const t = await c.ok('checkIn', { refId: 'REF0000000003' });
    expect(jobsOf(t.id)).toEqual([]);
    await usePrinter({ autoPrint: true });
    const form = walkInForm(2);
    const id = '01a2b3c4-0000-7000-8000-000000000002';
    const w1 = await c.ok('registerWalkIn', { submissionId: id, form, acknowledgedDuplicates: [] });
    const w2 = await c.ok('registerWalkIn', { submissionId: id, form, acknowledgedDuplicates: [] });
    expect(w2.id).toBe(w1.id);
    await c.backend.printQueue.idle();
    expect(count(c, 'SELECT count(*) AS n FROM print_job WHERE ticket_id = ?', w1.id)).toBe(1);
  });

  it('jobs cut short by a restart are failed as interrupted, not printed again unasked', async () => {
    await usePrinter();
    const t = await c.ok('checkIn', { refId: 'REF0000000001' });
    await settled(jobsOf(t.id)[0]!.id);
    // a job left queued, as if the app had been killed
    c.backend.db.prepare("UPDATE print_job SET status = 'queued', finished_at = NULL WHERE ticket_id = ?").run(t.id);
    c.backend.printQueue.recoverInterrupted();
    const [job] = await c.ok('listPrintJobs', { failedOnly: true });
    expect(job).toMatchObject({ ticketId: t.id, status: 'failed', errorCode: 'interrupted' });
  });

  it('asking for a slip with no printer set is a clear error next to the printer setting', async () => {
    const t = await c.ok('checkIn', { refId: 'REF0000000001' });
    expect(await c.err('printSlip', { ticketId: t.id })).toMatchObject({
      code: 'VALIDATION',
      fields: [{ field: 'printer', code: 'printer_not_configured' }],
    });
  });

  it("a slip's job writes add no wait for the disk to the main loop, while tickets keep full durability; the next job starts in a turn of its own", async () => {
    await usePrinter();
    const db = c.backend.db;
    // the durability (PRAGMA synchronous) each write to print_job and ticket ran under
    db.exec(`CREATE TEMP TABLE levels (tbl TEXT, level INTEGER);
      CREATE TEMP TRIGGER job_inserted AFTER INSERT ON main.print_job BEGIN INSERT INTO levels SELECT 'print_job', synchronous FROM pragma_synchronous; END;
      CREATE TEMP TRIGGER job_updated AFTER UPDATE ON main.print_job BEGIN INSERT INTO levels SELECT 'print_job', synchronous FROM pragma_synchronous; END;
      CREATE TEMP TRIGGER ticket_inserted AFTER INSERT ON main.ticket BEGIN INSERT INTO levels SELECT 'ticket', synchronous FROM pragma_synchronous; END;`);
    // what runs between a job's 'printed' and the next job's 'printing'
    const between: string[] = [];
    c.backend.events.on('event', (e) => {
      if (e.type !== 'print') return;
      between.push(e.job.status);
      if (e.job.status === 'printed') setImmediate(() => between.push('turn'));
    });
    const a = await c.ok('checkIn', { refId: 'REF0000000001' });
    const b = await c.ok('checkIn', { refId: 'REF0000000002' });
    await settled(jobsOf(a.id)[0]!.id);
    await settled(jobsOf(b.id)[0]!.id);
    const levels = db.prepare('SELECT tbl, level FROM levels').all() as { tbl: string; level: number }[];
    // queued, printing, printed for each of the two jobs
    expect(levels.filter((l) => l.tbl === 'print_job').map((l) => l.level)).toEqual([1, 1, 1, 1, 1, 1]);
    // the connection's own durability (FULL or above), for the tickets and again after the slips
    const durability = db.pragma('synchronous', { simple: true }) as number;
    expect(durability).toBeGreaterThanOrEqual(2);
    expect(levels.filter((l) => l.tbl === 'ticket').map((l) => l.level)).toEqual([durability, durability]);
    expect(between.slice(between.indexOf('printed'))).toEqual(['printed', 'turn', 'printing', 'printed', 'turn']);
  });

  it('a test print reaches the printer', async () => {
    await usePrinter({ paper: '58mm' });
    const job = await c.ok('testPrint', {});
    expect(await settled(job.id)).toMatchObject({ kind: 'test', status: 'printed' });
    const [bytes] = await printer.waitForJobs(1, 5000);
    expect(decodeEscPos(bytes!).images[0]!.width).toBe(384);
  });
});
