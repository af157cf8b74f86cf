/**
 * Stepping aside is for worker threads only: the main thread asking is told so and keeps its
 * priority and scheduling class (the workers that step aside are checked in the slip and
 * speech suites).
 */
import { describe, expect, it } from 'vitest';
import { ownThreadId, runInBackground } from '../../main/platform/background-thread';
import { hasThreadIds, mainThread } from '../support/threads';

describe('runInBackground', () => {
  it('changes nothing on the main thread', () => {
    expect(ownThreadId()).toBeNull();
    if (!hasThreadIds) {
      expect(runInBackground()).toBe('process');
      return;
    }
    const before = mainThread();
    expect(runInBackground()).toBe('process');
    expect(mainThread()).toEqual(before);
  });
});
