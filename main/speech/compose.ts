/**
 * A spoken call put together: the chime, then the call in both languages in the set order,
 * said `repeat` times, at the set volume. Pure, given the synthesiser.
 */
import { announcementText, spokenDestination, type SpeechLanguage } from '../../common/rules/announcement';
import type { BoardCall, SpeechSettings } from '../../common/board';
import { chime, join, scaleInPlace, silence } from './wav';

export interface Say {
  readonly rate: number;
  say(text: string, language: SpeechLanguage): Int16Array;
}

/** The sentence for `call` in `language`. */
export function callText(call: BoardCall, language: SpeechLanguage): string {
  return announcementText(call.token, spokenDestination(call, language), language);
}

export function languagesInOrder(order: SpeechSettings['order']): [SpeechLanguage, SpeechLanguage] {
  return order === 'en-hi' ? ['en', 'hi'] : ['hi', 'en'];
}

const AFTER_CHIME_S = 0.25;
const BETWEEN_LANGUAGES_S = 0.5;
const BETWEEN_REPEATS_S = 0.9;
const TAIL_S = 0.2;

/** The chime at a sample rate, made once (it never changes): a call copies it into its own sound. */
const chimes = new Map<number, Int16Array>();
function chimeAt(rate: number): Int16Array {
  let c = chimes.get(rate);
  if (!c) chimes.set(rate, (c = chime(rate)));
  return c;
}

export function composeCall(tts: Say, call: BoardCall, settings: SpeechSettings): Int16Array {
  const [first, second] = languagesInOrder(settings.order);
  const once = [
    tts.say(callText(call, first), first),
    silence(BETWEEN_LANGUAGES_S, tts.rate),
    tts.say(callText(call, second), second),
  ];
  const parts: Int16Array[] = [chimeAt(tts.rate), silence(AFTER_CHIME_S, tts.rate)];
  for (let i = 0; i < settings.repeat; i++) {
    if (i > 0) parts.push(silence(BETWEEN_REPEATS_S, tts.rate));
    parts.push(...once);
  }
  parts.push(silence(TAIL_S, tts.rate));
  // the joined sound is this call's own: its volume is set in place
  return scaleInPlace(join(parts), settings.volume);
}

/** One language alone, no chime, at full volume. */
export function composeLanguage(tts: Say, call: BoardCall, language: SpeechLanguage): Int16Array {
  return tts.say(callText(call, language), language);
}
