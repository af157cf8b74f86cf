import { contract, METHOD_NAMES, type MethodName } from '../../common/contract';
import { DomainError, fail, ok, type FieldError, type Result } from '../../common/result';
import { lockedError, type CounterBackend } from '../counter';
import type { z } from 'zod';
import { errorCode } from '../../common/error-code';

export interface DispatcherOptions {
  /** check every response against its schema too (tests and development) */
  validateResponses?: boolean;
}

const isMethod = (m: unknown): m is MethodName => typeof m === 'string' && (METHOD_NAMES as readonly string[]).includes(m);

export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((i) => ({
    field: i.path.map(String).join('.') || '(request)',
    // our schemas carry i18n keys as messages; zod's own messages become a generic code
    code: /^[a-z0-9_]+$/.test(i.message) ? i.message : 'invalid',
  }));
}

/**
 * The IPC boundary of main, shared by Electron's ipcMain and the web bridge: names the
 * method, checks access, validates the payload, runs the handler, and turns every outcome
 * into a `Result`. Nothing thrown crosses it.
 */
export function createDispatcher(backend: CounterBackend, options: DispatcherOptions = {}) {
  /**
   * `clientId` names the caller's client (an Electron window, a browser's session cookie):
   * each client has its own session, and a client is never given another's.
   */
  return async function dispatch(method: unknown, payload: unknown, clientId: string): Promise<Result<unknown>> {
    if (!isMethod(method)) return fail('VALIDATION', 'unknown method', { fields: [{ field: '(method)', code: 'invalid' }] });
    const spec = contract[method];
    // who may call comes first: a caller without access learns nothing from validation errors
    if (spec.access !== 'public') {
      if (!backend.provisioning) return fail('NOT_PROVISIONED', 'this counter is not set up yet');
      const session = backend.sessionOf(clientId);
      if (session.state === 'none') return fail('NOT_SIGNED_IN', 'sign in first');
      if (session.state === 'locked') return { ok: false, error: lockedError(session.session).toAppError() };
      if (spec.access === 'supervisor') {
        if (session.session.operator.role !== 'supervisor') return fail('FORBIDDEN', `${method} needs a supervisor`);
        if (backend.needsStepUp(session.session)) return fail('STEP_UP_REQUIRED', `${method} needs the PIN again`);
      }
      // a change is the operator at the keyboard; reads that refresh lists in the background are not
      if (spec.mutates) backend.touchSession(clientId);
    }
    const shapeProblem = payloadProblem(payload ?? {});
    if (shapeProblem) return fail('VALIDATION', `invalid ${method} request`, { fields: [shapeProblem] });
    const parsed = spec.request.safeParse(payload ?? {});
    if (!parsed.success) {
      return fail('VALIDATION', `invalid ${method} request`, { fields: fieldErrors(parsed.error) });
    }
    try {
      const handler = backend.handlers[method] as (r: unknown, clientId: string) => unknown;
      const value = await handler(parsed.data, clientId);
      if (options.validateResponses) {
        const r = spec.response.safeParse(value);
        if (!r.success) {
          backend.log.error({ method, issues: r.error.issues }, 'response does not match the contract');
          return fail('INTERNAL', `${method} answered outside its contract`);
        }
      }
      if (spec.mutates) backend.events.emit('event', { type: 'changed', method });
      return ok(value);
    } catch (e) {
      if (e instanceof DomainError) return { ok: false, error: e.toAppError() };
      if (isSqliteBusy(e)) return fail('BUSY', 'the store is busy; try again');
      backend.log.error({ method, err: e }, 'handler failed');
      return fail('INTERNAL', 'something went wrong; the action was not saved');
    }
  };
}

export type Dispatch = ReturnType<typeof createDispatcher>;

const MAX_DEPTH = 32;

/**
 * What zod does not check: a request is a plain object of plain data (not a Date, Map or
 * class instance), not absurdly deep, and its text is well-formed Unicode. A lone surrogate
 * would be stored by SQLite as U+FFFD but kept as is in the outbox JSON, so the counter
 * and the portal would hold different text.
 */
function payloadProblem(payload: unknown): FieldError | null {
  const walk = (v: unknown, path: string, depth: number): FieldError | null => {
    if (depth > MAX_DEPTH) return { field: path || '(request)', code: 'invalid' };
    if (typeof v === 'string') return v.isWellFormed() ? null : { field: path || '(request)', code: 'text_invalid' };
    if (v === null || typeof v !== 'object') return null;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const p = walk(v[i], `${path}.${i}`, depth + 1);
        if (p) return p;
      }
      return null;
    }
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) return { field: path || '(request)', code: 'invalid' };
    for (const [k, child] of Object.entries(v)) {
      const p = walk(child, path ? `${path}.${k}` : k, depth + 1);
      if (p) return p;
    }
    return null;
  };
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return { field: '(request)', code: 'invalid' };
  return walk(payload, '', 0);
}

function isSqliteBusy(e: unknown): boolean {
  return errorCode(e) === 'SQLITE_BUSY';
}
