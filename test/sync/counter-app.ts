/**
 * The counter app as a process of its own, for the convergence property: the real backend
 * with its sync worker thread, driven through the dispatcher by JSON lines on stdin, so the
 * test can SIGKILL the whole app (worker thread included) at any moment and start it again
 * on the same data folder.
 *
 * Usage: node --import tsx test/sync/counter-app.ts <dataDir> <tuning JSON>
 *
 * stdin, one request a line:  {"id": 1, "op": "...", ...}
 * stdout, one answer a line, each written with a single write (a pipe write of a line is
 * atomic, so an answer the parent has read was sent before the kill):
 *   {"ready": true, "deviceId": "..."}                 once open and signed in
 *   {"id": 1, "ok": true, "value": ...}                the dispatcher's (or the op's) success
 *   {"id": 1, "ok": false, "error": {code, message, details}}
 *
 * Ops: call {method, request} | walkIn {submissionId, form} | checkIn {refId} | importRoster {content}
 *      | killWorker | syncNow | status | query {sql, params} | close
 */
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { WalkInFormInput } from '../../common/domain';
import { createDispatcher } from '../../main/ipc/dispatcher';
import { silentLogger } from '../../main/logging/logger';
import { CounterBackend } from '../../main/counter';
import type { EngineTuning } from '../../main/sync/messages';

const [dataDir, tuningArg] = process.argv.slice(2);
if (!dataDir) {
  process.stderr.write('usage: counter-app.ts <dataDir> [tuning JSON]\n');
  process.exit(2);
}
const tuning = (tuningArg ? JSON.parse(tuningArg) : {}) as Partial<EngineTuning>;
const OPERATOR = { loginId: 'oper1', pin: '1357' };
const SUPERVISOR = { loginId: 'super1', pin: '246810' };

const say = (m: object) => process.stdout.write(`${JSON.stringify(m)}\n`);

const backend = await CounterBackend.open({
  dataDir,
  log: silentLogger(),
  syncWorker: { file: resolve(import.meta.dirname, '../../main/sync/dev-worker.mjs') },
  syncTuning: tuning,
});
const dispatcher = createDispatcher(backend, { validateResponses: true });
const dispatch = (method: string, payload: unknown) => dispatcher(method, payload, 'test:counter-app');

const signedIn = await dispatch('signIn', OPERATOR);
if (!signedIn.ok) {
  process.stderr.write(`sign-in failed: ${JSON.stringify(signedIn.error)}\n`);
  process.exit(1);
}

type Request = { id: number; op: string } & Record<string, unknown>;
type Answer = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string; details?: unknown } };

const fail = (code: string, message: string, details?: unknown): Answer => ({ ok: false, error: { code, message, details } });

/** A walk-in as the renderer sends it: a suspected duplicate is looked at and acknowledged, same submission ID. */
async function walkIn(submissionId: string, form: WalkInFormInput): Promise<Answer> {
  let acknowledged: string[] = [];
  for (let attempt = 0; ; attempt++) {
    const r = await dispatch('registerWalkIn', { submissionId, form, acknowledgedDuplicates: acknowledged });
    if (r.ok || r.error.code !== 'DUPLICATE_SUSPECTED' || attempt > 0) return r as Answer;
    acknowledged = ((r.error.details?.duplicates ?? []) as { id: string }[]).map((d) => d.id);
  }
}

async function handle(m: Request): Promise<Answer> {
  switch (m.op) {
    case 'call':
      return (await dispatch(m.method as string, m.request)) as Answer;
    case 'walkIn':
      return walkIn(m.submissionId as string, m.form as WalkInFormInput);
    case 'checkIn':
      return (await dispatch('checkIn', { refId: m.refId as string })) as Answer;
    case 'importRoster': {
      // a supervisor's job; the operator signs in again afterwards
      const s = await dispatch('signIn', SUPERVISOR);
      if (!s.ok) return s as Answer;
      try {
        return (await dispatch('importRoster', {
          fileName: 'roster.csv',
          format: 'csv',
          content: m.content as string,
        })) as Answer;
      } finally {
        await dispatch('signIn', OPERATOR);
      }
    }
    case 'killWorker':
      await backend.sync?.kill();
      return { ok: true, value: backend.sync?.running ?? null };
    case 'syncNow':
      return (await dispatch('syncNow', {})) as Answer;
    case 'status':
      return {
        ok: true,
        value: { ...backend.syncStatus(), workerRunning: backend.sync?.running ?? false, today: backend.today() },
      };
    case 'query':
      return { ok: true, value: backend.db.prepare(m.sql as string).all(...((m.params as unknown[]) ?? [])) };
    case 'close':
      await backend.close();
      return { ok: true, value: null };
    default:
      return fail('BAD_OP', `unknown op ${m.op}`);
  }
}

say({ ready: true, deviceId: backend.deviceId });

const lines = createInterface({ input: process.stdin });
let closing = false;
// requests are handled one after another, in the order sent (like a person at one counter)
let chain: Promise<void> = Promise.resolve();
lines.on('line', (line) => {
  if (!line.trim()) return;
  const m = JSON.parse(line) as Request;
  chain = chain.then(async () => {
    if (closing) return;
    let answer: Answer;
    try {
      answer = await handle(m);
    } catch (e) {
      answer = fail('THROWN', e instanceof Error ? (e.stack ?? e.message) : String(e));
    }
    say({ id: m.id, ...answer });
    if (m.op === 'close') {
      closing = true;
      process.exit(0);
    }
  });
});
// the parent went away without killing us: do not linger
lines.on('close', () => {
  void chain.then(async () => {
    if (closing) return;
    await backend.close();
    process.exit(0);
  });
});
