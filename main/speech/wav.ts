/**
 * Sound as 16-bit mono PCM at one sample rate (eSpeak NG's, 22 050 Hz): the chime before a call,
 * silence, joining, the volume, and the WAV file the board plays. Pure functions.
 */

export const SAMPLE_RATE = 22_050;

/** `seconds` of silence. */
export function silence(seconds: number, rate = SAMPLE_RATE): Int16Array {
  return new Int16Array(Math.round(seconds * rate));
}

/**
 * The chime before a call: two soft tones falling a major third (E5 then C5), each a sine with
 * a little second harmonic, a 15 ms rise and a long exponential fade (no clicks, nothing harsh),
 * at about a third of full scale.
 */
export function chime(rate = SAMPLE_RATE): Int16Array {
  const tones = [
    { hz: 659.25, start: 0, length: 0.55 },
    { hz: 523.25, start: 0.42, length: 0.9 },
  ];
  const total = Math.round(1.35 * rate);
  const out = new Float64Array(total);
  for (const t of tones) {
    const from = Math.round(t.start * rate);
    const n = Math.min(Math.round(t.length * rate), total - from);
    for (let i = 0; i < n; i++) {
      const s = i / rate;
      const rise = Math.min(1, s / 0.015);
      const fade = Math.exp(-s * 4.5) * Math.min(1, (n - i) / (0.02 * rate));
      const wave = Math.sin(2 * Math.PI * t.hz * s) + 0.18 * Math.sin(4 * Math.PI * t.hz * s);
      out[from + i] = (out[from + i] ?? 0) + 0.3 * rise * fade * wave;
    }
  }
  const pcm = new Int16Array(total);
  for (let i = 0; i < total; i++) pcm[i] = Math.round(Math.max(-1, Math.min(1, out[i] ?? 0)) * 32767);
  return pcm;
}

/** The parts one after another. */
export function join(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The samples scaled by `volume` (0-100), clipped to 16 bits. */
export function scale(pcm: Int16Array, volume: number): Int16Array {
  return scaleInPlace(pcm.slice(), volume);
}

/** `scale` on the samples themselves (no copy); returns them. */
export function scaleInPlace(pcm: Int16Array, volume: number): Int16Array {
  const gain = Math.max(0, Math.min(100, volume)) / 100;
  if (gain === 1) return pcm;
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round((pcm[i] ?? 0) * gain)));
  return pcm;
}

/** Root mean square of the samples, as a fraction of full scale (0-1). */
export function rms(pcm: Int16Array): number {
  if (pcm.length === 0) return 0;
  let sum = 0;
  for (const s of pcm) sum += (s / 32768) ** 2;
  return Math.sqrt(sum / pcm.length);
}

const HEADER_BYTES = 44;

/** A RIFF/WAVE file: 16-bit little-endian mono PCM at `rate`. */
export function encodeWav(pcm: Int16Array, rate = SAMPLE_RATE): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES + pcm.length * 2);
  const v = new DataView(bytes.buffer);
  const ascii = (at: number, s: string): void => {
    for (let i = 0; i < s.length; i++) v.setUint8(at + i, s.charCodeAt(i));
  };
  ascii(0, 'RIFF');
  v.setUint32(4, 36 + pcm.length * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  ascii(36, 'data');
  v.setUint32(40, pcm.length * 2, true);
  for (let i = 0; i < pcm.length; i++) v.setInt16(HEADER_BYTES + i * 2, pcm[i] ?? 0, true);
  return bytes;
}

/** Reads back a file made by `encodeWav` (16-bit mono PCM); anything else is refused. */
export function decodeWav(bytes: Uint8Array): { rate: number; pcm: Int16Array } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = (at: number, n: number): string => String.fromCharCode(...bytes.subarray(at, at + n));
  if (bytes.length < HEADER_BYTES || ascii(0, 4) !== 'RIFF' || ascii(8, 4) !== 'WAVE') throw new Error('not a WAV file');
  if (v.getUint16(20, true) !== 1 || v.getUint16(22, true) !== 1 || v.getUint16(34, true) !== 16) {
    throw new Error('not a 16-bit mono PCM WAV file');
  }
  const length = v.getUint32(40, true);
  if (HEADER_BYTES + length > bytes.length) throw new Error('the WAV file is cut short');
  const pcm = new Int16Array(length / 2);
  for (let i = 0; i < pcm.length; i++) pcm[i] = v.getInt16(HEADER_BYTES + i * 2, true);
  return { rate: v.getUint32(24, true), pcm };
}
