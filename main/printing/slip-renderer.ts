/**
 * The main process's handle on the slip worker thread, which draws and encodes slips. Started
 * on the first slip, kept for the next ones, started again on the next slip if it died. A slip
 * the worker refuses, a worker that dies or one that takes too long fails that slip with a
 * PrintError; the slips after it are drawn as usual.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../logging/logger';
import type { SlipRenderReply, SlipRenderRequest, SlipWorkerReady } from './slip-worker-messages';
import { PrintError, type PaperSize, type SlipData } from './types';

export interface SlipWorkerFile {
  /** the worker's entry: the built `slip-worker.js`, or `slip-dev-worker.mjs` when run from source */
  file: string | URL;
  execArgv?: string[];
}

export interface SlipRendererOptions {
  /** where the worker is; found beside this module by default (see `defaultSlipWorkerFile`) */
  worker?: SlipWorkerFile;
  /** longest a slip may take to draw, once the worker is ready, before the worker is replaced and the slip failed */
  timeoutMs?: number;
  /** longest a new worker may take to load (modules, fonts) before it is replaced and its slips failed */
  startTimeoutMs?: number;
  log?: Logger;
}

/** Far above the tens of milliseconds a slip takes, even on a busy PC. */
const DEFAULT_TIMEOUT_MS = 20_000;
const DEFAULT_START_TIMEOUT_MS = 60_000;

/**
 * The worker's entry next to this module: from source (tsx, vitest) the loader that registers
 * TypeScript; in the built app `slip-worker.js`, an entry of its own beside `index.js` (this
 * module may be bundled into index.js or into a shared chunk one folder down).
 */
export function defaultSlipWorkerFile(): SlipWorkerFile {
  const here = fileURLToPath(import.meta.url);
  const dir = dirname(here);
  if (/\.[cm]?ts$/u.test(here)) return { file: join(dir, 'slip-dev-worker.mjs') };
  const built = [join(dir, 'slip-worker.js'), join(dir, '..', 'slip-worker.js')];
  return { file: built.find((f) => existsSync(f)) ?? built[0]! };
}

type Request = Omit<SlipRenderRequest, 'id'>;
type Done = SlipRenderReply & { ok: true };

interface Pending {
  resolve: (reply: Done) => void;
  reject: (error: PrintError) => void;
  /** armed once the worker is ready: loading is not drawing */
  timer: NodeJS.Timeout | null;
}

interface Running {
  worker: Worker;
  ready: boolean;
  startTimer: NodeJS.Timeout | null;
}

export class SlipRenderer {
  private current: Running | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private starts = 0;

  constructor(private readonly o: SlipRendererOptions = {}) {}

  /** How many worker threads were started so far (1 while the first lives). */
  get workersStarted(): number {
    return this.starts;
  }

  /** The ESC/POS job for a slip on a thermal roll (80 or 58 mm). */
  async escPos(slip: SlipData, paper: PaperSize): Promise<Uint8Array> {
    const reply = await this.request({ kind: 'escpos', slip, paper });
    if (reply.kind !== 'escpos') throw new PrintError('driver_error', 'the slip worker answered with the wrong kind of slip');
    return reply.bytes;
  }

  /** The slip's HTML document, for the operating system's printers. */
  async html(slip: SlipData, paper: PaperSize): Promise<string> {
    const reply = await this.request({ kind: 'html', slip, paper });
    if (reply.kind !== 'html') throw new PrintError('driver_error', 'the slip worker answered with the wrong kind of slip');
    return reply.html;
  }

  /** Stops the worker; slips being drawn fail. A later slip starts a new one. */
  async close(): Promise<void> {
    const w = this.current?.worker;
    if (!w) return;
    this.replace('printing was stopped');
    await w.terminate();
  }

  private request(req: Request): Promise<Done> {
    const id = this.nextId++;
    const run = this.started();
    return new Promise<Done>((resolve, reject) => {
      const p: Pending = { resolve, reject, timer: null };
      this.pending.set(id, p);
      if (run.ready) this.arm(id, p);
      run.worker.ref();
      // a worker still loading gets it once it listens
      run.worker.postMessage({ ...req, id } satisfies SlipRenderRequest);
    });
  }

  private arm(id: number, p: Pending): void {
    const timeoutMs = this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    p.timer = setTimeout(() => {
      if (this.pending.get(id) !== p) return;
      this.pending.delete(id);
      p.reject(new PrintError('driver_error', `the slip could not be drawn within ${Math.round(timeoutMs / 1000)} s`));
      // a worker stuck on one slip would hold every slip after it: start afresh
      this.replace('the slip worker was stuck and was restarted');
    }, timeoutMs);
  }

  private started(): Running {
    if (this.current) return this.current;
    const { file, execArgv } = this.o.worker ?? defaultSlipWorkerFile();
    const worker = new Worker(file, { execArgv: execArgv ?? [] });
    const startTimeoutMs = this.o.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const run: Running = { worker, ready: false, startTimer: null };
    run.startTimer = setTimeout(() => {
      if (this.current === run) this.replace(`the slip worker did not start within ${Math.round(startTimeoutMs / 1000)} s`);
    }, startTimeoutMs);
    run.startTimer.unref();
    this.current = run;
    this.starts++;
    let failure: Error | null = null;
    worker.on('message', (m: SlipRenderReply | SlipWorkerReady) => {
      if ('ready' in m) {
        run.ready = true;
        if (run.startTimer) clearTimeout(run.startTimer);
        run.startTimer = null;
        for (const [id, p] of this.pending) if (!p.timer) this.arm(id, p);
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (p.timer) clearTimeout(p.timer);
      if (this.pending.size === 0) worker.unref();
      if (m.ok) p.resolve(m);
      else
        p.reject(
          m.code
            ? new PrintError(m.code, m.message)
            : new PrintError('driver_error', `the slip could not be drawn: ${m.message}`),
        );
    });
    worker.on('error', (e) => {
      failure = e;
      this.o.log?.error({ err: e }, 'slip worker failed');
    });
    worker.on('exit', (code) => {
      if (this.current !== run) return;
      const why = failure ? failure.message : `exit ${code}`;
      this.o.log?.warn({ code, err: failure?.message }, 'slip worker stopped; the next slip starts it again');
      this.replace(`the slip worker stopped (${why})`);
    });
    return run;
  }

  /** Forgets the current worker (ending it if it still runs) and fails every slip it had. */
  private replace(why: string): void {
    const run = this.current;
    if (!run) return;
    this.current = null;
    if (run.startTimer) clearTimeout(run.startTimer);
    void run.worker.terminate();
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if (p.timer) clearTimeout(p.timer);
      p.reject(new PrintError('driver_error', `the slip could not be drawn: ${why}`));
    }
  }
}

let shared: SlipRenderer | null = null;

/**
 * The process's slip renderer, made on first use: one worker serves every print queue of the
 * process (the app has one; tests and benchmarks open many counters one after the other). Its
 * worker does not keep the process alive while it has no slip to draw.
 */
export function sharedSlipRenderer(log?: Logger): SlipRenderer {
  shared ??= new SlipRenderer({ log });
  return shared;
}
