import { distance } from 'fastest-levenshtein';

const HONORIFICS = new Set(['mr', 'mrs', 'ms', 'miss', 'dr', 'shri', 'sri', 'smt', 'kumari', 'km', 'late']);

/** Lowercase, letters and digits of any script only, honorifics dropped, single spaces. */
export function normalizeName(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, ' ')
    .split(' ')
    .filter((w) => w.length > 0 && !HONORIFICS.has(w))
    .join(' ');
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
  const whole = 1 - distance(na, nb) / Math.max(na.length, nb.length);
  const sa = na.split(' ').sort().join(' ');
  const sb = nb.split(' ').sort().join(' ');
  const sorted = 1 - distance(sa, sb) / Math.max(sa.length, sb.length);
  return Math.max(whole, sorted);
}

export const SIMILAR_NAME_THRESHOLD = 0.8;
