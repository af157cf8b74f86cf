/**
 * Token slips: what is printed, on what, and how a print can fail. The slip is built from a
 * committed ticket (`SlipData`), drawn by one of two renderers (raster for ESC/POS thermal
 * printers, HTML for the operating system's printers), and sent by a transport.
 */

/** Paper the slip is laid out for. Thermal rolls: 80 mm (576 dots) and 58 mm (384 dots) at 203 dpi. */
export const PAPER_SIZES = ['80mm', '58mm', 'a5', 'a4'] as const;
export type PaperSize = (typeof PAPER_SIZES)[number];

/** Printable width in dots for the raster path (203 dpi thermal heads; A5/A4 rendered at 150 dpi). */
export const RASTER_WIDTH: Record<PaperSize, number> = { '80mm': 576, '58mm': 384, a5: 874, a4: 1240 };

/** Page width in millimetres for the HTML/PDF path. Thermal pages are as long as the slip. */
export const PAGE_WIDTH_MM: Record<PaperSize, number> = { '80mm': 80, '58mm': 58, a5: 148, a4: 210 };
export const PAGE_HEIGHT_MM: Record<PaperSize, number | null> = { '80mm': null, '58mm': null, a5: 210, a4: 297 };

/** Everything printed on a slip, already decided (masking, times, wait): renderers only draw it. */
export interface SlipData {
  ticketId: string;
  token: string;
  lane: 'priority' | 'walkin';
  centre: { name: string; nameHi: string | null };
  /** the person's name as configured for slips (full, first name, initials) or null when hidden */
  name: string | null;
  /** centre-local `DD MMM YYYY, HH:MM` */
  issuedAt: string;
  /** 1-based place among those waiting in the lane when the slip was made; null once called */
  placeInLane: number | null;
  /** minutes, rounded; null when unknown */
  estimatedWaitMinutes: number | null;
  counterCode: string;
  operatorCode: string;
  verified: boolean;
  /** printed again for the same ticket: the slip says so */
  reprint: boolean;
  /** what the QR code carries: `{"t":"<ticket uuid>","k":"<token>"}` */
  qrPayload: string;
}

export function qrPayloadFor(ticketId: string, token: string): string {
  return JSON.stringify({ t: ticketId, k: token });
}

/** A picture of the slip, black on white, `width` dots wide (the encoder thresholds it to 1 bit). */
export interface SlipRaster {
  width: number;
  /** a multiple of 8 (what ESC/POS raster images need) */
  height: number;
  /** RGBA pixels, row by row, as canvas ImageData: what the ESC/POS encoder takes */
  rgba: Uint8ClampedArray;
}

/** Why a print failed, in words the counter can act on; `code` is translated in the renderer. */
export type PrintErrorCode =
  | 'printer_not_configured'
  | 'printer_not_allowed' // a device path or network address the counter may not send slips to
  | 'printer_unreachable' // refused, no route, unknown host, no such device or queue
  | 'printer_timeout' // accepted, then did not answer or take the job in time
  | 'printer_disconnected' // closed the connection mid-job
  | 'printer_offline' // says it is offline (cover open, error)
  | 'paper_out'
  | 'driver_error'; // the operating system's print system said no

export class PrintError extends Error {
  constructor(
    readonly code: PrintErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PrintError';
  }
}

/** Carries bytes to a raw (ESC/POS) printer. Rejects with a PrintError; never hangs past its deadline. */
export interface ByteTransport {
  /** short description for logs and the print-job list, e.g. `tcp 192.168.1.50:9100` */
  readonly describe: string;
  send(job: Uint8Array, options: { timeoutMs: number; statusCheck: boolean }): Promise<void>;
}

/** Prints a slip on an operating-system printer (Electron's webContents.print in a hidden window). */
export interface SystemPrinter {
  list(): Promise<Array<{ name: string; displayName: string; isDefault: boolean }>>;
  print(html: string, options: { deviceName: string; paper: PaperSize; timeoutMs: number }): Promise<void>;
}
