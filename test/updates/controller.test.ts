/** The update controller with a stand-in for electron-updater: the install moment and failures around it. */
import type { CancellationToken } from 'builder-util-runtime';
import { describe, expect, it } from 'vitest';
import type { InstallWindow } from '../../common/updates';
import { UpdateController, updatesOff, type UpdateEngine } from '../../main/updates/controller';
import { ManualSchedule, memoryLog } from './feed';

function fakeEngine(o: { installThrows?: boolean } = {}) {
  let errorListener: ((err: Error) => void) | null = null;
  let progress: ((p: number) => void) | null = null;
  const engine: UpdateEngine & { installs: number } = {
    installs: 0,
    check: () => Promise.resolve({ available: true, version: '2.0.0' }),
    download: () => {
      progress?.(42.7);
      return Promise.resolve();
    },
    install: () => {
      engine.installs++;
      if (o.installThrows) throw new Error('the installer file is gone');
    },
    onProgress: (l) => (progress = l),
    onError: (l) => (errorListener = l),
  };
  return { engine, emitError: (e: Error) => errorListener?.(e) };
}

function controller(engine: UpdateEngine, window: () => InstallWindow) {
  const schedule = new ManualSchedule();
  const { log, lines } = memoryLog();
  const c = new UpdateController({ engine, currentVersion: '1.0.0', log, installWindow: window, schedule: schedule.schedule });
  return { c, schedule, lines };
}

describe('the update controller', () => {
  it('reports progress, then installs when the day is closed', async () => {
    const { engine } = fakeEngine();
    const { c, lines } = controller(engine, () => ({ mayInstall: true, reason: 'day_closed' }));
    const progress: Array<number | null> = [];
    c.onStatus((s) => progress.push(s.progressPercent));
    await c.checkNow();
    expect(progress).toContain(42);
    expect(engine.installs).toBe(1);
    expect(c.status().phase).toBe('installing');
    expect(lines.some((l) => l.why === 'the day is closed')).toBe(true);
  });

  it('an install window that cannot be read counts as "not now"', async () => {
    const { engine } = fakeEngine();
    const { c, schedule } = controller(engine, () => {
      throw new Error('database closed');
    });
    await c.checkNow();
    expect(c.status().phase).toBe('ready');
    expect(engine.installs).toBe(0);
    expect(schedule.pending().map((t) => t.ms)).toEqual([60_000]);
  });

  it('an installer that does not start ends in error and is tried again later', async () => {
    const { engine } = fakeEngine({ installThrows: true });
    const { c, schedule } = controller(engine, () => ({ mayInstall: true, reason: 'idle' }));
    await c.checkNow();
    expect(c.status()).toMatchObject({ phase: 'error', detail: expect.stringContaining('the installer file is gone') });
    expect(schedule.pending().map((t) => t.ms)).toEqual([30 * 60_000]);
  });

  it('an error electron-updater reports while installing ends in error too', async () => {
    const { engine, emitError } = fakeEngine();
    const { c } = controller(engine, () => ({ mayInstall: true, reason: 'idle' }));
    await c.checkNow();
    expect(c.status().phase).toBe('installing');
    emitError(new Error('spawn failed'));
    expect(c.status()).toMatchObject({ phase: 'error', detail: expect.stringContaining('spawn failed') });
  });

  it('a listener that throws does not stop the others, and unsubscribing works', async () => {
    const { engine } = fakeEngine();
    const { c } = controller(engine, () => ({ mayInstall: false, reason: 'signed_in' }));
    const seen: string[] = [];
    c.onStatus(() => {
      throw new Error('a broken listener');
    });
    const off = c.onStatus((s) => seen.push(s.phase));
    await c.checkNow();
    expect(seen).toEqual(['checking', 'downloading', 'downloading', 'ready']);
    off();
    c.installNow();
    expect(seen.at(-1)).toBe('ready');
  });

  it('a check past its deadline cancels the token the check was given (its requests stop)', async () => {
    const { engine } = fakeEngine();
    let given: CancellationToken | null = null;
    engine.check = (token) => {
      given = token;
      return new Promise(() => {});
    };
    const { c, schedule } = controller(engine, () => ({ mayInstall: false, reason: 'signed_in' }));
    const check = c.checkNow();
    expect(given!.cancelled).toBe(false);
    expect(schedule.run(2 * 60_000)).toBe(1);
    await check;
    expect(given!.cancelled).toBe(true);
    expect(c.status()).toMatchObject({ phase: 'error', detail: 'the update feed did not answer in time' });
  });

  it('where nothing updates in-app, the status is off and install now does nothing', () => {
    const port = updatesOff('1.0.0', "this msi installation is updated by IT's own tools");
    expect(port.status()).toMatchObject({ phase: 'off', currentVersion: '1.0.0', detail: expect.stringContaining('msi') });
    port.installNow();
    expect(port.onStatus(() => {})).toBeTypeOf('function');
  });
});
