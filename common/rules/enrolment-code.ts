/**
 * The one-time code hospital IT gives a new counter to enrol it with the portal. It is read off
 * a screen or a sheet and typed at the counter, so it uses an alphabet without the characters
 * people mix up (no 0/O, 1/I/L) and is shown in groups of four: `K7PM-3XQ9-HT4W`. Twelve
 * characters of 31 carry about 59 bits: with a few dozen guesses a minute allowed per address
 * and a day's validity, guessing one is out of reach. The portal keeps only its hash.
 */

/** The characters a code is made of (31: digits 2-9 and the letters but I, L and O). */
export const ENROLMENT_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const ENROLMENT_CODE_LENGTH = 12;
const GROUP = 4;

/** How a code as typed is read: case, spaces and dashes do not matter. */
export function normalizeEnrolmentCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]+/g, '');
}

/** null for a code that has the form of one (after normalizing), else why not: 'enrol_code_format'. */
export function enrolmentCodeError(typed: string): string | null {
  const code = normalizeEnrolmentCode(typed);
  if (code.length !== ENROLMENT_CODE_LENGTH) return 'enrol_code_format';
  for (const ch of code) if (!ENROLMENT_CODE_ALPHABET.includes(ch)) return 'enrol_code_format';
  return null;
}

/** The code as people are shown it: groups of four joined by dashes. */
export function formatEnrolmentCode(code: string): string {
  const plain = normalizeEnrolmentCode(code);
  const groups: string[] = [];
  for (let i = 0; i < plain.length; i += GROUP) groups.push(plain.slice(i, i + GROUP));
  return groups.join('-');
}

/**
 * The text of an enrolment's QR code: `regcounter:enrol?code=CODE` and, when IT gave the
 * portal's address, `&portal=URL`. A barcode scanner at the counter types it into the code field,
 * which then fills in both fields (see `parseEnrolmentScan`).
 */
export const ENROLMENT_QR_PREFIX = 'regcounter:enrol?';

export function enrolmentQrText(code: string, portalUrl?: string): string {
  const parts = [`code=${formatEnrolmentCode(code)}`];
  if (portalUrl) parts.push(`portal=${encodeURIComponent(portalUrl)}`);
  return ENROLMENT_QR_PREFIX + parts.join('&');
}

/** A scanned QR text's code and portal address; null when the text is not one (a typed code). */
export function parseEnrolmentScan(text: string): { code: string; portalUrl?: string } | null {
  const trimmed = text.trim();
  if (!trimmed.toLowerCase().startsWith(ENROLMENT_QR_PREFIX)) return null;
  let code: string | undefined;
  let portalUrl: string | undefined;
  for (const part of trimmed.slice(ENROLMENT_QR_PREFIX.length).split('&')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq);
    let value: string;
    try {
      value = decodeURIComponent(part.slice(eq + 1));
    } catch {
      return null;
    }
    if (key === 'code') code = value;
    else if (key === 'portal') portalUrl = value;
  }
  if (code === undefined) return null;
  return portalUrl === undefined ? { code } : { code, portalUrl };
}
