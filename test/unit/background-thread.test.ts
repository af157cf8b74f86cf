/**
 * Stepping aside is for worker threads only: the main thread asking is told so and keeps its
 * priority and scheduling class (the workers that step aside are checked in the slip and
 * speech suites).
 */
import { describe, expect, it } from 'vitest';
import { ownThreadId, stepAside, threadCpuMs } from '../../main/platform/background-thread';
import { hasThreadIds, mainThread } from '../support/threads';

describe('stepAside', () => {
  it('changes nothing on the main thread', () => {
    expect(ownThreadId()).toBeNull();
    if (!hasThreadIds) {
      expect(stepAside()).toBe('process');
      return;
    }
    const before = mainThread();
    expect(stepAside()).toBe('process');
    expect(stepAside({ idle: false })).toBe('process');
    expect(mainThread()).toEqual(before);
  });

  it.runIf(hasThreadIds)("reads the thread's own CPU time, which grows as it works", () => {
    const before = threadCpuMs()!;
    const end = performance.now() + 30;
    while (performance.now() < end);
    expect(threadCpuMs()! - before).toBeGreaterThan(10);
  });
});
