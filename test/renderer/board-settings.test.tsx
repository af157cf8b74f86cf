// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { BoardSettingsView } from '../../common/contract';
import { App } from '../../renderer/src/App';
import { setLang } from '../../renderer/src/i18n';
import { BoardSettings } from '../../renderer/src/screens/BoardSettings';
import { useCounter } from '../../renderer/src/store';
import { fail, installFakeCounter, ok, queueView } from './fake-counter';
import { useRendererTestSetup } from './setup';

useRendererTestSetup();

const SAVED: BoardSettingsView = {
  notice: { en: 'Bring your photo ID', hi: 'अपना फ़ोटो पहचान पत्र साथ लाएँ' },
  room: { en: '', hi: '' },
  speech: { enabled: true, order: 'hi-en', volume: 80, repeat: 1 },
  displayId: null,
  windowOpen: false,
  window: { available: false, open: false },
};
const DISPLAYS = [
  { id: 1, label: 'Built-in', primary: true, width: 1366, height: 768 },
  { id: 7, label: 'TV', primary: false, width: 1920, height: 1080 },
];

const input = (name: string) => screen.getByTestId(`board-${name}`) as HTMLInputElement;
const change = (name: string, value: string) => fireEvent.change(input(name), { target: { value } });
const errorOf = (name: string) => screen.getByTestId(`error-${name}`);

describe('board settings (supervisor)', () => {
  it('is a supervisor tab, filled from the saved settings', async () => {
    const counter = installFakeCounter({ getQueue: () => ok(queueView()), getBoardSettings: () => ok(SAVED) });
    render(<App />);
    fireEvent.click(await screen.findByTestId('tab-board'));
    await waitFor(() => expect(input('noticeEn').value).toBe('Bring your photo ID'));
    expect(input('noticeHi').value).toBe('अपना फ़ोटो पहचान पत्र साथ लाएँ');
    expect(screen.getByTestId('tab-board').textContent).toBe('Board');
    expect(counter.getBoardSettings).toHaveBeenCalled();
  });

  it('counts the notice as typed and shows "too long" next to the field in English and Hindi, at once', async () => {
    const counter = installFakeCounter({ getBoardSettings: () => ok(SAVED) });
    render(<BoardSettings />);
    await waitFor(() => expect(input('noticeEn').value).toBe('Bring your photo ID'));
    expect(screen.getByTestId('board-noticeEn-count').textContent).toBe('19 of 120 characters');
    change('noticeEn', 'x'.repeat(121));
    expect(screen.getByTestId('board-noticeEn-count').textContent).toBe('121 of 120 characters');
    const e = errorOf('noticeEn');
    expect(e.dataset.code).toBe('notice_too_long');
    expect(e.querySelector('[lang="en"]')?.textContent).toBe('Too long: at most 120 characters.');
    expect(e.querySelector('[lang="hi"]')?.textContent).toBe('बहुत लंबा: अधिकतम 120 अक्षर।');
    expect(input('noticeEn').getAttribute('aria-invalid')).toBe('true');
    expect(input('noticeEn').getAttribute('aria-describedby')).toContain('board-noticeEn-error');
    fireEvent.click(screen.getByTestId('board-save'));
    await waitFor(() => expect(document.activeElement).toBe(input('noticeEn')));
    expect(counter.updateBoardSettings).not.toHaveBeenCalled();
    change('noticeEn', 'Bring your ID');
    expect(screen.queryByTestId('error-noticeEn')).toBeNull();
    // a room name too long says its own limit
    change('roomEn', 'R'.repeat(21));
    expect(errorOf('roomEn').querySelector('[lang="en"]')?.textContent).toBe('Too long: at most 20 characters.');
    expect(errorOf('roomEn').querySelector('[lang="hi"]')?.textContent).toBe('बहुत लंबा: अधिकतम 20 अक्षर।');
  });

  it('saves the notice (markup as it was typed), room and speech, and says so', async () => {
    const counter = installFakeCounter({
      getBoardSettings: () => ok(SAVED),
      updateBoardSettings: (r: Pick<BoardSettingsView, 'notice' | 'room' | 'speech'>) => ok({ ...SAVED, ...r }),
    });
    render(<BoardSettings />);
    await waitFor(() => expect(input('noticeEn').value).toBe('Bring your photo ID'));
    change('noticeEn', '<b>Bring</b> your ID');
    change('roomEn', 'Room 2');
    change('roomHi', 'कमरा 2');
    fireEvent.click(input('enabled'));
    fireEvent.click(screen.getByTestId('board-order-en-hi'));
    change('volume', '55');
    change('repeat', '2');
    fireEvent.click(screen.getByTestId('board-save'));
    await waitFor(() => expect(counter.updateBoardSettings).toHaveBeenCalledTimes(1));
    expect(counter.updateBoardSettings).toHaveBeenCalledWith({
      notice: { en: '<b>Bring</b> your ID', hi: 'अपना फ़ोटो पहचान पत्र साथ लाएँ' },
      room: { en: 'Room 2', hi: 'कमरा 2' },
      speech: { enabled: false, order: 'en-hi', volume: 55, repeat: 2 },
    });
    expect((await screen.findByTestId('action-message')).textContent).toBe('Board settings saved. Open boards show them now.');
  });

  it('shows settings saved at another window of this counter', async () => {
    let saved = SAVED;
    const counter = installFakeCounter({ getBoardSettings: () => ok(saved), listDisplays: () => ok([]) });
    counter.onEvent((e) => useCounter.getState().handleEvent(e));
    render(<BoardSettings />);
    await waitFor(() => expect(input('noticeEn').value).toBe('Bring your photo ID'));
    saved = { ...SAVED, notice: { en: 'Masks on', hi: 'मास्क पहनें' } };
    act(() => counter.emit({ type: 'changed', method: 'updateBoardSettings' }));
    await waitFor(() => expect(input('noticeEn').value).toBe('Masks on'));
    expect(input('noticeHi').value).toBe('मास्क पहनें');
  });

  it('puts main’s refusal next to its field', async () => {
    installFakeCounter({
      getBoardSettings: () => ok(SAVED),
      updateBoardSettings: () => fail('VALIDATION', { fields: [{ field: 'room.en', code: 'room_en_required' }] }),
    });
    render(<BoardSettings />);
    await waitFor(() => expect(input('noticeEn').value).toBe('Bring your photo ID'));
    fireEvent.click(screen.getByTestId('board-save'));
    expect((await screen.findByTestId('error-roomEn')).dataset.code).toBe('room_en_required');
  });

  it('without a board window (web bridge): says the desktop app opens one, and how to open it in a browser', async () => {
    installFakeCounter({ getBoardSettings: () => ok(SAVED), listDisplays: () => ok([]) });
    render(<BoardSettings />);
    expect((await screen.findByTestId('board-window-unavailable')).textContent).toMatch(/desktop app/);
    expect(screen.queryByTestId('board-open')).toBeNull();
    expect(screen.getByTestId('board-browser').textContent).toMatch(/printed by the web bridge/);
  });

  it('opens and closes the board on the chosen display', async () => {
    const windowed = { ...SAVED, window: { available: true, open: false } };
    const counter = installFakeCounter({
      getBoardSettings: () => ok(windowed),
      listDisplays: () => ok(DISPLAYS),
      openBoard: (r: { displayId: number | null }) =>
        ok({ ...windowed, displayId: r.displayId, windowOpen: true, window: { available: true, open: true } }),
      closeBoard: () => ok({ ...windowed, displayId: 7 }),
    });
    render(<BoardSettings />);
    const select = (await screen.findByTestId('board-displayId')) as HTMLSelectElement;
    await waitFor(() => expect(select.options).toHaveLength(3));
    expect(select.options[2]!.textContent).toBe('TV — 1920×1080');
    expect(screen.getByLabelText('Display for the board (a TV on HDMI)')).toBe(select);
    fireEvent.change(select, { target: { value: '7' } });
    fireEvent.click(screen.getByTestId('board-open'));
    await waitFor(() => expect(counter.openBoard).toHaveBeenCalledWith({ displayId: 7 }));
    await waitFor(() => expect(screen.getByTestId('board-window-state').textContent).toBe('The board window is open.'));
    fireEvent.click(screen.getByTestId('board-close'));
    await waitFor(() => expect(counter.closeBoard).toHaveBeenCalledTimes(1));
    await waitFor(() => expect(screen.getByTestId('board-window-state').textContent).toBe('The board window is closed.'));
  });

  it('a display unplugged meanwhile: the error is next to the picker, in both languages', async () => {
    const windowed = { ...SAVED, window: { available: true, open: false } };
    installFakeCounter({
      getBoardSettings: () => ok(windowed),
      listDisplays: () => ok(DISPLAYS),
      openBoard: () => fail('VALIDATION', { fields: [{ field: 'displayId', code: 'display_unknown' }] }),
    });
    render(<BoardSettings />);
    const select = (await screen.findByTestId('board-displayId')) as HTMLSelectElement;
    await waitFor(() => expect(select.options).toHaveLength(3));
    fireEvent.change(select, { target: { value: '7' } });
    fireEvent.click(screen.getByTestId('board-open'));
    const e = await screen.findByTestId('error-displayId');
    expect(e.querySelector('[lang="en"]')?.textContent).toMatch(/not connected any more/);
    expect(e.querySelector('[lang="hi"]')?.textContent).toMatch(/जुड़ी नहीं/);
  });

  it('is in Hindi, with every control labelled', async () => {
    installFakeCounter({ getBoardSettings: () => ok(SAVED), listDisplays: () => ok([]) });
    render(<BoardSettings />);
    await waitFor(() => expect(input('noticeEn').value).toBe('Bring your photo ID'));
    act(() => setLang('hi'));
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('प्रतीक्षा कक्ष का बोर्ड');
    expect(screen.getByLabelText('सूचना हिन्दी में')).toBe(input('noticeHi'));
    expect(screen.getByTestId('board-noticeHi-count').textContent).toBe('120 में से 30 अक्षर');
    expect(screen.getByTestId('board-save').textContent).toBe('बोर्ड की सेटिंग सहेजें');
    for (const name of ['noticeEn', 'noticeHi', 'roomEn', 'roomHi', 'enabled', 'volume', 'repeat']) {
      const el = input(name);
      expect(el.labels?.length ?? 0, name).toBeGreaterThan(0);
    }
    expect(useCounter.getState().appState?.operator?.role).toBe('supervisor');
  });
});
