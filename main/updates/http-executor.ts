/**
 * The HTTP client electron-updater uses for the feed (its own Electron one is replaced): Node's
 * http/https, so it runs the same in the app and under Node in tests. It holds every request
 * to the feed policy (https, or http to loopback only, redirects included), gives up on a
 * silent server after `timeoutMs`, and passes every response through the shared download cap.
 */
import { EventEmitter } from 'node:events';
import http, { type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import https from 'node:https';
import { configureRequestOptions, configureRequestUrl, HttpExecutor, type DownloadOptions } from 'builder-util-runtime';
import { feedUrlRefusal } from './feed-policy';
import { RateLimiter, ThrottleStream } from './throttle';

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
  destroy(): this {
    return this;
  }
}

export class FeedPolicyError extends Error {
  readonly code = 'ERR_COUNTER_FEED_NOT_HTTPS';
}

export interface FeedHttpOptions {
  /** the shared download cap (null: none) */
  limiter: RateLimiter | null;
  /** a request whose socket is silent this long fails ("Request timed out") */
  timeoutMs: number;
}

/** Set on a download's request options (and copied onto its redirects): told each request made for it. */
const ON_REQUEST = Symbol('onRequest');
type TrackedOptions = RequestOptions & { [ON_REQUEST]?: (request: ClientRequest) => void };

function urlOf(options: RequestOptions): string {
  const port = options.port ? `:${String(options.port)}` : '';
  return `${options.protocol ?? 'https:'}//${options.hostname ?? ''}${port}${options.path ?? '/'}`;
}

/**
 * A throttled copy of the response that still looks like one to electron-updater (status,
 * headers, a readable stream of the body).
 */
function throttled(response: IncomingMessage, limiter: RateLimiter): IncomingMessage {
  const body = new ThrottleStream(limiter);
  response.on('error', (err) => body.destroy(err));
  response.on('aborted', () => body.destroy(new Error('the update feed closed the connection')));
  response.pipe(body);
  return Object.assign(body, {
    statusCode: response.statusCode,
    statusMessage: response.statusMessage,
    headers: response.headers,
  }) as unknown as IncomingMessage;
}

export class FeedHttpExecutor extends HttpExecutor<ClientRequest> {
  constructor(private readonly options: FeedHttpOptions) {
    super();
  }

  override createRequest(options: RequestOptions, callback: (response: IncomingMessage) => void): ClientRequest {
    // electron-updater arms its socket timeout from these same options right after this call
    options.timeout = this.options.timeoutMs;
    const url = urlOf(options);
    const refusal = feedUrlRefusal(url);
    if (refusal) return new RefusedRequest(new FeedPolicyError(refusal)) as unknown as ClientRequest;
    const transport = options.protocol === 'http:' ? http : https;
    const { limiter } = this.options;
    const request = transport.request(options, (response) => callback(limiter ? throttled(response, limiter) : response));
    (options as TrackedOptions)[ON_REQUEST]?.(request);
    return request;
  }

  /** Downloads `url` to `destination`, checking the sha512 in `options` as it arrives (electron-updater's DigestTransform). */
  async download(url: URL, destination: string, options: DownloadOptions): Promise<string> {
    return await options.cancellationToken.createPromise<string>((resolve, reject, onCancel) => {
      let current: ClientRequest | null = null;
      const requestOptions: TrackedOptions = { headers: options.headers ?? undefined, [ON_REQUEST]: (r) => (current = r) };
      configureRequestUrl(url, requestOptions);
      configureRequestOptions(requestOptions);
      onCancel(() => current?.destroy());
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
