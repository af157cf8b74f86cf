import type { TFunction } from 'i18next';
import { PHOTO_ID_TYPES } from '../../common/rules/photo-id';
import { tDynamic } from './i18n';

/** The name of a photo-ID type in the UI language; an unknown type (from an old roster) as it came. */
export function photoIdLabel(t: TFunction, type: string): string {
  return (PHOTO_ID_TYPES as readonly string[]).includes(type) ? tDynamic(t, `photoIdType.${type}`, 'errors.field.invalid') : type;
}
