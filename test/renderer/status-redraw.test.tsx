// @vitest-environment jsdom
/**
 * A sync status arrives ten times a second while a backlog uploads: it must redraw the status
 * bar, not the counter's screens.
 */
import { describe, expect, it, vi } from 'vitest';
import { act, render, screen, waitFor } from '@testing-library/react';
import type { CheckIn as CheckInScreen } from '../../renderer/src/screens/CheckIn';
import { App } from '../../renderer/src/App';
import { useCounter } from '../../renderer/src/store';
import { APP_STATE, installFakeCounter, ok, queueView, syncStatus } from './fake-counter';
import { useRendererTestSetup } from './setup';

const drawn = vi.hoisted(() => ({ checkIn: 0 }));
vi.mock('../../renderer/src/screens/CheckIn', async (original) => {
  const real = await original<{ CheckIn: typeof CheckInScreen }>();
  return {
    ...real,
    CheckIn: (props: Parameters<typeof CheckInScreen>[0]) => {
      drawn.checkIn++;
      return real.CheckIn(props);
    },
  };
});

useRendererTestSetup();

describe('while uploads are acknowledged', () => {
  it('each new sync status redraws the status bar, not the check-in screen', async () => {
    installFakeCounter({ getAppState: () => ok(APP_STATE), getQueue: () => ok(queueView()) });
    render(<App />);
    await screen.findByTestId('search-input');
    await waitFor(() => expect(useCounter.getState().queue).not.toBeNull());
    const before = drawn.checkIn;
    act(() => {
      for (let pending = 200; pending > 0; pending -= 20) {
        useCounter.getState().handleEvent({ type: 'status', sync: syncStatus({ pending, uploading: true }) });
      }
    });
    expect(screen.getByTestId('status-outbox').dataset.pending).toBe('20');
    expect(drawn.checkIn).toBe(before);
  });
});
