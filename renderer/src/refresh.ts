/**
 * The two pieces every refresh of the page shares: a coalescer (many triggers, one request in
 * flight and one waiting) and the hand-off of main's events from the store to the screens.
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
