/**
 * ESC/POS real-time status (DLE EOT n), as Epson TM printers and most compatibles answer it.
 *
 * The printer answers each request with one byte, even while offline and ahead of data still in
 * its buffer. Every reply byte has the fixed pattern `0xx1xx10` (bits 1 and 4 set, bits 0 and 7
 * clear); bytes that do not match (automatic status back, stray data) are not replies.
 */

export const DLE = 0x10;
export const EOT = 0x04;

/** `n` of DLE EOT n. */
export const STATUS_REQUEST = {
  /** printer status: online/offline */
  printer: 1,
  /** offline cause: cover open, feed button, stopped by paper end, error */
  offlineCause: 2,
  /** error cause */
  errorCause: 3,
  /** roll paper sensor: near end, paper end */
  paper: 4,
} as const;

export type StatusRequest = (typeof STATUS_REQUEST)[keyof typeof STATUS_REQUEST];

export function statusRequest(n: StatusRequest): Uint8Array {
  return Uint8Array.of(DLE, EOT, n);
}

/**
 * How many DLE EOT n requests (n = 1-4) the bytes contain. Raster data can hold them by chance,
 * and many printers answer them even there, so a job can draw replies of its own.
 */
export function countStatusRequests(bytes: Uint8Array): number {
  let count = 0;
  for (let i = 0; i + 2 < bytes.length; i++) {
    const n = bytes[i + 2]!;
    if (bytes[i] === DLE && bytes[i + 1] === EOT && n >= 1 && n <= 4) count += 1;
  }
  return count;
}

/** Whether `byte` can be a DLE EOT reply (`0xx1xx10b`). */
export function isStatusReply(byte: number): boolean {
  return (byte & 0x93) === 0x12;
}

export interface PrinterStatus {
  /** bit 3 */
  offline: boolean;
}

/** Reply to DLE EOT 1. */
export function parsePrinterStatus(byte: number): PrinterStatus {
  return { offline: (byte & 0x08) !== 0 };
}

export interface PaperStatus {
  /** bits 2-3: the roll is nearly used up; printing still works */
  nearEnd: boolean;
  /** bits 5-6: no paper; the printer stops */
  paperEnd: boolean;
}

/**
 * Reply to DLE EOT 4. Epson sets both bits of each pair; some compatibles set only one, so
 * either bit counts.
 */
export function parsePaperStatus(byte: number): PaperStatus {
  return { nearEnd: (byte & 0x0c) !== 0, paperEnd: (byte & 0x60) !== 0 };
}

/**
 * Takes status replies out of a stream of bytes from the printer: non-reply bytes are dropped,
 * replies are queued until read.
 */
export class StatusReplyReader {
  private readonly replies: number[] = [];
  private waiter: ((byte: number) => void) | null = null;

  /** Feed bytes received from the printer. */
  push(bytes: Uint8Array): void {
    for (const byte of bytes) {
      if (!isStatusReply(byte)) continue;
      const waiter = this.waiter;
      if (waiter) {
        this.waiter = null;
        waiter(byte);
      } else if (this.replies.length < 4096) {
        this.replies.push(byte);
      }
    }
  }

  /** Forget replies received so far (call before sending a request, so a late reply is not taken for it). */
  clear(): void {
    this.replies.length = 0;
  }

  /** The next reply; never settles if none comes (race it with a deadline). One reader at a time. */
  next(): Promise<number> {
    const queued = this.replies.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}
