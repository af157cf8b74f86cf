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
  const encoder = new ReceiptPrinterEncoder({
    language: 'esc-pos',
    imageMode: 'raster',
    columns: COLUMNS[paper],
    feedBeforeCut: FEED_BEFORE_CUT_LINES,
    // LF only: a CR makes some printers (with "CR as line feed" set) feed twice
    newline: '\n',
  });
  // A plain object with data/width/height is taken as image data as is (no resize: sizes match).
  const image = { data: raster.rgba, width: raster.width, height: raster.height };
  const job = encoder.initialize().image(image, raster.width, raster.height, 'threshold', 128).cut('partial').encode();
  return endAtCut(job);
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
