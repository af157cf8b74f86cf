/**
 * The speech service's files: each call is written by the worker in the service's folder (main
 * never holds its bytes), kept while recent and a while after, made again when gone, and
 * removed at close. A stand-in worker writes the files (the sound itself: speech.test.ts).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSpeechService, type SpeechService } from '../../main/speech/speech-service';
import { boardCall, settings } from './call-fixtures';

const worker = { file: fileURLToPath(new URL('./fixtures/crashing-speech-worker.mjs', import.meta.url)) };
const dirs: string[] = [];
const services: SpeechService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'speech-files-'));
  dirs.push(d);
  return d;
};
const service = (options: Parameters<typeof createSpeechService>[0]) => {
  const s = createSpeechService({ worker, ...options });
  services.push(s);
  return s;
};

describe("the speech service's files", () => {
  it('writes each call in its folder and gives its path and size; the bytes read are the file', async () => {
    const dir = newDir();
    const speech = service({ dir });
    const f = await speech.file(boardCall({ callId: 'one' }), settings());
    expect(dirname(f.path)).toBe(dir);
    expect(f.bytes).toBe(44);
    expect(existsSync(f.path)).toBe(true);
    expect((await speech.wav(boardCall({ callId: 'one' }), settings())).length).toBe(44);
    // the same call and settings: the same file; other settings: another
    expect((await speech.file(boardCall({ callId: 'one' }), settings())).path).toBe(f.path);
    expect((await speech.file(boardCall({ callId: 'one' }), settings({ volume: 10 }))).path).not.toBe(f.path);
  });

  // the removal's time on a clock of the test's own (the worker's answers stay real)
  const withClock = async (test: () => Promise<void>) => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      await test();
    } finally {
      vi.useRealTimers();
    }
  };

  it('keeps a call that left the recent ones for its time, then removes its file; asked again, it is made again', () =>
    withClock(async () => {
      const speech = service({ dir: newDir(), cacheSize: 2, keepMs: 1000 });
      const first = await speech.file(boardCall({ callId: 'a' }), settings());
      await speech.file(boardCall({ callId: 'b' }), settings());
      await speech.file(boardCall({ callId: 'c' }), settings());
      // 'a' is out of the recent calls: still there for a board reading it, until its time is up
      vi.advanceTimersByTime(999);
      expect(existsSync(first.path)).toBe(true);
      vi.advanceTimersByTime(2);
      expect(existsSync(first.path)).toBe(false);
      const again = await speech.file(boardCall({ callId: 'a' }), settings());
      expect(again.path).toBe(first.path);
      expect(existsSync(again.path)).toBe(true);
    }));

  it('a call asked again while its file is kept takes the file as it is (the worker is not asked), and keeps it', () =>
    withClock(async () => {
      const speech = service({ dir: newDir(), cacheSize: 1, keepMs: 1000 });
      const a = await speech.file(boardCall({ callId: 'a' }), settings());
      const b = await speech.file(boardCall({ callId: 'b' }), settings());
      // the worker writes 44 bytes: a file of 4 is the one kept, taken as it is
      writeFileSync(a.path, 'kept');
      expect(await speech.file(boardCall({ callId: 'a' }), settings())).toEqual({ path: a.path, bytes: 4 });
      vi.advanceTimersByTime(5000);
      expect(existsSync(a.path)).toBe(true);
      // 'b' left when 'a' came back: its time is up
      expect(existsSync(b.path)).toBe(false);
    }));

  it('a call out, back and out again is removed its full time after it last left, not after it first did', () =>
    withClock(async () => {
      const speech = service({ dir: newDir(), cacheSize: 1, keepMs: 1000 });
      const a = await speech.file(boardCall({ callId: 'a' }), settings());
      await speech.file(boardCall({ callId: 'b' }), settings());
      vi.advanceTimersByTime(600);
      await speech.file(boardCall({ callId: 'a' }), settings());
      await speech.file(boardCall({ callId: 'b' }), settings());
      // 1,200 ms after it first left, 600 after it last did
      vi.advanceTimersByTime(600);
      expect(existsSync(a.path)).toBe(true);
      vi.advanceTimersByTime(401);
      expect(existsSync(a.path)).toBe(false);
    }));

  it('a recent call whose file is gone is made again', async () => {
    const speech = service({ dir: newDir() });
    const f = await speech.file(boardCall({ callId: 'gone' }), settings());
    unlinkSync(f.path);
    const again = await speech.file(boardCall({ callId: 'gone' }), settings());
    expect(again.path).toBe(f.path);
    expect(existsSync(again.path)).toBe(true);
  });

  it('in a folder it is given: removes its own files of an earlier run at start and its files at close, nothing else', async () => {
    const dir = newDir();
    const leftover = join(dir, `${'a'.repeat(32)}.wav`);
    const partial = join(dir, `${'b'.repeat(32)}.wav.part`);
    const other = join(dir, 'notes.txt');
    for (const f of [leftover, partial, other]) writeFileSync(f, 'x');
    const speech = createSpeechService({ worker, dir });
    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(partial)).toBe(false);
    const f = await speech.file(boardCall({ callId: 'x' }), settings());
    await speech.close();
    expect(existsSync(f.path)).toBe(false);
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });

  it('without a folder: a private one of its own, removed at close', async () => {
    const speech = createSpeechService({ worker });
    const f = await speech.file(boardCall({ callId: 'x' }), settings());
    const own = dirname(f.path);
    if (process.platform !== 'win32') {
      const { statSync } = await import('node:fs');
      expect(statSync(own).mode & 0o077).toBe(0);
    }
    await speech.close();
    expect(existsSync(own)).toBe(false);
  });
});
