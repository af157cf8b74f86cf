/**
 * The raster slip (what thermal printers print). Writes the rendered slips as PNGs to
 * test-results/slips/; with UPDATE_SLIP_DOCS=1 also to docs/slips/ (the documentation pictures).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { registerSlipFonts, SLIP_FONT_DEVANAGARI, SLIP_FONT_LATIN, SLIP_FONT_STACK } from '../../main/printing/fonts';
import { qrMatrix, qrPlacement, renderSlipPng, renderSlipRaster, slipLayout, wrapText } from '../../main/printing/slip-raster';
import { demoSlip } from '../../main/printing/slip-text';
import { RASTER_WIDTH, type SlipRaster } from '../../main/printing/types';

const ROOT = resolve(import.meta.dirname, '../..');
const OUT = join(ROOT, 'test-results/slips');
const THERMAL = ['80mm', '58mm'] as const;

const isBlack = (r: SlipRaster, x: number, y: number) => r.rgba[(y * r.width + x) * 4]! === 0;

function blackInRow(r: SlipRaster, y: number): number {
  let n = 0;
  for (let x = 0; x < r.width; x++) if (isBlack(r, x, y)) n++;
  return n;
}

function blackRatio(r: SlipRaster): number {
  let n = 0;
  for (let y = 0; y < r.height; y++) n += blackInRow(r, y);
  return n / (r.width * r.height);
}

/** Rows where two rasters of the same size differ. */
function differingRows(a: SlipRaster, b: SlipRaster): number[] {
  expect(a.width).toBe(b.width);
  expect(a.height).toBe(b.height);
  const rows: number[] = [];
  const stride = a.width * 4;
  for (let y = 0; y < a.height; y++) {
    for (let i = y * stride; i < (y + 1) * stride; i += 4) {
      if (a.rgba[i] !== b.rgba[i]) {
        rows.push(y);
        break;
      }
    }
  }
  return rows;
}

describe('slip raster', () => {
  for (const paper of THERMAL) {
    it(`${paper}: as wide as the print head, a multiple of 8 tall, pure black and white, not blank`, () => {
      const r = renderSlipRaster(demoSlip(), paper);
      expect(r.width).toBe(RASTER_WIDTH[paper]);
      expect(r.height % 8).toBe(0);
      expect(r.height).toBeGreaterThan(r.width);
      expect(r.rgba.length).toBe(r.width * r.height * 4);
      for (let i = 0; i < r.rgba.length; i += 4) {
        const v = r.rgba[i]!;
        if ((v !== 0 && v !== 255) || r.rgba[i + 1] !== v || r.rgba[i + 2] !== v || r.rgba[i + 3] !== 255) {
          throw new Error(`pixel ${i / 4} is not opaque black or white: ${Array.from(r.rgba.subarray(i, i + 4))}`);
        }
      }
      const ratio = blackRatio(r);
      expect(ratio).toBeGreaterThan(0.08);
      expect(ratio).toBeLessThan(0.45);
    });

    it(`${paper}: the token is drawn very large, across most of the width`, () => {
      // same slip and QR code, only the token differs: the rows that change are the token's
      const base = demoSlip();
      const a = renderSlipRaster({ ...base, token: 'A-P017' }, paper);
      const b = renderSlipRaster({ ...base, token: 'A-P018' }, paper);
      const rows = differingRows(a, b);
      expect(rows.length).toBeGreaterThan(0);
      const top = rows[0]!;
      const bottom = rows.at(-1)!;
      expect(bottom - top + 1).toBe(rows.length); // one band
      expect(rows.length).toBeGreaterThan(a.width * 0.15); // 86+ dots on 80 mm: over 10 mm tall
      // ink of the token band from its leftmost to rightmost black dot
      let left = a.width;
      let right = -1;
      for (let y = top; y <= bottom; y++) {
        for (let x = 0; x < a.width; x++) {
          if (isBlack(a, x, y)) {
            left = Math.min(left, x);
            right = Math.max(right, x);
          }
        }
      }
      expect(right - left).toBeGreaterThan(a.width * 0.85);
    });

    it(`${paper}: priority and walk-in slips are told apart in black and white (solid band vs outline)`, () => {
      const solidRows = (r: SlipRaster) => {
        let n = 0;
        for (let y = 0; y < r.height; y++) if (blackInRow(r, y) > r.width * 0.6) n++;
        return n;
      };
      const priority = renderSlipRaster(demoSlip({ lane: 'priority' }), paper);
      const walkin = renderSlipRaster(demoSlip({ lane: 'walkin', token: 'A-W017' }), paper);
      expect(solidRows(priority)).toBeGreaterThan(60);
      expect(solidRows(walkin)).toBeLessThan(15);
    });

    it(`${paper}: a reprint carries a banner, an unverified slip a warning box`, () => {
      const plain = renderSlipRaster(demoSlip(), paper);
      const reprint = renderSlipRaster(demoSlip({ reprint: true }), paper);
      const unverified = renderSlipRaster(demoSlip({ verified: false }), paper);
      expect(reprint.height).toBeGreaterThan(plain.height + 40);
      expect(unverified.height).toBeGreaterThan(plain.height + 20);
      // the banner's hatched stripes at the top: about half black across the whole width
      const stripeRows = (r: SlipRaster) =>
        [...Array(24).keys()].filter((y) => {
          const n = blackInRow(r, y);
          return n > r.width * 0.35 && n < r.width * 0.65;
        }).length;
      expect(stripeRows(reprint)).toBeGreaterThanOrEqual(8);
      expect(stripeRows(plain)).toBeLessThan(3);
    });

    it(`${paper}: the QR code decodes to the ticket payload, with big enough modules and a quiet zone`, () => {
      for (const slip of [
        demoSlip(),
        demoSlip({
          lane: 'walkin',
          token: 'BC-W1000',
          reprint: true,
          verified: false,
          name: 'Mohd Irfan Siddiqui Qureshi Ansari',
        }),
        demoSlip({ name: null, placeInLane: null, estimatedWaitMinutes: null, centre: { name: 'PHC Kakori', nameHi: null } }),
      ]) {
        const r = renderSlipRaster(slip, paper);
        const qr = jsQR(r.rgba, r.width, r.height, { inversionAttempts: 'dontInvert' });
        expect(qr?.data).toBe(slip.qrPayload);
        const modules = qrMatrix(slip.qrPayload).size;
        const { module } = qrPlacement(slipLayout(paper), modules);
        expect(module).toBeGreaterThanOrEqual(paper === '80mm' ? 4 : 3);
        // measured on the picture: finder pattern centres are (modules - 7) modules apart
        const loc = qr!.location;
        const measured = (loc.topRightFinderPattern.x - loc.topLeftFinderPattern.x) / (modules - 7);
        expect(Math.abs(measured - module)).toBeLessThan(0.5);
        // quiet zone: 4 modules of white left of and above the symbol
        const x0 = Math.round(loc.topLeftCorner.x);
        const y0 = Math.round(loc.topLeftCorner.y);
        for (let y = y0 - 4 * module; y < y0 + modules * module; y++) {
          for (let x = x0 - 4 * module; x < x0 - 1; x++) expect(isBlack(r, x, y)).toBe(false);
        }
      }
    });
  }

  it('a slip without a name, place or wait is shorter and still complete', () => {
    const r = renderSlipRaster(demoSlip({ name: null, placeInLane: null, estimatedWaitMinutes: null }), '80mm');
    const full = renderSlipRaster(demoSlip(), '80mm');
    expect(r.height).toBeLessThan(full.height);
    expect(blackRatio(r)).toBeGreaterThan(0.08);
  });

  it('writes the slips as PNGs (test-results/slips; docs/slips with UPDATE_SLIP_DOCS=1)', () => {
    mkdirSync(OUT, { recursive: true });
    const docs = process.env.UPDATE_SLIP_DOCS === '1' ? join(ROOT, 'docs/slips') : null;
    if (docs) mkdirSync(docs, { recursive: true });
    const variants = {
      priority: demoSlip(),
      'walkin-reprint-unverified': demoSlip({
        lane: 'walkin',
        token: 'A-W103',
        name: 'Mohd Irfan Siddiqui',
        reprint: true,
        verified: false,
        placeInLane: 27,
        estimatedWaitMinutes: 95,
      }),
    };
    for (const paper of THERMAL) {
      for (const [name, slip] of Object.entries(variants)) {
        const png = renderSlipPng(slip, paper);
        const decoded = PNG.sync.read(png);
        expect(decoded.width).toBe(RASTER_WIDTH[paper]);
        writeFileSync(join(OUT, `slip-${paper}-${name}.png`), png);
        if (docs && name === 'priority') writeFileSync(join(docs, `slip-${paper}.png`), png);
        if (docs && name !== 'priority' && paper === '80mm') writeFileSync(join(docs, `slip-${paper}-${name}.png`), png);
      }
    }
  });
});

describe('fonts', () => {
  const glyphBitmap = (text: string, family: string) => {
    const c = createCanvas(120, 80);
    const ctx = c.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, 120, 80);
    ctx.fillStyle = '#000';
    ctx.font = `48px ${family}`;
    ctx.fillText(text, 10, 60);
    return Buffer.from(ctx.getImageData(0, 0, 120, 80).data).toString('base64');
  };

  it('registers the bundled Latin and Devanagari faces under their own family names', () => {
    registerSlipFonts();
    registerSlipFonts(); // once is enough; twice is harmless
    const families = GlobalFonts.families.map((f) => f.family);
    expect(families).toContain(SLIP_FONT_LATIN);
    expect(families).toContain(SLIP_FONT_DEVANAGARI);
    const weights = GlobalFonts.families.find((f) => f.family === SLIP_FONT_DEVANAGARI)!.styles.map((s) => s.weight);
    expect(weights).toEqual(expect.arrayContaining([400, 700]));
  });

  it('draws Devanagari with real glyphs (not one missing-glyph box for all) and shapes conjuncts', () => {
    registerSlipFonts();
    const family = `"${SLIP_FONT_DEVANAGARI}"`;
    // missing glyphs all draw the same box: distinct letters must give distinct pictures
    const letters = ['क', 'ख', 'ट', 'न', 'म', 'र'];
    const pictures = new Set(letters.map((l) => glyphBitmap(l, family)));
    expect(pictures.size).toBe(letters.length);
    // shaping: क + ् + ष forms the conjunct क्ष, narrower than its parts drawn side by side
    const c = createCanvas(8, 8).getContext('2d');
    c.font = `48px ${family}`;
    const parts = c.measureText('क').width + c.measureText('्').width + c.measureText('ष').width;
    expect(c.measureText('क्ष').width).toBeLessThan(parts * 0.8);
  });

  it('takes each script from its own face in the slip font list', () => {
    registerSlipFonts();
    const c = createCanvas(8, 8).getContext('2d');
    c.font = `32px ${SLIP_FONT_STACK}`;
    const mixed = c.measureText('Token टोकन').width;
    c.font = `32px "${SLIP_FONT_LATIN}"`;
    const latin = c.measureText('Token ').width;
    c.font = `32px "${SLIP_FONT_DEVANAGARI}"`;
    const hindi = c.measureText('टोकन').width;
    expect(Math.abs(mixed - (latin + hindi))).toBeLessThan(2);
  });

  it('wraps long text between words, and inside a word only between whole letters', () => {
    registerSlipFonts();
    const f = `700 24px ${SLIP_FONT_STACK}`;
    const lines = wrapText('यह पर्ची संभाल कर रखें; टीकाकरण कक्ष में दिखाएँ', f, 150);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.join(' ')).toBe('यह पर्ची संभाल कर रखें; टीकाकरण कक्ष में दिखाएँ');
    const long = wrapText('प्रतीक्षाप्रतीक्षाप्रतीक्षा', f, 60);
    expect(long.join('')).toBe('प्रतीक्षाप्रतीक्षाप्रतीक्षा');
    // no line starts with a combining sign (a vowel sign or virama torn from its letter)
    for (const l of long) expect(l).not.toMatch(/^[\u093E-\u094D\u0902\u0903]/);
  });
});
