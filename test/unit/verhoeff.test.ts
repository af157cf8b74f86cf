import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verhoeffDigit, verhoeffValid } from '../../common/rules/verhoeff';

const digitString = (min: number, max: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((ds) => ds.join(''));

/** An Aadhaar-format body: 11 digits, the first 2-9. */
const aadhaarBody = fc.tuple(fc.integer({ min: 2, max: 9 }), digitString(10, 10)).map(([first, rest]) => `${first}${rest}`);

describe('Verhoeff check digit', () => {
  it('matches the published examples', () => {
    // Verhoeff's worked example and the common textbook one
    expect(verhoeffDigit('236')).toBe(3);
    expect(verhoeffValid('2363')).toBe(true);
    expect(verhoeffDigit('12345')).toBe(1);
    expect(verhoeffValid('123451')).toBe(true);
    // the sample number UIDAI material uses
    expect(verhoeffValid('234123412346')).toBe(true);
    expect(verhoeffValid('234123412345')).toBe(false);
  });

  it('accepts every Aadhaar-format number built with its check digit', () => {
    fc.assert(
      fc.property(aadhaarBody, (body) => {
        const full = body + String(verhoeffDigit(body));
        expect(full).toMatch(/^[2-9]\d{11}$/);
        expect(verhoeffValid(full)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('has exactly one valid check digit for each body', () => {
    fc.assert(
      fc.property(digitString(1, 15), (body) => {
        const valid = [...'0123456789'].filter((d) => verhoeffValid(body + d));
        expect(valid).toEqual([String(verhoeffDigit(body))]);
      }),
      { numRuns: 200 },
    );
  });

  it('detects every single-digit change', () => {
    fc.assert(
      fc.property(aadhaarBody, fc.nat(11), fc.integer({ min: 1, max: 9 }), (body, pos, delta) => {
        const full = body + String(verhoeffDigit(body));
        const changed = full.slice(0, pos) + String((Number(full[pos]) + delta) % 10) + full.slice(pos + 1);
        expect(changed).not.toBe(full);
        expect(verhoeffValid(changed)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('detects every transposition of two different adjacent digits', () => {
    fc.assert(
      fc.property(aadhaarBody, fc.nat(10), (body, pos) => {
        const full = body + String(verhoeffDigit(body));
        fc.pre(full[pos] !== full[pos + 1]);
        const swapped = full.slice(0, pos) + full[pos + 1] + full[pos] + full.slice(pos + 2);
        expect(verhoeffValid(swapped)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects input that is not all digits', () => {
    expect(verhoeffValid('')).toBe(false);
    expect(verhoeffValid('2341 2341 2346')).toBe(false);
    expect(verhoeffValid('23412341234a')).toBe(false);
    expect(() => verhoeffDigit('12a')).toThrow();
    expect(() => verhoeffDigit('')).toThrow();
  });
});
