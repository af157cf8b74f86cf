import type { MethodName, RequestOf, ResponseOf } from '../../common/contract';
import type { AppError, Result } from '../../common/result';

/**
 * Calls one method of `window.counter`. Domain errors come back as `Result`s; a failure of
 * the door itself (a rejected promise, a missing bridge) is turned into an INTERNAL error
 * so every caller handles one shape.
 */
export async function call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<Result<ResponseOf<M>>> {
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
