import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// The browser side of the web bridge: one classic script defining window.counter.
export default defineConfig({
  build: {
    outDir: resolve(__dirname, 'out/web-bridge'),
    emptyOutDir: true,
    lib: {
      entry: resolve(__dirname, 'preload/web-bridge.ts'),
      formats: ['iife'],
      name: 'counterBridge',
      fileName: () => 'counter-bridge.js',
    },
  },
});
