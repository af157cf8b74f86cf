import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { MAX_ROSTER_BYTES } from '../../common/contract';
import { fail } from '../../common/result';
import { createDispatcher } from '../ipc/dispatcher';
import { CONTENT_SECURITY_POLICY } from '../security/csp';
import type { CounterBackend } from '../counter';

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
  url: string;
  port: number;
  close(): Promise<void>;
}

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

/**
 * Serves the built renderer to a browser and implements `window.counter` by calling the
 * same dispatcher, backend and SQLite file as Electron's ipcMain path. Listens on
 * 127.0.0.1 only; checks the Host header (no DNS rebinding) and a per-run secret on
 * every call (no cross-site requests).
 */
export async function startWebBridge(options: WebBridgeOptions): Promise<WebBridge> {
  const { backend } = options;
  const dispatch = createDispatcher(backend, { validateResponses: options.validateResponses ?? false });
  const secret = randomBytes(24).toString('base64url');
  const rendererRoot = resolve(options.rendererDir);
  const streams = new Set<ServerResponse>();
  const onEvent = (event: unknown) => {
    for (const s of streams) s.write(`data: ${JSON.stringify(event)}\n\n`);
  };
  backend.events.on('event', onEvent);
  let port = options.port;

  const secretOk = (given: string | undefined | null) => {
    if (!given) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(secret);
    return a.length === b.length && timingSafeEqual(a, b);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      backend.log.error({ err: e }, 'web bridge request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error');
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return send(res, 421, 'text/plain', 'wrong host');
    const url = new URL(req.url ?? '/', `http://${host}`);
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');

    if (url.pathname.startsWith('/rpc/')) {
      if (req.method !== 'POST') return send(res, 405, 'text/plain', 'POST only');
      if (!secretOk(req.headers['x-counter-secret'] as string | undefined)) return send(res, 403, 'text/plain', 'forbidden');
      const method = decodeURIComponent(url.pathname.slice('/rpc/'.length));
      let payload: unknown;
      try {
        payload = JSON.parse(await readBody(req));
      } catch (e) {
        const tooLarge = (e as Error).message === 'too large';
        return sendJson(res, tooLarge ? 413 : 400, fail('VALIDATION', tooLarge ? 'request too large' : 'request is not JSON'));
      }
      return sendJson(res, 200, await dispatch(method, payload));
    }
    if (url.pathname === '/events') {
      if (!secretOk(url.searchParams.get('secret'))) return send(res, 403, 'text/plain', 'forbidden');
      res.writeHead(200, { 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
      res.write(': connected\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'GET only');
    if (url.pathname === '/counter-bridge.js') {
      return send(res, 200, MIME['.js']!, await readFile(options.bridgeScript));
    }
    if (url.pathname === '/' || url.pathname === '/index.html') {
      const html = await readFile(join(rendererRoot, 'index.html'), 'utf8');
      // the bridge script must run before the app's module script
      const tag = `<script src="/counter-bridge.js" data-secret="${secret}"></script>`;
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
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () =>
      new Promise<void>((ok) => {
        backend.events.off('event', onEvent);
        for (const s of streams) s.end();
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
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
