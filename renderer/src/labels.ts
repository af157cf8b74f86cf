import type { TFunction } from 'i18next';
import { PHOTO_ID_TYPES } from '../../common/rules/photo-id';
import { tDynamic } from './i18n';
import { en } from './i18n/en';

/** The name of a photo-ID type in the UI language; an unknown type (from an old roster) as it came. */
export function photoIdLabel(t: TFunction, type: string): string {
  return (PHOTO_ID_TYPES as readonly string[]).includes(type) ? tDynamic(t, `photoIdType.${type}`, 'errors.field.invalid') : type;
}

/** Refusal codes the portal sends that have words of their own (`attention.refusal.*`). */
const REFUSAL_CODES = new Set(Object.keys(en.attention.refusal));

/** Why the portal refused a record, in the UI language; null for a code without words here (its own reason stands). */
export function refusalText(t: TFunction, code: string): string | null {
  return REFUSAL_CODES.has(code) ? tDynamic(t, `attention.refusal.${code}`, 'attention.reason') : null;
}
