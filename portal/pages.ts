/**
 * The portal's own pages for people (/fleet, /district): their headers and how their files are
 * served. A page holds no data and needs no token to load; it asks for the admin token and
 * fetches its JSON from its own origin, under a CSP that allows only its own files.
 */
import type { FastifyInstance } from 'fastify';

/** The headers of every file of a page: its CSP, no sniffing, no referrer, no framing, not cached. */
function pageHeaders(csp: string): Record<string, string> {
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}

/** Serves a page's HTML, script and style at `/name`, `/name/name.js` and `/name/name.css`; returns its headers. */
export function servePage(
  app: FastifyInstance,
  name: string,
  csp: string,
  files: { html: string; js: string; css: string },
): Record<string, string> {
  const headers = pageHeaders(csp);
  const serve = (url: string, type: string, body: string) =>
    app.get(url, async (_req, reply) => reply.headers(headers).type(type).send(body));
  serve(`/${name}`, 'text/html; charset=utf-8', files.html);
  serve(`/${name}/${name}.js`, 'text/javascript; charset=utf-8', files.js);
  serve(`/${name}/${name}.css`, 'text/css; charset=utf-8', files.css);
  return headers;
}
