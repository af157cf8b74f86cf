/**
 * The update feed, served read-only from a folder at /updates/... (`--updates-dir`), so a
 * district runs one server for sync and updates. A plain static server: what a counter checks
 * (the metadata's Ed25519 signature, each file's sha512) was fixed when the release was
 * signed, so nothing here is trusted. No directory listings, no way out of the folder (no `..`,
 * no hidden files, no symbolic link that leads outside), one byte range per request (resumed
 * downloads), and metadata that is never cached.
 */
import { createReadStream, realpathSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';

export const UPDATES_PREFIX = '/updates/';

const CONTENT_TYPES: Record<string, string> = {
  '.yml': 'text/yaml; charset=utf-8',
  '.yaml': 'text/yaml; charset=utf-8',
  '.sig': 'text/plain; charset=utf-8',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.exe': 'application/vnd.microsoft.portable-executable',
  '.msi': 'application/x-msi',
  '.deb': 'application/vnd.debian.binary-package',
  '.appimage': 'application/octet-stream',
  '.blockmap': 'application/octet-stream',
  '.zip': 'application/zip',
  '.7z': 'application/x-7z-compressed',
};
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/;

/**
 * The file a request path (below /updates/, still URL-encoded, query stripped) names inside
 * `root`, or null: not a plain name, outside the folder, hidden, a folder, or absent.
 */
export function updateFilePath(root: string, encodedPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(encodedPath);
  } catch {
    return null;
  }
  if (decoded.length === 0 || decoded.length > 400) return null;
  const segments = decoded.split('/');
  if (!segments.every((s) => SEGMENT.test(s) && !s.includes('..'))) return null;
  let realRoot: string;
  let real: string;
  try {
    realRoot = realpathSync(root);
    real = realpathSync(join(realRoot, ...segments));
  } catch {
    return null;
  }
  if (!real.startsWith(realRoot + sep)) return null;
  try {
    if (!statSync(real).isFile()) return null;
  } catch {
    return null;
  }
  return real;
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** One byte range of `size` ("bytes=a-b", "bytes=a-", "bytes=-n"); null: the whole file; 'bad': not satisfiable. */
export function byteRange(header: string | undefined, size: number): { start: number; end: number } | null | 'bad' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // several ranges, or another unit: answered with the whole file, as HTTP allows
  if (!m) return null;
  const [, a, b] = m;
  if (a === '' && b === '') return 'bad';
  let start: number;
  let end: number;
  if (a === '') {
    const n = Number(b);
    if (n === 0) return 'bad';
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  }
  if (start >= size || start > end) return 'bad';
  return { start, end };
}

/** Answers a GET or HEAD for `encodedPath` (below /updates/) from `root`. */
export function serveUpdateFile(root: string, encodedPath: string, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendText(res, 405, 'only GET and HEAD\n', { allow: 'GET, HEAD' });
    return;
  }
  const file = updateFilePath(root, encodedPath);
  if (!file) {
    sendText(res, 404, 'no such update file\n');
    return;
  }
  const stat = statSync(file);
  const ext = extname(file).toLowerCase();
  const headers: Record<string, string | number> = {
    'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
    'accept-ranges': 'bytes',
    'last-modified': stat.mtime.toUTCString(),
    'x-content-type-options': 'nosniff',
    // the metadata and its signature change with every release; installers are named by version
    'cache-control': ext === '.yml' || ext === '.yaml' || ext === '.sig' ? 'no-cache' : 'public, max-age=300',
  };
  const range = byteRange(req.headers.range, stat.size);
  if (range === 'bad') {
    sendText(res, 416, 'range not satisfiable\n', { 'content-range': `bytes */${stat.size}` });
    return;
  }
  const { start, end } = range ?? { start: 0, end: stat.size - 1 };
  const length = stat.size === 0 ? 0 : end - start + 1;
  if (range) headers['content-range'] = `bytes ${start}-${end}/${stat.size}`;
  headers['content-length'] = length;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  const stream = createReadStream(file, { start, end });
  stream.on('error', () => res.destroy());
  res.on('close', () => stream.destroy());
  stream.pipe(res);
}

/** Adds GET/HEAD /updates/* to the portal, serving `root` read-only. */
export function registerUpdateFeed(app: FastifyInstance, root: string): void {
  // a missing folder fails at start, not on the first request
  let isFolder = false;
  try {
    isFolder = statSync(realpathSync(root)).isDirectory();
  } catch {
    isFolder = false;
  }
  if (!isFolder) throw new Error(`the update feed folder ${root} does not exist or is not a folder (--updates-dir)`);
  app.route({
    method: ['GET', 'HEAD'],
    url: `${UPDATES_PREFIX}*`,
    handler: (request, reply) => {
      reply.hijack();
      const raw = request.raw.url ?? '';
      const path = raw.slice(UPDATES_PREFIX.length).split('?')[0] ?? '';
      serveUpdateFile(root, path, request.raw, reply.raw);
    },
  });
}
