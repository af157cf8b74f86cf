import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { PrintError, type ByteTransport } from '../types';
import { realTimers, type TransportTimers } from './timers';

/**
 * Raw ESC/POS written to a printer device: a USB printer (`/dev/usb/lp0`), a serial or
 * USB-serial port (`/dev/ttyUSB0`, `\\.\COM3`) or a Windows printer share set to raw
 * (`\\localhost\ThermalShare`).
 *
 * The device is opened for writing without creating anything (a missing device is reported, not
 * replaced by a file of that name), the job is written, and the device is closed, all under the
 * deadline. There is no status check: a device path gives no way to ask the printer, so an
 * offline printer or an empty roll shows up as a write that does not finish in time
 * (`printer_timeout`), or as the driver's error.
 *
 * Serial ports are used with whatever line settings they have: set the speed and raw mode once
 * (`stty -F /dev/ttyUSB0 115200 raw -echo`), otherwise newline translation corrupts raster data.
 *
 * A write blocked in the operating system cannot be cancelled: when the deadline passes, the
 * send fails but the blocked write stays. Later sends to the same path wait for it (within their
 * own deadline) instead of piling up more blocked writes.
 */

export interface DeviceTarget {
  path: string;
}

const CHUNK_BYTES = 16 * 1024;
/** write-only, never create, never become the controlling terminal of a tty */
const OPEN_FLAGS = constants.O_WRONLY | (constants.O_NOCTTY ?? 0);

/** the last send started for each device path, settled once it is really over */
const inFlight = new Map<string, Promise<void>>();

export interface DeviceTransportOptions {
  /** the deadline runs on these (the real timers by default) */
  timers?: TransportTimers;
}

export function deviceTransport(target: DeviceTarget, options: DeviceTransportOptions = {}): ByteTransport {
  const describe = `device ${target.path}`;
  return {
    describe,
    send(job, { timeoutMs }) {
      if (typeof target.path !== 'string' || target.path.trim() === '' || target.path.includes('\0')) {
        return Promise.reject(new PrintError('printer_not_configured', `${describe}: no printer device path is set`));
      }
      if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
        return Promise.reject(
          new PrintError('printer_not_configured', `${describe}: the print timeout must be a positive number of milliseconds`),
        );
      }
      return sendToDevice(target.path, describe, job, timeoutMs, options.timers ?? realTimers);
    },
  };
}

async function sendToDevice(
  path: string,
  describe: string,
  job: Uint8Array,
  timeoutMs: number,
  timers: TransportTimers,
): Promise<void> {
  let timedOut = false;
  let waitingForPrevious = false;
  let cancelDeadline = () => {};
  const deadline = new Promise<never>((_, reject) => {
    cancelDeadline = timers.after(timeoutMs, () => {
      timedOut = true;
      reject(
        new PrintError(
          'printer_timeout',
          waitingForPrevious
            ? `${describe}: an earlier job is still stuck in the device after ${timeoutMs} ms: is the printer on, with paper?`
            : `${describe}: did not take the job within ${timeoutMs} ms: is the printer on, with paper?`,
        ),
      );
    });
  });

  const previous = inFlight.get(path);
  const work = (async () => {
    if (previous) {
      waitingForPrevious = true;
      await previous;
      waitingForPrevious = false;
    }
    if (!timedOut) await writeAll(path, describe, job, () => timedOut);
  })();
  const over = work.then(
    () => undefined,
    () => undefined,
  );
  inFlight.set(path, over);
  void over.then(() => {
    if (inFlight.get(path) === over) inFlight.delete(path);
  });

  try {
    await Promise.race([work, deadline]);
  } finally {
    cancelDeadline();
  }
}

async function writeAll(path: string, describe: string, job: Uint8Array, stopped: () => boolean): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (error) {
    throw openError(path, describe, error);
  }
  let closed = false;
  try {
    // A printer is a character device (or, on Windows, a port or a printer share). A regular
    // file here is a mistyped path, perhaps the counter's own database: never write into it.
    if (process.platform !== 'win32' && (await handle.stat()).isFile()) {
      throw new PrintError('printer_unreachable', `${describe}: ${path} is a file, not a printer device (e.g. /dev/usb/lp0)`);
    }
    let offset = 0;
    while (offset < job.length && !stopped()) {
      const { bytesWritten } = await handle.write(job, offset, Math.min(CHUNK_BYTES, job.length - offset));
      if (bytesWritten <= 0) throw Object.assign(new Error('the device took no bytes'), { code: 'EIO' });
      offset += bytesWritten;
    }
    closed = true;
    await handle.close();
  } catch (error) {
    throw error instanceof PrintError ? error : writeError(describe, error);
  } finally {
    if (!closed) await handle.close().catch(() => undefined);
  }
}

function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : 'unknown error';
}

function permissionHint(path: string): string {
  if (process.platform === 'win32') return 'check that this Windows user may print to it';
  const group = /^\/dev\/tty/.test(path) ? 'dialout' : 'lp';
  return `add the user to the '${group}' group (sudo usermod -aG ${group} $USER) and log in again`;
}

function openError(path: string, describe: string, error: unknown): PrintError {
  const code = errorCode(error);
  let why: string;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      why = `no such device: is the printer plugged in and switched on, and is the path right (${path})?`;
      break;
    case 'EACCES':
    case 'EPERM':
      why = `no permission to write to ${path}: ${permissionHint(path)}`;
      break;
    case 'EBUSY':
      why = `${path} is in use by another program (a CUPS queue or a serial terminal?)`;
      break;
    case 'ENXIO':
    case 'ENODEV':
      why = `no printer answers at ${path}: is it switched on?`;
      break;
    case 'EISDIR':
      why = `${path} is a folder, not a printer device`;
      break;
    default:
      why = `could not open ${path}`;
  }
  return new PrintError('printer_unreachable', `${describe}: ${why} (${code})`);
}

function writeError(describe: string, error: unknown): PrintError {
  const code = errorCode(error);
  if (code === 'ENOSPC') return new PrintError('paper_out', `${describe}: the printer reports no paper (${code})`);
  return new PrintError(
    'printer_disconnected',
    `${describe}: the device stopped taking the job: was the printer switched off or unplugged? (${code})`,
  );
}
