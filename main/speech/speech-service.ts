/**
 * The main process's handle on the speech worker thread (speech-worker.ts), which says calls
 * with eSpeak NG and writes each as a WAV file in the service's folder. Started on the first
 * call, it answers in the order asked: a flood of calls queues up in the worker and every one
 * comes back. A worker that dies or stops answering fails what it had (with a clear error) and
 * the next call starts a new one. Recent calls are kept by call and settings, so the board
 * asking again (a second screen, a reload) costs nothing. The sound itself stays on disk: the
 * board is served the file (main/web-bridge, main/electron/board-speech.ts), so half a megabyte
 * a call never passes through this process's heap, where it would bring on garbage collection
 * pauses of the counter's own loop.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BoardCall, SpeechSettings } from '../../common/board';
import type { SpeechLanguage } from '../../common/rules/announcement';
import type { SpeechReply, SpeechRequest, SpeechWorkerReady, SpeechWorkerSetup } from './speech-worker-messages';

/** A spoken call as the worker wrote it: read it or serve it, do not change or remove it. */
export interface SpokenFile {
  path: string;
  bytes: number;
}

export interface SpeechService {
  /**
   * The spoken call as a WAV file: the chime, then the call in both languages in the set order.
   * It stays at least `keepMs` after it leaves the recent calls (a board still reading it).
   */
  file(call: BoardCall, settings: SpeechSettings): Promise<SpokenFile>;
  /** The same call's WAV bytes, read from its file (tools and tests; the board is served the file). */
  wav(call: BoardCall, settings: SpeechSettings): Promise<Uint8Array>;
  /** The call in one language alone (no chime, full volume), as WAV bytes. */
  language(call: BoardCall, language: SpeechLanguage): Promise<Uint8Array>;
  /** Stops the worker and removes the calls' files; calls still waiting fail. */
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
  /** how many recent calls are kept */
  cacheSize?: number;
  /**
   * the folder the calls' files are written in (made private if missing; files of an earlier
   * run in it are removed); by default a new private folder in the OS's temporary folder,
   * removed on close
   */
  dir?: string;
  /** how long a call's file stays after the call leaves the recent ones */
  keepMs?: number;
  /**
   * A call whose worker thread, in the idle scheduling class, waited longer than this for a
   * core (other programs keeping every core busy): the worker is replaced, once idle, by one at
   * nice 10 only, for the rest of the service's life (default 1 s; see main/platform/background-thread.ts).
   */
  starvedMs?: number;
  log?: { warn(o: object, msg: string): void };
}

const DEFAULT_STALL_MS = 20_000;
const DEFAULT_START_TIMEOUT_MS = 60_000;
const DEFAULT_CACHE_SIZE = 24;
const DEFAULT_KEEP_MS = 60_000;
const DEFAULT_STARVED_MS = 1000;
/** what the service writes in its folder: a call's file, or one being written */
const OWN_FILE = /^[0-9a-f]{32}\.wav(\.part)?$/u;

/** From source the loader that registers TypeScript; in the built app `speech-worker.js` beside `index.js`. */
export function defaultSpeechWorkerFile(): SpeechWorkerFile {
  const here = fileURLToPath(import.meta.url);
  const dir = dirname(here);
  if (/\.[cm]?ts$/u.test(here)) return { file: join(dir, 'speech-dev-worker.mjs') };
  const built = [join(dir, 'speech-worker.js'), join(dir, '..', 'speech-worker.js')];
  return { file: built.find((f) => existsSync(f)) ?? built[0]! };
}

interface Pending {
  resolve: (bytes: number) => void;
  reject: (e: Error) => void;
}

interface Running {
  worker: Worker;
  ready: boolean;
  timer: NodeJS.Timeout | null;
  /** when the worker last answered (or became ready) */
  progressAt: number;
  /** started to step aside in the idle class */
  idle: boolean;
}

type Ask = SpeechRequest extends infer R ? (R extends SpeechRequest ? Omit<R, 'id'> : never) : never;

export function createSpeechService(options: SpeechServiceOptions = {}): SpeechService {
  const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
  const pending = new Map<number, Pending>();
  const keepMs = options.keepMs ?? DEFAULT_KEEP_MS;
  const starvedMs = options.starvedMs ?? DEFAULT_STARVED_MS;
  /** the next worker steps aside in the idle class; not once one was kept waiting there */
  let idleClass = true;
  const cache = new Map<string, Promise<SpokenFile>>();
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'counter-speech-'));
  if (!ownDir) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    removeOwnFiles(dir);
  }
  /** calls being made, by key: one asked again meanwhile (even out of the recent ones) waits for the same */
  const making = new Map<string, Promise<SpokenFile>>();
  /** the removal of a call's file once out of the recent ones, by key: called off when the call is asked again */
  const leaving = new Map<string, NodeJS.Timeout>();
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

  /** Ends a worker that has nothing to do; the next call starts another. */
  function retire(run: Running): void {
    current = null;
    if (run.timer) clearInterval(run.timer);
    void run.worker.terminate();
  }

  function started(): Running {
    if (current) return current;
    const { file, execArgv } = options.worker ?? defaultSpeechWorkerFile();
    const setup: SpeechWorkerSetup = { idle: idleClass, starvedMs };
    const worker = new Worker(file, { execArgv: execArgv ?? [], workerData: setup });
    const run: Running = { worker, ready: false, timer: null, progressAt: Date.now(), idle: setup.idle };
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
      if (m.ok && m.starved && idleClass) {
        idleClass = false;
        options.log?.warn(
          { starvedMs },
          'the speech worker waited for a core (other programs keep every core busy): its next start runs at nice 10',
        );
      }
      // a worker in the idle class is replaced once nothing waits for it
      if (run.idle && !idleClass && pending.size === 0 && current === run) retire(run);
      if (m.ok) p.resolve(m.bytes);
      else p.reject(new SpeechError(`the call could not be spoken: ${m.message}`));
    });
    worker.on('error', (e) => {
      failure = e;
    });
    worker.on('exit', (code) => fail(run, `the speech worker stopped (${failure ? failure.message : `exit ${code}`})`));
    return run;
  }

  function ask(req: Ask): Promise<number> {
    if (closed) return Promise.reject(new SpeechError('the speech service is closed'));
    const run = started();
    const id = nextId++;
    return new Promise<number>((resolve, reject) => {
      if (pending.size === 0) run.progressAt = Date.now();
      pending.set(id, { resolve, reject });
      run.worker.ref();
      run.worker.postMessage({ ...req, id } as SpeechRequest);
    });
  }

  /** A recent call's file, or one asked of the worker now; a kept file that is gone is made again. */
  function spoken(key: string, make: (file: string) => Ask): Promise<SpokenFile> {
    stayed(key);
    const hit = cache.get(key);
    const p = hit ? hit.then((f) => (existsSync(f.path) ? f : fresh(key, make))) : fresh(key, make);
    // the most recent last
    cache.delete(key);
    cache.set(key, p);
    p.catch(() => {
      if (cache.get(key) === p) cache.delete(key);
    });
    while (cache.size > cacheSize) {
      const [oldKey, old] = cache.entries().next().value!;
      cache.delete(oldKey);
      old.then(
        (f) => removeLater(oldKey, f.path),
        () => undefined,
      );
    }
    return p;
  }

  /**
   * The call's file: being made (asked before), still there from when it was recent (the same
   * call and settings make the same file, and a file is only ever put in place whole), or asked
   * of the worker now.
   */
  function fresh(key: string, make: (file: string) => Ask): Promise<SpokenFile> {
    if (closed) return Promise.reject(new SpeechError('the speech service is closed'));
    const inFlight = making.get(key);
    if (inFlight) return inFlight;
    const path = join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.wav`);
    const kept = statSync(path, { throwIfNoEntry: false });
    if (kept) return Promise.resolve({ path, bytes: kept.size });
    const p = ask(make(path)).then((bytes): SpokenFile => ({ path, bytes }));
    making.set(key, p);
    const done = () => {
      if (making.get(key) === p) making.delete(key);
    };
    p.then(done, done);
    return p;
  }

  /** A call asked again: its file is its own again, not to be removed. */
  function stayed(key: string): void {
    const timer = leaving.get(key);
    if (timer === undefined) return;
    clearTimeout(timer);
    leaving.delete(key);
  }

  /** A file out of the recent calls stays `keepMs` (a board may still be reading it), unless asked again. */
  function removeLater(key: string, path: string): void {
    // asked again before its eviction settled, or the service closed (close removes the files)
    if (closed || cache.has(key)) return;
    const timer = setTimeout(() => {
      leaving.delete(key);
      if (closed || cache.has(key)) return;
      try {
        unlinkSync(path);
      } catch {
        // gone already, or open elsewhere (Windows): close or the next start removes it
      }
    }, keepMs);
    timer.unref();
    leaving.set(key, timer);
  }

  const callKey = (call: BoardCall) =>
    `${call.callId}|${call.token}|${call.counterCode}|${call.destination.en}|${call.destination.hi}`;

  return {
    file(call, settings) {
      const key = `call|${callKey(call)}|${settings.order}|${settings.volume}|${settings.repeat}`;
      return spoken(key, (file) => ({ kind: 'call', call, settings, file }));
    },
    async wav(call, settings) {
      return new Uint8Array(await readFile((await this.file(call, settings)).path));
    },
    async language(call, language) {
      const key = `one|${callKey(call)}|${language}`;
      const f = await spoken(key, (file) => ({ kind: 'language', call, language, file }));
      return new Uint8Array(await readFile(f.path));
    },
    async close() {
      closed = true;
      for (const timer of leaving.values()) clearTimeout(timer);
      leaving.clear();
      cache.clear();
      const run = current;
      if (run) {
        fail(run, 'the speech service was closed');
        await run.worker.terminate();
      }
      if (!ownDir) removeOwnFiles(dir);
      else {
        try {
          rmSync(dir, { recursive: true, force: true });
        } catch {
          // a file still open elsewhere (Windows): the OS's temporary folder is swept in time
        }
      }
    },
  };
}

/** The files a speech service writes, left in `dir` (by an earlier run, or at close). */
function removeOwnFiles(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (!OWN_FILE.test(name)) continue;
    try {
      rmSync(join(dir, name), { force: true });
    } catch {
      // still open elsewhere (Windows): the next start removes it
    }
  }
}
