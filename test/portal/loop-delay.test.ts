/**
 * The event-loop delay load shedding reads: a hold the delay histogram could not time (it
 * records the gap between two of its turns) is measured by how late the sample came, never
 * taken for an endless delay.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { LoopDelay } from '../../portal/loop-delay';

let delay: LoopDelay | null = null;
afterEach(() => {
  delay?.stop();
  delay = null;
});

function lag(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('event-loop delay', () => {
  it('reads a hold with no timed turn in its sample as how late the sample came', async () => {
    delay = new LoopDelay(100);
    lag(150);
    await sleep(1);
    expect(Number.isFinite(delay.ms)).toBe(true);
    // the sample was due 100 ms into the 150 ms hold
    expect(delay.ms).toBeGreaterThanOrEqual(40);
  });

  it('reads a loop that keeps lagging as lagging', async () => {
    delay = new LoopDelay(100);
    for (let i = 0; i < 3; i++) {
      lag(300);
      await sleep(1);
    }
    expect(delay.ms).toBeGreaterThan(150);
  });

  it('reads an idle loop as not lagging', async () => {
    delay = new LoopDelay(100);
    await sleep(350);
    expect(delay.ms).toBeLessThan(100);
  });
});
