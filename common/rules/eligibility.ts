/**
 * Who may be vaccinated on a given day. Phases come from provisioning, each with the day
 * it takes effect; the latest phase that has started applies. Age is counted in whole
 * calendar years from the birth year (the portal records birth year only).
 */
export interface EligibilityCriterion {
  minAge: number;
  maxAge?: number | undefined;
  requiresComorbidity?: boolean | undefined;
}
export interface EligibilityPhase {
  from: string; // YYYY-MM-DD, centre day
  label: string;
  anyOf: EligibilityCriterion[];
}

export interface EligibilityDecision {
  eligible: boolean;
  age: number;
  phase: EligibilityPhase | null;
  /** i18n key below `errors.field.` when not eligible */
  reason: string | null;
}

export function phaseOn(phases: readonly EligibilityPhase[], day: string): EligibilityPhase | null {
  let best: EligibilityPhase | null = null;
  for (const p of phases) if (p.from <= day && (!best || p.from > best.from)) best = p;
  return best;
}

export function decideEligibility(
  phases: readonly EligibilityPhase[],
  day: string,
  person: { birthYear: number; comorbidity: boolean },
): EligibilityDecision {
  const age = Number(day.slice(0, 4)) - person.birthYear;
  const phase = phaseOn(phases, day);
  if (!phase) return { eligible: false, age, phase: null, reason: 'not_eligible_no_phase' };
  const meets = phase.anyOf.some(
    (c) => age >= c.minAge && (c.maxAge === undefined || age <= c.maxAge) && (!c.requiresComorbidity || person.comorbidity),
  );
  if (meets) return { eligible: true, age, phase, reason: null };
  // A comorbidity would have made them eligible: say so, the operator may have missed the box.
  const withComorbidity = phase.anyOf.some(
    (c) => age >= c.minAge && (c.maxAge === undefined || age <= c.maxAge) && c.requiresComorbidity,
  );
  return { eligible: false, age, phase, reason: withComorbidity ? 'not_eligible_needs_comorbidity' : 'not_eligible_age' };
}
