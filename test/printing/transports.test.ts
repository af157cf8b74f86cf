import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, open, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { PrintError, type PrintErrorCode } from '../../main/printing/types';
import { StatusReplyReader, isStatusReply, parsePaperStatus, parsePrinterStatus } from '../../main/printing/escpos-status';
import {
  cupsTransport,
  deviceTransport,
  tcpTransport,
  transportFor,
  type DeviceAccess,
  type TransportTimers,
} from '../../main/printing/transports';
import { CLOSE_GRACE_MS } from '../../main/printing/transports/tcp';
import { printError } from '../support/print-error';
import { startVirtualPrinter, type VirtualPrinter } from '../support/virtual-printer';
import { ManualTimers, settle, tracked, until } from './manual-timers';

/**
 * A slip-sized job: ESC @, a line of text, a 576-dot GS v 0 raster block, feed and cut. With
 * `embedStatusRequest`, the raster data contains the bytes of DLE EOT 1, as real images can.
 */
function fakeJob(rasterBytes = 40_000, embedStatusRequest = false): Uint8Array {
  const widthBytes = 72; // 576 dots
  const rows = Math.ceil(rasterBytes / widthBytes);
  const head = [0x1b, 0x40, ...Buffer.from('TOKEN W-012\n', 'ascii'), 0x1d, 0x76, 0x30, 0x00];
  head.push(widthBytes & 0xff, widthBytes >> 8, rows & 0xff, rows >> 8);
  const raster = new Uint8Array(widthBytes * rows);
  let seed = 12345;
  for (let i = 0; i < raster.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    // mostly white, some black; never 0x10 so the only DLE EOT is the embedded one
    raster[i] = seed % 5 === 0 ? (seed >>> 16) & 0xef : 0;
  }
  if (embedStatusRequest) raster.set([0x10, 0x04, 0x01], 1000);
  const tail = [0x1b, 0x64, 0x04, 0x1d, 0x56, 0x42, 0x00];
  const job = new Uint8Array(head.length + raster.length + tail.length);
  job.set(head, 0);
  job.set(raster, head.length);
  job.set(tail, head.length + raster.length);
  return job;
}

function sameBytes(actual: Uint8Array | undefined, expected: Uint8Array): boolean {
  return actual !== undefined && Buffer.from(actual).equals(Buffer.from(expected));
}

describe('ESC/POS status replies', () => {
  it('recognise the fixed reply pattern and nothing else', () => {
    for (const byte of [0x12, 0x16, 0x1e, 0x72, 0x7e]) expect(isStatusReply(byte)).toBe(true);
    // automatic status back (0xx1xx00, 0xx0xxxx), bit 7 or bit 0 set
    for (const byte of [0x14, 0x10, 0x00, 0x0f, 0x92, 0x13, 0x02, 0xff]) expect(isStatusReply(byte)).toBe(false);
  });

  it('read offline, paper end and near end', () => {
    expect(parsePrinterStatus(0x16).offline).toBe(false);
    expect(parsePrinterStatus(0x1e).offline).toBe(true);
    expect(parsePaperStatus(0x12)).toEqual({ nearEnd: false, paperEnd: false });
    expect(parsePaperStatus(0x1e)).toEqual({ nearEnd: true, paperEnd: false });
    expect(parsePaperStatus(0x72)).toEqual({ nearEnd: false, paperEnd: true });
    expect(parsePaperStatus(0x7e)).toEqual({ nearEnd: true, paperEnd: true });
  });

  it('are picked out of noise, in order', async () => {
    const reader = new StatusReplyReader();
    reader.push(Uint8Array.of(0x14, 0x00, 0x00, 0x0f, 0x16, 0xff, 0x72));
    expect(await reader.next()).toBe(0x16);
    expect(await reader.next()).toBe(0x72);
    reader.push(Uint8Array.of(0x12));
    reader.clear();
    const pending = reader.next();
    reader.push(Uint8Array.of(0x00, 0x1e));
    expect(await pending).toBe(0x1e);
  });
});

describe('tcp transport', () => {
  let printer: VirtualPrinter;
  const job = fakeJob(40_000, true);

  beforeEach(async () => {
    printer = await startVirtualPrinter({ mode: 'normal', closeAfterBytes: 4096 });
  });
  afterEach(async () => {
    await printer.close();
  });

  const transport = (timers?: TransportTimers) => tcpTransport({ host: printer.host, port: printer.port }, { timers });

  it('delivers a job byte for byte, with status checked before and after', async () => {
    await transport().send(job, { timeoutMs: 1500, statusCheck: true });
    const [received] = await printer.waitForJobs(1, 1000);
    expect(received?.length).toBe(job.length);
    expect(sameBytes(received, job)).toBe(true);
    // printer and paper before, printer after (the DLE EOT 1 inside the raster is answered too)
    expect(printer.statusRequests.slice(0, 2)).toEqual([1, 4]);
    expect(printer.statusRequests.at(-1)).toBe(1);
    await printer.waitForIdle(1000);
  });

  it('delivers several jobs one after another', async () => {
    const jobs = [fakeJob(20_000), fakeJob(60_000), fakeJob(30_000, true)];
    for (const each of jobs) await transport().send(each, { timeoutMs: 1500, statusCheck: true });
    const received = await printer.waitForJobs(3, 1000);
    expect(received.map((bytes, i) => sameBytes(bytes, jobs[i]!))).toEqual([true, true, true]);
  });

  it('sends without asking for status when the check is off', async () => {
    const plain = fakeJob(40_000);
    await transport().send(plain, { timeoutMs: 1500, statusCheck: false });
    const [received] = await printer.waitForJobs(1, 1000);
    expect(sameBytes(received, plain)).toBe(true);
    expect(printer.statusRequests).toEqual([]);
  });

  it('reports an offline printer and sends nothing', async () => {
    await printer.setMode('offline');
    const error = await printError(transport().send(job, { timeoutMs: 1500, statusCheck: true }));
    expect(error.code).toBe('printer_offline');
    expect(error.message).toContain(`tcp 127.0.0.1:${printer.port}`);
    await printer.waitForIdle(1000);
    expect(printer.jobs).toHaveLength(0);
  });

  it('reports paper out and sends nothing', async () => {
    await printer.setMode('paper-out');
    const error = await printError(transport().send(job, { timeoutMs: 1500, statusCheck: true }));
    expect(error.code).toBe('paper_out');
    await printer.waitForIdle(1000);
    expect(printer.jobs).toHaveLength(0);
  });

  it('prints when the roll is nearly used up, and says so', async () => {
    await printer.setMode('paper-near-end');
    const onWarning = vi.fn();
    await tcpTransport({ host: printer.host, port: printer.port }, { onWarning }).send(job, {
      timeoutMs: 1500,
      statusCheck: true,
    });
    expect(onWarning).toHaveBeenCalledWith(expect.objectContaining({ code: 'paper_near_end' }));
    expect(sameBytes((await printer.waitForJobs(1, 1000))[0], job)).toBe(true);
  });

  it('gives up on a printer that accepts and then hangs, at the deadline and not before, and drops the connection', async () => {
    await printer.setMode('hang');
    const timers = new ManualTimers();
    const send = tracked(printError(transport(timers).send(job, { timeoutMs: 800, statusCheck: true })));
    await until(() => printer.bytesReceived > 0, 'the status request to reach the printer');
    expect(timers.pending).toEqual([800]);
    await timers.advance(799);
    expect(send.settled).toBe(false);
    await timers.advance(1);
    const error = await send.promise;
    expect(error.code).toBe('printer_timeout');
    expect(error.message).toContain('did not answer the status request within 800 ms');
    await printer.waitForIdle(1000); // the printer saw the connection close
    expect(printer.openConnections).toBe(0);
  });

  it('times out on a hanging printer without status check too, at the deadline and not before', async () => {
    await printer.setMode('hang');
    const timers = new ManualTimers();
    const send = tracked(printError(transport(timers).send(job, { timeoutMs: 800, statusCheck: false })));
    await until(() => printer.bytesReceived > 0, 'the job to reach the printer');
    await timers.advance(799);
    expect(send.settled).toBe(false);
    await timers.advance(1);
    expect((await send.promise).code).toBe('printer_timeout');
    await printer.waitForIdle(1000);
  });

  it('reports a printer that closes the connection mid-job', async () => {
    await printer.setMode('close-mid-job');
    const error = await printError(transport().send(job, { timeoutMs: 1500, statusCheck: true }));
    expect(error.code).toBe('printer_disconnected');
    expect(printer.jobs).toHaveLength(0);
  });

  it('reports a refused connection at once, and prints again once the printer is back', async () => {
    await printer.setMode('refuse');
    const timers = new ManualTimers();
    const error = await printError(transport(timers).send(job, { timeoutMs: 1500, statusCheck: true }));
    expect(error.code).toBe('printer_unreachable');
    expect(error.message).toContain('ECONNREFUSED');
    // without waiting for the deadline: none of the transport's time passed, and its deadline is gone
    expect(timers.now).toBe(0);
    expect(timers.pending).toEqual([]);

    await printer.setMode('normal');
    await transport().send(job, { timeoutMs: 1500, statusCheck: true });
    expect(sameBytes((await printer.waitForJobs(1, 1000))[0], job)).toBe(true);
  });

  it('reports a printer that is refusing from the start', async () => {
    const down = await startVirtualPrinter({ mode: 'refuse' });
    try {
      const error = await printError(
        tcpTransport({ host: down.host, port: down.port }).send(job, { timeoutMs: 1500, statusCheck: false }),
      );
      expect(error.code).toBe('printer_unreachable');
    } finally {
      await down.close();
    }
  });

  it('refuses settings that cannot work without connecting', async () => {
    for (const target of [
      { host: '', port: 9100 },
      { host: '127.0.0.1', port: 0 },
      { host: '127.0.0.1', port: 70000 },
      { host: 'bad host', port: 9100 },
    ]) {
      const error = await printError(tcpTransport(target).send(job, { timeoutMs: 500, statusCheck: true }));
      expect(error.code).toBe('printer_not_configured');
    }
    const error = await printError(transport().send(job, { timeoutMs: Number.NaN, statusCheck: true }));
    expect(error.code).toBe('printer_not_configured');
    expect(printer.statusRequests).toEqual([]);
  });
});

/**
 * A printer scripted per status request: `reply(n, index)` gives the bytes sent back for the
 * index-th DLE EOT n answered on a connection. With `skipRaster`, DLE EOT inside GS v 0 raster
 * data is not answered (as printers that parse graphics data properly do). Closes when the
 * client does, unless `neverClose`.
 */
async function startScriptedPrinter(
  reply: (n: number, index: number) => number[],
  options: { skipRaster?: boolean; neverClose?: boolean } = {},
) {
  const sockets = new Set<net.Socket>();
  let requests = 0;
  const server = net.createServer({ allowHalfOpen: options.neverClose === true }, (socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    let index = 0;
    let inRaster = false;
    const seen: number[] = [];
    socket.on('data', (chunk: Buffer) => {
      for (const byte of chunk) {
        seen.push(byte);
        const [a, b, c] = seen.slice(-3);
        if (a === 0x1d && b === 0x76 && c === 0x30) inRaster = true;
        if (a === 0x1d && b === 0x56 && c === 0x42) inRaster = false;
        if (a === 0x10 && b === 0x04 && c !== undefined && c >= 1 && c <= 4) {
          requests += 1;
          if (!(options.skipRaster && inRaster)) socket.write(Uint8Array.from(reply(c, index++)));
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    /** DLE EOT requests seen so far on all connections, answered or not */
    requests: () => requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('tcp transport against scripted replies', () => {
  const withStatusRequest = fakeJob(30_000, true);
  const job = fakeJob(30_000);
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('ignores automatic status back and other noise around the replies', async () => {
    const asb = [0x14, 0x00, 0x00, 0x0f];
    const scripted = await startScriptedPrinter((n) => [...asb, n === 4 ? 0x12 : 0x16, 0xff]);
    close = scripted.close;
    await tcpTransport({ host: '127.0.0.1', port: scripted.port }).send(job, { timeoutMs: 1500, statusCheck: true });
  });

  it('times out when only noise comes back', async () => {
    const scripted = await startScriptedPrinter(() => [0x14, 0x00, 0x00, 0x0f]);
    close = scripted.close;
    const timers = new ManualTimers();
    const send = tracked(
      printError(
        tcpTransport({ host: '127.0.0.1', port: scripted.port }, { timers }).send(job, { timeoutMs: 600, statusCheck: true }),
      ),
    );
    await until(() => scripted.requests() >= 1, 'the status request to reach the printer');
    await settle();
    expect(send.settled).toBe(false);
    await timers.advance(600);
    const error = await send.promise;
    expect(error.code).toBe('printer_timeout');
    expect(error.message).toContain('did not answer the status request within 600 ms');
  });

  it('reports paper running out during the job', async () => {
    // online with paper before the job; offline, paper end after it
    const scripted = await startScriptedPrinter((n, index) => (index < 2 ? [n === 4 ? 0x12 : 0x16] : [n === 4 ? 0x72 : 0x1e]));
    close = scripted.close;
    const error = await printError(
      tcpTransport({ host: '127.0.0.1', port: scripted.port }).send(job, { timeoutMs: 1500, statusCheck: true }),
    );
    expect(error.code).toBe('paper_out');
    expect(error.message).toContain('during the job');
  });

  it('is not fooled by a reply to DLE EOT bytes inside the raster when the printer then hangs', async () => {
    // answers before the job and the request inside the raster, then nothing
    const scripted = await startScriptedPrinter((n, index) => (index < 3 ? [n === 4 ? 0x12 : 0x16] : []));
    close = scripted.close;
    const timers = new ManualTimers();
    const send = tracked(
      printError(
        tcpTransport({ host: '127.0.0.1', port: scripted.port }, { timers }).send(withStatusRequest, {
          timeoutMs: 800,
          statusCheck: true,
        }),
      ),
    );
    // two before the job, the one inside the raster, and the two after it (see TcpJob.ask)
    await until(() => scripted.requests() >= 5, 'the status requests after the job');
    await settle();
    expect(send.settled).toBe(false);
    await timers.advance(800);
    const error = await send.promise;
    expect(error.code).toBe('printer_timeout');
    expect(error.message).toContain('stopped answering during the job');
  });

  it('prints on a printer that does not answer DLE EOT bytes inside the raster', async () => {
    const scripted = await startScriptedPrinter((n) => [n === 4 ? 0x12 : 0x16], { skipRaster: true });
    close = scripted.close;
    await tcpTransport({ host: '127.0.0.1', port: scripted.port }).send(withStatusRequest, {
      timeoutMs: 1500,
      statusCheck: true,
    });
  });

  it('reads the paper status after the job right when the raster holds DLE EOT bytes', async () => {
    for (const skipRaster of [false, true]) {
      const scripted = await startScriptedPrinter((n, index) => (index < 2 ? [n === 4 ? 0x12 : 0x16] : [n === 4 ? 0x72 : 0x1e]), {
        skipRaster,
      });
      close = scripted.close;
      const error = await printError(
        tcpTransport({ host: '127.0.0.1', port: scripted.port }).send(withStatusRequest, { timeoutMs: 1500, statusCheck: true }),
      );
      expect(error.code).toBe('paper_out');
      await scripted.close();
      close = undefined;
    }
  });

  it('waits only a short grace, not the deadline, for a printer that confirmed the job but keeps the connection open', async () => {
    const scripted = await startScriptedPrinter((n) => [n === 4 ? 0x12 : 0x16], { neverClose: true });
    close = scripted.close;
    const timers = new ManualTimers();
    const send = tracked(
      tcpTransport({ host: '127.0.0.1', port: scripted.port }, { timers }).send(job, { timeoutMs: 1500, statusCheck: true }),
    );
    await until(() => timers.pending.length === 2, 'the job to be confirmed');
    expect(timers.pending).toEqual([CLOSE_GRACE_MS, 1500]);
    expect(CLOSE_GRACE_MS).toBeLessThan(1500);
    await timers.advance(CLOSE_GRACE_MS - 1);
    expect(send.settled).toBe(false);
    await timers.advance(1);
    await send.promise;
    expect(timers.pending).toEqual([]);
  });

  it('reports a printer going offline during the job', async () => {
    const scripted = await startScriptedPrinter((n, index) => (index < 2 ? [n === 4 ? 0x12 : 0x16] : [n === 4 ? 0x12 : 0x1e]));
    close = scripted.close;
    const error = await printError(
      tcpTransport({ host: '127.0.0.1', port: scripted.port }).send(job, { timeoutMs: 1500, statusCheck: true }),
    );
    expect(error.code).toBe('printer_offline');
  });
});

/**
 * The file system with printer paths standing for files of the test's own: `devices` maps a
 * printer path (`/dev/usb/lp0`) to the file that plays it. A FIFO plays the printer's character
 * device (it blocks a writer as a stuck printer does); a regular file stays a regular file.
 */
function standIns(devices: Record<string, string>): DeviceAccess {
  const actual = (p: string) => devices[p] ?? p;
  return {
    platform: 'linux',
    async lstat(p) {
      const entry = await lstat(actual(p));
      return {
        isCharacterDevice: () => entry.isCharacterDevice() || entry.isFIFO(),
        isSymbolicLink: () => entry.isSymbolicLink(),
        isFile: () => entry.isFile(),
        isDirectory: () => entry.isDirectory(),
      };
    },
    realpath: (p) => realpath(actual(p)),
    open: (p, flags) => open(actual(p), flags),
  };
}

describe.skipIf(process.platform === 'win32')('device transport', () => {
  let dir: string;
  const job = fakeJob(40_000);
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'device-transport-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the whole job to the device', async () => {
    // a FIFO stands in for the printer's character device (a regular file is refused, below)
    const device = path.join(dir, 'lp0');
    execFileSync('mkfifo', [device]);
    const transport = deviceTransport({ path: '/dev/usb/lp0' }, { deviceAccess: standIns({ '/dev/usb/lp0': device }) });
    expect(transport.describe).toBe('device /dev/usb/lp0');
    const reading = readFifo(device, () => undefined);
    await transport.send(job, { timeoutMs: 1500, statusCheck: true });
    expect(sameBytes(await reading, job)).toBe(true);
  });

  it('never writes into a regular file: a mistyped path could be the counter database', async () => {
    const notAPrinter = path.join(dir, 'counter.db');
    const content = Buffer.from('SQLite format 3\0 and every confirmed record');
    await writeFile(notAPrinter, content);
    const deviceAccess = standIns({ '/dev/usb/lp0': notAPrinter });
    const error = await printError(
      deviceTransport({ path: '/dev/usb/lp0' }, { deviceAccess }).send(job, { timeoutMs: 1500, statusCheck: false }),
    );
    expect(error.code).toBe('printer_unreachable');
    expect(error.message).toContain('not a printer device');
    expect(sameBytes(await readFile(notAPrinter), content)).toBe(true);

    // nor into a file put in the device's place after it was checked: what was opened is checked too
    const swapped: DeviceAccess = { ...deviceAccess, lstat: () => lstat('/dev/null') };
    const late = await printError(
      deviceTransport({ path: '/dev/usb/lp0' }, { deviceAccess: swapped }).send(job, { timeoutMs: 1500, statusCheck: false }),
    );
    expect(late.code).toBe('printer_unreachable');
    expect(late.message).toContain('not a printer device');
    expect(sameBytes(await readFile(notAPrinter), content)).toBe(true);
  });

  it('fails clearly on a missing device, at once and without creating it', async () => {
    const timers = new ManualTimers();
    const nowhere = standIns({ '/dev/usb/lp0': '/nonexistent/dir/lp0' });
    const error = await printError(
      deviceTransport({ path: '/dev/usb/lp0' }, { timers, deviceAccess: nowhere }).send(job, {
        timeoutMs: 1500,
        statusCheck: false,
      }),
    );
    expect(error.code).toBe('printer_unreachable');
    expect(error.message).toContain('/dev/usb/lp0');
    expect(error.message).toContain('ENOENT');
    // without waiting for the deadline
    expect(timers.now).toBe(0);
    expect(timers.pending).toEqual([]);

    const missing = path.join(dir, 'lp9');
    const deviceAccess = standIns({ '/dev/usb/lp9': missing });
    expect(
      (
        await printError(
          deviceTransport({ path: '/dev/usb/lp9' }, { deviceAccess }).send(job, { timeoutMs: 1500, statusCheck: false }),
        )
      ).code,
    ).toBe('printer_unreachable');
    expect(existsSync(missing)).toBe(false);
  });

  it('times out on a device that does not take data, and does not pile up blocked writes', async () => {
    // a FIFO with no reader blocks the writer's open, as a stuck printer blocks a write
    const fifo = path.join(dir, 'stuck');
    execFileSync('mkfifo', [fifo]);
    const timers = new ManualTimers();
    const stuck = standIns({ '/dev/usb/lp1': fifo });
    let opens = 0;
    const deviceAccess: DeviceAccess = { ...stuck, open: (p, flags) => (opens++, stuck.open(p, flags)) };
    const transport = deviceTransport({ path: '/dev/usb/lp1' }, { timers, deviceAccess });

    const first = tracked(printError(transport.send(job, { timeoutMs: 600, statusCheck: false })));
    // the device was checked and its open is under way (and blocked) before the deadline passes
    await until(() => opens === 1, 'the device to be opened');
    await timers.advance(599);
    expect(first.settled).toBe(false);
    await timers.advance(1);
    expect((await first.promise).code).toBe('printer_timeout');
    expect((await first.promise).message).toContain('did not take the job within 600 ms');

    const second = tracked(printError(transport.send(job, { timeoutMs: 300, statusCheck: false })));
    await timers.advance(299);
    expect(second.settled).toBe(false);
    await timers.advance(1);
    expect((await second.promise).code).toBe('printer_timeout');
    expect((await second.promise).message).toContain('earlier job');

    // a reader releases the blocked open; the abandoned job writes nothing
    const drained = await readFifo(fifo, () => undefined);
    expect(drained).toHaveLength(0);

    // the device works again
    const reading = readFifo(fifo, () => undefined);
    await transport.send(job, { timeoutMs: 1500, statusCheck: false });
    expect(sameBytes(await reading, job)).toBe(true);
  });

  it('refuses an empty path', async () => {
    const error = await printError(deviceTransport({ path: '' }).send(job, { timeoutMs: 500, statusCheck: false }));
    expect(error.code).toBe('printer_not_configured');
  });
});

/** Reads a FIFO until its writer closes; bounded at 3 s. */
function readFifo(fifo: string, onOpen: () => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const stream = createReadStream(fifo);
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error('FIFO read did not finish within 3 s'));
    }, 3000);
    stream.on('open', onOpen);
    stream.on('data', (chunk) => chunks.push(chunk as Buffer));
    stream.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    stream.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

describe.skipIf(process.platform === 'win32')('cups transport', () => {
  let dir: string;
  const job = fakeJob(40_000);
  const lpIn = (name: string) => path.join(dir, name, 'lp');

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cups-transport-'));
    const scripts: Record<string, string> = {
      accepts:
        'printf "%s\\n" "$@" > "$(dirname "$0")/args.txt"\ncat > "$(dirname "$0")/job.bin"\necho "request id is Thermal-7 (0 file(s))"\n',
      fails: 'cat > /dev/null\necho "lp: The printer or class does not exist." >&2\nexit 1\n',
      sleeps: 'exec sleep 20\n',
    };
    for (const [name, body] of Object.entries(scripts)) {
      await mkdir(path.join(dir, name));
      await writeFile(lpIn(name), `#!/bin/sh\n${body}`);
      await chmod(lpIn(name), 0o755);
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('pipes the job to lp for a raw queue', async () => {
    await cupsTransport({ queue: 'Thermal_80-mm.1' }, { lpCommand: lpIn('accepts') }).send(job, {
      timeoutMs: 1500,
      statusCheck: true,
    });
    expect(sameBytes(await readFile(path.join(dir, 'accepts', 'job.bin')), job)).toBe(true);
    expect((await readFile(path.join(dir, 'accepts', 'args.txt'), 'utf8')).split('\n')).toEqual([
      '-d',
      'Thermal_80-mm.1',
      '-o',
      'raw',
      '',
    ]);
  });

  it("passes on lp's complaint as a driver error", async () => {
    const error = await printError(
      cupsTransport({ queue: 'Missing' }, { lpCommand: lpIn('fails') }).send(job, { timeoutMs: 1500, statusCheck: true }),
    );
    expect(error.code).toBe('driver_error');
    expect(error.message).toContain('lp: The printer or class does not exist.');
    expect(error.message).not.toMatch(/\n/);
  });

  it('stops a stuck lp at the deadline and not before', async () => {
    const timers = new ManualTimers();
    const send = tracked(
      printError(
        cupsTransport({ queue: 'Thermal' }, { lpCommand: lpIn('sleeps'), timers }).send(job, {
          timeoutMs: 700,
          statusCheck: true,
        }),
      ),
    );
    await timers.advance(699);
    expect(send.settled).toBe(false);
    await timers.advance(1);
    const error = await send.promise;
    expect(error.code).toBe('printer_timeout');
    expect(error.message).toContain('lp did not finish within 700 ms');
  });

  it('says to install the CUPS client when lp is missing', async () => {
    const error = await printError(
      cupsTransport({ queue: 'Thermal' }, { lpCommand: path.join(dir, 'no-such-lp') }).send(job, {
        timeoutMs: 1500,
        statusCheck: true,
      }),
    );
    expect(error.code).toBe('printer_unreachable');
    expect(error.message).toContain('cups-client');
  });

  it('never runs lp for a queue name that is not one', async () => {
    await rm(path.join(dir, 'accepts', 'args.txt'), { force: true });
    for (const queue of ['', 'two words', 'a;rm -rf x', '$(id)', 'x'.repeat(128), 'Thermal\n']) {
      const error = await printError(
        cupsTransport({ queue }, { lpCommand: lpIn('accepts') }).send(job, { timeoutMs: 1500, statusCheck: true }),
      );
      expect(error.code).toBe('printer_not_configured');
    }
    expect(existsSync(path.join(dir, 'accepts', 'args.txt'))).toBe(false);
  });
});

describe('transportFor', () => {
  it('picks the transport for each kind of raw printer', () => {
    expect(transportFor({ kind: 'escpos-tcp', host: '192.168.1.50', port: 9100 }).describe).toBe('tcp 192.168.1.50:9100');
    expect(transportFor({ kind: 'escpos-tcp', host: 'fe80::1', port: 9100 }).describe).toBe('tcp [fe80::1]:9100');
    expect(transportFor({ kind: 'escpos-device', path: '/dev/usb/lp0' }).describe).toBe('device /dev/usb/lp0');
    expect(transportFor({ kind: 'escpos-cups', queue: 'Thermal' }).describe).toBe('cups Thermal');
  });

  it('rejects an unknown kind as not configured', () => {
    const unknown = { kind: 'escpos-bluetooth', address: 'x' } as unknown as Parameters<typeof transportFor>[0];
    let code: PrintErrorCode | undefined;
    try {
      transportFor(unknown);
    } catch (error) {
      code = (error as PrintError).code;
    }
    expect(code).toBe('printer_not_configured');
  });

  it('hands the tcp transport to a virtual printer end to end', async () => {
    const printer = await startVirtualPrinter();
    try {
      const job = fakeJob(25_000);
      await transportFor({ kind: 'escpos-tcp', host: printer.host, port: printer.port }).send(job, {
        timeoutMs: 1500,
        statusCheck: true,
      });
      expect(sameBytes((await printer.waitForJobs(1, 1000))[0], job)).toBe(true);
    } finally {
      await printer.close();
    }
  });
});
