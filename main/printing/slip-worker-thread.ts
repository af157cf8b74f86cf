/**
 * The slip worker thread: draws slips (@napi-rs/canvas, the bundled fonts, the QR code) and
 * encodes them for the printer, so that the tens of milliseconds a slip takes are never spent
 * on the main process's event loop. One request at a time, in the order they come.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { encodeSlipEscPos } from './escpos';
import { registerSlipFonts } from './fonts';
import { renderSlipHtml } from './slip-html';
import { renderSlipRaster } from './slip-raster';
import type { SlipRenderReply, SlipRenderRequest, SlipWorkerReady } from './slip-worker-messages';
import { PrintError } from './types';

const port = parentPort;
if (!port) throw new Error('slip-worker-thread.ts runs as a worker thread');

/** A job's own bytes: the buffer handed over must hold nothing else. */
function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
    ? bytes
    : bytes.slice();
}

port.on('message', (m: SlipRenderRequest) => {
  let reply: SlipRenderReply;
  try {
    if (m.kind === 'escpos') {
      const bytes = ownBuffer(encodeSlipEscPos(renderSlipRaster(m.slip, m.paper), m.paper));
      port.postMessage({ id: m.id, ok: true, kind: 'escpos', bytes } satisfies SlipRenderReply, [bytes.buffer as ArrayBuffer]);
      return;
    }
    reply = { id: m.id, ok: true, kind: 'html', html: renderSlipHtml(m.slip, m.paper) };
  } catch (e) {
    reply = {
      id: m.id,
      ok: false,
      code: e instanceof PrintError ? e.code : null,
      message: e instanceof Error ? e.message : String(e),
    };
  }
  port.postMessage(reply);
});

/**
 * How much lower than the main process's loop this thread runs (a nice value): on a PC with
 * few cores, the slip waits for the main loop, not the main loop for the slip.
 */
const SLIP_WORKER_NICE = 10;

/** Linux: lowers this thread's priority alone (its own thread id); elsewhere it keeps the process's. */
function yieldToMainLoop(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0 && tid !== process.pid) setPriority(tid, SLIP_WORKER_NICE);
  } catch {
    // no /proc/thread-self (Windows, macOS) or not allowed: the slip worker runs at the process's priority
  }
}

yieldToMainLoop();
// the fonts are read once, before the first slip's deadline starts
registerSlipFonts();
port.postMessage({ ready: true } satisfies SlipWorkerReady);
