import { describe, expect, it } from 'vitest';
import { mobileError, normalizeMobile } from '../../common/rules/mobile';

describe('mobile numbers', () => {
  it.each([
    ['9876543210', '9876543210'],
    ['+91 98765 43210', '9876543210'],
    ['+91-98765-43210', '9876543210'],
    ['919876543210', '9876543210'],
    ['09876543210', '9876543210'],
    ['(98765) 43210', '9876543210'],
  ])('normalises %s to the 10-digit number', (raw, expected) => {
    expect(normalizeMobile(raw)).toBe(expected);
    expect(mobileError(normalizeMobile(raw))).toBeNull();
  });

  it('does not strip 91 or 0 from a number that is already 10 digits', () => {
    expect(normalizeMobile('9198765432')).toBe('9198765432');
    expect(normalizeMobile('0987654321')).toBe('0987654321');
    expect(mobileError('0987654321')).toBe('mobile_format');
  });

  it('accepts only 10 digits starting 6-9', () => {
    expect(mobileError('6000000000')).toBeNull();
    expect(mobileError('5876543210')).toBe('mobile_format');
    expect(mobileError('987654321')).toBe('mobile_format');
    expect(mobileError('98765432101')).toBe('mobile_format');
    expect(mobileError('98765x3210')).toBe('mobile_format');
  });

  it('says required when nothing is left', () => {
    expect(mobileError(normalizeMobile(''))).toBe('required');
    expect(mobileError(normalizeMobile(' - ( ) '))).toBe('required');
  });
});
