// The package check's rules on doctored listings: a good listing passes every check, and each
// way a package can be wrong (a file missing, a run-time path that does not match, a native
// module inside the archive, something packed that should not be, too big) fails its check.
// `npm run dist:check` runs the same checks on a real electron-builder output.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as appPaths from '../../main/electron/app-paths';
import {
  bareImports,
  checkFuseWire,
  checkPackedApp,
  FUSE_SENTINEL,
  REQUIRED_FUSES,
  standInExecutable,
  type Expectations,
  type PackedListing,
} from './package-check';

const require = createRequire(import.meta.url);
const fuses = require('@electron/fuses') as {
  getCurrentFuseWire: (file: string) => Promise<Record<string, unknown>>;
  flipFuses: (file: string, config: Record<string, unknown>) => Promise<unknown>;
  FuseVersion: { V1: string };
  FuseV1Options: Record<string, number>;
};

const FONTS = ['latin', 'devanagari', 'latin-ext'].flatMap((s) =>
  [400, 700].map((w) => `node_modules/@fontsource/noto-sans-devanagari/files/noto-sans-devanagari-${s}-${w}-normal.woff2`),
);
const SQLITE = 'node_modules/better-sqlite3-multiple-ciphers/build/Release/better_sqlite3.node';
const CANVAS = 'node_modules/@napi-rs/canvas-linux-x64-gnu/skia.linux-x64-gnu.node';
const SPEECH = ['espeak-ng.js', 'espeak-ng.hi-en.data'].map((f) => `node_modules/@echogarden/espeak-ng-emscripten/${f}`);
const BUILT = [
  'out/main/index.js',
  'out/main/sync-worker.js',
  'out/main/slip-worker.js',
  'out/main/speech-worker.js',
  'out/preload/index.cjs',
  'out/preload/board.cjs',
  'out/renderer/index.html',
  'out/renderer/board.html',
  'out/renderer/assets/index-abc.js',
  'out/renderer/assets/index-abc.css',
];

function goodListing(): PackedListing {
  const asar = new Map<string, { size: number; unpacked: boolean }>();
  for (const f of [...BUILT, 'package.json', 'node_modules/zod/package.json', 'node_modules/pngjs/package.json'])
    asar.set(f, { size: 1000, unpacked: false });
  for (const f of [...FONTS, ...SPEECH, SQLITE, CANVAS, 'node_modules/@napi-rs/canvas/package.json'])
    asar.set(f, { size: 1000, unpacked: true });
  return {
    asar,
    unpacked: new Set([...FONTS, ...SPEECH, SQLITE, CANVAS, 'node_modules/@napi-rs/canvas/package.json']),
    packageJson: { name: 'counter', productName: 'Registration Counter', main: 'out/main/index.js' },
    dependedOn: new Set(['pngjs']),
    requires: new Map([
      ['node_modules/zod', ['pngjs']],
      ['node_modules/pngjs', []],
      ['node_modules/@napi-rs/canvas', []],
    ]),
    asarBytes: 20e6,
    unpackedBytes: 40e6,
  };
}

function expectations(): Expectations {
  return {
    platform: 'linux',
    arch: 'x64',
    builtFiles: BUILT,
    rendererHtml:
      '<script type="module" crossorigin src="./assets/index-abc.js"></script><link rel="stylesheet" href="./assets/index-abc.css">',
    runtimeImports: ['zod', '@napi-rs/canvas'],
    devOnly: ['vitest', 'typescript', 'electron', 'electron-builder', 'pngjs'],
    budgetBytes: 75e6,
  };
}

const failing = (listing: PackedListing, exp = expectations(), paths = appPaths) =>
  checkPackedApp(listing, exp, paths)
    .filter((r) => !r.ok)
    .map((r) => r.name);

describe('the package check on a listing', () => {
  it('a complete package passes every check', () => {
    const results = checkPackedApp(goodListing(), expectations());
    expect(results.filter((r) => !r.ok)).toEqual([]);
    // the run-time paths of the main process are among the checks
    expect(results.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'run-time path: sync worker',
        'run-time path: preload',
        'run-time path: renderer index.html',
        'run-time path: board preload',
        'run-time path: renderer board.html',
        'run-time path: SQLite native binding',
        'run-time path: canvas native binding',
      ]),
    );
    expect(results.filter((r) => r.name.startsWith('run-time path: slip font'))).toHaveLength(6);
  });

  it('a missing built file fails its run-time path and the built-files check', () => {
    const l = goodListing();
    l.asar.delete('out/main/sync-worker.js');
    expect(failing(l)).toEqual(['run-time path: sync worker', 'every built file of the app is in app.asar']);
  });

  it('a run-time path that does not match the package fails (preload computed as index.js)', () => {
    const wrong = { ...appPaths, preloadFile: (mainDir: string) => join(mainDir, '..', 'preload', 'index.js') };
    expect(failing(goodListing(), expectations(), wrong)).toEqual(['run-time path: preload']);
  });

  it('the speech worker and the unpacked eSpeak NG files are checked: the 24 MB data of every language is not what the app reads', () => {
    const l = goodListing();
    l.asar.delete('node_modules/@echogarden/espeak-ng-emscripten/espeak-ng.hi-en.data');
    l.unpacked.delete('node_modules/@echogarden/espeak-ng-emscripten/espeak-ng.hi-en.data');
    expect(failing(l)).toEqual(['run-time path: speech espeak-ng.hi-en.data']);
    const packed = goodListing();
    packed.unpacked.delete('node_modules/@echogarden/espeak-ng-emscripten/espeak-ng.js');
    expect(failing(packed)).toContain('run-time path: speech espeak-ng.js');
  });

  it("the board window's preload and page are checked too (a board preload computed as board.js fails)", () => {
    const wrong = { ...appPaths, boardPreloadFile: (mainDir: string) => join(mainDir, '..', 'preload', 'board.js') };
    expect(failing(goodListing(), expectations(), wrong)).toEqual(['run-time path: board preload']);
    const l = goodListing();
    l.asar.delete('out/renderer/board.html');
    expect(failing(l)).toEqual(['run-time path: renderer board.html', 'every built file of the app is in app.asar']);
  });

  it('a SQLite binding looked for inside app.asar instead of unpacked fails', () => {
    const wrong = {
      ...appPaths,
      packagedNativeBinding: (appPath: string) => join(appPath, 'node_modules/better-sqlite3-multiple-ciphers/build/Release/better_sqlite3.node'),
    };
    expect(failing(goodListing(), expectations(), wrong)).toEqual(['run-time path: SQLite native binding']);
  });

  it('a native module packed inside the archive fails, and so do fonts missing from the unpacked folder', () => {
    const l = goodListing();
    l.asar.set(CANVAS, { size: 1000, unpacked: false });
    l.unpacked.delete(CANVAS);
    l.unpacked.delete(FONTS[2]!);
    expect(failing(l)).toEqual([
      'run-time path: canvas native binding',
      'run-time path: slip font noto-sans-devanagari-devanagari-400-normal.woff2',
      'native modules are unpacked (outside app.asar)',
    ]);
  });

  it('a wrong main in package.json, or a renderer asset missing, fails', () => {
    const l = goodListing();
    l.packageJson.main = 'out/main/main.js';
    delete l.packageJson.productName;
    l.asar.delete('out/renderer/assets/index-abc.css');
    expect(failing(l)).toEqual([
      'package.json names the built main',
      'package.json names the product (the data folder is named after it)',
      'every built file of the app is in app.asar',
      "the renderer's scripts and stylesheets are packed",
    ]);
  });

  it('a module the built code loads but the package lacks fails', () => {
    const exp = expectations();
    exp.runtimeImports.push('pino-roll');
    expect(failing(goodListing(), exp)).toEqual(['every module the built code loads is packed']);
  });

  it('a dependency of a packed module that the files patterns left out fails; one nested beside it resolves', () => {
    const l = goodListing();
    l.requires.set('node_modules/@napi-rs/canvas', ['react', 'nested']);
    l.asar.set('node_modules/@napi-rs/canvas/node_modules/nested/package.json', { size: 10, unpacked: true });
    const r = checkPackedApp(l, expectations()).find((x) => x.name === 'every dependency of a packed module is packed')!;
    expect(r).toEqual({
      name: 'every dependency of a packed module is packed',
      ok: false,
      detail: 'missing react (for @napi-rs/canvas)',
    });
  });

  it('tests, benchmarks, docs, source maps, TypeScript, sources of the web bridge and dev dependencies fail', () => {
    const l = goodListing();
    for (const f of [
      'out/web-bridge/counter-bridge.js',
      'out/main/index.js.map',
      'node_modules/zod/src/index.ts',
      'node_modules/zod/test/a.js',
      'node_modules/fastify/benchmark/b.js',
      'node_modules/zod/README.md',
      'node_modules/zod/docs/api.html',
      'node_modules/better-sqlite3-multiple-ciphers/deps/sqlite3/sqlite3.c',
      'node_modules/vitest/package.json',
    ])
      l.asar.set(f, { size: 10, unpacked: false });
    // a licence in markdown stays; a dev dependency that a packed module depends on (pngjs) is fine
    l.asar.set('node_modules/zod/LICENSE.md', { size: 10, unpacked: false });
    expect(failing(l)).toEqual([
      'only the built app outside node_modules',
      'no source maps',
      'no TypeScript sources or declarations',
      'no tests, benchmarks or examples',
      'no documentation (licences kept)',
      'no native build leftovers (sources, object files, test extension)',
      'no dev dependencies',
    ]);
  });

  it('a package over the size budget fails', () => {
    const l = goodListing();
    l.unpackedBytes = 56e6;
    const r = checkPackedApp(l, expectations()).find((x) => x.name === 'size budget')!;
    expect(r).toMatchObject({ ok: false });
    expect(r.detail).toBe('app.asar 20.0 MB + unpacked 56.0 MB = 76.0 MB > 75.0 MB');
  });
});

describe('bareImports', () => {
  it('finds the modules a bundle loads, not builtins, electron, relative files or words in comments', () => {
    const code = [
      'import { a, b } from "zod";',
      'import x from "@napi-rs/canvas";',
      'import "pino";',
      'export { c } from "csv-parse/sync";',
      'import { join } from "node:path";',
      'import fs from "fs";',
      'import { app } from "electron";',
      'import { m } from "./chunks/messages.js";',
      '* "shrama" is one edit from "sharma", as a typist would count it.',
      'const q = require("qrcode"); const w = await import("uuid");',
    ].join('\n');
    expect(bareImports(code).sort()).toEqual(['@napi-rs/canvas', 'csv-parse/sync', 'pino', 'qrcode', 'uuid', 'zod']);
  });
});

describe('fuses on the stand-in executable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'counter-fuses-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("carries Electron's fuse wire with Electron's defaults, which the check refuses", async () => {
    const exe = join(dir, 'electron');
    writeFileSync(exe, standInExecutable());
    expect(readFileSync(exe).includes(FUSE_SENTINEL)).toBe(true);
    const results = checkFuseWire(await fuses.getCurrentFuseWire(exe));
    expect(results).toHaveLength(Object.keys(REQUIRED_FUSES).length);
    expect(results.filter((r) => r.ok)).toEqual([]);
  });

  it('after @electron/fuses flips them as electron-builder.yml asks, every fuse passes', async () => {
    const exe = join(dir, 'flipped');
    writeFileSync(exe, standInExecutable());
    const o = fuses.FuseV1Options;
    await fuses.flipFuses(exe, {
      version: fuses.FuseVersion.V1,
      [o.RunAsNode!]: false,
      [o.EnableCookieEncryption!]: true,
      [o.EnableNodeOptionsEnvironmentVariable!]: false,
      [o.EnableNodeCliInspectArguments!]: false,
      [o.EnableEmbeddedAsarIntegrityValidation!]: true,
      [o.OnlyLoadAppFromAsar!]: true,
      [o.GrantFileProtocolExtraPrivileges!]: false,
    });
    const results = checkFuseWire(await fuses.getCurrentFuseWire(exe));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    // one fuse left as Electron ships it fails again
    await fuses.flipFuses(exe, { version: fuses.FuseVersion.V1, [o.RunAsNode!]: true });
    expect(checkFuseWire(await fuses.getCurrentFuseWire(exe)).filter((r) => !r.ok).map((r) => r.name)).toEqual(['fuse runAsNode off']);
  });
});
