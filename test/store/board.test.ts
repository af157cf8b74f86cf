/**
 * The waiting hall's board in main: its view of today's queue (through the dispatcher, on a
 * clock the test moves), the events it is told after each commit, and the supervisor's board
 * settings (checked, audited, kept over a restart, and the window's port).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BoardEvent, BoardView } from '../../common/board';
import type { CounterEvent } from '../../common/contract';
import type { TicketView } from '../../common/domain';
import { estimateWaitMinutes, type BoardDisplay, type BoardScreenPort } from '../../main/services/board';
import {
  DAY,
  openCounter,
  rosterEntry,
  setupCounter,
  SUBMISSION,
  SUPERVISOR,
  walkInForm,
  type Counter,
  type SetupOptions,
} from './harness';

let c: Counter;
afterEach(() => c?.dispose());

const MIN = 60_000;
const roster = Array.from({ length: 9 }, (_, i) => rosterEntry(`REF000000${i + 1}`));
const SERVE = { vaccine: 'COVAXIN', lotNumber: 'B-21/0042', dose: 2 };
const SETTINGS = {
  notice: { en: 'Bring your photo ID', hi: 'अपना फ़ोटो पहचान पत्र साथ लाएँ' },
  room: { en: '', hi: '' },
  speech: { enabled: true, order: 'hi-en' as const, volume: 80, repeat: 1 },
};

const setUp = (options: SetupOptions = {}) => setupCounter({ roster, ...options }).then((x) => (c = x));
const priority = async (n: number): Promise<TicketView> => {
  c.clock.advance(MIN);
  return c.ok('checkIn', { refId: `REF000000${n}` });
};
let walkIns = 0;
const walkIn = async (): Promise<TicketView> => {
  c.clock.advance(MIN);
  walkIns++;
  return c.ok('registerWalkIn', { submissionId: SUBMISSION(walkIns), form: walkInForm(walkIns), acknowledgedDuplicates: [] });
};
const view = (): BoardView => c.backend.boardView();
const tokens = (v: BoardView) => ({ now: v.nowCalling?.token ?? null, recent: v.recent.map((r) => r.token) });
const boardEvents = (): BoardEvent[] => {
  const seen: BoardEvent[] = [];
  c.backend.boardEvents.on('board', (e) => seen.push(e));
  return seen;
};
const auditRows = (action: string) =>
  c.backend.db.prepare('SELECT operator_id, detail FROM audit_log WHERE action = ? ORDER BY id').all(action) as {
    operator_id: string | null;
    detail: string;
  }[];

afterEach(() => {
  walkIns = 0;
});

describe('the board view', () => {
  it('follows call next, recall, no-show, cancel and serve', async () => {
    await setUp({ provisioning: { centre: { id: 'TEST-CHC-01', name: 'Test CHC', nameHi: 'टेस्ट सीएचसी' } } });
    const [p1, p2, p3] = [await priority(1), await priority(2), await priority(3)];
    let v = view();
    expect(v).toMatchObject({
      centre: { en: 'Test CHC', hi: 'टेस्ट सीएचसी' },
      today: DAY,
      now: c.clock().toISOString(),
      nowCalling: null,
      recent: [],
      notice: null,
      speech: { enabled: true, order: 'hi-en', volume: 80, repeat: 1 },
    });

    await c.ok('callNext', {});
    v = view();
    expect(v.nowCalling).toMatchObject({
      token: p1.token,
      ticketId: p1.id,
      lane: 'priority',
      counterCode: 'C1',
      destination: { en: 'Counter C1', hi: 'काउंटर C1' },
      recall: false,
      calledAt: c.clock().toISOString(),
    });
    const firstCallId = v.nowCalling!.callId;

    c.clock.advance(MIN);
    await c.ok('callNext', {});
    expect(tokens(view())).toEqual({ now: p2.token, recent: [p1.token] });

    // a recall brings the older ticket back to the top, as a new call
    c.clock.advance(MIN);
    await c.ok('recallTicket', { ticketId: p1.id });
    v = view();
    expect(tokens(v)).toEqual({ now: p1.token, recent: [p2.token] });
    expect(v.nowCalling).toMatchObject({ recall: true });
    expect(v.nowCalling!.callId).not.toBe(firstCallId);

    // a no-show takes it off the board
    await c.ok('markNoShow', { ticketId: p1.id });
    expect(tokens(view())).toEqual({ now: p2.token, recent: [] });

    // a served ticket's call stays in "recent"; nothing stands to be called
    await c.ok('serveTicket', { ticketId: p2.id, ...SERVE });
    expect(tokens(view())).toEqual({ now: null, recent: [p2.token] });

    // a cancel takes it off too
    await c.ok('callTicket', { ticketId: p3.id });
    expect(tokens(view())).toEqual({ now: p3.token, recent: [p2.token] });
    await c.ok('cancelTicket', { ticketId: p3.id, reason: 'left' });
    expect(tokens(view())).toEqual({ now: null, recent: [p2.token] });

    // a requeued no-show waits again: not on the board until it is called again
    await c.ok('requeueTicket', { ticketId: p1.id });
    expect(tokens(view())).toEqual({ now: null, recent: [p2.token] });
    await c.ok('callNext', {});
    expect(tokens(view())).toEqual({ now: p1.token, recent: [p2.token] });
  });

  it('lists the 5 calls before the one now calling, newest first', async () => {
    await setUp();
    const issued: TicketView[] = [];
    for (let n = 1; n <= 8; n++) issued.push(await priority(n));
    for (let i = 0; i < 7; i++) {
      c.clock.advance(MIN);
      const t = await c.ok('callNext', {});
      await c.ok('serveTicket', { ticketId: t.id, ...SERVE });
    }
    await c.ok('callNext', {});
    const v = view();
    expect(v.nowCalling?.token).toBe(issued[7]!.token);
    expect(v.recent.map((r) => r.token)).toEqual([6, 5, 4, 3, 2].map((i) => issued[i]!.token));
  });

  it('counts the waiting of each lane and estimates their wait from the median time between calls', async () => {
    await setUp();
    for (let n = 1; n <= 6; n++) await priority(n);
    await walkIn();
    await walkIn();
    const lane = (name: string) => view().lanes.find((l) => l.lane === name);
    expect(lane('priority')).toEqual({ lane: 'priority', waiting: 6, estimatedWaitMinutes: null });
    expect(lane('walkin')).toEqual({ lane: 'walkin', waiting: 2, estimatedWaitMinutes: null });

    // calls 2, then 4 minutes apart: the median gap is 3 minutes
    await c.ok('callNext', {});
    c.clock.advance(2 * MIN);
    await c.ok('callNext', {});
    expect(lane('priority')).toEqual({ lane: 'priority', waiting: 4, estimatedWaitMinutes: null });
    c.clock.advance(4 * MIN);
    const third = await c.ok('callNext', {});
    expect(lane('priority')).toEqual({ lane: 'priority', waiting: 3, estimatedWaitMinutes: 9 });
    // a recall does not move the lane on: the estimate stays
    c.clock.advance(10 * MIN);
    await c.ok('recallTicket', { ticketId: third.id });
    expect(lane('priority')).toEqual({ lane: 'priority', waiting: 3, estimatedWaitMinutes: 9 });
    expect(lane('walkin')).toEqual({ lane: 'walkin', waiting: 2, estimatedWaitMinutes: null });
  });

  it('estimates: nobody waiting is 0, fewer than 3 calls is null, the median resists one long gap, minutes round up', () => {
    const at = (...minutes: number[]) => minutes.map((m) => new Date(Date.UTC(2021, 3, 10, 5, m)).toISOString());
    expect(estimateWaitMinutes(0, [])).toBe(0);
    expect(estimateWaitMinutes(4, at(10, 5))).toBeNull();
    expect(estimateWaitMinutes(4, at(10, 8, 6))).toBe(8);
    // a 40-minute lunch break between two calls: the median is still 2 minutes
    expect(estimateWaitMinutes(3, at(50, 48, 46, 6, 4))).toBe(6);
    // even count of gaps: the mean of the middle two (2 and 3 minutes) = 2.5 min, 3 waiting = 7.5 -> 8
    expect(estimateWaitMinutes(3, at(10, 8, 5, 3, 0))).toBe(8);
    // a clock stepping back gives a gap of 0, never a negative one: gaps 0 and 2 -> 1 minute each
    expect(estimateWaitMinutes(2, at(5, 10, 8))).toBe(2);
  });

  it('the destination is the room set for this counter', async () => {
    await setUp();
    await priority(1);
    await c.ok('updateBoardSettings', { ...SETTINGS, room: { en: 'Room 2', hi: 'कमरा 2' } });
    await c.ok('callNext', {});
    expect(view().nowCalling?.destination).toEqual({ en: 'Room 2', hi: 'कमरा 2' });
    // a room with no Hindi name is shown as it is in both
    await c.ok('updateBoardSettings', { ...SETTINGS, room: { en: 'Room 2', hi: '' } });
    expect(view().nowCalling?.destination).toEqual({ en: 'Room 2', hi: 'Room 2' });
  });
});

describe('the board events', () => {
  it('tell each call (a recall with a new call ID) and each change, in order, after the commit', async () => {
    await setUp();
    const [p1, p2] = [await priority(1), await priority(2)];
    const seen: { event: BoardEvent; nowCalling: string | null }[] = [];
    let inTransaction = false;
    // what a board reads when it is told: the change is committed already
    c.backend.boardEvents.on('board', (event) => {
      inTransaction ||= c.backend.db.inTransaction;
      seen.push({ event, nowCalling: view().nowCalling?.token ?? null });
    });
    const operatorEvents: CounterEvent[] = [];
    c.backend.events.on('event', (e) => operatorEvents.push(e));

    await c.ok('callNext', {});
    await c.ok('callNext', {});
    await c.ok('recallTicket', { ticketId: p1.id });
    await c.ok('markNoShow', { ticketId: p1.id });
    await c.ok('serveTicket', { ticketId: p2.id, ...SERVE });
    await c.ok('requeueTicket', { ticketId: p1.id });
    await c.ok('callTicket', { ticketId: p1.id });
    await c.ok('cancelTicket', { ticketId: p1.id, reason: 'left' });
    await priority(3);

    const summary = seen.map(({ event, nowCalling }) =>
      event.type === 'called'
        ? `called ${event.call.token}${event.call.recall ? ' (recall)' : ''} -> ${nowCalling}`
        : `changed -> ${nowCalling}`,
    );
    expect(summary).toEqual([
      `called ${p1.token} -> ${p1.token}`,
      `called ${p2.token} -> ${p2.token}`,
      `called ${p1.token} (recall) -> ${p1.token}`,
      `changed -> ${p2.token}`,
      'changed -> null',
      'changed -> null',
      `called ${p1.token} -> ${p1.token}`,
      'changed -> null',
      'changed -> null',
    ]);
    expect(inTransaction).toBe(false);
    const calls = seen.flatMap(({ event }) => (event.type === 'called' ? [event.call] : []));
    expect(new Set(calls.map((x) => x.callId)).size).toBe(4);
    // each call is found again by its ID (the board asks for its speech by it)
    for (const call of calls) expect(c.backend.boardCall(call.callId)).toEqual(call);
    expect(c.backend.boardCall('999999')).toBeNull();
    expect(c.backend.boardCall('not-a-call')).toBeNull();
    // the operator's events carry nothing of the board
    expect(operatorEvents.every((e) => e.type !== ('called' as never))).toBe(true);
  });

  it('a board listener that throws does not turn the committed action into an error', async () => {
    await setUp();
    const p1 = await priority(1);
    c.backend.boardEvents.on('board', () => {
      throw new Error('board gone');
    });
    expect((await c.ok('callNext', {})).id).toBe(p1.id);
    await c.ok('markNoShow', { ticketId: p1.id });
    expect(view().nowCalling).toBeNull();
  });

  it('a failed action tells the boards nothing', async () => {
    await setUp();
    const seen = boardEvents();
    expect((await c.err('callNext', {})).code).toBe('NOT_FOUND');
    const p1 = await priority(1);
    seen.length = 0;
    expect((await c.err('markNoShow', { ticketId: p1.id })).code).toBe('INVALID_TRANSITION');
    expect(seen).toEqual([]);
  });

  it('a new day: the boards are told to read the view again, and yesterday`s calls are not found', async () => {
    await setUp();
    await priority(1);
    const call = (await c.ok('callNext', {})) && view().nowCalling!;
    const seen = boardEvents();
    c.backend.checkBoardDay();
    expect(seen).toEqual([]);
    c.clock.advance(24 * 60 * MIN);
    c.backend.checkBoardDay();
    c.backend.checkBoardDay();
    expect(seen).toEqual([{ type: 'changed' }]);
    expect(c.backend.boardCall(call.callId)).toBeNull();
    expect(view()).toMatchObject({ nowCalling: null, recent: [] });
  });
});

describe('the board settings', () => {
  it('are saved in one change with an audit row, tell the boards, and last over a restart', async () => {
    await setUp();
    const seen = boardEvents();
    const saved = await c.ok('updateBoardSettings', {
      notice: { en: '  Bring your photo ID  ', hi: 'अपना फ़ोटो पहचान पत्र साथ लाएँ' },
      room: { en: 'Room 2', hi: 'कमरा 2' },
      speech: { enabled: false, order: 'en-hi', volume: 55, repeat: 2 },
    });
    expect(saved).toEqual({
      notice: { en: 'Bring your photo ID', hi: 'अपना फ़ोटो पहचान पत्र साथ लाएँ' },
      room: { en: 'Room 2', hi: 'कमरा 2' },
      speech: { enabled: false, order: 'en-hi', volume: 55, repeat: 2 },
      displayId: null,
      windowOpen: false,
      window: { available: false, open: false },
    });
    expect(seen).toEqual([{ type: 'changed' }]);
    expect(view()).toMatchObject({ notice: saved.notice, speech: saved.speech });
    const supervisorId = c.backend.signedIn!.id;
    expect(auditRows('board.updated')).toEqual([
      { operator_id: supervisorId, detail: JSON.stringify({ notice: saved.notice, room: saved.room, speech: saved.speech }) },
    ]);

    await c.close();
    c = await openCounter(c.dataDir, c.clock);
    await c.signIn(SUPERVISOR);
    expect(await c.ok('getBoardSettings', {})).toEqual(saved);
    expect(c.backend.boardView().speech).toEqual(saved.speech);
  });

  it('keep markup in the notice as text', async () => {
    await setUp();
    const notice = { en: '<b>Bring</b> <script>alert(1)</script> & ID', hi: '<i>पहचान पत्र</i>' };
    await c.ok('updateBoardSettings', { ...SETTINGS, notice });
    expect(view().notice).toEqual(notice);
    expect((await c.ok('getBoardSettings', {})).notice).toEqual(notice);
  });

  it('refuse a notice too long, a room too long or without English, and speech out of range, field by field', async () => {
    await setUp();
    const seen = boardEvents();
    const long = 'x'.repeat(121);
    const fieldsOf = async (change: object) => {
      const e = await c.err('updateBoardSettings', { ...SETTINGS, ...change } as never);
      expect(e.code).toBe('VALIDATION');
      return e.fields;
    };
    expect(await fieldsOf({ notice: { en: long, hi: 'ठीक' } })).toEqual([{ field: 'notice.en', code: 'notice_too_long' }]);
    expect(await fieldsOf({ notice: { en: 'ok', hi: 'क'.repeat(121) } })).toEqual([
      { field: 'notice.hi', code: 'notice_too_long' },
    ]);
    // 120 characters after trimming is fine
    await c.ok('updateBoardSettings', { ...SETTINGS, notice: { en: ` ${'y'.repeat(120)} `, hi: '' } });
    expect(await fieldsOf({ room: { en: 'R'.repeat(21), hi: '' } })).toEqual([{ field: 'room.en', code: 'too_long' }]);
    expect(await fieldsOf({ room: { en: '', hi: 'कमरा 2' } })).toEqual([{ field: 'room.en', code: 'room_en_required' }]);
    expect((await fieldsOf({ speech: { ...SETTINGS.speech, volume: 101 } }))?.[0]?.field).toBe('speech.volume');
    expect((await fieldsOf({ speech: { ...SETTINGS.speech, repeat: 4 } }))?.[0]?.field).toBe('speech.repeat');
    expect((await fieldsOf({ speech: { ...SETTINGS.speech, order: 'hi' } }))?.[0]?.field).toBe('speech.order');
    // nothing refused was kept or told
    expect((await c.ok('getBoardSettings', {})).notice).toEqual({ en: 'y'.repeat(120), hi: '' });
    expect(seen).toEqual([{ type: 'changed' }]);
    expect(auditRows('board.updated')).toHaveLength(1);
  });

  it('are a supervisor`s, with the PIN given again like other supervisor settings', async () => {
    await setUp({ signedIn: 'operator' });
    for (const m of ['getBoardSettings', 'listDisplays', 'closeBoard'] as const)
      expect((await c.err(m, {})).code).toBe('FORBIDDEN');
    expect((await c.err('updateBoardSettings', SETTINGS)).code).toBe('FORBIDDEN');
    expect((await c.err('openBoard', { displayId: null })).code).toBe('FORBIDDEN');
    await c.ok('signOut', {});
    expect((await c.err('getBoardSettings', {})).code).toBe('NOT_SIGNED_IN');
    // the board's own view needs no session (the board has none): it is not a contract method
    expect(c.backend.boardView().today).toBe(DAY);
  });

  it('ask for the PIN again after stepUpMinutes', async () => {
    await setUp({ provisioning: { security: { idleLockMinutes: 60, stepUpMinutes: 5 } } });
    await c.ok('updateBoardSettings', SETTINGS);
    c.clock.advance(4 * MIN);
    await c.ok('touchSession', {});
    c.clock.advance(2 * MIN);
    expect((await c.err('updateBoardSettings', SETTINGS)).code).toBe('STEP_UP_REQUIRED');
    await c.ok('stepUp', { pin: SUPERVISOR.pin });
    await c.ok('updateBoardSettings', SETTINGS);
  });
});

describe('the board window', () => {
  it('without a window port (web bridge, tests): no displays, and opening says why', async () => {
    await setUp();
    expect(await c.ok('listDisplays', {})).toEqual([]);
    const e = await c.err('openBoard', { displayId: null });
    expect(e).toMatchObject({ code: 'CONFLICT', details: { why: 'board_window_unavailable' } });
    expect(e.message).toMatch(/web bridge/);
    expect((await c.err('closeBoard', {})).code).toBe('CONFLICT');
    expect((await c.ok('getBoardSettings', {})).windowOpen).toBe(false);
  });

  it('opens on the chosen display, is kept open over a restart, refuses a display not connected, and closes', async () => {
    const displays: BoardDisplay[] = [
      { id: 1, label: 'Built-in', primary: true, width: 1366, height: 768 },
      { id: 7, label: 'TV (HDMI)', primary: false, width: 1920, height: 1080 },
    ];
    const calls: string[] = [];
    let open = false;
    const port: BoardScreenPort = {
      displays: () => displays,
      open: (id) => {
        calls.push(`open ${String(id)}`);
        open = true;
      },
      close: () => {
        calls.push('close');
        open = false;
      },
      isOpen: () => open,
    };
    await setUp({ backend: { boardScreen: port } });
    expect(await c.ok('listDisplays', {})).toEqual(displays);
    expect(await c.err('openBoard', { displayId: 3 })).toMatchObject({
      code: 'VALIDATION',
      fields: [{ field: 'displayId', code: 'display_unknown' }],
    });
    expect(calls).toEqual([]);
    const seen = boardEvents();
    const opened = await c.ok('openBoard', { displayId: 7 });
    expect(opened).toMatchObject({ displayId: 7, windowOpen: true, window: { available: true, open: true } });
    expect(calls).toEqual(['open 7']);
    expect(seen).toEqual([{ type: 'changed' }]);
    expect(auditRows('board.opened').map((r) => JSON.parse(r.detail) as unknown)).toEqual([{ displayId: 7 }]);

    await c.close();
    c = await openCounter(c.dataDir, c.clock, { boardScreen: port });
    expect(c.backend.boardSettings()).toMatchObject({ displayId: 7, windowOpen: true });
    await c.signIn(SUPERVISOR);
    const closed = await c.ok('closeBoard', {});
    expect(closed).toMatchObject({ displayId: 7, windowOpen: false, window: { available: true, open: false } });
    expect(calls).toEqual(['open 7', 'close']);
    expect(auditRows('board.closed')).toHaveLength(1);
  });

  it('a window that cannot open leaves the settings as they were', async () => {
    const port: BoardScreenPort = {
      displays: () => [],
      open: () => {
        throw new Error('no display');
      },
      close: () => undefined,
      isOpen: () => false,
    };
    await setUp({ backend: { boardScreen: port } });
    expect((await c.err('openBoard', { displayId: null })).code).toBe('INTERNAL');
    expect(c.backend.boardSettings().windowOpen).toBe(false);
    expect(auditRows('board.opened')).toEqual([]);
  });
});
