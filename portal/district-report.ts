/**
 * The district's read side: per centre and day, the records received (walk-ins and check-ins),
 * those flagged as possible duplicates, the mutations rejected, the ticket events, and the
 * counters behind on uploads now (from the counters' own reports: portal/fleet.ts).
 *
 * For other systems: GET /admin/district/day?date=YYYY-MM-DD[&centreId=...] with the admin token.
 * For the district officer: the page at /district, which (like /fleet) holds no data and needs
 * no token to load: it asks for the admin token, keeps it in the tab's sessionStorage only and
 * fetches the JSON with a Bearer header. Its CSP allows only its own script and style, and it
 * writes every value as text, so a centre ID or a counter code with markup in it never runs.
 *
 * The figures of a day come from the store (`districtDay`, the same on SQLite and PostgreSQL);
 * the counters behind are as of now, whatever day is asked: the fleet keeps each counter's
 * latest report only.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isIsoDay } from '../common/rules/centre-day';
import { fleetView, type FleetSettings } from './fleet';
import { servePage } from './pages';
import { PortalError, type DistrictDayRow, type FleetRow, type PortalStore } from './store-api';

/** One centre's line of the report. */
export interface DistrictCentreDay {
  centreId: string;
  /** records received that day: walk-ins and check-ins */
  records: number;
  walkIns: number;
  checkIns: number;
  /** records the portal flagged as possible duplicates */
  possibleDuplicates: number;
  /** mutations the portal rejected (counted on the day, UTC, the portal received them) */
  rejected: number;
  /** ticket events (called, served, no-show, ...) received for that day */
  ticketEvents: number;
  /** the centre's counters behind on uploads now: records waiting longer than the fleet's limit */
  countersBehind: number;
  /** their counter codes, sorted, each once */
  countersBehindCodes: string[];
  /** the centre's counters that report to the portal (a counter whose token was revoked is not counted) */
  counters: number;
}

export type DistrictTotals = Omit<DistrictCentreDay, 'centreId' | 'countersBehindCodes'> & {
  /** centres in the report */
  centres: number;
};

export interface DistrictDayReport {
  date: string;
  generatedAt: string;
  /** a counter is behind when its oldest record has waited longer than this */
  behindAfterMinutes: number;
  /** sorted by centre ID; a centre with counters but nothing that day has zeros */
  centres: DistrictCentreDay[];
  totals: DistrictTotals;
}

const FIGURES = [
  'records',
  'walkIns',
  'checkIns',
  'possibleDuplicates',
  'rejected',
  'ticketEvents',
  'countersBehind',
  'counters',
] as const;

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const emptyCentre = (centreId: string): DistrictCentreDay => ({
  centreId,
  records: 0,
  walkIns: 0,
  checkIns: 0,
  possibleDuplicates: 0,
  rejected: 0,
  ticketEvents: 0,
  countersBehind: 0,
  countersBehindCodes: [],
  counters: 0,
});

/**
 * The report of one day from the store's rows of that day and the fleet's latest reports: every
 * centre with anything that day or with a counter that reports, sorted by centre ID.
 */
export function districtDayReport(input: {
  date: string;
  now: Date;
  rows: readonly DistrictDayRow[];
  fleet: readonly FleetRow[];
  centreId?: string;
  settings?: FleetSettings;
}): DistrictDayReport {
  const only = input.centreId;
  const centres = new Map<string, DistrictCentreDay>();
  const centre = (id: string): DistrictCentreDay => {
    let c = centres.get(id);
    if (!c) centres.set(id, (c = emptyCentre(id)));
    return c;
  };
  for (const r of input.rows) {
    if (only !== undefined && r.centreId !== only) continue;
    Object.assign(centre(r.centreId), {
      records: r.records,
      walkIns: r.walkIns,
      checkIns: r.checkIns,
      possibleDuplicates: r.possibleDuplicates,
      rejected: r.rejected,
      ticketEvents: r.ticketEvents,
    });
  }
  const view = fleetView(
    input.fleet.filter((f) => !f.revoked && (only === undefined || f.centreId === only)),
    input.now,
    input.settings,
  );
  for (const { centreId, counters } of view.centres) {
    const c = centre(centreId);
    const behind = counters.filter((x) => x.flags.includes('behind'));
    c.counters = counters.length;
    c.countersBehind = behind.length;
    c.countersBehindCodes = [...new Set(behind.map((x) => x.counterCode))].sort(byCodePoint);
  }
  const list = [...centres.values()].sort((a, b) => byCodePoint(a.centreId, b.centreId));
  const totals = Object.fromEntries(FIGURES.map((f) => [f, list.reduce((sum, c) => sum + c[f], 0)])) as Omit<
    DistrictTotals,
    'centres'
  >;
  return {
    date: input.date,
    generatedAt: input.now.toISOString(),
    behindAfterMinutes: view.thresholds.behindAfterMinutes,
    centres: list,
    totals: { centres: list.length, ...totals },
  };
}

/** Reads one day's report from the store (both engines) and the fleet. */
export async function loadDistrictDay(
  store: PortalStore,
  query: { date: string; centreId?: string },
  now: Date,
  settings?: FleetSettings,
): Promise<DistrictDayReport> {
  const [rows, fleet] = await Promise.all([store.districtDay(query.date, query.centreId), store.fleet.all()]);
  return districtDayReport({
    date: query.date,
    now,
    rows,
    fleet,
    ...(query.centreId === undefined ? {} : { centreId: query.centreId }),
    ...(settings ? { settings } : {}),
  });
}

// ---- the query ----

const QUERY_FIELDS = ['date', 'centreId'] as const;

const querySchema = z
  .object({
    date: z.string({ error: 'required: the day as YYYY-MM-DD, once' }).refine(isIsoDay, {
      error: (issue) => `must be a day as YYYY-MM-DD, not ${JSON.stringify(String(issue.input)).slice(0, 40)}`,
    }),
    centreId: z
      .string({ error: 'must be one centre ID' })
      .min(1, 'must not be empty')
      .max(64, 'must be at most 64 characters')
      .optional(),
  })
  .strict();

/** The report's query, or 400 invalid_request naming the field that is wrong. */
export function parseDistrictQuery(query: unknown): { date: string; centreId?: string } {
  const parsed = querySchema.safeParse(query ?? {});
  if (parsed.success) {
    const { date, centreId } = parsed.data;
    return centreId === undefined ? { date } : { date, centreId };
  }
  const issue = parsed.error.issues[0]!;
  const message =
    issue.code === 'unrecognized_keys'
      ? `${issue.keys.map((k) => k.slice(0, 40)).join(', ')}: not a field of this query (${QUERY_FIELDS.join(', ')})`
      : `${issue.path.map(String).join('.')}: ${issue.message}`;
  throw new PortalError(400, 'invalid_request', message);
}

// ---- routes ----

export interface DistrictReportDeps {
  store: PortalStore;
  clock: () => Date;
  /** the fleet's limits: the same as the fleet view's (portal/fleet.ts) */
  fleet?: FleetSettings;
}

/** GET /admin/district/day, inside the admin API (the admin token is checked there). */
export function districtReportAdminRoutes(admin: FastifyInstance, deps: DistrictReportDeps): void {
  admin.get('/admin/district/day', async (req, reply) => {
    const query = parseDistrictQuery(req.query);
    const report = await loadDistrictDay(deps.store, query, deps.clock(), deps.fleet);
    reply.header('cache-control', 'no-store');
    return report;
  });
}

/** As the fleet page's, with the page's own font (Hindi reads on a PC without a Devanagari font too). */
export const DISTRICT_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; font-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The Devanagari font the counter ships (@fontsource/noto-sans-devanagari), by weight; read once, when first asked for. */
const FONT_WEIGHTS = ['400', '700'] as const;
const fonts = new Map<string, Buffer | null>();
function devanagariFont(weight: (typeof FONT_WEIGHTS)[number]): Buffer | null {
  if (!fonts.has(weight)) {
    let file: Buffer | null = null;
    try {
      file = readFileSync(
        createRequire(import.meta.url).resolve(
          `@fontsource/noto-sans-devanagari/files/noto-sans-devanagari-devanagari-${weight}-normal.woff2`,
        ),
      );
    } catch {
      // not installed: the page falls back to the PC's own fonts
    }
    fonts.set(weight, file);
  }
  return fonts.get(weight) ?? null;
}

/** The page (/district), its script, its style and its font: no data in them, no token needed to load them. */
export function districtReportPageRoutes(app: FastifyInstance): void {
  const headers = servePage(app, 'district', DISTRICT_PAGE_CSP, { html: DISTRICT_HTML, js: DISTRICT_JS, css: DISTRICT_CSS });
  for (const weight of FONT_WEIGHTS) {
    app.get(`/district/devanagari-${weight}.woff2`, async (_req, reply) => {
      const font = devanagariFont(weight);
      if (!font) throw new PortalError(404, 'not_found', 'the page font is not installed with this portal');
      return reply
        .headers({ ...headers, 'cache-control': 'max-age=86400' })
        .type('font/woff2')
        .send(font);
    });
  }
}

// ---- the page ----

export const DISTRICT_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>District: records by centre / ज़िला: केंद्रवार रिकॉर्ड</title>
<link rel="stylesheet" href="/district/district.css">
<script src="/district/district.js" defer></script>
</head>
<body>
<header>
<h1>District: records by centre and day <span lang="hi">/ ज़िला: केंद्र और दिन के अनुसार रिकॉर्ड</span></h1>
<button type="button" id="sign-out" hidden>Forget the token <span lang="hi">/ टोकन भूल जाएँ</span></button>
</header>
<main>
<form id="sign-in" hidden>
<p>This page needs the portal's admin token. It is kept in this browser tab only, until the tab is closed.
<span lang="hi">इस पेज के लिए पोर्टल का एडमिन टोकन चाहिए। यह केवल इसी ब्राउज़र टैब में, टैब बंद होने तक, रखा जाता है।</span></p>
<label for="token">Admin token <span lang="hi">/ एडमिन टोकन</span></label>
<input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required aria-describedby="token-error">
<button type="submit">Show the district <span lang="hi">/ ज़िला दिखाएँ</span></button>
<p id="token-error" class="error" role="alert"></p>
</form>
<form id="filters" hidden>
<div class="field">
<label for="date">Day <span lang="hi">/ दिन</span></label>
<input id="date" name="date" type="date" required aria-describedby="date-error">
<p id="date-error" class="error" role="alert"></p>
</div>
<div class="field">
<label for="centre">Centre <span lang="hi">/ केंद्र</span></label>
<select id="centre" name="centre" aria-describedby="centre-error">
<option value="">All centres / सभी केंद्र</option>
</select>
<p id="centre-error" class="error" role="alert"></p>
</div>
<button type="submit">Show <span lang="hi">/ दिखाएँ</span></button>
</form>
<p id="status" role="status"></p>
<table id="report" hidden>
<caption id="caption"></caption>
<thead>
<tr>
<th scope="col">Centre <span lang="hi">/ केंद्र</span></th>
<th scope="col">Records received <span lang="hi">/ प्राप्त रिकॉर्ड</span></th>
<th scope="col">Walk-ins <span lang="hi">/ वॉक-इन</span></th>
<th scope="col">Check-ins <span lang="hi">/ चेक-इन</span></th>
<th scope="col">Possible duplicates <span lang="hi">/ संभावित दोहरे</span></th>
<th scope="col">Rejected <span lang="hi">/ अस्वीकृत</span></th>
<th scope="col">Ticket events <span lang="hi">/ टिकट की घटनाएँ</span></th>
<th scope="col">Counters behind on uploads <span lang="hi">/ अपलोड में पीछे काउंटर</span></th>
<th scope="col">Attention <span lang="hi">/ ध्यान दें</span></th>
</tr>
</thead>
<tbody id="rows"></tbody>
<tfoot id="totals"></tfoot>
</table>
<section id="legend" hidden>
<h2>What the figures mean <span lang="hi">/ आँकड़ों का अर्थ</span></h2>
<dl>
<dt>Records received <span lang="hi">/ प्राप्त रिकॉर्ड</span></dt>
<dd>walk-ins registered and check-ins of people who booked online, as the counters uploaded them for this day.
<span lang="hi">इस दिन के लिए काउंटरों से आए वॉक-इन पंजीकरण और ऑनलाइन बुकिंग वालों के चेक-इन।</span></dd>
<dt>Possible duplicates <span lang="hi">/ संभावित दोहरे</span></dt>
<dd>records with the same photo ID, or the same mobile with a similar name and birth year, as another record.
<span lang="hi">ऐसे रिकॉर्ड जिनका फ़ोटो पहचान पत्र, या मोबाइल के साथ मिलता-जुलता नाम और जन्म वर्ष, किसी दूसरे रिकॉर्ड जैसा है।</span></dd>
<dt>Rejected <span lang="hi">/ अस्वीकृत</span></dt>
<dd>uploads the portal refused (counted on the day, UTC, it received them): they wait under "Needs attention" at the counter.
<span lang="hi">पोर्टल ने जिन अपलोड को अस्वीकार किया (जिस दिन, UTC, वे आए): वे काउंटर पर "ध्यान देने योग्य" में हैं।</span></dd>
<dt>Counters behind on uploads <span lang="hi">/ अपलोड में पीछे काउंटर</span></dt>
<dd id="behind-rule">as of now, from each counter's latest report: records have waited to upload longer than the limit.
<span lang="hi">अभी की स्थिति, हर काउंटर की पिछली रिपोर्ट से: रिकॉर्ड सीमा से अधिक समय से अपलोड की प्रतीक्षा में हैं।</span></dd>
</dl>
</section>
</main>
</body>
</html>
`;

const DEVANAGARI_RANGE = 'U+0900-097F, U+1CD0-1CF9, U+200C-200D, U+20A8, U+20B9, U+25CC, U+A830-A839, U+A8E0-A8FF';

const DISTRICT_CSS =
  FONT_WEIGHTS.map(
    (w) =>
      `@font-face { font-family: "Noto Sans Devanagari"; font-style: normal; font-weight: ${w}; font-display: swap; ` +
      `src: url(/district/devanagari-${w}.woff2) format("woff2"); unicode-range: ${DEVANAGARI_RANGE}; }`,
  ).join('\n') +
  `
body { font: 15px/1.45 system-ui, "Noto Sans Devanagari", sans-serif; margin: 0; color: #1b1b1b; background: #fafafa; }
[hidden] { display: none !important; }
button, input, select { font: inherit; }
header { display: flex; align-items: center; gap: 1rem; padding: 0.75rem 1rem; background: #0b3d5c; color: #fff; }
header h1 { font-size: 1.2rem; margin: 0; flex: 1; }
main { padding: 1rem; }
form { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 0.75rem 1.25rem; margin-bottom: 1rem; }
#sign-in { max-width: 36rem; display: grid; gap: 0.5rem; }
.field { display: grid; gap: 0.25rem; }
form > button { align-self: center; }
.error { color: #a00000; min-height: 1.2em; margin: 0; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; background: #fff; }
caption { text-align: left; font-weight: 600; padding: 0.3rem 0; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #eef2f5; }
tfoot td { font-weight: 600; background: #eef2f5; }
tr.attention td { background: #fff4e5; }
tr.attention td:first-child { border-left: 6px solid #b35900; }
.flag { display: inline-block; margin: 0 0.25rem 0.25rem 0; padding: 0 0.4rem; border-radius: 3px; background: #ffe3c2; color: #5c2e00; }
.ok { color: #245b24; }
.codes { color: #444; }
`;

/** The page's script: every value goes in through textContent, never as HTML. */
const DISTRICT_JS = `'use strict';
(function () {
  var KEY = 'district.adminToken';
  var timer = null;
  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function num(n) { return Number(n).toLocaleString('en-IN'); }
  function setStatus(text) { $('status').textContent = text; }
  function isDay(s) { return /^\\d{4}-\\d{2}-\\d{2}$/.test(s) && !isNaN(Date.parse(s + 'T00:00:00Z')) && new Date(s + 'T00:00:00Z').toISOString().slice(0, 10) === s; }
  function localDay(d) {
    function two(n) { return (n < 10 ? '0' : '') + n; }
    return d.getFullYear() + '-' + two(d.getMonth() + 1) + '-' + two(d.getDate());
  }
  function clearErrors() { $('date-error').textContent = ''; $('centre-error').textContent = ''; }
  function signIn(message) {
    if (timer) { clearInterval(timer); timer = null; }
    $('sign-in').hidden = false;
    $('sign-out').hidden = true;
    $('filters').hidden = true;
    $('report').hidden = true;
    $('legend').hidden = true;
    $('rows').replaceChildren();
    $('totals').replaceChildren();
    $('token-error').textContent = message || '';
    setStatus('');
    $('token').focus();
  }
  /* today in the portal's clock (its Date header), as a day of this browser's time zone */
  function portalToday() {
    return fetch('/v1/health', { cache: 'no-store', credentials: 'omit' }).then(function (res) {
      var at = Date.parse(res.headers.get('date') || '');
      return localDay(isNaN(at) ? new Date() : new Date(at));
    }).catch(function () { return localDay(new Date()); });
  }
  function attention(c) {
    var cell = el('td');
    var words = [];
    if (c.rejected > 0) words.push(['rejected', num(c.rejected) + ' rejected / ' + num(c.rejected) + ' अस्वीकृत']);
    if (c.countersBehind > 0) {
      words.push(['behind', num(c.countersBehind) + ' behind on uploads / ' + num(c.countersBehind) + ' अपलोड में पीछे']);
    }
    if (words.length === 0) { cell.appendChild(el('span', 'OK / ठीक', 'ok')); return cell; }
    words.forEach(function (w) {
      var b = el('span', w[1], 'flag');
      b.dataset.flag = w[0];
      cell.appendChild(b);
    });
    return cell;
  }
  function figure(tr, n) { tr.appendChild(el('td', num(n), 'n')); }
  function row(c) {
    var tr = el('tr');
    tr.dataset.centre = c.centreId;
    var flags = [];
    if (c.rejected > 0) flags.push('rejected');
    if (c.countersBehind > 0) flags.push('behind');
    tr.dataset.flags = flags.join(' ');
    if (flags.length > 0) tr.className = 'attention';
    var name = el('th', c.centreId);
    name.scope = 'row';
    name.appendChild(el('div', num(c.counters) + (c.counters === 1 ? ' counter / काउंटर' : ' counters / काउंटर'), 'codes'));
    tr.appendChild(name);
    figure(tr, c.records);
    figure(tr, c.walkIns);
    figure(tr, c.checkIns);
    figure(tr, c.possibleDuplicates);
    figure(tr, c.rejected);
    figure(tr, c.ticketEvents);
    var behind = el('td', num(c.countersBehind), 'n');
    if (c.countersBehindCodes.length > 0) behind.appendChild(el('div', c.countersBehindCodes.join(', '), 'codes'));
    tr.appendChild(behind);
    tr.appendChild(attention(c));
    return tr;
  }
  function fillCentres(report) {
    var select = $('centre');
    var chosen = select.value;
    var known = {};
    Array.prototype.forEach.call(select.options, function (o) { if (o.value) known[o.value] = true; });
    report.centres.forEach(function (c) {
      if (known[c.centreId]) return;
      known[c.centreId] = true;
      var o = el('option', c.centreId);
      o.value = c.centreId;
      select.appendChild(o);
    });
    select.value = chosen;
  }
  function render(report) {
    fillCentres(report);
    var body = $('rows');
    body.replaceChildren();
    report.centres.forEach(function (c) { body.appendChild(row(c)); });
    var t = report.totals;
    var foot = $('totals');
    foot.replaceChildren();
    var tr = el('tr');
    tr.dataset.totals = '';
    var name = el('td', 'Total / कुल');
    name.appendChild(el('div', num(t.centres) + ' centres / केंद्र, ' + num(t.counters) + ' counters / काउंटर', 'codes'));
    tr.appendChild(name);
    [t.records, t.walkIns, t.checkIns, t.possibleDuplicates, t.rejected, t.ticketEvents, t.countersBehind].forEach(function (n) { figure(tr, n); });
    tr.appendChild(el('td', ''));
    foot.appendChild(tr);
    $('caption').textContent = 'Day / दिन ' + report.date;
    $('behind-rule').firstChild.textContent = 'as of now, from each counter\\'s latest report: records have waited to upload longer than ' +
      report.behindAfterMinutes + ' minutes. ';
    $('report').hidden = false;
    $('legend').hidden = false;
    setStatus(report.centres.length === 0
      ? 'Nothing for this day yet. / इस दिन का अभी कुछ नहीं।'
      : 'As of / स्थिति ' + new Date(report.generatedAt).toLocaleString('en-IN') + '.');
  }
  function showError(body) {
    var message = body && body.message ? String(body.message) : 'the request was refused';
    var field = /^centreId\\b/.test(message) ? 'centre-error' : 'date-error';
    $(field).textContent = message + ' / अनुरोध अस्वीकार: ' + (field === 'date-error' ? 'दिन YYYY-MM-DD के रूप में चुनें।' : 'केंद्र सूची से चुनें।');
  }
  function load() {
    var token = sessionStorage.getItem(KEY);
    if (!token) return signIn('');
    $('sign-in').hidden = true;
    $('sign-out').hidden = false;
    $('filters').hidden = false;
    var day = $('date').value;
    clearErrors();
    if (!isDay(day)) {
      $('date-error').textContent = 'Choose a day (YYYY-MM-DD). / दिन (YYYY-MM-DD) चुनें।';
      return;
    }
    var url = '/admin/district/day?date=' + encodeURIComponent(day);
    var centre = $('centre').value;
    if (centre) url += '&centreId=' + encodeURIComponent(centre);
    setStatus('Loading… / लोड हो रहा है…');
    return fetch(url, {
      headers: { authorization: 'Bearer ' + token, accept: 'application/json' },
      cache: 'no-store',
      credentials: 'omit'
    }).then(function (res) {
      if (res.status === 401) {
        sessionStorage.removeItem(KEY);
        return signIn('The portal refused this admin token. / पोर्टल ने यह एडमिन टोकन अस्वीकार किया।');
      }
      if (res.status === 429) return setStatus('Too many wrong tokens from this address: try again in a minute. / इस पते से बहुत से ग़लत टोकन: एक मिनट बाद फिर कोशिश करें।');
      if (res.status === 400) return res.json().then(function (b) { setStatus(''); showError(b); });
      if (res.status === 503) return setStatus('The portal cannot reach its database just now: this page tries again in a minute. / पोर्टल अभी अपने डेटाबेस तक नहीं पहुँच पा रहा: यह पेज एक मिनट में फिर कोशिश करेगा।');
      if (!res.ok) return setStatus('The portal answered ' + res.status + ': try again later. / पोर्टल ने ' + res.status + ' उत्तर दिया: बाद में कोशिश करें।');
      return res.json().then(render);
    }).catch(function (e) {
      setStatus('The portal could not be reached: ' + (e && e.message ? e.message : e) + ' / पोर्टल तक नहीं पहुँच सके।');
    });
  }
  function start() {
    if (!timer) timer = setInterval(load, 60000);
    if ($('date').value) return load();
    return portalToday().then(function (day) { $('date').value = day; return load(); });
  }
  document.addEventListener('DOMContentLoaded', function () {
    $('sign-in').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var token = $('token').value.trim();
      if (!token) { $('token-error').textContent = 'Enter the admin token. / एडमिन टोकन लिखें।'; return; }
      sessionStorage.setItem(KEY, token);
      $('token').value = '';
      start();
    });
    $('filters').addEventListener('submit', function (ev) { ev.preventDefault(); load(); });
    $('date').addEventListener('change', function () { load(); });
    $('centre').addEventListener('change', function () { load(); });
    $('sign-out').addEventListener('click', function () {
      sessionStorage.removeItem(KEY);
      signIn('');
    });
    if (sessionStorage.getItem(KEY)) start(); else signIn('');
  });
})();
`;
