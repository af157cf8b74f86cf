/**
 * The HTML slip (office printers and thermal printers with a driver) printed to PDF by Chromium,
 * the engine Electron prints with: exact page size, one page, fonts embedded, and every word in
 * both languages present as text. Screenshots go to test-results/slips/; with UPDATE_SLIP_DOCS=1
 * the A5 one also to docs/slips/slip-a5.png.
 *
 * Needs Chromium: $CHROMIUM_PATH, /usr/bin/chromium, or Playwright's own browser. Without one
 * the Chromium tests are skipped (with the reason printed); the document checks still run.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inflateSync } from 'node:zlib';
import { chromium, type Browser, type Page } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLIP_FONT_DEVANAGARI, SLIP_FONT_LATIN } from '../../main/printing/fonts';
import { pageSizeOfSlipHtml, renderSlipHtml, slipPageSizeMm, SLIP_HTML_CSP } from '../../main/printing/slip-html';
import { demoSlip, SLIP_TEXT, waitText } from '../../main/printing/slip-text';
import { PAGE_WIDTH_MM, type PaperSize, type SlipData } from '../../main/printing/types';

const ROOT = resolve(import.meta.dirname, '../..');
const OUT = join(ROOT, 'test-results/slips');
const MM_TO_PT = 72 / 25.4;

function findChromium(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  try {
    candidates.push(chromium.executablePath());
  } catch {
    // Playwright's browser is not downloaded
  }
  return candidates.find((p): p is string => !!p && existsSync(p)) ?? null;
}

// ---------------------------------------------------------------------------------------------
// A small PDF reader for what Chromium (Skia) writes: uncompressed object dictionaries, Flate
// streams, Type0 fonts with ToUnicode maps, and /ActualText spans around shaped clusters.

interface PdfObject {
  dict: string;
  stream: Buffer | null;
}

function pdfObjects(pdf: Uint8Array): Map<number, PdfObject> {
  const buf = Buffer.from(pdf);
  const src = buf.toString('latin1');
  const objects = new Map<number, PdfObject>();
  const re = /(\d+) 0 obj\s*/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src))) {
    const start = m.index + m[0].length;
    const end = src.indexOf('endobj', start);
    const body = src.slice(start, end);
    const sm = /stream\r?\n/.exec(body);
    let dict = body;
    let stream: Buffer | null = null;
    if (sm && body.slice(0, sm.index).trimEnd().endsWith('>>')) {
      dict = body.slice(0, sm.index);
      const offset = start + sm.index + sm[0].length;
      stream = buf.subarray(offset, offset + Number(/\/Length (\d+)/.exec(dict)?.[1]));
      if (/\/FlateDecode/.test(dict)) stream = inflateSync(stream);
    }
    objects.set(Number(m[1]), { dict, stream });
    re.lastIndex = end;
  }
  return objects;
}

const utf16 = (hex: string) => {
  let s = '';
  for (let i = 0; i + 4 <= hex.length; i += 4) s += String.fromCharCode(parseInt(hex.slice(i, i + 4), 16));
  return s;
};

function toUnicodeMap(cmap: string): Map<number, string> {
  const map = new Map<number, string>();
  for (const block of cmap.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const [, code, text] of block[1]!.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g))
      map.set(parseInt(code!, 16), utf16(text!));
  }
  for (const block of cmap.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const [, lo, hi, first, list] of block[1]!.matchAll(
      /<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(?:<([0-9a-fA-F]+)>|\[([^\]]*)\])/g,
    )) {
      const a = parseInt(lo!, 16);
      const b = parseInt(hi!, 16);
      if (first !== undefined) {
        const base = utf16(first);
        for (let c = a; c <= b; c++)
          map.set(c, base.slice(0, -1) + String.fromCharCode(base.charCodeAt(base.length - 1) + c - a));
      } else {
        [...list!.matchAll(/<([0-9a-fA-F]+)>/g)].forEach((x, i) => map.set(a + i, utf16(x[1]!)));
      }
    }
  }
  return map;
}

interface PdfSummary {
  pages: number;
  /** [x0, y0, x1, y1] of each page, points */
  mediaBoxes: number[][];
  /** embedded font programs */
  fontFiles: number;
  baseFonts: string[];
  /** the text of all pages, runs joined */
  text: string;
  /** the pages' content streams, decompressed */
  content: string;
}

function readPdf(pdf: Uint8Array): PdfSummary {
  const objects = pdfObjects(pdf);
  const all = [...objects.values()];
  const pages = all.filter((o) => /\/Type\s*\/Page\b/.test(o.dict));
  let text = '';
  let allContent = '';
  for (const page of pages) {
    const fonts = new Map<string, Map<number, string>>();
    for (const [, name, ref] of (/\/Font\s*<<([^>]*)>>/.exec(page.dict)?.[1] ?? '').matchAll(/\/(\S+)\s+(\d+) 0 R/g)) {
      const toUnicode = /\/ToUnicode (\d+) 0 R/.exec(objects.get(Number(ref))?.dict ?? '')?.[1];
      const cmap = toUnicode ? objects.get(Number(toUnicode))?.stream : null;
      fonts.set(name!, cmap ? toUnicodeMap(cmap.toString('latin1')) : new Map());
    }
    const contents = /\/Contents\s*(?:(\d+) 0 R|\[([^\]]*)\])/.exec(page.dict);
    const refs = contents?.[1] ? [contents[1]] : [...(contents?.[2] ?? '').matchAll(/(\d+) 0 R/g)].map((x) => x[1]!);
    for (const ref of refs) {
      const content = objects.get(Number(ref))?.stream?.toString('latin1') ?? '';
      allContent += content;
      let map = new Map<number, string>();
      let inActualText = false;
      const tokens = /\/ActualText\s*<([0-9a-fA-F]*)>\s*>>\s*BDC|\b(EMC)\b|\/(\S+)\s+[\d.]+\s+Tf|<([0-9a-fA-F]*)>|\b(ET)\b/g;
      for (const t of content.matchAll(tokens)) {
        if (t[1] !== undefined) {
          // a shaped cluster (e.g. a vowel sign drawn before its consonant): its text in logical order
          inActualText = true;
          text += utf16(t[1]).replace(/^\uFEFF/, '');
        } else if (t[2]) inActualText = false;
        else if (t[3]) map = fonts.get(t[3]) ?? new Map();
        else if (t[4] !== undefined && !inActualText) {
          for (let i = 0; i + 4 <= t[4].length; i += 4) text += map.get(parseInt(t[4].slice(i, i + 4), 16)) ?? '\uFFFD';
        } else if (t[5]) text += '\n';
      }
    }
  }
  return {
    pages: pages.length,
    mediaBoxes: pages.map((p) => (/\/MediaBox\s*\[([^\]]*)\]/.exec(p.dict)?.[1] ?? '').trim().split(/\s+/).map(Number)),
    fontFiles: all.filter((o) => /\/FontFile[23]?\s+\d+ 0 R/.test(o.dict)).length,
    baseFonts: all.flatMap((o) => /\/Type\s*\/Font\b[\s\S]*\/BaseFont\s*\/(\S+)/.exec(o.dict)?.[1] ?? []),
    text,
    content: allContent,
  };
}

/** Text compared without whitespace: runs and line breaks fall differently on each paper. */
const squash = (s: string) => s.replace(/\s+/g, '');

/** Every word the slip must carry, in both languages. */
function expectedWords(slip: SlipData): string[] {
  const words = [
    slip.token,
    slip.centre.name,
    SLIP_TEXT.token.hi,
    SLIP_TEXT.issued.en,
    SLIP_TEXT.issued.hi,
    slip.issuedAt,
    SLIP_TEXT.counter.en,
    SLIP_TEXT.counter.hi,
    slip.counterCode,
    SLIP_TEXT.operator.en,
    SLIP_TEXT.operator.hi,
    slip.operatorCode,
    SLIP_TEXT.keepSlip.en,
    SLIP_TEXT.keepSlip.hi,
    slip.lane === 'priority' ? SLIP_TEXT.priorityLane.en.toUpperCase() : SLIP_TEXT.walkinLane.en.toUpperCase(),
    slip.lane === 'priority' ? SLIP_TEXT.priorityLane.hi : SLIP_TEXT.walkinLane.hi,
  ];
  if (slip.centre.nameHi) words.push(slip.centre.nameHi);
  if (slip.lane === 'priority') words.push(SLIP_TEXT.priorityLaneNote.en, SLIP_TEXT.priorityLaneNote.hi);
  if (slip.name) words.push(SLIP_TEXT.name.en, SLIP_TEXT.name.hi, slip.name);
  if (slip.placeInLane !== null) words.push(SLIP_TEXT.placeInLane.en, SLIP_TEXT.placeInLane.hi, String(slip.placeInLane));
  if (slip.estimatedWaitMinutes !== null) {
    const w = waitText(slip.estimatedWaitMinutes);
    words.push(SLIP_TEXT.estimatedWait.en, SLIP_TEXT.estimatedWait.hi, w.en, w.hi);
  }
  if (slip.reprint) words.push(SLIP_TEXT.reprint.en, SLIP_TEXT.reprint.hi);
  if (!slip.verified) words.push(SLIP_TEXT.unverified.en.toUpperCase(), SLIP_TEXT.unverified.hi);
  return words;
}

// ---------------------------------------------------------------------------------------------

describe('slip HTML document', () => {
  it('is self-contained: CSP, no script, nothing fetched, fonts inline', () => {
    const html = renderSlipHtml(demoSlip(), '80mm');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${SLIP_HTML_CSP}">`);
    expect(SLIP_HTML_CSP).toBe("default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:");
    expect(html).not.toMatch(/<script|javascript:|\son[a-z]+=/i);
    expect(html).not.toMatch(/(?:src|href)\s*=\s*["']?(?!data:|#)/i);
    expect(html).not.toMatch(/url\((?!data:|#)/);
    expect(html.match(/@font-face/g)).toHaveLength(6);
    expect(html).toContain(`font-family:"${SLIP_FONT_DEVANAGARI}"`);
    expect(html).toMatch(/<svg class="qr"/);
  });

  it('escapes what came from people and configuration', () => {
    const html = renderSlipHtml(
      demoSlip({ name: '<img src=x onerror=alert(1)>', centre: { name: 'A & B "C"', nameHi: '<b>' }, operatorCode: "O'Neil" }),
      '58mm',
    );
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('A &amp; B &quot;C&quot;');
    expect(html).toContain('O&#39;Neil');
  });

  it('has a page as wide as the paper: as long as the slip on a roll, the sheet size on office paper', () => {
    for (const paper of ['80mm', '58mm'] as const) {
      const short = slipPageSizeMm(demoSlip({ name: null, estimatedWaitMinutes: null, placeInLane: null }), paper);
      const long = slipPageSizeMm(
        demoSlip({ reprint: true, verified: false, name: 'Mohd Irfan Siddiqui Qureshi Ansari' }),
        paper,
      );
      expect(short.widthMm).toBe(PAGE_WIDTH_MM[paper]);
      expect(long.heightMm).toBeGreaterThan(short.heightMm);
      expect(short.heightMm).toBeGreaterThan(90);
      expect(long.heightMm).toBeLessThan(200);
      expect(renderSlipHtml(demoSlip(), paper)).toContain(
        `@page { size: ${PAGE_WIDTH_MM[paper]}mm ${slipPageSizeMm(demoSlip(), paper).heightMm}mm; margin: 0 }`,
      );
    }
    const long = demoSlip({ reprint: true, verified: false, name: 'Mohd Irfan Siddiqui Qureshi Ansari' });
    expect(pageSizeOfSlipHtml(renderSlipHtml(long, '58mm'))).toEqual(slipPageSizeMm(long, '58mm'));
    expect(pageSizeOfSlipHtml('<html></html>')).toBeNull();
    expect(slipPageSizeMm(demoSlip(), 'a5')).toEqual({ widthMm: 148, heightMm: 210 });
    expect(slipPageSizeMm(demoSlip(), 'a4')).toEqual({ widthMm: 210, heightMm: 297 });
  });
});

const executablePath = findChromium();
if (!executablePath) {
  console.warn(
    'slip-pdf: skipping the Chromium PDF tests: no Chromium found ($CHROMIUM_PATH, /usr/bin/chromium, Playwright browser)',
  );
}

describe.skipIf(!executablePath)('slip printed to PDF by Chromium', () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: executablePath!,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-features=Translate'],
    });
    page = await browser.newPage({ deviceScaleFactor: 2 });
    mkdirSync(OUT, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function load(slip: SlipData, paper: PaperSize) {
    const size = slipPageSizeMm(slip, paper);
    await page.setViewportSize({ width: Math.ceil((size.widthMm / 25.4) * 96), height: Math.ceil((size.heightMm / 25.4) * 96) });
    await page.setContent(renderSlipHtml(slip, paper), { waitUntil: 'load' });
    await page.evaluate(() => document.fonts.ready.then(() => undefined));
    return size;
  }

  const cases: Array<{ label: string; paper: PaperSize; slip: SlipData }> = [
    { label: '80mm', paper: '80mm', slip: demoSlip() },
    { label: '58mm', paper: '58mm', slip: demoSlip() },
    { label: 'a5', paper: 'a5', slip: demoSlip() },
    {
      label: '80mm-walkin-reprint-unverified',
      paper: '80mm',
      slip: demoSlip({
        lane: 'walkin',
        token: 'A-W103',
        reprint: true,
        verified: false,
        name: 'Mohd Irfan Siddiqui Qureshi Ansari',
      }),
    },
    {
      label: '58mm-walkin-reprint-unverified',
      paper: '58mm',
      slip: demoSlip({
        lane: 'walkin',
        token: 'BC-W1000',
        reprint: true,
        verified: false,
        name: 'Mohd Irfan Siddiqui Qureshi Ansari',
      }),
    },
    {
      label: 'a4-walkin-reprint-unverified',
      paper: 'a4',
      slip: demoSlip({ lane: 'walkin', token: 'A-W103', reprint: true, verified: false, estimatedWaitMinutes: 0 }),
    },
  ];

  for (const { label, paper, slip } of cases) {
    it(`${label}: one page of the exact size, fonts embedded, every word in both languages as text`, async () => {
      const size = await load(slip, paper);

      // the embedded faces loaded under the document's CSP (else Chromium would quietly use system fonts)
      const faces = await page.evaluate(() =>
        [...document.fonts].filter((f) => f.status === 'loaded').map((f) => f.family.replace(/"/g, '')),
      );
      expect(faces).toEqual(expect.arrayContaining([SLIP_FONT_LATIN, SLIP_FONT_DEVANAGARI]));
      const content = await page.evaluate(() => document.querySelector('.slip')!.getBoundingClientRect().height);
      expect((content * 25.4) / 96).toBeLessThanOrEqual(size.heightMm);
      const domText = squash((await page.textContent('body')) ?? '');
      for (const w of expectedWords(slip)) expect(domText, w).toContain(squash(w));

      await page.screenshot({ path: join(OUT, `slip-${label}-html.png`), fullPage: true });
      if (process.env.UPDATE_SLIP_DOCS === '1' && label === 'a5') {
        mkdirSync(join(ROOT, 'docs/slips'), { recursive: true });
        await page.screenshot({ path: join(ROOT, 'docs/slips/slip-a5.png'), fullPage: true });
      }

      const pdf = await page.pdf({
        width: `${size.widthMm}mm`,
        height: `${size.heightMm}mm`,
        printBackground: true,
        margin: { top: '0', right: '0', bottom: '0', left: '0' },
      });
      writeFileSync(join(OUT, `slip-${label}.pdf`), pdf);
      const info = readPdf(pdf);
      expect(info.pages).toBe(1);
      // Chromium rounds a page size to its own device units: within 1 pt (0.35 mm), e.g. 227.04 pt for 80 mm
      const [x0, y0, x1, y1] = info.mediaBoxes[0]!;
      expect(Math.abs(x1! - x0! - size.widthMm * MM_TO_PT)).toBeLessThanOrEqual(1);
      expect(Math.abs(y1! - y0! - size.heightMm * MM_TO_PT)).toBeLessThanOrEqual(1);
      if (paper === '80mm') expect(Math.abs(x1! - x0! - 226.77)).toBeLessThanOrEqual(1);
      expect(info.fontFiles).toBeGreaterThanOrEqual(2);
      expect(info.baseFonts.some((f) => /NotoSansDevanagari/.test(f))).toBe(true);
      const pdfText = squash(info.text);
      for (const w of expectedWords(slip)) expect(pdfText, `PDF text has "${w}"`).toContain(squash(w));
      expect(info.text).not.toContain('\uFFFD');
    });
  }

  it('prints the same without "print backgrounds": the priority band and stripes are drawn, not backgrounds', async () => {
    const slip = demoSlip({ reprint: true });
    const size = await load(slip, '80mm');
    const opts = {
      width: `${size.widthMm}mm`,
      height: `${size.heightMm}mm`,
      margin: { top: '0', right: '0', bottom: '0', left: '0' },
    };
    const withBg = readPdf(await page.pdf({ ...opts, printBackground: true }));
    const withoutBg = readPdf(await page.pdf({ ...opts, printBackground: false }));
    expect(squash(withoutBg.text)).toBe(squash(withBg.text));
    // every black shape (band, stars, stripes, QR modules, rules) is painted in both
    const blackFills = (content: string) => (content.match(/\b0 0 0 rg\b/g) ?? []).length;
    expect(blackFills(withBg.content)).toBeGreaterThan(3);
    expect(blackFills(withoutBg.content)).toBe(blackFills(withBg.content));
    expect(renderSlipHtml(slip, '80mm')).not.toMatch(/background(-color)?\s*:\s*(#000|black)/i);
  });
});
