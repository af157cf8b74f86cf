import Database from 'better-sqlite3-multiple-ciphers';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { breakOutbox, rosterEntry, setupCounter, storeSnapshot, type Counter } from './harness';

let c: Counter;
afterEach(() => c?.dispose());

describe('dispatcher over a real store', () => {
  it('a store failure inside a handler becomes INTERNAL without its SQLite message, and nothing is half-written', async () => {
    c = await setupCounter({ roster: [rosterEntry('REF0000001')] });
    const before = storeSnapshot(c);
    const restore = breakOutbox(c);
    const r = await c.dispatch('checkIn', { refId: 'REF0000001' });
    restore();
    expect(r).toEqual({ ok: false, error: { code: 'INTERNAL', message: expect.any(String) } });
    expect(JSON.stringify(r)).not.toMatch(/injected|outbox|SQLITE|\.ts:\d+/);
    expect(storeSnapshot(c)).toEqual(before);
  });

  it('another connection holding the write lock past the busy timeout gives BUSY, and the call can be retried', async () => {
    c = await setupCounter({ roster: [rosterEntry('REF0000001')] });
    const other = new Database(join(c.dataDir, 'counter.db'));
    // what happens past the busy timeout, not its length (5 s): the counter's connection waits 0.2 s here
    c.backend.db.pragma('busy_timeout = 200');
    try {
      other.exec('BEGIN IMMEDIATE');
      const r = await c.dispatch('checkIn', { refId: 'REF0000001' });
      expect(r).toMatchObject({ ok: false, error: { code: 'BUSY' } });
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
    expect(await c.dispatch('checkIn', { refId: 'REF0000001' })).toMatchObject({ ok: true, value: { token: 'A-P001' } });
  }, 20_000);

  it('announces a change to the renderer after each successful mutation only', async () => {
    c = await setupCounter({ roster: [rosterEntry('REF0000001')] });
    const seen: unknown[] = [];
    c.backend.events.on('event', (e) => seen.push(e));
    await c.dispatch('checkIn', { refId: 'REF0000001' });
    await c.dispatch('checkIn', { refId: 'REF0000001' }); // refused
    await c.dispatch('getQueue', {});
    expect(seen).toEqual([{ type: 'changed', method: 'checkIn' }]);
  });
});
