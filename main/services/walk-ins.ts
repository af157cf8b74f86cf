import { v7 as uuidv7 } from 'uuid';
import type { DuplicateCandidate, TicketView, WalkInForm } from '../../common/domain';
import { DomainError } from '../../common/result';
import { centreDay } from '../../common/rules/centre-day';
import { decideEligibility, type EligibilityDecision } from '../../common/rules/eligibility';
import { nameSimilarity, normalizeName, SIMILAR_NAME_THRESHOLD } from '../../common/rules/names';
import { last4 } from '../../common/rules/photo-id';
import type { ServiceContext } from './context';
import { appendOutbox } from './outbox';
import { activeRosterImport, type RosterEntryRow } from '../store/roster';
import { getTicketRow, insertTicket, toTicketView, type TicketRow } from './tickets';

/** The person as the outbox payload tells the portal of them. */
export function personOf(form: WalkInForm) {
  return {
    name: form.name,
    gender: form.gender,
    birthYear: form.birthYear,
    mobile: form.mobile,
    photoIdType: form.photoIdType,
    photoIdNumber: form.photoIdNumber,
    comorbidity: form.comorbidity,
  };
}

/** The walkin columns a form fills, for the named parameters of PERSON_VALUES (insert) and PERSON_SET (correction). */
export function personColumns(form: WalkInForm) {
  return {
    name: form.name,
    nameNorm: normalizeName(form.name),
    gender: form.gender,
    birthYear: form.birthYear,
    mobile: form.mobile,
    photoIdType: form.photoIdType,
    photoIdNumber: form.photoIdNumber,
    photoIdLast4: last4(form.photoIdNumber),
    comorbidity: form.comorbidity ? 1 : 0,
    dose: form.dose,
  };
}
/** In column order: name, name_norm, gender, birth_year, mobile, photo_id_type, photo_id_number, photo_id_last4, comorbidity, dose. */
export const PERSON_VALUES =
  '@name, @nameNorm, @gender, @birthYear, @mobile, @photoIdType, @photoIdNumber, @photoIdLast4, @comorbidity, @dose';
export const PERSON_SET =
  'name = @name, name_norm = @nameNorm, gender = @gender, birth_year = @birthYear, mobile = @mobile, photo_id_type = @photoIdType, ' +
  'photo_id_number = @photoIdNumber, photo_id_last4 = @photoIdLast4, comorbidity = @comorbidity, dose = @dose';

interface WalkInRow {
  id: string;
  submission_id: string;
  day: string;
  name: string;
  name_norm: string;
  birth_year: number;
  mobile: string;
  photo_id_type: string;
  photo_id_number: string;
}

/**
 * Possible duplicates of a walk-in: the same photo-ID number (today's walk-ins, any day's
 * walk-ins kept locally, or the roster's type + last 4), or the same mobile with a similar
 * name and the same birth year (±1). Shown to the operator, who decides.
 */
export function findDuplicates(ctx: Pick<ServiceContext, 'db' | 'clock' | 'config'>, form: WalkInForm): DuplicateCandidate[] {
  const { db, config } = ctx;
  const day = centreDay(ctx.clock(), config.centre.timeZone);
  const out = new Map<string, DuplicateCandidate>();
  const tokenOfWalkIn = db.prepare("SELECT token FROM ticket WHERE walkin_id = ? AND status <> 'cancelled'");
  const tokenOfRef = db.prepare("SELECT token FROM ticket WHERE day = ? AND ref_id = ? AND status <> 'cancelled'");
  /** The first reason found for a person is the one shown. */
  const add = (
    kind: DuplicateCandidate['kind'],
    id: string,
    name: string,
    birthYear: number,
    reason: DuplicateCandidate['reason'],
  ) => {
    const key = `${kind}:${id}`;
    if (out.has(key)) return;
    const ticket = (kind === 'walkin' ? tokenOfWalkIn.get(id) : tokenOfRef.get(day, id)) as { token: string } | undefined;
    out.set(key, { kind, id, name, birthYear, reason, token: ticket?.token ?? null });
  };
  const similarPerson = (name: string, birthYear: number) =>
    Math.abs(birthYear - form.birthYear) <= 1 && nameSimilarity(name, form.name) >= SIMILAR_NAME_THRESHOLD;

  const sameId = db
    .prepare('SELECT * FROM walkin WHERE photo_id_type = ? AND photo_id_number = ? ORDER BY created_at DESC LIMIT 10')
    .all(form.photoIdType, form.photoIdNumber) as WalkInRow[];
  for (const w of sameId) add('walkin', w.id, w.name, w.birth_year, 'same_photo_id');
  // walk-ins the portal has acknowledged keep only the last 4 of the number: like the roster,
  // type + last 4 counts with a similar name or the same birth year
  const reduced = db
    .prepare(
      'SELECT * FROM walkin WHERE photo_id_type = ? AND photo_id_last4 = ? AND photo_id_reduced_at IS NOT NULL ORDER BY created_at DESC LIMIT 50',
    )
    .all(form.photoIdType, last4(form.photoIdNumber)) as WalkInRow[];
  for (const w of reduced)
    if (nameSimilarity(w.name, form.name) >= SIMILAR_NAME_THRESHOLD || w.birth_year === form.birthYear)
      add('walkin', w.id, w.name, w.birth_year, 'same_photo_id');
  const sameMobile = db
    .prepare('SELECT * FROM walkin WHERE day = ? AND mobile = ? LIMIT 50')
    .all(day, form.mobile) as WalkInRow[];
  for (const w of sameMobile)
    if (similarPerson(w.name, w.birth_year)) add('walkin', w.id, w.name, w.birth_year, 'same_mobile_similar_name');

  const imp = activeRosterImport(db, day);
  if (imp) {
    const rosterId = db
      .prepare('SELECT * FROM roster_entry WHERE import_id = ? AND photo_id_last4 = ? AND photo_id_type = ? LIMIT 50')
      .all(imp.id, last4(form.photoIdNumber), form.photoIdType) as RosterEntryRow[];
    for (const r of rosterId) {
      // Type + last 4 alone is weak across a big roster: ask for a similar name or the same birth year too.
      if (nameSimilarity(r.name, form.name) >= SIMILAR_NAME_THRESHOLD || r.birth_year === form.birthYear) {
        add('roster', r.ref_id, r.name, r.birth_year, 'same_photo_id');
      }
    }
    const rosterMobile = db
      .prepare('SELECT * FROM roster_entry WHERE import_id = ? AND mobile_last4 = ? LIMIT 200')
      .all(imp.id, form.mobile.slice(-4)) as RosterEntryRow[];
    for (const r of rosterMobile)
      if (similarPerson(r.name, r.birth_year)) add('roster', r.ref_id, r.name, r.birth_year, 'same_mobile_similar_name');
  }
  return [...out.values()];
}

export function eligibilityOf(ctx: Pick<ServiceContext, 'clock' | 'config'>, form: WalkInForm): EligibilityDecision {
  const day = centreDay(ctx.clock(), ctx.config.centre.timeZone);
  return decideEligibility(ctx.config.eligibility, day, { birthYear: form.birthYear, comorbidity: form.comorbidity });
}

/**
 * Registers a walk-in and gives them a ticket in the walk-in lane, in one transaction with
 * the outbox row. Refused when not eligible, or when possible duplicates exist that the
 * operator has not seen and acknowledged. A repeated submission (same submissionId: a
 * double Enter, a retry after a lost reply) returns the ticket it already made.
 */
export function registerWalkIn(
  ctx: ServiceContext,
  input: { submissionId: string; form: WalkInForm; acknowledgedDuplicates: string[] },
): TicketView {
  const { db, config } = ctx;
  const { form } = input;
  return db
    .transaction(() => {
      const prior = db.prepare('SELECT * FROM walkin WHERE submission_id = ?').get(input.submissionId) as
        (WalkInRow & { gender: string; comorbidity: number; dose: number; photo_id_reduced_at: string | null }) | undefined;
      if (prior) {
        const t = db.prepare('SELECT * FROM ticket WHERE walkin_id = ?').get(prior.id) as TicketRow;
        const same =
          prior.name === form.name &&
          prior.gender === form.gender &&
          prior.birth_year === form.birthYear &&
          prior.mobile === form.mobile &&
          prior.photo_id_type === form.photoIdType &&
          // once acknowledged, only the last 4 of the number are kept
          (prior.photo_id_reduced_at === null
            ? prior.photo_id_number === form.photoIdNumber
            : prior.photo_id_number === last4(form.photoIdNumber)) &&
          prior.comorbidity === (form.comorbidity ? 1 : 0) &&
          prior.dose === form.dose;
        // the same form again (a double Enter, a retry): its ticket; an edited form: say so, save nothing
        if (same) return toTicketView(t);
        throw new DomainError(
          'SUBMISSION_CHANGED',
          `submission ${input.submissionId} was saved as ${t.token} with other details`,
          {
            details: { token: t.token, ticketId: t.id },
          },
        );
      }
      const elig = eligibilityOf(ctx, form);
      if (!elig.eligible) {
        throw new DomainError('NOT_ELIGIBLE', `not eligible: ${elig.reason}`, {
          fields: [{ field: 'birthYear', code: elig.reason ?? 'not_eligible_age' }],
          details: { age: elig.age, phase: elig.phase?.label ?? null },
        });
      }
      const dups = findDuplicates(ctx, form);
      const unseen = dups.filter((d) => !input.acknowledgedDuplicates.includes(d.id));
      if (unseen.length > 0) {
        throw new DomainError('DUPLICATE_SUSPECTED', `${unseen.length} possible duplicate(s)`, { details: { duplicates: dups } });
      }
      const now = ctx.clock();
      const at = now.toISOString();
      const day = centreDay(now, config.centre.timeZone);
      const id = uuidv7();
      db.prepare(
        `INSERT INTO walkin (id, submission_id, day, name, name_norm, gender, birth_year, mobile, photo_id_type, photo_id_number,
           photo_id_last4, comorbidity, dose, acknowledged_duplicates, created_at, created_by, counter_code, device_id)
         VALUES (@id, @submissionId, @day, ${PERSON_VALUES}, @acknowledged, @at, @operatorId, @counterCode, @deviceId)`,
      ).run({
        id,
        submissionId: input.submissionId,
        day,
        ...personColumns(form),
        acknowledged: JSON.stringify(dups.map((d) => ({ kind: d.kind, id: d.id, reason: d.reason }))),
        at,
        operatorId: ctx.operator.id,
        counterCode: config.counter.code,
        deviceId: ctx.deviceId,
      });
      const t = insertTicket(
        ctx,
        {
          day,
          lane: 'walkin',
          source: 'walkin',
          refId: null,
          walkinId: id,
          name: form.name,
          dose: form.dose,
          verified: true,
          late: false,
        },
        at,
      );
      appendOutbox(
        db,
        'walkin.registered',
        id,
        {
          walkInId: id,
          ticketId: t.id,
          token: t.token,
          day,
          person: personOf(form),
          dose: form.dose,
          possibleDuplicates: dups.map((d) => ({ kind: d.kind, id: d.id, reason: d.reason })),
          at,
          operatorId: ctx.operator.id,
          counterCode: config.counter.code,
          deviceId: ctx.deviceId,
        },
        at,
      );
      return toTicketView(getTicketRow(db, t.id)!);
    })
    .immediate();
}
