/** The packaged app's trimmed eSpeak NG data (Hindi and English only) speaks as the full one does. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { announcementText } from '../../common/rules/announcement';
import { espeakDir, loadEspeak } from '../../main/speech/espeak';
import { rms } from '../../main/speech/wav';
import { expandVoiceData, packageLayout, trimVoiceData } from '../../main/speech/voice-data';

const dir = espeakDir();
const layout = packageLayout(readFileSync(join(dir, 'espeak-ng.js'), 'utf8'));
const full = new Uint8Array(readFileSync(join(dir, 'espeak-ng.data')));

describe('the trimmed voice data', () => {
  it('keeps every file but the other languages’ dictionaries, in about 1 MB instead of 24', () => {
    const trimmed = trimVoiceData(full, layout);
    expect(full.length).toBeGreaterThan(20e6);
    expect(trimmed.length).toBeLessThan(2e6);
    const expanded = new Uint8Array(expandVoiceData(trimmed, layout.size));
    expect(expanded.length).toBe(full.length);
    for (const f of layout.files) {
      const same = Buffer.compare(expanded.subarray(f.start, f.end), full.subarray(f.start, f.end)) === 0;
      const kept = !f.filename.endsWith('_dict') || /\/(hi|en)_dict$/u.test(f.filename);
      expect({ file: f.filename, same }).toEqual({ file: f.filename, same: kept || f.end === f.start });
    }
  });

  it('says a call in Hindi and in English', async () => {
    const tts = await loadEspeak(expandVoiceData(trimVoiceData(full, layout), layout.size));
    for (const language of ['hi', 'en'] as const) {
      const pcm = tts.say(announcementText('A-P017', { kind: 'counter', code: 'A1' }, language), language);
      expect(pcm.length / tts.rate).toBeGreaterThan(1);
      expect(rms(pcm)).toBeGreaterThan(0.01);
    }
  }, 60_000);

  it('refuses a file that is not trimmed data, or is for another package', () => {
    expect(() => expandVoiceData(new Uint8Array(100), layout.size)).toThrow(/not a trimmed/u);
    expect(() => expandVoiceData(trimVoiceData(full, layout), layout.size + 1)).toThrow(/not \d+/u);
    expect(() => trimVoiceData(full.subarray(0, 10), layout)).toThrow(/expects/u);
  });
});
