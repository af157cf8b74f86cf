// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { WalkIn } from '../../renderer/src/screens/WalkIn';
import { IssuedToken } from '../../renderer/src/components/IssuedToken';
import { setLang } from '../../renderer/src/i18n';
import { useCounter } from '../../renderer/src/store';
import type { DuplicateCandidate } from '../../common/domain';
import { fail, installFakeCounter, ok, ticket } from './fake-counter';
import { useRendererTestSetup } from './setup';

useRendererTestSetup();

const VALID_AADHAAR = '234567890124';

function fill(values: Partial<Record<'name' | 'gender' | 'birthYear' | 'mobile' | 'photoIdNumber', string>>) {
  for (const [field, value] of Object.entries(values)) {
    fireEvent.change(screen.getByTestId(`walkin-${field}`), { target: { value } });
  }
}

function fillValid() {
  fill({ name: 'Sunita Devi', gender: 'F', birthYear: '1960', mobile: '98765 43210', photoIdNumber: VALID_AADHAAR });
}

const renderWalkIn = () =>
  render(
    <>
      <IssuedToken />
      <WalkIn active />
    </>,
  );

describe('walk-in form', () => {
  it('shows a bad Aadhaar next to its field in English and Hindi when the field is left', () => {
    installFakeCounter();
    renderWalkIn();
    fill({ photoIdNumber: '2345 6789 0123' });
    fireEvent.blur(screen.getByTestId('walkin-photoIdNumber'));

    const error = screen.getByTestId('error-photoIdNumber');
    expect(error.querySelector('[lang="en"]')?.textContent).toMatch(/not a valid Aadhaar/);
    expect(error.querySelector('[lang="hi"]')?.textContent).toMatch(/आधार/);
    const input = screen.getByTestId('walkin-photoIdNumber');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toContain(error.id);
  });

  it('shows both languages even when the screen is in Hindi', () => {
    installFakeCounter();
    act(() => setLang('hi'));
    renderWalkIn();
    fill({ mobile: '12345' });
    fireEvent.blur(screen.getByTestId('walkin-mobile'));
    const error = screen.getByTestId('error-mobile');
    expect(error.querySelector('[lang="en"]')?.textContent).toMatch(/10-digit Indian mobile/);
    expect(error.querySelector('[lang="hi"]')?.textContent).toMatch(/मोबाइल/);
  });

  it('on submit focuses the first invalid field and asks the counter nothing', async () => {
    const counter = installFakeCounter();
    renderWalkIn();
    fill({ name: 'Sunita Devi', gender: 'F', birthYear: '1960', mobile: '9876543210', photoIdNumber: '234567890123' });
    fireEvent.click(screen.getByTestId('walkin-submit'));

    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('walkin-photoIdNumber')));
    expect(screen.getByTestId('error-photoIdNumber').dataset.code).toBe('aadhaar_checksum');
    expect(counter.previewWalkIn).not.toHaveBeenCalled();
  });

  it('reports every missing field next to it, starting the focus at the name', async () => {
    installFakeCounter();
    renderWalkIn();
    fireEvent.click(screen.getByTestId('walkin-submit'));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('walkin-name')));
    for (const f of ['name', 'gender', 'birthYear', 'mobile', 'photoIdNumber']) {
      expect(screen.getByTestId(`error-${f}`).dataset.code).toBe('required');
    }
  });

  it('registers once per form fill: a retry keeps the submission ID, the next person gets a new one', async () => {
    const issued = ticket({ token: 'A-W001', lane: 'walkin', source: 'walkin', name: 'Sunita Devi' });
    let attempts = 0;
    const counter = installFakeCounter({
      previewWalkIn: () => ok({ duplicates: [], eligibility: { eligible: true, age: 66, reason: null, phase: '18+' } }),
      registerWalkIn: () => (++attempts === 1 ? fail('BUSY') : ok(issued)),
    });
    renderWalkIn();
    fillValid();
    fireEvent.click(screen.getByTestId('walkin-submit'));
    await screen.findByTestId('action-error');
    fireEvent.click(screen.getByTestId('walkin-submit'));
    await screen.findByTestId('issued-token');

    const calls = counter.registerWalkIn.mock.calls.map(
      ([r]) => r as { submissionId: string; acknowledgedDuplicates: string[]; form: { mobile: string } },
    );
    expect(calls).toHaveLength(2);
    expect(calls[0]!.submissionId).toBe(calls[1]!.submissionId);
    expect(calls[0]!.acknowledgedDuplicates).toEqual([]);
    expect(calls[0]!.form.mobile).toBe('9876543210');
    expect(screen.getByTestId('issued-token').dataset.token).toBe('A-W001');
    // the token shows as soon as the store has it; the form is cleared when the call returns to it
    await waitFor(() => expect((screen.getByTestId('walkin-name') as HTMLInputElement).value).toBe(''));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('walkin-name')));

    fillValid();
    fireEvent.click(screen.getByTestId('walkin-submit'));
    await waitFor(() => expect(counter.registerWalkIn).toHaveBeenCalledTimes(3));
    const third = counter.registerWalkIn.mock.calls[2]![0] as { submissionId: string };
    expect(third.submissionId).not.toBe(calls[0]!.submissionId);
  });

  it('checks a complete form as the operator leaves a field, so that Enter waits only for the registration', async () => {
    const issued = ticket({ token: 'A-W002', lane: 'walkin', source: 'walkin', name: 'Sunita Devi' });
    const counter = installFakeCounter({
      previewWalkIn: () => ok({ duplicates: [], eligibility: { eligible: true, age: 66, reason: null, phase: '18+' } }),
      registerWalkIn: () => ok(issued),
    });
    renderWalkIn();
    fill({ name: 'Sunita Devi', gender: 'F', birthYear: '1960', mobile: '98765 43210' });
    // an incomplete form is not checked
    fireEvent.blur(screen.getByTestId('walkin-mobile'));
    expect(counter.previewWalkIn).not.toHaveBeenCalled();
    fill({ photoIdNumber: VALID_AADHAAR });
    fireEvent.blur(screen.getByTestId('walkin-photoIdNumber'));
    await waitFor(() => expect(counter.previewWalkIn).toHaveBeenCalledTimes(1));
    const checked = counter.previewWalkIn.mock.calls[0]![0] as { submissionId: string };

    fireEvent.click(screen.getByTestId('walkin-submit'));
    await screen.findByTestId('issued-token');
    expect(counter.previewWalkIn).toHaveBeenCalledTimes(1);
    expect((counter.registerWalkIn.mock.calls[0]![0] as { submissionId: string }).submissionId).toBe(checked.submissionId);

    // the next person: a form edited after its check is checked again on Enter
    await waitFor(() => expect((screen.getByTestId('walkin-name') as HTMLInputElement).value).toBe(''));
    fillValid();
    fireEvent.blur(screen.getByTestId('walkin-photoIdNumber'));
    await waitFor(() => expect(counter.previewWalkIn).toHaveBeenCalledTimes(2));
    fill({ name: 'Sunita Devi Sharma' });
    fireEvent.click(screen.getByTestId('walkin-submit'));
    await waitFor(() => expect(counter.registerWalkIn).toHaveBeenCalledTimes(2));
    expect(counter.previewWalkIn).toHaveBeenCalledTimes(3);
    expect((counter.previewWalkIn.mock.calls[2]![0] as { form: { name: string } }).form.name).toBe('Sunita Devi Sharma');
  });

  it('shows possible duplicates and registers with all of them acknowledged when the operator says so', async () => {
    const dups: DuplicateCandidate[] = [
      { kind: 'walkin', id: 'w-1', name: 'Sunita Devi', birthYear: 1960, reason: 'same_photo_id', token: 'A-W001' },
      { kind: 'roster', id: 'R123456', name: 'Sunita Devee', birthYear: 1961, reason: 'same_mobile_similar_name', token: null },
    ];
    const counter = installFakeCounter({
      previewWalkIn: () => ok({ duplicates: dups, eligibility: { eligible: true, age: 66, reason: null, phase: null } }),
      registerWalkIn: () => ok(ticket({ token: 'A-W002', lane: 'walkin' })),
    });
    renderWalkIn();
    fillValid();
    fireEvent.click(screen.getByTestId('walkin-submit'));

    const panel = await screen.findByTestId('duplicates-panel');
    expect(within(panel).getAllByTestId('duplicate-candidate')).toHaveLength(2);
    expect(panel.textContent).toContain('A-W001');
    // a stray Enter lands on Cancel, not on "register anyway"
    await waitFor(() => expect(document.activeElement).toBe(within(panel).getByTestId('duplicates-cancel')));
    expect(counter.registerWalkIn).not.toHaveBeenCalled();

    fireEvent.click(within(panel).getByTestId('duplicates-confirm'));
    await waitFor(() => expect(counter.registerWalkIn).toHaveBeenCalledTimes(1));
    expect((counter.registerWalkIn.mock.calls[0]![0] as { acknowledgedDuplicates: string[] }).acknowledgedDuplicates).toEqual([
      'w-1',
      'R123456',
    ]);
    await waitFor(() => expect(screen.queryByTestId('duplicates-panel')).toBeNull());
    expect(useCounter.getState().issued?.token).toBe('A-W002');
  });

  it('puts a refusal on eligibility next to the birth year', async () => {
    const counter = installFakeCounter({
      previewWalkIn: () =>
        ok({
          duplicates: [],
          eligibility: {
            eligible: false,
            age: 50,
            reason: 'not_eligible_needs_comorbidity',
            phase: '60+, or 45-59 with a comorbidity',
          },
        }),
    });
    renderWalkIn();
    fillValid();
    fill({ birthYear: '1976' });
    fireEvent.click(screen.getByTestId('walkin-submit'));

    const error = await screen.findByTestId('error-birthYear');
    expect(error.dataset.code).toBe('not_eligible_needs_comorbidity');
    expect(error.querySelector('[lang="hi"]')?.textContent).toMatch(/सह-रुग्णता/);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('walkin-birthYear')));
    expect(counter.registerWalkIn).not.toHaveBeenCalled();
  });

  it('shows field errors sent by the counter next to their fields', async () => {
    installFakeCounter({
      previewWalkIn: () => fail('VALIDATION', { fields: [{ field: 'form.mobile', code: 'mobile_format' }] }),
    });
    renderWalkIn();
    fillValid();
    fireEvent.click(screen.getByTestId('walkin-submit'));
    expect((await screen.findByTestId('error-mobile')).dataset.code).toBe('mobile_format');
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('walkin-mobile')));
  });

  it('a form sent again after its answer was lost says "already registered: token X", in both languages, and registers nothing twice', async () => {
    const saved = new Set<string>();
    const counter = installFakeCounter({
      // main saved the first registration, but its answer never reached the page
      previewWalkIn: (r: { submissionId?: string }) =>
        ok({
          duplicates: [],
          eligibility: { eligible: true, age: 66, reason: null, phase: '18+' },
          alreadyRegistered:
            r.submissionId && saved.has(r.submissionId)
              ? { walkInId: 'w1', ticketId: 'ticket-1', token: 'A-W012', status: 'waiting' }
              : null,
        }),
      registerWalkIn: (r: { submissionId: string }) => {
        saved.add(r.submissionId);
        return fail('INTERNAL', { message: 'the counter service did not answer', details: { transport: true } });
      },
    });
    renderWalkIn();
    fillValid();
    fireEvent.click(screen.getByTestId('walkin-submit'));
    await screen.findByTestId('action-error');
    fireEvent.click(screen.getByTestId('walkin-submit'));

    const notice = await screen.findByTestId('walkin-already-registered');
    expect(notice.textContent).toMatch(/^Already registered: token A-W012/);
    expect(screen.queryByTestId('duplicates-panel')).toBeNull();
    expect(counter.registerWalkIn).toHaveBeenCalledTimes(1);
    const previews = counter.previewWalkIn.mock.calls.map(([r]) => (r as { submissionId: string }).submissionId);
    expect(previews[1]).toBe((counter.registerWalkIn.mock.calls[0]![0] as { submissionId: string }).submissionId);
    // the form is free for the next person
    await waitFor(() => expect((screen.getByTestId('walkin-name') as HTMLInputElement).value).toBe(''));

    act(() => setLang('hi'));
    expect(screen.getByTestId('walkin-already-registered').textContent).toMatch(/^पहले से पंजीकृत: टोकन A-W012/);
  });
});
