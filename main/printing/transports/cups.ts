import { spawn, type ChildProcess } from 'node:child_process';
import { PrintError, type ByteTransport } from '../types';
import { realTimers, type TransportTimers } from './timers';

/**
 * Raw ESC/POS through a CUPS queue (Linux, macOS): `lp -d <queue> -o raw` with the job on its
 * standard input, run without a shell. Exit code 0 means CUPS accepted the job into its queue,
 * not that it printed: CUPS reports printer trouble in its own queue (`lpstat -p`), not here.
 *
 * The queue should be a raw queue (`lpadmin -p Thermal -v usb://... -m raw` or `socket://...`);
 * `-o raw` also stops a driver queue from filtering the bytes.
 */

export interface CupsTarget {
  queue: string;
}

export interface CupsTransportOptions {
  /** the `lp` program to run (default: `lp` from PATH) */
  lpCommand?: string;
  /** the deadline runs on these (the real timers by default) */
  timers?: TransportTimers;
}

const QUEUE_NAME = /^[A-Za-z0-9_\-.]{1,127}$/;
const STDERR_LIMIT = 4096;
const MESSAGE_LIMIT = 500;

export function isValidCupsQueueName(queue: string): boolean {
  return typeof queue === 'string' && QUEUE_NAME.test(queue);
}

export function cupsTransport(target: CupsTarget, options: CupsTransportOptions = {}): ByteTransport {
  const describe = `cups ${target.queue}`;
  const lp = options.lpCommand ?? 'lp';
  return {
    describe,
    send(job, { timeoutMs }) {
      if (!isValidCupsQueueName(target.queue)) {
        return Promise.reject(
          new PrintError('printer_not_configured', `${describe}: not a valid CUPS queue name (letters, digits, '_', '-', '.')`),
        );
      }
      if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
        return Promise.reject(
          new PrintError('printer_not_configured', `${describe}: the print timeout must be a positive number of milliseconds`),
        );
      }
      return runLp(lp, target.queue, describe, job, timeoutMs, options.timers ?? realTimers);
    },
  };
}

function runLp(
  lp: string,
  queue: string,
  describe: string,
  job: Uint8Array,
  timeoutMs: number,
  timers: TransportTimers,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let cancelDeadline = () => {};
    const finish = (error?: PrintError) => {
      if (settled) return;
      settled = true;
      cancelDeadline();
      if (error) reject(error);
      else resolve();
    };

    let child: ChildProcess;
    try {
      child = spawn(lp, ['-d', queue, '-o', 'raw'], { stdio: ['pipe', 'ignore', 'pipe'], shell: false, windowsHide: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      return finish(new PrintError('driver_error', `${describe}: could not run '${lp}' (${code})`));
    }

    cancelDeadline = timers.after(timeoutMs, () => {
      child.kill('SIGKILL');
      finish(
        new PrintError(
          'printer_timeout',
          `${describe}: lp did not finish within ${timeoutMs} ms: is the CUPS scheduler running?`,
        ),
      );
    });

    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      if (stderr.length < STDERR_LIMIT) stderr += text.slice(0, STDERR_LIMIT - stderr.length);
    });
    // lp exiting before reading everything shows in its exit code; the broken pipe adds nothing
    child.stdin?.on('error', () => undefined);

    child.on('error', (error: NodeJS.ErrnoException) => {
      const code = typeof error.code === 'string' ? error.code : 'unknown error';
      if (code === 'ENOENT') {
        finish(
          new PrintError(
            'printer_unreachable',
            `${describe}: the '${lp}' command was not found: install the CUPS client (apt-get install cups-client) (${code})`,
          ),
        );
      } else if (code === 'EACCES' || code === 'EPERM') {
        finish(new PrintError('printer_unreachable', `${describe}: the '${lp}' command may not be run by this user (${code})`));
      } else {
        finish(new PrintError('driver_error', `${describe}: could not run '${lp}' (${code})`));
      }
    });

    child.on('close', (code, signal) => {
      if (code === 0) return finish();
      const said = stderr.trim().replace(/\s+/g, ' ').slice(0, MESSAGE_LIMIT);
      const how = code === null ? `was stopped (${signal ?? 'signal'})` : `exited with code ${code}`;
      finish(new PrintError('driver_error', `${describe}: lp ${how}${said ? `: ${said}` : ''}`));
    });

    child.stdin?.end(job);
  });
}
