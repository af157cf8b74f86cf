import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  APP_INDEX_URL,
  asarUnpackedPath,
  canvasNativeBinding,
  contentTypeFor,
  isAppSchemeUrl,
  packagedNativeBinding,
  packagedSlipFontFiles,
  preloadFile,
  rendererFileForUrl,
  rendererIndexHtml,
  rendererReply,
  syncWorkerFile,
} from '../../main/electron/app-paths';

const RES = '/opt/Registration Counter/resources';
const MAIN = `${RES}/app.asar/out/main`;
const RENDERER = `${RES}/app.asar/out/renderer`;

describe('app paths in the packaged app', () => {
  it('the worker, preload and renderer sit inside app.asar beside and above out/main', () => {
    expect(syncWorkerFile(MAIN)).toBe(`${MAIN}/sync-worker.js`);
    expect(preloadFile(MAIN)).toBe(`${RES}/app.asar/out/preload/index.cjs`);
    expect(rendererIndexHtml(MAIN)).toBe(`${RENDERER}/index.html`);
  });

  it('native modules and the slip fonts are read from app.asar.unpacked', () => {
    expect(packagedNativeBinding(`${RES}/app.asar`)).toBe(
      `${RES}/app.asar.unpacked/node_modules/better-sqlite3-multiple-ciphers/build/Release/better_sqlite3.node`,
    );
    expect(canvasNativeBinding(`${RES}/app.asar`, 'linux', 'x64')).toBe(
      `${RES}/app.asar.unpacked/node_modules/@napi-rs/canvas-linux-x64-gnu/skia.linux-x64-gnu.node`,
    );
    const fonts = packagedSlipFontFiles(`${RES}/app.asar`);
    expect(fonts).toHaveLength(6);
    for (const f of fonts)
      expect(f).toMatch(/\/app\.asar\.unpacked\/node_modules\/@fontsource\/noto-sans-devanagari\/files\/.+\.woff2$/);
  });

  it('asarUnpackedPath changes only the app.asar folder itself, and nothing outside a package', () => {
    expect(asarUnpackedPath('C:\\P\\resources\\app.asar\\node_modules\\x')).toBe(
      'C:\\P\\resources\\app.asar.unpacked\\node_modules\\x',
    );
    expect(asarUnpackedPath('/work/main/node_modules/x')).toBe('/work/main/node_modules/x');
    expect(asarUnpackedPath('/x/app.asar.unpacked/y')).toBe('/x/app.asar.unpacked/y');
    expect(asarUnpackedPath('/x/my-app.asarfoo/y')).toBe('/x/my-app.asarfoo/y');
  });
});

describe('the app:// renderer protocol', () => {
  it('serves files of the renderer folder', () => {
    expect(rendererFileForUrl(RENDERER, APP_INDEX_URL)).toBe(`${RENDERER}/index.html`);
    expect(rendererFileForUrl(RENDERER, 'app://counter/')).toBe(`${RENDERER}/index.html`);
    expect(rendererFileForUrl(RENDERER, 'app://counter/assets/index-1.js?x=1#y')).toBe(`${RENDERER}/assets/index-1.js`);
    expect(rendererFileForUrl(RENDERER, 'app://counter/assets/a%20b.css')).toBe(`${RENDERER}/assets/a b.css`);
  });

  it('refuses anything outside it, another host or scheme, and encoded escapes', () => {
    // dot segments the URL parser resolves itself stay inside the folder
    expect(rendererFileForUrl(RENDERER, 'app://counter/../../../etc/passwd')).toBe(`${RENDERER}/etc/passwd`);
    expect(rendererFileForUrl(RENDERER, 'app://counter/%2e%2e/%2e%2e/etc/passwd')).toBe(`${RENDERER}/etc/passwd`);
    for (const url of [
      'app://counter/assets/..%2f..%2fsecret',
      'app://counter/assets%5c..%5c..%5csecret',
      'app://counter/a%00.html',
      'app://counter/%E0%A4%A',
      'app://other/index.html',
      'app://user@counter/index.html',
      'file:///etc/passwd',
      'https://counter/index.html',
      'data:text/html,hi',
      'not a url',
    ]) {
      expect(rendererFileForUrl(RENDERER, url), url).toBeNull();
    }
  });

  it('isAppSchemeUrl compares scheme and host (an app: URL has the opaque origin "null", like data:)', () => {
    expect(new URL(APP_INDEX_URL).origin).toBe(new URL('data:text/html,x').origin);
    expect(isAppSchemeUrl(`${APP_INDEX_URL}#/queue`)).toBe(true);
    expect(isAppSchemeUrl('data:text/html,x')).toBe(false);
    expect(isAppSchemeUrl('javascript:alert(1)')).toBe(false);
    expect(isAppSchemeUrl('app://counter.evil/index.html')).toBe(false);
  });

  it('gives each asset its content type', () => {
    expect(contentTypeFor('/r/index.html')).toMatch(/^text\/html/);
    expect(contentTypeFor('/r/assets/index.JS')).toMatch(/^text\/javascript/);
    expect(contentTypeFor('/r/assets/x.woff2')).toBe('font/woff2');
    expect(contentTypeFor('/r.d/noext')).toBe('application/octet-stream');
  });
});

describe('rendererReply (what the app:// protocol answers)', () => {
  const root = mkdtempSync(join(tmpdir(), 'counter-renderer-'));
  const dir = join(root, 'renderer');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>counter</title>');
  writeFileSync(join(dir, 'assets', 'index-1.js'), 'console.log(1)');
  writeFileSync(join(root, 'secret.txt'), 'outside the renderer');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('answers the renderer files with their content types', async () => {
    const page = await rendererReply(dir, 'app://counter/', readFile);
    expect(page).toMatchObject({ status: 200, contentType: 'text/html; charset=utf-8' });
    expect(Buffer.from(page.body).toString()).toContain('<title>counter</title>');
    const script = await rendererReply(dir, 'app://counter/assets/index-1.js', readFile);
    expect(script).toMatchObject({ status: 200, contentType: 'text/javascript; charset=utf-8' });
  });

  it('answers 404 for a missing file, a file outside the folder, or another host', async () => {
    for (const url of [
      'app://counter/assets/none.js',
      'app://counter/../secret.txt',
      'app://counter/assets/..%2f..%2fsecret.txt',
      'app://other/index.html',
    ]) {
      expect(await rendererReply(dir, url, readFile), url).toEqual({
        status: 404,
        body: 'not found',
        contentType: 'text/plain; charset=utf-8',
      });
    }
  });
});
