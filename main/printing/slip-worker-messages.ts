/**
 * What the main process and the slip worker thread say to each other. Plain data only: it
 * crosses the thread boundary by structured clone (the ESC/POS bytes are transferred, not copied).
 */
import type { PaperSize, PrintErrorCode, SlipData } from './types';

export type SlipRenderRequest =
  /** the slip as an ESC/POS job for a thermal printer: raster drawn, thresholded and encoded */
  | { id: number; kind: 'escpos'; slip: SlipData; paper: PaperSize }
  /** the slip as an HTML document for the operating system's printers */
  | { id: number; kind: 'html'; slip: SlipData; paper: PaperSize };

/** Sent once by the worker when its modules are loaded and it takes requests. */
export interface SlipWorkerReady {
  ready: true;
}

export type SlipRenderReply =
  | { id: number; ok: true; kind: 'escpos'; bytes: Uint8Array }
  | { id: number; ok: true; kind: 'html'; html: string }
  /** `code` is set when the renderer refused the slip with a PrintError (e.g. A4 on a thermal roll) */
  | { id: number; ok: false; code: PrintErrorCode | null; message: string };
