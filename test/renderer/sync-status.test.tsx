// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { App } from '../../renderer/src/App';
import { StatusBar } from '../../renderer/src/components/StatusBar';
import { setLang } from '../../renderer/src/i18n';
import { useCounter } from '../../renderer/src/store';
import { SYNC_STATES } from '../../common/domain';
import { attentionItem, fail, installFakeCounter, ok, queueView, syncStatus, withSync } from './fake-counter';
import { useRendererTestSetup } from './setup';

useRendererTestSetup();
afterEach(() => vi.useRealTimers());

const showSync = (over: Parameters<typeof withSync>[0]) => useCounter.setState({ appState: withSync(over) });

describe('status bar: upload to the portal', () => {
  it('shows each state in words with its own mark', () => {
    installFakeCounter();
    const words = {
      connecting: 'Connecting to portal…',
      online: 'Portal online',
      degraded: 'Portal limited',
      offline: 'Portal offline',
      not_configured: 'Portal not set up',
    };
    const marks = new Set<string>();
    for (const state of SYNC_STATES) {
      showSync({ state });
      const { unmount } = render(<StatusBar />);
      const el = screen.getByTestId('status-sync-state');
      expect(el.dataset.state).toBe(state);
      expect(el.textContent).toContain(words[state]);
      marks.add(el.querySelector('.sync-mark')!.textContent!);
      unmount();
    }
    expect(marks.size).toBe(SYNC_STATES.length);
  });

  it('in Hindi too', () => {
    installFakeCounter();
    act(() => setLang('hi'));
    showSync({ state: 'degraded', pending: 4 });
    render(<StatusBar />);
    expect(screen.getByTestId('status-sync-state').textContent).toContain('सीमित');
    expect(screen.getByTestId('status-outbox').textContent).toContain('अपलोड के लिए 4 प्रतीक्षा में');
    expect(screen.getByTestId('status-sync-now').textContent).toContain('अभी सिंक करें');
  });

  it('never says "all uploaded" while anything is pending, whatever the state', () => {
    installFakeCounter();
    for (const lang of ['en', 'hi'] as const) {
      act(() => setLang(lang));
      for (const state of SYNC_STATES) {
        showSync({ state, pending: 1, oldestPendingAt: '2026-11-25T05:00:00.000Z', lastSuccessAt: '2026-11-25T05:01:00.000Z' });
        const { unmount } = render(<StatusBar />);
        const bar = screen.getByTestId('status-bar');
        expect(bar.textContent, `${lang} ${state}`).not.toMatch(/All records uploaded|सभी रिकॉर्ड अपलोड हो गए/);
        expect(screen.getByTestId('status-outbox').dataset.pending).toBe('1');
        unmount();
      }
    }
  });

  it('says "all uploaded" only with nothing pending and nothing refused', () => {
    installFakeCounter();
    showSync({ pending: 0 });
    const { unmount } = render(<StatusBar />);
    expect(screen.getByTestId('status-outbox').textContent).toBe('All records uploaded');
    expect(screen.queryByTestId('status-needs-attention')).toBeNull();
    unmount();

    showSync({ pending: 0, needsAttention: 2 });
    render(<StatusBar />);
    expect(screen.getByTestId('status-outbox').textContent).toBe('Nothing waiting to upload');
    expect(screen.getByTestId('status-needs-attention').dataset.count).toBe('2');
    expect(screen.getByTestId('status-needs-attention').textContent).toBe('Needs attention: 2');
  });

  it('shows how old the oldest pending record is, and keeps the age current', () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    vi.setSystemTime(new Date('2026-11-25T05:12:00.000Z'));
    installFakeCounter();
    showSync({ pending: 3, oldestPendingAt: '2026-11-25T05:00:00.000Z', lastSuccessAt: '2026-11-25T04:55:00.000Z' });
    render(<StatusBar />);
    expect(screen.getByTestId('status-outbox').textContent).toBe('3 waiting to upload · oldest 12 min');
    expect(screen.getByTestId('status-last-success').textContent).toMatch(/^Last upload 10:25/i); // 04:55 UTC in Asia/Kolkata
    act(() => vi.advanceTimersByTime(60_000));
    expect(screen.getByTestId('status-oldest-pending').textContent).toContain('oldest 13 min');
  });

  it('when failing: the next try, the last error in words, and when the last upload went through', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-25T05:12:00.000Z'));
    installFakeCounter();
    showSync({
      state: 'offline',
      pending: 2,
      oldestPendingAt: '2026-11-25T05:00:00.000Z',
      lastSuccessAt: null,
      nextRetryAt: '2026-11-25T05:14:00.000Z',
      lastError: { code: 'network', message: 'connect ECONNREFUSED' },
    });
    render(<StatusBar />);
    expect(screen.getByTestId('status-next-retry').textContent).toMatch(/^Next try 10:44 .*\(in 2 min\)$/i);
    const error = screen.getByTestId('status-sync-error');
    expect(error.dataset.code).toBe('network');
    expect(error.textContent).toMatch(/No connection to the portal/);
    expect(screen.getByTestId('status-last-success').textContent).toBe('Nothing uploaded yet');

    // online again: no retry, no stale error
    act(() => showSync({ state: 'online', pending: 0, lastError: null, nextRetryAt: null }));
    expect(screen.queryByTestId('status-next-retry')).toBeNull();
    expect(screen.queryByTestId('status-sync-error')).toBeNull();
  });

  it('an error code the renderer does not know still reads as an upload failure', () => {
    installFakeCounter();
    showSync({ state: 'degraded', pending: 1, lastError: { code: 'teapot', message: 'I am a teapot' } });
    render(<StatusBar />);
    expect(screen.getByTestId('status-sync-error').textContent).toBe('Upload failed (teapot).');
  });

  it('follows the status events main sends', () => {
    installFakeCounter();
    render(<StatusBar />);
    expect(screen.getByTestId('status-outbox').textContent).toBe('All records uploaded');
    act(() =>
      useCounter.getState().handleEvent({
        type: 'status',
        sync: syncStatus({ state: 'degraded', pending: 7, uploading: true, needsAttention: 1 }),
      }),
    );
    expect(screen.getByTestId('status-outbox').textContent).toContain('7 waiting to upload');
    expect(screen.getByTestId('status-sync-state').dataset.uploading).toBe('true');
    expect(useCounter.getState().appState?.outbox.pending).toBe(7);
    expect(useCounter.getState().appState?.sync.needsAttention).toBe(1);
  });

  it('Sync now asks main and shows the status it answers', async () => {
    const counter = installFakeCounter({
      syncNow: () => ok(syncStatus({ pending: 0, lastSuccessAt: '2026-11-25T05:20:00.000Z' })),
    });
    showSync({ state: 'degraded', pending: 5 });
    render(<StatusBar />);
    fireEvent.click(screen.getByTestId('status-sync-now'));
    await waitFor(() => expect(screen.getByTestId('status-outbox').textContent).toBe('All records uploaded'));
    expect(counter.syncNow).toHaveBeenCalledTimes(1);
    expect(counter.syncNow).toHaveBeenCalledWith({});
    expect(screen.getByTestId('status-sync-state').dataset.state).toBe('online');
  });

  it('Sync now: a refusal is said in the bar; without a portal the button is off', async () => {
    installFakeCounter({ syncNow: () => fail('SYNC_NOT_CONFIGURED') });
    showSync({ state: 'offline', pending: 1 });
    const { unmount } = render(<StatusBar />);
    fireEvent.click(screen.getByTestId('status-sync-now'));
    const error = await screen.findByTestId('status-sync-now-error');
    expect(error.dataset.code).toBe('SYNC_NOT_CONFIGURED');
    expect(error.textContent).toMatch(/No portal is set up/);
    unmount();

    showSync({ state: 'not_configured', pending: 1 });
    render(<StatusBar />);
    expect((screen.getByTestId('status-sync-now') as HTMLButtonElement).disabled).toBe(true);
  });

  it('the needs-attention count opens the needs-attention screen', async () => {
    const counter = installFakeCounter({
      getAppState: () => ok(withSync({ needsAttention: 1 })),
      getQueue: () => ok(queueView()),
      listNeedsAttention: () => ok([attentionItem()]),
    });
    render(<App />);
    fireEvent.click(await screen.findByTestId('status-needs-attention'));
    const panel = await screen.findByTestId('attention-panel');
    expect(screen.getByTestId('tab-attention').getAttribute('aria-selected')).toBe('true');
    expect((await within(panel).findByTestId('attention-item')).dataset.token).toBe('A-W007');
    expect(counter.listNeedsAttention).toHaveBeenCalled();
    await waitFor(() => expect(document.activeElement?.id).toBe('attention-title'));
  });
});
