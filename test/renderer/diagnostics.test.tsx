// @vitest-environment jsdom
// The supervisor's "Save diagnostics" button: on the App and IT tab beside the app's updates,
// saves the JSON main makes as a file (as the reconciliation CSV is saved), says where, in
// English and Hindi; a refusal is shown; an operator has no such button.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { App } from '../../renderer/src/App';
import { setLang } from '../../renderer/src/i18n';
import { Diagnostics } from '../../renderer/src/screens/Diagnostics';
import { APP_STATE, fail, installFakeCounter, ok, queueView } from './fake-counter';
import { useRendererTestSetup } from './setup';

useRendererTestSetup();

const BUNDLE = {
  fileName: 'counter-diagnostics-UP-LKO-CHC-01-A1-2026-11-25T043000Z.json',
  json: '{\n  "format": "registration-counter-diagnostics"\n}\n',
};

let clicked: { download: string; blob: Blob | undefined }[] = [];
beforeEach(() => {
  clicked = [];
  const blobs = new Map<string, Blob>();
  let n = 0;
  URL.createObjectURL = vi.fn((blob: Blob) => {
    const url = `blob:test/${++n}`;
    blobs.set(url, blob);
    return url;
  });
  URL.revokeObjectURL = vi.fn();
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    clicked.push({ download: this.download, blob: blobs.get(this.href) });
  });
});
afterEach(() => vi.restoreAllMocks());

describe('save diagnostics (supervisor)', () => {
  it('sits on the supervisor’s App and IT tab', async () => {
    installFakeCounter({ getAppState: () => ok(APP_STATE), getQueue: () => ok(queueView()) });
    render(<App />);
    fireEvent.click(await screen.findByTestId('tab-device'));
    expect(await screen.findByRole('heading', { name: 'Diagnostics for IT' })).toBeTruthy();
    expect(screen.getByTestId('diagnostics-save').textContent).toBe('Save diagnostics');
  });

  it('saves the file main makes, as JSON under its name, and says so', async () => {
    const counter = installFakeCounter({ saveDiagnostics: () => ok(BUNDLE) });
    render(<Diagnostics />);
    fireEvent.click(screen.getByTestId('diagnostics-save'));
    await waitFor(() => expect(clicked).toHaveLength(1));
    expect(counter.saveDiagnostics).toHaveBeenCalledTimes(1);
    expect(counter.saveDiagnostics).toHaveBeenCalledWith({});
    expect(clicked[0]!.download).toBe(BUNDLE.fileName);
    expect(clicked[0]!.blob!.type).toMatch(/^application\/json/);
    expect(await clicked[0]!.blob!.text()).toBe(BUNDLE.json);
    expect(document.querySelector('a[download]')).toBeNull();
    expect(screen.getByTestId('diagnostics-message').textContent).toBe(`Saved as ${BUNDLE.fileName}. Send this file to IT.`);
  });

  it('in Hindi too', async () => {
    setLang('hi');
    installFakeCounter({ saveDiagnostics: () => ok(BUNDLE) });
    render(<Diagnostics />);
    expect(screen.getByRole('heading').textContent).toBe('IT के लिए जाँच जानकारी');
    fireEvent.click(screen.getByTestId('diagnostics-save'));
    await waitFor(() => expect(screen.getByTestId('diagnostics-message').textContent).toContain('यह फ़ाइल IT को भेजें'));
  });

  it('a refusal (not a supervisor) is shown and nothing is saved', async () => {
    installFakeCounter({ saveDiagnostics: () => fail('FORBIDDEN', { message: 'saveDiagnostics needs a supervisor' }) });
    render(<Diagnostics />);
    fireEvent.click(screen.getByTestId('diagnostics-save'));
    const error = await screen.findByTestId('diagnostics-error');
    expect(error.dataset.code).toBe('FORBIDDEN');
    expect(clicked).toHaveLength(0);
  });

  it('an operator has no App and IT tab, so no button', async () => {
    const operator = { ...APP_STATE.operator!, role: 'operator' as const, loginId: 'operator' };
    installFakeCounter({ getAppState: () => ok({ ...APP_STATE, operator }), getQueue: () => ok(queueView()) });
    render(<App />);
    await screen.findByTestId('status-bar');
    expect(screen.queryByTestId('tab-device')).toBeNull();
    expect(screen.queryByTestId('diagnostics-save')).toBeNull();
  });
});
