/**
 * The fleet view: each counter's latest report of itself (POST /v1/reports, with its device
 * token) and, for IT, which counters are behind on uploads, on an old version, with a wrong
 * clock, with a failing printer, or not heard from (GET /admin/fleet, with the admin token).
 *
 * The page at /fleet holds no data and needs no token to load: it asks for the admin token,
 * keeps it in the tab's sessionStorage (never in the URL, never in a cookie another site's
 * request would carry) and fetches the JSON with a Bearer header. Its CSP allows only its
 * own script and style, and it writes every value as text, so a label or a version string
 * with markup in it never runs. Its words are in English and Hindi, as on the district page.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { fleetReportSchema, type FleetReportAnswer } from '../common/sync-protocol';
import { describeIssues } from './push-rules';
import { servePage } from './pages';
import { PortalError, type Device, type FleetRow, type FleetStoreApi } from './store-api';

export interface FleetSettings {
  /** the version every counter should run; when not set, the newest version any counter reports */
  expectedVersion?: string;
  /** a counter whose oldest record has waited longer than this is behind on uploads (15) */
  behindAfterMinutes?: number;
  /** a counter whose clock is further than this from the portal's has a wrong clock (120) */
  clockToleranceSeconds?: number;
  /** a counter not heard from for longer than this is flagged (15; idle counters report every 5 minutes) */
  silentAfterMinutes?: number;
}

export const FLEET_DEFAULTS = { behindAfterMinutes: 15, clockToleranceSeconds: 120, silentAfterMinutes: 15 } as const;

export const FLEET_FLAGS = ['behind', 'oldVersion', 'clockWrong', 'printerFailing', 'silent'] as const;
export type FleetFlag = (typeof FLEET_FLAGS)[number];

export interface FleetCounterView extends FleetRow {
  /** seconds since the portal last heard from it */
  lastHeardSecondsAgo: number;
  /** the oldest waiting record's age now: as reported, plus the time since the report (null: nothing waited) */
  oldestPendingAgeNowSeconds: number | null;
  flags: FleetFlag[];
}

export interface FleetView {
  generatedAt: string;
  /** the version counters are held to: the portal's setting, or the newest reported */
  currentVersion: string | null;
  thresholds: Required<Omit<FleetSettings, 'expectedVersion'>>;
  /** counters with each flag */
  flagged: Record<FleetFlag, number>;
  centres: { centreId: string; counters: FleetCounterView[] }[];
}

// ---- versions ----

const SEMVER = /^v?(\d{1,9})\.(\d{1,9})\.(\d{1,9})(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** Compares two versions as semver (a pre-release before its release); null when either is not one. */
export function compareVersions(a: string, b: string): number | null {
  const x = SEMVER.exec(a.trim());
  const y = SEMVER.exec(b.trim());
  if (!x || !y) return null;
  for (let i = 1; i <= 3; i++) {
    const d = Number(x[i]) - Number(y[i]);
    if (d !== 0) return Math.sign(d);
  }
  const [p, q] = [x[4], y[4]];
  if (p === undefined || q === undefined) return p === q ? 0 : p === undefined ? 1 : -1;
  const ps = p.split('.');
  const qs = q.split('.');
  for (let i = 0; i < Math.max(ps.length, qs.length); i++) {
    const [s, t] = [ps[i], qs[i]];
    if (s === undefined) return -1;
    if (t === undefined) return 1;
    const [sn, tn] = [/^\d+$/.test(s), /^\d+$/.test(t)];
    if (sn && tn && Number(s) !== Number(t)) return Math.sign(Number(s) - Number(t));
    if (sn !== tn) return sn ? -1 : 1;
    if (s !== t) return s < t ? -1 : 1;
  }
  return 0;
}

/** The newest of some versions (those that are not semver are left out). */
export function newestVersion(versions: Iterable<string>): string | null {
  let newest: string | null = null;
  for (const v of versions) {
    if (compareVersions(v, v) === null) continue;
    if (newest === null || (compareVersions(v, newest) ?? 0) > 0) newest = v;
  }
  return newest;
}

// ---- the view ----

/** The fleet as IT sees it: each counter's latest report and its flags, by centre. */
export function fleetView(rows: readonly FleetRow[], now: Date, settings: FleetSettings = {}): FleetView {
  const thresholds = {
    behindAfterMinutes: settings.behindAfterMinutes ?? FLEET_DEFAULTS.behindAfterMinutes,
    clockToleranceSeconds: settings.clockToleranceSeconds ?? FLEET_DEFAULTS.clockToleranceSeconds,
    silentAfterMinutes: settings.silentAfterMinutes ?? FLEET_DEFAULTS.silentAfterMinutes,
  };
  const currentVersion = settings.expectedVersion ?? newestVersion(rows.map((r) => r.appVersion));
  const flagged = Object.fromEntries(FLEET_FLAGS.map((f) => [f, 0])) as Record<FleetFlag, number>;
  const centres = new Map<string, FleetCounterView[]>();
  for (const row of rows) {
    const heardAt = Date.parse(row.receivedAt);
    const sinceReport = Math.max(0, Math.floor((now.getTime() - heardAt) / 1000));
    const oldestNow = row.pending > 0 && row.oldestPendingAgeSeconds !== null ? row.oldestPendingAgeSeconds + sinceReport : null;
    const flags: FleetFlag[] = [];
    if (oldestNow !== null && oldestNow > thresholds.behindAfterMinutes * 60) flags.push('behind');
    if (currentVersion !== null && (compareVersions(row.appVersion, currentVersion) ?? 0) < 0) flags.push('oldVersion');
    if (row.clockOffsetMs !== null && Math.abs(row.clockOffsetMs) > thresholds.clockToleranceSeconds * 1000) {
      flags.push('clockWrong');
    }
    if (row.printer.state === 'failed') flags.push('printerFailing');
    if (sinceReport > thresholds.silentAfterMinutes * 60) flags.push('silent');
    for (const f of flags) flagged[f]++;
    const list = centres.get(row.centreId) ?? [];
    list.push({ ...row, lastHeardSecondsAgo: sinceReport, oldestPendingAgeNowSeconds: oldestNow, flags });
    centres.set(row.centreId, list);
  }
  return {
    generatedAt: now.toISOString(),
    currentVersion,
    thresholds,
    flagged,
    centres: [...centres].map(([centreId, counters]) => ({ centreId, counters })),
  };
}

// ---- routes ----

/**
 * The portal's `Date` header from its own clock (counters measure their clock against it):
 * the same as Node's own header unless the portal runs on an injected clock (tests).
 */
export function dateFromClock(app: FastifyInstance, clock: () => Date): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('date', clock().toUTCString());
    return payload;
  });
}

export class Fleet {
  constructor(
    readonly store: FleetStoreApi,
    private readonly clock: () => Date,
    private readonly settings: FleetSettings = {},
  ) {}

  /** POST /v1/reports, inside the device-token API: `deviceOf` checks the report's centre against the token's. */
  deviceRoutes(api: FastifyInstance, deviceOf: (req: FastifyRequest, centreId: string) => Device): void {
    api.post('/v1/reports', { bodyLimit: 16 * 1024 }, async (req): Promise<FleetReportAnswer> => {
      const parsed = fleetReportSchema.safeParse(req.body);
      if (!parsed.success) throw new PortalError(400, 'invalid_request', describeIssues(parsed.error, undefined, 2000));
      const device = deviceOf(req, parsed.data.centreId);
      const { receivedAt } = await this.store.record(parsed.data, { tokenHash: device.tokenHash, now: this.clock() });
      return { stored: true, receivedAt };
    });
  }

  /** GET /admin/fleet, inside the admin API. */
  adminRoutes(admin: FastifyInstance): void {
    admin.get('/admin/fleet', async (req, reply) => {
      const query = z
        .object({ centreId: z.string().min(1).max(64).optional() })
        .strict()
        .safeParse(req.query);
      if (!query.success) throw new PortalError(400, 'invalid_request', describeIssues(query.error, undefined, 500));
      const view = fleetView(await this.store.all(), this.clock(), this.settings);
      reply.header('cache-control', 'no-store');
      const only = query.data.centreId;
      return only ? { ...view, centres: view.centres.filter((c) => c.centreId === only) } : view;
    });
  }

  /** The page (/fleet), its script and its style: no data in them, no token needed to load them. */
  pageRoutes(app: FastifyInstance): void {
    servePage(app, 'fleet', FLEET_PAGE_CSP, { html: FLEET_HTML, js: FLEET_JS, css: FLEET_CSS });
  }
}

export const FLEET_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const FLEET_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Counter fleet / काउंटरों की स्थिति</title>
<link rel="stylesheet" href="/fleet/fleet.css">
<script src="/fleet/fleet.js" defer></script>
</head>
<body>
<header>
<h1>Counter fleet <span lang="hi">/ काउंटरों की स्थिति</span></h1>
<button type="button" id="sign-out" hidden>Forget the token <span lang="hi">/ टोकन भूल जाएँ</span></button>
</header>
<main>
<form id="sign-in" hidden>
<p>The fleet view needs the portal's admin token. It is kept in this browser tab only, until the tab is closed.
<span lang="hi">काउंटरों की स्थिति देखने के लिए पोर्टल का एडमिन टोकन चाहिए। यह केवल इसी ब्राउज़र टैब में, टैब बंद होने तक, रखा जाता है।</span></p>
<label for="token">Admin token <span lang="hi">/ एडमिन टोकन</span></label>
<input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required aria-describedby="token-error">
<button type="submit">Show the fleet <span lang="hi">/ काउंटर दिखाएँ</span></button>
<p id="token-error" class="error" role="alert"></p>
</form>
<p id="status" role="status"></p>
<section id="summary" hidden></section>
<div id="centres"></div>
<section id="legend" hidden>
<h2>What the flags mean <span lang="hi">/ चिह्नों का अर्थ</span></h2>
<dl>
<dt>Behind on uploads <span lang="hi">/ अपलोड में पीछे</span></dt><dd>records have waited to upload for longer than the limit: the counter cannot reach the portal, or its uploads are refused.
<span lang="hi">रिकॉर्ड सीमा से अधिक समय से अपलोड की प्रतीक्षा में हैं: काउंटर पोर्टल तक नहीं पहुँच पा रहा, या उसके अपलोड अस्वीकार हो रहे हैं।</span></dd>
<dt>Old version <span lang="hi">/ पुराना संस्करण</span></dt><dd>the counter runs an older version than the one the fleet is held to.
<span lang="hi">काउंटर उस संस्करण से पुराना संस्करण चला रहा है जिस पर सभी काउंटर रखे गए हैं।</span></dd>
<dt>Clock wrong <span lang="hi">/ घड़ी ग़लत</span></dt><dd>the PC's clock is further from the portal's than the limit: the counter's day and every time it records come from that clock.
<span lang="hi">पीसी की घड़ी पोर्टल की घड़ी से सीमा से अधिक अलग है: काउंटर का दिन और उसका दर्ज किया हर समय इसी घड़ी से आता है।</span></dd>
<dt>Printer failing <span lang="hi">/ प्रिंटर विफल</span></dt><dd>the counter's latest slip of the day did not print.
<span lang="hi">काउंटर की आज की आख़िरी पर्ची नहीं छपी।</span></dd>
<dt>Not heard from <span lang="hi">/ संपर्क नहीं</span></dt><dd>no report for longer than the limit: the counter is off, offline, or cannot reach the portal.
<span lang="hi">सीमा से अधिक समय से कोई रिपोर्ट नहीं: काउंटर बंद है, ऑफ़लाइन है, या पोर्टल तक नहीं पहुँच पा रहा।</span></dd>
</dl>
</section>
</main>
</body>
</html>
`;

const FLEET_CSS = `
[hidden] { display: none !important; }
body { font: 15px/1.4 system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fafafa; }
header { display: flex; align-items: center; gap: 1rem; padding: 0.75rem 1rem; background: #0b3d5c; color: #fff; }
header h1 { font-size: 1.2rem; margin: 0; flex: 1; }
main { padding: 1rem; }
form { max-width: 32rem; display: grid; gap: 0.5rem; }
.error { color: #a00000; min-height: 1.2em; margin: 0; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; background: #fff; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #eef2f5; }
tr.flagged td:first-child { border-left: 4px solid #b35900; }
.flag { display: inline-block; margin: 0 0.25rem 0.25rem 0; padding: 0 0.4rem; border-radius: 3px; background: #ffe3c2; color: #5c2e00; }
.ok { color: #245b24; }
.label { color: #555; }
#summary { margin-bottom: 1rem; }
`;

/** The page's script: every value goes in through textContent, never as HTML. */
const FLEET_JS = `'use strict';
(function () {
  var KEY = 'fleet.adminToken';
  var FLAG_WORDS = {
    behind: 'Behind on uploads / अपलोड में पीछे',
    oldVersion: 'Old version / पुराना संस्करण',
    clockWrong: 'Clock wrong / घड़ी ग़लत',
    printerFailing: 'Printer failing / प्रिंटर विफल',
    silent: 'Not heard from / संपर्क नहीं'
  };
  var timer = null;
  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  /* a length of time; in Hindi (hi) days are दिन, the short units are the same */
  function duration(seconds, hi) {
    if (seconds === null || seconds === undefined) return '';
    var s = Math.abs(seconds);
    if (s < 60) return Math.round(s) + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min';
    if (s < 86400) return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
    return Math.floor(s / 86400) + (hi ? ' दिन' : ' days');
  }
  function clockText(ms) {
    if (ms === null || ms === undefined) return 'not measured yet / अभी मापा नहीं गया';
    if (Math.abs(ms) < 1000) return 'right / सही';
    var d = duration(Math.abs(ms) / 1000);
    var dHi = duration(Math.abs(ms) / 1000, true);
    return ms > 0 ? d + ' behind the portal / पोर्टल से ' + dHi + ' पीछे' : d + ' ahead of the portal / पोर्टल से ' + dHi + ' आगे';
  }
  function setStatus(text) { $('status').textContent = text; }
  function signIn(message) {
    if (timer) { clearInterval(timer); timer = null; }
    $('sign-in').hidden = false;
    $('sign-out').hidden = true;
    $('summary').hidden = true;
    $('legend').hidden = true;
    $('centres').replaceChildren();
    $('token-error').textContent = message || '';
    setStatus('');
    $('token').focus();
  }
  function row(c) {
    var tr = el('tr');
    tr.dataset.device = c.deviceId;
    tr.dataset.flags = c.flags.join(' ');
    if (c.flags.length > 0) tr.className = 'flagged';
    var who = el('td');
    who.appendChild(el('strong', c.counterCode));
    if (c.label) { who.appendChild(document.createTextNode(' ')); who.appendChild(el('span', c.label, 'label')); }
    who.appendChild(el('div', c.deviceId, 'label'));
    if (c.revoked) who.appendChild(el('div', 'its device token has been revoked / इसका डिवाइस टोकन रद्द किया जा चुका है', 'flag'));
    tr.appendChild(who);
    tr.appendChild(el('td', c.appVersion + ' (schema ' + c.schemaVersion + ')'));
    var waiting = el('td', c.pending === 0
      ? 'none / कोई नहीं'
      : c.pending + ', oldest ' + duration(c.oldestPendingAgeNowSeconds) + ' / ' +
        c.pending + ', सबसे पुराना ' + duration(c.oldestPendingAgeNowSeconds, true));
    waiting.appendChild(el('div', c.lastUploadAt
      ? 'last upload / आख़िरी अपलोड ' + new Date(c.lastUploadAt).toLocaleString('en-IN')
      : 'no upload yet / अभी कोई अपलोड नहीं', 'label'));
    tr.appendChild(waiting);
    tr.appendChild(el('td', clockText(c.clockOffsetMs)));
    var printer = c.printer.state === 'failed'
      ? 'last slip failed / आख़िरी पर्ची नहीं छपी' + (c.printer.errorCode ? ' (' + c.printer.errorCode + ')' : '')
      : c.printer.state === 'ok' ? 'printing / छप रही हैं' : 'no slip today / आज कोई पर्ची नहीं';
    tr.appendChild(el('td', printer));
    tr.appendChild(el('td', c.rosterPulledAt ? new Date(c.rosterPulledAt).toLocaleString('en-IN') : 'never / कभी नहीं'));
    tr.appendChild(el('td', duration(c.lastHeardSecondsAgo) + ' ago / ' + duration(c.lastHeardSecondsAgo, true) + ' पहले (' +
      new Date(c.receivedAt).toLocaleString('en-IN') + ')'));
    var flags = el('td');
    if (c.flags.length === 0) flags.appendChild(el('span', 'OK / ठीक', 'ok'));
    c.flags.forEach(function (f) {
      var b = el('span', FLAG_WORDS[f] || f, 'flag');
      b.dataset.flag = f;
      flags.appendChild(b);
    });
    tr.appendChild(flags);
    return tr;
  }
  function render(view) {
    var total = 0;
    var holder = $('centres');
    holder.replaceChildren();
    view.centres.forEach(function (centre) {
      var section = el('section');
      section.dataset.centre = centre.centreId;
      section.appendChild(el('h2', 'Centre / केंद्र ' + centre.centreId));
      var table = el('table');
      var head = el('tr');
      ['Counter / काउंटर', 'Version / संस्करण', 'Waiting to upload / अपलोड की प्रतीक्षा', 'Clock / घड़ी', 'Printer / प्रिंटर',
        'Roster pulled / रोस्टर लिया गया', 'Last heard from / आख़िरी संपर्क', 'Flags / चिह्न'].forEach(function (h) {
        head.appendChild(el('th', h));
      });
      var thead = el('thead');
      thead.appendChild(head);
      table.appendChild(thead);
      var body = el('tbody');
      centre.counters.forEach(function (c) { total++; body.appendChild(row(c)); });
      table.appendChild(body);
      section.appendChild(table);
      holder.appendChild(section);
    });
    var summary = $('summary');
    summary.replaceChildren();
    var t = view.thresholds;
    summary.appendChild(el('p', total + ' counters' + (view.currentVersion ? '; current version ' + view.currentVersion : '') +
      '; behind after ' + t.behindAfterMinutes + ' min, clock wrong past ' +
      t.clockToleranceSeconds + ' s, not heard from after ' + t.silentAfterMinutes + ' min.'));
    summary.appendChild(el('p', total + ' काउंटर' + (view.currentVersion ? '; वर्तमान संस्करण ' + view.currentVersion : '') +
      '; ' + t.behindAfterMinutes + ' min बाद अपलोड में पीछे, ' + t.clockToleranceSeconds + ' s से अधिक अंतर पर घड़ी ग़लत, ' +
      t.silentAfterMinutes + ' min बाद संपर्क नहीं।', null)).lang = 'hi';
    var counts = el('p');
    Object.keys(FLAG_WORDS).forEach(function (f) {
      var s = el('span', FLAG_WORDS[f] + ': ' + (view.flagged[f] || 0), 'flag');
      s.dataset.flagCount = f;
      counts.appendChild(s);
    });
    summary.appendChild(counts);
    summary.hidden = false;
    $('legend').hidden = false;
    setStatus(total === 0
      ? 'No counter has reported yet. / अभी तक किसी काउंटर ने रिपोर्ट नहीं भेजी।'
      : 'As of / स्थिति ' + new Date(view.generatedAt).toLocaleString('en-IN') + '.');
  }
  function load() {
    var token = sessionStorage.getItem(KEY);
    if (!token) return signIn('');
    $('sign-in').hidden = true;
    $('sign-out').hidden = false;
    fetch('/admin/fleet', {
      headers: { authorization: 'Bearer ' + token, accept: 'application/json' },
      cache: 'no-store',
      credentials: 'omit'
    }).then(function (res) {
      if (res.status === 401) {
        sessionStorage.removeItem(KEY);
        return signIn('The portal refused this admin token. / पोर्टल ने यह एडमिन टोकन अस्वीकार किया।');
      }
      if (res.status === 429) return setStatus('Too many wrong tokens from this address: try again in a minute. / इस पते से बहुत से ग़लत टोकन: एक मिनट बाद फिर कोशिश करें।');
      if (!res.ok) return setStatus('The portal answered ' + res.status + ': try again later. / पोर्टल ने ' + res.status + ' उत्तर दिया: बाद में कोशिश करें।');
      return res.json().then(render);
    }).catch(function (e) {
      setStatus('The portal could not be reached: ' + (e && e.message ? e.message : e) + ' / पोर्टल तक नहीं पहुँच सके।');
    });
  }
  document.addEventListener('DOMContentLoaded', function () {
    $('sign-in').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var token = $('token').value.trim();
      if (!token) { $('token-error').textContent = 'Enter the admin token. / एडमिन टोकन लिखें।'; return; }
      sessionStorage.setItem(KEY, token);
      $('token').value = '';
      load();
      if (!timer) timer = setInterval(load, 60000);
    });
    $('sign-out').addEventListener('click', function () {
      sessionStorage.removeItem(KEY);
      signIn('');
    });
    load();
    if (sessionStorage.getItem(KEY)) timer = setInterval(load, 60000);
  });
})();
`;
