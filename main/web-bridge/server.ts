import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { MAX_ROSTER_BYTES } from '../../common/contract';
import { fail } from '../../common/result';
import { createDispatcher } from '../ipc/dispatcher';
import { CONTENT_SECURITY_POLICY } from '../security/csp';
import type { CounterBackend } from '../counter';
import { boardSourceOf, createBoardRoutes } from './board-routes';
import { createCallSocket, SOCKET_PATH } from './call-socket';

export interface WebBridgeOptions {
  backend: CounterBackend;
  /** built renderer (out/renderer) */
  rendererDir: string;
  /** built browser client (out/web-bridge/counter-bridge.js) */
  bridgeScript: string;
  /** 0 picks a free port */
  port: number;
  validateResponses?: boolean;
}

export interface WebBridge {
  /** the bare address: without the session cookie it serves only a page saying how to open the counter */
  url: string;
  /** `url` with the one-time launch token: the first browser to open it gets the session cookie */
  launchUrl: string;
  /** the waiting hall's board, read-only, with its own key in the fragment: `${url}board#key=…` */
  boardUrl: string;
  port: number;
  close(): Promise<void>;
}

/** The header every call and event stream must carry: a cross-site form or simple request cannot send it. */
export const REQUEST_HEADER = 'x-counter-request';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};
const MAX_BODY = MAX_ROSTER_BYTES + 1024 * 1024;

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Serves the built renderer to a browser and implements `window.counter` by calling the
 * same dispatcher, backend and SQLite file as Electron's ipcMain path. Listens on
 * 127.0.0.1 only and checks the Host header (no DNS rebinding).
 *
 * Sign-in as a notebook server does it: the printed launch URL carries a one-time token;
 * the first request with it gets an HttpOnly, SameSite=Strict cookie holding a random
 * session ID and is sent on to the bare URL, and the token is spent. The app page, the
 * calls and the event stream need that cookie; calls and events over HTTP also need the
 * `X-Counter-Request` header, which a page of another site cannot send here (no CORS
 * headers are ever sent). The page itself calls and hears events on one WebSocket
 * (call-socket.ts), opened only with the cookie and from the page's own origin. Another OS user of the PC can connect to the port but holds
 * neither the token (printed on the bridge's own output, not on its command line) nor
 * the cookie (in this user's browser profile).
 */
export async function startWebBridge(options: WebBridgeOptions): Promise<WebBridge> {
  const { backend } = options;
  const dispatch = createDispatcher(backend, { validateResponses: options.validateResponses ?? false });
  const rendererRoot = resolve(options.rendererDir);
  const launchToken = randomBytes(32).toString('base64url');
  let launchTokenSpent = false;
  /** sha256 of the session ID -> the client ID given to the dispatcher (not the cookie itself, which is never logged) */
  const sessions = new Map<string, string>();
  const streams = new Set<ServerResponse>();
  const calls = createCallSocket({
    maxPayload: MAX_BODY,
    dispatch,
    onError: (e) => backend.log.error({ err: e }, 'web bridge call failed'),
  });
  const onEvent = (event: unknown) => {
    calls.broadcast(event);
    for (const s of streams) s.write(`data: ${JSON.stringify(event)}\n\n`);
  };
  backend.events.on('event', onEvent);
  let port = options.port;
  let cookieName = '';
  const boardRoutes = createBoardRoutes(
    boardSourceOf(backend),
    () => readFile(join(rendererRoot, 'board.html')),
    (e) => backend.log.error({ err: e }, 'board speech failed'),
  );

  /** the client ID of the request's session cookie, or null */
  const sessionOf = (req: IncomingMessage): string | null => {
    for (const value of cookieValues(req.headers.cookie, cookieName)) {
      const clientId = sessions.get(digest(value).toString('hex'));
      if (clientId) return clientId;
    }
    return null;
  };
  const launchTokenOk = (given: string) => timingSafeEqual(digest(given), digest(launchToken)) && !launchTokenSpent;

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      backend.log.error({ err: e }, 'web bridge request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error');
      else res.end();
    });
  });

  // the page's socket: the same checks as a call over HTTP, the page's own origin required
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    // the refusal is written and the socket closed whatever the client does with its side
    const refuse = (status: string) =>
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return refuse('421 Misdirected Request');
    // the path compared as sent: a target that is not a URL (Node's parser lets some through) is refused, not parsed
    if ((req.url ?? '').split('?')[0] !== SOCKET_PATH) return refuse('404 Not Found');
    const clientId = sessionOf(req);
    // a page of another site may open a socket to any address, with this browser's cookies
    // when the site is the same: its Origin is what tells it apart
    if (!clientId || req.headers.origin !== `http://${host}`) return refuse('403 Forbidden');
    calls.accept(req, socket, head, clientId);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return send(res, 421, 'text/plain', 'wrong host');
    const url = new URL(req.url ?? '/', `http://${host}`);
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    // the board's routes take only the board's key (never the operator's session) and open nothing else
    if (await boardRoutes.handle(req, res, url, host)) return;

    if (url.pathname.startsWith('/rpc/') || url.pathname === '/events') {
      const origin = req.headers.origin;
      const clientId = sessionOf(req);
      if (!clientId || req.headers[REQUEST_HEADER] !== '1' || (origin !== undefined && origin !== `http://${host}`)) {
        return sendJson(res, 403, fail('FORBIDDEN', 'open the counter with the link it printed when it started'));
      }
      if (url.pathname === '/events') {
        if (req.method !== 'GET') return send(res, 405, 'text/plain', 'GET only');
        res.writeHead(200, { 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
        res.write(': connected\n\n');
        streams.add(res);
        req.on('close', () => streams.delete(res));
        return;
      }
      if (req.method !== 'POST') return send(res, 405, 'text/plain', 'POST only');
      const method = decodeURIComponent(url.pathname.slice('/rpc/'.length));
      let payload: unknown;
      try {
        payload = JSON.parse(await readBody(req));
      } catch (e) {
        const tooLarge = (e as Error).message === 'too large';
        return sendJson(res, tooLarge ? 413 : 400, fail('VALIDATION', tooLarge ? 'request too large' : 'request is not JSON'));
      }
      return sendJson(res, 200, await dispatch(method, payload, clientId));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'GET only');
    if (url.pathname === '/counter-bridge.js') {
      return send(res, 200, MIME['.js']!, await readFile(options.bridgeScript));
    }
    if (url.pathname === '/' || url.pathname === '/index.html') {
      const token = url.searchParams.get('token');
      if (token !== null) {
        // only a GET spends the token: a HEAD (a link checker, a preview) must not use it up
        if (req.method === 'GET' && launchTokenOk(token)) {
          launchTokenSpent = true;
          const sessionId = randomBytes(32).toString('base64url');
          sessions.set(digest(sessionId).toString('hex'), `web-${randomUUID()}`);
          res.setHeader('Set-Cookie', `${cookieName}=${sessionId}; HttpOnly; SameSite=Strict; Path=/`);
          res.setHeader('Location', '/');
          return send(res, 303, 'text/plain', 'signed in: go to /');
        }
        // a tab of the browser that already holds the session opened the link again
        if (sessionOf(req)) {
          res.setHeader('Location', '/');
          return send(res, 303, 'text/plain', 'go to /');
        }
        return send(res, 403, MIME['.html']!, howToOpenPage(true));
      }
      if (!sessionOf(req)) return send(res, 200, MIME['.html']!, howToOpenPage(false));
      const html = await readFile(join(rendererRoot, 'index.html'), 'utf8');
      // the bridge script must run before the app's module script
      const tag = `<script src="/counter-bridge.js"></script>`;
      return send(res, 200, MIME['.html']!, html.replace('<head>', `<head>\n    ${tag}`));
    }
    const file = normalize(join(rendererRoot, decodeURIComponent(url.pathname)));
    if (!file.startsWith(rendererRoot + sep)) return send(res, 404, 'text/plain', 'not found');
    try {
      return send(res, 200, MIME[extname(file)] ?? 'application/octet-stream', await readFile(file));
    } catch {
      return send(res, 404, 'text/plain', 'not found');
    }
  }

  await new Promise<void>((ok, bad) => {
    server.once('error', bad);
    server.listen(options.port, '127.0.0.1', () => ok());
  });
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : options.port;
  // cookies are kept per host, not per port: two bridges on one PC must not overwrite each other's
  cookieName = `counter_session_${port}`;
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    launchUrl: `${url}?token=${launchToken}`,
    boardUrl: `${url}board#key=${boardRoutes.key}`,
    port,
    close: () =>
      new Promise<void>((ok) => {
        backend.events.off('event', onEvent);
        boardRoutes.close();
        // the browsers' sessions end with the bridge: a cookie of this run opens nothing later
        for (const clientId of sessions.values()) backend.endSession(clientId);
        sessions.clear();
        launchTokenSpent = true;
        for (const s of streams) s.end();
        calls.close();
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

/** The values of every cookie named `name` in a Cookie header (a stray cookie of the same name may come first). */
function cookieValues(header: string | undefined, name: string): string[] {
  if (!header) return [];
  const values: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1).trim());
  }
  return values;
}

/** What a browser without the session cookie sees: how to open the counter, and nothing else. */
function howToOpenPage(linkUsed: boolean): string {
  const used = linkUsed
    ? `<p>That link has been used already, or is not this counter's. Each link signs in one browser, once.</p>
    <p lang="hi">यह लिंक पहले ही इस्तेमाल हो चुका है, या इस काउंटर का नहीं है। हर लिंक एक ही ब्राउज़र में, एक ही बार साइन इन करता है।</p>`
    : '';
  return `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>Registration counter</title></head>
  <body>
    <h1>Registration counter</h1>
    ${used}
    <p>Open the counter with the link printed by <code>npm run web</code> or <code>npm run demo</code> in the
    terminal where it started on this PC (it looks like <code>http://127.0.0.1:5174/?token=…</code>).
    Tabs of the same browser share it. To open the counter in another browser, stop the counter and start it again:
    it prints a new link.</p>
    <p lang="hi">काउंटर उस लिंक से खोलें जो इस पीसी पर <code>npm run web</code> या <code>npm run demo</code> ने शुरू होते समय
    टर्मिनल में छापा था (जैसे <code>http://127.0.0.1:5174/?token=…</code>)। उसी ब्राउज़र के सभी टैब उसे साझा करते हैं।
    किसी दूसरे ब्राउज़र में खोलने के लिए काउंटर बंद करके फिर से शुरू करें: वह नया लिंक छापेगा।</p>
  </body>
</html>
`;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'Content-Type': type });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((ok, bad) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        bad(new Error('too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => ok(Buffer.concat(chunks).toString('utf8')));
    req.on('error', bad);
  });
}
