/**
 * The counter's HTTP client for the portal's sync API. Every request has a hard deadline
 * (Node's fetch would wait 300 s for a hung server), every answer is read with a size limit
 * and checked against the protocol's schemas: a malformed, oversized or hostile answer is a
 * `bad_answer` failure, never data.
 */
import http from 'node:http';
import https from 'node:https';
import { Client } from 'undici';
import { z } from 'zod';
import {
  MAX_DISTRICT_SETTINGS_BYTES,
  errorBodySchema,
  fleetReportAnswerSchema,
  pushResponseSchema,
  checkRosterPage,
  rosterPageWireSchema,
  type CheckedRosterPage,
  type FleetReport,
  type FleetReportAnswer,
  type PushRequest,
  type PushResponse,
} from '../../common/sync-protocol';

export type PortalFailureKind =
  /** no answer before the deadline */
  | 'timeout'
  /** refused, reset, DNS: the portal could not be reached */
  | 'network'
  /** 5xx, 429: the portal is there but not taking work now */
  | 'unavailable'
  /** 401/403: this counter's token is unknown, revoked or for another centre */
  | 'unauthorized'
  /** 409: the portal expects another sequence number */
  | 'sequence_gap'
  /** 400 invalid_cursor: the roster cursor is not usable; pull again from the start */
  | 'invalid_cursor'
  /** the portal refused the request itself (400, 413): a counter-side defect, logged */
  | 'refused'
  /** an answer that is not what the protocol says */
  | 'bad_answer'
  /** the portal lacks acknowledged records this counter no longer keeps: hospital IT must act */
  | 'records_lost';

export class PortalFailure extends Error {
  constructor(
    readonly kind: PortalFailureKind,
    message: string,
    readonly status: number | null = null,
    /** the portal's Retry-After, in ms */
    readonly retryAfterMs: number | null = null,
    readonly expectedSeq: number | null = null,
  ) {
    super(message);
    this.name = 'PortalFailure';
  }

  /** Worth trying again later with backoff (everything is: nothing here rejects a record). */
  get transient(): boolean {
    return true;
  }
}

export interface PortalClientOptions {
  baseUrl: string;
  deviceToken: string;
  /**
   * hard deadline of one request, body included; the sync engine sets its own on its clock
   * and gives none here
   */
  timeoutMs?: number;
  /** largest answer read; bigger ones are refused as bad answers */
  maxAnswerBytes?: number;
  /**
   * the counter's wall clock (ms), against which the portal's Date header is measured: the
   * sync engine's clock; Date.now unless a test passes its own
   */
  wallClock?: () => number;
}

/** An answer as read: status, headers, body text (within the size limit), and when it was sent and answered. */
interface Answer {
  status: number;
  header(name: string): string | null;
  text: string;
  sentAt: number;
  answeredAt: number;
}

/** A sample of the portal's clock: its Date header, and when the request went and its answer came (the counter's clock). */
export interface ClockSample {
  portalDate: number;
  sentAt: number;
  answeredAt: number;
}

/** A sample from a request out for longer than this says too little about the clock (its midpoint is too uncertain). */
const MAX_SAMPLE_ROUND_TRIP_MS = 30_000;

/**
 * The portal's clock minus the counter's, in ms: the Date header (whole seconds, so its
 * middle, +500 ms) against the middle of the request's send and answer.
 */
export function clockOffsetOf(sample: ClockSample): number {
  return Math.round(sample.portalDate + 500 - (sample.sentAt + sample.answeredAt) / 2);
}

const DEFAULT_MAX_ANSWER = 16 * 1024 * 1024;

/**
 * Pushes out at once on the upload connection: the uploader sends the next batch while the
 * portal works on one (HTTP/1.1 pipelining; the answers come in the order sent).
 */
export const PUSH_PIPELINE = 2;

/** How an exchange goes out: on a node:http agent, or pipelined on the upload connection. */
type Via = { agent: http.Agent } | { line: Client };

export class PortalClient {
  private readonly base: string;
  private readonly maxAnswer: number;
  /** one kept-alive connection for roster pages and settings: requests go one at a time */
  private readonly agent: http.Agent;
  /**
   * uploads: a kept-alive connection of their own, with up to PUSH_PIPELINE requests on it. A
   * push is not idempotent in HTTP's terms, but it is in the sync protocol's (a batch sent
   * again, in whole or in part, is answered from what the portal holds, by sequence number
   * and mutation ID), which is what RFC 9112 asks of a client that pipelines after one.
   */
  private readonly pushLine: Client;
  /** probes go on a connection of their own each: not behind a hung upload, not on its dead socket */
  private readonly probeAgent: http.Agent;
  /** fleet reports go on a connection of their own: never queued before an upload, nor an upload before them */
  private readonly reportAgent: http.Agent;
  private readonly wallClock: () => number;
  private lastSample: ClockSample | null = null;

  constructor(private readonly options: PortalClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.maxAnswer = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER;
    const url = new URL(this.base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`portal URL must be http(s): ${this.base}`);
    this.agent =
      url.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: 1 })
        : new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.pushLine = new Client(url.origin, { pipelining: PUSH_PIPELINE });
    this.probeAgent = url.protocol === 'https:' ? new https.Agent({ keepAlive: false }) : new http.Agent({ keepAlive: false });
    this.reportAgent = url.protocol === 'https:' ? new https.Agent({ keepAlive: false }) : new http.Agent({ keepAlive: false });
    this.wallClock = options.wallClock ?? Date.now;
  }

  /** The latest sample of the portal's clock (any answer with a Date header); null before one. */
  clockSample(): ClockSample | null {
    return this.lastSample;
  }

  /** The portal's clock minus this counter's, in ms, from the latest sample; null before one. */
  clockOffsetMs(): number | null {
    return this.lastSample ? clockOffsetOf(this.lastSample) : null;
  }

  /** Reads the portal's Date header of an answer as a sample of its clock. */
  private sampled(answer: Answer): Answer {
    const date = answer.header('date');
    const portalDate = date ? Date.parse(date) : NaN;
    if (!Number.isNaN(portalDate) && answer.answeredAt - answer.sentAt <= MAX_SAMPLE_ROUND_TRIP_MS) {
      this.lastSample = { portalDate, sentAt: answer.sentAt, answeredAt: answer.answeredAt };
    }
    return answer;
  }

  /**
   * Sends this counter's report of itself for the fleet view (POST /v1/reports), on its own
   * connection. The caller gives it a deadline and lets a failure go (tried again later).
   */
  report(report: FleetReport, signal: AbortSignal): Promise<FleetReportAnswer> {
    return this.call('POST', '/v1/reports', fleetReportAnswerSchema, JSON.stringify(report), signal, { agent: this.reportAgent });
  }

  /** Closes the kept-alive connection. */
  close(): void {
    this.agent.destroy();
    void this.pushLine.destroy().catch(() => undefined);
    this.probeAgent.destroy();
    this.reportAgent.destroy();
  }

  /**
   * Asks whether the portal answers, cheaply: the first entry of a day's roster, on a new
   * connection. Any answer counts, a refusal or a 503 included (the portal is there); only
   * no answer (the signal ended it, the network) rejects. It is a request of the sync API
   * itself, not a bare health check: a portal whose API hangs while its health page answers
   * is not taken for back.
   */
  async probe(centreId: string, day: string, signal: AbortSignal): Promise<void> {
    const path = `/v1/centres/${encodeURIComponent(centreId)}/roster/${encodeURIComponent(day)}?limit=1`;
    try {
      this.sampled(
        await exchange(new URL(this.base + path), {
          method: 'GET',
          headers: { authorization: `Bearer ${this.options.deviceToken}`, accept: 'application/json' },
          body: undefined,
          signal,
          agent: this.probeAgent,
          maxBytes: 64 * 1024,
          now: this.wallClock,
        }),
      );
    } catch (e) {
      if (e instanceof PortalFailure && e.kind === 'bad_answer') return; // an answer all the same
      throw new PortalFailure('network', describeNetworkError(e));
    }
  }

  push(request: PushRequest | string, signal?: AbortSignal): Promise<PushResponse> {
    const body = typeof request === 'string' ? request : JSON.stringify(request);
    return this.call('POST', '/v1/push', pushResponse, body, signal, { line: this.pushLine });
  }

  async rosterPage(
    centreId: string,
    day: string,
    cursor: string | null,
    limit: number,
    signal?: AbortSignal,
  ): Promise<CheckedRosterPage> {
    const q = new URLSearchParams({ limit: String(limit) });
    if (cursor) q.set('cursor', cursor);
    const path = `/v1/centres/${encodeURIComponent(centreId)}/roster/${encodeURIComponent(day)}?${q}`;
    return checkRosterPage(await this.call('GET', path, rosterPageWireSchema, undefined, signal));
  }

  /**
   * The centre's district settings if newer than `known`: the JSON as received, checked by
   * main/services/district-settings.ts before anything is applied (a refusal there is logged
   * and keeps the old set). null when there is nothing newer (304), or the portal has no
   * district settings at all (404).
   */
  async districtSettings(centreId: string, known: number, signal: AbortSignal): Promise<unknown> {
    const path = `/v1/centres/${encodeURIComponent(centreId)}/settings?known=${known}`;
    let res: Answer;
    try {
      res = await exchange(new URL(this.base + path), {
        method: 'GET',
        headers: { authorization: `Bearer ${this.options.deviceToken}`, accept: 'application/json' },
        body: undefined,
        signal,
        agent: this.agent,
        maxBytes: MAX_DISTRICT_SETTINGS_BYTES,
        now: this.wallClock,
      });
    } catch (e) {
      if (e instanceof PortalFailure) throw e;
      if (signal.aborted) throw signal.reason instanceof PortalFailure ? signal.reason : new PortalFailure('network', 'stopped');
      throw new PortalFailure('network', describeNetworkError(e));
    }
    if (res.status === 304 || res.status === 404) return null;
    if (res.status >= 200 && res.status < 300) return parseJson(res.text, res.status);
    if (res.status >= 300 && res.status < 400) {
      throw new PortalFailure('network', `redirect refused (status ${res.status})`, res.status);
    }
    throw failureOf(res, res.text);
  }

  private async call<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    schema: S,
    body: string | undefined,
    outer?: AbortSignal,
    via: Via = { agent: this.agent },
  ): Promise<z.output<S>> {
    const deadline = this.options.timeoutMs === undefined ? null : AbortSignal.timeout(this.options.timeoutMs);
    const signals = [deadline, outer].filter((s): s is AbortSignal => s !== null && s !== undefined);
    const signal = signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.deviceToken}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Answer;
    try {
      const o = { method, headers, body, signal, maxBytes: this.maxAnswer, now: this.wallClock };
      const url = new URL(this.base + path);
      res = this.sampled('line' in via ? await pipelined(via.line, url, o) : await exchange(url, { ...o, agent: via.agent }));
    } catch (e) {
      if (e instanceof PortalFailure) throw e;
      if (deadline?.aborted) throw new PortalFailure('timeout', `no answer within ${this.options.timeoutMs} ms`);
      if (outer?.aborted) {
        // the caller's deadline says why it ended
        throw outer.reason instanceof PortalFailure ? outer.reason : new PortalFailure('network', 'stopped');
      }
      throw new PortalFailure('network', describeNetworkError(e));
    }
    const text = res.text;
    if (res.status >= 300 && res.status < 400) {
      throw new PortalFailure(
        'network',
        `redirect refused (status ${res.status} to ${res.header('location') ?? '?'})`,
        res.status,
      );
    }
    if (res.status >= 200 && res.status < 300) {
      const parsed = schema.safeParse(parseJson(text, res.status));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new PortalFailure(
          'bad_answer',
          `answer does not match the protocol: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
          res.status,
        );
      }
      return parsed.data;
    }
    throw failureOf(res, text);
  }
}

/**
 * The push answer's schema compiled ahead of time (as the portal compiles the request's): an
 * answer of 200 results is checked in one generated pass, and a malformed one by the ordinary
 * parser, so what is refused and what the failure says are the schema's own.
 */
const pushResponse = z.compile(pushResponseSchema);

function parseJson(text: string, status: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new PortalFailure('bad_answer', `answer is not JSON (status ${status}, ${text.length} characters)`, status);
  }
}

/** What one exchange is given, whichever way it goes out. */
interface ExchangeOptions {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body: string | undefined;
  signal: AbortSignal;
  maxBytes: number;
  /** the wall clock the send and answer times are read on */
  now: () => number;
}

/** An answer's header by name (the first, when it came more than once), from node:http's or undici's headers. */
function headerReader(headers: Record<string, string | string[] | undefined>): (name: string) => string | null {
  return (name) => {
    const v = headers[name.toLowerCase()];
    return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
  };
}

/** The answer's declared length when it is over the limit; null otherwise (or when it declares none). */
function declaredOverLimit(header: (name: string) => string | null, maxBytes: number): number | null {
  const declared = Number(header('content-length'));
  return Number.isFinite(declared) && declared > maxBytes ? declared : null;
}

/** An answer refused for its size: as declared, or as it grew while read. */
function overLimit(maxBytes: number, status: number, declared?: number): PortalFailure {
  const what = declared === undefined ? 'answer is' : `answer of ${declared} bytes is`;
  return new PortalFailure('bad_answer', `${what} over the ${maxBytes}-byte limit`, status);
}

/**
 * One HTTP exchange with node:http(s): the request, then the answer read with a size limit.
 * The signal (the deadline) ends it at any point, the body included.
 */
function exchange(url: URL, o: ExchangeOptions & { agent: http.Agent }): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    if (o.signal.aborted) return reject(o.signal.reason ?? new Error('aborted'));
    const headers = { ...o.headers, ...(o.body !== undefined ? { 'content-length': String(Buffer.byteLength(o.body)) } : {}) };
    const send = url.protocol === 'https:' ? https.request : http.request;
    const sentAt = o.now();
    const req = send(url, { method: o.method, headers, agent: o.agent });
    const onAbort = () => req.destroy(o.signal.reason instanceof Error ? o.signal.reason : new Error('aborted'));
    o.signal.addEventListener('abort', onAbort, { once: true });
    const done = (f: () => void) => {
      o.signal.removeEventListener('abort', onAbort);
      f();
    };
    req.on('error', (e) => done(() => reject(e)));
    req.on('response', (res) => {
      const answeredAt = o.now();
      const status = res.statusCode ?? 0;
      const header = headerReader(res.headers);
      const declared = declaredOverLimit(header, o.maxBytes);
      if (declared !== null) {
        res.destroy();
        return done(() => reject(overLimit(o.maxBytes, status, declared)));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > o.maxBytes) {
          res.destroy();
          done(() => reject(overLimit(o.maxBytes, status)));
          return;
        }
        chunks.push(c);
      });
      res.on('error', (e) => done(() => reject(e)));
      res.on('close', () => {
        if (!res.complete) done(() => reject(new Error('the answer was cut short')));
      });
      res.on('end', () => {
        if (size > o.maxBytes) return;
        done(() => resolve({ status, header, text: Buffer.concat(chunks).toString('utf8'), sentAt, answeredAt }));
      });
    });
    req.end(o.body);
  });
}

/**
 * One exchange on the pipelined upload connection (undici), with the same size limit and
 * deadline as `exchange`. Ending one request whose answer has not come ends the connection,
 * and undici sends the others still out on it again on a new connection (the one before it
 * included, when the later one is ended): harmless under the sync protocol, where a batch sent
 * again is answered from what the portal holds.
 */
async function pipelined(line: Client, url: URL, o: ExchangeOptions): Promise<Answer> {
  o.signal.throwIfAborted();
  const sentAt = o.now();
  const res = await line.request({
    path: url.pathname + url.search,
    method: o.method,
    headers: o.headers,
    body: o.body ?? null,
    signal: o.signal,
    // sent behind the request before it, without waiting for its answer (see pushLine)
    blocking: false,
    idempotent: true,
  });
  const answeredAt = o.now();
  const status = res.statusCode;
  const header = headerReader(res.headers);
  const declared = declaredOverLimit(header, o.maxBytes);
  if (declared !== null) {
    res.body.destroy();
    throw overLimit(o.maxBytes, status, declared);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res.body as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > o.maxBytes) {
      res.body.destroy();
      throw overLimit(o.maxBytes, status);
    }
    chunks.push(c);
  }
  return { status, header, text: Buffer.concat(chunks).toString('utf8'), sentAt, answeredAt };
}

function failureOf(res: Answer, text: string): PortalFailure {
  let code = '';
  let message = text.slice(0, 200);
  let expectedSeq: number | null = null;
  try {
    const body = errorBodySchema.safeParse(JSON.parse(text));
    if (body.success) {
      code = body.data.error;
      message = body.data.message;
      expectedSeq = body.data.expectedSeq ?? null;
    }
  } catch {
    // not JSON: the status says enough
  }
  const s = res.status;
  const words = `${s}${code ? ` ${code}` : ''}: ${message}`;
  if (s === 401 || s === 403) return new PortalFailure('unauthorized', words, s);
  if (s === 409 && code === 'sequence_gap') return new PortalFailure('sequence_gap', words, s, null, expectedSeq);
  if (s === 400 && code === 'invalid_cursor') return new PortalFailure('invalid_cursor', words, s);
  if (s === 429 || s >= 500) return new PortalFailure('unavailable', words, s, retryAfterMs(res.header('retry-after')));
  return new PortalFailure('refused', words, s);
}

/** The longest wait a portal can ask for: a hostile or mistaken value cannot park the counter longer. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** Retry-After as seconds or an HTTP date; capped at an hour so a hostile value cannot park the counter. */
export function retryAfterMs(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    if (Number.isNaN(at)) return null;
    ms = at - now;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

function describeNetworkError(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message ?? 'fetch failed'} (${cause})` : (err.message ?? String(e));
}
