/**
 * The slip as a black-and-white picture for ESC/POS thermal printers, which have no Devanagari
 * in their character sets: everything, Hindi included, is drawn here with the bundled fonts and
 * sent as a raster image.
 *
 * Layout, top to bottom: REPRINT banner (when reprinted), centre name (English, Hindi), the lane
 * (a solid black band with a star for priority, an outlined box with a ring for walk-in: tellable
 * apart in black and white and at a glance), the token as large as the paper allows, an
 * "Unverified" box when not verified, name / issued / place / wait, the QR code with the counter
 * and operator codes, and what to do with the slip.
 *
 * Only solid black shapes on white are drawn (no grey fills to dither); text is anti-aliased and
 * the whole picture is then thresholded, so the raster holds exactly what the head prints.
 */
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import QRCode from 'qrcode';
import { registerSlipFonts, SLIP_FONT_STACK } from './fonts';
import { laneText, SLIP_TEXT, waitText, type Bilingual } from './slip-text';
import { RASTER_WIDTH, type PaperSize, type SlipData, type SlipRaster } from './types';

/** Grey level at and above which a pixel is white (the encoder uses the same). */
export const RASTER_THRESHOLD = 128;

/** Sizes of the slip layout, in dots of the paper (HTML uses the same numbers as units). */
export interface SlipLayout {
  width: number;
  margin: number;
  /** content width */
  cw: number;
  /** scale of sizes relative to the 80 mm layout */
  k: number;
  size: {
    centre: number;
    laneTitle: number;
    laneNote: number;
    tokenLabel: number;
    tokenMax: number;
    label: number;
    value: number;
    footer: number;
    banner: number;
  };
  /** QR module size in dots */
  qrModule: number;
  qrMinModule: number;
}

export function slipLayout(paper: PaperSize): SlipLayout {
  const width = RASTER_WIDTH[paper];
  if (paper === '58mm') {
    const margin = 6;
    return {
      width,
      margin,
      cw: width - 2 * margin,
      k: 0.8,
      size: {
        centre: 25,
        laneTitle: 26,
        laneNote: 20,
        tokenLabel: 21,
        tokenMax: 150,
        label: 20,
        value: 25,
        footer: 20,
        banner: 26,
      },
      qrModule: 4,
      qrMinModule: 3,
    };
  }
  // 80 mm at 203 dpi; A5/A4 (150 dpi) are the same layout scaled to their width.
  const k = width / 576;
  const s = (n: number) => Math.round(n * k);
  const margin = s(10);
  return {
    width,
    margin,
    cw: width - 2 * margin,
    k,
    size: {
      centre: s(30),
      laneTitle: s(32),
      laneNote: s(23),
      tokenLabel: s(24),
      tokenMax: s(200),
      label: s(22),
      value: s(29),
      footer: s(22),
      banner: s(32),
    },
    qrModule: Math.max(5, Math.floor(5 * k)),
    qrMinModule: 4,
  };
}

type Weight = 400 | 700;
const font = (size: number, weight: Weight = 400) => `${weight} ${size}px ${SLIP_FONT_STACK}`;

/** A piece of the slip: its height, and how to draw it with its top at `y`. */
interface Block {
  height: number;
  draw(ctx: SKRSContext2D, y: number): void;
}

/**
 * A 2D context for slip text. The language is fixed (by default it follows the PC's language,
 * and a Marathi or Nepali system would pick those languages' letter forms for Hindi words).
 */
function slipContext(width: number, height: number): SKRSContext2D {
  const ctx = createCanvas(width, height).getContext('2d');
  ctx.lang = 'hi';
  return ctx;
}

let measureCtx: SKRSContext2D | null = null;
function measurer(): SKRSContext2D {
  if (!measureCtx) measureCtx = slipContext(8, 8);
  return measureCtx;
}

const widthCache = new Map<string, number>();
function textWidth(text: string, f: string): number {
  const key = `${f}\u0000${text}`;
  let w = widthCache.get(key);
  if (w === undefined) {
    const m = measurer();
    m.font = f;
    w = m.measureText(text).width;
    if (widthCache.size > 4000) widthCache.clear();
    widthCache.set(key, w);
  }
  return w;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Greedy word wrap. A word wider than the line is broken between grapheme clusters, so a vowel
 * sign, nasal mark or virama always stays with its letter.
 */
export function wrapText(text: string, f: string, maxWidth: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : word;
    if (textWidth(candidate, f) <= maxWidth) {
      line = candidate;
      continue;
    }
    if (line) lines.push(line);
    line = '';
    if (textWidth(word, f) <= maxWidth) {
      line = word;
      continue;
    }
    for (const { segment } of graphemes.segment(word)) {
      if (line && textWidth(line + segment, f) > maxWidth) {
        lines.push(line);
        line = '';
      }
      line += segment;
    }
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}

/**
 * Line box for a font size: room above the baseline for Devanagari vowel signs over the
 * headline, and below it for those under the letters.
 */
const lineMetrics = (size: number) => ({
  ascent: Math.ceil(size * 1.0),
  height: Math.ceil(size * 1.42),
});

interface TextLine {
  text: string;
  size: number;
  weight: Weight;
}

const linesOf = (text: string, size: number, weight: Weight, maxWidth: number): TextLine[] =>
  wrapText(text, font(size, weight), maxWidth).map((t) => ({ text: t, size, weight }));

/** Whether `text` fits in `maxWidth` dots at this size and weight (layouts that must wrap the same way). */
export function textFits(text: string, size: number, weight: Weight, maxWidth: number): boolean {
  registerSlipFonts();
  return textWidth(text, font(size, weight)) <= maxWidth;
}

const linesHeight = (lines: TextLine[]) => lines.reduce((h, l) => h + lineMetrics(l.size).height, 0);

/** Draws lines from `top`, aligned at `x` ('left' | 'center' | 'right'); returns the height used. */
function drawLines(
  ctx: SKRSContext2D,
  lines: TextLine[],
  x: number,
  top: number,
  align: 'left' | 'center' | 'right',
  color = '#000',
): number {
  ctx.fillStyle = color;
  ctx.textAlign = align;
  ctx.textBaseline = 'alphabetic';
  let y = top;
  for (const l of lines) {
    const m = lineMetrics(l.size);
    ctx.font = font(l.size, l.weight);
    ctx.fillText(l.text, x, y + m.ascent);
    y += m.height;
  }
  return y - top;
}

const spacer = (height: number): Block => ({ height, draw() {} });

function centredText(L: SlipLayout, lines: TextLine[]): Block {
  return {
    height: linesHeight(lines),
    draw: (ctx, y) => void drawLines(ctx, lines, L.width / 2, y, 'center'),
  };
}

/** A dashed rule across the content. */
function rule(L: SlipLayout, gap: number): Block {
  const thick = Math.max(2, Math.round(2 * L.k));
  const dash = Math.round(8 * L.k);
  return {
    height: gap * 2 + thick,
    draw(ctx, y) {
      ctx.fillStyle = '#000';
      for (let x = L.margin; x < L.margin + L.cw; x += dash * 2) {
        ctx.fillRect(x, y + gap, Math.min(dash, L.margin + L.cw - x), thick);
      }
    },
  };
}

function starPath(ctx: SKRSContext2D, cx: number, cy: number, r: number): void {
  ctx.beginPath();
  for (let i = 0; i < 10; i++) {
    const radius = i % 2 === 0 ? r : r * 0.42;
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    const px = cx + radius * Math.cos(a);
    const py = cy + radius * Math.sin(a) + r * 0.1;
    if (i === 0) ctx.moveTo(px, py);
    else ctx.lineTo(px, py);
  }
  ctx.closePath();
}

export const laneIconSize = (L: SlipLayout) => Math.round(L.size.laneTitle * 1.9);
/** Room for the words between the two lane marks. */
export const laneTextWidth = (L: SlipLayout) => L.cw - 2 * (2 * Math.round(10 * L.k) + laneIconSize(L));
/** The lane's note on one line in both languages when it fits, else one line each. */
export function laneNoteLines(L: SlipLayout, note: Bilingual): string[] {
  const one = `(${note.en} / ${note.hi})`;
  return textFits(one, L.size.laneNote, 400, laneTextWidth(L)) ? [one] : [`(${note.en})`, `(${note.hi})`];
}

/** Priority: solid black band, white text, white stars. Walk-in: thick outline, black rings. */
function laneBlock(L: SlipLayout, lane: SlipData['lane']): Block {
  const { title, note } = laneText(lane);
  const pad = Math.round(10 * L.k);
  const border = Math.max(4, Math.round(5 * L.k));
  const icon = laneIconSize(L);
  const textWidth = laneTextWidth(L);
  const lines: TextLine[] = [
    ...linesOf(title.en.toUpperCase(), L.size.laneTitle, 700, textWidth),
    ...linesOf(title.hi, L.size.laneTitle, 700, textWidth),
  ];
  if (note) for (const l of laneNoteLines(L, note)) lines.push(...linesOf(l, L.size.laneNote, 400, textWidth));
  const inner = Math.max(linesHeight(lines), icon);
  const height = inner + 2 * pad;
  const priority = lane === 'priority';
  return {
    height,
    draw(ctx, y) {
      const x0 = L.margin;
      ctx.fillStyle = '#000';
      ctx.fillRect(x0, y, L.cw, height);
      if (!priority) {
        ctx.fillStyle = '#fff';
        ctx.fillRect(x0 + border, y + border, L.cw - 2 * border, height - 2 * border);
      }
      const fg = priority ? '#fff' : '#000';
      const cy = y + height / 2;
      for (const cx of [x0 + pad + icon / 2, x0 + L.cw - pad - icon / 2]) {
        if (priority) {
          ctx.fillStyle = fg;
          starPath(ctx, cx, cy, icon / 2);
          ctx.fill();
        } else {
          ctx.strokeStyle = fg;
          ctx.lineWidth = Math.max(5, Math.round(icon * 0.16));
          ctx.beginPath();
          ctx.arc(cx, cy, icon / 2 - ctx.lineWidth / 2, 0, Math.PI * 2);
          ctx.stroke();
        }
      }
      drawLines(ctx, lines, L.width / 2, y + pad + Math.round((inner - linesHeight(lines)) / 2), 'center', fg);
    },
  };
}

/**
 * The token's font size: its ink as wide as the content allows (less a little), capped so a
 * short token is not absurdly tall, with its ink box at that size.
 */
export function tokenMetrics(L: SlipLayout, token: string) {
  registerSlipFonts();
  const probe = 100;
  const m = measurer();
  m.font = font(probe, 700);
  const wide = m.measureText(token);
  const inkWidth = Math.max(1, wide.actualBoundingBoxLeft + wide.actualBoundingBoxRight);
  const size = Math.max(L.size.value, Math.min(L.size.tokenMax, Math.floor((probe * L.cw * 0.97) / inkWidth)));
  m.font = font(size, 700);
  const tm = m.measureText(token);
  return {
    size,
    ascent: Math.ceil(tm.actualBoundingBoxAscent),
    descent: Math.ceil(Math.max(0, tm.actualBoundingBoxDescent)),
    left: tm.actualBoundingBoxLeft,
    right: tm.actualBoundingBoxRight,
  };
}

/** The token under its label, centred by its ink (side bearings differ between glyphs). */
function tokenBlock(L: SlipLayout, token: string): Block {
  const label = linesOf(`${SLIP_TEXT.token.en.toUpperCase()} / ${SLIP_TEXT.token.hi}`, L.size.tokenLabel, 700, L.cw);
  const { size, ascent, descent, left, right } = tokenMetrics(L, token);
  const gap = Math.round(12 * L.k);
  const labelHeight = linesHeight(label);
  return {
    height: labelHeight + gap + ascent + descent,
    draw(ctx, y) {
      drawLines(ctx, label, L.width / 2, y, 'center');
      ctx.font = font(size, 700);
      ctx.fillStyle = '#000';
      const x = L.width / 2 - (right - left) / 2;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'alphabetic';
      ctx.fillText(token, x, y + labelHeight + gap + ascent);
    },
  };
}

/** Diagonal black and white stripes above and below the words: unlike any other part of the slip. */
function reprintBlock(L: SlipLayout): Block {
  const stripe = Math.round(12 * L.k);
  const lines = linesOf(`${SLIP_TEXT.reprint.en} / ${SLIP_TEXT.reprint.hi}`, L.size.banner, 700, L.cw);
  const textH = linesHeight(lines);
  const pad = Math.round(4 * L.k);
  const height = stripe * 2 + textH + 2 * pad;
  const hatch = (ctx: SKRSContext2D, y: number) => {
    ctx.save();
    ctx.beginPath();
    ctx.rect(L.margin, y, L.cw, stripe);
    ctx.clip();
    ctx.fillStyle = '#000';
    const w = stripe;
    for (let x = L.margin - stripe; x < L.margin + L.cw + stripe; x += 2 * w) {
      ctx.beginPath();
      ctx.moveTo(x, y + stripe);
      ctx.lineTo(x + w, y + stripe);
      ctx.lineTo(x + w + stripe, y);
      ctx.lineTo(x + stripe, y);
      ctx.closePath();
      ctx.fill();
    }
    ctx.restore();
  };
  return {
    height,
    draw(ctx, y) {
      hatch(ctx, y);
      drawLines(ctx, lines, L.width / 2, y + stripe + pad, 'center');
      hatch(ctx, y + height - stripe);
    },
  };
}

/** A boxed warning: the person's identity was not checked against a photo ID. */
function unverifiedBlock(L: SlipLayout): Block {
  const border = Math.max(3, Math.round(4 * L.k));
  const pad = Math.round(6 * L.k);
  const lines = linesOf(
    `${SLIP_TEXT.unverified.en.toUpperCase()} / ${SLIP_TEXT.unverified.hi}`,
    L.size.value,
    700,
    L.cw - 2 * (border + pad),
  );
  const height = linesHeight(lines) + 2 * (border + pad);
  return {
    height,
    draw(ctx, y) {
      ctx.fillStyle = '#000';
      ctx.fillRect(L.margin, y, L.cw, height);
      ctx.fillStyle = '#fff';
      ctx.fillRect(L.margin + border, y + border, L.cw - 2 * border, height - 2 * border);
      drawLines(ctx, lines, L.width / 2, y + border + pad, 'center');
    },
  };
}

/**
 * A detail row: the label in both languages stacked on the left, the value in bold on the right;
 * a value too wide to sit beside the label goes under it.
 */
function detailRow(L: SlipLayout, label: Bilingual, value: string | Bilingual): Block {
  const labelLines: TextLine[] = [
    { text: label.en, size: L.size.label, weight: 400 },
    { text: label.hi, size: L.size.label, weight: 400 },
  ];
  const labelW = Math.max(...labelLines.map((l) => textWidth(l.text, font(l.size, l.weight))));
  const values = typeof value === 'string' ? [value] : [value.en, value.hi];
  const vf = font(L.size.value, 700);
  const gap = Math.round(14 * L.k);
  const besideWidth = L.cw - labelW - gap;
  const beside = values.every((v) => textWidth(v, vf) <= besideWidth);
  const valueLines = values.flatMap((v) => linesOf(v, L.size.value, 700, beside ? besideWidth : L.cw));
  const lh = linesHeight(labelLines);
  const vh = linesHeight(valueLines);
  const height = beside ? Math.max(lh, vh) : lh + vh;
  return {
    height,
    draw(ctx, y) {
      if (beside) {
        drawLines(ctx, labelLines, L.margin, y + Math.round((height - lh) / 2), 'left');
        drawLines(ctx, valueLines, L.margin + L.cw, y + Math.round((height - vh) / 2), 'right');
      } else {
        drawLines(ctx, labelLines, L.margin, y, 'left');
        drawLines(ctx, valueLines, L.margin + L.cw, y + lh, 'right');
      }
    },
  };
}

interface QrMatrix {
  size: number;
  data: Uint8Array;
}
let lastQr: { payload: string; matrix: QrMatrix } | null = null;

/** QR module matrix (error correction M); the last one is kept, a reprint draws the same code. */
export function qrMatrix(payload: string): QrMatrix {
  if (lastQr?.payload === payload) return lastQr.matrix;
  const { modules } = QRCode.create(payload, { errorCorrectionLevel: 'M' });
  const matrix = { size: modules.size, data: Uint8Array.from(modules.data) };
  lastQr = { payload, matrix };
  return matrix;
}

const QUIET_ZONE = 4;

/** Draws the QR code with its quiet zone at (x, y), `module` dots per module, runs of black as one rect. */
/** The dark modules of a QR matrix as horizontal runs: one rectangle per run, not per module. */
export function qrRuns(m: QrMatrix): Array<{ row: number; start: number; length: number }> {
  const runs: Array<{ row: number; start: number; length: number }> = [];
  for (let r = 0; r < m.size; r++) {
    let c = 0;
    while (c < m.size) {
      if (!m.data[r * m.size + c]) {
        c++;
        continue;
      }
      const start = c;
      while (c < m.size && m.data[r * m.size + c]) c++;
      runs.push({ row: r, start, length: c - start });
    }
  }
  return runs;
}

function drawQr(ctx: SKRSContext2D, m: QrMatrix, x: number, y: number, module: number): void {
  ctx.fillStyle = '#000';
  const ox = x + QUIET_ZONE * module;
  const oy = y + QUIET_ZONE * module;
  for (const run of qrRuns(m)) ctx.fillRect(ox + run.start * module, oy + run.row * module, run.length * module, module);
}

/**
 * QR module size and where the codes go: the largest module size up to the preferred one that
 * leaves room for the counter and operator codes beside the symbol; under it when the paper is
 * too narrow even at the smallest size.
 */
export function qrPlacement(L: SlipLayout, modules: number): { module: number; gap: number; beside: boolean; quietZone: number } {
  const span = modules + 2 * QUIET_ZONE;
  const gap = Math.round(8 * L.k);
  const minText = Math.round(150 * Math.min(1, L.k));
  let module = L.qrModule;
  while (module > L.qrMinModule && span * module + gap + minText > L.cw) module--;
  return { module, gap, beside: L.cw - span * module - gap >= minText, quietZone: QUIET_ZONE };
}

/** QR code on the left, counter and operator codes beside it (under it when the paper is too narrow). */
function qrBlock(L: SlipLayout, slip: SlipData): Block {
  const m = qrMatrix(slip.qrPayload);
  const span = m.size + 2 * QUIET_ZONE;
  const codes: Array<[Bilingual, string]> = [
    [SLIP_TEXT.counter, slip.counterCode],
    [SLIP_TEXT.operator, slip.operatorCode],
  ];
  const codeLines = (maxWidth: number): TextLine[] =>
    codes.flatMap(([label, value]) => [
      ...linesOf(`${label.en} / ${label.hi}`, L.size.label, 400, maxWidth),
      ...linesOf(value, L.size.value, 700, maxWidth),
    ]);
  const { module, gap, beside } = qrPlacement(L, m.size);
  const qrSide = span * module;
  const besideWidth = L.cw - qrSide - gap;
  const lines = codeLines(beside ? besideWidth : L.cw);
  const th = linesHeight(lines);
  const height = beside ? Math.max(qrSide, th) : qrSide + th;
  return {
    height,
    draw(ctx, y) {
      const qx = beside ? L.margin : Math.round((L.width - qrSide) / 2);
      drawQr(ctx, m, qx, y + (beside ? Math.round((height - qrSide) / 2) : 0), module);
      if (beside) drawLines(ctx, lines, L.margin + qrSide + gap, y + Math.round((height - th) / 2), 'left');
      else drawLines(ctx, lines, L.width / 2, y + qrSide, 'center');
    },
  };
}

function slipBlocks(slip: SlipData, L: SlipLayout): Block[] {
  const k = L.k;
  const g = (n: number) => Math.round(n * k);
  const blocks: Block[] = [spacer(g(6))];
  if (slip.reprint) blocks.push(reprintBlock(L), spacer(g(10)));
  blocks.push(centredText(L, linesOf(slip.centre.name, L.size.centre, 700, L.cw)));
  if (slip.centre.nameHi) blocks.push(centredText(L, linesOf(slip.centre.nameHi, L.size.centre, 700, L.cw)));
  blocks.push(spacer(g(10)), laneBlock(L, slip.lane), spacer(g(12)), tokenBlock(L, slip.token), spacer(g(14)));
  if (!slip.verified) blocks.push(unverifiedBlock(L), spacer(g(8)));
  blocks.push(rule(L, g(6)));
  if (slip.name !== null) blocks.push(detailRow(L, SLIP_TEXT.name, slip.name), spacer(g(6)));
  blocks.push(detailRow(L, SLIP_TEXT.issued, slip.issuedAt));
  if (slip.placeInLane !== null) blocks.push(spacer(g(6)), detailRow(L, SLIP_TEXT.placeInLane, String(slip.placeInLane)));
  if (slip.estimatedWaitMinutes !== null) {
    blocks.push(spacer(g(6)), detailRow(L, SLIP_TEXT.estimatedWait, waitText(slip.estimatedWaitMinutes)));
  }
  blocks.push(rule(L, g(6)), qrBlock(L, slip), rule(L, g(6)));
  blocks.push(
    centredText(L, [
      ...linesOf(SLIP_TEXT.keepSlip.en, L.size.footer, 400, L.cw),
      ...linesOf(SLIP_TEXT.keepSlip.hi, L.size.footer, 400, L.cw),
    ]),
    spacer(g(12)),
  );
  return blocks;
}

/**
 * Height of the slip's content in layout units (dots of the paper) for a layout, before rounding
 * up to a multiple of 8: how tall the picture, or an HTML page laid out with the same sizes, is.
 */
export function slipContentHeight(slip: SlipData, layout: SlipLayout): number {
  registerSlipFonts();
  return slipBlocks(slip, layout).reduce((h, b) => h + b.height, 0);
}

function drawSlip(slip: SlipData, paper: PaperSize) {
  registerSlipFonts();
  const L = slipLayout(paper);
  const blocks = slipBlocks(slip, L);
  const content = blocks.reduce((h, b) => h + b.height, 0);
  const height = Math.ceil(content / 8) * 8;
  const ctx = slipContext(L.width, height);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, L.width, height);
  let y = 0;
  for (const b of blocks) {
    b.draw(ctx, y);
    y += b.height;
  }
  return { ctx, width: L.width, height };
}

/** Every pixel to pure black or white (opaque), as the print head will put it on paper. */
function threshold(rgba: Uint8ClampedArray): void {
  for (let i = 0; i < rgba.length; i += 4) {
    // drawn in black and white only, so one channel is the grey level
    const v = rgba[i]! < RASTER_THRESHOLD ? 0 : 255;
    rgba[i] = v;
    rgba[i + 1] = v;
    rgba[i + 2] = v;
    rgba[i + 3] = 255;
  }
}

/** The slip as a 1-bit picture `RASTER_WIDTH[paper]` dots wide, as tall as its content (multiple of 8). */
export function renderSlipRaster(slip: SlipData, paper: PaperSize): SlipRaster {
  const { ctx, width, height } = drawSlip(slip, paper);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  threshold(rgba);
  return { width, height, rgba };
}

/** The raster as a PNG, exactly as it prints (for documentation and tests). */
export function renderSlipPng(slip: SlipData, paper: PaperSize): Buffer {
  return rasterToPng(renderSlipRaster(slip, paper));
}

/** Any raster (e.g. one decoded from an ESC/POS job) as a PNG. */
export function rasterToPng(raster: SlipRaster): Buffer {
  const canvas = createCanvas(raster.width, raster.height);
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(raster.width, raster.height);
  img.data.set(raster.rgba);
  ctx.putImageData(img, 0, 0);
  return canvas.toBuffer('image/png');
}
