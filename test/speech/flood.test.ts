/** Calls that come faster than they can be spoken queue up in the speech worker: none is dropped. */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createSpeechService } from '../../main/speech/speech-service';
import { SAMPLE_RATE, rms } from '../../main/speech/wav';
import { boardCall, settings, throughFile } from './call-fixtures';

const speech = createSpeechService();
afterAll(async () => {
  await speech.close();
});

describe('a flood of calls', () => {
  it('speaks all 20 calls asked at once, answering in the order they were asked', async () => {
    const done: number[] = [];
    const calls = Array.from({ length: 20 }, (_, i) =>
      boardCall({ callId: `flood-${i}`, token: `A-P${String(i).padStart(3, '0')}`, recall: i % 5 === 4 }),
    );
    const wavs = await Promise.all(
      calls.map((c, i) =>
        speech.wav(c, settings()).then((w) => {
          done.push(i);
          return w;
        }),
      ),
    );
    expect(done).toEqual(calls.map((_, i) => i));
    for (const [i, w] of wavs.entries()) {
      const { pcm, seconds } = throughFile(`flood-${i}`, w);
      expect(seconds).toBeGreaterThan(3);
      expect(rms(pcm)).toBeGreaterThan(0.01);
    }
    expect(throughFile('rate', wavs[0]!).rate).toBe(SAMPLE_RATE);
  }, 180_000);

  it('a worker that dies fails what it had with a clear error, and the next call starts a new one', async () => {
    const file = fileURLToPath(new URL('./fixtures/crashing-speech-worker.mjs', import.meta.url));
    const crashing = createSpeechService({ worker: { file } });
    try {
      const crash = crashing.wav(boardCall({ callId: 'crash', token: 'X-CRASH' }), settings());
      const behind = crashing.wav(boardCall({ callId: 'behind' }), settings());
      await expect(crash).rejects.toThrow(/speech worker stopped \(exit 3\)/u);
      await expect(behind).rejects.toThrow(/speech worker stopped/u);
      expect((await crashing.wav(boardCall({ callId: 'after' }), settings())).length).toBe(44);
    } finally {
      await crashing.close();
    }
    const closed = crashing.wav(boardCall({ callId: 'late' }), settings());
    await expect(closed).rejects.toThrow(/closed/u);
  }, 60_000);
});
