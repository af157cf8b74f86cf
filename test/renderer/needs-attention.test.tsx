// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { NeedsAttention } from '../../renderer/src/screens/NeedsAttention';
import { setLang } from '../../renderer/src/i18n';
import { useCounter } from '../../renderer/src/store';
import type { NeedsAttentionItem } from '../../common/domain';
import { APP_STATE, attentionItem, fail, installFakeCounter, ok } from './fake-counter';
import { useRendererTestSetup } from './setup';

useRendererTestSetup();

const CHECK_IN = attentionItem({
  seq: 52,
  kind: 'checkin.created',
  token: 'A-P012',
  name: 'Ram Prasad',
  code: 'unknown_ref_id',
  reason: 'Reference ID not found',
  correctable: 'checkin',
  walkIn: null,
  checkIn: { refId: 'ABC12345', name: 'Ram Prasad' },
});
const CANCELLED = attentionItem({
  seq: 60,
  kind: 'ticket.cancelled',
  token: 'A-P020',
  name: 'Kamla Yadav',
  code: 'unknown_ticket',
  reason: 'Ticket not known',
  correctable: 'none',
  walkIn: null,
  checkIn: null,
});

/** A fake whose list shrinks as records are resent. */
function counterWith(items: NeedsAttentionItem[], resend: (r: { seq: number }) => unknown = (r) => ok({ seq: r.seq + 100 })) {
  let list = [...items];
  return installFakeCounter({
    getAppState: () => ok(APP_STATE),
    listNeedsAttention: () => ok(list),
    resendRecord: (r: { seq: number }) => {
      const answer = resend(r) as { ok: boolean };
      if (answer.ok) list = list.filter((i) => i.seq !== r.seq);
      return answer;
    },
  });
}

const item = (seq: number) => screen.getAllByTestId('attention-item').find((el) => el.dataset.seq === String(seq))!;
const open = async (seq: number) => {
  await screen.findAllByTestId('attention-item');
  fireEvent.click(within(item(seq)).getByTestId('attention-open'));
};

describe('needs attention', () => {
  it('lists the refused records: token, name, kind in words, the portal’s reason and code, when', async () => {
    counterWith([attentionItem(), CHECK_IN, CANCELLED]);
    render(<NeedsAttention />);
    const rows = await screen.findAllByTestId('attention-item');
    expect(rows.map((r) => r.dataset.token)).toEqual(['A-W007', 'A-P012', 'A-P020']);
    const first = rows[0]!;
    expect(first.textContent).toContain('Sunita Devi');
    expect(first.textContent).toContain('Walk-in registration');
    expect(first.textContent).toMatch(/Recorded 25 Nov 10:00/i); // 04:30 UTC in Asia/Kolkata, not today
    expect(within(first).getByTestId('attention-reason').textContent).toContain('Mobile number is not valid');
    expect(within(first).getByTestId('attention-reason').textContent).toContain('code invalid_mobile');
    expect(rows[1]!.textContent).toContain('Check-in');
    expect(rows[2]!.textContent).toContain('Ticket cancelled');
    expect(within(rows[2]!).getByTestId('attention-open').textContent).toBe('Resend');
  });

  it('says in words, in English and Hindi, why the portal refused a photo ID or a booking at another centre', async () => {
    const photoId = attentionItem({
      seq: 70,
      code: 'photo_id_invalid',
      reason: 'photoIdNumber: not a valid Aadhaar number (checksum)',
    });
    const otherCentre = attentionItem({
      ...CHECK_IN,
      seq: 71,
      code: 'booking_other_centre',
      reason: 'ref ID ABC12345 is booked at another centre on 2026-11-25, not at this one',
    });
    counterWith([photoId, otherCentre, attentionItem({ seq: 72, code: 'some_new_code', reason: 'Something new' })]);
    render(<NeedsAttention />);
    await screen.findAllByTestId('attention-item');
    const words = (seq: number) => within(item(seq)).queryByTestId('attention-refusal')?.textContent;
    const portal = (seq: number) => within(item(seq)).getByTestId('attention-portal-reason').textContent;
    expect(words(70)).toBe('The photo ID number is not valid for its type.');
    expect(words(71)).toBe('This person is booked at another centre today, not at this one.');
    // the portal's own reason stays, with its details, and the code
    expect(portal(70)).toContain('checksum');
    expect(portal(71)).toContain('ABC12345');
    expect(within(item(71)).getByTestId('attention-reason').textContent).toContain('code booking_other_centre');
    // a code the counter has no words for: the portal's reason as it came
    expect(words(72)).toBeUndefined();
    expect(portal(72)).toBe('Something new');

    act(() => setLang('hi'));
    expect(words(70)).toBe('फ़ोटो पहचान पत्र की संख्या उसके प्रकार के लिए मान्य नहीं है।');
    expect(words(71)).toBe('इस व्यक्ति की आज की बुकिंग किसी दूसरे केंद्र पर है, इस केंद्र पर नहीं।');
    expect(portal(71)).toContain('ABC12345');
  });

  it('says so when nothing needs attention', async () => {
    counterWith([]);
    render(<NeedsAttention />);
    expect((await screen.findByTestId('attention-empty')).textContent).toBe('Nothing needs attention.');
  });

  it('walk-in: prefilled, checked next to each field in English and Hindi, then resent corrected', async () => {
    const counter = counterWith([attentionItem(), CHECK_IN]);
    render(<NeedsAttention />);
    await open(41);
    const form = await screen.findByTestId('correct-walkin');
    await waitFor(() => expect(document.activeElement).toBe(within(form).getByTestId('correct-walkin-name')));
    expect((within(form).getByTestId('correct-walkin-name') as HTMLInputElement).value).toBe('Sunita Devi');
    expect((within(form).getByTestId('correct-walkin-gender') as HTMLSelectElement).value).toBe('F');
    expect((within(form).getByTestId('correct-walkin-birthYear') as HTMLInputElement).value).toBe('1960');
    expect((within(form).getByTestId('correct-walkin-photoIdNumber') as HTMLInputElement).value).toBe('234567890124');

    // the mobile the portal refused is wrong here too: said next to it, nothing is sent
    fireEvent.click(within(form).getByTestId('correct-submit'));
    const error = await within(form).findByTestId('error-mobile');
    expect(error.dataset.code).toBe('mobile_format');
    expect(error.querySelector('[lang="en"]')?.textContent).toMatch(/10-digit Indian mobile/);
    expect(error.querySelector('[lang="hi"]')?.textContent).toMatch(/मोबाइल/);
    await waitFor(() => expect(document.activeElement).toBe(within(form).getByTestId('correct-walkin-mobile')));
    expect(counter.resendRecord).not.toHaveBeenCalled();

    fireEvent.change(within(form).getByTestId('correct-walkin-mobile'), { target: { value: '98765 43210' } });
    expect(within(form).queryByTestId('error-mobile')).toBeNull();
    fireEvent.click(within(form).getByTestId('correct-submit'));

    await waitFor(() => expect(counter.resendRecord).toHaveBeenCalledTimes(1));
    expect(counter.resendRecord).toHaveBeenCalledWith({
      seq: 41,
      walkIn: {
        name: 'Sunita Devi',
        gender: 'F',
        birthYear: 1960,
        mobile: '9876543210',
        photoIdType: 'AADHAAR',
        photoIdNumber: '234567890124',
        comorbidity: false,
        dose: 1,
      },
    });
    // the record leaves the list; the cursor goes on to the next one
    await waitFor(() => expect(screen.getAllByTestId('attention-item').map((r) => r.dataset.seq)).toEqual(['52']));
    expect(screen.getByTestId('action-message').textContent).toBe('A-W007 will be uploaded again.');
    await waitFor(() => expect(document.activeElement).toBe(within(item(52)).getByTestId('attention-open')));
  });

  it('walk-in: errors show in both languages when the screen is in Hindi, and main’s refusal goes next to its field', async () => {
    counterWith([attentionItem({ walkIn: { ...attentionItem().walkIn!, mobile: '9876543210', birthYear: 1850 } })], () =>
      fail('VALIDATION', { fields: [{ field: 'walkIn.photoIdNumber', code: 'aadhaar_checksum' }] }),
    );
    act(() => setLang('hi'));
    render(<NeedsAttention />);
    await open(41);
    const form = await screen.findByTestId('correct-walkin');
    expect(within(form).getByText('ठीक किया रिकॉर्ड फिर भेजें')).toBeTruthy();
    fireEvent.click(within(form).getByTestId('correct-submit'));
    const birthYear = await within(form).findByTestId('error-birthYear');
    expect(birthYear.dataset.code).toBe('birth_year_range');
    expect(birthYear.querySelector('[lang="en"]')?.textContent).toMatch(/birth year/);
    expect(birthYear.querySelector('[lang="hi"]')?.textContent).toMatch(/जन्म वर्ष/);

    fireEvent.change(within(form).getByTestId('correct-walkin-birthYear'), { target: { value: '1960' } });
    fireEvent.click(within(form).getByTestId('correct-submit'));
    const idError = await within(form).findByTestId('error-photoIdNumber');
    expect(idError.dataset.code).toBe('aadhaar_checksum');
    expect(within(form).getByTestId('correct-error').dataset.code).toBe('VALIDATION');
    await waitFor(() => expect(document.activeElement).toBe(within(form).getByTestId('correct-walkin-photoIdNumber')));
    expect(screen.getAllByTestId('attention-item')).toHaveLength(1);
  });

  it('check-in: ref ID and name, checked next to the field, then resent', async () => {
    const counter = counterWith([CHECK_IN]);
    render(<NeedsAttention />);
    await open(52);
    const form = await screen.findByTestId('correct-checkin');
    const refId = within(form).getByTestId('correct-checkin-refId') as HTMLInputElement;
    await waitFor(() => expect(document.activeElement).toBe(refId));
    expect(refId.value).toBe('ABC12345');
    expect((within(form).getByTestId('correct-checkin-name') as HTMLInputElement).value).toBe('Ram Prasad');

    fireEvent.change(refId, { target: { value: 'ABCDEFGH' } });
    fireEvent.click(within(form).getByTestId('correct-submit'));
    const error = await within(form).findByTestId('error-refId');
    expect(error.dataset.code).toBe('ref_id_format');
    expect(error.querySelector('[lang="hi"]')?.textContent).toBeTruthy();
    expect(counter.resendRecord).not.toHaveBeenCalled();

    fireEvent.change(refId, { target: { value: 'abc1234567' } });
    fireEvent.click(within(form).getByTestId('correct-submit'));
    await waitFor(() =>
      expect(counter.resendRecord).toHaveBeenCalledWith({ seq: 52, checkIn: { refId: 'ABC1234567', name: 'Ram Prasad' } }),
    );
    expect(await screen.findByTestId('attention-empty')).toBeTruthy();
  });

  it('check-in: a ref ID already checked in today is refused next to the field', async () => {
    counterWith([CHECK_IN], () =>
      fail('ALREADY_CHECKED_IN', { fields: [{ field: 'refId', code: 'already_checked_in' }], details: { token: 'A-P003' } }),
    );
    render(<NeedsAttention />);
    await open(52);
    const form = await screen.findByTestId('correct-checkin');
    fireEvent.click(within(form).getByTestId('correct-submit'));
    expect((await within(form).findByTestId('error-refId')).dataset.code).toBe('already_checked_in');
    expect(within(form).getByTestId('correct-error').textContent).toContain('A-P003');
  });

  it('nothing to correct: resends as it is; Esc leaves without sending', async () => {
    const counter = counterWith([CANCELLED]);
    render(<NeedsAttention />);
    await open(60);
    let form = await screen.findByTestId('correct-none');
    await waitFor(() => expect(document.activeElement).toBe(within(form).getByTestId('correct-submit')));
    fireEvent.keyDown(form, { key: 'Escape' });
    expect(screen.queryByTestId('correct-none')).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(within(item(60)).getByTestId('attention-open')));

    fireEvent.click(within(item(60)).getByTestId('attention-open'));
    form = await screen.findByTestId('correct-none');
    fireEvent.click(within(form).getByTestId('correct-submit'));
    await waitFor(() => expect(counter.resendRecord).toHaveBeenCalledWith({ seq: 60 }));
    expect(await screen.findByTestId('attention-empty')).toBeTruthy();
  });

  it('a record already dealt with elsewhere: says so and reads the list again', async () => {
    let gone = false;
    const counter = installFakeCounter({
      getAppState: () => ok(APP_STATE),
      listNeedsAttention: () => ok(gone ? [] : [CANCELLED]),
      resendRecord: () => {
        gone = true;
        return fail('CONFLICT', { details: { seq: 99 } });
      },
    });
    render(<NeedsAttention />);
    await open(60);
    fireEvent.click(within(await screen.findByTestId('correct-none')).getByTestId('correct-submit'));
    const notice = await screen.findByTestId('action-error');
    expect(notice.dataset.code).toBe('CONFLICT');
    expect(notice.textContent).toMatch(/already dealt with/);
    await screen.findByTestId('attention-empty');
    expect(counter.listNeedsAttention.mock.calls.length).toBeGreaterThanOrEqual(2);
  });

  it('a supervisor dismisses a record with a reason, required next to the field in both languages', async () => {
    let list = [attentionItem(), CHECK_IN];
    const counter = installFakeCounter({
      getAppState: () => ok(APP_STATE),
      listNeedsAttention: () => ok(list),
      dismissRecord: (r: { seq: number }) => {
        list = list.filter((i) => i.seq !== r.seq);
        return ok({ seq: r.seq });
      },
    });
    render(<NeedsAttention />);
    await screen.findAllByTestId('attention-item');
    fireEvent.click(within(item(52)).getByTestId('attention-dismiss'));
    const form = await screen.findByTestId('dismiss-form');
    expect(form.textContent).toContain('Dismiss A-P012: do not upload it');
    await waitFor(() => expect(document.activeElement).toBe(within(form).getByTestId('dismiss-record-reason')));

    fireEvent.change(within(form).getByTestId('dismiss-record-reason'), { target: { value: '   ' } });
    fireEvent.click(within(form).getByTestId('dismiss-submit'));
    const error = await within(form).findByTestId('error-reason');
    expect(error.dataset.code).toBe('required');
    expect(error.querySelector('[lang="en"]')?.textContent).toBeTruthy();
    expect(error.querySelector('[lang="hi"]')?.textContent).toBeTruthy();
    expect(counter.dismissRecord).not.toHaveBeenCalled();

    fireEvent.change(within(form).getByTestId('dismiss-record-reason'), { target: { value: ' test entry ' } });
    expect(within(form).queryByTestId('error-reason')).toBeNull();
    fireEvent.click(within(form).getByTestId('dismiss-submit'));
    await waitFor(() => expect(counter.dismissRecord).toHaveBeenCalledWith({ seq: 52, reason: 'test entry' }));
    await waitFor(() => expect(screen.getAllByTestId('attention-item').map((r) => r.dataset.seq)).toEqual(['41']));
    expect(screen.getByTestId('action-message').textContent).toBe('A-P012 dismissed: it will not be uploaded.');
    expect(counter.resendRecord).not.toHaveBeenCalled();
  });

  it('Esc leaves the dismissal without sending; an operator is not offered it', async () => {
    const counter = counterWith([attentionItem()]);
    render(<NeedsAttention />);
    await screen.findAllByTestId('attention-item');
    fireEvent.click(within(item(41)).getByTestId('attention-dismiss'));
    const form = await screen.findByTestId('dismiss-form');
    fireEvent.keyDown(within(form).getByTestId('dismiss-record-reason'), { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('dismiss-form')).toBeNull());
    expect(counter.dismissRecord).not.toHaveBeenCalled();
    // the cursor is back on the button that opened it
    await waitFor(() => expect(document.activeElement).toBe(within(item(41)).getByTestId('attention-dismiss')));

    act(() => useCounter.setState({ appState: { ...APP_STATE, operator: { ...APP_STATE.operator!, role: 'operator' } } }));
    expect(within(item(41)).queryByTestId('attention-dismiss')).toBeNull();
    expect(within(item(41)).getByTestId('attention-open')).toBeTruthy();
  });

  it("says why main refuses a dismissal, in the screen's language; a vaccination is not offered it", async () => {
    const vaccination = attentionItem({
      seq: 70,
      kind: 'vaccination.recorded',
      token: 'A-P030',
      correctable: 'none',
      walkIn: null,
    });
    installFakeCounter({
      getAppState: () => ok(APP_STATE),
      listNeedsAttention: () => ok([CHECK_IN, vaccination]),
      dismissRecord: () => fail('NOT_DISMISSIBLE', { details: { why: 'open', token: 'A-P012' } }),
    });
    render(<NeedsAttention />);
    await screen.findAllByTestId('attention-item');
    expect(within(item(70)).queryByTestId('attention-dismiss')).toBeNull();
    fireEvent.click(within(item(52)).getByTestId('attention-dismiss'));
    const form = await screen.findByTestId('dismiss-form');
    fireEvent.change(within(form).getByTestId('dismiss-record-reason'), { target: { value: 'test entry' } });
    fireEvent.click(within(form).getByTestId('dismiss-submit'));
    const error = await within(form).findByTestId('dismiss-error');
    expect(error.dataset.code).toBe('NOT_DISMISSIBLE');
    expect(error.textContent).toBe('A-P012 is still in the queue: cancel the ticket first, then dismiss its record.');
    // the item stays, the form stays open
    expect(screen.getAllByTestId('attention-item')).toHaveLength(2);
    act(() => setLang('hi'));
    expect(within(form).getByTestId('dismiss-error').textContent).toContain('पहले टिकट रद्द करें');
  });

  it('reads the list again when main says something changed', async () => {
    let list = [attentionItem()];
    const counter = installFakeCounter({ getAppState: () => ok(APP_STATE), listNeedsAttention: () => ok(list) });
    render(<NeedsAttention />);
    await screen.findByTestId('attention-item');
    list = [];
    act(() => useCounter.getState().handleEvent({ type: 'changed', method: 'resendRecord' }));
    await screen.findByTestId('attention-empty');
    expect(counter.listNeedsAttention.mock.calls.length).toBeGreaterThanOrEqual(2);
  });
});
