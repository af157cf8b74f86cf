import type { MethodName, RequestOf, ResponseOf } from '../../common/contract';
import type { AppError, Result } from '../../common/result';
import { useSession } from './session';

/**
 * Calls one method of `window.counter`. Domain errors come back as `Result`s; a failure of
 * the door itself (a rejected promise, a missing bridge) is turned into an INTERNAL error
 * so every caller handles one shape.
 *
 * The session is handled here, once for every screen: a locked session covers the page with
 * the lock screen; a supervisor action that needs the PIN again opens the PIN dialog and,
 * once the PIN is accepted, is tried once more. A `background` call (a list reading itself
 * again after one of main's events, with nobody having asked) never opens the dialog: it
 * answers STEP_UP_REQUIRED, and the screen keeps what it shows.
 */
export async function call<M extends MethodName>(
  method: M,
  request: RequestOf<M>,
  options: { background?: boolean } = {},
): Promise<Result<ResponseOf<M>>> {
  const r = await callOnce(method, request);
  if (r.ok) {
    if (method === 'signIn' || method === 'unlockSession') useSession.getState().unlocked();
    return r;
  }
  if (r.error.code === 'SESSION_LOCKED') {
    const d = r.error.details ?? {};
    useSession.getState().lock({ loginId: String(d.loginId ?? ''), name: String(d.name ?? '') });
  } else if (r.error.code === 'STEP_UP_REQUIRED' && !options.background) {
    if (await useSession.getState().askStepUp()) return callOnce(method, request);
  }
  return r;
}

async function callOnce<M extends MethodName>(method: M, request: RequestOf<M>): Promise<Result<ResponseOf<M>>> {
  try {
    const fn = window.counter[method] as (r: RequestOf<M>) => Promise<Result<ResponseOf<M>>>;
    const result = await fn(request);
    if (result && typeof result === 'object' && 'ok' in result) return result;
    return transportFailure(`${method} gave no result`);
  } catch (e) {
    return transportFailure(e instanceof Error ? e.message : String(e));
  }
}

export const TRANSPORT_FAILURE = 'transport';

function transportFailure(message: string): { ok: false; error: AppError } {
  return { ok: false, error: { code: 'INTERNAL', message, details: { [TRANSPORT_FAILURE]: true } } };
}
