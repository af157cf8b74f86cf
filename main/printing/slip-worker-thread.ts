/**
 * The slip worker thread: draws slips (@napi-rs/canvas, the bundled fonts, the QR code) and
 * encodes them for the printer, so that the tens of milliseconds a slip takes are never spent
 * on the main process's event loop. One request at a time, in the order they come.
 */
import { parentPort } from 'node:worker_threads';
import { stepAside } from '../platform/background-thread';
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

// on a PC with few cores, the slip waits for the main loop, not the main loop for the slip: at
// nice 10, not in the idle class, so that other programs keeping every core busy never hold a
// slip past its deadline
stepAside({ idle: false });
// the fonts are read once, before the first slip's deadline starts
registerSlipFonts();
port.postMessage({ ready: true } satisfies SlipWorkerReady);
