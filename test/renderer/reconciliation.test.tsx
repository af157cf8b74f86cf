// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { App } from '../../renderer/src/App';
import { Reconciliation } from '../../renderer/src/screens/Reconciliation';
import { setLang } from '../../renderer/src/i18n';
import { APP_STATE, installFakeCounter, ok, queueView, reconciliationRow, reconciliationView } from './fake-counter';
import { useRendererTestSetup } from './setup';

useRendererTestSetup();

const VIEW = reconciliationView({
  rows: [
    reconciliationRow({ seq: 3, status: 'pending', token: 'A-P001', name: 'Ram Prasad', attempts: 2 }),
    reconciliationRow({
      seq: 4,
      status: 'rejected',
      kind: 'walkin.registered',
      token: 'A-W002',
      name: 'सुनीता देवी',
      code: 'invalid_mobile',
      reason: 'Mobile number is not valid',
      attempts: 1,
    }),
    reconciliationRow({
      seq: 6,
      status: 'dismissed',
      kind: 'checkin.created',
      token: 'A-P009',
      code: 'not_booked',
      reason: 'ref ID TEST000001 has no appointment',
      attempts: 1,
      dismissal: { at: '2026-11-25T06:00:00.000Z', by: 'super1', reason: 'test entry' },
    }),
    reconciliationRow({
      seq: 5,
      status: 'possible_duplicate',
      kind: 'walkin.registered',
      token: 'A-W003',
      duplicateOf: ['W-1001', 'W-1002'],
      acknowledgedAt: '2026-11-25T05:00:00.000Z',
    }),
  ],
  totals: { pending: 1, rejected: 1, dismissed: 1, possibleDuplicate: 1, acknowledged: 40 },
});

const set = (f: 'from' | 'to', value: string) => fireEvent.change(screen.getByTestId(`recon-${f}`), { target: { value } });

describe('reconciliation report', () => {
  it('shows today’s rows in words, with the totals', async () => {
    const counter = installFakeCounter({ getReconciliation: () => ok(VIEW) });
    render(<Reconciliation />);
    expect(counter.getReconciliation).toHaveBeenCalledWith({ from: '2026-11-25', to: '2026-11-25' });
    expect((screen.getByTestId('recon-from') as HTMLInputElement).value).toBe('2026-11-25');
    expect((screen.getByTestId('recon-to') as HTMLInputElement).value).toBe('2026-11-25');

    const rows = await screen.findAllByTestId('recon-row');
    expect(rows.map((r) => [r.dataset.status, r.dataset.token])).toEqual([
      ['pending', 'A-P001'],
      ['rejected', 'A-W002'],
      ['dismissed', 'A-P009'],
      ['possible_duplicate', 'A-W003'],
    ]);
    const cells = (r: HTMLElement) => [...r.querySelectorAll('td')].map((td) => td.textContent);
    expect(cells(rows[0]!)).toEqual([
      '2026-11-25',
      'Waiting to upload',
      'Check-in',
      'A-P001',
      'Ram Prasad',
      '—',
      '—',
      '—',
      expect.stringMatching(/09:30/),
      '—',
      '2',
      'A1',
      '—',
    ]);
    expect(cells(rows[1]!)).toEqual(
      expect.arrayContaining([
        'Refused by the portal',
        'Walk-in registration',
        'सुनीता देवी',
        'invalid_mobile',
        'Mobile number is not valid',
      ]),
    );
    expect(cells(rows[2]!)).toEqual(
      expect.arrayContaining(['Refused, dismissed by a supervisor', 'not_booked', 'super1: test entry']),
    );
    expect(cells(rows[3]!)).toEqual(
      expect.arrayContaining(['Possible duplicate', 'W-1001, W-1002', expect.stringMatching(/10:30/)]),
    );

    const totals = screen.getByTestId('recon-totals');
    expect(totals.dataset.pending).toBe('1');
    expect(totals.dataset.acknowledged).toBe('40');
    expect(totals.dataset.dismissed).toBe('1');
    expect(totals.textContent).toBe('Waiting to upload 1 · Refused 1 · Dismissed 1 · Possible duplicates 1 · Uploaded 40');
  });

  it('offers to close a past day with tickets never finished, after a second press, and reads the report again', async () => {
    let open = [{ day: '2026-11-24', count: 3 }];
    const counter = installFakeCounter({
      getReconciliation: () => ok(reconciliationView({ from: '2026-11-24', to: '2026-11-25', openTickets: open })),
      closeDay: (r: { day: string }) => {
        open = [];
        return ok({ day: r.day, closed: 3 });
      },
    });
    render(<Reconciliation />);
    const notice = await screen.findByTestId('recon-open-day');
    expect(notice.dataset.day).toBe('2026-11-24');
    expect(notice.textContent).toContain('2026-11-24: 3 tickets were never finished (still waiting or called).');
    fireEvent.click(within(notice).getByTestId('recon-close-day'));
    expect(counter.closeDay).not.toHaveBeenCalled();
    expect(notice.textContent).toContain('Cancel these 3 tickets as not finished by the end of the day?');
    await waitFor(() => expect(document.activeElement).toBe(within(notice).getByTestId('recon-close-confirm')));
    // the question is read with the focused button
    const confirm = within(notice).getByTestId('recon-close-confirm');
    expect(document.getElementById(confirm.getAttribute('aria-describedby')!)?.textContent).toContain('Cancel these 3');
    // "keep open" (or Esc) backs out without closing, the cursor back where it was
    fireEvent.click(within(notice).getByTestId('recon-close-keep'));
    expect(within(notice).queryByTestId('recon-close-confirm')).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(within(notice).getByTestId('recon-close-day')));
    fireEvent.click(within(notice).getByTestId('recon-close-day'));
    fireEvent.keyDown(within(notice).getByTestId('recon-close-confirm'), { key: 'Escape' });
    await waitFor(() => expect(document.activeElement).toBe(within(notice).getByTestId('recon-close-day')));
    expect(counter.closeDay).not.toHaveBeenCalled();
    fireEvent.click(within(notice).getByTestId('recon-close-day'));
    const readsBefore = counter.getReconciliation.mock.calls.length;
    fireEvent.click(within(notice).getByTestId('recon-close-confirm'));
    await waitFor(() => expect(counter.closeDay).toHaveBeenCalledWith({ day: '2026-11-24' }));
    await waitFor(() => expect(screen.queryByTestId('recon-open-day')).toBeNull());
    expect(screen.getByTestId('action-message').textContent).toBe('2026-11-24 closed: 3 tickets cancelled as not finished.');
    expect(document.activeElement).toBe(screen.getByText('Reconciliation report'));
    // the report of the same days is read again after the close (whenever that read lands)
    await waitFor(() =>
      expect(counter.getReconciliation.mock.calls.slice(readsBefore)).toContainEqual([{ from: '2026-11-24', to: '2026-11-25' }]),
    );
  });

  it('in Hindi', async () => {
    installFakeCounter({ getReconciliation: () => ok(VIEW) });
    act(() => setLang('hi'));
    render(<Reconciliation />);
    await screen.findAllByTestId('recon-row');
    expect(screen.getByText('मिलान रिपोर्ट')).toBeTruthy();
    expect(screen.getByTestId('recon-export').textContent).toBe('CSV निर्यात करें');
    expect(screen.getByTestId('recon-table').textContent).toContain('पोर्टल ने अस्वीकार किया');
    expect(screen.getByTestId('recon-table').textContent).toContain('अस्वीकृत, सुपरवाइज़र ने ख़ारिज किया');
  });

  it('checks the day range next to the field, in English and Hindi, before asking main', async () => {
    const counter = installFakeCounter({ getReconciliation: () => ok(reconciliationView()) });
    render(<Reconciliation />);
    await screen.findByTestId('recon-empty');
    counter.getReconciliation.mockClear();

    set('from', '2026-11-30');
    fireEvent.click(screen.getByTestId('recon-show'));
    let error = await screen.findByTestId('error-to');
    expect(error.dataset.code).toBe('range_order');
    expect(error.querySelector('[lang="en"]')?.textContent).toBe('The last day cannot be before the first day.');
    expect(error.querySelector('[lang="hi"]')?.textContent).toBe('अंतिम दिन पहले दिन से पहले नहीं हो सकता।');
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('recon-to')));

    set('from', '2026-01-01');
    fireEvent.click(screen.getByTestId('recon-show'));
    error = await screen.findByTestId('error-to');
    await waitFor(() => expect(screen.getByTestId('error-to').dataset.code).toBe('range_too_long'));
    expect(screen.getByTestId('error-to').querySelector('[lang="hi"]')?.textContent).toMatch(/92 दिन/);

    // a day that is not a date is the only problem said: no order or length guessed from it
    set('from', '2026-13-01');
    fireEvent.click(screen.getByTestId('recon-show'));
    await waitFor(() => expect(screen.getByTestId('error-from').dataset.code).toBe('date_format'));
    expect(screen.queryByTestId('error-to')).toBeNull();
    expect(screen.getByTestId('error-from').querySelector('[lang="hi"]')?.textContent).toMatch(/YYYY-MM-DD/);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('recon-from')));
    expect(counter.getReconciliation).not.toHaveBeenCalled();

    set('from', '2026-11-01');
    expect(screen.queryByTestId('error-from')).toBeNull();
    fireEvent.click(screen.getByTestId('recon-show'));
    await waitFor(() => expect(counter.getReconciliation).toHaveBeenCalledWith({ from: '2026-11-01', to: '2026-11-25' }));
  });

  describe('export', () => {
    let clicked: { href: string; download: string; blob: Blob | undefined }[] = [];
    let blobs: Map<string, Blob>;
    beforeEach(() => {
      clicked = [];
      blobs = new Map();
      let n = 0;
      URL.createObjectURL = vi.fn((blob: Blob) => {
        const url = `blob:test/${++n}`;
        blobs.set(url, blob);
        return url;
      });
      URL.revokeObjectURL = vi.fn();
      vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
        clicked.push({ href: this.href, download: this.download, blob: blobs.get(this.href) });
        expect(this.isConnected).toBe(true);
      });
    });
    afterEach(() => vi.restoreAllMocks());

    it('Export CSV downloads the file main makes, as UTF-8 with a byte-order mark', async () => {
      const csv = '\uFEFFday,status,name\r\n2026-11-25,rejected,सुनीता देवी\r\n';
      const counter = installFakeCounter({
        getReconciliation: () => ok(VIEW),
        exportReconciliation: () => ok({ fileName: 'reconciliation_UP-LKO-CHC-01_2026-11-20_2026-11-25.csv', csv }),
      });
      render(<Reconciliation />);
      await screen.findAllByTestId('recon-row');
      set('from', '2026-11-20');
      fireEvent.click(screen.getByTestId('recon-export'));

      await waitFor(() => expect(clicked).toHaveLength(1));
      expect(counter.exportReconciliation).toHaveBeenCalledWith({ from: '2026-11-20', to: '2026-11-25' });
      expect(clicked[0]!.download).toBe('reconciliation_UP-LKO-CHC-01_2026-11-20_2026-11-25.csv');
      const blob = clicked[0]!.blob!;
      expect(blob.type).toMatch(/^text\/csv/);
      const bytes = new Uint8Array(await blob.arrayBuffer());
      expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // one BOM, not two
      expect([...bytes.slice(3, 6)]).not.toEqual([0xef, 0xbb, 0xbf]);
      expect(new TextDecoder().decode(bytes)).toContain('सुनीता देवी');
      // the temporary link is gone again
      expect(document.querySelector('a[download]')).toBeNull();
      expect(screen.getByTestId('action-message').textContent).toContain(
        'reconciliation_UP-LKO-CHC-01_2026-11-20_2026-11-25.csv',
      );
    });

    it('a CSV without a byte-order mark gets one; a bad range exports nothing', async () => {
      const counter = installFakeCounter({
        getReconciliation: () => ok(reconciliationView()),
        exportReconciliation: () => ok({ fileName: 'r.csv', csv: 'day\r\n' }),
      });
      render(<Reconciliation />);
      await screen.findByTestId('recon-empty');
      set('to', '2026-11-2');
      fireEvent.click(screen.getByTestId('recon-export'));
      expect((await screen.findByTestId('error-to')).dataset.code).toBe('date_format');
      expect(counter.exportReconciliation).not.toHaveBeenCalled();

      set('to', '2026-11-25');
      fireEvent.click(screen.getByTestId('recon-export'));
      await waitFor(() => expect(clicked).toHaveLength(1));
      const bytes = new Uint8Array(await clicked[0]!.blob!.arrayBuffer());
      expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    });
  });

  it('is a supervisor tab; needs attention is there for every operator', async () => {
    const operator = { ...APP_STATE.operator!, role: 'operator' as const, loginId: 'operator' };
    installFakeCounter({ getAppState: () => ok({ ...APP_STATE, operator }), getQueue: () => ok(queueView()) });
    render(<App />);
    await screen.findByTestId('status-bar');
    expect(screen.queryByTestId('tab-reconciliation')).toBeNull();
    fireEvent.click(screen.getByTestId('tab-attention'));
    expect(within(await screen.findByTestId('attention-panel')).getByText('Records that need attention')).toBeTruthy();
  });

  it('the supervisor opens it from its tab', async () => {
    const counter = installFakeCounter({
      getAppState: () => ok(APP_STATE),
      getQueue: () => ok(queueView()),
      getReconciliation: () => ok(VIEW),
    });
    render(<App />);
    fireEvent.click(await screen.findByTestId('tab-reconciliation'));
    await screen.findAllByTestId('recon-row');
    expect(counter.getReconciliation).toHaveBeenCalledTimes(1);
  });
});
