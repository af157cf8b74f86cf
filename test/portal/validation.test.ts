/**
 * The portal checks pushes with its schemas compiled ahead of time: it must take and refuse
 * exactly what the schemas in common/sync-protocol take and refuse (payloads strictly, as
 * portal/push-rules.ts extends them), and say the same about a refusal. Each case below is a valid batch or payload with one thing changed.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mutationSchema, pushRequestSchema, type Mutation } from '../../common/sync-protocol';
import type { Portal } from '../../portal/server';
import {
  describeIssues,
  strictCheckInPayloadSchema,
  strictTicketEventPayloadSchema,
  strictWalkInPayloadSchema,
} from '../../portal/push-rules';
import { batch, checkIn, memoryPortal, push, ticketEvent, walkIn } from './helpers';

let portal: Portal;
beforeEach(async () => {
  portal = await memoryPortal();
});
afterEach(() => portal.close());

type Json = Record<string, unknown>;
/** as the portal receives it: through JSON (NaN and Infinity arrive as null) */
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** `value` with the field at `path` set to `to` (or removed, for undefined). */
function changed(value: Json, path: readonly (string | number)[], to: unknown): Json {
  const copy = clone(value);
  let at: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (to === undefined) delete at[last];
  else at[last] = to;
  return copy;
}

const uuidVariants = (v: string): unknown[] => [
  v.toUpperCase(),
  v.slice(1),
  `${v}0`,
  v.replace(/^(.{14})./, '$10'),
  v.replace(/^(.{19})./, '$1c'),
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  v.replace(/-/g, ''),
  1,
  null,
];
const stringVariants = (v: string): unknown[] => ['', 'x', 'xy', ' '.repeat(5), 'y'.repeat(33), 'z'.repeat(121), 5, null, [v]];
const numberVariants: unknown[] = [0, 1, 1.5, -1, 9, 10, 1899, 1900, 2100, 2101, NaN, Infinity, 2 ** 53, '1', null, true];
const dayVariants: unknown[] = [
  '2026-03-10',
  '2026-02-29',
  '2024-02-29',
  '2026-13-01',
  '2026-3-10',
  '20260310',
  '2026-03-10T00:00:00Z',
  1,
];
const timeVariants: unknown[] = [
  '2026-03-10T04:30:00Z',
  '2026-03-10T04:30:00.123+05:30',
  '2026-03-10T04:30:00',
  '2026-03-10 04:30:00Z',
  '2026-03-10T24:30:00Z',
  '2026-02-30T04:30:00Z',
  '2026-03-10T04:30:00+0530',
  0,
];

/** Every field of `value` (nested objects included) given each variant its kind calls for, plus one unknown key and one removal per field. */
function variants(value: Json, path: (string | number)[] = []): Json[] {
  const out: Json[] = [];
  const here = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], value) as Json;
  out.push(changed(value, [...path, 'unexpected'], 1));
  for (const [key, v] of Object.entries(here)) {
    const at = [...path, key];
    out.push(changed(value, at, undefined));
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      out.push(...variants(value, at));
      for (const x of [null, [], 'x']) out.push(changed(value, at, x));
    } else if (typeof v === 'string' && /^[0-9a-f-]{36}$/.test(v)) {
      for (const x of uuidVariants(v)) out.push(changed(value, at, x));
    } else if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) {
      for (const x of timeVariants) out.push(changed(value, at, x));
    } else if (typeof v === 'string' && /^\d{4}-\d\d-\d\d$/.test(v)) {
      for (const x of dayVariants) out.push(changed(value, at, x));
    } else if (typeof v === 'string') {
      for (const x of stringVariants(v)) out.push(changed(value, at, x));
    } else if (typeof v === 'number') {
      for (const x of numberVariants) out.push(changed(value, at, x));
    } else if (typeof v === 'boolean') {
      for (const x of [!v, 0, 'true', null]) out.push(changed(value, at, x));
    }
  }
  return out;
}

describe('push validation', () => {
  it('refuses a batch exactly when the push schema does, with the same words', async () => {
    const valid = batch(randomUUID(), [
      walkIn(1),
      checkIn(2, { refId: 'REF100001' }),
      ticketEvent(3, randomUUID()),
    ]) as unknown as Json;
    const cases = [
      ...variants(valid).filter((v) => JSON.stringify(v) !== JSON.stringify(valid)),
      ...[0, 1, 2].flatMap((i) => variants(valid, ['mutations', i])),
      changed(valid, ['mutations'], []),
      changed(
        valid,
        ['mutations'],
        Array.from({ length: 201 }, (_, i) => ticketEvent(i + 1, randomUUID())),
      ),
    ];
    expect(cases.length).toBeGreaterThan(150);
    let refused = 0;
    for (const body of cases) {
      const expected = pushRequestSchema.safeParse(clone(body));
      // a fresh device for each case: what is accepted is applied, and must not make the next a sequence gap
      const res = await push(portal, { ...body, deviceId: expected.success ? randomUUID() : body.deviceId });
      if (expected.success) {
        // taken by the schema: whatever the answer (another centre, a sequence gap), not invalid_request
        expect(res.status, JSON.stringify(body)).not.toBe(400);
      } else {
        refused++;
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body, JSON.stringify(body)).toEqual({
          error: 'invalid_request',
          message: describeIssues(expected.error, undefined, 2000),
        });
      }
    }
    expect(refused).toBeGreaterThan(100);
  });

  it('rejects a payload exactly when its kind’s schema does, with the same words', async () => {
    // the protocol's payload schemas as the portal applies them: strictly, unknown fields refused
    const kinds: [
      Mutation,
      typeof strictWalkInPayloadSchema | typeof strictCheckInPayloadSchema | typeof strictTicketEventPayloadSchema,
    ][] = [
      [walkIn(1), strictWalkInPayloadSchema],
      [checkIn(1, { refId: 'REF100001' }), strictCheckInPayloadSchema],
      [ticketEvent(1, randomUUID()), strictTicketEventPayloadSchema],
    ];
    let rejected = 0;
    let seen = 0;
    for (const [mutation, schema] of kinds) {
      for (const payload of variants(mutation.payload)) {
        const expected = schema.safeParse(clone(payload));
        // the recordId follows the payload's own ID, so only the schema decides
        const id = payload.walkInId ?? payload.ticketId;
        const own = { ...mutation, mutationId: randomUUID(), recordId: id as string, payload };
        const m = mutationSchema.safeParse(own).success ? own : { ...own, recordId: mutation.recordId };
        const res = await push(portal, batch(randomUUID(), [m]));
        expect(res.status, JSON.stringify(payload)).toBe(200);
        const result = (res.body as { results: { status: string; code?: string; reason?: string }[] }).results[0]!;
        seen++;
        if (expected.success) {
          expect(result.code, JSON.stringify(payload)).not.toBe('invalid_payload');
        } else {
          rejected++;
          expect(result, JSON.stringify(payload)).toMatchObject({
            status: 'rejected',
            code: 'invalid_payload',
            reason: describeIssues(expected.error, 'payload'),
          });
        }
      }
    }
    expect(seen).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(60);
  });
});
