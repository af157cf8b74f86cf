/**
 * The test tiers (vitest.config.ts) name suites by path: a suite renamed or removed must not
 * drop silently out of its tier (a slow suite back in the edit loop, or a module-replacing suite
 * sharing a process).
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OWN_PROCESS, POSTGRES_ONLY, SLOW_SUITES } from '../../vitest.config';

const ROOT = resolve(__dirname, '../..');

/** The file or folder a tier's entry names: `dir/**` a folder, anything else a file. */
function named(entry: string): { path: string; folder: boolean } {
  return entry.endsWith('/**')
    ? { path: join(ROOT, entry.slice(0, -3)), folder: true }
    : { path: join(ROOT, entry), folder: false };
}

describe('test tiers', () => {
  it.each([...SLOW_SUITES, ...OWN_PROCESS, ...POSTGRES_ONLY])('%s is there', (entry) => {
    // a file, or a folder as `folder/**`: no other pattern, so that each entry is checked here
    expect(entry.replace(/\/\*\*$/u, '')).not.toMatch(/[*?{[]/u);
    const { path, folder } = named(entry);
    expect(existsSync(path), `${entry} names nothing`).toBe(true);
    expect(statSync(path).isDirectory()).toBe(folder);
  });

  it('names each suite once', () => {
    const all = [...SLOW_SUITES, ...OWN_PROCESS];
    expect(new Set(all).size).toBe(all.length);
  });
});
