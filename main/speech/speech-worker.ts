/**
 * The speech worker thread: eSpeak NG (WebAssembly) says each call here and writes it as a WAV
 * file, so neither the hundreds of milliseconds a call takes nor its half a megabyte of sound
 * are ever on the main process's event loop or in its heap. Requests are
 * answered one at a time in the order they come: calls that come faster than they can be
 * spoken wait their turn, and none is dropped.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { stepAside, threadCpuMs } from '../platform/background-thread';
import { composeCall, composeLanguage } from './compose';
import { loadEspeak, type Synthesiser } from './espeak';
import type { SpeechReply, SpeechRequest, SpeechWorkerReady, SpeechWorkerSetup } from './speech-worker-messages';
import { encodeWav } from './wav';

const port = parentPort;
if (!port) throw new Error('speech-worker.ts runs as a worker thread');

const setup = workerData as SpeechWorkerSetup;
// a call's work waits for the main loop, never the main loop for it (see stepAside)
const level = stepAside({ idle: setup.idle });

const queue: SpeechRequest[] = [];
let tts: Synthesiser | null = null;
let failed: string | null = null;

function answer(m: SpeechRequest): void {
  let reply: SpeechReply;
  const wall0 = performance.now();
  const cpu0 = level === 'idle' ? threadCpuMs() : null;
  try {
    if (!tts) throw new Error(`the speech synthesiser could not be loaded: ${failed ?? 'unknown'}`);
    const pcm = m.kind === 'call' ? composeCall(tts, m.call, m.settings) : composeLanguage(tts, m.call, m.language);
    const wav = encodeWav(pcm, tts.rate);
    // the making of the sound is all computing: what it took beyond this thread's CPU time, it
    // spent ready to run and given no core
    const cpu1 = cpu0 === null ? null : threadCpuMs();
    const starved = cpu0 !== null && cpu1 !== null && performance.now() - wall0 - (cpu1 - cpu0) > setup.starvedMs;
    // written whole, then renamed: a reader never sees half a file
    const part = `${m.file}.part`;
    writeFileSync(part, wav, { mode: 0o600 });
    renameSync(part, m.file);
    reply = { id: m.id, ok: true, bytes: wav.byteLength, ...(starved ? { starved: true as const } : {}) };
  } catch (e) {
    reply = { id: m.id, ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  port!.postMessage(reply);
}

port.on('message', (m: SpeechRequest) => {
  if (tts || failed) answer(m);
  else queue.push(m);
});

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
