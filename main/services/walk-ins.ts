import { v7 as uuidv7 } from 'uuid';
import type { DuplicateCandidate, TicketView, WalkInForm } from '../../common/domain';
import { DomainError } from '../../common/result';
import { centreDay } from '../../common/rules/centre-day';
import { decideEligibility, type EligibilityDecision } from '../../common/rules/eligibility';
import { nameSimilarity, normalizeName, SIMILAR_NAME_THRESHOLD } from '../../common/rules/names';
import { last4 } from '../../common/rules/photo-id';
import type { ServiceContext } from './context';
import { appendOutbox } from './outbox';
import { activeRosterImport, rosterEntriesOfMobileLast4, rosterEntriesOfPhotoId } from '../store/roster';
import type { Db } from '../store/database';
import { activeTicketOfRef, activeTokenOfWalkIn, ticketOfWalkIn } from '../store/tickets';
import {
  insertWalkIn,
  walkInOfSubmission,
  walkInsOfDayWithMobile,
  walkInsWithPhotoId,
  walkInsWithReducedPhotoId,
  type WalkInPersonColumns,
  type WalkInRow,
} from '../store/walk-ins';
import { insertTicket, toTicketView } from './tickets';

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

/** The walkin columns a form fills. */
export function personColumns(form: WalkInForm): WalkInPersonColumns {
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

/**
 * Possible duplicates of a walk-in: the same photo-ID number (today's walk-ins, any day's
 * walk-ins kept locally, or the roster's type + last 4), or the same mobile with a similar
 * name and the same birth year (±1). Shown to the operator, who decides. The walk-in saved
 * by the same submission (`submissionId`: the form sent again after its answer was lost) is
 * that person's own registration, not a duplicate: it is left out.
 */
export function findDuplicates(
  ctx: Pick<ServiceContext, 'db' | 'clock' | 'config'>,
  form: WalkInForm,
  submissionId?: string,
): DuplicateCandidate[] {
  return duplicatesOn(ctx.db, centreDay(ctx.clock(), ctx.config.centre.timeZone), form, submissionId);
}

/** findDuplicates on the centre's day `day`. */
function duplicatesOn(db: Db, day: string, form: WalkInForm, submissionId: string | undefined): DuplicateCandidate[] {
  const out = new Map<string, DuplicateCandidate>();
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
    const token = kind === 'walkin' ? activeTokenOfWalkIn(db, id) : (activeTicketOfRef(db, day, id)?.token ?? null);
    out.set(key, { kind, id, name, birthYear, reason, token });
  };
  const addWalkIn = (w: WalkInRow, reason: DuplicateCandidate['reason']) => {
    if (w.submission_id !== submissionId) add('walkin', w.id, w.name, w.birth_year, reason);
  };
  const similarName = (name: string) => nameSimilarity(name, form.name) >= SIMILAR_NAME_THRESHOLD;
  const similarPerson = (name: string, birthYear: number) => Math.abs(birthYear - form.birthYear) <= 1 && similarName(name);
  const idLast4 = last4(form.photoIdNumber);

  for (const w of walkInsWithPhotoId(db, form.photoIdType, form.photoIdNumber, 10)) addWalkIn(w, 'same_photo_id');
  // walk-ins the portal has acknowledged keep only the last 4 of the number: like the roster,
  // type + last 4 counts with a similar name or the same birth year
  for (const w of walkInsWithReducedPhotoId(db, form.photoIdType, idLast4, 50))
    if (w.birth_year === form.birthYear || similarName(w.name)) addWalkIn(w, 'same_photo_id');
  for (const w of walkInsOfDayWithMobile(db, day, form.mobile, 50))
    if (similarPerson(w.name, w.birth_year)) addWalkIn(w, 'same_mobile_similar_name');

  const imp = activeRosterImport(db, day);
  if (imp) {
    // Type + last 4 alone is weak across a big roster: ask for a similar name or the same birth year too.
    for (const r of rosterEntriesOfPhotoId(db, imp.id, form.photoIdType, idLast4, 50))
      if (r.birth_year === form.birthYear || similarName(r.name)) add('roster', r.ref_id, r.name, r.birth_year, 'same_photo_id');
    for (const r of rosterEntriesOfMobileLast4(db, imp.id, form.mobile.slice(-4), 200))
      if (similarPerson(r.name, r.birth_year)) add('roster', r.ref_id, r.name, r.birth_year, 'same_mobile_similar_name');
  }
  return [...out.values()];
}

/** The ticket a submission already made: what a form sent again after its answer was lost is told. */
export interface AlreadyRegistered {
  walkInId: string;
  ticketId: string;
  token: string;
  status: TicketView['status'];
}

/** The ticket the walk-in of this submission was given, or null when the submission was not saved. */
export function alreadyRegistered(db: Db, submissionId: string | undefined): AlreadyRegistered | null {
  if (submissionId === undefined) return null;
  const w = walkInOfSubmission(db, submissionId);
  const t = w ? ticketOfWalkIn(db, w.id) : undefined;
  return w && t ? { walkInId: w.id, ticketId: t.id, token: t.token, status: t.status } : null;
}

/**
 * What the walk-in form is told before it registers: eligibility and possible duplicates,
 * and, for a submission already saved (its answer was lost), the ticket it made
 * ("already registered: token X") instead of the person's own record as a duplicate.
 */
export function previewWalkIn(
  ctx: Pick<ServiceContext, 'db' | 'clock' | 'config'>,
  form: WalkInForm,
  submissionId?: string,
): {
  duplicates: DuplicateCandidate[];
  eligibility: { eligible: boolean; age: number; reason: string | null; phase: string | null };
  alreadyRegistered: AlreadyRegistered | null;
} {
  const day = centreDay(ctx.clock(), ctx.config.centre.timeZone);
  const e = eligibilityOn(ctx.config, day, form);
  return {
    duplicates: duplicatesOn(ctx.db, day, form, submissionId),
    eligibility: { eligible: e.eligible, age: e.age, reason: e.reason, phase: e.phase?.label ?? null },
    alreadyRegistered: alreadyRegistered(ctx.db, submissionId),
  };
}

export function eligibilityOf(ctx: Pick<ServiceContext, 'clock' | 'config'>, form: WalkInForm): EligibilityDecision {
  return eligibilityOn(ctx.config, centreDay(ctx.clock(), ctx.config.centre.timeZone), form);
}

function eligibilityOn(config: ServiceContext['config'], day: string, form: WalkInForm): EligibilityDecision {
  return decideEligibility(config.eligibility, day, { birthYear: form.birthYear, comorbidity: form.comorbidity });
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
      const prior = walkInOfSubmission(db, input.submissionId);
      if (prior) {
        const t = ticketOfWalkIn(db, prior.id)!;
        const same =
          prior.name === form.name &&
          prior.gender === form.gender &&
          prior.birth_year === form.birthYear &&
          // after sync.mobileRetentionDays, only the last 4 digits of the mobile are kept
          (prior.mobile.length === 4 ? prior.mobile === form.mobile.slice(-4) : prior.mobile === form.mobile) &&
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
      const now = ctx.clock();
      const at = now.toISOString();
      const day = centreDay(now, config.centre.timeZone);
      const elig = eligibilityOn(config, day, form);
      if (!elig.eligible) {
        throw new DomainError('NOT_ELIGIBLE', `not eligible: ${elig.reason}`, {
          fields: [{ field: 'birthYear', code: elig.reason ?? 'not_eligible_age' }],
          details: { age: elig.age, phase: elig.phase?.label ?? null },
        });
      }
      const dups = duplicatesOn(db, day, form, input.submissionId);
      const unseen = dups.filter((d) => !input.acknowledgedDuplicates.includes(d.id));
      if (unseen.length > 0) {
        throw new DomainError('DUPLICATE_SUSPECTED', `${unseen.length} possible duplicate(s)`, { details: { duplicates: dups } });
      }
      const id = uuidv7();
      insertWalkIn(db, {
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
      return toTicketView(t);
    })
    .immediate();
}
