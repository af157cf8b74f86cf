/**
 * The slip's fonts: Noto Sans Devanagari as shipped by `@fontsource/noto-sans-devanagari`
 * (OFL-1.1), split by script into woff2 files. Both renderers use the same files under their own
 * family names, so a system font called "Noto Sans Devanagari" (present or not, any version)
 * never changes what is printed:
 * - the raster renderer registers them in @napi-rs/canvas (`registerSlipFonts`);
 * - the HTML renderer embeds them as data: URLs (`slipFontFaceCss`).
 * Text is drawn with the family list `SLIP_FONT_STACK`, so each character takes its glyph from
 * the file that has its script (mixed English and Hindi in one string works).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GlobalFonts } from '@napi-rs/canvas';

export const SLIP_FONT_LATIN = 'Slip Latin';
export const SLIP_FONT_DEVANAGARI = 'Slip Devanagari';
export const SLIP_FONT_LATIN_EXT = 'Slip Latin Ext';
/** CSS / canvas font-family list: Latin first (digits and punctuation), then Devanagari. */
export const SLIP_FONT_STACK = `"${SLIP_FONT_LATIN}", "${SLIP_FONT_DEVANAGARI}", "${SLIP_FONT_LATIN_EXT}"`;

export type SlipFontWeight = 400 | 700;

export interface SlipFontFile {
  family: string;
  weight: SlipFontWeight;
  /** absolute path of the woff2 file */
  path: string;
  /** CSS unicode-range of the subset (as published by fontsource) */
  unicodeRange: string;
}

const SUBSETS: Array<{ family: string; subset: string; unicodeRange: string }> = [
  {
    family: SLIP_FONT_LATIN,
    subset: 'latin',
    unicodeRange:
      'U+0000-00FF,U+0131,U+0152-0153,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+0304,U+0308,U+0329,U+2000-206F,U+20AC,U+2122,U+2191,U+2193,U+2212,U+2215,U+FEFF,U+FFFD',
  },
  {
    family: SLIP_FONT_DEVANAGARI,
    subset: 'devanagari',
    unicodeRange: 'U+0900-097F,U+1CD0-1CF9,U+200C-200D,U+20A8,U+20B9,U+20F0,U+25CC,U+A830-A839,U+A8E0-A8FF,U+11B00-11B09',
  },
  {
    family: SLIP_FONT_LATIN_EXT,
    subset: 'latin-ext',
    unicodeRange:
      'U+0100-02BA,U+02BD-02C5,U+02C7-02CC,U+02CE-02D7,U+02DD-02FF,U+0304,U+0308,U+0329,U+1D00-1DBF,U+1E00-1E9F,U+1EF2-1EFF,U+2020,U+20A0-20AB,U+20AD-20C0,U+2113,U+2C60-2C7F,U+A720-A7FF',
  },
];
const WEIGHTS: SlipFontWeight[] = [400, 700];

let files: SlipFontFile[] | null = null;

/**
 * The folder of the woff2 files, given where `@fontsource/noto-sans-devanagari/package.json`
 * resolves. In the packaged app that is inside `app.asar`, and the files are unpacked beside it
 * (electron-builder.yml `asarUnpack`): the folder in `app.asar.unpacked` is returned, so the
 * files are read as real files in every thread. Checked against the package by `npm run dist:check`.
 */
export function slipFontsDir(fontPackageJson: string): string {
  const dir = join(dirname(fontPackageJson), 'files');
  return dir.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}

/** The slip's font files in a folder (pure: nothing is read). */
export function slipFontFilesIn(dir: string): SlipFontFile[] {
  return SUBSETS.flatMap(({ family, subset, unicodeRange }) =>
    WEIGHTS.map((weight) => ({
      family,
      weight,
      path: join(dir, `noto-sans-devanagari-${subset}-${weight}-normal.woff2`),
      unicodeRange,
    })),
  );
}

/** The woff2 files, located through the package (inside node_modules, also in the packaged app). */
export function slipFontFiles(): SlipFontFile[] {
  if (files) return files;
  const require = createRequire(import.meta.url);
  files = slipFontFilesIn(slipFontsDir(require.resolve('@fontsource/noto-sans-devanagari/package.json')));
  return files;
}

let registered = false;

/**
 * Registers the slip fonts with @napi-rs/canvas, once per process. Reads the files through
 * Node's `fs` (which also reads from an Electron asar archive) and hands the bytes to Skia.
 * Throws when a file is missing or Skia refuses it: a slip without its fonts would print boxes.
 */
export function registerSlipFonts(): void {
  if (registered) return;
  for (const f of slipFontFiles()) {
    const key = GlobalFonts.register(readFileSync(f.path), f.family);
    if (!key) throw new Error(`could not register the slip font ${f.path}`);
  }
  registered = true;
}

let css: string | null = null;

/** `@font-face` rules for the slip families with the woff2 files inlined as base64 data: URLs. */
export function slipFontFaceCss(): string {
  if (css !== null) return css;
  css = slipFontFiles()
    .map(
      (f) =>
        `@font-face{font-family:"${f.family}";font-style:normal;font-weight:${f.weight};font-display:block;` +
        `src:url(data:font/woff2;base64,${readFileSync(f.path).toString('base64')}) format("woff2");unicode-range:${f.unicodeRange}}`,
    )
    .join('\n');
  return css;
}
