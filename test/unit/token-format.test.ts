import { describe, expect, it } from 'vitest';
import { formatToken } from '../../main/services/tickets';

describe('token format', () => {
  it('is prefix, dash, lane letter and a 3-digit sequence', () => {
    expect(formatToken('A', 'P', 1)).toBe('A-P001');
    expect(formatToken('A', 'W', 17)).toBe('A-W017');
    expect(formatToken('BC', 'P', 999)).toBe('BC-P999');
  });

  it('grows past 999 instead of wrapping', () => {
    expect(formatToken('A', 'P', 1000)).toBe('A-P1000');
    expect(formatToken('A', 'P', 1000)).not.toBe(formatToken('A', 'P', 0));
  });
});
