// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { UpdateView } from '../../common/contract';
import { UPDATE_REFUSALS } from '../../common/updates';
import { App } from '../../renderer/src/App';
import { setLang } from '../../renderer/src/i18n';
import { Updates } from '../../renderer/src/screens/Updates';
import { useCounter } from '../../renderer/src/store';
import { fail, installFakeCounter, ok, queueView, type FakeCounter } from './fake-counter';
import { useRendererTestSetup } from './setup';

useRendererTestSetup();

function view(over: Partial<UpdateView> = {}): UpdateView {
  return {
    phase: 'ready',
    currentVersion: '1.3.0',
    version: '1.4.0',
    progressPercent: null,
    refusal: null,
    detail: null,
    checkedAt: '2021-04-10T04:00:00.000Z',
    window: { mayInstall: false, reason: 'signed_in' },
    postponed: false,
    ...over,
  };
}

function install(answers: Parameters<typeof installFakeCounter>[0]): FakeCounter {
  const counter = installFakeCounter(answers);
  counter.onEvent((e) => useCounter.getState().handleEvent(e));
  return counter;
}

const status = () => screen.getByTestId('updates-status');

describe('app updates (supervisor)', () => {
  it('sits on the supervisor’s App and IT tab', async () => {
    install({
      getQueue: () => ok(queueView()),
      updateStatus: () => ok(view()),
      getAppState: () => ok(useCounter.getState().appState),
    });
    render(<App />);
    fireEvent.click(await screen.findByTestId('tab-device'));
    expect(await screen.findByRole('heading', { name: 'App updates' })).toBeTruthy();
    expect((await screen.findByTestId('updates-status')).dataset.phase).toBe('ready');
  });

  it('a ready version "installs when idle", with why it waits right now, the running version and the last check', async () => {
    install({ updateStatus: () => ok(view()) });
    render(<Updates />);
    await waitFor(() => expect(status().dataset.phase).toBe('ready'));
    expect(status().textContent).toMatch(/Version 1\.4\.0 is ready\. It installs when the counter is idle/);
    expect(screen.getByTestId('updates-window').textContent).toBe(
      'Right now: someone is signed in at this counter, so it waits.',
    );
    expect(screen.getByTestId('updates-running').textContent).toBe('This counter runs version 1.3.0.');
    // the centre's time (Asia/Kolkata): 04:00 UTC is 09:30
    expect(screen.getByTestId('updates-checked').textContent).toMatch(/^Last checked: .*09:30/);
  });

  it('follows main’s update events (no reading again): download progress, then ready', async () => {
    const counter = install({ updateStatus: () => ok(view({ phase: 'checking', version: null })) });
    render(<Updates />);
    await waitFor(() => expect(status().dataset.phase).toBe('checking'));
    act(() => counter.emit({ type: 'update', update: view({ phase: 'downloading', progressPercent: 42.4 }) }));
    const bar = screen.getByTestId('updates-progress') as HTMLProgressElement;
    expect(bar.value).toBe(42);
    expect(bar.getAttribute('aria-label')).toBe('Download of version 1.4.0');
    expect(status().textContent).toMatch(/Downloading version 1\.4\.0.*42% downloaded/);
    act(() =>
      counter.emit({ type: 'update', update: view({ postponed: true, window: { mayInstall: false, reason: 'postponed' } }) }),
    );
    expect(status().textContent).toMatch(
      /Version 1\.4\.0 is ready\. It installs once the day is over \(at midnight, or when the day is closed\), when nobody is signed in\./,
    );
    expect(counter.updateStatus).toHaveBeenCalledTimes(1);
  });

  it('says each phase in words; a counter IT updates shows no buttons', async () => {
    const counter = install({ updateStatus: () => ok(view({ phase: 'off', version: null, checkedAt: null })) });
    render(<Updates />);
    await waitFor(() => expect(status().dataset.phase).toBe('off'));
    expect(status().textContent).toMatch(/updated by hospital IT/);
    expect(screen.queryByTestId('updates-install')).toBeNull();
    expect(screen.queryByTestId('updates-checked')).toBeNull();
    const texts: Record<string, RegExp> = {
      idle: /No update is waiting/,
      checking: /Looking for a new version/,
      installing: /Version 1\.4\.0 is installing/,
      error: /could not be reached.*For IT: ECONNREFUSED/,
    };
    for (const [phase, text] of Object.entries(texts)) {
      act(() =>
        counter.emit({
          type: 'update',
          update: view({ phase: phase as UpdateView['phase'], detail: phase === 'error' ? 'ECONNREFUSED' : null }),
        }),
      );
      expect(status().dataset.phase).toBe(phase);
      expect(status().textContent).toMatch(text);
      expect(screen.queryByTestId('updates-install')).toBeNull();
    }
  });

  it.each(['en', 'hi'] as const)('every refusal is said in words, nothing installed (%s)', async (lang) => {
    setLang(lang);
    const counter = install({ updateStatus: () => ok(view({ phase: 'idle', version: null })) });
    render(<Updates />);
    await waitFor(() => expect(status().dataset.phase).toBe('idle'));
    const seen = new Set<string>();
    for (const refusal of UPDATE_REFUSALS) {
      act(() =>
        counter.emit({
          type: 'update',
          update: view({ phase: 'refused', version: '1.5.0', refusal, detail: `${refusal} for 1.5.0` }),
        }),
      );
      const s = status();
      expect(s.dataset.code).toBe(refusal);
      expect(s.getAttribute('role')).toBe('alert');
      const text = s.querySelector('p')!.textContent!;
      expect(text).toContain('1.5.0');
      expect(text).not.toContain(refusal);
      expect(text).toMatch(lang === 'hi' ? /अस्वीकार किया गया.*[\u0900-\u097F]/ : /was refused and nothing was installed: \w/);
      seen.add(text);
      // what IT needs to look it up, as the updater wrote it
      expect(s.querySelector('[lang="en"]')?.textContent).toBe(`${refusal} for 1.5.0`);
      expect(screen.queryByTestId('updates-install')).toBeNull();
    }
    // one message per refusal
    expect(seen.size).toBe(UPDATE_REFUSALS.length);
  });

  it('install now asks first, then installs the version on screen; cancel keeps the keyboard where it was', async () => {
    const counter = install({
      updateStatus: () => ok(view()),
      installUpdateNow: () => ok(view({ phase: 'installing' })),
    });
    render(<Updates />);
    const installButton = await screen.findByTestId('updates-install');
    fireEvent.click(installButton);
    expect(screen.getByTestId('updates-confirm').textContent).toMatch(/opens again on version 1\.4\.0/);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('updates-install-yes')));
    fireEvent.click(screen.getByTestId('updates-install-cancel'));
    expect(screen.queryByTestId('updates-confirm')).toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId('updates-install'));
    expect(counter.installUpdateNow).not.toHaveBeenCalled();

    fireEvent.click(screen.getByTestId('updates-install'));
    fireEvent.click(screen.getByTestId('updates-install-yes'));
    await waitFor(() => expect(counter.installUpdateNow).toHaveBeenCalledWith({ version: '1.4.0' }));
    expect((await screen.findByTestId('updates-message')).textContent).toBe(
      'Installing version 1.4.0: the app closes in a moment.',
    );
    expect(status().dataset.phase).toBe('installing');
  });

  it('postpone to the end of the day, and back', async () => {
    const counter = install({
      updateStatus: () => ok(view()),
      postponeUpdate: (r: { postponed: boolean }) =>
        ok(view({ postponed: r.postponed, window: { mayInstall: false, reason: r.postponed ? 'postponed' : 'signed_in' } })),
    });
    render(<Updates />);
    fireEvent.click(await screen.findByTestId('updates-postpone'));
    await waitFor(() => expect(counter.postponeUpdate).toHaveBeenCalledWith({ version: '1.4.0', postponed: true }));
    expect((await screen.findByTestId('updates-message')).textContent).toBe(
      'Postponed: version 1.4.0 installs once the day is over, when nobody is signed in.',
    );
    expect(status().textContent).toMatch(/It installs once the day is over/);
    expect(screen.getByTestId('updates-window').dataset.reason).toBe('postponed');
    fireEvent.click(screen.getByTestId('updates-unpostpone'));
    await waitFor(() => expect(counter.postponeUpdate).toHaveBeenLastCalledWith({ version: '1.4.0', postponed: false }));
    expect(await screen.findByTestId('updates-postpone')).toBeTruthy();
  });

  it.each(['en', 'hi'] as const)(
    'a refused action says why in words, and the screen shows what is there now (%s)',
    async (lang) => {
      setLang(lang);
      let now = view();
      const counter = install({
        updateStatus: () => ok(now),
        installUpdateNow: () => {
          now = view({ version: '1.4.1' });
          return fail('CONFLICT', { details: { why: 'update_version_changed', version: '1.4.1' } });
        },
      });
      render(<Updates />);
      fireEvent.click(await screen.findByTestId('updates-install'));
      fireEvent.click(screen.getByTestId('updates-install-yes'));
      const error = await screen.findByTestId('updates-error');
      expect(error.textContent).toMatch(lang === 'hi' ? /दूसरा संस्करण \(1\.4\.1\)/ : /Another version \(1\.4\.1\) is ready now/);
      await waitFor(() => expect(status().textContent).toContain('1.4.1'));
      expect(counter.updateStatus).toHaveBeenCalledTimes(2);
    },
  );

  it('reads in Hindi', async () => {
    setLang('hi');
    install({ updateStatus: () => ok(view({ window: { mayInstall: false, reason: 'queue_active' } })) });
    render(<Updates />);
    expect(await screen.findByRole('heading', { name: 'ऐप अपडेट' })).toBeTruthy();
    await waitFor(() => expect(status().textContent).toMatch(/संस्करण 1\.4\.0 तैयार है/));
    expect(screen.getByTestId('updates-window').textContent).toMatch(/^इस समय: .*10 मिनट/);
    expect(screen.getByTestId('updates-install').textContent).toBe('अभी इंस्टॉल करें');
    expect(screen.getByTestId('updates-postpone').textContent).toBe('दिन के अंत तक टालें');
  });
});
