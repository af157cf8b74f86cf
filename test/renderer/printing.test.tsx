// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { PrintJobView, PrintingSettings } from '../../common/domain';
import { IssuedToken } from '../../renderer/src/components/IssuedToken';
import { StatusBar } from '../../renderer/src/components/StatusBar';
import { setLang } from '../../renderer/src/i18n';
import { slipProblems, type PrintJobs } from '../../renderer/src/printing';
import { QueuePanel } from '../../renderer/src/screens/QueuePanel';
import { useCounter } from '../../renderer/src/store';
import { APP_STATE, fail, installFakeCounter, jobMoved, ok, printJob, queueView, ticket, type FakeCounter } from './fake-counter';
import { useRendererTestSetup } from './setup';

useRendererTestSetup();

/** What App does on start: main's events go to the store. */
function install(...args: Parameters<typeof installFakeCounter>): FakeCounter {
  const counter = installFakeCounter(...args);
  counter.onEvent((e) => useCounter.getState().handleEvent(e));
  return counter;
}

const withPrinting = (over: Partial<PrintingSettings>) =>
  useCounter.setState({ appState: { ...APP_STATE, printing: { ...APP_STATE.printing!, ...over } } });

const ctrlP = (target: Window | Element = window) => fireEvent.keyDown(target, { key: 'p', ctrlKey: true });

const emitJob = (counter: FakeCounter, job: PrintJobView) => act(() => counter.emit({ type: 'print', job }));

const byId = (...jobs: PrintJobView[]): PrintJobs => Object.fromEntries(jobs.map((j) => [j.id, j]));

describe('slip of the token just issued', () => {
  it('follows the print events: printing, then the failure in words, then a reprint with Ctrl+P', async () => {
    const issued = ticket({ token: 'A-P101', name: 'Asha Kumari' });
    let reprint: PrintJobView | null = null;
    const counter = install({
      printSlip: () => {
        reprint = printJob({ ticketId: issued.id, token: issued.token, kind: 'reprint' });
        return ok(reprint);
      },
    });
    counter.getAppState.mockImplementation(async () => ok(useCounter.getState().appState));
    useCounter.setState({ issued });
    render(<IssuedToken />);
    const status = () => screen.getByTestId('slip-status');
    // the automatic slip is on its way before the ticket comes back
    expect(status().dataset.status).toBe('pending');
    expect(screen.queryByTestId('slip-reprint')).toBeNull();

    const job = printJob({ ticketId: issued.id, token: issued.token });
    emitJob(counter, job);
    expect(status().dataset.status).toBe('queued');
    emitJob(counter, jobMoved(job, 'printing'));
    expect(status().dataset.status).toBe('printing');
    expect(status().textContent).toBe('Printing the slip…');
    // Ctrl+P while it prints: no second slip, and no browser print dialog either
    expect(ctrlP()).toBe(false);
    expect(counter.printSlip).not.toHaveBeenCalled();

    emitJob(counter, jobMoved(job, 'failed', 'printer_timeout'));
    expect(status().dataset.status).toBe('failed');
    expect(status().dataset.code).toBe('printer_timeout');
    expect(status().textContent).toContain('The printer did not finish in time');
    expect(status().textContent).toContain('The token is valid.');
    expect(screen.getByTestId('slip-reprint').textContent).toContain('Reprint slip');

    expect(ctrlP()).toBe(false);
    await waitFor(() => expect(counter.printSlip).toHaveBeenCalledWith({ ticketId: issued.id }));
    await waitFor(() => expect(status().dataset.status).toBe('queued'));
    emitJob(counter, jobMoved(reprint!, 'printed'));
    expect(status().dataset.status).toBe('printed');
    expect(status().textContent).toBe('Slip reprinted.');
    expect(counter.printSlip).toHaveBeenCalledTimes(1);
  });

  it('in Hindi, says why the slip failed in Hindi', () => {
    const issued = ticket();
    const counter = install();
    useCounter.setState({ issued });
    setLang('hi');
    render(<IssuedToken />);
    emitJob(counter, printJob({ ticketId: issued.id, token: issued.token, status: 'failed', errorCode: 'paper_out' }));
    expect(screen.getByTestId('slip-status').textContent).toContain('काग़ज़ ख़त्म');
    expect(screen.getByTestId('slip-reprint').textContent).toContain('पर्ची दोबारा छापें');
  });

  it('offers "Print slip (Ctrl+P)" when printing is not automatic', async () => {
    const issued = ticket();
    const counter = install({ printSlip: () => ok(printJob({ ticketId: issued.id, token: issued.token })) });
    counter.getAppState.mockImplementation(async () => ok(useCounter.getState().appState));
    withPrinting({ autoPrint: false });
    useCounter.setState({ issued });
    render(<IssuedToken />);
    expect(screen.getByTestId('slip-status').dataset.status).toBe('none');
    const button = screen.getByTestId('slip-reprint');
    expect(button.textContent).toContain('Print slip');
    expect(button.textContent).toContain('Ctrl+P');
    fireEvent.click(button);
    await waitFor(() => expect(counter.printSlip).toHaveBeenCalledWith({ ticketId: issued.id }));
    await waitFor(() => expect(screen.getByTestId('slip-status').dataset.status).toBe('queued'));
  });

  it('without a printer: a quiet note, and Ctrl+P neither prints nor opens the print dialog', () => {
    const counter = install();
    withPrinting({ printer: { kind: 'none' } });
    useCounter.setState({ issued: ticket() });
    render(<IssuedToken />);
    expect(screen.getByTestId('slip-status').dataset.status).toBe('no-printer');
    expect(screen.queryByTestId('slip-reprint')).toBeNull();
    expect(ctrlP()).toBe(false);
    expect(counter.printSlip).not.toHaveBeenCalled();
  });

  it('shows why the counter refused a reprint', async () => {
    const issued = ticket();
    const counter = install({
      printSlip: () => fail('VALIDATION', { fields: [{ field: 'printer', code: 'printer_not_configured' }] }),
    });
    useCounter.setState({ issued });
    render(<IssuedToken />);
    emitJob(counter, printJob({ ticketId: issued.id, token: issued.token, status: 'failed', errorCode: 'printer_unreachable' }));
    fireEvent.click(screen.getByTestId('slip-reprint'));
    expect((await screen.findByTestId('slip-error')).textContent).toBe('No slip printer is set up (Printer tab, supervisor).');
  });
});

describe('slip problems of the day', () => {
  it('a ticket stays a problem until a later slip for it printed', () => {
    const a = ticket();
    const b = ticket();
    const aFailed = printJob({ ticketId: a.id, token: a.token, status: 'failed', errorCode: 'paper_out' });
    const aReprinted = printJob({ ticketId: a.id, token: a.token, kind: 'reprint', status: 'printed' });
    const bPrinted = printJob({ ticketId: b.id, token: b.token, status: 'printed' });
    const bFailed = printJob({ ticketId: b.id, token: b.token, kind: 'reprint', status: 'failed', errorCode: 'printer_offline' });
    const bRetry = printJob({ ticketId: b.id, token: b.token, kind: 'reprint', status: 'printing' });
    const testFailed = printJob({ kind: 'test', status: 'failed', errorCode: 'printer_unreachable' });

    expect(slipProblems(byId(aFailed, testFailed)).map((p) => p.token)).toEqual([a.token]);
    expect(slipProblems(byId(aFailed, aReprinted))).toEqual([]);
    // a printed slip before the failure does not settle it
    expect(slipProblems(byId(bPrinted, bFailed)).map((p) => p.failed.errorCode)).toEqual(['printer_offline']);
    // a reprint on its way keeps it listed, as "reprinting"
    const [p] = slipProblems(byId(bPrinted, bFailed, bRetry));
    expect(p?.latest.status).toBe('printing');
    expect(p?.failed.id).toBe(bFailed.id);
  });

  it('counts the failures in the status bar, lists them, and a reprint that prints clears one', async () => {
    const a = ticket({ token: 'A-P007' });
    const b = ticket({ token: 'A-W002', lane: 'walkin' });
    let jobs: PrintJobView[] = [
      printJob({ ticketId: a.id, token: a.token, status: 'failed', errorCode: 'printer_unreachable' }),
      printJob({ ticketId: b.id, token: b.token, status: 'failed', errorCode: 'paper_out' }),
      printJob({ ticketId: b.id, token: b.token, kind: 'reprint', status: 'printed' }),
    ];
    const listed = (failedOnly: boolean) => jobs.filter((j) => !failedOnly || j.status === 'failed');
    let reprint: PrintJobView | null = null;
    const counter = install({
      listPrintJobs: (r: { failedOnly?: boolean }) => ok(listed(Boolean(r.failedOnly))),
      printSlip: (r: { ticketId: string }) => {
        reprint = printJob({ ticketId: r.ticketId, token: a.token, kind: 'reprint' });
        jobs = [...jobs, reprint];
        return ok(reprint);
      },
    });
    counter.getAppState.mockImplementation(async () => ok(useCounter.getState().appState));
    render(<StatusBar />);
    await act(() => useCounter.getState().refreshPrintJobs());
    // b's slip printed after its failure: only a is a problem
    const badge = await screen.findByTestId('slip-problems');
    expect(badge.dataset.count).toBe('1');
    expect(badge.textContent).toBe('Slip problems: 1');

    fireEvent.click(badge);
    const panel = screen.getByTestId('slip-problems-panel');
    const items = within(panel).getAllByTestId('slip-problem');
    expect(items.map((i) => [i.dataset.token, i.dataset.code])).toEqual([['A-P007', 'printer_unreachable']]);
    expect(items[0]!.textContent).toContain('The printer cannot be reached');
    const button = within(items[0]!).getByTestId('slip-problem-reprint');
    await waitFor(() => expect(document.activeElement).toBe(button));

    fireEvent.click(button);
    await waitFor(() => expect(counter.printSlip).toHaveBeenCalledWith({ ticketId: a.id }));
    await waitFor(() => expect(within(panel).getByTestId('slip-problem').dataset.status).toBe('queued'));
    expect(within(panel).getByTestId('slip-problem-reprint').hasAttribute('disabled')).toBe(true);

    jobs = jobs.map((j) => (j.id === reprint!.id ? jobMoved(j, 'printed') : j));
    emitJob(counter, jobMoved(reprint!, 'printed'));
    await waitFor(() => expect(within(panel).queryByTestId('slip-problem')).toBeNull());
    expect(screen.getByTestId('slip-problems').dataset.count).toBe('0');
    expect(panel.textContent).toContain('No slip problems left.');

    fireEvent.keyDown(panel, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('slip-problems')).toBeNull());
  });

  it('a failure reported live shows up without a reload', async () => {
    const counter = install();
    render(<StatusBar />);
    expect(screen.queryByTestId('slip-problems')).toBeNull();
    const t1 = ticket();
    emitJob(counter, printJob({ ticketId: t1.id, token: t1.token, status: 'failed', errorCode: 'printer_disconnected' }));
    expect((await screen.findByTestId('slip-problems')).dataset.count).toBe('1');
  });
});

describe('slips from the queue', () => {
  const waiting = ticket({ token: 'A-P020' });
  const called = ticket({ token: 'A-P019', status: 'called' });
  const QUEUE = queueView({
    waiting: { priority: [waiting], walkin: [] },
    called: [called],
    next: { ticketId: waiting.id, token: waiting.token, lane: 'priority', reason: 'priority_first' },
  });

  it('reprints the latest called ticket’s slip with P, and a waiting ticket’s from its actions', async () => {
    const counter = install({
      getQueue: () => ok(QUEUE),
      printSlip: (r: { ticketId: string }) => ok(printJob({ ticketId: r.ticketId, kind: 'reprint' })),
    });
    counter.getAppState.mockImplementation(async () => ok(useCounter.getState().appState));
    render(
      <>
        <input data-testid="somewhere" />
        <QueuePanel />
      </>,
    );
    await screen.findByTestId('called-ticket');
    fireEvent.keyDown(screen.getByTestId('somewhere'), { key: 'p' });
    expect(counter.printSlip).not.toHaveBeenCalled();
    fireEvent.keyDown(document.body, { key: 'p' });
    await waitFor(() => expect(counter.printSlip).toHaveBeenCalledWith({ ticketId: called.id }));
    expect((await screen.findByTestId('queue-message')).textContent).toBe('Slip for A-P019 sent to the printer');

    const row = screen.getByTestId('waiting-ticket');
    fireEvent.click(within(row).getByRole('button', { expanded: false }));
    fireEvent.click(within(row).getByTestId('slip-button'));
    await waitFor(() => expect(counter.printSlip).toHaveBeenCalledWith({ ticketId: waiting.id }));
  });

  it('marks a ticket whose slip failed, and has no slip buttons without a printer', async () => {
    const counter = install({ getQueue: () => ok(QUEUE) });
    render(<QueuePanel />);
    const calledRow = await screen.findByTestId('called-ticket');
    emitJob(counter, printJob({ ticketId: called.id, token: called.token, status: 'failed', errorCode: 'paper_out' }));
    expect(within(calledRow).getByTestId('slip-badge').textContent).toBe('slip not printed');
    expect(within(calledRow).getByTestId('slip-button').textContent).toContain('Reprint slip');

    act(() => withPrinting({ printer: { kind: 'none' } }));
    expect(within(calledRow).queryByTestId('slip-button')).toBeNull();
    fireEvent.keyDown(document.body, { key: 'p' });
    expect(counter.printSlip).not.toHaveBeenCalled();
  });
});
