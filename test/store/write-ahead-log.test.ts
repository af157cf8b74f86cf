import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { setupCounter, SUBMISSION, walkInForm, type Counter } from './harness';

let c: Counter;
afterEach(() => c?.dispose());

const quiet = () => new Promise((resolve) => setTimeout(resolve, 800));

it('copies the write-ahead log back into the file once no change has come for a moment, not in an operator action', async () => {
  c = await setupCounter();
  await quiet();
  const fileSize = () => statSync(join(c.dataDir, 'counter.db')).size;
  const before = fileSize();
  for (let n = 1; n <= 20; n++) {
    await c.ok('registerWalkIn', { submissionId: SUBMISSION(n), form: walkInForm(n), acknowledgedDuplicates: [] });
  }
  // the walk-ins are in the log only: no action waited for the copy
  expect(fileSize()).toBe(before);
  await quiet();
  expect(fileSize()).toBeGreaterThan(before);
});
