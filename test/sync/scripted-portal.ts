/**
 * A portal scripted by the test, on loopback, and a sync engine run in-process against it:
 * for the engine's policies and schedule, where a real portal could not misbehave on cue.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { syncSettingsSchema } from '../../common/domain';
import { openDatabase, type Db } from '../../main/store/database';
import { SyncEngine } from '../../main/sync/engine';
import type { EngineTuning } from '../../main/sync/messages';
import { PortalClient } from '../../main/sync/portal-client';
import { tempDir } from '../store/harness';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const cleanups: Array<() => Promise<void> | void> = [];
/** For `afterEach`: stops the engines and servers and closes the databases made by the test. */
export async function runCleanups(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

export interface ScriptedPortal {
  url: string;
  /** every request: when it arrived and its path */
  hits: { at: number; url: string }[];
  /** when each request's connection closed */
  closes: number[];
}

export async function scriptedPortal(handler: Handler): Promise<ScriptedPortal> {
  const hits: ScriptedPortal['hits'] = [];
  const closes: number[] = [];
  const server: Server = createServer((req, res) => {
    hits.push({ at: Date.now(), url: req.url ?? '' });
    req.socket.once('close', () => closes.push(Date.now()));
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, closes };
}

export const DEVICE = uuidv7();
export const CENTRE = 'TEST';

/** A counter database with `n` pending outbox rows (ticket events). */
export function dbWithPending(n: number): Db {
  const db = openDatabase(join(tempDir('engine-'), 'counter.db'));
  const at = new Date().toISOString();
  const insert = db.prepare(
    "INSERT INTO outbox (mutation_id, kind, record_id, payload, created_at) VALUES (?, 'ticket.called', ?, ?, ?)",
  );
  for (let i = 0; i < n; i++) insert.run(uuidv7(), uuidv7(), JSON.stringify({ ticketId: uuidv7(), day: at.slice(0, 10) }), at);
  cleanups.push(() => void db.close());
  return db;
}

export function engineFor(url: string, db: Db, tuning: Partial<EngineTuning> = {}, timeoutSeconds = 2): SyncEngine {
  const settings = syncSettingsSchema.parse({ requestTimeoutSeconds: timeoutSeconds });
  const quiet = { info() {}, warn() {}, error() {} };
  const engine = new SyncEngine({
    db,
    client: new PortalClient({ baseUrl: url, deviceToken: 'test-token-0123456789', timeoutMs: timeoutSeconds * 1000 }),
    deviceId: DEVICE,
    centreId: CENTRE,
    counterCode: 'C1',
    timeZone: 'Asia/Kolkata',
    settings,
    log: quiet,
    tuning,
  });
  cleanups.push(() => engine.stop());
  return engine;
}

export const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
