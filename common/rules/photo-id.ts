import { verhoeffValid } from './verhoeff';

/** Photo-ID documents accepted at registration (the CoWIN list). */
export const PHOTO_ID_TYPES = [
  'AADHAAR',
  'DRIVING_LICENCE',
  'PAN',
  'PASSPORT',
  'VOTER_ID',
  'NPR_SMART_CARD',
  'PENSION_PASSBOOK',
  'SERVICE_ID',
  'MGNREGA_JOB_CARD',
  'BANK_PASSBOOK',
  'UDID',
  'RATION_CARD',
] as const;
export type PhotoIdType = (typeof PHOTO_ID_TYPES)[number];

/** Uppercase; drop spaces, dots and dashes, which people type as separators. */
export function normalizePhotoId(raw: string): string {
  return raw.toUpperCase().replace(/[\s.-]/g, '');
}

/** An i18n error code (below `errors.field.`) for a normalized ID number, or null when it is valid. */
export function photoIdError(type: PhotoIdType, normalized: string): string | null {
  if (normalized.length === 0) return 'required';
  switch (type) {
    case 'AADHAAR':
      if (!/^\d{12}$/.test(normalized)) return 'aadhaar_length';
      if (normalized[0] === '0' || normalized[0] === '1') return 'aadhaar_first_digit';
      return verhoeffValid(normalized) ? null : 'aadhaar_checksum';
    case 'PAN':
      // 5 letters (4th is the holder type), 4 digits, 1 letter
      return /^[A-Z]{3}[ABCFGHJLPT][A-Z]\d{4}[A-Z]$/.test(normalized) ? null : 'pan_format';
    case 'PASSPORT':
      return /^[A-Z]\d{7}$/.test(normalized) ? null : 'passport_format';
    case 'VOTER_ID':
      return /^[A-Z]{3}\d{7}$/.test(normalized) ? null : 'voter_id_format';
    case 'DRIVING_LICENCE':
      // state code, RTO code, then year + serial (new form) or an older state-specific serial
      return /^[A-Z]{2}\d{2}[0-9A-Z]{7,13}$/.test(normalized) ? null : 'driving_licence_format';
    case 'UDID':
      return /^[A-Z]{2}\d{16}$/.test(normalized) ? null : 'udid_format';
    case 'MGNREGA_JOB_CARD':
      return /^[A-Z]{2}[0-9A-Z/]{8,28}$/.test(normalized) ? null : 'id_format';
    default:
      return /^[0-9A-Z/]{6,24}$/.test(normalized) ? null : 'id_format';
  }
}

export function last4(normalized: string): string {
  return normalized.slice(-4);
}
