/** Indian mobile numbers: 10 digits starting 6-9; a leading +91, 91 or 0 is dropped. */
export function normalizeMobile(raw: string): string {
  let s = raw.replace(/[\s\-()]/g, '');
  if (s.startsWith('+91')) s = s.slice(3);
  else if (s.length === 12 && s.startsWith('91')) s = s.slice(2);
  else if (s.length === 11 && s.startsWith('0')) s = s.slice(1);
  return s;
}

export function mobileError(normalized: string): string | null {
  if (normalized.length === 0) return 'required';
  return /^[6-9]\d{9}$/.test(normalized) ? null : 'mobile_format';
}
