/**
 * How the screens load what they show: `useCounterQuery(method, request)` asks main through the
 * contract and asks again when main says something changed. However many events arrive, each
 * query has at most one request in flight and one more waiting, so a burst of events (upload
 * acknowledgements while a backlog drains) costs two requests, not one per event.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CounterEvent, MethodName, RequestOf, ResponseOf } from '../../common/contract';
import type { AppError, Result } from '../../common/result';
import { call } from './api';
import { coalesced, onCounterEvent } from './refresh';
import { useCounter } from './store';

export { onCounterEvent, publishCounterEvent } from './refresh';

/** The default: any `changed` event may have changed the list (and a `resync`, after which anything may have). */
export const anyChange = (e: CounterEvent): boolean => e.type === 'changed' || e.type === 'resync';

/** Only a change made by one of these methods (or a `resync`: the events in between are lost). */
export const changedBy =
  (...methods: MethodName[]) =>
  (e: CounterEvent): boolean =>
    e.type === 'resync' || (e.type === 'changed' && methods.includes(e.method));

/** Never again by itself (lists that only the screen's own actions change). */
export const never = (): boolean => false;

/**
 * Requests for the same method and request share one loader (one in flight, one waiting);
 * reads after an event (`background`: nobody asked, so no PIN dialog) apart from those a
 * screen asks for.
 */
const loaders = new Map<string, () => Promise<Result<unknown>>>();

function load<M extends MethodName>(
  key: string,
  method: M,
  request: RequestOf<M>,
  background: boolean,
): Promise<Result<ResponseOf<M>>> {
  const loaderKey = `${background ? 'background' : 'asked'}:${key}`;
  let loader = loaders.get(loaderKey);
  if (!loader) {
    loader = coalesced<Result<unknown>>(
      () => call(method, request, { background }),
      () => loaders.delete(loaderKey),
    );
    loaders.set(loaderKey, loader);
  }
  return loader() as Promise<Result<ResponseOf<M>>>;
}

export interface QueryOptions {
  /** which of main's events mean the answer may have changed (default: any `changed`) */
  reloadOn?: (event: CounterEvent) => boolean;
  /** wait this long after the request last changed before asking (typing); `reload()` does not wait */
  debounceMs?: number;
}

export interface CounterQuery<T, Req = unknown> {
  /** the latest answer (kept while a newer request loads); null before the first, or with no request */
  data: T | null;
  /** the request `data` answers */
  request: Req | null;
  /** `data` answers the request as it is now */
  current: boolean;
  /** the last load failed (cleared by the next answer) */
  error: AppError | null;
  /** asks now, without the debounce; the answer, or null when the request changed meanwhile or there is none */
  reload(): Promise<Result<T> | null>;
  /** changes the answer on screen at once (e.g. a row removed), until the next load */
  setData(update: (data: T | null) => T | null): void;
}

/**
 * Loads `method(request)` through the contract and again on main's events; `request` null
 * loads nothing (and clears the answer). An answer to a request that has been replaced since
 * is dropped. A lost session sends the app back to its state (sign-in).
 */
export function useCounterQuery<M extends MethodName>(
  method: M,
  request: RequestOf<M> | null,
  options: QueryOptions = {},
): CounterQuery<ResponseOf<M>, RequestOf<M>> {
  const key = request === null ? null : `${method}:${JSON.stringify(request)}`;
  const [state, setState] = useState<{
    key: string | null;
    request: RequestOf<M> | null;
    data: ResponseOf<M> | null;
    error: AppError | null;
  }>({ key: null, request: null, data: null, error: null });
  // what the latest render asked for: answers to anything else are dropped
  const latest = useRef<{ key: string | null; request: RequestOf<M> | null }>({ key, request });
  latest.current = { key, request };
  const reloadOn = useRef(options.reloadOn ?? anyChange);
  reloadOn.current = options.reloadOn ?? anyChange;

  const read = useCallback(
    async (background: boolean): Promise<Result<ResponseOf<M>> | null> => {
      const { key: k, request: req } = latest.current;
      if (k === null || req === null) return null;
      const r = await load(k, method, req, background);
      if (latest.current.key !== k) return null;
      if (r.ok) setState({ key: k, request: req, data: r.value, error: null });
      else {
        setState((s) => ({ ...s, error: r.error }));
        if (r.error.code === 'NOT_SIGNED_IN' || r.error.code === 'NOT_PROVISIONED') {
          void useCounter.getState().loadAppState();
        }
      }
      return r;
    },
    [method],
  );
  const reload = useCallback(() => read(false), [read]);

  useEffect(() => {
    if (key === null) {
      setState({ key: null, request: null, data: null, error: null });
      return;
    }
    const wait = options.debounceMs ?? 0;
    if (wait <= 0) {
      void reload();
      return;
    }
    const timer = setTimeout(() => void reload(), wait);
    return () => clearTimeout(timer);
  }, [key, reload, options.debounceMs]);

  useEffect(
    () =>
      onCounterEvent((e) => {
        if (latest.current.key !== null && reloadOn.current(e)) void read(true);
      }),
    [read],
  );

  const setData = useCallback((update: (data: ResponseOf<M> | null) => ResponseOf<M> | null) => {
    setState((s) => ({ ...s, data: update(s.data) }));
  }, []);

  return {
    data: state.data,
    request: state.request,
    current: key !== null && state.key === key,
    error: state.error,
    reload,
    setData,
  };
}
