import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BoardCall, SpeechSettings } from '../../common/board';
import { decodeWav } from '../../main/speech/wav';

export function boardCall(over: Partial<BoardCall> = {}): BoardCall {
  return {
    callId: 'call-1',
    ticketId: 'ticket-1',
    token: 'A-P017',
    lane: 'priority',
    counterCode: 'A1',
    destination: { en: 'Counter A1', hi: 'काउंटर A1' },
    calledAt: '2026-12-05T09:30:00.000Z',
    recall: false,
    ...over,
  };
}

export const settings = (over: Partial<SpeechSettings> = {}): SpeechSettings => ({
  enabled: true,
  order: 'hi-en',
  volume: 100,
  repeat: 1,
  ...over,
});

const dir = mkdtempSync(join(tmpdir(), 'speech-'));

/** Writes the WAV to a file in a temp folder (as a player would get it) and reads its samples back from there. */
export function throughFile(name: string, wav: Uint8Array): { rate: number; pcm: Int16Array; seconds: number } {
  const file = join(dir, `${name}.wav`);
  writeFileSync(file, wav);
  const { rate, pcm } = decodeWav(new Uint8Array(readFileSync(file)));
  return { rate, pcm, seconds: pcm.length / rate };
}

/** Compared without a diff of thousands of samples on failure. */
export function sameSamples(a: Int16Array, b: Int16Array): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/** Loudness over time: the RMS of each `frame` samples (20 ms at 22 050 Hz). */
export function envelope(pcm: Int16Array, frame = 441): number[] {
  const out: number[] = [];
  for (let i = 0; i + frame <= pcm.length; i += frame) {
    let sum = 0;
    for (let j = i; j < i + frame; j++) sum += (pcm[j] ?? 0) ** 2;
    out.push(Math.sqrt(sum / frame));
  }
  return out;
}

/** Pearson correlation of the two series over the shorter one's length. */
export function correlation(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  const mean = (x: number[]): number => x.slice(0, n).reduce((s, v) => s + v, 0) / n;
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] ?? 0) - ma;
    const db = (b[i] ?? 0) - mb;
    ab += da * db;
    aa += da * da;
    bb += db * db;
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}
