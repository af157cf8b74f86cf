// The slip worker's entry when the counter runs from source (web bridge, tests, benchmarks):
// registers the TypeScript loader in this thread, then loads the worker. The desktop build
// bundles slip-worker-thread.ts into out/main/slip-worker.js instead.
import { register } from 'tsx/esm/api';

register();
await import(new URL('./slip-worker-thread.ts', import.meta.url).href);
