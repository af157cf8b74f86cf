/**
 * The sync worker thread: its own SQLite connection and the sync engine. Nothing it does
 * (a hung portal, a 100,000-row roster) runs on the main process's event loop.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { errorCode } from '../../common/error-code';
import { checkpointPassive, openDatabase } from '../store/database';
import { hasPendingOutbox } from '../store/outbox';
import {
  bulkImmediate,
  importIndexSteps,
  removeImports,
  stageRosterRows,
  stagingPortalImportIds,
  unpackRosterRows,
} from '../store/roster';
import { SyncEngine, type SyncLog } from './engine';
import type { EngineStatus, FromWorker, ToWorker, WorkerAnswers, WorkerRequest, WorkerSetup } from './messages';
import { PortalClient } from './portal-client';

const port = parentPort;
if (!port) throw new Error('worker-thread.ts runs as a worker thread');
const setup = workerData as WorkerSetup;
const send = (m: FromWorker) => port.postMessage(m);

const log: SyncLog = {
  info: (data, message) => send({ type: 'log', level: 'info', message, data }),
  warn: (data, message) => send({ type: 'log', level: 'warn', message, data }),
  error: (data, message) => send({ type: 'log', level: 'error', message, data }),
};

const { provisioning: config } = setup;

/**
 * The app's version when main did not give it: package.json two folders up, from the built
 * worker (out/main/) and from this source file (main/sync/) alike.
 */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
if (!config.portal) throw new Error('no portal in the provisioning');
const db = openDatabase(setup.dbFile, { nativeBinding: setup.nativeBinding, key: setup.databaseKey });
// a roster pull cut short by an earlier worker's end (a crash) left its staging rows behind
await removeImports(db, stagingPortalImportIds(db), 1000);
// A request changes the status several times (sent, answered, uploading on and off): main is
// told the latest once a turn, and before any news of the outbox or the roster, rather than
// each change.
let statusDue: EngineStatus | null = null;
function statusSoon(status: EngineStatus): void {
  if (statusDue === null) setImmediate(flushStatus);
  statusDue = status;
}
function flushStatus(): void {
  if (statusDue === null) return;
  const status = statusDue;
  statusDue = null;
  send({ type: 'status', status });
}
const engine = new SyncEngine({
  db,
  // the engine sets each request's deadline (requestTimeoutSeconds) on its clock
  client: new PortalClient({ baseUrl: config.portal.url, deviceToken: config.portal.deviceToken }),
  deviceId: setup.deviceId,
  centreId: config.centre.id,
  counterCode: config.counter.code,
  timeZone: config.centre.timeZone,
  appVersion: setup.appVersion ?? packageVersion(),
  settings: config.sync,
  log,
  tuning: setup.tuning,
  onStatus: statusSoon,
  onOutboxChanged: (settled) => {
    flushStatus();
    send({ type: 'outbox', allUploaded: !hasPendingOutbox(db), settled: [...settled] });
  },
  onRosterChanged: (day) => {
    flushStatus();
    send({ type: 'roster', day });
  },
});

/** Does what main asked and waits for; synchronous, so requests are done in the order they came. */
function answer(m: WorkerRequest): WorkerAnswers[WorkerRequest['type']] {
  switch (m.type) {
    case 'stageRoster':
      return stageRosterRows(db, m.importId, unpackRosterRows(m.rows, m.count));
    case 'indexRoster':
      // one index a transaction: the main connection's writes wait at most one index's build
      for (const step of importIndexSteps(db, m.importId)) bulkImmediate(db, step);
      return null;
  }
}

port.on('message', (m: ToWorker) => {
  if ('id' in m) {
    try {
      send({ type: 'answer', id: m.id, ok: true, value: answer(m) });
    } catch (e) {
      const code = errorCode(e);
      send({
        type: 'answer',
        id: m.id,
        ok: false,
        message: e instanceof Error ? e.message : String(e),
        ...(code !== undefined ? { code } : {}),
      });
    }
  } else if (m.type === 'nudge') engine.nudge();
  else if (m.type === 'syncNow') engine.syncNow();
  else if (m.type === 'checkpoint') {
    // the copy and its fsync wait here, never in an operator's action on the main loop
    try {
      send({ type: 'checkpointed', ...checkpointPassive(db) });
    } catch (e) {
      log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not copy the write-ahead log back');
    }
  } else if (m.type === 'stop') {
    void engine.stop().then(() => {
      db.close();
      flushStatus();
      send({ type: 'stopped' });
      port.close();
    });
  }
});
send({ type: 'status', status: engine.status });
engine.start();
