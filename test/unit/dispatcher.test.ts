import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { METHOD_NAMES, type CounterEvent } from '../../common/contract';
import { DomainError } from '../../common/result';
import { createDispatcher } from '../../main/ipc/dispatcher';
import type { CounterBackend } from '../../main/counter';

const TICKET = '0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b';

const CLIENT = 'electron:1';

interface StubSession {
  role: 'operator' | 'supervisor';
  locked?: boolean;
  /** the PIN was given too long ago for supervisor-only methods */
  stepUpDue?: boolean;
}

/** Just what the dispatcher reads of a backend; every handler fails unless a test sets it. */
function stub(
  options: { provisioned?: boolean; role?: 'operator' | 'supervisor' | null; sessions?: Record<string, StubSession> } = {},
) {
  const handlers: Record<string, ReturnType<typeof vi.fn>> = {};
  for (const m of METHOD_NAMES) handlers[m] = vi.fn(() => Promise.reject(new Error(`${m} not stubbed`)));
  const logged: unknown[] = [];
  const events = new EventEmitter<{ event: [CounterEvent] }>();
  const emitted: CounterEvent[] = [];
  events.on('event', (e) => emitted.push(e));
  const role = options.role === undefined ? 'operator' : options.role;
  const sessions: Record<string, StubSession> = options.sessions ?? (role ? { [CLIENT]: { role } } : {});
  const touched: string[] = [];
  const backend = {
    provisioning: options.provisioned === false ? null : { centre: { id: 'X' } },
    sessionOf: (clientId: string) => {
      const s = sessions[clientId];
      if (!s) return { state: 'none' };
      const session = { clientId, operator: { id: `op-${clientId}`, loginId: 'oper1', name: 'Ravi', role: s.role }, s };
      return s.locked ? { state: 'locked', session, justLocked: false } : { state: 'open', session };
    },
    needsStepUp: (session: { s: StubSession }) => session.s.stepUpDue === true,
    touchSession: (clientId: string) => touched.push(clientId),
    handlers,
    events,
    log: { error: (...args: unknown[]) => logged.push(args), info: () => {}, warn: () => {} },
  } as unknown as CounterBackend;
  return { backend, handlers, logged, emitted, touched };
}

/** The dispatcher as one client sees it (the Electron window CLIENT unless told). */
function dispatcherFor(backend: CounterBackend, options: Parameters<typeof createDispatcher>[1] = {}, clientId = CLIENT) {
  const dispatch = createDispatcher(backend, options);
  return (method: unknown, payload: unknown) => dispatch(method, payload, clientId);
}

describe('IPC dispatcher', () => {
  it('refuses an unknown method without calling anything', async () => {
    const s = stub();
    const dispatch = dispatcherFor(s.backend);
    for (const m of ['dropTables', '__proto__', 'constructor', 'toString', 42, null]) {
      const r = await dispatch(m, {});
      expect(r).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'VALIDATION', fields: [{ field: '(method)', code: 'invalid' }] }),
      });
    }
    for (const h of Object.values(s.handlers)) expect(h).not.toHaveBeenCalled();
  });

  it('refuses an invalid payload with field errors and does not run the handler', async () => {
    const s = stub();
    const r = await dispatcherFor(s.backend)('callTicket', { ticketId: 'nope' });
    expect(r).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'VALIDATION', fields: [{ field: 'ticketId', code: 'invalid' }] }),
    });
    expect(s.handlers.callTicket).not.toHaveBeenCalled();
  });

  it('hands the handler the parsed (normalised) request', async () => {
    const s = stub();
    s.handlers.checkIn!.mockResolvedValue('ticket');
    const r = await dispatcherFor(s.backend)('checkIn', { refId: ' abc1234567 ' });
    expect(r).toEqual({ ok: true, value: 'ticket' });
    expect(s.handlers.checkIn).toHaveBeenCalledWith({ refId: 'ABC1234567' }, CLIENT);
  });

  it('NOT_PROVISIONED: nothing but the public methods before the counter is set up', async () => {
    const s = stub({ provisioned: false, role: null });
    s.handlers.getAppState!.mockReturnValue('state');
    const dispatch = dispatcherFor(s.backend);
    expect(await dispatch('getQueue', {})).toMatchObject({ ok: false, error: { code: 'NOT_PROVISIONED' } });
    expect(await dispatch('listOperators', {})).toMatchObject({ ok: false, error: { code: 'NOT_PROVISIONED' } });
    expect(await dispatch('getAppState', {})).toEqual({ ok: true, value: 'state' });
    expect(s.handlers.getQueue).not.toHaveBeenCalled();
  });

  it('NOT_SIGNED_IN: operator and supervisor methods need someone signed in', async () => {
    const s = stub({ role: null });
    const dispatch = dispatcherFor(s.backend);
    expect(await dispatch('callNext', {})).toMatchObject({ ok: false, error: { code: 'NOT_SIGNED_IN' } });
    expect(await dispatch('addOperator', { loginId: 'abc', name: 'Abc Def', role: 'operator', pin: '1234' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_SIGNED_IN' },
    });
    expect(s.handlers.callNext).not.toHaveBeenCalled();
    expect(s.handlers.addOperator).not.toHaveBeenCalled();
  });

  it('FORBIDDEN: an operator cannot call a supervisor method', async () => {
    const s = stub({ role: 'operator' });
    const dispatch = dispatcherFor(s.backend);
    const supervisorCalls: Array<[string, unknown]> = [
      ['listOperators', {}],
      ['addOperator', { loginId: 'abc', name: 'Abc Def', role: 'supervisor', pin: '1234' }],
      ['setOperatorDisabled', { operatorId: TICKET, disabled: true }],
      ['resetOperatorPin', { operatorId: TICKET, pin: '1234' }],
      ['updateQueuePolicy', { mode: 'ratio' }],
      ['importRoster', { fileName: 'r.csv', format: 'csv', content: '' }],
    ];
    for (const [m, req] of supervisorCalls) {
      expect(await dispatch(m, req), m).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(s.handlers[m]).not.toHaveBeenCalled();
    }
  });

  it('a supervisor may call supervisor and operator methods', async () => {
    const s = stub({ role: 'supervisor' });
    s.handlers.listOperators!.mockReturnValue([]);
    s.handlers.callNext!.mockReturnValue('called');
    const dispatch = dispatcherFor(s.backend);
    expect(await dispatch('listOperators', {})).toEqual({ ok: true, value: [] });
    expect(await dispatch('callNext', {})).toEqual({ ok: true, value: 'called' });
  });

  it('a DomainError crosses as its AppError, fields and details included', async () => {
    const s = stub();
    s.handlers.checkIn!.mockImplementation(() => {
      throw new DomainError('ALREADY_CHECKED_IN', 'already has a token', { details: { token: 'A-P004' } });
    });
    const r = await dispatcherFor(s.backend)('checkIn', { refId: 'ABC1234567' });
    expect(r).toEqual({
      ok: false,
      error: { code: 'ALREADY_CHECKED_IN', message: 'already has a token', details: { token: 'A-P004' } },
    });
  });

  it('a thrown non-domain error becomes INTERNAL, is logged, and leaks neither its message nor its stack', async () => {
    const s = stub();
    const secret = new Error('SQLITE_CORRUPT: /home/counter/secret-path/counter.db is malformed');
    s.handlers.callNext!.mockImplementation(() => {
      throw secret;
    });
    s.handlers.getQueue!.mockRejectedValue('a bare string');
    const dispatch = dispatcherFor(s.backend);
    for (const m of ['callNext', 'getQueue']) {
      const r = await dispatch(m, {});
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.code).toBe('INTERNAL');
      expect(Object.keys(r.error).sort()).toEqual(['code', 'message']);
      const wire = JSON.stringify(r);
      expect(wire).not.toMatch(/secret-path|SQLITE_CORRUPT|a bare string|\bat .*:\d+:\d+/);
      expect(wire).not.toContain(secret.stack!.split('\n')[1]!.trim());
    }
    expect(s.logged).toHaveLength(2);
  });

  it('SQLITE_BUSY becomes BUSY, so the renderer can offer to try again', async () => {
    const s = stub();
    s.handlers.callNext!.mockImplementation(() => {
      throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    });
    expect(await dispatcherFor(s.backend)('callNext', {})).toMatchObject({ ok: false, error: { code: 'BUSY' } });
  });

  it('tells the renderer about a change only after a mutating call succeeds', async () => {
    const s = stub();
    s.handlers.callNext!.mockResolvedValueOnce('called').mockRejectedValueOnce(new DomainError('NOT_FOUND', 'nobody waiting'));
    s.handlers.getQueue!.mockResolvedValue('queue');
    const dispatch = dispatcherFor(s.backend);
    await dispatch('callNext', {});
    await dispatch('callNext', {});
    await dispatch('getQueue', {});
    expect(s.emitted).toEqual([{ type: 'changed', method: 'callNext' }]);
  });

  it('with response checking on, an answer outside the contract becomes INTERNAL and no change is announced', async () => {
    const s = stub();
    s.handlers.callNext!.mockResolvedValue({ token: 'A-P001' });
    const strict = dispatcherFor(s.backend, { validateResponses: true });
    expect(await strict('callNext', {})).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(s.emitted).toEqual([]);
    expect(s.logged).toHaveLength(1);
  });

  it('a missing payload is treated as an empty request', async () => {
    const s = stub();
    s.handlers.getQueue!.mockReturnValue('queue');
    expect(await dispatcherFor(s.backend)('getQueue', undefined)).toEqual({ ok: true, value: 'queue' });
  });
});

describe('IPC dispatcher: a session per client', () => {
  it("one client's sign-in is not another's: a client with no session is NOT_SIGNED_IN", async () => {
    const s = stub({ sessions: { [CLIENT]: { role: 'supervisor' } } });
    s.handlers.listOperators!.mockReturnValue([]);
    expect(await dispatcherFor(s.backend)('listOperators', {})).toEqual({ ok: true, value: [] });
    const other = dispatcherFor(s.backend, {}, 'electron:2');
    expect(await other('listOperators', {})).toMatchObject({ ok: false, error: { code: 'NOT_SIGNED_IN' } });
    expect(await other('callNext', {})).toMatchObject({ ok: false, error: { code: 'NOT_SIGNED_IN' } });
    expect(s.handlers.listOperators).toHaveBeenCalledTimes(1);
    expect(s.handlers.callNext).not.toHaveBeenCalled();
  });

  it('the handler is told which client called', async () => {
    const s = stub({ sessions: { a: { role: 'operator' }, b: { role: 'operator' } } });
    s.handlers.callNext!.mockReturnValue('called');
    await dispatcherFor(s.backend, {}, 'b')('callNext', {});
    expect(s.handlers.callNext).toHaveBeenCalledWith({}, 'b');
  });

  it("a locked session's calls fail SESSION_LOCKED, saying whose PIN reopens it; public methods still answer", async () => {
    const s = stub({ sessions: { [CLIENT]: { role: 'supervisor', locked: true } } });
    s.handlers.getAppState!.mockReturnValue('state');
    const dispatch = dispatcherFor(s.backend);
    for (const m of ['getQueue', 'callNext', 'listOperators', 'touchSession']) {
      expect(await dispatch(m, {}), m).toMatchObject({
        ok: false,
        error: { code: 'SESSION_LOCKED', details: { loginId: 'oper1', name: 'Ravi' } },
      });
    }
    expect(await dispatch('getAppState', {})).toEqual({ ok: true, value: 'state' });
    expect(s.handlers.getQueue).not.toHaveBeenCalled();
    expect(s.touched).toEqual([]);
  });

  it('a supervisor-only method asks for the PIN again (STEP_UP_REQUIRED) when it was given too long ago; operator methods do not', async () => {
    const s = stub({ sessions: { [CLIENT]: { role: 'supervisor', stepUpDue: true } } });
    s.handlers.callNext!.mockReturnValue('called');
    const dispatch = dispatcherFor(s.backend);
    expect(await dispatch('closeDay', { day: '2021-04-10' })).toMatchObject({ ok: false, error: { code: 'STEP_UP_REQUIRED' } });
    expect(await dispatch('listOperators', {})).toMatchObject({ ok: false, error: { code: 'STEP_UP_REQUIRED' } });
    expect(await dispatch('callNext', {})).toEqual({ ok: true, value: 'called' });
    expect(s.handlers.closeDay).not.toHaveBeenCalled();
  });

  it('a change keeps the session open; reads do not', async () => {
    const s = stub();
    s.handlers.callNext!.mockReturnValue('called');
    s.handlers.getQueue!.mockReturnValue('queue');
    s.handlers.getSyncStatus!.mockReturnValue('sync');
    const dispatch = dispatcherFor(s.backend);
    await dispatch('getQueue', {});
    await dispatch('getSyncStatus', {});
    expect(s.touched).toEqual([]);
    await dispatch('callNext', {});
    expect(s.touched).toEqual([CLIENT]);
  });
});
