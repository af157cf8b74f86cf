/**
 * The pieces every refresh of the page shares: a coalescer (many triggers, one request in
 * flight and one waiting), keeping what did not change, and the hand-off of main's events from
 * the store to the screens.
 */
import type { CounterEvent } from '../../common/contract';

/**
 * Runs `task` now, or once more after the run in flight: many triggers, at most one run in
 * flight and one waiting (every trigger while one waits shares it). `onIdle` is told when
 * nothing runs or waits any more.
 */
export function coalesced<T>(task: () => Promise<T>, onIdle?: () => void): () => Promise<T> {
  let running: Promise<T> | null = null;
  let waiting: Promise<T> | null = null;
  const trigger = (): Promise<T> => {
    if (waiting) return waiting;
    if (running) {
      waiting = running
        .then(
          () => undefined,
          () => undefined,
        )
        .then(() => {
          waiting = null;
          return trigger();
        });
      return waiting;
    }
    const run = task().finally(() => {
      running = null;
      if (!waiting) onIdle?.();
    });
    running = run;
    return run;
  };
  return trigger;
}

/**
 * `next`, with every part equal to `prev`'s replaced by `prev`'s own (plain data, as main
 * answers): a screen that reads a part that did not change sees the same object and is not
 * drawn again. List items with an `id` are matched by it, so a row that moved keeps its object.
 */
export function sameShape<T>(prev: T | null | undefined, next: T): T {
  return share(prev, next) as T;
}

const idOf = (v: unknown): string | null =>
  typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string' ? (v as { id: string }).id : null;

function share(prev: unknown, next: unknown): unknown {
  if (Object.is(prev, next)) return prev;
  if (typeof prev !== 'object' || typeof next !== 'object' || prev === null || next === null) return next;
  if (Array.isArray(next)) {
    if (!Array.isArray(prev)) return next;
    const byId = new Map<string, unknown>();
    for (const p of prev) {
      const id = idOf(p);
      if (id !== null) byId.set(id, p);
    }
    let same = prev.length === next.length;
    const out = next.map((v, i) => {
      const id = idOf(v);
      const kept = share(id !== null && byId.has(id) ? byId.get(id) : prev[i], v);
      if (kept !== prev[i]) same = false;
      return kept;
    });
    return same ? prev : out;
  }
  if (Array.isArray(prev)) return next;
  const p = prev as Record<string, unknown>;
  const n = next as Record<string, unknown>;
  const keys = Object.keys(n);
  let same = keys.length === Object.keys(p).length;
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const kept = share(p[k], n[k]);
    out[k] = kept;
    if (kept !== p[k] || !(k in p)) same = false;
  }
  return same ? prev : out;
}

type Listener = (event: CounterEvent) => void;
const listeners = new Set<Listener>();

/** Hands one of main's events to every query on screen (the store calls it for each event). */
export function publishCounterEvent(event: CounterEvent): void {
  for (const l of [...listeners]) l(event);
}

/** Listens to main's events as the store hands them on; returns the way to stop. */
export function onCounterEvent(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
