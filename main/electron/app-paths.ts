/**
 * Where the main process finds what it loads at run time: the sync worker, the preload, the
 * renderer, the slip fonts and the native SQLite binding. Pure functions of the folder of the
 * built main bundle (`out/main`) and of the app's path (`app.getAppPath()`, the `app.asar`
 * archive when packaged), with no Electron import: `npm run dist:check` evaluates them against
 * the listing of a packed build, so a wrong path fails there and not at a hospital.
 */
import { join, posix, resolve, sep } from 'node:path';
import { slipFontFilesIn, slipFontsDir } from '../printing/fonts';

/** The built sync worker, an entry of its own beside index.js (electron.vite.config.ts). */
export function syncWorkerFile(mainDir: string): string {
  return join(mainDir, 'sync-worker.js');
}

/** The built slip worker (main/printing/slip-renderer.ts finds it the same way). */
export function slipWorkerFile(mainDir: string): string {
  return join(mainDir, 'slip-worker.js');
}

/** The speech worker (eSpeak NG), as main/speech/speech-service.ts finds it beside index.js. */
export function speechWorkerFile(mainDir: string): string {
  return join(mainDir, 'speech-worker.js');
}

/** eSpeak NG's module and its Hindi and English voice data, read as real files (unpacked) by the speech worker. */
export function packagedSpeechFiles(appPath: string): string[] {
  const dir = join(asarUnpackedPath(appPath), 'node_modules', '@echogarden', 'espeak-ng-emscripten');
  return [join(dir, 'espeak-ng.js'), join(dir, 'espeak-ng.hi-en.data')];
}

/** The sandboxed preload: one CommonJS file. */
export function preloadFile(mainDir: string): string {
  return join(mainDir, '..', 'preload', 'index.cjs');
}

/** The board window's sandboxed preload (preload/board.ts): one CommonJS file beside the main one. */
export function boardPreloadFile(mainDir: string): string {
  return join(mainDir, '..', 'preload', 'board.cjs');
}

/** The built renderer's folder (index.html and assets/). */
export function rendererDir(mainDir: string): string {
  return join(mainDir, '..', 'renderer');
}

export function rendererIndexHtml(mainDir: string): string {
  return join(rendererDir(mainDir), 'index.html');
}

/** The waiting hall's board page, built beside index.html. */
export function rendererBoardHtml(mainDir: string): string {
  return join(rendererDir(mainDir), 'board.html');
}

/**
 * A path inside `app.asar` as unpacked beside it (`app.asar.unpacked`), where electron-builder
 * puts what `asarUnpack` names: native modules must be real files to load.
 */
export function asarUnpackedPath(p: string): string {
  return p.replace(/([\\/])app\.asar(?=[\\/]|$)/, '$1app.asar.unpacked');
}

const SQLITE_PACKAGE = 'better-sqlite3-multiple-ciphers';

/** The packaged app's SQLite (with encryption), rebuilt for Electron by electron-builder. */
export function packagedNativeBinding(appPath: string): string {
  return join(asarUnpackedPath(appPath), 'node_modules', SQLITE_PACKAGE, 'build', 'Release', 'better_sqlite3.node');
}

/** In development, the SQLite build for Electron's ABI kept beside the Node one (see README). */
export function devNativeBinding(appPath: string, electronVersion: string): string {
  return join(appPath, '.native', `electron-${electronVersion}`, SQLITE_PACKAGE, 'better_sqlite3.node');
}

/**
 * The native part of @napi-rs/canvas for a platform, as its loader requires it (a package of
 * its own per platform; glibc on Linux).
 */
export function canvasNativeBinding(appPath: string, platform: NodeJS.Platform, arch: string): string {
  const triple = platform === 'win32' ? `win32-${arch}-msvc` : platform === 'linux' ? `linux-${arch}-gnu` : `${platform}-${arch}`;
  return join(asarUnpackedPath(appPath), 'node_modules', '@napi-rs', `canvas-${triple}`, `skia.${triple}.node`);
}

/** The slip fonts folder as main/printing/fonts.ts computes it in the packaged app. */
export function packagedSlipFontsDir(appPath: string): string {
  return slipFontsDir(join(appPath, 'node_modules', '@fontsource', 'noto-sans-devanagari', 'package.json'));
}

/** Each slip font file main/printing/fonts.ts reads in the packaged app. */
export function packagedSlipFontFiles(appPath: string): string[] {
  return slipFontFilesIn(packagedSlipFontsDir(appPath)).map((f) => f.path);
}

/**
 * The renderer is served as `app://counter/...` (a privileged standard scheme registered by the
 * main process) rather than from file://, so file:// pages need no extra privileges (the
 * grantFileProtocolExtraPrivileges fuse is off) and module scripts and fonts load as on the web.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'counter';
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;
/** The board page, in the board window on the hall's screen. */
export const APP_BOARD_URL = `${APP_SCHEME}://${APP_HOST}/board.html`;

/** The board page's URL: the built app's, or the dev server's /board.html during development. */
export function boardPageUrl(devServerUrl: string | undefined): string {
  return devServerUrl ? new URL('/board.html', devServerUrl).toString() : APP_BOARD_URL;
}

/** Whether a URL is one of the app's own pages (exactly app://counter/...). */
export function isAppSchemeUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/**
 * The file inside the renderer folder that an app:// request asks for, or null when the URL is
 * not the app's or leaves the folder (`..`, encoded separators).
 */
export function rendererFileForUrl(dir: string, url: string): string | null {
  if (!isAppSchemeUrl(url)) return null;
  const u = new URL(url);
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  // the parser has resolved plain dot segments; any left after decoding were encoded on purpose
  if (rel.includes('\0') || rel.includes('\\') || rel.split('/').includes('..')) return null;
  const normal = posix.normalize(rel === '/' ? '/index.html' : rel);
  const root = resolve(dir);
  const file = resolve(root, `.${normal}`);
  if (file !== root && !file.startsWith(root + sep)) return null;
  return file;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

/** The Content-Type of a renderer file (application/octet-stream when unknown). */
export function contentTypeFor(file: string): string {
  const dot = file.lastIndexOf('.');
  const slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  const ext = dot > slash ? file.slice(dot).toLowerCase() : '';
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}

/** What the app:// protocol answers for a request. */
export interface RendererReply {
  status: 200 | 404;
  body: Uint8Array | string;
  contentType: string;
}

/**
 * The answer to an app:// request: the renderer file it names with its content type, or 404
 * (outside the folder, another host, or a file that cannot be read).
 */
export async function rendererReply(
  dir: string,
  url: string,
  read: (file: string) => Promise<Uint8Array>,
): Promise<RendererReply> {
  const notFound: RendererReply = { status: 404, body: 'not found', contentType: 'text/plain; charset=utf-8' };
  const file = rendererFileForUrl(dir, url);
  if (!file) return notFound;
  try {
    return { status: 200, body: await read(file), contentType: contentTypeFor(file) };
  } catch {
    return notFound;
  }
}
