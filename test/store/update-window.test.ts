/**
 * When a downloaded app update may install (the counter idle, or the day closed; never in the
 * middle of a queue), the supervisor's postponement to the end of the day, and the update
 * methods through the dispatcher.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CounterEvent, UpdateView } from '../../common/contract';
import type { UpdatePort, UpdateStatus } from '../../common/updates';
import { installWindow, QUIET_MINUTES, type WindowFacts } from '../../main/services/update-window';
import {
  DAY,
  DEFAULT_SECURITY,
  MORNING,
  OPERATOR,
  openCounter,
  rosterEntry,
  setupCounter,
  SUPERVISOR,
  type Counter,
  type SetupOptions,
  SUBMISSION,
  walkInForm,
} from './harness';

const MINUTE = 60_000;
const SERVE = { vaccine: 'COVISHIELD', lotNumber: '4121Z025', dose: 1 };
const roster = Array.from({ length: 4 }, (_, i) => rosterEntry(`REF00000${i + 1}`));

interface FakeUpdater extends UpdatePort {
  installNow: ReturnType<typeof vi.fn<() => void>>;
  /** the updater's status moves on (its listeners are told) */
  set(change: Partial<UpdateStatus>): void;
}

function fakeUpdater(start: Partial<UpdateStatus> = {}): FakeUpdater {
  let status: UpdateStatus = {
    phase: 'ready',
    currentVersion: '1.3.0',
    version: '1.4.0',
    progressPercent: null,
    refusal: null,
    detail: null,
    checkedAt: '2021-04-10T04:00:00.000Z',
    ...start,
  };
  const listeners = new Set<(s: UpdateStatus) => void>();
  return {
    status: () => status,
    installNow: vi.fn<() => void>(),
    onStatus(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    set(change) {
      status = { ...status, ...change };
      for (const l of listeners) l(status);
    },
  };
}

const counters: Counter[] = [];
afterEach(async () => {
  for (const c of counters.splice(0)) await c.dispose();
});

async function counterWith(updates: UpdatePort | undefined, options: SetupOptions = {}): Promise<Counter> {
  const c = await setupCounter({ roster, withOperator: true, ...options, backend: updates ? { updates } : {} });
  counters.push(c);
  return c;
}

const windowOf = (c: Counter) => c.backend.updateInstallWindow();

describe('the rule (pure, on the time it is given)', () => {
  const now = new Date(MORNING);
  const quiet: WindowFacts = { signedIn: false, queueOpen: false, lastQueueActivityAt: null, dayClosed: false, postponed: false };
  const ago = (minutes: number) => new Date(now.getTime() - minutes * MINUTE).toISOString();

  it('an idle counter may install; someone signed in or a ticket waiting or called stops it', () => {
    expect(installWindow(quiet, now)).toEqual({ mayInstall: true, reason: 'idle' });
    expect(installWindow({ ...quiet, signedIn: true }, now)).toEqual({ mayInstall: false, reason: 'signed_in' });
    expect(installWindow({ ...quiet, queueOpen: true }, now)).toEqual({ mayInstall: false, reason: 'queue_active' });
  });

  it(`the queue must have been quiet for ${QUIET_MINUTES} minutes: a ticket finished 9 minutes ago stops it, 11 minutes ago does not`, () => {
    expect(installWindow({ ...quiet, lastQueueActivityAt: ago(9) }, now)).toEqual({ mayInstall: false, reason: 'queue_active' });
    expect(installWindow({ ...quiet, lastQueueActivityAt: ago(10) }, now)).toEqual({ mayInstall: true, reason: 'idle' });
    expect(installWindow({ ...quiet, lastQueueActivityAt: ago(11) }, now)).toEqual({ mayInstall: true, reason: 'idle' });
  });

  it('after the day is closed it may install once nobody is signed in, never with someone signed in nor in the middle of a queue', () => {
    expect(installWindow({ ...quiet, dayClosed: true, signedIn: true, lastQueueActivityAt: ago(1) }, now)).toEqual({
      mayInstall: false,
      reason: 'signed_in',
    });
    expect(installWindow({ ...quiet, dayClosed: true, lastQueueActivityAt: ago(1) }, now)).toEqual({
      mayInstall: true,
      reason: 'day_closed',
    });
    expect(installWindow({ ...quiet, dayClosed: true, queueOpen: true }, now)).toEqual({
      mayInstall: false,
      reason: 'queue_active',
    });
  });

  it('a postponed update waits for a day to be closed, however idle the counter', () => {
    expect(installWindow({ ...quiet, postponed: true }, now)).toEqual({ mayInstall: false, reason: 'postponed' });
    expect(installWindow({ ...quiet, postponed: true, dayClosed: true }, now)).toEqual({
      mayInstall: false,
      reason: 'postponed',
    });
  });
});

describe('the install window of a counter (its store, its sessions, its clock)', () => {
  it('someone signed in stops it, a locked session too; once everybody signed out it may install', async () => {
    const c = await counterWith(fakeUpdater(), { provisioning: DEFAULT_SECURITY });
    expect(windowOf(c)).toEqual({ mayInstall: false, reason: 'signed_in' });
    // the idle lock falls: the operator has not signed out
    c.clock.advance(11 * MINUTE);
    expect(c.backend.sessionOf('test:harness').state).toBe('locked');
    expect(windowOf(c)).toEqual({ mayInstall: false, reason: 'signed_in' });
    await c.ok('signOut', {});
    expect(windowOf(c)).toEqual({ mayInstall: true, reason: 'idle' });
  });

  it('a ticket waiting or called stops it however long ago; one served 9 minutes ago stops it, 11 minutes ago not', async () => {
    const c = await counterWith(fakeUpdater());
    const t = await c.ok('checkIn', { refId: 'REF000001' });
    await c.ok('signOut', {});
    expect(windowOf(c)).toEqual({ mayInstall: false, reason: 'queue_active' });

    await c.signIn(SUPERVISOR);
    await c.ok('callTicket', { ticketId: t.id });
    await c.ok('signOut', {});
    c.clock.advance(30 * MINUTE);
    // called and still at the desk: the middle of a queue
    expect(windowOf(c)).toEqual({ mayInstall: false, reason: 'queue_active' });

    await c.signIn(SUPERVISOR);
    await c.ok('serveTicket', { ticketId: t.id, ...SERVE });
    await c.ok('signOut', {});
    c.clock.advance(9 * MINUTE);
    expect(windowOf(c)).toEqual({ mayInstall: false, reason: 'queue_active' });
    c.clock.advance(2 * MINUTE);
    expect(windowOf(c)).toEqual({ mayInstall: true, reason: 'idle' });
  });

  it('a ticket recalled, then marked no-show, counts from the no-show', async () => {
    const c = await counterWith(fakeUpdater());
    const t = await c.ok('checkIn', { refId: 'REF000002' });
    await c.ok('callTicket', { ticketId: t.id });
    c.clock.advance(5 * MINUTE);
    await c.ok('recallTicket', { ticketId: t.id });
    c.clock.advance(5 * MINUTE);
    await c.ok('markNoShow', { ticketId: t.id });
    await c.ok('signOut', {});
    c.clock.advance(9 * MINUTE);
    expect(windowOf(c).reason).toBe('queue_active');
    c.clock.advance(2 * MINUTE);
    expect(windowOf(c).reason).toBe('idle');
  });

  it('a day closed the next morning with the supervisor signed in does not install while people work; once all sign out it may, until the next ticket', async () => {
    const c = await counterWith(fakeUpdater());
    await c.ok('checkIn', { refId: 'REF000001' });
    c.clock.advance(24 * 60 * MINUTE);
    await c.signIn(SUPERVISOR);
    expect(windowOf(c).reason).toBe('signed_in');
    await c.ok('closeDay', { day: DAY });
    // the usual case: yesterday closed at opening time, people at work, no ticket yet today
    expect(windowOf(c)).toEqual({ mayInstall: false, reason: 'signed_in' });
    c.clock.advance(30 * MINUTE);
    expect(windowOf(c)).toEqual({ mayInstall: false, reason: 'signed_in' });
    await c.ok('signOut', {});
    expect(windowOf(c)).toEqual({ mayInstall: true, reason: 'day_closed' });

    // the new day's queue starts: the day closed is behind it
    await c.signIn(SUPERVISOR);
    await c.ok('registerWalkIn', { submissionId: SUBMISSION(1), form: walkInForm(1), acknowledgedDuplicates: [] });
    expect(windowOf(c)).toEqual({ mayInstall: false, reason: 'queue_active' });
  });

  it('a queue running past midnight still counts: a ticket called just before midnight stops it just after', async () => {
    // 23:50 at the centre (Asia/Kolkata)
    const c = await counterWith(fakeUpdater(), { at: '2021-04-10T18:20:00.000Z' });
    const t = await c.ok('registerWalkIn', { submissionId: SUBMISSION(2), form: walkInForm(2), acknowledgedDuplicates: [] });
    c.clock.advance(8 * MINUTE);
    await c.ok('callTicket', { ticketId: t.id });
    await c.ok('signOut', {});
    c.clock.advance(5 * MINUTE);
    expect(c.backend.today()).toBe('2021-04-11');
    expect(windowOf(c)).toEqual({ mayInstall: false, reason: 'queue_active' });
    // left called long after: a left-over of a day nobody closed, not a queue
    c.clock.advance(20 * MINUTE);
    expect(windowOf(c)).toEqual({ mayInstall: true, reason: 'idle' });
  });

  it('closing an older day after a newer one leaves the newer one as the last day closed', async () => {
    const c = await counterWith(fakeUpdater());
    c.clock.advance(3 * 24 * 60 * MINUTE);
    await c.signIn(SUPERVISOR);
    await c.ok('closeDay', { day: '2021-04-12' });
    await c.ok('closeDay', { day: '2021-04-11' });
    const last = c.backend.db.prepare("SELECT value FROM meta WHERE key = 'updates.last_closed_day'").get() as { value: string };
    expect(last.value).toBe('2021-04-12');
    await c.ok('signOut', {});
    expect(windowOf(c).reason).toBe('day_closed');
  });

  it('postponed to the end of the day: never while idle that day, kept over a restart, lifted by closing a day once all sign out', async () => {
    const updater = fakeUpdater();
    const c = await counterWith(updater);
    const t = await c.ok('checkIn', { refId: 'REF000001' });
    const view = await c.ok('postponeUpdate', { version: '1.4.0', postponed: true });
    // (a ticket waiting today comes first: never in the middle of a queue)
    expect(view).toMatchObject({ phase: 'ready', version: '1.4.0', postponed: true, window: { reason: 'queue_active' } });
    await c.ok('cancelTicket', { ticketId: t.id, reason: 'left' });
    await c.ok('signOut', {});
    // the afternoon, idle: still postponed (the day is not over)
    c.clock.advance(5 * 60 * MINUTE);
    expect(windowOf(c)).toEqual({ mayInstall: false, reason: 'postponed' });

    // the app restarts: the postponement is in the store
    await c.close();
    const again = await openCounter(c.dataDir, c.clock, { updates: updater });
    counters.push(again);
    expect(again.backend.updateInstallWindow()).toEqual({ mayInstall: false, reason: 'postponed' });

    // closing an older day does not end today's postponement
    await again.signIn(SUPERVISOR);
    await again.ok('closeDay', { day: '2021-04-09' });
    expect((await again.ok('updateStatus', {})).postponed).toBe(true);
    await again.ok('signOut', {});
    expect(again.backend.updateInstallWindow()).toEqual({ mayInstall: false, reason: 'postponed' });

    // the next morning the supervisor closes the day
    again.clock.advance(18 * 60 * MINUTE);
    await again.signIn(SUPERVISOR);
    await again.ok('closeDay', { day: DAY });
    expect((await again.ok('updateStatus', {})).postponed).toBe(false);
    // the day is closed, but the supervisor is still signed in
    expect(again.backend.updateInstallWindow()).toEqual({ mayInstall: false, reason: 'signed_in' });
    await again.ok('signOut', {});
    expect(again.backend.updateInstallWindow()).toEqual({ mayInstall: true, reason: 'day_closed' });
  });

  it("a postponement ends at the centre's midnight: the next morning it installs only when nobody is signed in", async () => {
    // 23:00 at the centre (Asia/Kolkata)
    const updater = fakeUpdater();
    const c = await counterWith(updater, { at: '2021-04-10T17:30:00.000Z' });
    await c.ok('postponeUpdate', { version: '1.4.0', postponed: true });
    await c.ok('signOut', {});
    c.clock.advance(59 * MINUTE);
    expect(c.backend.today()).toBe('2021-04-10');
    expect(windowOf(c)).toEqual({ mayInstall: false, reason: 'postponed' });
    // past midnight: the day is over, nobody closed it
    c.clock.advance(2 * MINUTE);
    expect(c.backend.today()).toBe('2021-04-11');
    expect(windowOf(c)).toEqual({ mayInstall: true, reason: 'idle' });
    // the morning: someone signed in stops it
    c.clock.advance(9 * 60 * MINUTE);
    await c.signIn(OPERATOR);
    expect(windowOf(c)).toEqual({ mayInstall: false, reason: 'signed_in' });
  });

  it('a new version offered drops the postponement of the last one', async () => {
    const updater = fakeUpdater();
    const c = await counterWith(updater);
    await c.ok('postponeUpdate', { version: '1.4.0', postponed: true });
    await c.ok('signOut', {});
    expect(windowOf(c).reason).toBe('postponed');
    updater.set({ phase: 'downloading', version: '1.4.1', progressPercent: 10 });
    updater.set({ phase: 'ready', version: '1.4.1', progressPercent: null });
    expect(windowOf(c)).toEqual({ mayInstall: true, reason: 'idle' });
    // and 1.4.0 coming back is not postponed either
    updater.set({ version: '1.4.0' });
    expect(windowOf(c).reason).toBe('idle');
  });

  it('the supervisor may lift a postponement', async () => {
    const c = await counterWith(fakeUpdater());
    await c.ok('postponeUpdate', { version: '1.4.0', postponed: true });
    expect((await c.ok('postponeUpdate', { version: '1.4.0', postponed: false })).postponed).toBe(false);
    await c.ok('signOut', {});
    expect(windowOf(c).reason).toBe('idle');
  });
});

describe('the update methods through the dispatcher', () => {
  it("without an updater the status is 'off', and install now or postpone are refused as such", async () => {
    const c = await counterWith(undefined);
    const view = await c.ok('updateStatus', {});
    expect(view).toMatchObject({ phase: 'off', version: null, postponed: false });
    for (const [m, req] of [
      ['installUpdateNow', { version: '1.4.0' }],
      ['postponeUpdate', { version: '1.4.0', postponed: true }],
    ] as const) {
      const e = await c.err(m, req as never);
      expect(e.code).toBe('CONFLICT');
      expect(e.details).toEqual({ why: 'updates_off' });
    }
  });

  it('install now asks the updater to install the version the supervisor saw, and records who asked', async () => {
    const updater = fakeUpdater();
    const c = await counterWith(updater);
    // another version than the one on screen: refused, nothing installs
    const stale = await c.err('installUpdateNow', { version: '1.3.9' });
    expect(stale).toMatchObject({ code: 'CONFLICT', details: { why: 'update_version_changed', version: '1.4.0' } });
    expect(updater.installNow).not.toHaveBeenCalled();

    await c.ok('installUpdateNow', { version: '1.4.0' });
    expect(updater.installNow).toHaveBeenCalledTimes(1);
    const audit = c.backend.db.prepare("SELECT detail FROM audit_log WHERE action = 'update.install_now'").all() as {
      detail: string;
    }[];
    expect(audit.map((a) => JSON.parse(a.detail))).toEqual([{ version: '1.4.0' }]);
  });

  it('install now and postpone need an update that is ready', async () => {
    for (const phase of ['idle', 'checking', 'downloading', 'refused', 'error'] as const) {
      const updater = fakeUpdater({ phase, refusal: phase === 'refused' ? 'signature_invalid' : null });
      const c = await counterWith(updater);
      const e = await c.err('installUpdateNow', { version: '1.4.0' });
      expect(e).toMatchObject({ code: 'CONFLICT', details: { why: 'update_not_ready' } });
      expect((await c.err('postponeUpdate', { version: '1.4.0', postponed: true })).details).toEqual({ why: 'update_not_ready' });
      expect(updater.installNow).not.toHaveBeenCalled();
    }
  });

  it('an operator is refused every update method; bad payloads are refused before anything happens', async () => {
    const updater = fakeUpdater();
    const c = await counterWith(updater, { signedIn: 'operator' });
    for (const [m, req] of [
      ['updateStatus', {}],
      ['installUpdateNow', { version: '1.4.0' }],
      ['postponeUpdate', { version: '1.4.0', postponed: true }],
    ] as const) {
      const r = await c.dispatch(m, req);
      expect(!r.ok && r.error.code).toBe('FORBIDDEN');
    }
    expect(updater.installNow).not.toHaveBeenCalled();

    await c.signIn(SUPERVISOR);
    const bad: [string, unknown, string][] = [
      ['installUpdateNow', {}, 'version'],
      ['installUpdateNow', { version: '' }, 'version'],
      ['installUpdateNow', { version: 'x'.repeat(41) }, 'version'],
      ['installUpdateNow', { version: '1.4.0', force: true }, '(request)'],
      ['postponeUpdate', { version: '1.4.0' }, 'postponed'],
      ['postponeUpdate', { version: '1.4.0', postponed: 'yes' }, 'postponed'],
      ['updateStatus', { all: true }, '(request)'],
    ];
    for (const [m, req, field] of bad) {
      const r = await c.dispatch(m, req);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('VALIDATION');
        expect(r.error.fields?.[0]?.field).toBe(field);
      }
    }
    expect(updater.installNow).not.toHaveBeenCalled();
    expect((await c.ok('updateStatus', {})).postponed).toBe(false);
  });

  it('install now needs a recent PIN like other supervisor actions', async () => {
    const updater = fakeUpdater();
    const c = await counterWith(updater, { provisioning: DEFAULT_SECURITY });
    c.clock.advance(6 * MINUTE);
    await c.ok('touchSession', {});
    expect((await c.err('installUpdateNow', { version: '1.4.0' })).code).toBe('STEP_UP_REQUIRED');
    expect(updater.installNow).not.toHaveBeenCalled();
    await c.ok('stepUp', { pin: SUPERVISOR.pin });
    await c.ok('installUpdateNow', { version: '1.4.0' });
    expect(updater.installNow).toHaveBeenCalledTimes(1);
  });

  it('the page is told when the update moves on, when it is postponed and when a day is closed', async () => {
    const updater = fakeUpdater({ phase: 'downloading', progressPercent: 40 });
    const c = await counterWith(updater);
    const seen: UpdateView[] = [];
    c.backend.events.on('event', (e: CounterEvent) => {
      if (e.type === 'update') seen.push(e.update);
    });
    updater.set({ progressPercent: 80 });
    updater.set({ phase: 'ready', progressPercent: null });
    await c.ok('postponeUpdate', { version: '1.4.0', postponed: true });
    updater.set({ phase: 'refused', version: '1.5.0', refusal: 'signature_missing', detail: 'no signature beside latest.yml' });
    expect(seen.map((v) => [v.phase, v.progressPercent, v.postponed])).toEqual([
      ['downloading', 80, false],
      ['ready', null, false],
      ['ready', null, true],
      ['refused', null, false],
    ]);
    expect(seen.at(-1)).toMatchObject({ refusal: 'signature_missing', window: expect.any(Object) });

    c.clock.advance(24 * 60 * MINUTE);
    await c.signIn(SUPERVISOR);
    seen.length = 0;
    await c.ok('closeDay', { day: DAY });
    expect(seen).toHaveLength(1);
  });

  it('an operator signed in at another client keeps the counter from installing', async () => {
    const c = await counterWith(fakeUpdater());
    await c.ok('signOut', {});
    await c.dispatch('signIn', { loginId: OPERATOR.loginId, pin: OPERATOR.pin }, 'test:second-window');
    expect(windowOf(c).reason).toBe('signed_in');
    await c.dispatch('signOut', {}, 'test:second-window');
    expect(windowOf(c).reason).toBe('idle');
  });
});
