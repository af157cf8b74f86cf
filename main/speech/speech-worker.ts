/**
 * The speech worker thread: eSpeak NG (WebAssembly) says each call here and writes it as a WAV
 * file, so neither the hundreds of milliseconds a call takes nor its half a megabyte of sound
 * are ever on the main process's event loop or in its heap. Requests are
 * answered one at a time in the order they come: calls that come faster than they can be
 * spoken wait their turn, and none is dropped.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { runInBackground } from '../platform/background-thread';
import { composeCall, composeLanguage } from './compose';
import { loadEspeak, type Synthesiser } from './espeak';
import type { SpeechReply, SpeechRequest, SpeechWorkerReady } from './speech-worker-messages';
import { encodeWav } from './wav';

const port = parentPort;
if (!port) throw new Error('speech-worker.ts runs as a worker thread');

const queue: SpeechRequest[] = [];
let tts: Synthesiser | null = null;
let failed: string | null = null;

function answer(m: SpeechRequest): void {
  let reply: SpeechReply;
  try {
    if (!tts) throw new Error(`the speech synthesiser could not be loaded: ${failed ?? 'unknown'}`);
    const pcm = m.kind === 'call' ? composeCall(tts, m.call, m.settings) : composeLanguage(tts, m.call, m.language);
    const wav = encodeWav(pcm, tts.rate);
    // written whole, then renamed: a reader never sees half a file
    const part = `${m.file}.part`;
    writeFileSync(part, wav, { mode: 0o600 });
    renameSync(part, m.file);
    reply = { id: m.id, ok: true, bytes: wav.byteLength };
  } catch (e) {
    reply = { id: m.id, ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  port!.postMessage(reply);
}

port.on('message', (m: SpeechRequest) => {
  if (tts || failed) answer(m);
  else queue.push(m);
});

// speaking never keeps the main loop waiting for a core (see runInBackground)
runInBackground();
loadEspeak().then(
  (engine) => {
    tts = engine;
    port.postMessage({ ready: true } satisfies SpeechWorkerReady);
    for (const m of queue.splice(0)) answer(m);
  },
  (e: unknown) => {
    failed = e instanceof Error ? e.message : String(e);
    port.postMessage({ ready: true } satisfies SpeechWorkerReady);
    for (const m of queue.splice(0)) answer(m);
  },
);
