/**
 * ESC/POS bytes for a slip: initialise the printer, print the slip raster as `GS v 0` raster
 * images, feed the slip past the cutter and cut (partial cut: the slip stays hanging on a tab
 * where the printer supports it, which stops slips falling on the floor).
 */
import ReceiptPrinterEncoder from '@point-of-sale/receipt-printer-encoder';
import { PrintError, RASTER_WIDTH, type PaperSize, type SlipRaster } from './types';

/** Lines fed after the slip so the cutter does not cut through the footer. */
export const FEED_BEFORE_CUT_LINES = 4;

/** Columns of the printer's built-in font A (12x24) on each roll: only used for the feed lines. */
const COLUMNS = { '80mm': 48, '58mm': 32 } as const;

/** ESC/POS printers are roll printers: 80 mm or 58 mm paper. */
export const isEscPosPaper = (paper: PaperSize): paper is keyof typeof COLUMNS => paper === '80mm' || paper === '58mm';

/**
 * The print job for a slip raster on an ESC/POS printer. The raster must be as wide as the
 * roll's printable width (576 dots for 80 mm, 384 for 58 mm). A5/A4 paper on a raw printer is a
 * settings mistake the counter can fix: a PrintError, not a crash.
 */
export function encodeSlipEscPos(raster: SlipRaster, paper: PaperSize): Uint8Array {
  if (!isEscPosPaper(paper)) {
    throw new PrintError(
      'driver_error',
      `ESC/POS printers print on 80 mm or 58 mm rolls, not ${paper.toUpperCase()}: change the paper size in the printer settings`,
    );
  }
  if (raster.width !== RASTER_WIDTH[paper]) {
    throw new RangeError(`a ${paper} slip is ${RASTER_WIDTH[paper]} dots wide, the raster is ${raster.width}`);
  }
  if (raster.width % 8 !== 0 || raster.height % 8 !== 0 || raster.height === 0) {
    throw new RangeError(`raster size ${raster.width}x${raster.height} is not a positive multiple of 8`);
  }
  if (raster.rgba.length !== raster.width * raster.height * 4) {
    throw new RangeError('raster pixel data does not match its size');
  }
  const { before, after } = jobFrame(paper);
  const image = rasterImageCommands(raster);
  const job = new Uint8Array(before.length + image.length + after.length);
  job.set(before, 0);
  job.set(image, before.length);
  job.set(after, before.length + image.length);
  return job;
}

/** What the encoder is asked for: its own settings for each roll. */
function encoder(paper: keyof typeof COLUMNS): ReceiptPrinterEncoder {
  return new ReceiptPrinterEncoder({
    language: 'esc-pos',
    imageMode: 'raster',
    columns: COLUMNS[paper],
    feedBeforeCut: FEED_BEFORE_CUT_LINES,
    // LF only: a CR makes some printers (with "CR as line feed" set) feed twice
    newline: '\n',
  });
}

/** Rows per `GS v 0` command, as the encoder sends them: a raster command prints its rows and stops. */
const RASTER_CHUNK_ROWS = 255;
/** The luminance below which a dot is black, as the encoder's "threshold" dithering is given it. */
const BLACK_BELOW = 128;

/**
 * The encoder's job for a slip around its image: initialise before it; the feed and the cut
 * after it. Taken from the encoder itself (a job with an 8-row white image, split at its image
 * command), once per roll.
 */
const frames = new Map<keyof typeof COLUMNS, { before: Uint8Array; after: Uint8Array }>();
function jobFrame(paper: keyof typeof COLUMNS): { before: Uint8Array; after: Uint8Array } {
  const known = frames.get(paper);
  if (known) return known;
  const width = RASTER_WIDTH[paper];
  const white = { data: new Uint8ClampedArray(width * 8 * 4).fill(255), width, height: 8 };
  const before = encoder(paper).initialize().encode();
  const job = endAtCut(encoder(paper).initialize().image(white, width, 8, 'threshold', BLACK_BELOW).cut('partial').encode());
  const imageBytes = 8 + (width / 8) * 8;
  const image = job.subarray(before.length, before.length + imageBytes);
  if (!startsWith(job, before) || image[0] !== 0x1d || image[1] !== 0x76 || image[2] !== 0x30) {
    throw new Error('the ESC/POS encoder frames its image differently: the slip job cannot be built');
  }
  const frame = { before, after: job.slice(before.length + imageBytes) };
  frames.set(paper, frame);
  return frame;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

/**
 * The slip raster as `GS v 0` raster commands, byte for byte what the encoder's image() makes of
 * it with "threshold" dithering (a test holds the two equal): each pixel laid on white by its
 * alpha, black when its luminance is below the threshold, 8 dots a byte, at most 255 rows a
 * command. Only for a raster encodeSlipEscPos has checked (as wide as the roll, a multiple of 8
 * each way, its pixels all there). The encoder's own path takes a 576 x 1,000 slip through
 * three passes over a copy of its pixels and a call per dot, about 25 ms; this is one pass.
 */
function rasterImageCommands(raster: SlipRaster): Uint8Array {
  const { width, height, rgba } = raster;
  const rowBytes = width >> 3;
  const chunks = Math.ceil(height / RASTER_CHUNK_ROWS);
  const out = new Uint8Array(chunks * 8 + rowBytes * height);
  let o = 0;
  for (let start = 0; start < height; start += RASTER_CHUNK_ROWS) {
    const rows = Math.min(RASTER_CHUNK_ROWS, height - start);
    out.set([0x1d, 0x76, 0x30, 0x00, rowBytes & 0xff, (rowBytes >> 8) & 0xff, rows & 0xff, (rows >> 8) & 0xff], o);
    o += 8;
    for (let y = start; y < start + rows; y++) {
      let p = y * width * 4;
      for (let xb = 0; xb < rowBytes; xb++) {
        let byte = 0;
        for (let bit = 7; bit >= 0; bit--, p += 4) {
          if (isBlack(rgba[p]!, rgba[p + 1]!, rgba[p + 2]!, rgba[p + 3]!)) byte |= 1 << bit;
        }
        out[o++] = byte;
      }
    }
  }
  return out;
}

/** canvas-flatten on white, then canvas-dither's threshold, as the encoder runs them (same arithmetic, same order). */
function isBlack(r: number, g: number, b: number, a: number): boolean {
  if (a !== 255) {
    // the flattened channel is stored in a Uint8ClampedArray: rounded to the nearest (never a tie here)
    const white = (255 - a) * 255;
    r = Math.round((a * r + white) / 255);
    g = Math.round((a * g + white) / 255);
    b = Math.round((a * b + white) / 255);
  }
  return r * 0.299 + g * 0.587 + b * 0.114 < BLACK_BELOW;
}

/**
 * The encoder ends the line it flushes after the cut with a newline, which would feed the next
 * slip's paper before it starts: the job ends at the cut instead.
 */
function endAtCut(job: Uint8Array): Uint8Array {
  let end = job.length;
  while (end > 0 && (job[end - 1] === 0x0a || job[end - 1] === 0x0d)) end--;
  const cut = end >= 3 && job[end - 3] === 0x1d && job[end - 2] === 0x56;
  return cut ? job.slice(0, end) : job;
}
