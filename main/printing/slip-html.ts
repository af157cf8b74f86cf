/**
 * The slip as a self-contained HTML document, for the operating system's printers (Electron
 * prints it from a hidden window) and for PDFs. It runs no script and loads nothing: the fonts
 * are inlined as data: URLs and every shape (lane band, stars, stripes, QR code) is inline SVG,
 * so the slip prints the same with or without "print backgrounds". All words are real text in
 * both languages, so a PDF of it can be searched and read aloud.
 *
 * Thermal rolls use the raster layout's sizes with one unit = one printer dot (0.125 mm), and a
 * page exactly as long as the slip (`slipPageSizeMm`). A5 and A4 use the same layout on a
 * larger scale, at the top of a fixed page.
 */
import { slipFontFaceCss, SLIP_FONT_STACK } from './fonts';
import {
  laneIconSize,
  laneNoteLines,
  qrMatrix,
  qrRuns,
  qrPlacement,
  slipContentHeight,
  slipLayout,
  tokenMetrics,
  type SlipLayout,
} from './slip-raster';
import { laneText, SLIP_TEXT, waitText, type Bilingual } from './slip-text';
import { PAGE_HEIGHT_MM, PAGE_WIDTH_MM, RASTER_WIDTH, type PaperSize, type SlipData } from './types';

export const SLIP_HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:";

interface PageGeometry {
  /** millimetres per layout unit */
  u: number;
  layout: SlipLayout;
  /** left and right page margin, mm (outside the layout's own margin) */
  sideMm: number;
  topMm: number;
  /** blank paper after the content on a thermal roll, mm */
  bottomMm: number;
}

const DOT_MM = 25.4 / 203;

function geometry(paper: PaperSize): PageGeometry {
  if (paper === '80mm' || paper === '58mm') {
    const layout = slipLayout(paper);
    // the print head's width (72 or 48 mm) centred on the roll
    const sideMm = (PAGE_WIDTH_MM[paper] - RASTER_WIDTH[paper] * DOT_MM) / 2;
    return { u: DOT_MM, layout, sideMm, topMm: 2, bottomMm: 4 };
  }
  // Office paper: the 80 mm layout, scaled so a slip with every banner fits the page.
  const u = paper === 'a5' ? 0.15 : 0.21;
  const sideMm = paper === 'a5' ? 8 : 15;
  const base = slipLayout('80mm');
  const width = Math.floor((PAGE_WIDTH_MM[paper] - 2 * sideMm) / u);
  return { u, layout: { ...base, width, cw: width - 2 * base.margin }, sideMm, topMm: paper === 'a5' ? 8 : 12, bottomMm: 0 };
}

/** The page for this slip in millimetres: thermal pages are as long as the slip, office pages fixed. */
export function slipPageSizeMm(slip: SlipData, paper: PaperSize): { widthMm: number; heightMm: number } {
  const fixed = PAGE_HEIGHT_MM[paper];
  if (fixed !== null) return { widthMm: PAGE_WIDTH_MM[paper], heightMm: fixed };
  const g = geometry(paper);
  const content = slipContentHeight(slip, g.layout) * g.u;
  return { widthMm: PAGE_WIDTH_MM[paper], heightMm: Math.ceil(g.topMm + content + g.bottomMm) };
}

/**
 * The page size a slip document asks for in its `@page` rule (what `renderSlipHtml` wrote), for
 * a print call that needs the size separately from the document; null for other documents.
 */
export function pageSizeOfSlipHtml(html: string): { widthMm: number; heightMm: number } | null {
  const m = /@page \{ size: (\d+(?:\.\d+)?)mm (\d+(?:\.\d+)?)mm; margin: 0 \}/.exec(html);
  return m ? { widthMm: Number(m[1]), heightMm: Number(m[2]) } : null;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const en = (s: string) => `<span class="nw">${esc(s)}</span>`;
const hi = (s: string) => `<span class="nw" lang="hi">${esc(s)}</span>`;
/** `English / हिंदी`, breaking only between the languages when the line is too short. */
const both = (t: Bilingual) => `${en(t.en)} / ${hi(t.hi)}`;

function starPath(cx: number, cy: number, r: number): string {
  const pts: string[] = [];
  for (let i = 0; i < 10; i++) {
    const radius = i % 2 === 0 ? r : r * 0.42;
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    pts.push(`${(cx + radius * Math.cos(a)).toFixed(2)},${(cy + radius * Math.sin(a) + r * 0.1).toFixed(2)}`);
  }
  return `M${pts.join('L')}Z`;
}

/** The QR symbol as an SVG path, one rectangle per run of dark modules, quiet zone included. */
function qrSvg(payload: string, sideMm: number): string {
  const m = qrMatrix(payload);
  const q = 4;
  const span = m.size + 2 * q;
  let d = '';
  for (const run of qrRuns(m)) d += `M${run.start + q} ${run.row + q}h${run.length}v1h${-run.length}z`;
  return (
    `<svg class="qr" role="img" aria-label="QR" width="${sideMm.toFixed(3)}mm" height="${sideMm.toFixed(3)}mm" ` +
    `viewBox="0 0 ${span} ${span}" shape-rendering="crispEdges"><rect width="${span}" height="${span}" fill="#fff"/>` +
    `<path d="${d}" fill="#000"/></svg>`
  );
}

/** Diagonal black stripes `width` x `height` layout units, as in the raster's REPRINT banner. */
function stripesSvg(width: number, height: number): string {
  let d = '';
  for (let x = -height; x < width + height; x += 2 * height) d += `M${x} ${height}h${height}l${height} ${-height}h${-height}z`;
  return `<svg class="stripes" viewBox="0 0 ${width} ${height}" aria-hidden="true"><path d="${d}" fill="#000"/></svg>`;
}

/** The complete HTML document of a slip for `paper`. */
export function renderSlipHtml(slip: SlipData, paper: PaperSize): string {
  const g = geometry(paper);
  const L = g.layout;
  const U = (units: number) => `${(units * g.u).toFixed(3)}mm`;
  const s = L.size;
  const k = L.k;
  const page = slipPageSizeMm(slip, paper);
  const lane = laneText(slip.lane);
  const priority = slip.lane === 'priority';
  const tok = tokenMetrics(L, slip.token);
  const qr = qrMatrix(slip.qrPayload);
  const place = qrPlacement(L, qr.size);
  const qrSideUnits = (qr.size + 2 * place.quietZone) * place.module;
  const icon = laneIconSize(L);
  const lanePad = Math.round(10 * k);
  const laneBorder = Math.max(4, Math.round(5 * k));

  const css = `
${slipFontFaceCss()}
@page { size: ${page.widthMm}mm ${page.heightMm}mm; margin: 0 }
* { box-sizing: border-box }
html, body { margin: 0; padding: 0; background: #fff; color: #000 }
body { width: ${page.widthMm}mm; font-family: ${SLIP_FONT_STACK}; font-weight: 400; -webkit-print-color-adjust: exact; print-color-adjust: exact;
  font-kerning: normal; text-rendering: geometricPrecision }
.slip { width: ${page.widthMm}mm; padding: ${g.topMm}mm ${(g.sideMm + L.margin * g.u).toFixed(3)}mm 0; overflow: hidden }
p, h1, h2, dl, dt, dd { margin: 0 }
.nw { white-space: nowrap }
.c { text-align: center }
.b { font-weight: 700 }
.centre { font-size: ${U(s.centre)}; line-height: 1.42; font-weight: 700; text-align: center; margin-top: ${U(6)} }
.lane { position: relative; margin-top: ${U(10)}; padding: ${U(lanePad)}; min-height: ${U(icon + 2 * lanePad)};
  display: flex; align-items: center; justify-content: space-between; gap: ${U(lanePad)} }
.lane.walkin { border: ${U(laneBorder)} solid #000; padding: ${U(lanePad - laneBorder)} }
.lane .bg { position: absolute; inset: 0; width: 100%; height: 100% }
.lane .icon { position: relative; flex: none; width: ${U(icon)}; height: ${U(icon)} }
.lane .words { position: relative; flex: 1; text-align: center }
.lane.priority .words { color: #fff }
.lane .title { font-size: ${U(s.laneTitle)}; line-height: 1.42; font-weight: 700 }
.lane .note { font-size: ${U(s.laneNote)}; line-height: 1.42 }
.token-label { margin-top: ${U(12)}; font-size: ${U(s.tokenLabel)}; line-height: 1.42; font-weight: 700; text-align: center }
.token { display: block; margin-top: ${U(Math.round(12 * k))}; width: 100%; height: ${U(tok.ascent + tok.descent)}; overflow: visible }
.token text { font-family: ${SLIP_FONT_STACK}; font-weight: 700 }
.reprint { margin-top: ${U(6)}; text-align: center; font-size: ${U(s.banner)}; line-height: 1.42; font-weight: 700 }
.reprint p { padding: ${U(Math.round(4 * k))} 0 }
.stripes { display: block; width: 100%; height: ${U(Math.round(12 * k))} }
.unverified { margin-top: ${U(14)}; border: ${U(Math.max(3, Math.round(4 * k)))} solid #000; padding: ${U(Math.round(6 * k))};
  text-align: center; font-size: ${U(s.value)}; line-height: 1.42; font-weight: 700 }
.rule { border-top: ${U(Math.max(2, Math.round(2 * k)))} dashed #000; margin: ${U(Math.round(6 * k))} 0 }
.rule.first { margin-top: ${U(14 + Math.round(6 * k))} }
.row { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; column-gap: ${U(Math.round(14 * k))};
  margin-top: ${U(Math.round(6 * k))} }
.row:first-of-type { margin-top: 0 }
.row dt { font-size: ${U(s.label)}; line-height: 1.42 }
.row dt span { display: block }
.row dd { margin-left: auto; text-align: right; font-size: ${U(s.value)}; line-height: 1.42; font-weight: 700 }
.row dd span { display: block }
.qrrow { display: flex; ${place.beside ? 'flex-direction: row' : 'flex-direction: column'}; align-items: center; gap: ${U(place.gap)} }
.qr { flex: none; display: block }
.codes { ${place.beside ? '' : 'text-align: center'} }
.codes .k { font-size: ${U(s.label)}; line-height: 1.42 }
.codes .v { font-size: ${U(s.value)}; line-height: 1.42; font-weight: 700 }
.footer { font-size: ${U(s.footer)}; line-height: 1.42; text-align: center; padding-bottom: ${U(12)} }
`;

  const stripes = stripesSvg(L.cw, Math.round(12 * k));
  const laneIcon = priority
    ? `<svg class="icon" viewBox="0 0 100 100" aria-hidden="true"><path d="${starPath(50, 50, 50)}" fill="#fff"/></svg>`
    : `<svg class="icon" viewBox="0 0 100 100" aria-hidden="true"><circle cx="50" cy="50" r="42" fill="none" stroke="#000" stroke-width="16"/></svg>`;

  const rows: string[] = [];
  const row = (label: Bilingual, value: string | Bilingual) =>
    rows.push(
      `<div class="row"><dt>${en(label.en)}${hi(label.hi)}</dt><dd>${
        typeof value === 'string' ? `<span>${esc(value)}</span>` : `${en(value.en)}${hi(value.hi)}`
      }</dd></div>`,
    );
  if (slip.name !== null) row(SLIP_TEXT.name, slip.name);
  row(SLIP_TEXT.issued, slip.issuedAt);
  if (slip.placeInLane !== null) row(SLIP_TEXT.placeInLane, String(slip.placeInLane));
  if (slip.estimatedWaitMinutes !== null) row(SLIP_TEXT.estimatedWait, waitText(slip.estimatedWaitMinutes));

  const body = [
    slip.reprint ? `<div class="reprint" role="note">${stripes}<p>${both(SLIP_TEXT.reprint)}</p>${stripes}</div>` : '',
    `<h1 class="centre">${esc(slip.centre.name)}</h1>`,
    slip.centre.nameHi ? `<p class="centre" lang="hi">${esc(slip.centre.nameHi)}</p>` : '',
    `<div class="lane ${slip.lane}">`,
    priority
      ? '<svg class="bg" preserveAspectRatio="none" viewBox="0 0 10 10" aria-hidden="true"><rect width="10" height="10" fill="#000"/></svg>'
      : '',
    laneIcon,
    `<div class="words"><p class="title">${esc(lane.title.en.toUpperCase())}</p><p class="title" lang="hi">${esc(lane.title.hi)}</p>`,
    ...(lane.note ? laneNoteLines(L, lane.note).map((l) => `<p class="note">${esc(l)}</p>`) : []),
    `</div>${laneIcon}</div>`,
    `<p class="token-label">${en(SLIP_TEXT.token.en.toUpperCase())} / ${hi(SLIP_TEXT.token.hi)}</p>`,
    // SVG text: the baseline exactly where the raster puts it, whatever the font's line metrics
    `<svg class="token" viewBox="0 0 ${L.cw} ${tok.ascent + tok.descent}" role="img" aria-label="${esc(slip.token)}">` +
      `<text x="${(L.cw / 2 - (tok.right - tok.left) / 2).toFixed(2)}" y="${tok.ascent}" font-size="${tok.size}">${esc(slip.token)}</text></svg>`,
    slip.verified
      ? ''
      : `<p class="unverified">${en(SLIP_TEXT.unverified.en.toUpperCase())} / ${hi(SLIP_TEXT.unverified.hi)}</p>`,
    `<div class="rule first"></div>`,
    `<dl>${rows.join('')}</dl>`,
    `<div class="rule"></div>`,
    `<div class="qrrow">${qrSvg(slip.qrPayload, qrSideUnits * g.u)}<div class="codes">`,
    `<p class="k">${both(SLIP_TEXT.counter)}</p><p class="v">${esc(slip.counterCode)}</p>`,
    `<p class="k">${both(SLIP_TEXT.operator)}</p><p class="v">${esc(slip.operatorCode)}</p></div></div>`,
    `<div class="rule"></div>`,
    `<p class="footer">${esc(SLIP_TEXT.keepSlip.en)}<br><span lang="hi">${esc(SLIP_TEXT.keepSlip.hi)}</span></p>`,
  ].join('\n');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${SLIP_HTML_CSP}">
<meta name="viewport" content="width=device-width">
<title>${esc(SLIP_TEXT.token.en)} ${esc(slip.token)}</title>
<style>${css}</style>
</head>
<body>
<main class="slip">
${body}
</main>
</body>
</html>
`;
}
