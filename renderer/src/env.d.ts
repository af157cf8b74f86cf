/// <reference types="vite/client" />
import type { CounterApi } from '../../common/contract';

declare global {
  interface Window {
    /** The only door to the counter: set by the preload (Electron) or the web bridge. */
    counter: CounterApi;
  }
}

export {};
