/**
 * Personal data kept out of the logs and the diagnostics bundle. The code logs records by UUID
 * or token, never by name, mobile or ID number; this is the net under that rule: fields named
 * like personal data are replaced whole, and text that looks like a mobile or an ID number
 * (an error message that quoted one) is masked.
 */

/** Fields whose value is personal data whatever it holds. */
export const PERSONAL_KEYS: ReadonlySet<string> = new Set([
  'name',
  'nameHi',
  'fullName',
  'mobile',
  'phone',
  'photoId',
  'photoIdNumber',
  'idNumber',
  'aadhaar',
  'pin',
  'newPin',
  'currentPin',
  'birthYear',
  'dob',
  'dateOfBirth',
  'address',
]);

export const REMOVED = '[removed]';

// a boundary is anything that is not a letter or a digit
const B = '(?<![0-9A-Za-z])';
const E = '(?![0-9A-Za-z])';
const PATTERNS: readonly [RegExp, string][] = [
  // UDID, PAN, passport, voter ID, driving licence (the formats common/rules/photo-id.ts accepts)
  [
    new RegExp(`${B}(?:[A-Z]{2}\\d{16}|[A-Z]{5}\\d{4}[A-Z]|[A-Z]{3}\\d{7}|[A-Z]\\d{7}|[A-Z]{2}\\d{2}[0-9A-Z]{7,13})${E}`, 'gi'),
    '[id-number]',
  ],
  // Indian mobiles (first: +91 and ten digits are twelve), with +91, 91 or 0 in front or not, one space or dash inside or not
  [new RegExp(`${B}(?:\\+?91[ -]?|0)?[6-9]\\d{4}[ -]?\\d{5}${E}`, 'g'), '[mobile]'],
  // Aadhaar and other 12-digit numbers, written with or without spaces or dashes
  [new RegExp(`${B}\\d{4}[ -]?\\d{4}[ -]?\\d{4}${E}`, 'g'), '[id-number]'],
  // any other long run of digits (an ID of a kind not listed above)
  [new RegExp(`${B}\\d{7,}${E}`, 'g'), '[number]'],
];

/** Record IDs (UUIDs) name records, not people: kept as they are, though a group of one may be all digits. */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

function mask(text: string): string {
  let out = text;
  for (const [pattern, m] of PATTERNS) out = out.replace(pattern, m);
  return out;
}

/** Text with what looks like a mobile or an ID number masked. */
export function redactText(text: string): string {
  let out = '';
  let at = 0;
  for (const m of text.matchAll(UUID)) {
    out += mask(text.slice(at, m.index)) + m[0];
    at = m.index + m[0].length;
  }
  return out + mask(text.slice(at));
}

/**
 * A copy of a value with personal fields replaced and every string masked (redactText),
 * to a bounded depth; errors become { type, message, stack } as pino writes them.
 */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  if (depth > 8) return '[deep]';
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: redactText(value.message) };
    if (value.stack) out.stack = redactText(value.stack);
    if ('code' in value) out.code = redactValue(value.code, depth + 1);
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = PERSONAL_KEYS.has(k) ? REMOVED : redactValue(v, depth + 1);
  return out;
}
