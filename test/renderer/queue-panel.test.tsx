// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { QueuePanel } from '../../renderer/src/screens/QueuePanel';
import { useCounter } from '../../renderer/src/store';
import { installFakeCounter, ok, queueView, ticket } from './fake-counter';
import { useRendererTestSetup } from './setup';

useRendererTestSetup();

const p1 = ticket({ token: 'A-P001', name: 'Asha Kumari', queuedAt: '2026-11-25T04:00:00.000Z' });
const p2 = ticket({ token: 'A-P002', name: 'Ram Prasad', verified: false, source: 'provisional' });
const w1 = ticket({
  token: 'A-W001',
  lane: 'walkin',
  source: 'walkin',
  name: 'Sunita Devi',
  late: true,
  queuedAt: '2026-11-25T03:45:00.000Z',
});
const c1 = ticket({ token: 'A-P000', status: 'called', name: 'Called Person', dose: 2 });

const QUEUE = queueView({
  waiting: { priority: [p1, p2], walkin: [w1] },
  called: [c1],
  next: { ticketId: p1.id, token: p1.token, lane: 'priority', reason: 'priority_first' },
  oldestWaitMinutes: { priority: 10, walkin: 25 },
});

describe('queue panel', () => {
  it('shows both lanes with their waiting tokens, badges, and who is next and why', async () => {
    installFakeCounter({ getQueue: () => ok(QUEUE) });
    render(<QueuePanel />);
    const priority = await screen.findByTestId('lane-priority');
    const walkin = screen.getByTestId('lane-walkin');
    expect(
      within(priority)
        .getAllByTestId('waiting-ticket')
        .map((t) => t.dataset.token),
    ).toEqual(['A-P001', 'A-P002']);
    expect(within(priority).getByText('unverified')).toBeTruthy();
    expect(within(walkin).getByText('late')).toBeTruthy();
    expect(within(walkin).getAllByText('25 min', { exact: false }).length).toBeGreaterThan(0);
    const next = screen.getByTestId('next-ticket');
    expect(next.dataset.token).toBe('A-P001');
    expect(next.textContent).toContain('priority lane goes first');
  });

  it('calls next with F4 and says whom it called', async () => {
    const counter = installFakeCounter({
      getQueue: () => ok(QUEUE),
      callNext: () => ok({ ...p1, status: 'called' }),
    });
    render(<QueuePanel />);
    await screen.findByTestId('lane-priority');
    fireEvent.keyDown(window, { key: 'F4' });
    await waitFor(() => expect(counter.callNext).toHaveBeenCalledTimes(1));
    expect((await screen.findByTestId('queue-message')).textContent).toBe('Calling A-P001');
  });

  it('recalls the latest called ticket with R, but not while typing', async () => {
    const counter = installFakeCounter({ getQueue: () => ok(QUEUE), recallTicket: () => ok({ ...c1, recallCount: 1 }) });
    render(
      <>
        <input data-testid="somewhere" />
        <QueuePanel />
      </>,
    );
    await screen.findByTestId('called-ticket');
    fireEvent.keyDown(screen.getByTestId('somewhere'), { key: 'r' });
    expect(counter.recallTicket).not.toHaveBeenCalled();
    fireEvent.keyDown(document.body, { key: 'r' });
    await waitFor(() => expect(counter.recallTicket).toHaveBeenCalledWith({ ticketId: c1.id }));
  });

  it('serves with vaccine, lot and the ticket dose; a bad lot number is shown next to it in both languages', async () => {
    const counter = installFakeCounter({ getQueue: () => ok(QUEUE), serveTicket: () => ok({ ...c1, status: 'served' }) });
    render(<QueuePanel />);
    fireEvent.click(await screen.findByTestId('serve-button'));
    const dialog = await screen.findByTestId('serve-dialog');
    expect((within(dialog).getByTestId('serve-dose') as HTMLSelectElement).value).toBe('2');
    expect((within(dialog).getByTestId('serve-vaccine') as HTMLSelectElement).value).toBe('COVISHIELD');

    fireEvent.change(within(dialog).getByTestId('serve-lot'), { target: { value: 'x' } });
    fireEvent.click(within(dialog).getByTestId('serve-submit'));
    const error = await within(dialog).findByTestId('error-lotNumber');
    expect(error.querySelector('[lang="en"]')?.textContent).toMatch(/Lot number/);
    expect(error.querySelector('[lang="hi"]')?.textContent).toMatch(/लॉट नंबर/);
    expect(counter.serveTicket).not.toHaveBeenCalled();

    fireEvent.change(within(dialog).getByTestId('serve-lot'), { target: { value: '4121z005' } });
    fireEvent.click(within(dialog).getByTestId('serve-submit'));
    await waitFor(() => expect(screen.queryByTestId('serve-dialog')).toBeNull());
    expect(counter.serveTicket).toHaveBeenCalledWith({ ticketId: c1.id, vaccine: 'COVISHIELD', lotNumber: '4121Z005', dose: 2 });
    // the next serve starts from the same vial
    expect(useCounter.getState().lastServe).toEqual({ vaccine: 'COVISHIELD', lotNumber: '4121Z005' });
  });

  it('marks each ticket with its upload state: words for anything not uploaded, a quiet tick otherwise', async () => {
    const served = ticket({ token: 'A-P009', status: 'served', name: 'Served Person' });
    installFakeCounter({
      getQueue: () =>
        ok({
          ...QUEUE,
          recent: [served],
          uploads: {
            [p1.id]: 'uploaded',
            [p2.id]: 'waiting',
            [w1.id]: 'attention',
            [c1.id]: 'uploaded',
            [served.id]: 'dismissed',
          },
        }),
    });
    render(<QueuePanel />);
    await screen.findByTestId('lane-priority');
    const mark = (testId: string, token: string) =>
      within(screen.getAllByTestId(testId).find((el) => el.dataset.token === token)!).getByTestId('upload-mark');
    expect(mark('waiting-ticket', 'A-P001').dataset.state).toBe('uploaded');
    expect(mark('waiting-ticket', 'A-P001').querySelector('.visually-hidden')?.textContent).toBe(' uploaded');
    expect(mark('waiting-ticket', 'A-P002').textContent).toBe('↑ not uploaded yet');
    expect(mark('waiting-ticket', 'A-W001').textContent).toBe('! refused by the portal');
    expect(mark('called-ticket', 'A-P000').dataset.state).toBe('uploaded');
    expect(mark('recent-ticket', 'A-P009').textContent).toBe('– not uploaded (dismissed)');
    // each state its own shape, so it reads without colour
    const shapes = new Set(screen.getAllByTestId('upload-mark').map((m) => m.querySelector('[aria-hidden]')!.textContent));
    expect(shapes.size).toBe(4);
  });

  // also how the upload marks follow the outbox: main says `changed` when the worker has recorded an answer
  it('refreshes the queue when the counter says something changed', async () => {
    const counter = installFakeCounter({ getQueue: () => ok(QUEUE) });
    render(<QueuePanel />);
    await screen.findByTestId('lane-priority');
    const before = counter.getQueue.mock.calls.length;
    counter.getAppState.mockImplementation(async () => ok(useCounter.getState().appState));
    useCounter.getState().handleEvent({ type: 'changed', method: 'checkIn' });
    await waitFor(() => expect(counter.getQueue.mock.calls.length).toBeGreaterThan(before));
  });

  it('a long lane draws its first ten and a count of the rest; "show all" draws only the rows in view', async () => {
    const many = Array.from({ length: 1000 }, (_, i) =>
      ticket({ token: `A-W${String(i + 1).padStart(4, '0')}`, lane: 'walkin', source: 'walkin', name: `Walk-in ${i + 1}` }),
    );
    installFakeCounter({
      getQueue: () => ok({ ...QUEUE, waiting: { priority: [p1], walkin: many }, oldestWaitMinutes: { priority: 1, walkin: 90 } }),
    });
    render(<QueuePanel />);
    const lane = await screen.findByTestId('lane-walkin');
    await waitFor(() => expect(within(lane).getAllByTestId('waiting-ticket')).toHaveLength(10));
    expect(within(lane).getByTestId('lane-count').dataset.count).toBe('1000');
    expect(within(lane).getByTestId('lane-more').textContent).toContain('990 more');

    fireEvent.click(within(lane).getByTestId('lane-show-all'));
    const box = within(lane).getByTestId('lane-all');
    const drawn = () => within(box).getAllByTestId('waiting-ticket');
    // the rows in view and a few around them, not a thousand
    expect(drawn().length).toBeLessThanOrEqual(30);
    expect(drawn()[0]!.dataset.token).toBe('A-W0001');
    expect(drawn()[0]!.getAttribute('aria-setsize')).toBe('1000');
    // scrolled to the end: the last ones are drawn, the first ones are not
    box.scrollTop = 999 * 36;
    fireEvent.scroll(box);
    await waitFor(() => expect(drawn().at(-1)!.dataset.token).toBe('A-W1000'));
    expect(drawn().some((r) => r.dataset.token === 'A-W0001')).toBe(false);
    expect(drawn().length).toBeLessThanOrEqual(30);
    // a row opened in the box shows its actions under it
    fireEvent.click(within(drawn().at(-1)!).getByRole('button'));
    expect(within(lane).getByTestId('lane-selected').dataset.token).toBe('A-W1000');
    expect(within(within(lane).getByTestId('lane-selected')).getByTestId('call-this-token')).toBeTruthy();

    fireEvent.click(within(lane).getByTestId('lane-show-all'));
    await waitFor(() => expect(within(lane).getAllByTestId('waiting-ticket')).toHaveLength(10));
  });

  it('reads only the head of each lane with the counts; all of a lane only while the operator shows it all', async () => {
    const head = Array.from({ length: 50 }, (_, i) =>
      ticket({ token: `A-W${String(i + 1).padStart(4, '0')}`, lane: 'walkin', source: 'walkin' }),
    );
    const counter = installFakeCounter({
      getQueue: (r: { waitingLimit?: number }) =>
        ok({
          ...QUEUE,
          waiting: { priority: [p1], walkin: r.waitingLimit ? head.slice(0, r.waitingLimit) : head },
          waitingCount: { priority: 1, walkin: 1000 },
        }),
    });
    render(<QueuePanel />);
    const lane = await screen.findByTestId('lane-walkin');
    await waitFor(() => expect(within(lane).getByTestId('lane-count').dataset.count).toBe('1000'));
    expect(counter.getQueue).toHaveBeenLastCalledWith({ waitingLimit: 50 });
    expect(within(lane).getByTestId('lane-more').textContent).toContain('990 more');
    expect(within(lane).getByTestId('lane-show-all').textContent).toContain('Show all 1000');

    fireEvent.click(within(lane).getByTestId('lane-show-all'));
    await waitFor(() => expect(counter.getQueue).toHaveBeenLastCalledWith({}));
    fireEvent.click(within(lane).getByTestId('lane-show-all'));
    await waitFor(() => expect(counter.getQueue).toHaveBeenLastCalledWith({ waitingLimit: 50 }));
  });
});
