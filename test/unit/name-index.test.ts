/**
 * The name index's match: the positions whose name holds, for every group, one of its words as
 * a substring, the first `limit` in roster order. Checked against a plain filter over the names,
 * with matches that touch more bookings than its kept buffer first holds (it grows), and one
 * match after another (nothing left marked by the one before).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NameIndex } from '../../main/services/name-index';

const WORDS = ['sharma', 'shah', 'kumar', 'kumari', 'yadav', 'singh', 'verma', 'devi', 'prasad', 'ansari'];

function build(names: string[]): NameIndex {
  const index = new NameIndex(1, 'test');
  names.forEach((n, i) => index.add(1000 + i, n, n));
  return index;
}

/** What match must answer: plain substring tests over every name, in order. */
function plain(names: string[], groups: string[][], limit: number): number[] {
  const words = (n: string) => n.split(' ').filter((w) => w.length >= 3);
  return names
    .map((n, p) => ({ n, p }))
    .filter(({ n }) => groups.every((g) => words(n).some((w) => g.some((q) => w.includes(q)))))
    .map(({ p }) => p)
    .slice(0, limit);
}

describe('NameIndex.match', () => {
  it('finds the bookings of a common three letters across thousands of names, in roster order, again and again', () => {
    const names = Array.from({ length: 6000 }, (_, i) => `${WORDS[i % 10]} ${WORDS[(i * 7) % 10]} ${WORDS[(i * 3) % 10]}`);
    const index = build(names);
    for (const groups of [[['sha']], [['sha'], ['kum']], [['kum', 'yad'], ['dev']], [['sha']], [['ans'], ['pra']]]) {
      for (const limit of [1, 100, 5000]) expect(index.match(groups, limit)).toEqual(plain(names, groups, limit));
    }
  });

  it('answers as a plain filter for any names and query words', () => {
    const name = fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 3 }).map((ws) => ws.join(' '));
    const part = fc
      .constantFrom(...WORDS)
      .chain((w) =>
        fc
          .nat({ max: w.length - 3 })
          .chain((from) => fc.integer({ min: from + 3, max: w.length }).map((to) => w.slice(from, to))),
      );
    fc.assert(
      fc.property(
        fc.array(name, { minLength: 1, maxLength: 3000 }),
        fc.array(fc.array(part, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 200 }),
        (names, groups, limit) => {
          const index = build(names);
          expect(index.match(groups, limit)).toEqual(plain(names, groups, limit));
          // a second match on the same index: nothing left over from the first
          expect(index.match(groups, limit)).toEqual(plain(names, groups, limit));
        },
      ),
      { numRuns: 60 },
    );
  });
});
