/**
 * eSpeak NG, built for WebAssembly (@echogarden/espeak-ng-emscripten), loaded in the speech
 * worker thread: its code is JavaScript with the WebAssembly inside, and its voices and
 * dictionaries are one file beside it (espeak-ng.data) that is read from disk here and handed
 * over, so nothing is fetched and no operating-system voice is used. In the packaged app the
 * package is unpacked beside app.asar (electron-builder.yml `asarUnpack`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { announcementText, type SpeechLanguage } from '../../common/rules/announcement';
import { expandVoiceData, packageLayout } from './voice-data';

export interface Synthesiser {
  readonly rate: number;
  /** `text` spoken in `language`, as 16-bit mono PCM at `rate` */
  say(text: string, language: SpeechLanguage): Int16Array;
}

/** eSpeak NG's voices: its Hindi voice (Indo-Aryan family) and British English. */
const VOICES: Record<SpeechLanguage, string> = { hi: 'hi', en: 'en' };
/** Words a minute: a little slower than eSpeak's 175, for a loud hall. */
const RATE_WPM = 150;

/** The folder of the package's files, in app.asar.unpacked when packaged. */
export function espeakDir(): string {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@echogarden/espeak-ng-emscripten/package.json'));
  const unpacked = dir.replace(/([\\/])app\.asar([\\/])/u, '$1app.asar.unpacked$2');
  // (Electron's fs also reads inside app.asar: a package left packed still works in the main process)
  return unpacked !== dir && !existsSync(unpacked) ? dir : unpacked;
}

/**
 * What eSpeak is given for a sentence: the same words, except that in English the letter "A"
 * standing alone is written so that it is said as the letter's name, not as the article "a".
 */
export function synthesiserText(text: string, language: SpeechLanguage): string {
  return language === 'en' ? text.replace(/(^|\s)A(?=[\s,.]|$)/gu, '$1eh') : text;
}

/** The Hindi and English voices alone, made before packaging (voice-data.ts); used when present. */
export const TRIMMED_DATA_FILE = 'espeak-ng.hi-en.data';

/** eSpeak NG's data package: the trimmed one when it is there (the packaged app), else the full one. */
function voiceData(dir: string): ArrayBuffer {
  const layout = packageLayout(readFileSync(join(dir, 'espeak-ng.js'), 'utf8'));
  const trimmed = join(dir, TRIMMED_DATA_FILE);
  if (existsSync(trimmed)) return expandVoiceData(new Uint8Array(readFileSync(trimmed)), layout.size);
  const data = readFileSync(join(dir, 'espeak-ng.data'));
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
}

/** eSpeak NG with its voices (`data`: the data package to use instead of the one on disk), warmed up. */
export async function loadEspeak(data?: ArrayBuffer): Promise<Synthesiser> {
  const own = data ?? voiceData(espeakDir());
  const { default: initialise } = await import('@echogarden/espeak-ng-emscripten');
  const m = await initialise({
    getPreloadedPackage: () => own,
    print: () => undefined,
    printErr: () => undefined,
  });
  const engine = new m.eSpeakNGWorker();
  const rate = engine.get_samplerate();
  let voice: SpeechLanguage | null = null;
  const synthesiser: Synthesiser = {
    rate,
    say(text, language) {
      if (voice !== language) {
        if (engine.set_voice(VOICES[language]) !== 0) throw new Error(`eSpeak NG has no ${language} voice`);
        engine.set_rate(RATE_WPM);
        voice = language;
      }
      const chunks: Int16Array[] = [];
      engine.synthesize(synthesiserText(text, language), (samples) => {
        if (samples && samples.length > 0) chunks.push(samples);
      });
      const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.length;
      }
      return out;
    },
  };
  // the first sentence in each voice is several times slower (loading and compiling): say one
  // of each before the first call, so the first call in the hall is as quick as the rest
  for (const language of ['hi', 'en'] as const) {
    synthesiser.say(announcementText('A-P017', { kind: 'counter', code: 'A1' }, language), language);
  }
  return synthesiser;
}
