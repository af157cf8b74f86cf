/**
 * ESC/POS bytes for a slip: initialise the printer, print the slip raster as `GS v 0` raster
 * images, feed the slip past the cutter and cut (partial cut: the slip stays hanging on a tab
 * where the printer supports it, which stops slips falling on the floor).
 */
import { PrintError, RASTER_WIDTH, type PaperSize, type SlipRaster } from './types';

/** Lines fed after the slip so the cutter does not cut through the footer. */
export const FEED_BEFORE_CUT_LINES = 4;

/** ESC/POS printers are roll printers: 80 mm or 58 mm paper. */
export const isEscPosPaper = (paper: PaperSize): paper is '80mm' | '58mm' => paper === '80mm' || paper === '58mm';

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
  return encodeRaster(raster);
}

/** ESC @ (initialise), FS . (leave Kanji mode), ESC M 0 (font A): what every job starts with. */
const JOB_START = [0x1b, 0x40, 0x1c, 0x2e, 0x1b, 0x4d, 0x00];
/** rows per GS v 0 command: its height field is two bytes, but some printers take no more than 255 */
const ROWS_PER_BAND = 255;
/** GS V 1: partial cut */
const PARTIAL_CUT = [0x1d, 0x56, 0x01];

/**
 * Writes the job in one pass over the pixels: the bytes `@point-of-sale/receipt-printer-encoder`
 * gives for this raster (initialize, image as `raster` with threshold 128, feed, partial cut,
 * then `endAtCut`), which test/printing/escpos.test.ts checks byte for byte, at a fraction of
 * its time. A dot is black when the pixel, flattened on white, has luminance below 128.
 */
function encodeRaster(raster: SlipRaster): Uint8Array {
  const { width, height, rgba } = raster;
  const rowBytes = width >> 3;
  const bands = Math.ceil(height / ROWS_PER_BAND);
  // the line after the image, then the feed before the cut
  const feed = 1 + FEED_BEFORE_CUT_LINES;
  const job = new Uint8Array(JOB_START.length + bands * 8 + rowBytes * height + feed + PARTIAL_CUT.length);
  job.set(JOB_START, 0);
  let at = JOB_START.length;
  const flat = new Uint8ClampedArray(3);
  for (let top = 0; top < height; top += ROWS_PER_BAND) {
    const rows = Math.min(ROWS_PER_BAND, height - top);
    job.set([0x1d, 0x76, 0x30, 0x00, rowBytes & 0xff, (rowBytes >> 8) & 0xff, rows & 0xff, (rows >> 8) & 0xff], at);
    at += 8;
    for (let y = top; y < top + rows; y++) {
      let p = y * width * 4;
      for (let xb = 0; xb < rowBytes; xb++) {
        let byte = 0;
        for (let bit = 7; bit >= 0; bit--, p += 4) {
          const alpha = rgba[p + 3]!;
          let r = rgba[p]!;
          let g = rgba[p + 1]!;
          let b = rgba[p + 2]!;
          if (alpha !== 255) {
            // the encoder's flatten: onto white, rounded as Uint8ClampedArray rounds
            const w = (255 - alpha) * 255;
            flat[0] = (alpha * r + w) / 255;
            flat[1] = (alpha * g + w) / 255;
            flat[2] = (alpha * b + w) / 255;
            r = flat[0];
            g = flat[1];
            b = flat[2];
          }
          if (0.299 * r + 0.587 * g + 0.114 * b < 128) byte |= 1 << bit;
        }
        job[at++] = byte;
      }
    }
  }
  job.fill(0x0a, at, at + feed);
  job.set(PARTIAL_CUT, at + feed);
  return job;
}
