import { resolve } from 'node:path';
import { defineConfig, externalizeDepsPlugin } from 'electron-vite';
import react from '@vitejs/plugin-react';

// main/, preload/ and renderer/ are built separately; common/ is bundled into each that uses it.
export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin()],
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'main/electron/index.ts'),
          // the sync worker thread: its own entry, loaded by main/sync/host.ts
          'sync-worker': resolve(__dirname, 'main/sync/worker-thread.ts'),
          // the slip worker thread (drawing and encoding slips): loaded by main/printing/slip-renderer.ts
          'slip-worker': resolve(__dirname, 'main/printing/slip-worker-thread.ts'),
          // the speech worker thread (eSpeak NG for the board's spoken calls): main/speech/speech-service.ts
          'speech-worker': resolve(__dirname, 'main/speech/speech-worker.ts'),
        },
      },
    },
  },
  preload: {
    plugins: [externalizeDepsPlugin({ exclude: ['zod'] })],
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'preload/index.ts'),
          // the board window's preload (window.board); it shares no module with index.ts, as a
          // shared module would become a chunk that a sandboxed preload cannot require
          board: resolve(__dirname, 'preload/board.ts'),
        },
        // sandboxed preloads must be a single CommonJS file
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'renderer'),
    plugins: [react()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'renderer/index.html'),
          // the waiting hall's board: its own page (the board window and the web bridge's /board)
          board: resolve(__dirname, 'renderer/board.html'),
        },
      },
    },
  },
});
