import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ENGLISH_DIGITS,
  HINDI_DIGITS,
  HINDI_LETTERS,
  announcementText,
  spellCharacters,
  spokenDestination,
  type SpeechLanguage,
} from '../../common/rules/announcement';

const counterA1 = { kind: 'counter', code: 'A1' } as const;

describe('what is said for a call', () => {
  it('says the token and the counter in Hindi and English as the hall hears them', () => {
    expect(announcementText('A-P017', counterA1, 'hi')).toBe('टोकन ए पी शून्य एक सात, काउंटर ए एक पर आइए');
    expect(announcementText('A-P017', counterA1, 'en')).toBe('Token A P zero one seven, please come to counter A 1');
  });

  it('spells every letter by its name and says every digit, in both languages', () => {
    expect(announcementText('W-ZQX0123456789', { kind: 'counter', code: 'B12' }, 'hi')).toBe(
      'टोकन डब्ल्यू ज़ेड क्यू एक्स शून्य एक दो तीन चार पाँच छह सात आठ नौ, काउंटर बी एक दो पर आइए',
    );
    expect(announcementText('W-ZQX0123456789', { kind: 'counter', code: 'B12' }, 'en')).toBe(
      'Token W Z Q X zero one two three four five six seven eight nine, please come to counter B 1 2',
    );
    expect(Object.keys(HINDI_LETTERS)).toHaveLength(26);
  });

  it('never says the hyphen, and says a number digit by digit (017 is not seventeen)', () => {
    expect(announcementText('A-017', counterA1, 'en')).not.toMatch(/hyphen|dash|minus|seventeen|-/u);
    expect(announcementText('A-017', counterA1, 'hi')).not.toMatch(/-|सत्रह/u);
  });

  it('says a room set for the counter as it is written', () => {
    expect(announcementText('A-P017', { kind: 'room', name: 'Room 2' }, 'en')).toBe(
      'Token A P zero one seven, please come to Room 2',
    );
    expect(announcementText('A-P017', { kind: 'room', name: 'कमरा 2' }, 'hi')).toBe('टोकन ए पी शून्य एक सात, कमरा 2 पर आइए');
  });

  it('tells a counter from a room in a board call', () => {
    const call = { counterCode: 'A1', destination: { en: 'Counter A1', hi: 'काउंटर A1' } };
    expect(spokenDestination(call, 'en')).toEqual(counterA1);
    expect(spokenDestination(call, 'hi')).toEqual(counterA1);
    const room = { counterCode: 'A1', destination: { en: 'Room 2', hi: 'कमरा 2' } };
    expect(spokenDestination(room, 'en')).toEqual({ kind: 'room', name: 'Room 2' });
    expect(spokenDestination(room, 'hi')).toEqual({ kind: 'room', name: 'कमरा 2' });
    expect(spokenDestination({ counterCode: 'A1', destination: { en: '', hi: '' } }, 'hi')).toEqual(counterA1);
  });

  it('is the same text for the same call every time (a pure function)', () => {
    expect(announcementText('B-W002', counterA1, 'hi')).toBe(announcementText('B-W002', counterA1, 'hi'));
  });

  const tokenChar = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-');
  const token = fc.array(tokenChar, { minLength: 1, maxLength: 20 }).map((cs) => cs.join(''));
  const language = fc.constantFrom<SpeechLanguage>('hi', 'en');

  /** The word each character of the token is said as, or null when it is not said. */
  function wordFor(ch: string, lang: SpeechLanguage): string | null {
    if (ch === '-') return null;
    if (/[0-9]/u.test(ch)) return (lang === 'hi' ? HINDI_DIGITS : ENGLISH_DIGITS)[Number(ch)]!;
    return lang === 'hi' ? HINDI_LETTERS[ch]! : ch;
  }

  it('says every character of any token, in order, and nothing else (property)', () => {
    fc.assert(
      fc.property(token, language, (t, lang) => {
        const text = announcementText(t, counterA1, lang);
        const prefix = lang === 'hi' ? 'टोकन ' : 'Token ';
        const suffix = lang === 'hi' ? ', काउंटर ए एक पर आइए' : ', please come to counter A 1';
        expect(text.startsWith(prefix)).toBe(true);
        expect(text.endsWith(suffix)).toBe(true);
        const said = text.slice(prefix.length, text.length - suffix.length);
        const expected = [...t].map((ch) => wordFor(ch, lang)).filter((w): w is string => w !== null);
        expect(said === '' ? [] : said.split(' ')).toEqual(expected);
        expect(spellCharacters(t, lang)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('spells lower-case letters and Devanagari digits as their letters and digits', () => {
    expect(spellCharacters('a-p०१७', 'hi')).toEqual(['ए', 'पी', 'शून्य', 'एक', 'सात']);
    expect(spellCharacters('a-p०१७', 'en')).toEqual(['A', 'P', 'zero', 'one', 'seven']);
  });
});
