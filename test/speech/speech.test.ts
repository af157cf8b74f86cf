/**
 * A call spoken by the speech worker thread (eSpeak NG, WebAssembly) and rendered to a WAV file:
 * no speaker needed.
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SAMPLE_RATE, chime, rms } from '../../main/speech/wav';
import { createSpeechService, type SpeechService } from '../../main/speech/speech-service';
import { hasThreadIds, idleClassWorks, mainThread, steppedAside } from '../support/threads';
import { boardCall, correlation, envelope, sameBytes, sameSamples, settings, throughFile } from './call-fixtures';

/**
 * Not silent: eSpeak's speech is around 0.1 of full scale (-20 dBFS) over a whole sentence,
 * pauses included; 0.01 (-40 dBFS) is ten times below that and far above an empty or
 * near-empty file (a digital silence is 0, a stray click in seconds of silence is < 0.001).
 */
const RMS_FLOOR = 0.01;
/** the chime and the pause after it, before the first language (main/speech/compose.ts) */
const CHIME_S = 1.35 + 0.25;

let speech: SpeechService;
beforeAll(() => {
  speech = createSpeechService();
});
afterAll(async () => {
  await speech.close();
});

describe('a spoken call', () => {
  it('in each language alone lasts 1 to 8 seconds and is not silent, and Hindi differs from English', async () => {
    const call = boardCall();
    const hi = throughFile('hi', await speech.language(call, 'hi'));
    const en = throughFile('en', await speech.language(call, 'en'));
    for (const one of [hi, en]) {
      expect(one.rate).toBe(SAMPLE_RATE);
      expect(one.seconds).toBeGreaterThan(1);
      expect(one.seconds).toBeLessThan(8);
      expect(rms(one.pcm)).toBeGreaterThan(RMS_FLOOR);
    }
    const n = Math.min(hi.pcm.length, en.pcm.length);
    let differing = 0;
    for (let i = 0; i < n; i++) if (hi.pcm[i] !== en.pcm[i]) differing++;
    expect(differing / n).toBeGreaterThan(0.5);
  }, 120_000);

  it('begins with the chime, then says both languages in the set order', async () => {
    const call = boardCall({ callId: 'order' });
    const hi = throughFile('hi-alone', await speech.language(call, 'hi')).pcm;
    const en = throughFile('en-alone', await speech.language(call, 'en')).pcm;
    const hiFirst = throughFile('hi-en', await speech.wav(call, settings({ order: 'hi-en' }))).pcm;
    const enFirst = throughFile('en-hi', await speech.wav(call, settings({ order: 'en-hi' }))).pcm;
    const c = chime();
    for (const whole of [hiFirst, enFirst]) expect(sameSamples(whole.subarray(0, c.length), c)).toBe(true);
    // eSpeak varies its voice a little each time (samples differ), so the language heard
    // first is told by the shape of its loudness over time, 20 ms at a time
    const at = Math.round(CHIME_S * SAMPLE_RATE);
    const first = (whole: Int16Array, alone: Int16Array): number => correlation(envelope(alone), envelope(whole.subarray(at)));
    expect(first(hiFirst, hi)).toBeGreaterThan(0.9);
    expect(first(hiFirst, en)).toBeLessThan(0.6);
    expect(first(enFirst, en)).toBeGreaterThan(0.9);
    expect(first(enFirst, hi)).toBeLessThan(0.6);
    // the whole call: the chime, both languages, the pauses
    expect(hiFirst.length).toBeGreaterThan(c.length + hi.length + en.length);
    expect(hiFirst.length / SAMPLE_RATE).toBeLessThan(20);
  }, 120_000);

  it('is scaled by the volume and said `repeat` times', async () => {
    const call = boardCall({ callId: 'volume', token: 'B-W204' });
    const loud = throughFile('loud', await speech.wav(call, settings({ volume: 80 }))).pcm;
    const soft = throughFile('soft', await speech.wav(call, settings({ volume: 40 }))).pcm;
    expect(rms(soft) / rms(loud)).toBeCloseTo(0.5, 2);
    expect(rms(throughFile('mute', await speech.wav(call, settings({ volume: 0 }))).pcm)).toBe(0);
    const twice = throughFile('twice', await speech.wav(call, settings({ volume: 80, repeat: 2 }))).pcm;
    const spoken = (pcm: Int16Array): number => pcm.length / SAMPLE_RATE - CHIME_S;
    const ratio = spoken(twice) / spoken(loud);
    expect(ratio).toBeGreaterThan(1.8);
    expect(ratio).toBeLessThan(2.3);
  }, 120_000);

  it('is kept for a call asked again, and a call changed (a recall, other settings) is made anew', async () => {
    const call = boardCall({ callId: 'again' });
    const first = await speech.wav(call, settings());
    // asked again: the same file, not made again (a file made again is a new one put in its place)
    const kept = await speech.file(call, settings());
    const before = statSync(kept.path);
    expect(await speech.file(call, settings())).toEqual(kept);
    const after = statSync(kept.path);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    const again = await speech.wav(call, settings());
    expect(sameBytes(again, first)).toBe(true);
    const recall = await speech.wav({ ...call, callId: 'again-recall', recall: true }, settings());
    expect(recall.length / first.length).toBeGreaterThan(0.9);
    expect(recall.length / first.length).toBeLessThan(1.1);
    const other = await speech.wav(call, settings({ volume: 50 }));
    expect(rms(throughFile('other', other).pcm)).toBeLessThan(rms(throughFile('first', first).pcm));
  }, 120_000);
});

describe('the speech service', () => {
  it('fails a call with a clear error when the worker cannot start, and refuses calls once closed', async () => {
    const broken = createSpeechService({ worker: { file: '/nonexistent/speech-worker.js' } });
    await expect(broken.wav(boardCall(), settings())).rejects.toThrow(/speech worker stopped/u);
    await broken.close();
    await expect(broken.wav(boardCall(), settings())).rejects.toThrow(/closed/u);
  });

  it.runIf(hasThreadIds)(
    'speaks in a thread that steps aside for the main loop (idle scheduling class where the system allows it, nice 10)',
    async () => {
      const main = mainThread();
      const before = steppedAside('idle').length;
      const own = createSpeechService();
      try {
        await own.file(boardCall(), settings());
        expect(steppedAside('idle').length).toBe(before + 1);
        expect(mainThread()).toEqual(main);
      } finally {
        await own.close();
      }
    },
    120_000,
  );

  it.runIf(idleClassWorks)(
    'a worker kept waiting for a core in the idle class is replaced, once idle, by one at nice 10 only',
    async () => {
      const idle = steppedAside('idle').length;
      const nice = steppedAside('nice').length;
      const warnings: string[] = [];
      // every call counts as kept waiting
      const own = createSpeechService({ starvedMs: -1, log: { warn: (_o, msg) => warnings.push(msg) } });
      try {
        const first = await own.file(boardCall({ token: 'A-P001' }), settings());
        expect(first.bytes).toBeGreaterThan(44);
        expect(warnings).toEqual([expect.stringContaining('waited for a core')]);
        const second = await own.file(boardCall({ token: 'A-P002' }), settings());
        expect(second.bytes).toBeGreaterThan(44);
        // the first worker has ended; the second is at nice 10, outside the idle class, and stays
        await vi.waitFor(() => expect(steppedAside('idle').length).toBe(idle), { timeout: 5000 });
        expect(steppedAside('nice').length).toBe(nice + 1);
        await own.file(boardCall({ token: 'A-P003' }), settings());
        expect(steppedAside('nice').length).toBe(nice + 1);
        expect(warnings).toHaveLength(1);
      } finally {
        await own.close();
      }
    },
    120_000,
  );
});
