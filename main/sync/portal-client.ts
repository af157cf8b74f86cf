/**
 * The counter's HTTP client for the portal's sync API. Every request has a hard deadline
 * (Node's fetch would wait 300 s for a hung server), every answer is read with a size limit
 * and checked against the protocol's schemas: a malformed, oversized or hostile answer is a
 * `bad_answer` failure, never data.
 */
import type { z } from 'zod';
import {
  errorBodySchema,
  pushResponseSchema,
  checkRosterPage,
  rosterPageWireSchema,
  type CheckedRosterPage,
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
  | 'bad_answer';

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
  /** hard deadline of one request, body included */
  timeoutMs: number;
  /** largest answer read; bigger ones are refused as bad answers */
  maxAnswerBytes?: number;
  fetch?: typeof fetch;
}

const DEFAULT_MAX_ANSWER = 16 * 1024 * 1024;

export class PortalClient {
  private readonly base: string;
  private readonly fetchFn: typeof fetch;
  private readonly maxAnswer: number;

  constructor(private readonly options: PortalClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? fetch;
    this.maxAnswer = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER;
  }

  push(request: PushRequest | string, signal?: AbortSignal): Promise<PushResponse> {
    const body = typeof request === 'string' ? request : JSON.stringify(request);
    return this.call('POST', '/v1/push', pushResponseSchema, body, signal);
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

  private async call<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    schema: S,
    body: string | undefined,
    outer?: AbortSignal,
  ): Promise<z.output<S>> {
    const deadline = AbortSignal.timeout(this.options.timeoutMs);
    const signal = outer ? AbortSignal.any([deadline, outer]) : deadline;
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.deviceToken}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(this.base + path, { method, headers, body, signal, redirect: 'error' });
      text = await readLimited(res, this.maxAnswer, signal);
    } catch (e) {
      if (e instanceof PortalFailure) throw e;
      if (deadline.aborted) throw new PortalFailure('timeout', `no answer within ${this.options.timeoutMs} ms`);
      if (outer?.aborted) throw new PortalFailure('network', 'stopped');
      throw new PortalFailure('network', describeNetworkError(e));
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

function parseJson(text: string, status: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new PortalFailure('bad_answer', `answer is not JSON (status ${status}, ${text.length} characters)`, status);
  }
}

/** Reads the body, giving up (and cancelling it) past `limit` bytes. */
async function readLimited(res: Response, limit: number, signal: AbortSignal): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel().catch(() => undefined);
    throw new PortalFailure('bad_answer', `answer of ${declared} bytes is over the ${limit}-byte limit`, res.status);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    if (signal.aborted) {
      await reader.cancel().catch(() => undefined);
      throw signal.reason ?? new Error('aborted');
    }
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new PortalFailure('bad_answer', `answer is over the ${limit}-byte limit`, res.status);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function failureOf(res: Response, text: string): PortalFailure {
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
  if (s === 429 || s >= 500) return new PortalFailure('unavailable', words, s, retryAfterMs(res.headers.get('retry-after')));
  return new PortalFailure('refused', words, s);
}

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
  return Math.min(Math.max(ms, 0), 60 * 60 * 1000);
}

function describeNetworkError(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message ?? 'fetch failed'} (${cause})` : (err.message ?? String(e));
}
