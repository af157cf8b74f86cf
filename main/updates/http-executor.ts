/**
 * The HTTP client electron-updater uses for the feed (its own is replaced). It holds every
 * request to the feed policy (https, or http to loopback only, redirects included), gives up on
 * a server that is silent for `timeoutMs` (before answering or in the middle of a file), and
 * passes every response through the shared download cap. The requests themselves go through a
 * transport: Node's http/https by default (tests, benchmarks), Electron's net in the app (it
 * follows the PC's proxy settings; main/electron/updater.ts), which answers a redirect with a
 * 'redirect' event and has no socket to time out, so the timeout here is a timer of its own.
 */
import { EventEmitter } from 'node:events';
import http, { type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import https from 'node:https';
import { Transform, type TransformCallback } from 'node:stream';
import {
  configureRequestOptions,
  configureRequestUrl,
  HttpError,
  HttpExecutor,
  type CancellationToken,
  type DownloadOptions,
} from 'builder-util-runtime';
import { feedUrlRefusal } from './feed-policy';
import type { RateLimiter } from './throttle';

/** One request as electron-updater drives it: events 'error' (and 'redirect' from Electron's net), end(), abort(). */
export interface FeedRequest extends EventEmitter {
  end(): unknown;
  abort(): void;
}

/** Sends one request; calls `onResponse` with the response (status, headers, a readable body). */
export type FeedTransport = (options: RequestOptions, onResponse: (response: IncomingMessage) => void) => FeedRequest;

/** Node's http/https, a connection per request (a few requests every few hours need no pool). */
export const nodeTransport: FeedTransport = (options, onResponse) =>
  (options.protocol === 'http:' ? http : https).request({ ...options, agent: false }, onResponse);

/** A request refused before it is made: it fails on `end()` like a request that could not connect. */
class RefusedRequest extends EventEmitter {
  constructor(private readonly error: Error) {
    super();
  }
  end(): this {
    setImmediate(() => this.emit('error', this.error));
    return this;
  }
  abort(): void {}
}

export class FeedPolicyError extends Error {
  readonly code = 'ERR_COUNTER_FEED_NOT_HTTPS';
}

/** A small file of the feed (metadata, signature) that is larger than it may be: refused, not read to the end. */
export class FeedResponseTooLargeError extends Error {
  readonly code = 'ERR_COUNTER_FEED_TOO_LARGE';
  constructor(
    readonly url: string,
    readonly maxBytes: number,
  ) {
    super(`${url} is larger than ${String(maxBytes)} bytes`);
    this.name = 'FeedResponseTooLargeError';
  }
}

export interface BoundedFetchOptions {
  /** more than this many bytes (declared or received) and the request is stopped */
  maxBytes: number;
  cancellationToken: CancellationToken;
  headers?: Record<string, string>;
  /** a 404 or 410 answer resolves to null instead of failing */
  missingIsNull?: boolean;
}

export interface FeedHttpOptions {
  /** the shared download cap (null: none) */
  limiter: RateLimiter | null;
  /** a request that gets nothing for this long fails ("Request timed out") */
  timeoutMs: number;
  /** default: Node's http/https */
  transport?: FeedTransport;
}

const MAX_REDIRECTS = 5;

/** Set on a download's request options (and copied onto its redirects): told each request made for it. */
const ON_REQUEST = Symbol('onRequest');
type TrackedOptions = RequestOptions & { [ON_REQUEST]?: (request: FeedRequest) => void };

function declaredLength(response: IncomingMessage): number | null {
  const raw: unknown = response.headers['content-length'];
  const text = Array.isArray(raw) ? (raw[0] as unknown) : raw;
  if (typeof text !== 'string' || !/^\d{1,20}$/.test(text.trim())) return null;
  return Number(text.trim());
}

function urlOf(options: RequestOptions): string {
  const port = options.port ? `:${String(options.port)}` : '';
  return `${options.protocol ?? 'https:'}//${options.hostname ?? ''}${port}${options.path ?? '/'}`;
}

/** The body, through the download cap (if any), telling `onChunk` of each piece as it arrives. */
class BodyStream extends Transform {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly limiter: RateLimiter | null,
    private readonly onChunk: () => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.onChunk();
    const wait = this.limiter ? this.limiter.take(chunk.length) : 0;
    if (wait < 1) {
      callback(null, chunk);
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      callback(null, chunk);
    }, wait);
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    callback(error);
  }
}

/** The response as electron-updater reads it (status, headers, a readable body), its body through BodyStream. */
function wrapped(response: IncomingMessage, body: BodyStream): IncomingMessage {
  response.on('error', (err: Error) => body.destroy(err));
  response.on('aborted', () => body.destroy(new Error('the update feed closed the connection')));
  // a body given up on (too large, cancelled) stops the response under it too
  body.on('close', () => {
    if (!response.readableEnded && !response.destroyed) response.destroy();
  });
  response.pipe(body);
  return Object.assign(body, {
    statusCode: response.statusCode,
    statusMessage: response.statusMessage,
    headers: response.headers,
  }) as unknown as IncomingMessage;
}

export class FeedHttpExecutor extends HttpExecutor<ClientRequest> {
  private readonly transport: FeedTransport;

  constructor(private readonly options: FeedHttpOptions) {
    super();
    this.transport = options.transport ?? nodeTransport;
  }

  override createRequest(options: RequestOptions, callback: (response: IncomingMessage) => void): ClientRequest {
    // electron-updater arms its (socket) timeout from these same options right after this call
    options.timeout = this.options.timeoutMs;
    const refusal = feedUrlRefusal(urlOf(options));
    if (refusal) return new RefusedRequest(new FeedPolicyError(refusal)) as unknown as ClientRequest;
    let timer: NodeJS.Timeout | null = null;
    let done = false;
    const stop = () => {
      done = true;
      if (timer) clearTimeout(timer);
      timer = null;
    };
    const request = this.transport(options, (response) => {
      const body = new BodyStream(this.options.limiter, arm);
      body.on('end', stop);
      body.on('close', stop);
      arm();
      callback(wrapped(response, body));
    });
    function arm(): void {
      if (done) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        stop();
        request.emit('error', new Error('Request timed out'));
        request.abort();
      }, options.timeout);
      timer.unref?.();
    }
    request.on('error', stop);
    request.on('close', stop);
    arm();
    (options as TrackedOptions)[ON_REQUEST]?.(request);
    return request as unknown as ClientRequest;
  }

  /** Electron's net reports a redirect as an event (Node's response carries a location header instead). */
  protected override addRedirectHandlers(
    request: FeedRequest,
    options: RequestOptions,
    reject: (error: Error) => void,
    redirectCount: number,
    handler: (options: RequestOptions) => void,
  ): void {
    request.on('redirect', (_status: number, _method: string, redirectUrl: string) => {
      request.abort();
      if (redirectCount >= MAX_REDIRECTS) reject(this.createMaxRedirectError());
      else handler(HttpExecutor.prepareRedirectUrlOptions(redirectUrl, options));
    });
  }

  /**
   * A small file of the feed, read only up to `maxBytes`: a larger content-length is refused
   * before any of the body is read, and a body that goes past the limit (no content-length, or
   * a false one) is stopped there and its connection closed. Cancelling the token stops it too.
   * Redirects are followed (at most 5), each held to the feed policy by createRequest.
   */
  async fetchBounded(url: URL, o: BoundedFetchOptions): Promise<Buffer | null> {
    return await o.cancellationToken.createPromise<Buffer | null>((resolve, reject, onCancel) => {
      let current: FeedRequest | null = null;
      let body: IncomingMessage | null = null;
      let settled = false;
      const stop = () => {
        body?.destroy();
        current?.abort();
      };
      const settle = (error: Error | null, value: Buffer | null = null) => {
        if (settled) return;
        settled = true;
        if (error) {
          stop();
          reject(error);
        } else resolve(value);
      };
      onCancel(() => {
        settled = true;
        stop();
      });
      const send = (options: RequestOptions, redirects: number): void => {
        if (settled) return;
        const target = urlOf(options);
        const request: FeedRequest = this.createRequest(options, (response) => {
          if (settled) {
            response.destroy();
            return;
          }
          body = response;
          response.on('error', (err: Error) => settle(err));
          const status = response.statusCode ?? 0;
          const location = response.headers.location;
          if (status >= 300 && status < 400 && typeof location === 'string') {
            response.destroy();
            request.abort();
            if (redirects >= MAX_REDIRECTS) settle(this.createMaxRedirectError());
            else send(HttpExecutor.prepareRedirectUrlOptions(location, options), redirects + 1);
            return;
          }
          if ((status === 404 || status === 410) && o.missingIsNull) {
            response.destroy();
            request.abort();
            settle(null, null);
            return;
          }
          if (status < 200 || status >= 300) {
            settle(new HttpError(status, `${String(status)} ${response.statusMessage ?? ''} from ${target}`.trim()));
            return;
          }
          const declared = declaredLength(response);
          if (declared !== null && declared > o.maxBytes) {
            settle(new FeedResponseTooLargeError(target, o.maxBytes));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            if (settled) return;
            size += chunk.length;
            if (size > o.maxBytes) {
              settle(new FeedResponseTooLargeError(target, o.maxBytes));
              return;
            }
            chunks.push(chunk);
          });
          response.on('end', () => settle(null, Buffer.concat(chunks)));
        }) as unknown as FeedRequest;
        current = request;
        request.on('error', (err: Error) => settle(err));
        this.addRedirectHandlers(
          request,
          options,
          (err) => settle(err),
          redirects,
          (next) => {
            send(next, redirects + 1);
          },
        );
        request.end();
      };
      const options: RequestOptions = { headers: { ...o.headers } };
      configureRequestUrl(url, options);
      configureRequestOptions(options);
      send(options, 0);
    });
  }

  /** Downloads `url` to `destination`, checking the sha512 in `options` as it arrives (electron-updater's DigestTransform). */
  async download(url: URL, destination: string, options: DownloadOptions): Promise<string> {
    return await options.cancellationToken.createPromise<string>((resolve, reject, onCancel) => {
      let current: FeedRequest | null = null;
      const requestOptions: TrackedOptions = { headers: options.headers ?? undefined, [ON_REQUEST]: (r) => (current = r) };
      configureRequestUrl(url, requestOptions);
      configureRequestOptions(requestOptions);
      onCancel(() => current?.abort());
      this.doDownload(
        requestOptions,
        {
          destination,
          options,
          onCancel,
          callback: (error) => (error == null ? resolve(destination) : reject(error)),
          responseHandler: null,
        },
        0,
      );
    });
  }
}
