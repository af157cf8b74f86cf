/**
 * What the waiting hall hears when a ticket is called: a pure function of the token, where to go
 * and the language. "Token A P zero one seven, please come to counter A 1" /
 * "टोकन ए पी शून्य एक सात, काउंटर ए एक पर आइए". Letters are spelled by their names, digits said
 * one by one (so "017" is never "seventeen"), the hyphen of "A-P017" is not said, and a room name
 * set for a counter is said as it is written.
 */

export type SpeechLanguage = 'hi' | 'en';

/** Where the called person goes: the counter (its code is spelled) or a room named for it (said as given). */
export type SpokenDestination = { kind: 'counter'; code: string } | { kind: 'room'; name: string };

/** English letters as said in Hindi. */
export const HINDI_LETTERS: Readonly<Record<string, string>> = {
  A: 'ए',
  B: 'बी',
  C: 'सी',
  D: 'डी',
  E: 'ई',
  F: 'एफ',
  G: 'जी',
  H: 'एच',
  I: 'आई',
  J: 'जे',
  K: 'के',
  L: 'एल',
  M: 'एम',
  N: 'एन',
  O: 'ओ',
  P: 'पी',
  Q: 'क्यू',
  R: 'आर',
  S: 'एस',
  T: 'टी',
  U: 'यू',
  V: 'वी',
  W: 'डब्ल्यू',
  X: 'एक्स',
  Y: 'वाई',
  Z: 'ज़ेड',
};

export const HINDI_DIGITS = ['शून्य', 'एक', 'दो', 'तीन', 'चार', 'पाँच', 'छह', 'सात', 'आठ', 'नौ'] as const;
export const ENGLISH_DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'] as const;

/** Characters that only separate parts of a token or code: never said. */
const SEPARATORS = /[-‐‑–—_\s./]/u;
const DEVANAGARI_ZERO = 0x0966;

/** The digit 0-9 that `ch` stands for (ASCII or Devanagari), or null. */
function digitOf(ch: string): number | null {
  if (ch >= '0' && ch <= '9') return ch.charCodeAt(0) - 48;
  const c = ch.charCodeAt(0) - DEVANAGARI_ZERO;
  return ch.length === 1 && c >= 0 && c <= 9 ? c : null;
}

/**
 * The words for each character of a token or code, in order: a letter's name, a digit's word
 * (`digits: 'numerals'` keeps an English digit as its numeral, said alone as one digit);
 * separators give no word; anything else is said as written.
 */
export function spellCharacters(s: string, lang: SpeechLanguage, digits: 'words' | 'numerals' = 'words'): string[] {
  const words: string[] = [];
  for (const ch of s) {
    if (SEPARATORS.test(ch)) continue;
    const d = digitOf(ch);
    if (d !== null) {
      words.push((lang === 'hi' ? HINDI_DIGITS[d] : digits === 'numerals' ? String(d) : ENGLISH_DIGITS[d]) ?? String(d));
      continue;
    }
    const upper = ch.toUpperCase();
    if (upper >= 'A' && upper <= 'Z' && upper.length === 1) {
      words.push(lang === 'hi' ? (HINDI_LETTERS[upper] ?? upper) : upper);
      continue;
    }
    words.push(ch);
  }
  return words;
}

/** The sentence said for one call in one language. */
export function announcementText(token: string, destination: SpokenDestination, lang: SpeechLanguage): string {
  const tokenWords = spellCharacters(token, lang).join(' ');
  if (lang === 'hi') {
    const where =
      destination.kind === 'counter' ? `काउंटर ${spellCharacters(destination.code, 'hi').join(' ')}` : destination.name.trim();
    return `टोकन ${tokenWords}, ${where} पर आइए`;
  }
  const where =
    destination.kind === 'counter'
      ? `counter ${spellCharacters(destination.code, 'en', 'numerals').join(' ')}`
      : destination.name.trim();
  return `Token ${tokenWords}, please come to ${where}`;
}

const COUNTER_WORD: Record<SpeechLanguage, RegExp> = { en: /^counter\s*/iu, hi: /^काउंटर\s*/u };

/**
 * Where a board call sends the person, in `lang`: the counter when its destination reads
 * "Counter <code>" / "काउंटर <code>" (or is empty), else the room as written for that language.
 */
export function spokenDestination(
  call: { counterCode: string; destination: { en: string; hi: string } },
  lang: SpeechLanguage,
): SpokenDestination {
  const text = call.destination[lang].trim();
  const rest = text.replace(COUNTER_WORD[lang], '');
  if (text === '' || (rest !== text && rest.replace(/\s+/gu, '').toUpperCase() === call.counterCode.toUpperCase())) {
    return { kind: 'counter', code: call.counterCode };
  }
  return { kind: 'room', name: text };
}
