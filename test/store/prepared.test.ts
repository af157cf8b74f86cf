/**
 * Statements with their LIMIT written in (main/store/prepared.ts, `limited`): the limit asked
 * for is the one applied, -1 is none, and a limit that is not a whole number is refused before
 * it reaches any SQL.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '../../main/store/database';
import { limited } from '../../main/store/prepared';

let db: Db | null = null;
afterEach(() => {
  db?.close();
  db = null;
});

function numbers(n: number): Db {
  db = new Database(':memory:') as Db;
  db.exec('CREATE TABLE n (v INTEGER PRIMARY KEY)');
  const insert = db.prepare('INSERT INTO n (v) VALUES (?)');
  for (let i = 1; i <= n; i++) insert.run(i);
  return db;
}

describe('limited statements', () => {
  it('apply the limit given with each call, whatever was asked before', () => {
    const d = numbers(30);
    const above = limited<[number], { v: number }>(d, 'SELECT v FROM n WHERE v > ? ORDER BY v LIMIT ?');
    expect(above.all(10, 3).map((r) => r.v)).toEqual([11, 12, 13]);
    expect(above.all(10, 5).map((r) => r.v)).toEqual([11, 12, 13, 14, 15]);
    expect(above.all(25, 3).map((r) => r.v)).toEqual([26, 27, 28]);
    expect(above.all(0, 0)).toEqual([]);
    expect(above.all(20, -1)).toHaveLength(10);
    // more limits than are kept prepared: each still right
    for (let limit = 1; limit <= 12; limit++) expect(above.all(0, limit)).toHaveLength(limit);
    expect(above.source).toBe('SELECT v FROM n WHERE v > ? ORDER BY v LIMIT ?');
  });

  it('refuse a limit that is not a whole number from -1, and SQL that does not end with LIMIT ?', () => {
    const d = numbers(3);
    const all = limited<[], { v: number }>(d, 'SELECT v FROM n LIMIT ?');
    for (const bad of [1.5, -2, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) {
      expect(() => all.all(bad), String(bad)).toThrow(RangeError);
    }
    expect(() => limited(d, 'SELECT v FROM n')).toThrow(/ends with LIMIT \?/);
    expect(() => limited(d, 'SELECT v FROM n LIMIT ? OFFSET 1')).toThrow(/ends with LIMIT \?/);
  });
});
