// The sync worker's entry when the counter runs from source (web bridge, tests, benchmarks):
// registers the TypeScript loader in this thread, then loads the worker. The desktop build
// bundles worker-thread.ts into out/main instead.
import { register } from 'tsx/esm/api';

register();
await import(new URL('./worker-thread.ts', import.meta.url).href);
