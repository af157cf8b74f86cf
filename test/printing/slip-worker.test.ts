/**
 * Slips are drawn and encoded in a worker thread, off the main event loop: the printer gets the
 * same bytes as when drawn in the main thread, and a worker that refuses a slip, dies or hangs
 * fails that one slip with a PrintError while the next slip prints.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { PrintJobView } from '../../common/domain';
import { silentLogger } from '../../main/logging/logger';
import { encodeSlipEscPos } from '../../main/printing/escpos';
import { PrintQueue } from '../../main/printing/print-queue';
import { slipDataFor } from '../../main/printing/slip-data';
import { renderSlipHtml } from '../../main/printing/slip-html';
import { renderSlipRaster } from '../../main/printing/slip-raster';
import { SlipRenderer } from '../../main/printing/slip-renderer';
import { demoSlip } from '../../main/printing/slip-text';
import { PrintError, type PaperSize, type SlipData } from '../../main/printing/types';
import { getTicketRow } from '../../main/store/tickets';
import { rosterEntry, setupCounter, type Counter } from '../store/harness';
import { hasThreadIds, mainThread, steppedAside } from '../support/threads';
import { startVirtualPrinter, type VirtualPrinter } from '../support/virtual-printer';

const FAULTY_WORKER = { file: fileURLToPath(new URL('./fixtures/faulty-slip-worker.mjs', import.meta.url)) };

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function renderer(options: ConstructorParameters<typeof SlipRenderer>[0] = {}): SlipRenderer {
  const r = new SlipRenderer(options);
  closers.push(() => r.close());
  return r;
}

const inMainThread = (slip: SlipData, paper: PaperSize) => encodeSlipEscPos(renderSlipRaster(slip, paper), paper);

describe('the slip worker', () => {
  it('prints byte for byte what the main thread would have drawn, on both rolls, and the same HTML', async () => {
    const r = renderer();
    const slips = [
      demoSlip(),
      demoSlip({
        lane: 'walkin',
        token: 'A-W042',
        name: 'राम प्रसाद',
        verified: false,
        placeInLane: null,
        estimatedWaitMinutes: null,
      }),
      demoSlip({ reprint: true, centre: { name: 'PHC Bakshi Ka Talab', nameHi: null } }),
    ];
    for (const paper of ['80mm', '58mm'] as const) {
      for (const slip of slips) {
        const bytes = await r.escPos(slip, paper);
        expect(bytes).toBeInstanceOf(Uint8Array);
        expect(Buffer.from(bytes).equals(Buffer.from(inMainThread(slip, paper)))).toBe(true);
      }
    }
    expect(await r.html(slips[1]!, 'a5')).toBe(renderSlipHtml(slips[1]!, 'a5'));
    // one long-lived worker for all of them
    expect(r.workersStarted).toBe(1);
  });

  it.runIf(hasThreadIds)(
    'steps aside for the main loop at nice 10 (not in the idle class: a slip has a deadline), so on a busy PC the slip waits rather than the counter',
    async () => {
      const main = mainThread();
      const before = steppedAside('nice').length;
      const idle = steppedAside('idle').length;
      const r = renderer();
      await r.escPos(demoSlip({ token: 'A-P001' }), '80mm');
      expect(steppedAside('nice').length).toBe(before + 1);
      expect(steppedAside('idle').length).toBe(idle);
      // the main thread keeps its priority and class
      expect(mainThread()).toEqual(main);
    },
  );

  it('a slip the renderer refuses fails with its own PrintError, and the next slip prints', async () => {
    const r = renderer();
    const refused = await r.escPos(demoSlip(), 'a4').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PrintError);
    expect(refused).toMatchObject({ code: 'driver_error', message: expect.stringContaining('80 mm or 58 mm') });
    expect((await r.escPos(demoSlip(), '80mm')).length).toBeGreaterThan(1000);
    expect(r.workersStarted).toBe(1);
  });

  it.each([
    ['ends its thread', 'Crash Test', /slip worker stopped \(exit 3\)/],
    ['throws out of its message handler', 'Throw Test', /slip worker stopped \(the slip worker broke\)/],
  ])('a worker that %s fails that slip with a PrintError; the next slip starts a new worker and prints', async (_, name, why) => {
    const r = renderer({ worker: FAULTY_WORKER });
    const good = demoSlip();
    const first = await r.escPos(good, '80mm');
    const failed = await r.escPos(demoSlip({ name }), '80mm').catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(PrintError);
    expect(failed).toMatchObject({ code: 'driver_error', message: expect.stringMatching(why) });
    expect(Buffer.from(await r.escPos(good, '80mm')).equals(Buffer.from(first))).toBe(true);
    expect(r.workersStarted).toBe(2);
  });

  it('a worker that hangs on a slip fails it at the deadline and is replaced; the next slip prints', async () => {
    const r = renderer({ worker: FAULTY_WORKER, timeoutMs: 2000 });
    await r.escPos(demoSlip(), '80mm'); // started and warm, so the deadline is the hang's alone
    const failed = await r.escPos(demoSlip({ name: 'Hang Test' }), '80mm').catch((e: unknown) => e);
    expect(failed).toMatchObject({ name: 'PrintError', code: 'driver_error', message: 'the slip could not be drawn within 2 s' });
    expect((await r.escPos(demoSlip(), '58mm')).length).toBeGreaterThan(1000);
    expect(r.workersStarted).toBe(2);
  });

  it('a worker file that is missing fails the slip with a clear error instead of hanging', async () => {
    const r = renderer({ worker: { file: fileURLToPath(new URL('./fixtures/no-such-worker.mjs', import.meta.url)) } });
    const failed = await r.escPos(demoSlip(), '80mm').catch((e: unknown) => e);
    expect(failed).toMatchObject({
      name: 'PrintError',
      code: 'driver_error',
      message: expect.stringMatching(/slip worker stopped/),
    });
  });
});

describe('the print queue with a slip worker that dies', () => {
  let c: Counter;
  let printer: VirtualPrinter;

  it('fails the one job whose slip killed the worker, and prints the next job', async () => {
    printer = await startVirtualPrinter({ mode: 'normal' });
    closers.push(() => printer.close());
    c = await setupCounter({
      roster: [rosterEntry('REF0000000001', { name: 'Crash Test' }), rosterEntry('REF0000000002', { name: 'Sunita Devi' })],
    });
    closers.push(() => c.dispose());
    await c.ok('updatePrintingSettings', {
      printer: { kind: 'escpos-tcp', host: '127.0.0.1', port: printer.port },
      paper: '80mm',
      autoPrint: false,
      nameOnSlip: 'full',
      minutesPerPerson: 3,
      timeoutSeconds: 5,
      statusCheck: true,
    });
    const events: PrintJobView[] = [];
    const queue = new PrintQueue({
      db: c.backend.db,
      clock: () => c.clock(),
      log: silentLogger(),
      config: () => c.backend.provisioning,
      onJob: (j) => events.push(j),
      renderer: renderer({ worker: FAULTY_WORKER }),
    });
    closers.push(() => queue.stop());
    const operatorId = (await c.ok('getAppState', {})).operator!.id;
    const crash = await c.ok('checkIn', { refId: 'REF0000000001' });
    const next = await c.ok('checkIn', { refId: 'REF0000000002' });
    const j1 = queue.requestSlip(crash.id, operatorId);
    const j2 = queue.requestSlip(next.id, operatorId);
    await queue.idle();
    const last = (id: string) => [...events].reverse().find((e) => e.id === id);
    expect(last(j1.id)).toMatchObject({
      status: 'failed',
      errorCode: 'driver_error',
      error: expect.stringMatching(/slip worker stopped/),
    });
    expect(last(j2.id)).toMatchObject({ status: 'printed' });
    expect(await printer.waitForJobs(1, 5000)).toHaveLength(1);
  });
});

describe('the print queue on an operating-system printer', () => {
  it("hands the printer the slip's HTML drawn by the slip worker, as the main thread would draw it", async () => {
    const c = await setupCounter({ roster: [rosterEntry('REF0000000001', { name: 'Sunita Devi' })] });
    closers.push(() => c.dispose());
    const printed: Array<{ html: string; deviceName: string; paper: PaperSize }> = [];
    const events: PrintJobView[] = [];
    const provisioning = c.backend.provisioning!;
    const config = {
      ...provisioning,
      printing: {
        ...provisioning.printing,
        printer: { kind: 'system' as const, deviceName: 'Front desk' },
        paper: 'a5' as const,
      },
    };
    const queue = new PrintQueue({
      db: c.backend.db,
      clock: () => c.clock(),
      log: silentLogger(),
      config: () => config,
      system: {
        list: async () => [],
        print: async (html, options) => {
          printed.push({ html, deviceName: options.deviceName, paper: options.paper });
        },
      },
      onJob: (j) => events.push(j),
      renderer: renderer(),
    });
    closers.push(() => queue.stop());
    const operatorId = (await c.ok('getAppState', {})).operator!.id;
    const ticket = await c.ok('checkIn', { refId: 'REF0000000001' });
    const job = queue.requestSlip(ticket.id, operatorId);
    await queue.idle();
    expect([...events].reverse().find((e) => e.id === job.id)).toMatchObject({ status: 'printed' });
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatchObject({ deviceName: 'Front desk', paper: 'a5' });
    const slip = slipDataFor(c.backend.db, config, getTicketRow(c.backend.db, ticket.id)!, false);
    expect(printed[0]!.html).toBe(renderSlipHtml(slip, 'a5'));
    expect(printed[0]!.html).toContain(ticket.token);
  });
});
