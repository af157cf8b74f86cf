/**
 * Decodes an ESC/POS byte stream into what a printer would do with it: for tests of slip jobs
 * and for virtual printers that receive them. Not a full ESC/POS implementation: it knows the
 * commands slip jobs use and the common ones around them, and reports anything else as unknown
 * (and keeps going) instead of guessing.
 *
 *   const job = decodeEscPos(bytes);
 *   job.initialized    // began with ESC @ (after any status requests)
 *   job.images[0]      // { width, height, bits, rgba }: raster images (GS v 0), chunks joined
 *   job.cutAtEnd       // the paper is cut after everything printed
 *   job.commands       // ['ESC @', 'GS v 0 576x255', ..., 'LF', 'GS V 1 (partial cut)']
 *
 * Known: ESC @, ESC d n, ESC J n, LF, CR, HT, text bytes, GS v 0 (raster bit image),
 * GS V (cut, all forms), DLE EOT n (real-time status), DLE ENQ n, DLE DC4 (real-time requests),
 * ESC p (drawer pulse), GS ( k (QR/2D symbol functions, skipped by length), GS ( L / GS 8 L
 * (graphics, skipped by length), and the fixed-length style commands (ESC ! E - a M t 2 3 G V
 * { r R SP, GS ! B H h w f L W P a r I, FS . & C ! -).
 */

/** A raster image as printed: `bits[y * width + x]` is 1 for a black dot. */
export interface EscPosImage {
  width: number;
  height: number;
  bits: Uint8Array;
  /** the same dots as canvas-style RGBA (black 0, white 255, opaque) */
  rgba: Uint8ClampedArray;
  /** GS v 0 mode: 0 normal, 1 double width, 2 double height, 3 both */
  mode: number;
  /** how many GS v 0 commands it was sent as */
  chunks: number;
}

export interface EscPosCommand {
  /** byte offset of the command in the job */
  offset: number;
  length: number;
  /** short readable form, e.g. `ESC d 4`, `GS v 0 576x255`, `TEXT "abc"` */
  name: string;
  kind: 'init' | 'feed' | 'image' | 'cut' | 'status' | 'text' | 'style' | 'pulse' | 'symbol' | 'unknown';
}

export interface EscPosJob {
  /** the first command is ESC @ (real-time status requests before it aside) */
  initialized: boolean;
  /** ESC @ anywhere */
  initializeCount: number;
  images: EscPosImage[];
  /** at least one cut */
  cut: boolean;
  /** a cut, and nothing printed or fed after the last one (real-time status requests may follow) */
  cutAtEnd: boolean;
  cuts: Array<{ partial: boolean; offset: number }>;
  /** lines fed by LF and ESC d */
  feedLines: number;
  /** dots fed by ESC J */
  feedDots: number;
  /** printable text bytes (as latin1), LF as `\n` */
  text: string;
  /** `n` of each DLE EOT n (real-time status request), in order */
  statusRequests: number[];
  /** the readable forms of `ops` */
  commands: string[];
  ops: EscPosCommand[];
  /** commands the decoder does not know (their first bytes, as hex) */
  unknown: string[];
  /** the stream ended inside a command */
  truncated: boolean;
}

const ESC = 0x1b;
const GS = 0x1d;
const FS = 0x1c;
const DLE = 0x10;
const LF = 0x0a;
const CR = 0x0d;
const HT = 0x09;

/** ESC x: parameter byte count of commands with a fixed length. */
const ESC_FIXED: Record<number, number> = {
  0x21: 1, // ESC ! n  print mode
  0x45: 1, // ESC E n  bold
  0x2d: 1, // ESC - n  underline
  0x61: 1, // ESC a n  justification
  0x4d: 1, // ESC M n  font
  0x74: 1, // ESC t n  code table
  0x32: 0, // ESC 2    default line spacing
  0x33: 1, // ESC 3 n  line spacing
  0x47: 1, // ESC G n  double strike
  0x56: 1, // ESC V n  rotation
  0x7b: 1, // ESC { n  upside down
  0x72: 1, // ESC r n  colour
  0x52: 1, // ESC R n  character set
  0x20: 1, // ESC SP n right spacing
  0x24: 2, // ESC $ nL nH absolute position
  0x5c: 2, // ESC \ nL nH relative position
};

/** GS x: parameter byte count of commands with a fixed length. */
const GS_FIXED: Record<number, number> = {
  0x21: 1, // GS ! n   character size
  0x42: 1, // GS B n   reverse
  0x48: 1, // GS H n   HRI position
  0x68: 1, // GS h n   barcode height
  0x77: 1, // GS w n   barcode width
  0x66: 1, // GS f n   HRI font
  0x4c: 2, // GS L     left margin
  0x57: 2, // GS W     print area width
  0x50: 2, // GS P     motion units
  0x61: 1, // GS a n   automatic status back
  0x72: 1, // GS r n   transmit status
  0x49: 1, // GS I n   printer ID
  0x62: 1, // GS b n   smoothing
};

/** FS x: parameter byte count. */
const FS_FIXED: Record<number, number> = {
  0x2e: 0, // FS .  cancel Kanji mode
  0x26: 0, // FS &  Kanji mode
  0x43: 1, // FS C n
  0x21: 1, // FS ! n
  0x2d: 1, // FS - n
};

const hex = (bytes: Uint8Array | number[]) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

class Truncated extends Error {}

/** Decodes a whole job. Never throws on bad input: unknown bytes are listed, a cut-off stream is flagged. */
export function decodeEscPos(input: Uint8Array | ArrayBuffer | number[]): EscPosJob {
  const data =
    input instanceof Uint8Array ? input : input instanceof ArrayBuffer ? new Uint8Array(input) : Uint8Array.from(input);
  const job: EscPosJob = {
    initialized: false,
    initializeCount: 0,
    images: [],
    cut: false,
    cutAtEnd: false,
    cuts: [],
    feedLines: 0,
    feedDots: 0,
    text: '',
    statusRequests: [],
    commands: [],
    ops: [],
    unknown: [],
    truncated: false,
  };
  /** raster chunks of the image being assembled */
  let pending: { width: number; mode: number; rows: Uint8Array[]; heights: number[] } | null = null;
  /** something printed or fed since the last cut */
  let movedSinceCut = false;

  const flushImage = () => {
    if (!pending) return;
    job.images.push(assembleImage(pending.width, pending.mode, pending.rows, pending.heights));
    pending = null;
  };

  let i = 0;
  const need = (n: number) => {
    if (i + n > data.length) throw new Truncated();
  };
  const push = (offset: number, length: number, name: string, kind: EscPosCommand['kind']) => {
    if (kind !== 'image') flushImage();
    if (kind === 'image' || kind === 'feed' || kind === 'text' || kind === 'symbol') movedSinceCut = true;
    job.ops.push({ offset, length, name, kind });
    job.commands.push(name);
  };

  try {
    while (i < data.length) {
      const start = i;
      const b = data[i]!;
      if (b === LF) {
        i++;
        job.feedLines++;
        job.text += '\n';
        push(start, 1, 'LF', 'feed');
      } else if (b === CR) {
        i++;
        push(start, 1, 'CR', 'feed');
      } else if (b === HT) {
        i++;
        job.text += '\t';
        push(start, 1, 'HT', 'text');
      } else if (b === ESC) {
        need(2);
        const c = data[i + 1]!;
        if (c === 0x40) {
          i += 2;
          job.initializeCount++;
          if (job.ops.every((o) => o.kind === 'status')) job.initialized = true;
          push(start, 2, 'ESC @', 'init');
        } else if (c === 0x64 || c === 0x4a) {
          need(3);
          const n = data[i + 2]!;
          i += 3;
          if (c === 0x64) job.feedLines += n;
          else job.feedDots += n;
          push(start, 3, `ESC ${c === 0x64 ? 'd' : 'J'} ${n}`, 'feed');
        } else if (c === 0x70) {
          need(5);
          i += 5;
          push(start, 5, `ESC p ${data[start + 2]}`, 'pulse');
        } else if (c === 0x63) {
          need(4);
          i += 4;
          push(start, 4, `ESC c ${String.fromCharCode(data[start + 2]!)} ${data[start + 3]}`, 'style');
        } else if (c in ESC_FIXED) {
          const n = ESC_FIXED[c]!;
          need(2 + n);
          i += 2 + n;
          push(start, 2 + n, `ESC ${printable(c)}${n ? ` ${hex(data.subarray(start + 2, i))}` : ''}`, 'style');
        } else {
          i += 2;
          job.unknown.push(hex(data.subarray(start, i)));
          push(start, 2, `ESC ? ${hex([c])}`, 'unknown');
        }
      } else if (b === GS) {
        need(2);
        const c = data[i + 1]!;
        if (c === 0x76) {
          // GS v 0 m xL xH yL yH d1...dk: raster bit image, (xL + xH*256) bytes per row
          need(8);
          if (data[i + 2] !== 0x30) {
            i += 3;
            job.unknown.push(hex(data.subarray(start, i)));
            push(start, 3, `GS v ? ${hex([data[start + 2]!])}`, 'unknown');
            continue;
          }
          const mode = data[i + 3]! & 0x03;
          const bytesPerRow = data[i + 4]! + data[i + 5]! * 256;
          const rows = data[i + 6]! + data[i + 7]! * 256;
          const size = bytesPerRow * rows;
          need(8 + size);
          const width = bytesPerRow * 8;
          if (!pending || pending.width !== width || pending.mode !== mode) {
            flushImage();
            pending = { width, mode, rows: [], heights: [] };
          }
          pending.rows.push(data.subarray(i + 8, i + 8 + size));
          pending.heights.push(rows);
          i += 8 + size;
          push(start, 8 + size, `GS v 0 ${width}x${rows}${mode ? ` mode ${mode}` : ''}`, 'image');
        } else if (c === 0x56) {
          // GS V m | GS V m n: cut
          need(3);
          const m = data[i + 2]!;
          const withFeed = m === 65 || m === 66 || m === 97 || m === 98 || m === 103 || m === 104;
          const len = withFeed ? 4 : 3;
          need(len);
          i += len;
          const partial = m === 1 || m === 49 || m === 66 || m === 98 || m === 104;
          flushImage();
          job.cut = true;
          job.cuts.push({ partial, offset: start });
          movedSinceCut = false;
          job.ops.push({
            offset: start,
            length: len,
            name: `GS V ${m}${withFeed ? ` ${data[start + 3]}` : ''} (${partial ? 'partial' : 'full'} cut)`,
            kind: 'cut',
          });
          job.commands.push(job.ops.at(-1)!.name);
        } else if (c === 0x28) {
          // GS ( x pL pH ...: functions with a length (2D symbols, graphics, settings)
          need(5);
          const fn = data[i + 2]!;
          const len = data[i + 3]! + data[i + 4]! * 256;
          need(5 + len);
          i += 5 + len;
          push(start, 5 + len, `GS ( ${printable(fn)} ${len}`, fn === 0x6b ? 'symbol' : 'style');
        } else if (c === 0x38 && data[i + 2] === 0x4c) {
          // GS 8 L p1 p2 p3 p4 ...: graphics with a 4-byte length
          need(7);
          const len = data[i + 3]! + data[i + 4]! * 0x100 + data[i + 5]! * 0x10000 + data[i + 6]! * 0x1000000;
          need(7 + len);
          i += 7 + len;
          push(start, 7 + len, `GS 8 L ${len}`, 'image');
        } else if (c in GS_FIXED) {
          const n = GS_FIXED[c]!;
          need(2 + n);
          i += 2 + n;
          push(start, 2 + n, `GS ${printable(c)} ${hex(data.subarray(start + 2, i))}`, 'style');
        } else {
          i += 2;
          job.unknown.push(hex(data.subarray(start, i)));
          push(start, 2, `GS ? ${hex([c])}`, 'unknown');
        }
      } else if (b === FS) {
        need(2);
        const c = data[i + 1]!;
        const n = FS_FIXED[c];
        if (n === undefined) {
          i += 2;
          job.unknown.push(hex(data.subarray(start, i)));
          push(start, 2, `FS ? ${hex([c])}`, 'unknown');
        } else {
          need(2 + n);
          i += 2 + n;
          push(start, 2 + n, `FS ${printable(c)}${n ? ` ${hex(data.subarray(start + 2, i))}` : ''}`, 'style');
        }
      } else if (b === DLE) {
        need(2);
        const c = data[i + 1]!;
        if (c === 0x04 || c === 0x05) {
          // DLE EOT n: status request; DLE ENQ n: real-time request
          need(3);
          const n = data[i + 2]!;
          i += 3;
          if (c === 0x04) job.statusRequests.push(n);
          push(start, 3, `DLE ${c === 0x04 ? 'EOT' : 'ENQ'} ${n}`, 'status');
        } else if (c === 0x14) {
          // DLE DC4 fn m t: real-time pulse / clear buffer
          need(5);
          i += 5;
          push(start, 5, `DLE DC4 ${data[start + 2]}`, 'pulse');
        } else {
          i += 2;
          job.unknown.push(hex(data.subarray(start, i)));
          push(start, 2, `DLE ? ${hex([c])}`, 'unknown');
        }
      } else if (b >= 0x20) {
        let j = i;
        while (j < data.length && data[j]! >= 0x20 && data[j] !== 0x7f) j++;
        if (j === i) j++; // DEL
        const text = Buffer.from(data.subarray(i, j)).toString('latin1');
        job.text += text;
        i = j;
        push(start, j - start, `TEXT ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}`, 'text');
      } else {
        i++;
        job.unknown.push(hex([b]));
        push(start, 1, `? ${hex([b])}`, 'unknown');
      }
    }
  } catch (e) {
    if (!(e instanceof Truncated)) throw e;
    job.truncated = true;
  }
  flushImage();
  job.cutAtEnd = job.cut && !movedSinceCut && !job.truncated;
  return job;
}

function printable(c: number): string {
  return c > 0x20 && c < 0x7f ? String.fromCharCode(c) : `0x${c.toString(16).padStart(2, '0')}`;
}

function assembleImage(width: number, mode: number, chunks: Uint8Array[], heights: number[]): EscPosImage {
  const height = heights.reduce((a, b) => a + b, 0);
  const bits = new Uint8Array(width * height);
  const bytesPerRow = width / 8;
  let y0 = 0;
  chunks.forEach((chunk, c) => {
    for (let y = 0; y < heights[c]!; y++) {
      for (let xb = 0; xb < bytesPerRow; xb++) {
        const byte = chunk[y * bytesPerRow + xb]!;
        if (byte === 0) continue;
        const base = (y0 + y) * width + xb * 8;
        for (let bit = 0; bit < 8; bit++) if (byte & (0x80 >> bit)) bits[base + bit] = 1;
      }
    }
    y0 += heights[c]!;
  });
  return { width, height, bits, rgba: bitsToRgba(bits), mode, chunks: chunks.length };
}

/** 1 = black dots to RGBA (black on white, opaque). */
export function bitsToRgba(bits: Uint8Array): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(bits.length * 4);
  for (let p = 0; p < bits.length; p++) {
    const v = bits[p] ? 0 : 255;
    rgba[p * 4] = v;
    rgba[p * 4 + 1] = v;
    rgba[p * 4 + 2] = v;
    rgba[p * 4 + 3] = 255;
  }
  return rgba;
}

/** Share of black dots in an image (0..1). */
export function blackRatio(image: Pick<EscPosImage, 'bits'>): number {
  let n = 0;
  for (const b of image.bits) n += b;
  return image.bits.length ? n / image.bits.length : 0;
}

/**
 * Offsets of the real-time status requests (`DLE EOT n`) in a chunk of bytes as it arrives, for
 * a virtual printer that must answer them at once, before the job is complete. Scans bytes only
 * (a raster image could in principle contain 10 04 0x; a printer has the same ambiguity).
 */
export function findStatusRequests(chunk: Uint8Array): Array<{ offset: number; n: number }> {
  const out: Array<{ offset: number; n: number }> = [];
  for (let i = 0; i + 2 < chunk.length; i++) {
    if (chunk[i] === DLE && chunk[i + 1] === 0x04 && chunk[i + 2]! >= 1 && chunk[i + 2]! <= 4) {
      out.push({ offset: i, n: chunk[i + 2]! });
      i += 2;
    }
  }
  return out;
}
