import { describe, expect, it } from 'vitest';
import { DEFAULT_ELIGIBILITY } from '../../common/domain';
import { decideEligibility, phaseOn } from '../../common/rules/eligibility';

const decide = (day: string, birthYear: number, comorbidity = false) =>
  decideEligibility(DEFAULT_ELIGIBILITY, day, { birthYear, comorbidity });

describe('2021 eligibility phases', () => {
  it('before 2021-03-01 nobody is eligible, whatever their age', () => {
    for (const [y, c] of [
      [1930, true],
      [1960, true],
      [2000, false],
    ] as const) {
      const d = decide('2021-02-28', y, c);
      expect(d.eligible).toBe(false);
      expect(d.phase).toBeNull();
      expect(d.reason).toBe('not_eligible_no_phase');
    }
  });

  describe('from 2021-03-01: 60+, or 45-59 with a comorbidity', () => {
    const day = '2021-03-01';
    it('60 and over are eligible without a comorbidity', () => {
      expect(decide(day, 1961)).toMatchObject({ eligible: true, age: 60, reason: null });
      expect(decide(day, 1925).eligible).toBe(true);
      expect(decide(day, 1961).phase?.from).toBe('2021-03-01');
    });
    it('45-59 are eligible only with a comorbidity, and are told so without one', () => {
      expect(decide(day, 1962, true)).toMatchObject({ eligible: true, age: 59 });
      expect(decide(day, 1976, true)).toMatchObject({ eligible: true, age: 45 });
      expect(decide(day, 1962, false)).toMatchObject({ eligible: false, reason: 'not_eligible_needs_comorbidity' });
      expect(decide(day, 1976, false)).toMatchObject({ eligible: false, reason: 'not_eligible_needs_comorbidity' });
    });
    it('under 45 are not eligible even with a comorbidity', () => {
      expect(decide(day, 1977, true)).toMatchObject({ eligible: false, age: 44, reason: 'not_eligible_age' });
      expect(decide(day, 1990, false)).toMatchObject({ eligible: false, reason: 'not_eligible_age' });
    });
    it('still applies on 2021-03-31', () => {
      expect(decide('2021-03-31', 1970, false).reason).toBe('not_eligible_needs_comorbidity');
    });
  });

  describe('from 2021-04-01: 45+', () => {
    it('45 and over are eligible without a comorbidity', () => {
      expect(decide('2021-04-01', 1976)).toMatchObject({ eligible: true, age: 45 });
      expect(decide('2021-04-01', 1976).phase?.label).toBe('45+');
    });
    it('44 is not eligible, and a comorbidity does not help', () => {
      expect(decide('2021-04-01', 1977, true)).toMatchObject({ eligible: false, age: 44, reason: 'not_eligible_age' });
    });
  });

  it('from 2021-05-01 18+ are eligible', () => {
    expect(decide('2021-05-01', 2003).eligible).toBe(true);
    expect(decide('2021-05-01', 2004)).toMatchObject({ eligible: false, age: 17, reason: 'not_eligible_age' });
  });

  it('counts age in whole calendar years from the birth year', () => {
    expect(decide('2021-04-01', 1976).age).toBe(45);
    expect(decide('2021-12-31', 1976).age).toBe(45);
  });

  it('the latest phase that has started applies, whatever order the phases are listed in', () => {
    const reversed = [...DEFAULT_ELIGIBILITY].reverse();
    expect(phaseOn(reversed, '2021-04-15')?.from).toBe('2021-04-01');
    expect(phaseOn(reversed, '2021-03-15')?.from).toBe('2021-03-01');
    expect(phaseOn(reversed, '2021-06-01')?.from).toBe('2021-05-01');
    expect(phaseOn(reversed, '2021-02-15')).toBeNull();
  });
});
