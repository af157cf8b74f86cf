/**
 * The reference portal for other tests and benchmarks: as a child process (`startPortalProcess`,
 * which can be killed and restarted on the same port and data folder) or in this process
 * (`startPortalInProcess`, faster). Both give the same admin surface.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RosterEntry } from '../common/domain';
import type { FaultConfigInput } from './faults';
import { DATABASE_URL_ENV } from './open-store';
import { ADMIN_TOKEN_ENV, newToken } from './secrets';
import { startPortal, type StartedPortal } from './server';
import type { PortalStatsSnapshot } from './stats';
import type { AdminEvent, AdminRecord, DeviceClient, PortalDatabase } from './store-api';

const ROOT = resolve(import.meta.dirname, '..');
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

export interface PortalProcessOptions {
  /** data folder; a fresh temporary one (removed by `stop()`) when not given */
  dataDir?: string;
  /** 0 (default) picks a free port; `restart()` keeps the one first given */
  port?: number;
  /** SQLite in memory: nothing survives a restart */
  memory?: boolean;
  /**
   * Where the data is kept, instead of `dataDir`/`memory`: SQLite (':memory:', or a file named
   * portal.sqlite in a folder) or PostgreSQL (its URL goes to a process in its environment,
   * never its arguments); `restart()` keeps the same database and schema.
   */
  database?: PortalDatabase;
  faults?: boolean;
  /** a random one when not given (the admin API is always on for these helpers); given to a process in its environment */
  adminToken?: string;
  /** failed authentications allowed per client address and minute (the portal's default when not given) */
  authFailures?: number;
  maxInFlight?: number;
  demo?: boolean;
}

export type AppointmentEntry = RosterEntry & { photoIdNumber?: string | null };

export interface PortalAdmin {
  /** adds a device token (at least 32 random bytes) for a centre */
  addDevice(token: string, centreId: string, label?: string): Promise<void>;
  /** a device token made by the portal, bound to `deviceId` when given */
  issueDevice(centreId: string, o?: { label?: string; deviceId?: string }): Promise<string>;
  revoke(token: string): Promise<boolean>;
  /** IT rebinds a device ID to its counter's new token */
  rebind(deviceId: string, token: string): Promise<{ deviceId: string; centreId: string; rebound: boolean }>;
  /** upsert; returns how many bookings changed */
  addAppointments(centreId: string, date: string, entries: readonly AppointmentEntry[]): Promise<number>;
  /** returns how many were cancelled */
  cancel(centreId: string, date: string, refIds: readonly string[]): Promise<number>;
  records(
    centreId: string,
    date: string,
  ): Promise<{ centreId: string; date: string; records: AdminRecord[]; events: AdminEvent[] }>;
  /** each device installation's last applied sequence number */
  clients(): Promise<DeviceClient[]>;
  /** IT accepts that the portal lost a device's records up to `lastAppliedSeq` */
  acceptLost(deviceId: string, lastAppliedSeq: number): Promise<{ deviceId: string; from: number; to: number }>;
  setFaults(config: FaultConfigInput): Promise<unknown>;
  stats(): Promise<PortalStatsSnapshot>;
  resetStats(): Promise<PortalStatsSnapshot>;
}

export interface PortalHandle {
  url: string;
  port: number;
  adminToken: string;
  /** the portal process's ID (this process's for one in process) */
  pid: number;
  dataDir: string | null;
  admin: PortalAdmin;
  /** graceful stop (SIGTERM for a process), waits until it has ended; removes a temporary data folder */
  stop(): Promise<void>;
  /** abrupt stop (SIGKILL for a process); keeps the data folder for `restart()` */
  kill(): Promise<void>;
  /** stops if running, then starts again on the same port with the same data folder */
  restart(): Promise<void>;
}

export class PortalAdminError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`portal admin call failed: ${status} ${body}`);
  }
}

function adminClient(base: () => string, token: string): PortalAdmin {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) throw new PortalAdminError(res.status, text);
    return JSON.parse(text) as T;
  };
  return {
    addDevice: async (t, centreId, label = 'test device') => {
      await call('POST', '/admin/devices', { token: t, centreId, label });
    },
    issueDevice: async (centreId, o = {}) =>
      (
        await call<{ token: string }>('POST', '/admin/devices', {
          centreId,
          label: o.label ?? 'test device',
          ...(o.deviceId ? { deviceId: o.deviceId } : {}),
        })
      ).token,
    revoke: async (t) => (await call<{ revoked: boolean }>('POST', '/admin/devices/revoke', { token: t })).revoked,
    rebind: (deviceId, t) => call('POST', `/admin/devices/${encodeURIComponent(deviceId)}/rebind`, { token: t }),
    addAppointments: async (centreId, date, entries) =>
      (await call<{ changed: number }>('POST', '/admin/appointments', { centreId, date, entries })).changed,
    cancel: async (centreId, date, refIds) =>
      (await call<{ cancelled: number }>('POST', '/admin/appointments/cancel', { centreId, date, refIds })).cancelled,
    records: (centreId, date) =>
      call('GET', `/admin/records?centreId=${encodeURIComponent(centreId)}&date=${encodeURIComponent(date)}`),
    clients: async () => (await call<{ clients: DeviceClient[] }>('GET', '/admin/clients')).clients,
    acceptLost: (deviceId, lastAppliedSeq) => call('POST', '/admin/clients/accept-lost', { deviceId, lastAppliedSeq }),
    setFaults: (config) => call('PUT', '/admin/faults', config),
    stats: () => call('GET', '/admin/stats'),
    resetStats: () => call('POST', '/admin/stats/reset'),
  };
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((ok, bad) => {
    const timer = setTimeout(() => bad(new Error(`portal process ${child.pid} did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      ok();
    });
  });
}

/** Spawns `node --import tsx portal/cli.ts` and waits (bounded) for its `Portal: URL` line. */
/**
 * The data folder and whether it is the handle's own, or where the data is when `database` says so.
 * SQLite in memory, and PostgreSQL, have no folder.
 */
function whereData(options: PortalProcessOptions): { dataDir: string | null; ownDir: boolean; postgres: PortalDatabase | null } {
  const db = options.database;
  if (db && (options.dataDir !== undefined || options.memory)) {
    throw new Error('give the portal database, or dataDir/memory, not both');
  }
  if (db?.engine === 'postgres') return { dataDir: null, ownDir: false, postgres: db };
  if (db?.engine === 'sqlite') {
    if (db.file === ':memory:') return { dataDir: null, ownDir: false, postgres: null };
    if (basename(db.file) !== 'portal.sqlite') throw new Error(`a portal's SQLite file is named portal.sqlite, not ${db.file}`);
    return { dataDir: dirname(db.file), ownDir: false, postgres: null };
  }
  if (options.memory) return { dataDir: null, ownDir: false, postgres: null };
  return { dataDir: options.dataDir ?? mkdtempSync(join(tmpdir(), 'portal-')), ownDir: !options.dataDir, postgres: null };
}

export async function startPortalProcess(options: PortalProcessOptions = {}): Promise<PortalHandle> {
  const { dataDir, ownDir, postgres } = whereData(options);
  const adminToken = options.adminToken ?? newToken();
  let port = options.port ?? 0;
  let url = '';
  let child: ChildProcess | null = null;
  const tsx = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

  const launch = async () => {
    const args = ['--import', tsx, join(ROOT, 'portal/cli.ts'), '--port', String(port), '--host', '127.0.0.1'];
    if (postgres?.engine === 'postgres') {
      if (postgres.schema !== undefined) args.push('--database-schema', postgres.schema);
      if (postgres.poolSize !== undefined) args.push('--pool-size', String(postgres.poolSize));
    } else {
      args.push(...(dataDir ? ['--data', dataDir] : ['--memory']));
    }
    if (options.faults) args.push('--faults');
    if (options.authFailures !== undefined) args.push('--auth-failures', String(options.authFailures));
    if (options.demo) args.push('--demo');
    if (options.maxInFlight !== undefined) args.push('--max-in-flight', String(options.maxInFlight));
    // the admin token in the environment, never in the arguments (every user can read those)
    // and so is a PostgreSQL URL (it may carry a password); a SQLite portal is given none
    const env: NodeJS.ProcessEnv = { ...process.env, [ADMIN_TOKEN_ENV]: adminToken };
    delete env[DATABASE_URL_ENV];
    if (postgres?.engine === 'postgres') env[DATABASE_URL_ENV] = postgres.url;
    const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
    child = proc;
    let stdout = '';
    let stderr = '';
    proc.stderr!.on('data', (c: Buffer) => {
      if (stderr.length < 20_000) stderr += c.toString();
    });
    url = await new Promise<string>((ok, bad) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        bad(new Error(`portal did not start within ${START_TIMEOUT_MS} ms\n${stderr}`));
      }, START_TIMEOUT_MS);
      proc.stdout!.on('data', (c: Buffer) => {
        stdout += c.toString();
        const m = /^Portal: (http:\/\/\S+)$/m.exec(stdout);
        if (m) {
          clearTimeout(timer);
          ok(m[1]!);
        }
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        bad(new Error(`portal exited (${code ?? signal}) before listening\n${stderr}`));
      });
    });
    port = Number(new URL(url).port);
  };

  const end = async (signal: NodeJS.Signals) => {
    const proc = child;
    child = null;
    if (!proc) return;
    proc.kill(signal);
    await waitExit(proc, STOP_TIMEOUT_MS);
  };

  await launch();
  return {
    get url() {
      return url;
    },
    get port() {
      return port;
    },
    adminToken,
    get pid() {
      return child?.pid ?? -1;
    },
    dataDir,
    admin: adminClient(() => url, adminToken),
    stop: async () => {
      await end('SIGTERM');
      if (ownDir && dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
    kill: () => end('SIGKILL'),
    restart: async () => {
      await end('SIGTERM');
      await launch();
    },
  };
}

/** The same surface with the portal in this process (start/stop in milliseconds). */
export async function startPortalInProcess(
  options: PortalProcessOptions = {},
): Promise<PortalHandle & { started: () => StartedPortal }> {
  const { dataDir, ownDir, postgres } = whereData(options);
  const adminToken = options.adminToken ?? newToken();
  let port = options.port ?? 0;
  let current: StartedPortal | null = null;
  let last: StartedPortal | null = null;

  const launch = async () => {
    current = await startPortal({
      database: postgres ?? { engine: 'sqlite', file: dataDir ? join(dataDir, 'portal.sqlite') : ':memory:' },
      host: '127.0.0.1',
      port,
      adminToken,
      faults: options.faults ?? false,
      ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
      ...(options.authFailures !== undefined ? { authFailures: { max: options.authFailures, windowMs: 60_000 } } : {}),
    });
    last = current;
    port = current.port;
    if (options.demo) {
      const { seedPortalDemo } = await import('./demo');
      await seedPortalDemo(current.portal.store, new Date());
    }
  };
  const end = async () => {
    const p = current;
    current = null;
    await p?.close();
  };

  await launch();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    adminToken,
    pid: process.pid,
    dataDir,
    admin: adminClient(() => `http://127.0.0.1:${port}`, adminToken),
    started: () => last!,
    stop: async () => {
      await end();
      if (ownDir && dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
    kill: end,
    restart: async () => {
      await end();
      await launch();
    },
  };
}
