import { describe, expect, it } from 'vitest';
import { last4, normalizePhotoId, PHOTO_ID_TYPES, photoIdError, type PhotoIdType } from '../../common/rules/photo-id';
import { verhoeffDigit } from '../../common/rules/verhoeff';

const withCheck = (body: string) => body + String(verhoeffDigit(body));
const check = (type: PhotoIdType, raw: string) => photoIdError(type, normalizePhotoId(raw));

describe('photo-ID normalisation', () => {
  it('uppercases and drops the spaces, dots and dashes people type as separators', () => {
    expect(normalizePhotoId('2341 2341 2346')).toBe('234123412346');
    expect(normalizePhotoId('2341-2341-2346')).toBe('234123412346');
    expect(normalizePhotoId(' abcpe1234f ')).toBe('ABCPE1234F');
    expect(normalizePhotoId('up14.2015-0012345')).toBe('UP1420150012345');
    expect(normalizePhotoId('a\t1234567')).toBe('A1234567');
  });

  it('keeps slashes, which are part of some ID numbers', () => {
    expect(normalizePhotoId('up-01/002/123')).toBe('UP01/002/123');
  });

  it('last4 is the last four characters of the normalized number', () => {
    expect(last4(normalizePhotoId('2341 2341 2346'))).toBe('2346');
  });
});

describe('Aadhaar numbers', () => {
  const valid = withCheck('23412341234'); // 234123412346

  it('accepts 12 digits with a valid Verhoeff check digit, with or without separators', () => {
    expect(check('AADHAAR', valid)).toBeNull();
    expect(check('AADHAAR', '2341 2341 2346')).toBeNull();
    expect(check('AADHAAR', '2341-2341-2346')).toBeNull();
    expect(check('AADHAAR', withCheck('98765432109'))).toBeNull();
  });

  it('requires exactly 12 digits', () => {
    expect(check('AADHAAR', valid.slice(0, 11))).toBe('aadhaar_length');
    expect(check('AADHAAR', `${valid}0`)).toBe('aadhaar_length');
    expect(check('AADHAAR', '23412341234A')).toBe('aadhaar_length');
  });

  it('refuses numbers starting with 0 or 1 even with a valid check digit', () => {
    expect(check('AADHAAR', withCheck('03412341234'))).toBe('aadhaar_first_digit');
    expect(check('AADHAAR', withCheck('13412341234'))).toBe('aadhaar_first_digit');
  });

  it('refuses a wrong check digit', () => {
    const wrong = valid.slice(0, 11) + String((Number(valid[11]) + 1) % 10);
    expect(check('AADHAAR', wrong)).toBe('aadhaar_checksum');
  });

  it('says required for an empty number, whatever the type', () => {
    for (const t of PHOTO_ID_TYPES) expect(check(t, '  - ')).toBe('required');
  });
});

describe('other photo-ID formats', () => {
  it('PAN: 5 letters with a holder-type 4th letter, 4 digits, 1 letter', () => {
    expect(check('PAN', 'ABCPE1234F')).toBeNull();
    expect(check('PAN', 'abcpe1234f')).toBeNull();
    expect(check('PAN', 'AAACB1234C')).toBeNull(); // company
    expect(check('PAN', 'ABCXE1234F')).toBe('pan_format'); // X is not a holder type
    expect(check('PAN', 'ABCPE12345')).toBe('pan_format');
    expect(check('PAN', 'ABCP1234F')).toBe('pan_format');
  });

  it('passport: a letter and 7 digits', () => {
    expect(check('PASSPORT', 'J8369854')).toBeNull();
    expect(check('PASSPORT', 'j 8369854')).toBeNull();
    expect(check('PASSPORT', 'J836985')).toBe('passport_format');
    expect(check('PASSPORT', '18369854')).toBe('passport_format');
  });

  it('voter ID (EPIC): 3 letters and 7 digits', () => {
    expect(check('VOTER_ID', 'ABC1234567')).toBeNull();
    expect(check('VOTER_ID', 'abc-1234567')).toBeNull();
    expect(check('VOTER_ID', 'AB12345678')).toBe('voter_id_format');
    expect(check('VOTER_ID', 'ABC123456')).toBe('voter_id_format');
  });

  it('driving licence: state, RTO, then the serial, separators ignored', () => {
    expect(check('DRIVING_LICENCE', 'UP14 20150012345')).toBeNull();
    expect(check('DRIVING_LICENCE', 'MH-12-2011-0062821')).toBeNull();
    expect(check('DRIVING_LICENCE', 'DL0420110149646')).toBeNull();
    expect(check('DRIVING_LICENCE', 'U14 20150012345')).toBe('driving_licence_format');
    expect(check('DRIVING_LICENCE', 'UP14123')).toBe('driving_licence_format');
  });

  it('UDID: 2 letters and 16 digits', () => {
    expect(check('UDID', 'UP0123456789012345')).toBeNull();
    expect(check('UDID', 'UP012345678901234')).toBe('udid_format');
  });

  it('the other documents take 6-24 letters, digits or slashes', () => {
    expect(check('RATION_CARD', '123456')).toBeNull();
    expect(check('BANK_PASSBOOK', 'SBIN/0001/2345')).toBeNull();
    expect(check('PENSION_PASSBOOK', '12345')).toBe('id_format');
    expect(check('SERVICE_ID', 'A'.repeat(25))).toBe('id_format');
    expect(check('NPR_SMART_CARD', 'AB#123456')).toBe('id_format');
  });

  it('MGNREGA job card: state code then 8-28 letters, digits or slashes', () => {
    expect(check('MGNREGA_JOB_CARD', 'UP-01-002-003-004/123')).toBeNull();
    expect(check('MGNREGA_JOB_CARD', 'UP1234567')).toBe('id_format');
  });
});
