// The speech worker's entry when the counter runs from source (web bridge, tests, benchmarks):
// registers the TypeScript loader in this thread, then loads the worker. The desktop build
// bundles speech-worker.ts into out/main/speech-worker.js instead.
import { register } from 'tsx/esm/api';

register();
await import(new URL('./speech-worker.ts', import.meta.url).href);
