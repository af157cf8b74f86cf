import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { isLocalNetworkAddress } from '../../../common/rules/printer-target';
import { PrintError, type ByteTransport } from '../types';
import {
  STATUS_REQUEST,
  StatusReplyReader,
  countStatusRequests,
  parsePaperStatus,
  parsePrinterStatus,
  statusRequest,
  type StatusRequest,
} from '../escpos-status';
import { realTimers, type TransportTimers } from './timers';

/**
 * Raw ESC/POS over TCP ("port 9100", "raw", "JetDirect"), the way network thermal printers take
 * jobs: connect, write the bytes, close.
 *
 * Slips go to this PC and the local network only: the host is resolved first, every address it
 * has must be a loopback, private or link-local one (see common/rules/printer-target.ts) unless
 * a supervisor confirmed the printer (`allowPublicHost`), and the connection goes to the address
 * checked, not to the name again (which could resolve elsewhere the second time).
 *
 * With `statusCheck`, the printer is asked for its real-time status (DLE EOT 1 and 4) before the
 * job, so an offline printer or an empty roll is reported instead of swallowing the slip, and
 * asked again (DLE EOT 1) after the job: a printer that accepts the connection and then stops
 * reading is caught there (see `ask` for jobs that contain DLE EOT bytes). Printers that do
 * not answer DLE EOT at all need `statusCheck: false`.
 *
 * A send resolves only when the printer has shown it took the whole job: it answered the status
 * request sent after the job, or (without status check) it read to the end of the stream and
 * closed the connection. Everything, from the name lookup to the close, runs under one deadline
 * (`timeoutMs`); on any failure the socket is destroyed.
 */

export interface TcpTarget {
  host: string;
  port: number;
  /** a supervisor confirmed this printer outside this PC and the local network */
  allowPublicHost?: boolean | undefined;
}

/** Every address of a host name, as the system's resolver gives them. */
export type HostLookup = (host: string) => Promise<Array<{ address: string }>>;

const systemLookup: HostLookup = (host) => lookup(host, { all: true });

/** Something worth logging that does not stop the print. */
export interface TransportWarning {
  code: 'paper_near_end';
  message: string;
}

export interface TcpTransportOptions {
  onWarning?: (warning: TransportWarning) => void;
  /** the job's deadline and the close grace run on these (the real timers by default) */
  timers?: TransportTimers;
  /** resolves printer host names (the system's resolver by default) */
  lookup?: HostLookup;
}

export function tcpTransport(target: TcpTarget, options: TcpTransportOptions = {}): ByteTransport {
  const describe = `tcp ${formatHost(target.host)}:${target.port}`;
  return {
    describe,
    send(job, { timeoutMs, statusCheck }) {
      const problem = targetProblem(target) ?? timeoutProblem(timeoutMs);
      if (problem) return Promise.reject(new PrintError('printer_not_configured', `${describe}: ${problem}`));
      return new TcpJob(target, describe, timeoutMs, options).run(job, statusCheck);
    },
  };
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function targetProblem({ host, port }: TcpTarget): string | null {
  if (typeof host !== 'string' || host.length === 0 || host.length > 253 || /\s/.test(host)) {
    return 'the printer address is missing or not valid';
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) return 'the port must be a number from 1 to 65535';
  return null;
}

function timeoutProblem(timeoutMs: number): string | null {
  return Number.isFinite(timeoutMs) && timeoutMs > 0 ? null : 'the print timeout must be a positive number of milliseconds';
}

const CONNECT_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'refused the connection: is the printer on, and is the port right (usually 9100)?',
  EHOSTUNREACH: 'no route to the printer: check the network cable and the address',
  ENETUNREACH: 'no route to the printer: check the network cable and the address',
  EHOSTDOWN: 'the printer is not on the network: is it switched on?',
  ENETDOWN: 'this computer is not connected to the network',
  ETIMEDOUT: 'no answer while connecting: is the printer on, and is the address right?',
  ENOTFOUND: 'unknown printer host name: check the address',
  EAI_AGAIN: 'the printer host name could not be looked up: check the address or use the IP address',
  EAI_FAIL: 'the printer host name could not be looked up: check the address or use the IP address',
  EADDRNOTAVAIL: 'the printer address is not valid here',
};

/** how long a printer that confirmed the job gets to close the connection before it is dropped */
export const CLOSE_GRACE_MS = 500;

type Phase = 'connecting' | 'checking' | 'writing' | 'confirming' | 'closing';

function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : 'unknown error';
}

/** One connection carrying one job. */
class TcpJob {
  private readonly socket = new net.Socket();
  private readonly replies = new StatusReplyReader();
  private phase: Phase = 'connecting';
  /** the printer answered a status request sent after the whole job */
  private confirmed = false;
  private fail!: (error: PrintError) => void;
  private readonly failed: Promise<never>;
  private peerClosed!: () => void;
  private readonly closed: Promise<void>;

  constructor(
    private readonly target: TcpTarget,
    private readonly describe: string,
    private readonly timeoutMs: number,
    private readonly options: TcpTransportOptions,
  ) {
    this.failed = new Promise<never>((_, reject) => {
      this.fail = reject;
    });
    this.failed.catch(() => undefined); // observed through race(); may also fire after the job ended
    this.closed = new Promise<void>((resolve) => {
      this.peerClosed = resolve;
    });

    this.socket.on('data', (chunk: Buffer) => this.replies.push(chunk));
    this.socket.on('error', (error) => this.onSocketError(error));
    this.socket.on('end', () => {
      if (this.phase !== 'closing') this.fail(this.error('printer_disconnected', `closed the connection ${this.during()}`));
    });
    this.socket.on('close', () => {
      if (this.phase === 'closing') this.peerClosed();
      else this.fail(this.error('printer_disconnected', `closed the connection ${this.during()}`));
    });
  }

  async run(job: Uint8Array, statusCheck: boolean): Promise<void> {
    const timers = this.options.timers ?? realTimers;
    const cancelDeadline = timers.after(this.timeoutMs, () => this.onDeadline());
    try {
      const address = await this.race(this.checkedAddress());
      await this.race(this.connect(address));
      this.socket.setNoDelay(true);

      this.phase = 'checking';
      if (statusCheck) {
        const printer = parsePrinterStatus(await this.ask(STATUS_REQUEST.printer));
        const paper = parsePaperStatus(await this.ask(STATUS_REQUEST.paper));
        // an empty roll also makes the printer offline: name the cause the counter can fix
        if (paper.paperEnd) throw this.error('paper_out', 'is out of paper');
        if (printer.offline) throw this.error('printer_offline', 'is offline: is the cover open, or a paper jam?');
        if (paper.nearEnd) {
          this.options.onWarning?.({ code: 'paper_near_end', message: `${this.describe}: paper roll nearly used up` });
        }
      }

      this.phase = 'writing';
      await this.race(this.write(job));

      if (statusCheck) {
        this.phase = 'confirming';
        const times = countStatusRequests(job) + 1; // see ask()
        const after = parsePrinterStatus(await this.ask(STATUS_REQUEST.printer, times));
        if (after.offline) {
          const paper = parsePaperStatus(await this.ask(STATUS_REQUEST.paper, times));
          if (paper.paperEnd) throw this.error('paper_out', 'ran out of paper during the job: the slip may be incomplete');
          throw this.error('printer_offline', 'went offline during the job: the slip may be incomplete');
        }
        this.confirmed = true;
      }

      this.phase = 'closing';
      this.socket.end();
      if (this.confirmed) {
        // the printer has answered after the whole job: do not wait long for it to close its side
        const cancelGrace = timers.after(CLOSE_GRACE_MS, () => this.peerClosed());
        await this.race(this.closed).finally(cancelGrace);
      } else {
        await this.race(this.closed);
      }
    } finally {
      cancelDeadline();
      this.socket.destroy();
    }
  }

  /** The address to connect to, once every address of the host is one slips may go to. */
  private async checkedAddress(): Promise<string> {
    const { host, allowPublicHost } = this.target;
    let addresses: string[];
    if (net.isIP(host) !== 0) {
      addresses = [host];
    } else {
      try {
        addresses = (await (this.options.lookup ?? systemLookup)(host)).map((a) => a.address);
      } catch (error) {
        const code = errorCode(error);
        throw this.error('printer_unreachable', `${CONNECT_ERRORS[code] ?? 'could not look up the printer host name'} (${code})`);
      }
    }
    const first = addresses[0];
    if (first === undefined) throw this.error('printer_unreachable', `${CONNECT_ERRORS.ENOTFOUND} (no address)`);
    const outside = addresses.filter((a) => !isLocalNetworkAddress(a));
    if (outside.length > 0 && allowPublicHost !== true) {
      throw this.error(
        'printer_not_allowed',
        `${outside.join(', ')} is outside this PC and the local network: slips go there only when a supervisor confirms this printer`,
      );
    }
    return first;
  }

  private connect(address: string): Promise<void> {
    return new Promise((resolve) => {
      this.socket.once('connect', () => resolve());
      this.socket.connect({ host: address, port: this.target.port });
    });
  }

  private write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      this.socket.write(bytes, (error) => {
        if (error) this.fail(this.error('printer_disconnected', `closed the connection ${this.during()} (${errorCode(error)})`));
        else resolve();
      });
    });
  }

  /**
   * Sends DLE EOT n `times` times and returns the last of the first `times` replies.
   *
   * Replies come back in stream order. Before the job nothing else is pending, so one request
   * is enough. After the job, the job itself may hold k DLE EOT requests (in raster data) that
   * the printer may or may not answer, so up to k replies that are not ours can still arrive.
   * Sending k + 1 requests and waiting for k + 1 replies makes sure the last one counted
   * answers one of ours.
   */
  private async ask(n: StatusRequest, times = 1): Promise<number> {
    const request = statusRequest(n);
    const requests = new Uint8Array(request.length * times);
    for (let i = 0; i < times; i++) requests.set(request, i * request.length);
    this.replies.clear();
    this.socket.write(requests);
    let last = 0;
    for (let i = 0; i < times; i++) last = await this.race(this.replies.next());
    return last;
  }

  private race<T>(step: Promise<T>): Promise<T> {
    return Promise.race([step, this.failed]);
  }

  private onSocketError(error: Error): void {
    const code = errorCode(error);
    if (this.phase === 'connecting') {
      this.fail(this.error('printer_unreachable', `${CONNECT_ERRORS[code] ?? 'could not connect'} (${code})`));
    } else if (this.phase === 'closing' && this.confirmed) {
      this.peerClosed(); // the printer answered after the whole job: a reset on close loses nothing
    } else {
      this.fail(this.error('printer_disconnected', `closed the connection ${this.during()} (${code})`));
    }
  }

  private onDeadline(): void {
    const ms = this.timeoutMs;
    switch (this.phase) {
      case 'connecting':
        this.fail(
          this.error(
            'printer_unreachable',
            `no answer while connecting within ${ms} ms: is the printer on, and is the address right?`,
          ),
        );
        break;
      case 'checking':
        this.fail(
          this.error(
            'printer_timeout',
            `did not answer the status request within ${ms} ms (if this printer does not support status requests, turn the status check off)`,
          ),
        );
        break;
      case 'writing':
        this.fail(this.error('printer_timeout', `did not take the job within ${ms} ms`));
        break;
      case 'confirming':
        this.fail(this.error('printer_timeout', `stopped answering during the job (no status within ${ms} ms)`));
        break;
      case 'closing':
        if (this.confirmed) this.peerClosed();
        else this.fail(this.error('printer_timeout', `did not finish reading the job within ${ms} ms`));
        break;
    }
  }

  private during(): string {
    switch (this.phase) {
      case 'connecting':
        return 'while connecting';
      case 'checking':
        return 'before the job';
      case 'writing':
      case 'confirming':
        return 'during the job';
      case 'closing':
        return 'at the end of the job';
    }
  }

  private error(code: PrintError['code'], what: string): PrintError {
    return new PrintError(code, `${this.describe}: ${what}`);
  }
}
