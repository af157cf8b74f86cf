import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nameSimilarity, normalizeName, SIMILAR_NAME_THRESHOLD } from '../../common/rules/names';

describe('name normalisation', () => {
  it('lowercases, drops punctuation and honorifics, single-spaces', () => {
    expect(normalizeName('  Dr.  Ram   KUMAR-Sharma ')).toBe('ram kumar sharma');
    expect(normalizeName('Smt. Sunita Devi')).toBe('sunita devi');
    expect(normalizeName("Mohd. Irfan O'Brien")).toBe('mohd irfan o brien');
    expect(normalizeName('Mrs Late Ram Lal')).toBe('ram lal');
  });

  it('keeps words that are titles for some and names for others (Sri, Shri, Kumari)', () => {
    // "sri" is also how an operator starts typing Srivastava
    expect(normalizeName('Sri')).toBe('sri');
    expect(normalizeName('Shri Ram Lal')).toBe('shri ram lal');
    expect(normalizeName('Kumari Selja')).toBe('kumari selja');
  });

  it('keeps letters of any script, including Devanagari vowel signs', () => {
    expect(normalizeName('सुनीता  देवी')).toBe('सुनीता देवी');
  });

  it('folds compatibility forms (NFKC)', () => {
    expect(normalizeName('ＲＡＭ')).toBe('ram');
  });

  it('a plain Latin name (the quick way) is read as any other name is', () => {
    // the rule written out in full, as for a name of any script
    const byTheRule = (name: string) =>
      name
        .normalize('NFKC')
        .toLowerCase()
        .replace(/[^\p{L}\p{M}\p{N}]+/gu, ' ')
        .split(' ')
        .filter((w) => w.length > 0 && !['mr', 'mrs', 'ms', 'dr', 'smt', 'late'].includes(w))
        .join(' ');
    for (const name of [
      'Ram Kumar',
      'DR Ram',
      'Ram Dr',
      'Ram Late Lal',
      'Mrs',
      'Drona Lateef',
      'Smita',
      'A B C',
      'ram  kumar',
      ' Ram',
      'Ram-Lal',
    ]) {
      expect(normalizeName(name), name).toBe(byTheRule(name));
    }
    const word = fc.oneof(
      fc.constantFrom('Mr', 'MRS', 'ms', 'Dr', 'smt', 'Late', 'Lata', 'Drona', 'Ms.', 'ﬁ', 'सुनीता'),
      fc.stringMatching(/^[A-Za-z]{1,8}$/),
    );
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 5 }), fc.constantFrom(' ', '  ', '-'), (words, gap) => {
        const name = words.join(gap);
        expect(normalizeName(name)).toBe(byTheRule(name));
      }),
      { numRuns: 500 },
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        expect(normalizeName(normalizeName(s))).toBe(normalizeName(s));
      }),
      { numRuns: 200 },
    );
  });
});

describe('name similarity', () => {
  const similar = (a: string, b: string) => nameSimilarity(a, b) >= SIMILAR_NAME_THRESHOLD;

  it('is 1 for the same name written differently', () => {
    expect(nameSimilarity('Sunita Devi', 'SUNITA  DEVI')).toBe(1);
    expect(nameSimilarity('Smt. Sunita Devi', 'sunita devi')).toBe(1);
  });

  it('rates reordered names as similar', () => {
    expect(similar('Ram Kumar Sharma', 'Sharma Ram Kumar')).toBe(true);
    expect(similar('Yadav Kamla', 'Kamla Yadav')).toBe(true);
  });

  it('rates names with a typo as similar', () => {
    expect(similar('Mohd Irfan', 'Mohd Irphan')).toBe(true);
    expect(similar('Rajesh Srivastava', 'Rajesh Shrivastava')).toBe(true);
    expect(similar('Geeta Mishra', 'Gita Mishra')).toBe(true);
  });

  it('rates unrelated names below the threshold', () => {
    expect(similar('Ram Kumar Sharma', 'Geeta Yadav')).toBe(false);
    expect(similar('Mohd Irfan', 'Sunita Devi')).toBe(false);
    expect(similar('Anil Gupta', 'Salim Ansari')).toBe(false);
  });

  it('is 0 when either name has nothing left after normalisation', () => {
    expect(nameSimilarity('', 'Ram')).toBe(0);
    expect(nameSimilarity('Dr.', 'Dr.')).toBe(0);
  });

  it('is symmetric, within [0, 1], and 1 for identical names', () => {
    const name = fc.stringMatching(/^[A-Za-z]{1,8}( [A-Za-z]{1,8}){0,2}$/);
    fc.assert(
      fc.property(name, name, (a, b) => {
        const s = nameSimilarity(a, b);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1);
        expect(nameSimilarity(b, a)).toBeCloseTo(s, 12);
        if (normalizeName(a)) expect(nameSimilarity(a, a)).toBe(1);
      }),
      { numRuns: 200 },
    );
  });

  it('rates the same words in another order as fully similar', () => {
    const words = fc.array(fc.stringMatching(/^[a-z]{2,8}$/), { minLength: 2, maxLength: 4 });
    fc.assert(
      fc.property(words, (ws) => {
        fc.pre(normalizeName(ws.join(' ')) !== '');
        const reordered = [...ws].reverse().join(' ');
        expect(nameSimilarity(ws.join(' '), reordered)).toBe(1);
      }),
      { numRuns: 100 },
    );
  });
});
