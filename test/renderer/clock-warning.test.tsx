// @vitest-environment jsdom
/**
 * The clock warning next to the sync status: shown when this PC's clock is more than 2
 * minutes off the portal's, saying how far and which way, and that today's date and every
 * time the counter records come from this PC's clock; in English and Hindi.
 */
import { describe, expect, it } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import { StatusBar } from '../../renderer/src/components/StatusBar';
import { setLang } from '../../renderer/src/i18n';
import { useCounter } from '../../renderer/src/store';
import { installFakeCounter, withSync } from './fake-counter';
import { useRendererTestSetup } from './setup';

useRendererTestSetup();

const showOffset = (clockOffsetMs: number | null) => useCounter.setState({ appState: withSync({ clockOffsetMs }) });

describe('clock warning', () => {
  it('says this PC is 3 minutes behind the portal, next to the sync status, and why it matters', () => {
    installFakeCounter();
    showOffset(3 * 60_000);
    render(<StatusBar />);
    const warning = screen.getByTestId('clock-warning');
    expect(warning.textContent).toContain('This PC’s clock is 3 min behind the portal’s.');
    expect(warning.textContent).toContain('Today’s date and every time this counter records come from this PC’s clock.');
    expect(warning.getAttribute('role')).toBe('status');
    // next to the sync status in the status bar
    expect(screen.getByTestId('status-sync').nextElementSibling).toBe(warning);
  });

  it('says ahead when the PC’s clock runs ahead, in hours when it is that far', () => {
    installFakeCounter();
    showOffset(-(2 * 60 + 5) * 60_000);
    render(<StatusBar />);
    expect(screen.getByTestId('clock-warning').textContent).toContain('This PC’s clock is 2 h 5 min ahead of the portal’s.');
  });

  it('in Hindi too', () => {
    installFakeCounter();
    act(() => setLang('hi'));
    showOffset(3 * 60_000);
    render(<StatusBar />);
    const text = screen.getByTestId('clock-warning').textContent!;
    expect(text).toContain('इस कंप्यूटर की घड़ी पोर्टल की घड़ी से 3 मिनट पीछे है।');
    expect(text).toContain('आज की तारीख और यह काउंटर जो भी समय दर्ज करता है');
    act(() => setLang('en'));
  });

  it('is not shown within 2 minutes either way, nor before the portal has answered', () => {
    installFakeCounter();
    for (const offset of [null, 0, 119_000, -120_000, 120_000]) {
      showOffset(offset);
      const { unmount } = render(<StatusBar />);
      expect(screen.queryByTestId('clock-warning'), String(offset)).toBeNull();
      unmount();
    }
    showOffset(-121_000);
    render(<StatusBar />);
    expect(screen.getByTestId('clock-warning').dataset.offsetMs).toBe('-121000');
  });
});
