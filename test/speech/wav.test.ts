import { describe, expect, it } from 'vitest';
import { synthesiserText } from '../../main/speech/espeak';
import { SAMPLE_RATE, chime, decodeWav, encodeWav, join, rms, scale, scaleInPlace, silence } from '../../main/speech/wav';

describe('the sound of a call', () => {
  it('writes a 16-bit mono PCM WAV that reads back the same', () => {
    const pcm = Int16Array.from([0, 1, -1, 32767, -32768, 1234]);
    const bytes = encodeWav(pcm);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('RIFF');
    expect(bytes.length).toBe(44 + pcm.length * 2);
    const back = decodeWav(bytes);
    expect(back.rate).toBe(SAMPLE_RATE);
    expect([...back.pcm]).toEqual([...pcm]);
    expect(() => decodeWav(new Uint8Array(10))).toThrow(/not a WAV/u);
  });

  it('has a chime of two soft tones: audible, never near full scale, starting and ending without a click', () => {
    const c = chime();
    expect(c.length / SAMPLE_RATE).toBeGreaterThan(1);
    expect(c.length / SAMPLE_RATE).toBeLessThan(2);
    expect(rms(c)).toBeGreaterThan(0.03);
    const peak = c.reduce((m, s) => Math.max(m, Math.abs(s)), 0) / 32768;
    expect(peak).toBeLessThan(0.5);
    expect(Math.abs(c[0]!)).toBeLessThan(200);
    expect(Math.abs(c[c.length - 1]!)).toBeLessThan(200);
    // two tones: the first 0.3 s cross zero at E5's rate, the last 0.3 s at C5's
    const crossings = (from: number, to: number): number => {
      let n = 0;
      for (let i = from + 1; i < to; i++) if (c[i - 1]! < 0 !== c[i]! < 0) n++;
      return n / 2 / ((to - from) / SAMPLE_RATE);
    };
    expect(crossings(0, Math.round(0.3 * SAMPLE_RATE))).toBeGreaterThan(600);
    expect(crossings(c.length - Math.round(0.5 * SAMPLE_RATE), c.length - Math.round(0.2 * SAMPLE_RATE))).toBeLessThan(560);
  });

  it('scales by the volume and joins parts in order', () => {
    const c = chime();
    expect(rms(scale(c, 50)) / rms(c)).toBeCloseTo(0.5, 2);
    expect(rms(scale(c, 0))).toBe(0);
    // scale leaves its input alone; scaleInPlace gives the same samples in the input itself
    const copy = c.slice();
    const halved = scale(copy, 50);
    expect(copy).toEqual(c);
    expect(scaleInPlace(copy, 50)).toBe(copy);
    expect(copy).toEqual(halved);
    expect(scaleInPlace(copy, 100)).toBe(copy);
    expect(copy).toEqual(halved);
    const joined = join([Int16Array.from([1, 2]), silence(0), Int16Array.from([3])]);
    expect([...joined]).toEqual([1, 2, 3]);
  });

  it('gives eSpeak the letter A so that it is said as the letter, not the article', () => {
    expect(synthesiserText('Token A P zero, please come to counter A 1', 'en')).toBe(
      'Token eh P zero, please come to counter eh 1',
    );
    expect(synthesiserText('टोकन ए पी', 'hi')).toBe('टोकन ए पी');
    expect(synthesiserText('Token B, please come to Aisle A', 'en')).toBe('Token B, please come to Aisle eh');
  });
});
