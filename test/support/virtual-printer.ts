import net from 'node:net';

/**
 * A network ESC/POS printer for tests: a TCP server on 127.0.0.1 (ephemeral port) that answers
 * real-time status requests (DLE EOT n) and keeps every job it receives.
 *
 * A job is what a client sent on one connection, up to closing its side, without the status
 * requests sent before and after it (leading and trailing DLE EOT n are removed; any in the
 * middle stay, as a printer would also see them as data). Connections that carry no job bytes
 * (a status check that stopped early) store nothing. Like a real printer, DLE EOT n is answered
 * wherever it appears, even inside raster data.
 *
 * Modes (switch at any time with `setMode`; they apply to bytes received from then on):
 * - `normal`: online, paper present.
 * - `paper-near-end`: prints, but reports the roll nearly used up.
 * - `offline`: reports offline (cover open).
 * - `paper-out`: reports paper end (and offline, as Epson printers do).
 * - `hang`: accepts connections, swallows every byte, answers nothing, never closes its side.
 * - `close-mid-job`: answers status, then destroys the connection once `closeAfterBytes` bytes
 *   of job data have arrived; nothing is stored.
 * - `refuse`: stops listening, so connecting fails with ECONNREFUSED; another mode listens on
 *   the same port again.
 */

export type VirtualPrinterMode = 'normal' | 'paper-near-end' | 'offline' | 'paper-out' | 'hang' | 'close-mid-job' | 'refuse';

export interface VirtualPrinterOptions {
  mode?: VirtualPrinterMode;
  /** for `close-mid-job` (default 4096) */
  closeAfterBytes?: number;
}

export interface VirtualPrinter {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** completed jobs, in the order their connections closed */
  readonly jobs: Uint8Array[];
  /** every DLE EOT n received, as n */
  readonly statusRequests: number[];
  readonly mode: VirtualPrinterMode;
  /** connections the client has not closed yet */
  readonly openConnections: number;
  /** bytes that reached the printer, in every mode (a hanging printer receives, it just does not answer) */
  readonly bytesReceived: number;
  setMode(mode: VirtualPrinterMode): Promise<void>;
  /** resolves with the jobs once there are at least `n`; rejects after `timeoutMs` */
  waitForJobs(n: number, timeoutMs: number): Promise<Uint8Array[]>;
  /** resolves once every client has closed its connection; rejects after `timeoutMs` */
  waitForIdle(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

const DLE = 0x10;
const EOT = 0x04;

/** replies to DLE EOT 1, 2, 3, 4 (printer, offline cause, error cause, paper sensor) */
const REPLIES: Partial<Record<VirtualPrinterMode, readonly [number, number, number, number]>> = {
  normal: [0x16, 0x12, 0x12, 0x12],
  'paper-near-end': [0x16, 0x12, 0x12, 0x1e],
  offline: [0x1e, 0x16, 0x12, 0x12],
  'paper-out': [0x1e, 0x32, 0x12, 0x72],
  'close-mid-job': [0x16, 0x12, 0x12, 0x12],
  refuse: [0x16, 0x12, 0x12, 0x12], // connections accepted before it stopped listening
};

function isStatusRequest(bytes: Uint8Array, at: number): boolean {
  const n = bytes[at + 2];
  return bytes[at] === DLE && bytes[at + 1] === EOT && n !== undefined && n >= 1 && n <= 4;
}

/** the job without the status requests before and after it */
function jobBytes(raw: Uint8Array): Uint8Array {
  let start = 0;
  while (start + 3 <= raw.length && isStatusRequest(raw, start)) start += 3;
  let end = raw.length;
  while (end - 3 >= start && isStatusRequest(raw, end - 3)) end -= 3;
  return new Uint8Array(raw.subarray(start, end));
}

export async function startVirtualPrinter(options: VirtualPrinterOptions = {}): Promise<VirtualPrinter> {
  let mode: VirtualPrinterMode = options.mode ?? 'normal';
  const closeAfterBytes = options.closeAfterBytes ?? 4096;
  const jobs: Uint8Array[] = [];
  const statusRequests: number[] = [];
  const sockets = new Set<net.Socket>();
  let openConnections = 0;
  let bytesReceived = 0;
  const watchers = new Set<() => void>();
  const changed = () => {
    for (const watch of [...watchers]) watch();
  };

  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    openConnections += 1;
    let clientOpen = true;
    const clientGone = () => {
      if (!clientOpen) return;
      clientOpen = false;
      openConnections -= 1;
      changed();
    };
    const chunks: Buffer[] = [];
    let dataBytes = 0; // bytes that were not part of a status request
    let state = 0; // 1: after DLE, 2: after DLE EOT
    let cut = false;

    socket.on('data', (chunk: Buffer) => {
      bytesReceived += chunk.length;
      if (mode === 'hang' || cut) return;
      chunks.push(chunk);
      for (const byte of chunk) {
        if (state === 2 && byte >= 1 && byte <= 4) {
          state = 0;
          dataBytes -= 2; // the DLE EOT before it
          statusRequests.push(byte);
          const reply = REPLIES[mode]?.[byte - 1];
          if (reply !== undefined) socket.write(Uint8Array.of(reply));
          continue;
        }
        state = byte === DLE ? 1 : state === 1 && byte === EOT ? 2 : 0;
        dataBytes += 1;
        if (mode === 'close-mid-job' && dataBytes >= closeAfterBytes) {
          cut = true; // nothing after this byte is read or answered
          socket.destroy();
          return;
        }
      }
    });
    socket.on('end', () => {
      clientGone();
      if (mode === 'hang' || cut) return;
      const job = jobBytes(Buffer.concat(chunks));
      if (job.length > 0) {
        jobs.push(job);
        changed();
      }
      socket.end();
    });
    socket.on('close', () => {
      sockets.delete(socket);
      clientGone();
    });
    socket.on('error', () => undefined);
  });
  server.on('error', () => undefined);

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });

  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  if (mode === 'refuse') server.close();

  const waitFor = (ready: () => boolean, timeoutMs: number, what: () => string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!ready()) return;
        stop();
        resolve();
      };
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`virtual printer: ${what()} after ${timeoutMs} ms`));
      }, timeoutMs);
      const stop = () => {
        clearTimeout(timer);
        watchers.delete(check);
      };
      watchers.add(check);
      check();
    });

  return {
    host: '127.0.0.1',
    port,
    jobs,
    statusRequests,
    get mode() {
      return mode;
    },
    get openConnections() {
      return openConnections;
    },
    get bytesReceived() {
      return bytesReceived;
    },
    async setMode(next) {
      mode = next;
      if (next === 'refuse') {
        if (server.listening) server.close(); // open connections carry on
      } else if (!server.listening) {
        await listen(port);
      }
    },
    async waitForJobs(n, timeoutMs) {
      await waitFor(
        () => jobs.length >= n,
        timeoutMs,
        () => `${jobs.length} of ${n} jobs`,
      );
      return jobs.slice();
    },
    waitForIdle(timeoutMs) {
      return waitFor(
        () => openConnections === 0,
        timeoutMs,
        () => `${openConnections} connections still open`,
      );
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
