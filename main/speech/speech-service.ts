/**
 * The main process's handle on the speech worker thread (speech-worker.ts), which says calls
 * with eSpeak NG. Started on the first call, it answers in the order asked: a flood of calls
 * queues up in the worker and every one comes back. A worker that dies or stops answering
 * fails what it had (with a clear error) and the next call starts a new one. Recent WAVs are
 * kept by call and settings, so the board asking again (a second screen, a reload) costs nothing.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BoardCall, SpeechSettings } from '../../common/board';
import type { SpeechLanguage } from '../../common/rules/announcement';
import type { SpeechReply, SpeechRequest, SpeechWorkerReady } from './speech-worker-messages';

export interface SpeechService {
  /**
   * The spoken call as a WAV file: the chime, then the call in both languages in the set order.
   * The bytes may be those kept for the call: read them, do not change them.
   */
  wav(call: BoardCall, settings: SpeechSettings): Promise<Uint8Array>;
  /** The call in one language alone (no chime, full volume), as a WAV file. */
  language(call: BoardCall, language: SpeechLanguage): Promise<Uint8Array>;
  /** Stops the worker; calls still waiting fail. */
  close(): Promise<void>;
}

export class SpeechError extends Error {
  override readonly name = 'SpeechError';
}

export interface SpeechWorkerFile {
  file: string;
  execArgv?: string[];
}

export interface SpeechServiceOptions {
  worker?: SpeechWorkerFile;
  /** longest the worker may go without answering anything while calls wait (after it is ready) */
  stallMs?: number;
  /** longest a new worker may take to load eSpeak NG and its voices */
  startTimeoutMs?: number;
  /** how many recent WAVs are kept */
  cacheSize?: number;
  log?: { warn(o: object, msg: string): void };
}

const DEFAULT_STALL_MS = 20_000;
const DEFAULT_START_TIMEOUT_MS = 60_000;
const DEFAULT_CACHE_SIZE = 24;

/** From source the loader that registers TypeScript; in the built app `speech-worker.js` beside `index.js`. */
export function defaultSpeechWorkerFile(): SpeechWorkerFile {
  const here = fileURLToPath(import.meta.url);
  const dir = dirname(here);
  if (/\.[cm]?ts$/u.test(here)) return { file: join(dir, 'speech-dev-worker.mjs') };
  const built = [join(dir, 'speech-worker.js'), join(dir, '..', 'speech-worker.js')];
  return { file: built.find((f) => existsSync(f)) ?? built[0]! };
}

interface Pending {
  resolve: (wav: Uint8Array) => void;
  reject: (e: Error) => void;
}

interface Running {
  worker: Worker;
  ready: boolean;
  timer: NodeJS.Timeout | null;
  /** when the worker last answered (or became ready) */
  progressAt: number;
}

type Ask = SpeechRequest extends infer R ? (R extends SpeechRequest ? Omit<R, 'id'> : never) : never;

export function createSpeechService(options: SpeechServiceOptions = {}): SpeechService {
  const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
  const pending = new Map<number, Pending>();
  const cache = new Map<string, Promise<Uint8Array>>();
  let nextId = 1;
  let current: Running | null = null;
  let closed = false;

  function fail(run: Running, why: string): void {
    if (current !== run) return;
    current = null;
    if (run.timer) clearInterval(run.timer);
    void run.worker.terminate();
    const waiting = [...pending.values()];
    pending.clear();
    for (const p of waiting) p.reject(new SpeechError(why));
    options.log?.warn({ why, failed: waiting.length }, 'speech worker stopped; the next call starts it again');
  }

  function started(): Running {
    if (current) return current;
    const { file, execArgv } = options.worker ?? defaultSpeechWorkerFile();
    const worker = new Worker(file, { execArgv: execArgv ?? [] });
    const run: Running = { worker, ready: false, timer: null, progressAt: Date.now() };
    current = run;
    run.timer = setInterval(
      () => {
        if (pending.size === 0) {
          run.progressAt = Date.now();
          return;
        }
        const limit = run.ready ? stallMs : startTimeoutMs;
        if (Date.now() - run.progressAt > limit) {
          fail(
            run,
            run.ready
              ? `the speech worker answered nothing for ${Math.round(stallMs / 1000)} s`
              : `the speech worker did not start within ${Math.round(startTimeoutMs / 1000)} s`,
          );
        }
      },
      Math.max(50, Math.min(stallMs, startTimeoutMs) / 4),
    );
    run.timer.unref();
    let failure: Error | null = null;
    worker.on('message', (m: SpeechReply | SpeechWorkerReady) => {
      run.progressAt = Date.now();
      if ('ready' in m) {
        run.ready = true;
        return;
      }
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (pending.size === 0) worker.unref();
      if (m.ok) p.resolve(m.wav);
      else p.reject(new SpeechError(`the call could not be spoken: ${m.message}`));
    });
    worker.on('error', (e) => {
      failure = e;
    });
    worker.on('exit', (code) => fail(run, `the speech worker stopped (${failure ? failure.message : `exit ${code}`})`));
    return run;
  }

  function ask(req: Ask): Promise<Uint8Array> {
    if (closed) return Promise.reject(new SpeechError('the speech service is closed'));
    const run = started();
    const id = nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      if (pending.size === 0) run.progressAt = Date.now();
      pending.set(id, { resolve, reject });
      run.worker.ref();
      run.worker.postMessage({ ...req, id } as SpeechRequest);
    });
  }

  function cached(key: string, make: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const hit = cache.get(key);
    if (hit) {
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    const p = make();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
    while (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
    return p;
  }

  return {
    wav(call, settings) {
      const key = `call|${call.callId}|${call.token}|${call.counterCode}|${call.destination.en}|${call.destination.hi}|${settings.order}|${settings.volume}|${settings.repeat}`;
      return cached(key, () => ask({ kind: 'call', call, settings }));
    },
    language(call, language) {
      const key = `one|${call.callId}|${call.token}|${call.counterCode}|${call.destination.en}|${call.destination.hi}|${language}`;
      return cached(key, () => ask({ kind: 'language', call, language }));
    },
    async close() {
      closed = true;
      const run = current;
      if (!run) return;
      fail(run, 'the speech service was closed');
      await run.worker.terminate();
    },
  };
}
