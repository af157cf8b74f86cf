/** The counter's speech for the board: a call of today, said with the board's speech settings. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DomainError } from '../../common/result';
import { callText } from '../../main/speech/compose';
import { SAMPLE_RATE, chime, decodeWav, rms } from '../../main/speech/wav';
import { rosterEntry, setupCounter, type Counter } from '../store/harness';
import { sameSamples } from './call-fixtures';

let c: Counter;
afterEach(() => c?.dispose());

const roster = Array.from({ length: 3 }, (_, i) => rosterEntry(`REF000000${i + 1}`));
const SETTINGS = {
  notice: { en: '', hi: '' },
  room: { en: '', hi: '' },
  speech: { enabled: true, order: 'hi-en' as const, volume: 100, repeat: 1 },
};

describe("the board's speech of a call", () => {
  it('says the called token and the counter, with the chime first, and follows the speech settings', async () => {
    c = await setupCounter({ roster });
    await c.ok('checkIn', { refId: 'REF0000001' });
    await c.ok('callNext', {});
    const call = c.backend.boardView().nowCalling!;
    expect(callText(call, 'en')).toMatch(
      new RegExp(`^Token .+, please come to counter ${[...call.counterCode].join(' ')}$`, 'u'),
    );
    expect(callText(call, 'hi')).toMatch(/^टोकन .+, काउंटर .+ पर आइए$/u);

    const spoken = await c.backend.boardSpeech(call.callId);
    // written by the speech worker in the counter's own folder, for this user alone
    expect(dirname(spoken.path)).toBe(join(c.dataDir, 'speech'));
    expect(statSync(spoken.path).size).toBe(spoken.bytes);
    if (process.platform !== 'win32') expect(statSync(spoken.path).mode & 0o077).toBe(0);
    const first = decodeWav(readFileSync(spoken.path));
    expect(first.rate).toBe(SAMPLE_RATE);
    const c0 = chime();
    // the default volume is 80: the chime scaled by it
    expect(rms(first.pcm.subarray(0, c0.length)) / rms(c0)).toBeCloseTo(0.8, 2);
    expect(first.pcm.length / SAMPLE_RATE).toBeGreaterThan(4);

    await c.ok('updateBoardSettings', { ...SETTINGS, speech: { ...SETTINGS.speech, repeat: 2 } });
    const twice = await c.backend.boardSpeech(call.callId);
    const loudTwice = decodeWav(readFileSync(twice.path));
    expect(sameSamples(loudTwice.pcm.subarray(0, c0.length), c0)).toBe(true);
    expect(loudTwice.pcm.length).toBeGreaterThan(first.pcm.length * 1.5);
    // the counter closed, its calls' files are gone
    await c.close();
    expect(existsSync(spoken.path)).toBe(false);
    expect(existsSync(twice.path)).toBe(false);
  }, 120_000);

  it('refuses a call that is not known', async () => {
    c = await setupCounter({ roster });
    const e = await c.backend.boardSpeech('no-such-call').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).code).toBe('NOT_FOUND');
  });
});
