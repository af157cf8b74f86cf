// @vitest-environment jsdom
/**
 * What a change of tab draws again: the tabs and the panel shown, not the queue beside them
 * nor a form that stays hidden. Counted through the key hints each of them draws (F4 on the
 * queue's call button, Enter on the walk-in form's submit).
 */
import { describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen } from '@testing-library/react';
import { Counter } from '../../renderer/src/screens/Counter';
import { useCounter } from '../../renderer/src/store';
import { APP_STATE, installFakeCounter, ok, queueView, ticket } from './fake-counter';
import { useRendererTestSetup } from './setup';

const drawn = vi.hoisted(() => new Map<string, number>());
vi.mock('../../renderer/src/components/Kbd', () => ({
  Kbd: ({ children }: { children: string }) => {
    drawn.set(children, (drawn.get(children) ?? 0) + 1);
    return <kbd className="kbd">{children}</kbd>;
  },
}));

useRendererTestSetup();

describe('switching tabs', () => {
  it('does not draw the queue again, nor the walk-in form while it stays hidden', async () => {
    const waiting = ticket({ token: 'A-P001' });
    installFakeCounter({
      getAppState: () => ok(APP_STATE),
      getQueue: () => ok(queueView({ waiting: { priority: [waiting], walkin: [] } })),
    });
    render(<Counter />);
    await screen.findAllByTestId('waiting-ticket');
    const before = { f4: drawn.get('F4') ?? 0, enter: drawn.get('Enter') ?? 0 };
    expect(before.f4).toBeGreaterThan(0);

    // the attention tab and back: the queue beside them did not change
    act(() => useCounter.getState().setTab('attention'));
    await screen.findByTestId('tab-attention');
    act(() => useCounter.getState().setTab('checkin'));
    expect(drawn.get('F4') ?? 0).toBe(before.f4);
    // the walk-in form stayed hidden throughout
    expect(drawn.get('Enter') ?? 0).toBe(before.enter);

    // its own change still draws it
    fireEvent.keyDown(window, { key: 'F3' });
    expect(useCounter.getState().tab).toBe('walkin');
    expect(drawn.get('Enter') ?? 0).toBeGreaterThan(before.enter);
  });
});
