/**
 * A portal scripted by the test, on loopback, and a sync engine run in-process against it:
 * for the engine's policies and schedule, where a real portal could not misbehave on cue.
 * With a manual clock, the engine's waits and deadlines pass when the test moves the clock,
 * and the portal stamps each request with that clock.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { syncSettingsSchema } from '../../common/domain';
import { openDatabase, type Db } from '../../main/store/database';
import type { Clock } from '../../main/sync/clock';
import { SyncEngine, type SyncLog } from '../../main/sync/engine';
import type { EngineTuning } from '../../main/sync/messages';
import { PortalClient } from '../../main/sync/portal-client';
import { tempDir } from '../store/harness';

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const cleanups: Array<() => Promise<void> | void> = [];
/** For `afterEach`: stops the engines and servers and closes the databases made by the test. */
export async function runCleanups(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

export interface ScriptedPortal {
  url: string;
  /** every request: when it arrived and its path */
  hits: { at: number; url: string }[];
  /** when each request's connection closed, and the request's path */
  closes: { at: number; url: string }[];
}

/** Uploads among the requests (not roster pulls, not probes). */
export const pushes = (p: ScriptedPortal) => p.hits.filter((h) => h.url.startsWith('/v1/push'));

export async function scriptedPortal(handler: Handler, clock: Pick<Clock, 'now'> = { now: Date.now }): Promise<ScriptedPortal> {
  const hits: ScriptedPortal['hits'] = [];
  const closes: ScriptedPortal['closes'] = [];
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '';
    hits.push({ at: clock.now(), url });
    req.socket.once('close', () => closes.push({ at: clock.now(), url }));
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')));
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

/** Pending rows in the outbox. */
export const pendingIn = (db: Db) =>
  (db.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'pending'").get() as { n: number }).n;

export function engineFor(
  url: string,
  db: Db,
  {
    tuning = {},
    timeoutSeconds = 2,
    clock,
    log,
  }: { tuning?: Partial<EngineTuning>; timeoutSeconds?: number; clock?: Clock; log?: SyncLog } = {},
): SyncEngine {
  const settings = syncSettingsSchema.parse({ requestTimeoutSeconds: timeoutSeconds });
  const quiet = log ?? { info() {}, warn() {}, error() {} };
  const engine = new SyncEngine({
    db,
    // the engine's deadline (on its clock) is the only one
    client: new PortalClient({ baseUrl: url, deviceToken: 'test-token-0123456789' }),
    ...(clock ? { clock } : {}),
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
