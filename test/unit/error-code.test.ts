import { describe, expect, it } from 'vitest';
import { errorCode } from '../../common/error-code';

describe('errorCode', () => {
  it('reads a string code from anything thrown, and nothing else', () => {
    expect(errorCode(Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' }))).toBe('SQLITE_BUSY');
    expect(errorCode({ code: 'EPIPE' })).toBe('EPIPE');
    expect(errorCode(Object.assign(new Error('odd'), { code: 42 }))).toBeUndefined();
    expect(errorCode(new Error('plain'))).toBeUndefined();
    for (const thrown of [null, undefined, 'ECONNRESET', 7, Symbol('x')]) expect(errorCode(thrown)).toBeUndefined();
  });
});
