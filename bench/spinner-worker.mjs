// The speech benchmark's control (bench/speech.ts): a worker thread that steps aside exactly as
// the speech worker does (main/platform/background-thread.ts), then only spins for as long as
// it is asked, answering how many turns it made.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { stepAside } = await import(new URL('../main/platform/background-thread.ts', import.meta.url).href);
const level = stepAside();
parentPort.postMessage({ level });
parentPort.on('message', (ms) => {
  const end = performance.now() + ms;
  let turns = 0;
  while (performance.now() < end) turns++;
  parentPort.postMessage({ turns });
});
