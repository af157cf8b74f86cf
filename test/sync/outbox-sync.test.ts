/**
 * The outbox side of sync: the push body as sent, and how the portal's per-item answer is
 * recorded (all at once when every row went through plainly, row by row otherwise).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { pushRequestSchema, type PushResponse } from '../../common/sync-protocol';
import { applyPushAnswer, nextBatch, pushBody, toMutation } from '../../main/sync/outbox-sync';
import { DEVICE, dbWithPending, runCleanups } from './scripted-portal';

afterEach(runCleanups);

const state = (db: ReturnType<typeof dbWithPending>) =>
  (
    db.prepare('SELECT seq, state, portal_flags FROM outbox ORDER BY seq').all() as {
      seq: number;
      state: string;
      portal_flags: string;
    }[]
  ).map((r) => `${r.seq}:${r.state}${r.portal_flags !== '[]' ? ':flagged' : ''}`);

describe('outbox sync', () => {
  it('sends each payload as stored: the body is the request the protocol describes', () => {
    const db = dbWithPending(3);
    db.prepare('UPDATE outbox SET payload = ? WHERE seq = 2').run(
      JSON.stringify({ ticketId: uuidv7(), day: '2026-11-25', note: 'नाम "quoted"' }),
    );
    const batch = nextBatch(db, 200);
    const body = pushBody(DEVICE, 'TEST', 'C1', batch);
    const parsed = pushRequestSchema.parse(JSON.parse(body));
    expect(parsed).toEqual({ deviceId: DEVICE, centreId: 'TEST', counterCode: 'C1', mutations: batch.map(toMutation) });
  });

  it('acknowledges a plainly applied batch in one go, and only its rows', () => {
    const db = dbWithPending(5);
    const batch = nextBatch(db, 3);
    const answer: PushResponse = {
      deviceId: DEVICE,
      lastAppliedSeq: 3,
      results: batch.map((r) => ({ seq: r.seq, mutationId: r.mutation_id, status: r.seq === 2 ? 'duplicate' : 'applied' })),
    };
    const got = applyPushAnswer(db, DEVICE, batch, answer, new Date(), 0);
    expect(got).toMatchObject({ acknowledged: 3, rejected: 0, unanswered: 0 });
    expect(state(db)).toEqual(['1:acknowledged', '2:acknowledged', '3:acknowledged', '4:pending', '5:pending']);
  });

  it('records rejections, flags and unanswered rows one by one', () => {
    const db = dbWithPending(4);
    const batch = nextBatch(db, 4);
    const [a, b, c] = batch;
    const answer: PushResponse = {
      deviceId: DEVICE,
      lastAppliedSeq: 3,
      results: [
        { seq: a!.seq, mutationId: a!.mutation_id, status: 'applied' },
        { seq: b!.seq, mutationId: b!.mutation_id, status: 'rejected', code: 'invalid_payload', reason: 'x' },
        { seq: c!.seq, mutationId: c!.mutation_id, status: 'applied', flags: ['possible_duplicate'], duplicateOf: ['r1'] },
      ],
    };
    const got = applyPushAnswer(db, DEVICE, batch, answer, new Date(), 0);
    expect(got).toMatchObject({ acknowledged: 2, rejected: 1, unanswered: 1 });
    expect(state(db)).toEqual(['1:acknowledged', '2:rejected', '3:acknowledged:flagged', '4:pending']);
  });
});
