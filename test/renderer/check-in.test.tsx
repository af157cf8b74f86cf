// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { CheckIn } from '../../renderer/src/screens/CheckIn';
import { IssuedToken } from '../../renderer/src/components/IssuedToken';
import type { SearchHit } from '../../common/domain';
import type { Result } from '../../common/result';
import { fail, installFakeCounter, ok, ticket } from './fake-counter';
import { useRendererTestSetup } from './setup';

useRendererTestSetup();

function hit(refId: string, name: string, over: Partial<SearchHit> = {}): SearchHit {
  return {
    refId,
    name,
    gender: 'F',
    birthYear: 1960,
    mobileLast4: '4321',
    photoIdType: 'AADHAAR',
    photoIdLast4: '0124',
    dose: 1,
    slotTime: '10:30',
    matchedOn: 'name',
    ticket: null,
    ...over,
  };
}

const HITS = [hit('10000001111', 'Asha Kumari'), hit('10000002222', 'Asha Rani'), hit('10000003333', 'Ashok Kumar')];

const renderCheckIn = () =>
  render(
    <>
      <IssuedToken />
      <CheckIn active />
    </>,
  );

const search = () => screen.getByTestId('search-input') as HTMLInputElement;
const selectedRefId = () =>
  screen.getAllByTestId('search-hit').find((h) => h.getAttribute('aria-selected') === 'true')?.dataset.refId;

describe('check-in search', () => {
  it('moves the selection with the arrows and checks in the selected hit with Enter', async () => {
    const counter = installFakeCounter({
      searchRoster: () => ok(HITS),
      checkIn: (r: { refId: string }) => ok(ticket({ token: 'A-P001', refId: r.refId, name: 'Asha Rani' })),
    });
    renderCheckIn();
    fireEvent.change(search(), { target: { value: 'asha' } });
    await waitFor(() => expect(screen.getAllByTestId('search-hit')).toHaveLength(3));
    expect(selectedRefId()).toBe('10000001111');

    fireEvent.keyDown(search(), { key: 'ArrowDown' });
    fireEvent.keyDown(search(), { key: 'ArrowDown' });
    fireEvent.keyDown(search(), { key: 'ArrowDown' }); // stays on the last
    fireEvent.keyDown(search(), { key: 'ArrowUp' });
    expect(selectedRefId()).toBe('10000002222');
    expect(search().getAttribute('aria-activedescendant')).toBe('hit-1');

    fireEvent.keyDown(search(), { key: 'Enter' });
    const token = await screen.findByTestId('issued-token');
    expect(token.dataset.token).toBe('A-P001');
    expect(token.textContent).toBe('A-P001 — priority lane');
    expect(counter.checkIn).toHaveBeenCalledWith({ refId: '10000002222' });
    // cleared when the call returns to the screen, which may be just after the token shows
    await waitFor(() => expect(search().value).toBe(''));
    await waitFor(() => expect(document.activeElement).toBe(search()));
  });

  it('shows the results of the latest query even when an older answer arrives last', async () => {
    const pending = new Map<string, (r: Result<SearchHit[]>) => void>();
    installFakeCounter({
      searchRoster: (r: { query: string }) => new Promise((resolve) => pending.set(r.query, resolve)),
    });
    renderCheckIn();
    fireEvent.change(search(), { target: { value: 'ash' } });
    await waitFor(() => expect(pending.has('ash')).toBe(true));
    fireEvent.change(search(), { target: { value: 'ashok' } });
    await waitFor(() => expect(pending.has('ashok')).toBe(true));

    pending.get('ashok')!(ok([HITS[2]!]));
    await waitFor(() => expect(screen.getAllByTestId('search-hit')).toHaveLength(1));
    pending.get('ash')!(ok(HITS));
    await new Promise((r) => setTimeout(r, 50));
    expect(screen.getAllByTestId('search-hit').map((h) => h.dataset.refId)).toEqual(['10000003333']);
  });

  it('says which token a registrant already has when checked in twice', async () => {
    installFakeCounter({
      searchRoster: () => ok([hit('10000001111', 'Asha Kumari', { matchedOn: 'ref_id' })]),
      checkIn: () => fail('ALREADY_CHECKED_IN', { details: { token: 'A-P007', ticketId: 'x', status: 'waiting' } }),
    });
    renderCheckIn();
    fireEvent.change(search(), { target: { value: '10000001111' } });
    await screen.findByTestId('search-hit');
    fireEvent.keyDown(search(), { key: 'Enter' });
    const error = await screen.findByTestId('action-error');
    expect(error.textContent).toContain('A-P007');
    expect(error.closest('[aria-live]')).not.toBeNull();
  });

  it('checks in a whole reference ID typed and entered before the results caught up', async () => {
    const counter = installFakeCounter({
      searchRoster: (r: { query: string }) =>
        ok(r.query === '10000002222' ? [hit('10000002222', 'Asha Rani', { matchedOn: 'ref_id' })] : HITS),
      checkIn: () => ok(ticket({ token: 'A-P002' })),
    });
    renderCheckIn();
    fireEvent.change(search(), { target: { value: '10000002222' } });
    fireEvent.keyDown(search(), { key: 'Enter' }); // before the debounce fired
    await screen.findByTestId('issued-token');
    expect(counter.checkIn).toHaveBeenCalledWith({ refId: '10000002222' });
  });

  it('offers a provisional check-in for an unknown reference ID, with Ctrl+Enter', async () => {
    const counter = installFakeCounter({
      searchRoster: () => ok([]),
      checkInProvisional: () => ok(ticket({ token: 'A-W003', lane: 'walkin', source: 'provisional', verified: false })),
    });
    renderCheckIn();
    fireEvent.change(search(), { target: { value: 'abc123456' } });
    await screen.findByTestId('provisional-checkin');
    fireEvent.keyDown(search(), { key: 'Enter', ctrlKey: true });

    const dialog = await screen.findByTestId('provisional-dialog');
    expect((within(dialog).getByTestId('provisional-refId') as HTMLInputElement).value).toBe('ABC123456');
    await waitFor(() => expect(document.activeElement).toBe(within(dialog).getByTestId('provisional-name')));
    fireEvent.click(within(dialog).getByTestId('provisional-submit'));
    expect((await within(dialog).findByTestId('error-name')).dataset.code).toBe('required');
    expect(counter.checkInProvisional).not.toHaveBeenCalled();

    fireEvent.change(within(dialog).getByTestId('provisional-name'), { target: { value: 'Ram Prasad' } });
    fireEvent.click(within(dialog).getByTestId('provisional-submit'));
    await waitFor(() => expect(screen.queryByTestId('provisional-dialog')).toBeNull());
    expect(counter.checkInProvisional).toHaveBeenCalledWith({ refId: 'ABC123456', name: 'Ram Prasad' });
    expect(screen.getByTestId('issued-token').dataset.token).toBe('A-W003');
  });

  it('does not offer a provisional check-in for a name', async () => {
    installFakeCounter({ searchRoster: () => ok([]) });
    renderCheckIn();
    fireEvent.change(search(), { target: { value: 'ram prasad' } });
    await screen.findByTestId('search-empty');
    expect(screen.queryByTestId('provisional-checkin')).toBeNull();
  });
});
