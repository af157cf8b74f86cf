/**
 * eSpeak NG's voices and dictionaries come as one Emscripten data file of 24 MB (every language
 * it knows; most of it the Russian and Faroese dictionaries). The counter speaks Hindi and
 * English only: the packaged app carries a trimmed file with every file of the package except
 * the other languages' dictionaries (about 1 MB), which is laid out again at run time where the
 * full file had it (the other dictionaries left as zeros, never read: only the Hindi and English
 * voices are chosen). Made by `tsx scripts/trim-voice-data.mjs` before packaging.
 */

export interface PackedFile {
  filename: string;
  start: number;
  end: number;
}

/** The files in the data package and where each lies, as the package's JavaScript lists them. */
export function packageLayout(moduleJs: string): { files: PackedFile[]; size: number } {
  const files: PackedFile[] = [];
  for (const m of moduleJs.matchAll(/\{filename:"([^"]+)",start:(\d+),end:(\d+)\}/gu)) {
    files.push({ filename: m[1]!, start: Number(m[2]), end: Number(m[3]) });
  }
  if (files.length === 0) throw new Error('the eSpeak NG module lists no data files');
  return { files, size: Math.max(...files.map((f) => f.end)) };
}

/** What the counter's voices need: everything but the dictionaries of languages other than Hindi and English. */
export function neededForHindiAndEnglish(filename: string): boolean {
  return !/_dict$/u.test(filename) || /\/(hi|en)_dict$/u.test(filename);
}

const MAGIC = 'ESPEAK-TRIMMED-1\n';

/** The trimmed file: a header (the full size and the kept files' places), then the kept files' bytes. */
export function trimVoiceData(
  data: Uint8Array,
  layout: { files: PackedFile[]; size: number },
  keep = neededForHindiAndEnglish,
): Uint8Array {
  if (data.length !== layout.size) throw new Error(`the data file has ${data.length} bytes; the module expects ${layout.size}`);
  const kept = layout.files.filter((f) => keep(f.filename));
  const header = new TextEncoder().encode(JSON.stringify({ size: layout.size, files: kept }));
  const body = kept.reduce((n, f) => n + f.end - f.start, 0);
  const magic = new TextEncoder().encode(MAGIC);
  const out = new Uint8Array(magic.length + 4 + header.length + body);
  out.set(magic, 0);
  new DataView(out.buffer).setUint32(magic.length, header.length, true);
  out.set(header, magic.length + 4);
  let at = magic.length + 4 + header.length;
  for (const f of kept) {
    out.set(data.subarray(f.start, f.end), at);
    at += f.end - f.start;
  }
  return out;
}

/** The full-size package again, the kept files where they were; refuses a file that is not a trimmed one or does not fit. */
export function expandVoiceData(trimmed: Uint8Array, expectedSize: number): ArrayBuffer {
  const magic = new TextEncoder().encode(MAGIC);
  if (trimmed.length < magic.length + 4 || !magic.every((b, i) => trimmed[i] === b))
    throw new Error('not a trimmed eSpeak NG data file');
  const headerLength = new DataView(trimmed.buffer, trimmed.byteOffset).getUint32(magic.length, true);
  const header = JSON.parse(new TextDecoder().decode(trimmed.subarray(magic.length + 4, magic.length + 4 + headerLength))) as {
    size: number;
    files: PackedFile[];
  };
  if (header.size !== expectedSize)
    throw new Error(`the trimmed data is for a package of ${header.size} bytes, not ${expectedSize}`);
  const full = new Uint8Array(header.size);
  let at = magic.length + 4 + headerLength;
  for (const f of header.files) {
    const n = f.end - f.start;
    if (f.start < 0 || f.end > header.size || at + n > trimmed.length)
      throw new Error('the trimmed eSpeak NG data file is damaged');
    full.set(trimmed.subarray(at, at + n), f.start);
    at += n;
  }
  return full.buffer;
}
