import ReceiptPrinterEncoder from '@point-of-sale/receipt-printer-encoder';
import jsQR from 'jsqr';
import { describe, expect, it } from 'vitest';
import { encodeSlipEscPos, FEED_BEFORE_CUT_LINES } from '../../main/printing/escpos';
import { renderSlipRaster } from '../../main/printing/slip-raster';
import { demoSlip } from '../../main/printing/slip-text';
import { PrintError, RASTER_WIDTH, type SlipRaster } from '../../main/printing/types';
import { blackRatio, decodeEscPos, findStatusRequests } from '../support/escpos-decode';

const bytes = (...parts: Array<number[] | Uint8Array>) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));

describe('slip job round trip (encode, then decode as a printer would)', () => {
  for (const paper of ['80mm', '58mm'] as const) {
    it(`${paper}: one raster image as wide as the paper, the same dots, a readable QR code, then a cut`, () => {
      const slip = demoSlip({ reprint: paper === '58mm', verified: paper === '80mm' });
      const raster = renderSlipRaster(slip, paper);
      const job = decodeEscPos(encodeSlipEscPos(raster, paper));

      expect(job.truncated).toBe(false);
      expect(job.unknown).toEqual([]);
      expect(job.initialized).toBe(true);
      expect(job.commands[0]).toBe('ESC @');

      expect(job.images).toHaveLength(1);
      const image = job.images[0]!;
      expect(image.width).toBe(RASTER_WIDTH[paper]);
      expect(image.height).toBe(raster.height);
      expect(image.mode).toBe(0);
      // GS v 0 carries at most 255 rows per command here; the chunks join without a gap
      expect(image.chunks).toBe(Math.ceil(raster.height / 255));

      // the raster is already pure black and white, so every dot survives the encoder's threshold
      let mismatches = 0;
      for (let p = 0; p < image.bits.length; p++) if (image.bits[p] !== (raster.rgba[p * 4]! < 128 ? 1 : 0)) mismatches++;
      expect(mismatches).toBe(0);
      const ratio = blackRatio(image);
      expect(ratio).toBeGreaterThan(0.05);
      expect(ratio).toBeLessThan(0.5);

      const qr = jsQR(image.rgba, image.width, image.height);
      expect(qr?.data).toBe(slip.qrPayload);

      expect(job.cut).toBe(true);
      expect(job.cuts).toHaveLength(1);
      expect(job.cuts[0]!.partial).toBe(true);
      expect(job.cutAtEnd).toBe(true);
      expect(job.commands.at(-1)).toMatch(/^GS V 1 /);
      // the slip is fed past the cutter before the cut
      const cutIndex = job.ops.findIndex((o) => o.kind === 'cut');
      const feedsBeforeCut = job.ops.slice(0, cutIndex).filter((o) => o.name === 'LF').length;
      expect(feedsBeforeCut).toBeGreaterThanOrEqual(FEED_BEFORE_CUT_LINES);
      expect(job.statusRequests).toEqual([]);
      expect(job.text.trim()).toBe('');
    });
  }

  it('refuses a raster that is not as wide as the paper or not a multiple of 8 tall', () => {
    const raster = renderSlipRaster(demoSlip(), '58mm');
    expect(() => encodeSlipEscPos(raster, '80mm')).toThrow(RangeError);
    const odd: SlipRaster = { width: 576, height: 12, rgba: new Uint8ClampedArray(576 * 12 * 4) };
    expect(() => encodeSlipEscPos(odd, '80mm')).toThrow(RangeError);
    const short: SlipRaster = { width: 576, height: 16, rgba: new Uint8ClampedArray(10) };
    expect(() => encodeSlipEscPos(short, '80mm')).toThrow(RangeError);
  });

  it('office paper on a raw printer is a print error the counter can act on', () => {
    const raster = renderSlipRaster(demoSlip(), 'a4');
    expect(() => encodeSlipEscPos(raster, 'a4')).toThrow(PrintError);
    let error: unknown;
    try {
      encodeSlipEscPos(raster, 'a5');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PrintError);
    expect((error as PrintError).code).toBe('driver_error');
  });
});

/** The job as the encoder makes it on its own, image included: what the slip job must equal byte for byte. */
function encoderJob(raster: SlipRaster, paper: '80mm' | '58mm'): Uint8Array {
  const job = new ReceiptPrinterEncoder({
    language: 'esc-pos',
    imageMode: 'raster',
    columns: paper === '80mm' ? 48 : 32,
    feedBeforeCut: FEED_BEFORE_CUT_LINES,
    newline: '\n',
  })
    .initialize()
    .image({ data: raster.rgba, width: raster.width, height: raster.height }, raster.width, raster.height, 'threshold', 128)
    .cut('partial')
    .encode();
  let end = job.length;
  while (job[end - 1] === 0x0a) end--;
  return job.slice(0, end);
}

/** Pixels of every kind: any colour, any alpha, and greys either side of the threshold. */
function noise(width: number, height: number, seed: number): SlipRaster {
  let x = seed;
  const next = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < rgba.length; p += 4) {
    const kind = next() % 4;
    if (kind === 0) {
      const grey = 120 + (next() % 16);
      rgba.set([grey, grey, grey, 255], p);
    } else if (kind === 1) rgba.set([next(), next(), next(), next()], p);
    else if (kind === 2) rgba.set([next(), next(), next(), 0], p);
    else rgba.set([next(), next(), next(), 255], p);
  }
  return { width, height, rgba };
}

describe("the slip job is the encoder's own job, byte for byte", () => {
  for (const paper of ['80mm', '58mm'] as const) {
    it(`${paper}: real slips (Hindi and English, first print and reprint)`, () => {
      for (const [i, options] of [{}, { reprint: true }, { verified: false, lane: 'priority' as const }].entries()) {
        const raster = renderSlipRaster(demoSlip({ ...options, token: `A-W${100 + i}` }), paper);
        expect(Buffer.from(encodeSlipEscPos(raster, paper)).equals(Buffer.from(encoderJob(raster, paper)))).toBe(true);
      }
    });

    it(`${paper}: any pixels, any alpha, greys at the threshold, one to three raster commands`, () => {
      for (const [seed, height] of [
        [1, 8],
        [2, 248],
        [3, 256],
        [4, 520],
      ] as const) {
        const raster = noise(RASTER_WIDTH[paper], height, seed);
        const ours = encodeSlipEscPos(raster, paper);
        const theirs = encoderJob(raster, paper);
        expect(ours.length).toBe(theirs.length);
        const first = ours.findIndex((b, i) => b !== theirs[i]);
        expect(first, `first differing byte at ${first} (height ${height})`).toBe(-1);
      }
    });
  }
});

describe('decodeEscPos', () => {
  it('reads feeds, text, status requests and every form of cut', () => {
    const job = decodeEscPos(
      bytes(
        [0x10, 0x04, 0x01], // DLE EOT 1
        [0x1b, 0x40], // ESC @
        [0x1b, 0x61, 0x01], // ESC a 1
        Buffer.from('Hello'),
        [0x0a], // LF
        [0x1b, 0x64, 0x03], // ESC d 3
        [0x1b, 0x4a, 0x10], // ESC J 16
        [0x1d, 0x56, 0x00], // GS V 0: full cut
        [0x1b, 0x64, 0x02],
        [0x1d, 0x56, 0x42, 0x05], // GS V 66 5: feed and partial cut
        [0x10, 0x04, 0x04], // DLE EOT 4 after the cut: not printing
      ),
    );
    expect(job.initialized).toBe(true); // a status request before ESC @ does not print
    expect(job.initializeCount).toBe(1);
    expect(job.text).toBe('Hello\n');
    expect(job.feedLines).toBe(1 + 3 + 2);
    expect(job.feedDots).toBe(16);
    expect(job.cuts.map((c) => c.partial)).toEqual([false, true]);
    expect(job.cutAtEnd).toBe(true);
    expect(job.statusRequests).toEqual([1, 4]);
    expect(job.commands).toEqual([
      'DLE EOT 1',
      'ESC @',
      'ESC a 01',
      'TEXT "Hello"',
      'LF',
      'ESC d 3',
      'ESC J 16',
      'GS V 0 (full cut)',
      'ESC d 2',
      'GS V 66 5 (partial cut)',
      'DLE EOT 4',
    ]);
    expect(job.unknown).toEqual([]);
  });

  it('a job that prints after its last cut does not end with a cut', () => {
    const job = decodeEscPos(bytes([0x1b, 0x40], [0x1d, 0x56, 0x01], Buffer.from('tail'), [0x0a]));
    expect(job.initialized).toBe(true);
    expect(job.cut).toBe(true);
    expect(job.cutAtEnd).toBe(false);
    expect(decodeEscPos(bytes([0x1b, 0x40], Buffer.from('no cut'))).cut).toBe(false);
    expect(decodeEscPos(bytes([0x0a], [0x1b, 0x40])).initialized).toBe(false);
  });

  it('decodes raster bit images (GS v 0) dot for dot, joining consecutive chunks', () => {
    // 16 x 3 image sent as two chunks (2 rows + 1 row): a diagonal-ish pattern
    const job = decodeEscPos(
      bytes(
        [0x1d, 0x76, 0x30, 0x00, 0x02, 0x00, 0x02, 0x00],
        [0b1000_0000, 0b0000_0001, 0b0100_0000, 0b0000_0000],
        [0x1d, 0x76, 0x30, 0x00, 0x02, 0x00, 0x01, 0x00],
        [0xff, 0x00],
        [0x0a],
        [0x1d, 0x76, 0x30, 0x00, 0x01, 0x00, 0x01, 0x00, 0x0f], // a separate 8 x 1 image
      ),
    );
    expect(job.images).toHaveLength(2);
    const [a, b] = job.images;
    expect(a).toMatchObject({ width: 16, height: 3, chunks: 2 });
    const row = (y: number) => Array.from(a!.bits.subarray(y * 16, y * 16 + 16)).join('');
    expect(row(0)).toBe('1000000000000001');
    expect(row(1)).toBe('0100000000000000');
    expect(row(2)).toBe('1111111100000000');
    expect(Array.from(a!.rgba.subarray(0, 8))).toEqual([0, 0, 0, 255, 255, 255, 255, 255]);
    expect(b).toMatchObject({ width: 8, height: 1, chunks: 1 });
    expect(Array.from(b!.bits).join('')).toBe('00001111');
  });

  it('flags a stream cut off inside a command instead of throwing', () => {
    const whole = encodeSlipEscPos(renderSlipRaster(demoSlip(), '58mm'), '58mm');
    const job = decodeEscPos(whole.subarray(0, 5000));
    expect(job.truncated).toBe(true);
    expect(job.cut).toBe(false);
    expect(job.cutAtEnd).toBe(false);
    expect(decodeEscPos(bytes([0x1b])).truncated).toBe(true);
    expect(decodeEscPos(bytes([0x10, 0x04])).truncated).toBe(true);
  });

  it('lists unknown commands and keeps going', () => {
    const job = decodeEscPos(bytes([0x1b, 0x40], [0x1b, 0xee], [0x01], [0x1d, 0x56, 0x01]));
    expect(job.unknown).toEqual(['1b ee', '01']);
    expect(job.cutAtEnd).toBe(true);
  });

  it('skips length-prefixed functions (GS ( k) and accepts ArrayBuffer and number[] input', () => {
    const qrStore = [0x1d, 0x28, 0x6b, 0x06, 0x00, 0x31, 0x50, 0x30, 0x41, 0x42, 0x43];
    const job = decodeEscPos(bytes([0x1b, 0x40], qrStore, [0x0a], [0x1d, 0x56, 0x01]).buffer);
    expect(job.commands).toEqual(['ESC @', 'GS ( k 6', 'LF', 'GS V 1 (partial cut)']);
    expect(decodeEscPos([0x1b, 0x40]).initialized).toBe(true);
  });

  it('findStatusRequests finds DLE EOT n in a chunk as it arrives', () => {
    expect(findStatusRequests(bytes([0x00, 0x10, 0x04, 0x01, 0x10, 0x04, 0x04, 0x10, 0x04]))).toEqual([
      { offset: 1, n: 1 },
      { offset: 4, n: 4 },
    ]);
    expect(findStatusRequests(bytes([0x10, 0x04, 0x09]))).toEqual([]);
  });
});
