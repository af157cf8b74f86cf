/**
 * Deterministic demo people: a day roster of any size and valid walk-in forms. Used by the
 * demo data, the tests and the benchmarks (same seed, same people).
 */
import { verhoeffDigit } from '../rules/verhoeff';
import type { RosterEntry, WalkInFormInput } from '../domain';

const FIRST_F = [
  'Sunita',
  'Anita',
  'Kamla',
  'Geeta',
  'Rekha',
  'Pooja',
  'Savitri',
  'Shabnam',
  'Nasreen',
  'Priya',
  'Meena',
  'Asha',
  'Radha',
  'Farzana',
  'Lakshmi',
  'Usha',
  'Kiran',
  'Neha',
  'Shanti',
  'Gurpreet',
];
const FIRST_M = [
  'Ram',
  'Shyam',
  'Mohd',
  'Rajesh',
  'Suresh',
  'Anil',
  'Vijay',
  'Irfan',
  'Rakesh',
  'Amit',
  'Sanjay',
  'Ashok',
  'Imran',
  'Deepak',
  'Manoj',
  'Harpreet',
  'Arun',
  'Ravi',
  'Salim',
  'Prakash',
];
const MIDDLE = ['', '', '', 'Kumar', 'Prasad', 'Devi', 'Lal', 'Chandra', 'Nath', 'Bano'];
const LAST = [
  'Sharma',
  'Verma',
  'Yadav',
  'Gupta',
  'Singh',
  'Khan',
  'Mishra',
  'Tiwari',
  'Srivastava',
  'Pandey',
  'Ansari',
  'Siddiqui',
  'Maurya',
  'Kushwaha',
  'Rawat',
  'Saxena',
  'Agarwal',
  'Chaudhary',
  'Pal',
  'Qureshi',
];
const ID_TYPES = ['AADHAAR', 'AADHAAR', 'AADHAAR', 'VOTER_ID', 'PAN', 'DRIVING_LICENCE'] as const;

/** mulberry32: small, fast, good enough for test data */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const digits = (r: () => number, n: number) => Array.from({ length: n }, () => Math.floor(r() * 10)).join('');

export function personName(r: () => number, gender: 'F' | 'M'): string {
  const first = pick(r, gender === 'F' ? FIRST_F : FIRST_M);
  const middle = pick(r, MIDDLE);
  return [first, middle, pick(r, LAST)].filter(Boolean).join(' ');
}

/** A 12-digit Aadhaar-format number with a valid Verhoeff check digit (not a real person's). */
export function aadhaarNumber(r: () => number): string {
  const body = String(2 + Math.floor(r() * 8)) + digits(r, 10);
  return body + String(verhoeffDigit(body));
}

export function rosterEntries(count: number, seed = 1): RosterEntry[] {
  const r = prng(seed);
  const out: RosterEntry[] = [];
  for (let i = 0; i < count; i++) {
    const gender = r() < 0.5 ? 'F' : 'M';
    const slotMinute = 9 * 60 + 15 * Math.floor(r() * 32); // 09:00-16:45
    out.push({
      refId: String(10_000_000_000_000 + i * 7919 + Math.floor(r() * 7919)).slice(0, 14),
      name: personName(r, gender),
      gender,
      birthYear: 1940 + Math.floor(r() * 60),
      mobileLast4: digits(r, 4),
      photoIdType: pick(r, ID_TYPES),
      photoIdLast4: digits(r, 4),
      dose: r() < 0.7 ? 1 : 2,
      slotTime: `${String(Math.floor(slotMinute / 60)).padStart(2, '0')}:${String(slotMinute % 60).padStart(2, '0')}`,
    });
  }
  return out;
}

export function rosterCsv(day: string, entries: readonly RosterEntry[]): string {
  const lines = ['date,ref_id,name,gender,birth_year,mobile_last4,photo_id_type,photo_id_last4,dose,slot_time'];
  for (const e of entries) {
    lines.push(
      [day, e.refId, e.name, e.gender, e.birthYear, e.mobileLast4, e.photoIdType, e.photoIdLast4, e.dose, e.slotTime ?? ''].join(
        ',',
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

export function rosterJson(day: string, entries: readonly RosterEntry[]): string {
  return JSON.stringify({ date: day, appointments: entries });
}

export function walkInForm(r: () => number, overrides: Partial<WalkInFormInput> = {}): WalkInFormInput {
  const gender = r() < 0.5 ? 'F' : 'M';
  return {
    name: personName(r, gender),
    gender,
    birthYear: 1940 + Math.floor(r() * 30),
    mobile: String(6 + Math.floor(r() * 4)) + digits(r, 9),
    photoIdType: 'AADHAAR',
    photoIdNumber: aadhaarNumber(r),
    comorbidity: r() < 0.3,
    dose: 1,
    ...overrides,
  };
}
