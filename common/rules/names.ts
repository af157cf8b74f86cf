// Only titles that are never part of a name ("Sri", "Shri" and "Kumari" can be).
const HONORIFICS = new Set(['mr', 'mrs', 'ms', 'dr', 'smt', 'late']);

/** A name of Latin letters in words single-spaced: NFKC and the clean-up leave it as it is. */
const PLAIN_NAME = /^[A-Za-z]+(?: [A-Za-z]+)*$/;
const HONORIFIC_WORD = /(?:^| )(?:mr|mrs|ms|dr|smt|late)(?: |$)/;

/** Lowercase, letters and digits of any script only, honorifics dropped, single spaces. */
export function normalizeName(name: string): string {
  // most names of a roster: the same answer as below, at a tenth of the cost
  if (PLAIN_NAME.test(name)) {
    const lower = name.toLowerCase();
    if (!HONORIFIC_WORD.test(lower)) return lower;
  }
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, ' ')
    .split(' ')
    .filter((w) => w.length > 0 && !HONORIFICS.has(w))
    .join(' ');
}

/**
 * Edit distance counting an adjacent swap as one edit (optimal string alignment):
 * "shrama" is one edit from "sharma", as a typist would count it.
 */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  if (m === 0) return n;
  if (n === 0) return m;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) {
        v = Math.min(v, prev2[j - 2]! + 1);
      }
      cur[j] = v;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n]!;
}

/**
 * Similarity of two names in [0, 1], tolerant of typos and of word order
 * ("Ram Kumar Sharma" ~ "Sharma Ram Kumar", "Mohd Irfan" ~ "Mohd Irphan").
 */
export function nameSimilarity(a: string, b: string): number {
  const na = normalizeName(a);
  const nb = normalizeName(b);
  if (!na || !nb) return 0;
  if (na === nb) return 1;
  const whole = 1 - editDistance(na, nb) / Math.max(na.length, nb.length);
  const sa = na.split(' ').sort().join(' ');
  const sb = nb.split(' ').sort().join(' ');
  const sorted = 1 - editDistance(sa, sb) / Math.max(sa.length, sb.length);
  return Math.max(whole, sorted);
}

export const SIMILAR_NAME_THRESHOLD = 0.8;
