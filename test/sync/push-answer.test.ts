/**
 * The push answer is checked by the protocol's schema compiled ahead of time: a well-formed
 * answer of a full batch comes back whole, and every answer the schema refuses is still a
 * `bad_answer` naming where it went wrong, never data.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MAX_PUSH_ITEMS, pushRequestSchema, pushResponseSchema, type PushResponse } from '../../common/sync-protocol';
import { PortalClient, PortalFailure } from '../../main/sync/portal-client';
import { DEVICE, json, runCleanups, scriptedPortal } from './scripted-portal';

afterEach(async () => {
  await runCleanups();
});

const full = (n: number) => ({
  deviceId: DEVICE,
  lastAppliedSeq: n,
  results: Array.from({ length: n }, (_, i) => ({
    seq: i + 1,
    mutationId: `0190c1d2-0000-7000-8000-${String(i).padStart(12, '0')}`,
    status: i % 50 === 0 ? 'duplicate' : 'applied',
    ...(i % 100 === 1 ? { flags: ['possible_duplicate'], duplicateOf: ['W-1'] } : {}),
  })),
});

/** The client's answer to one push, when the portal answers `answer`. */
async function pushAnswered(answer: unknown): Promise<PushResponse | PortalFailure> {
  const portal = await scriptedPortal((_req, res) => json(res, 200, answer));
  const client = new PortalClient({ baseUrl: portal.url, deviceToken: 'test-token-0123456789' });
  try {
    return await client.push('{}');
  } catch (e) {
    if (e instanceof PortalFailure) return e;
    throw e;
  } finally {
    client.close();
  }
}

describe('the push answer', () => {
  it("its schema, and the request's the portal checks, compile whole: no part of either falls back to the ordinary parser", () => {
    expect(() => z.compile(pushResponseSchema, { strict: true })).not.toThrow();
    expect(() => z.compile(pushRequestSchema, { strict: true })).not.toThrow();
  });

  it('a full batch answered well comes back as the schema reads it', async () => {
    const answer = full(MAX_PUSH_ITEMS);
    const got = await pushAnswered(answer);
    expect(got).toEqual(pushResponseSchema.parse(answer));
  });

  const refused: Array<[string, unknown, RegExp]> = [
    [
      'a result with a field the protocol does not have',
      { ...full(2), results: [{ ...full(2).results[0]!, extra: 1 }] },
      /results\.0/,
    ],
    [
      'a status the protocol does not have',
      { ...full(2), results: [{ ...full(2).results[0]!, status: 'stored' }] },
      /results\.0\.status/,
    ],
    [
      'a flag the protocol does not have',
      { ...full(2), results: [{ ...full(2).results[0]!, flags: ['merged'] }] },
      /results\.0\.flags/,
    ],
    ['more results than a batch holds', full(MAX_PUSH_ITEMS + 1), /results/],
    ['a negative sequence number', { ...full(1), lastAppliedSeq: -1 }, /lastAppliedSeq/],
    ['a device ID that is not a UUID', { ...full(1), deviceId: 'counter-1' }, /deviceId/],
    ['a field beside the results', { ...full(1), next: 'more' }, /\(root\)/],
  ];
  it.each(refused)('%s is a bad answer, saying where', async (_what, answer, where) => {
    const got = await pushAnswered(answer);
    expect(got).toBeInstanceOf(PortalFailure);
    const failure = got as PortalFailure;
    expect(failure.kind).toBe('bad_answer');
    expect(failure.message).toMatch(/answer does not match the protocol/);
    expect(failure.message).toMatch(where);
    // the same answer is refused by the schema as written
    expect(pushResponseSchema.safeParse(answer).success).toBe(false);
  });
});
