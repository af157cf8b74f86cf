/**
 * Staged rollout: a release whose metadata says `stagingPercentage: 10` goes to the counters
 * whose bucket is below 10. The bucket comes from the counter's stable device ID (kept in its
 * database, the same ID its uploads carry), through SHA-256, so a counter is always in or out
 * for a given percentage and raising the percentage only adds counters. The same counters go
 * first for every release: IT can learn which ones they are (the fleet view shows the version).
 */
import { createHash } from 'node:crypto';

/** The counter's bucket, 0 <= bucket < 100. */
export function rolloutBucket(deviceId: string): number {
  const digest = createHash('sha256').update(`counter-rollout:${deviceId}`).digest();
  return (digest.readUInt32BE(0) / 0x1_0000_0000) * 100;
}

/** Whether this counter takes a release offered to `stagingPercentage` percent (absent: everyone). */
export function inRollout(deviceId: string, stagingPercentage: unknown): boolean {
  if (stagingPercentage === undefined || stagingPercentage === null) return true;
  const pct = typeof stagingPercentage === 'number' ? stagingPercentage : Number(stagingPercentage);
  if (!Number.isFinite(pct)) return false;
  if (pct >= 100) return true;
  if (pct <= 0) return false;
  return rolloutBucket(deviceId) < pct;
}
