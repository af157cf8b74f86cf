import { constants } from 'node:fs';
import { lstat, open, realpath, type FileHandle } from 'node:fs/promises';
import { devicePathFamily, isWindowsComPort } from '../../../common/rules/printer-target';
import { PrintError, type ByteTransport } from '../types';
import { realTimers, type TransportTimers } from './timers';

/**
 * Raw ESC/POS written to a printer device: a USB printer (`/dev/usb/lp0`), a serial or
 * USB-serial port (`/dev/ttyUSB0`, `COM3`, `\\.\COM3`) or a Windows printer share on this PC set
 * to raw (`\\localhost\ThermalShare`).
 *
 * Only those paths are used (see common/rules/printer-target.ts), and only on the system they
 * belong to. On Linux and macOS the path must be a character device when the job is sent (a
 * symbolic link, as udev makes, must lead to one under /dev), and the device opened is the one
 * checked; the open handle is checked again, so a file put in its place in between is not
 * written either. On Windows the path form is the check: `\\.\COMn` is the device namespace and
 * a share root on this PC is never a file.
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

/** What the transport needs of a path's entry (fs.Stats has it). */
export interface DeviceEntry {
  isCharacterDevice(): boolean;
  isSymbolicLink(): boolean;
  isFile(): boolean;
  isDirectory(): boolean;
}

/** How the transport looks at and opens device paths: the file system by default; tests pass their own. */
export interface DeviceAccess {
  /** the system the path is opened on (`process.platform`) */
  platform: NodeJS.Platform;
  /** the path's own entry, a symbolic link not followed */
  lstat(path: string): Promise<DeviceEntry>;
  /** the path with every symbolic link followed */
  realpath(path: string): Promise<string>;
  open(path: string, flags: number): Promise<FileHandle>;
}

export const fileSystemDeviceAccess: DeviceAccess = {
  platform: process.platform,
  lstat: (path) => lstat(path),
  realpath: (path) => realpath(path),
  open: (path, flags) => open(path, flags),
};

const CHUNK_BYTES = 16 * 1024;
/** write-only, never create, never become the controlling terminal of a tty */
const OPEN_FLAGS = constants.O_WRONLY | (constants.O_NOCTTY ?? 0);

/** the last send started for each device path, settled once it is really over */
const inFlight = new Map<string, Promise<void>>();

export interface DeviceTransportOptions {
  /** the deadline runs on these (the real timers by default) */
  timers?: TransportTimers;
  /** the file system by default */
  deviceAccess?: DeviceAccess;
}

export function deviceTransport(target: DeviceTarget, options: DeviceTransportOptions = {}): ByteTransport {
  const describe = `device ${target.path}`;
  const access = options.deviceAccess ?? fileSystemDeviceAccess;
  return {
    describe,
    send(job, { timeoutMs }) {
      if (typeof target.path !== 'string' || target.path.trim() === '' || target.path.includes('\0')) {
        return Promise.reject(new PrintError('printer_not_configured', `${describe}: no printer device path is set`));
      }
      const problem = pathProblem(target.path, access.platform);
      if (problem) return Promise.reject(new PrintError('printer_not_allowed', `${describe}: ${problem}`));
      if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
        return Promise.reject(
          new PrintError('printer_not_configured', `${describe}: the print timeout must be a positive number of milliseconds`),
        );
      }
      return sendToDevice(target.path, describe, job, timeoutMs, options.timers ?? realTimers, access);
    },
  };
}

const ALLOWED_PATHS = {
  posix: '/dev/usb/lp0, /dev/ttyUSB0, /dev/ttyS0 or /dev/ttyACM0',
  win32: 'COM3, \\\\.\\COM3 or \\\\localhost\\<share name>',
} as const;

/** Why the counter may not write to `path` on this system; null when it may try. */
function pathProblem(path: string, platform: NodeJS.Platform): string | null {
  const here = platform === 'win32' ? 'win32' : 'posix';
  const family = devicePathFamily(path);
  if (family === here) return null;
  if (family === null) return `not a printer device path: use a printer's path (${ALLOWED_PATHS[here]})`;
  return `not a printer device path on this computer: use ${ALLOWED_PATHS[here]}`;
}

async function sendToDevice(
  path: string,
  describe: string,
  job: Uint8Array,
  timeoutMs: number,
  timers: TransportTimers,
  access: DeviceAccess,
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
    if (timedOut) return;
    const device = await checkedDevice(path, describe, access);
    if (!timedOut) await writeAll(device, path, describe, job, () => timedOut, access);
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

function notADevice(describe: string, path: string): PrintError {
  return new PrintError('printer_unreachable', `${describe}: ${path} is not a printer device (e.g. /dev/usb/lp0)`);
}

/**
 * The path to open, once it is known to be a printer's: on Linux and macOS a character device
 * (through a symbolic link: the device it leads to, under /dev); on Windows `COMn` in the device
 * namespace, and a share as it is.
 */
async function checkedDevice(path: string, describe: string, access: DeviceAccess): Promise<string> {
  if (access.platform === 'win32') return isWindowsComPort(path) && !path.startsWith('\\\\') ? `\\\\.\\${path}` : path;
  const entry = await access.lstat(path).catch((error: unknown) => {
    throw openError(path, describe, error);
  });
  if (entry.isCharacterDevice()) return path;
  if (!entry.isSymbolicLink()) throw notADevice(describe, path);
  const target = await access.realpath(path).catch((error: unknown) => {
    throw openError(path, describe, error);
  });
  const leadsTo = await access.lstat(target).catch((error: unknown) => {
    throw openError(path, describe, error);
  });
  if (!target.startsWith('/dev/') || !leadsTo.isCharacterDevice()) throw notADevice(describe, `${path} (${target})`);
  return target;
}

async function writeAll(
  device: string,
  path: string,
  describe: string,
  job: Uint8Array,
  stopped: () => boolean,
  access: DeviceAccess,
): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await access.open(device, OPEN_FLAGS);
  } catch (error) {
    throw openError(path, describe, error);
  }
  let closed = false;
  try {
    // What was opened, checked again: a file or folder put in the device's place since the
    // check (the counter's own database, say) is never written. Windows reports a printer share
    // as it likes, so there only a serial port is held to this; the share's path form holds.
    const opened = await handle.stat();
    const heldToIt = access.platform !== 'win32' || isWindowsComPort(path);
    if (heldToIt && (opened.isFile() || opened.isDirectory())) throw notADevice(describe, path);
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
