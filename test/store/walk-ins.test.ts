import { afterEach, describe, expect, it } from 'vitest';
import { walkInFormSchema } from '../../common/domain';
import { findDuplicates, previewWalkIn } from '../../main/services/walk-ins';
import { reduceMobile, reducePhotoId } from '../../main/store/outbox';
import { aadhaar, count, rosterEntry, setupCounter, storeSnapshot, SUBMISSION, walkInForm, type Counter } from './harness';

let c: Counter;
afterEach(() => c?.dispose());

const register = (n: number, form = walkInForm(n), acknowledgedDuplicates: string[] = []) =>
  c.call('registerWalkIn', { submissionId: SUBMISSION(n), form, acknowledgedDuplicates });
const walkinIdOf = (ticketId: string) =>
  (c.backend.db.prepare('SELECT walkin_id FROM ticket WHERE id = ?').get(ticketId) as { walkin_id: string }).walkin_id;

describe('walk-in registration', () => {
  it('registers an eligible person with a ticket in the walk-in lane', async () => {
    c = await setupCounter();
    const r = await register(1, walkInForm(1, { name: ' Kamla  Yadav ', mobile: '+91 98000 00001' }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      lane: 'walkin',
      source: 'walkin',
      status: 'waiting',
      verified: true,
      token: 'A-W001',
      refId: null,
      dose: 1,
    });
    const w = c.backend.db.prepare('SELECT * FROM walkin').get() as Record<string, unknown>;
    expect(w).toMatchObject({
      mobile: '9800000001',
      photo_id_number: aadhaar(1),
      photo_id_last4: aadhaar(1).slice(-4),
      day: '2021-04-10',
    });
  });

  describe('duplicate detection', () => {
    it('finds an earlier walk-in with the same photo ID, however it was typed', async () => {
      c = await setupCounter();
      const first = await c.ok('registerWalkIn', {
        submissionId: SUBMISSION(1),
        form: walkInForm(1),
        acknowledgedDuplicates: [],
      });
      const spaced = aadhaar(1).replace(/(\d{4})(\d{4})(\d{4})/, '$1 $2 $3');
      const before = storeSnapshot(c);
      const r = await register(2, walkInForm(2, { photoIdNumber: spaced }));
      expect(r).toMatchObject({
        ok: false,
        error: {
          code: 'DUPLICATE_SUSPECTED',
          details: {
            duplicates: [
              { kind: 'walkin', id: walkinIdOf(first.id), reason: 'same_photo_id', token: 'A-W001', name: walkInForm(1).name },
            ],
          },
        },
      });
      expect(storeSnapshot(c)).toEqual(before);
    });

    it('finds the same photo ID registered on an earlier day', async () => {
      c = await setupCounter();
      await c.ok('registerWalkIn', { submissionId: SUBMISSION(1), form: walkInForm(1), acknowledgedDuplicates: [] });
      c.clock.advance(24 * 3600_000);
      expect(await register(2, walkInForm(2, { photoIdNumber: aadhaar(1) }))).toMatchObject({
        ok: false,
        error: { code: 'DUPLICATE_SUSPECTED' },
      });
    });

    it('finds the same mobile with a similar name and birth year within one year', async () => {
      c = await setupCounter();
      const first = await c.ok('registerWalkIn', {
        submissionId: SUBMISSION(1),
        form: walkInForm(1, { name: 'Mohd Irfan Khan', birthYear: 1950 }),
        acknowledgedDuplicates: [],
      });
      const sameMobile = { mobile: walkInForm(1).mobile };
      const r = await register(2, walkInForm(2, { ...sameMobile, name: 'Khan Mohd Irphan', birthYear: 1951 }));
      expect(r).toMatchObject({
        ok: false,
        error: {
          code: 'DUPLICATE_SUSPECTED',
          details: { duplicates: [{ kind: 'walkin', id: walkinIdOf(first.id), reason: 'same_mobile_similar_name' }] },
        },
      });
    });

    it('lets a family share a mobile: a different name, or a birth year far apart, is not a duplicate', async () => {
      c = await setupCounter();
      await c.ok('registerWalkIn', {
        submissionId: SUBMISSION(1),
        form: walkInForm(1, { name: 'Mohd Irfan Khan' }),
        acknowledgedDuplicates: [],
      });
      const sameMobile = { mobile: walkInForm(1).mobile };
      expect((await register(2, walkInForm(2, { ...sameMobile, name: 'Shabnam Bano' }))).ok).toBe(true);
      expect((await register(3, walkInForm(3, { ...sameMobile, name: 'Mohd Irfan Khan', birthYear: 1970 }))).ok).toBe(true);
    });

    it("compares mobiles only with today's walk-ins", async () => {
      c = await setupCounter();
      await c.ok('registerWalkIn', { submissionId: SUBMISSION(1), form: walkInForm(1), acknowledgedDuplicates: [] });
      c.clock.advance(24 * 3600_000);
      expect((await register(2, walkInForm(2, { mobile: walkInForm(1).mobile, name: walkInForm(1).name }))).ok).toBe(true);
    });

    it('finds a roster registrant with the same photo-ID type and last 4 and a similar name or the same birth year', async () => {
      const roster = [
        rosterEntry('REF0000001', {
          name: 'Geeta Mishra',
          birthYear: 1948,
          photoIdType: 'AADHAAR',
          photoIdLast4: aadhaar(5).slice(-4),
        }),
        rosterEntry('REF0000002', {
          name: 'Someone Else',
          birthYear: 1950,
          photoIdType: 'AADHAAR',
          photoIdLast4: aadhaar(6).slice(-4),
        }),
        rosterEntry('REF0000003', {
          name: 'Another Person',
          birthYear: 1930,
          photoIdType: 'AADHAAR',
          photoIdLast4: aadhaar(7).slice(-4),
        }),
      ];
      c = await setupCounter({ roster });
      const t = await c.ok('checkIn', { refId: 'REF0000001' });
      // similar name, birth year differs
      expect(await register(5, walkInForm(5, { name: 'Gita Mishra', birthYear: 1950 }))).toMatchObject({
        ok: false,
        error: { details: { duplicates: [{ kind: 'roster', id: 'REF0000001', reason: 'same_photo_id', token: t.token }] } },
      });
      // same birth year, name differs
      expect(await register(6, walkInForm(6, { name: 'Usha Rawat', birthYear: 1950 }))).toMatchObject({
        ok: false,
        error: { details: { duplicates: [{ kind: 'roster', id: 'REF0000002', reason: 'same_photo_id', token: null }] } },
      });
      // last 4 alone is not enough
      expect((await register(7, walkInForm(7, { name: 'Usha Rawat', birthYear: 1950 }))).ok).toBe(true);
    });

    it('finds a roster registrant with the same mobile last 4, a similar name and birth year within one year', async () => {
      const form = walkInForm(8, { name: 'Sunita Devi', birthYear: 1955 });
      c = await setupCounter({
        roster: [rosterEntry('REF0000001', { name: 'Devi Sunita', birthYear: 1956, mobileLast4: form.mobile!.slice(-4) })],
      });
      expect(await register(8, form)).toMatchObject({
        ok: false,
        error: { details: { duplicates: [{ kind: 'roster', id: 'REF0000001', reason: 'same_mobile_similar_name' }] } },
      });
    });

    it('previewWalkIn shows the duplicates and the eligibility without saving anything', async () => {
      c = await setupCounter();
      await c.ok('registerWalkIn', { submissionId: SUBMISSION(1), form: walkInForm(1), acknowledgedDuplicates: [] });
      const before = storeSnapshot(c);
      const p = await c.ok('previewWalkIn', { form: walkInForm(2, { photoIdNumber: aadhaar(1), birthYear: 1990 }) });
      expect(p.duplicates).toHaveLength(1);
      expect(p.eligibility).toEqual({ eligible: false, age: 31, reason: 'not_eligible_age', phase: '45+' });
      expect(storeSnapshot(c)).toEqual(before);
    });
  });

  describe('acknowledged duplicates', () => {
    it('saving is allowed once every suspected duplicate is acknowledged, and the acknowledgement is kept', async () => {
      const roster = [
        rosterEntry('REF0000001', {
          name: 'Kamla Yadav',
          birthYear: 1950,
          photoIdType: 'AADHAAR',
          photoIdLast4: aadhaar(1).slice(-4),
        }),
      ];
      c = await setupCounter({ roster });
      const first = await c.ok('registerWalkIn', {
        submissionId: SUBMISSION(1),
        form: walkInForm(1),
        acknowledgedDuplicates: ['REF0000001'],
      });
      const firstWalkIn = walkinIdOf(first.id);
      const form = walkInForm(2, { photoIdNumber: aadhaar(1), name: 'Kamla Yadav' });
      // acknowledging only one of two is not enough
      const partly = await register(2, form, [firstWalkIn]);
      expect(partly).toMatchObject({ ok: false, error: { code: 'DUPLICATE_SUSPECTED' } });
      if (partly.ok) return;
      expect((partly.error.details!.duplicates as unknown[]).length).toBe(2);
      // the same submission, now with both acknowledged
      const t = await register(2, form, [firstWalkIn, 'REF0000001']);
      expect(t.ok).toBe(true);
      if (!t.ok) return;
      const row = c.backend.db.prepare('SELECT acknowledged_duplicates FROM walkin WHERE id = ?').get(walkinIdOf(t.value.id)) as {
        acknowledged_duplicates: string;
      };
      expect(JSON.parse(row.acknowledged_duplicates)).toEqual(
        expect.arrayContaining([
          { kind: 'walkin', id: firstWalkIn, reason: 'same_photo_id' },
          { kind: 'roster', id: 'REF0000001', reason: 'same_photo_id' },
        ]),
      );
      const payload = JSON.parse(
        (
          c.backend.db.prepare("SELECT payload FROM outbox WHERE kind = 'walkin.registered' ORDER BY seq DESC").get() as {
            payload: string;
          }
        ).payload,
      );
      expect(payload.possibleDuplicates).toHaveLength(2);
    });
  });

  it('the same submissionId after its mobile and photo-ID numbers were reduced to their last 4 still returns its ticket', async () => {
    c = await setupCounter();
    const a = await c.ok('registerWalkIn', { submissionId: SUBMISSION(1), form: walkInForm(1), acknowledgedDuplicates: [] });
    const walkInId = walkinIdOf(a.id);
    reducePhotoId(c.backend.db, walkInId, c.clock().toISOString());
    reduceMobile(c.backend.db, walkInId);
    expect(c.backend.db.prepare('SELECT mobile FROM walkin WHERE id = ?').get(walkInId)).toEqual({
      mobile: walkInForm(1).mobile.slice(-4),
    });
    const b = await c.ok('registerWalkIn', { submissionId: SUBMISSION(1), form: walkInForm(1), acknowledgedDuplicates: [] });
    expect(b).toEqual(a);
    // a mobile number with other last 4 digits is another form
    const other = { ...walkInForm(1), mobile: '9811112222' };
    expect(await c.err('registerWalkIn', { submissionId: SUBMISSION(1), form: other, acknowledgedDuplicates: [] })).toMatchObject(
      {
        code: 'SUBMISSION_CHANGED',
      },
    );
  });

  it('the same submissionId twice returns the same ticket and writes one walk-in', async () => {
    c = await setupCounter();
    const a = await c.ok('registerWalkIn', { submissionId: SUBMISSION(1), form: walkInForm(1), acknowledgedDuplicates: [] });
    c.clock.advance(2_000);
    const b = await c.ok('registerWalkIn', { submissionId: SUBMISSION(1), form: walkInForm(1), acknowledgedDuplicates: [] });
    expect(b).toEqual(a);
    expect(count(c, 'SELECT count(*) AS n FROM walkin')).toBe(1);
    expect(count(c, 'SELECT count(*) AS n FROM ticket')).toBe(1);
    expect(count(c, 'SELECT count(*) AS n FROM outbox')).toBe(1);
  });

  describe('a form sent again after its answer was lost (same submission)', () => {
    const resent = () => walkInFormSchema.parse(walkInForm(1));

    it('is told "already registered" with its token, not shown its own registration as a possible duplicate', async () => {
      c = await setupCounter();
      const saved = await c.ok('registerWalkIn', {
        submissionId: SUBMISSION(1),
        form: walkInForm(1),
        acknowledgedDuplicates: [],
      });
      const before = storeSnapshot(c);
      // what the page asks before registering again: the preview, with the form's submission
      const preview = await c.ok('previewWalkIn', { form: walkInForm(1), submissionId: SUBMISSION(1) });
      expect(preview.duplicates).toEqual([]);
      expect(preview.alreadyRegistered).toEqual({
        walkInId: walkinIdOf(saved.id),
        ticketId: saved.id,
        token: 'A-W001',
        status: 'waiting',
      });
      expect(findDuplicates(c.backend.context(), resent(), SUBMISSION(1))).toEqual([]);
      expect(storeSnapshot(c)).toEqual(before);
      // and sent again, it gets the ticket it already made
      const again = await c.ok('registerWalkIn', {
        submissionId: SUBMISSION(1),
        form: walkInForm(1),
        acknowledgedDuplicates: [],
      });
      expect(again).toEqual(saved);
    });

    it('another form with the same person still finds the saved walk-in as a possible duplicate', async () => {
      c = await setupCounter();
      const saved = await c.ok('registerWalkIn', {
        submissionId: SUBMISSION(1),
        form: walkInForm(1),
        acknowledgedDuplicates: [],
      });
      const preview = previewWalkIn(c.backend.context(), resent(), SUBMISSION(2));
      expect(preview.alreadyRegistered).toBeNull();
      expect(preview.duplicates).toMatchObject([
        { kind: 'walkin', id: walkinIdOf(saved.id), reason: 'same_photo_id', token: 'A-W001' },
      ]);
      expect(previewWalkIn(c.backend.context(), resent()).duplicates).toHaveLength(1);
    });
  });

  it('the same submissionId with edited details is refused with the saved token; nothing changes', async () => {
    c = await setupCounter();
    const a = await c.ok('registerWalkIn', { submissionId: SUBMISSION(1), form: walkInForm(1), acknowledgedDuplicates: [] });
    const before = storeSnapshot(c);
    const edited = walkInForm(1, { mobile: '9123456780' });
    expect(
      await c.err('registerWalkIn', { submissionId: SUBMISSION(1), form: edited, acknowledgedDuplicates: [] }),
    ).toMatchObject({
      code: 'SUBMISSION_CHANGED',
      details: { token: a.token, ticketId: a.id },
    });
    expect(storeSnapshot(c)).toEqual(before);
  });

  describe('eligibility', () => {
    it('not eligible is refused with NOT_ELIGIBLE on the birth year field, and nothing is saved', async () => {
      c = await setupCounter({ at: '2021-03-05T04:30:00Z' }); // 60+, or 45-59 with a comorbidity
      const before = storeSnapshot(c);
      expect(await register(1, walkInForm(1, { birthYear: 1970, comorbidity: false }))).toMatchObject({
        ok: false,
        error: {
          code: 'NOT_ELIGIBLE',
          fields: [{ field: 'birthYear', code: 'not_eligible_needs_comorbidity' }],
          details: { age: 51 },
        },
      });
      expect(await register(2, walkInForm(2, { birthYear: 1980, comorbidity: true }))).toMatchObject({
        ok: false,
        error: { code: 'NOT_ELIGIBLE', fields: [{ field: 'birthYear', code: 'not_eligible_age' }] },
      });
      expect(storeSnapshot(c)).toEqual(before);
      expect((await register(3, walkInForm(3, { birthYear: 1970, comorbidity: true }))).ok).toBe(true);
      expect((await register(4, walkInForm(4, { birthYear: 1960 }))).ok).toBe(true);
    });

    it('before the first phase nobody can be registered', async () => {
      c = await setupCounter({ at: '2021-02-28T04:30:00Z' });
      expect(await register(1, walkInForm(1, { birthYear: 1930, comorbidity: true }))).toMatchObject({
        ok: false,
        error: { code: 'NOT_ELIGIBLE', fields: [{ field: 'birthYear', code: 'not_eligible_no_phase' }] },
      });
    });

    it("uses the centre's day: 20:00 UTC on 28 Feb is already 1 March in India", async () => {
      c = await setupCounter({ at: '2021-02-28T20:00:00Z' });
      expect(c.backend.today()).toBe('2021-03-01');
      expect((await register(1, walkInForm(1, { birthYear: 1955 }))).ok).toBe(true);
    });
  });

  it('an invalid form is refused with field errors below form.', async () => {
    c = await setupCounter();
    const r = await register(1, walkInForm(1, { mobile: '12345', photoIdNumber: '1234 5678 9012' }));
    expect(r).toMatchObject({
      ok: false,
      error: {
        code: 'VALIDATION',
        fields: expect.arrayContaining([
          { field: 'form.mobile', code: 'mobile_format' },
          { field: 'form.photoIdNumber', code: 'aadhaar_first_digit' },
        ]),
      },
    });
  });
});
