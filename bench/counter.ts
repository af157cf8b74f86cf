/**
 * A provisioned demo counter for benchmarks: the real backend and dispatcher on a folder of
 * its own, signed in as the supervisor (who may do everything an operator may), no roster yet.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { provisioningSchema } from '../common/domain';
import { DEMO_PROVISIONING, DEMO_USERS } from '../common/demo/counter';
import { createDispatcher, type Dispatch } from '../main/ipc/dispatcher';
import { silentLogger } from '../main/logging/logger';
import { CounterBackend } from '../main/counter';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The dispatcher as the benchmark's one client (an Electron window would be one too). */
export type ClientDispatch = (method: unknown, payload: unknown) => ReturnType<Dispatch>;

export interface BenchCounter {
  backend: CounterBackend;
  dispatch: ClientDispatch;
  /** the centre's day the counter's clock reads */
  day: string;
  close(): Promise<void>;
}

/**
 * The counter's clock reads today at 12:00 in the centre's time zone and runs on from there,
 * so a run near midnight does not change day half-way (rosters and tokens are per day).
 */
export function middayClock(timeZone = 'Asia/Kolkata'): () => Date {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date())
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const sinceMidnight = (Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second)) * 1000;
  const offset = 12 * 3600 * 1000 - sinceMidnight;
  return () => new Date(Date.now() + offset);
}

export interface BenchCounterOptions {
  /**
   * The counter's sync worker runs, as in the app, with its portal unreachable (a rush with the
   * portal down): its uploads wait in the outbox, and it copies the write-ahead log back.
   */
  syncWorker?: boolean;
}

/** Nothing answers there: the sync worker's requests fail at once and it backs off. */
const UNREACHABLE_PORTAL = 'http://127.0.0.1:9/';

export async function openBenchCounter(dataDir: string, options: BenchCounterOptions = {}): Promise<BenchCounter> {
  const provisioning = provisioningSchema.parse(DEMO_PROVISIONING);
  const backend = await CounterBackend.open({
    dataDir,
    log: silentLogger(),
    clock: middayClock(provisioning.centre.timeZone),
    ...(options.syncWorker ? { syncWorker: { file: join(ROOT, 'main/sync/dev-worker.mjs') } } : {}),
  });
  const dispatcher = createDispatcher(backend);
  const dispatch: ClientDispatch = (method, payload) => dispatcher(method, payload, 'bench:counter');
  if (!backend.provisioning) {
    const given = options.syncWorker
      ? { ...DEMO_PROVISIONING, portal: { ...DEMO_PROVISIONING.portal, url: UNREACHABLE_PORTAL } }
      : DEMO_PROVISIONING;
    const r = await dispatch('provision', { provisioning: given, supervisor: DEMO_USERS.supervisor });
    if (!r.ok) throw new Error(`provision: ${r.error.message}`);
  }
  const signedIn = await dispatch('signIn', { loginId: DEMO_USERS.supervisor.loginId, pin: DEMO_USERS.supervisor.pin });
  if (!signedIn.ok) throw new Error(`signIn: ${signedIn.error.message}`);
  if (options.syncWorker) await workerUp(backend);
  return { backend, dispatch, day: backend.today()!, close: () => backend.close() };
}

/** The value of an ok `Result`, or an error naming the call. */
export function unwrap<T>(
  what: string,
  r: { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } },
): T {
  if (!r.ok) throw new Error(`${what}: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}

/**
 * A counter in use has had its sync worker running a while before the timed work: waits for
 * the worker's first answer (the unreachable portal's refusal), so that what is timed does not
 * include the worker's start. At most 30 s.
 */
async function workerUp(backend: CounterBackend): Promise<void> {
  const until = Date.now() + 30_000;
  while (backend.syncStatus().state === 'connecting') {
    if (Date.now() > until) throw new Error('the sync worker did not report within 30 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}
