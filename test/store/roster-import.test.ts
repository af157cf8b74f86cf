import { afterEach, describe, expect, it } from 'vitest';
import { rosterCsv, rosterJson } from '../../common/demo/people';
import { count, importRosterCsv, openCounter, rosterEntry, setupCounter, SUPERVISOR, type Counter } from './harness';
import { importLookupQueries } from '../../main/store/roster-search';

let c: Counter;
afterEach(() => c?.dispose());

const TODAY = '2021-04-10';
const OLD = [
  rosterEntry('OLDREF0001', { name: 'Sunita Devi' }),
  rosterEntry('OLDREF0002', { name: 'Ram Kumar Sharma', gender: 'M' }),
  rosterEntry('OLDREF0003', { name: 'Geeta Mishra' }),
];
const NEW = [
  rosterEntry('NEWREF0001', { name: 'Kamla Yadav' }),
  rosterEntry('NEWREF0002', { name: 'Vijay Pandey', gender: 'M' }),
];
const HEADER = 'date,ref_id,name,gender,birth_year,mobile_last4,photo_id_type,photo_id_last4,dose,slot_time';

const importIds = () =>
  c.backend.db.prepare('SELECT id, day, status FROM roster_import ORDER BY id').all() as {
    id: unknown;
    day: string;
    status: string;
  }[];
const refsOf = (day: string) =>
  (
    c.backend.db
      .prepare(
        "SELECT e.ref_id FROM roster_entry e JOIN roster_import i ON i.id = e.import_id WHERE i.day = ? AND i.status = 'active' ORDER BY e.ref_id",
      )
      .all(day) as { ref_id: string }[]
  ).map((r) => r.ref_id);
/** refs whose names the counter's search finds for `text` */
const foundRefs = async (text: string) => (await c.ok('searchRoster', { query: text })).map((h) => h.refId).sort();
/** rows of a trigram index of names, if the file still has one: the search holds its name index in memory */
const trigramRows = () =>
  c.backend.db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'roster_name_fts'").get()
    ? count(c, 'SELECT count(*) AS n FROM roster_name_fts')
    : 0;

async function importFile(format: 'csv' | 'json', content: string, fileName = `roster.${format}`) {
  return c.call('importRoster', { fileName, format, content });
}

/** Lets the event loop run until `done()` holds: the import yields between its steps (bounded: 5 s). */
async function until(done: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > end) throw new Error('condition not reached in 5 s');
    await new Promise((r) => setImmediate(r));
  }
}

describe('roster import', () => {
  it('imports a CSV roster for today and makes it the active one', async () => {
    c = await setupCounter();
    const info = await importRosterCsv(c, TODAY, OLD, 'cowin-2021-04-10.csv');
    expect(info).toEqual({
      day: TODAY,
      count: 3,
      importedAt: c.clock().toISOString(),
      source: 'cowin-2021-04-10.csv',
      stale: false,
    });
    expect(c.backend.appState().roster).toEqual(info);
    expect(refsOf(TODAY)).toEqual(['OLDREF0001', 'OLDREF0002', 'OLDREF0003']);
    expect(await foundRefs('sunita')).toEqual(['OLDREF0001']);
    expect((await c.ok('checkIn', { refId: 'OLDREF0002' })).name).toBe('Ram Kumar Sharma');
  });

  it('imports a JSON roster', async () => {
    c = await setupCounter();
    const r = await importFile('json', rosterJson(TODAY, NEW));
    expect(r).toMatchObject({ ok: true, value: { day: TODAY, count: 2, stale: false } });
    expect(refsOf(TODAY)).toEqual(['NEWREF0001', 'NEWREF0002']);
  });

  it('reads CSV with columns in any order, a BOM, CRLF line ends, upper-case headers and no slot column', async () => {
    c = await setupCounter();
    const csv =
      '\uFEFFREF_ID,Name,Date,Gender,Birth_Year,Mobile_Last4,Photo_ID_Type,Photo_ID_Last4,Dose\r\n' +
      'abc123456,Sunita Devi,2021-04-10,f,1955,1234,aadhaar,5678,1\r\n' +
      'ABC123457,"Kumar Ram",2021-04-10,M,1950,4321,VOTER_ID,8765,2\r\n';
    expect(await importFile('csv', csv)).toMatchObject({ ok: true, value: { count: 2 } });
    const rows = c.backend.db
      .prepare('SELECT ref_id, name, gender, photo_id_type, slot_time FROM roster_entry ORDER BY ref_id')
      .all();
    expect(rows).toEqual([
      { ref_id: 'ABC123456', name: 'Sunita Devi', gender: 'F', photo_id_type: 'AADHAAR', slot_time: null },
      { ref_id: 'ABC123457', name: 'Kumar Ram', gender: 'M', photo_id_type: 'VOTER_ID', slot_time: null },
    ]);
  });

  describe('a bad file changes nothing', () => {
    async function withOldRoster() {
      c = await setupCounter();
      await importRosterCsv(c, TODAY, OLD);
      return {
        imports: importIds(),
        entries: count(c, 'SELECT count(*) AS n FROM roster_entry'),
        info: c.backend.appState().roster,
      };
    }
    async function expectOldRosterIntact(before: Awaited<ReturnType<typeof withOldRoster>>) {
      expect(importIds()).toEqual(before.imports);
      expect(count(c, 'SELECT count(*) AS n FROM roster_entry')).toBe(before.entries);
      expect(c.backend.appState().roster).toEqual(before.info);
      expect(refsOf(TODAY)).toEqual(['OLDREF0001', 'OLDREF0002', 'OLDREF0003']);
      expect(await foundRefs('geeta')).toEqual(['OLDREF0003']);
      expect(await foundRefs('kamla')).toEqual([]);
      expect((await c.ok('checkIn', { refId: 'OLDREF0001' })).verified).toBe(true);
    }

    it('a bad row rejects the whole file with its line number and reason; the old roster stays active and searchable', async () => {
      const before = await withOldRoster();
      const csv = `${HEADER}\n${TODAY},NEWREF0001,Kamla Yadav,F,1950,1234,AADHAAR,5678,1,10:00\n${TODAY},NEWREF0002,Vijay Pandey,M,1950,12345,AADHAAR,5678,1,10:00\n`;
      const r = await importFile('csv', csv);
      expect(r).toMatchObject({
        ok: false,
        error: { code: 'ROSTER_REJECTED', details: { line: 3, field: 'mobileLast4', reason: 'mobileLast4: last4_format' } },
      });
      await expectOldRosterIntact(before);
    });

    it.each([
      ['an unknown gender', 'X', 'gender'],
      ['a bad birth year', '1850', 'birthYear'],
      ['a bad slot time', '25:00', 'slotTime'],
      ['a bad dose', '7', 'dose'],
    ])('%s is refused with its field', async (_what, value, field) => {
      c = await setupCounter();
      const values: Record<string, string> = { gender: 'F', birthYear: '1950', slotTime: '10:00', dose: '1' };
      values[field] = value;
      const line = `${TODAY},NEWREF0001,Kamla Yadav,${values.gender},${values.birthYear},1234,AADHAAR,5678,${values.dose},${values.slotTime}`;
      expect(await importFile('csv', `${HEADER}\n${line}\n`)).toMatchObject({
        ok: false,
        error: { code: 'ROSTER_REJECTED', details: { line: 2, field } },
      });
      expect(count(c, 'SELECT count(*) AS n FROM roster_import')).toBe(0);
    });

    it('the line number is the line in the file, also after blank lines', async () => {
      c = await setupCounter();
      const csv = `${HEADER}\n${TODAY},NEWREF0001,Kamla Yadav,F,1950,1234,AADHAAR,5678,1,10:00\n\n${TODAY},NEWREF0002,Vijay Pandey,M,1950,12345,AADHAAR,5678,1,10:00\n`;
      // line 4 of the file: the blank line 3 counts
      expect(await importFile('csv', csv)).toMatchObject({ ok: false, error: { code: 'ROSTER_REJECTED', details: { line: 4 } } });
    });

    it('a JSON appointment is named by its 1-based position', async () => {
      const before = await withOldRoster();
      const appointments = [NEW[0], { ...NEW[1], refId: 'x' }];
      expect(await importFile('json', JSON.stringify({ date: TODAY, appointments }))).toMatchObject({
        ok: false,
        error: { code: 'ROSTER_REJECTED', details: { line: 2, field: 'refId', reason: 'refId: ref_id_format' } },
      });
      await expectOldRosterIntact(before);
    });

    it('a reference ID repeated in the file is refused, naming both lines', async () => {
      const before = await withOldRoster();
      const csv = rosterCsv(TODAY, [...NEW, rosterEntry('newref0001', { name: 'Other Person' })]);
      const r = await importFile('csv', csv);
      expect(r).toMatchObject({ ok: false, error: { code: 'ROSTER_REJECTED', details: { line: 4, field: 'refId' } } });
      if (!r.ok) expect(r.error.message).toMatch(/NEWREF0001 repeats line 2/);
      await expectOldRosterIntact(before);
    });

    it.each([
      ['not JSON at all', 'json', '{ "date": '],
      ['JSON without a date', 'json', JSON.stringify({ appointments: [] })],
      ['JSON with a list for appointments missing', 'json', JSON.stringify({ date: TODAY })],
      ['an empty CSV', 'csv', ''],
      ['CSV without a required column', 'csv', 'date,ref_id,name\n2021-04-10,ABC123456,Asha Pal\n'],
      ['CSV with only a header', 'csv', `${HEADER}\n`],
      [
        'CSV with two days in one file',
        'csv',
        rosterCsv(TODAY, NEW.slice(0, 1)) + rosterCsv('2021-04-11', NEW.slice(1)).split('\n').slice(1).join('\n'),
      ],
      ['CSV with a short row', 'csv', `${HEADER}\n${TODAY},NEWREF0001,Kamla Yadav\n`],
      ['CSV with an unclosed quote', 'csv', `${HEADER}\n${TODAY},NEWREF0001,"Kamla Yadav,F,1950,1234,AADHAAR,5678,1,10:00\n`],
    ] as const)('%s is refused', async (_what, format, content) => {
      const before = await withOldRoster();
      expect(await importFile(format, content)).toMatchObject({ ok: false, error: { code: 'ROSTER_REJECTED' } });
      await expectOldRosterIntact(before);
    });
  });

  it("a second import for the same day replaces the first, and the first one's rows are removed", async () => {
    c = await setupCounter();
    await importRosterCsv(c, TODAY, OLD);
    const first = importIds();
    await importRosterCsv(c, TODAY, NEW);
    const now = importIds();
    expect(now).toHaveLength(1);
    expect(now[0]!.id).not.toEqual(first[0]!.id);
    expect(refsOf(TODAY)).toEqual(['NEWREF0001', 'NEWREF0002']);
    expect(count(c, 'SELECT count(*) AS n FROM roster_entry')).toBe(2);
    expect(count(c, 'SELECT count(*) AS n FROM roster_entry WHERE import_id = ?', first[0]!.id)).toBe(0);
    expect(await foundRefs('sunita')).toEqual([]);
    expect(await foundRefs('kamla')).toEqual(['NEWREF0001']);
    expect(await c.err('checkIn', { refId: 'OLDREF0001' })).toMatchObject({ code: 'NOT_FOUND' });
    expect((await c.ok('checkIn', { refId: 'NEWREF0001' })).verified).toBe(true);
  });

  it('each roster has lookup indexes of its own, made once its rows are in, and dropped when it is removed (with migration 006)', async () => {
    c = await setupCounter();
    const indexesOf = (importId: unknown) =>
      (
        c.backend.db
          .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'roster_entry' AND name LIKE ? ORDER BY name",
          )
          .all(`roster_entry_${String(importId)}_%`) as { name: string }[]
      ).map((r) => r.name);
    // migration 006 dropped the indexes over every import's rows
    expect(count(c, "SELECT count(*) AS n FROM sqlite_schema WHERE name = 'roster_entry_ref_last4'")).toBe(0);
    await importRosterCsv(c, TODAY, OLD);
    const [first] = importIds();
    expect(indexesOf(first!.id)).toEqual(
      ['mobile_last4', 'name', 'photo_last4', 'ref_last4'].map((w) => `roster_entry_${String(first!.id)}_${w}`),
    );
    // what they serve: last 4 of reference ID, mobile and photo ID, and name starts
    expect(await foundRefs('0002')).toEqual(['OLDREF0002']);
    expect(await foundRefs('geet')).toEqual(['OLDREF0003']);
    await importRosterCsv(c, TODAY, NEW);
    const [second] = importIds();
    expect(indexesOf(first!.id)).toEqual([]);
    expect(indexesOf(second!.id)).toHaveLength(4);
    expect(await foundRefs('kam')).toEqual(['NEWREF0001']);
    // every read by them goes by the import's own index of its column, with both its keys: not
    // along another index of the import (the whole roster)
    const id = String(second!.id);
    const expected: Array<[RegExp, string]> = [
      [/ref_last4 = \?/, `roster_entry_${id}_ref_last4 (import_id=? AND ref_last4=?)`],
      [/mobile_last4 = \?/, `roster_entry_${id}_mobile_last4 (import_id=? AND mobile_last4=?)`],
      [/photo_id_last4 = \?/, `roster_entry_${id}_photo_last4 (import_id=? AND photo_id_last4=?)`],
      [/name_norm >= \?/, `roster_entry_${id}_name (import_id=? AND name_norm>? AND name_norm<?)`],
    ];
    const queries = importLookupQueries(c.backend.db, second!.id as number);
    expect(queries).toHaveLength(6);
    for (const written of queries) {
      // as prepared: the limit is written into the statement (main/store/prepared.ts, `limited`)
      const sql = written.replace(/LIMIT \?$/, 'LIMIT 20');
      const index = expected.find(([column]) => column.test(sql))?.[1];
      expect(index, sql).toBeDefined();
      const args = sql
        .split('?')
        .slice(1)
        .map(() => 'x');
      const plan = (c.backend.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>).map(
        (r) => r.detail,
      );
      expect(plan, sql).toEqual([`SEARCH roster_entry USING INDEX ${index!}`]);
    }
  });

  it('while a big import is being staged the old roster stays in force; the swap is one step', async () => {
    c = await setupCounter();
    await importRosterCsv(c, TODAY, OLD);
    const big = Array.from({ length: 12_000 }, (_, i) => rosterEntry(`BIG${String(i).padStart(7, '0')}`));
    const pending = c.call('importRoster', { fileName: 'big.csv', format: 'csv', content: rosterCsv(TODAY, big) });
    // parsing and checking yield to the event loop, then staging begins
    await until(() => importIds().some((i) => i.status === 'staging'));
    // staging has begun but the new roster is not active yet
    expect(
      importIds()
        .map((i) => i.status)
        .sort(),
    ).toEqual(['active', 'staging']);
    expect(refsOf(TODAY)).toEqual(['OLDREF0001', 'OLDREF0002', 'OLDREF0003']);
    expect((await c.ok('checkIn', { refId: 'OLDREF0001' })).verified).toBe(true);
    expect(await c.call('importRoster', { fileName: 'again.csv', format: 'csv', content: rosterCsv(TODAY, NEW) })).toMatchObject({
      ok: false,
      error: { code: 'BUSY' },
    });
    expect(await pending).toMatchObject({ ok: true, value: { count: 12_000 } });
    expect(importIds().map((i) => i.status)).toEqual(['active']);
    expect(count(c, 'SELECT count(*) AS n FROM roster_entry')).toBe(12_000);
    expect(trigramRows()).toBe(0);
    expect(await foundRefs('BIG0011999')).toEqual(['BIG0011999']);
  });

  it("tomorrow's roster can be imported ahead without replacing today's", async () => {
    c = await setupCounter();
    await importRosterCsv(c, TODAY, OLD);
    const info = await importRosterCsv(c, '2021-04-11', NEW);
    expect(info).toMatchObject({ day: '2021-04-11', stale: true });
    expect(c.backend.appState().roster).toMatchObject({ day: TODAY, stale: false });
    expect(refsOf(TODAY)).toHaveLength(3);
    expect((await c.ok('checkIn', { refId: 'OLDREF0001' })).verified).toBe(true);
    expect(await c.err('checkIn', { refId: 'NEWREF0001' })).toMatchObject({ code: 'NOT_FOUND' });
    c.clock.advance(24 * 3600_000);
    expect((await c.ok('checkIn', { refId: 'NEWREF0001' })).verified).toBe(true);
  });

  it('leftovers of an interrupted import are removed when the app opens again; the old roster is kept', async () => {
    c = await setupCounter();
    await importRosterCsv(c, TODAY, OLD);
    const big = Array.from({ length: 7_000 }, (_, i) => rosterEntry(`BIG${String(i).padStart(7, '0')}`));
    const pending = c.backend.handlers.importRoster({ fileName: 'big.csv', format: 'csv', content: rosterCsv(TODAY, big) });
    await until(() => count(c, 'SELECT count(*) AS n FROM roster_entry') > 3);
    // the first chunk is committed in staging; then the app dies
    expect(count(c, "SELECT count(*) AS n FROM roster_import WHERE status = 'staging'")).toBe(1);
    expect(count(c, 'SELECT count(*) AS n FROM roster_entry')).toBeGreaterThan(3);
    c.backend.db.close();
    await expect(pending).rejects.toThrow();

    c = await openCounter(c.dataDir, c.clock);
    expect(importIds().map((i) => i.status)).toEqual(['active']);
    expect(count(c, 'SELECT count(*) AS n FROM roster_entry')).toBe(3);
    expect(trigramRows()).toBe(0);
    expect(refsOf(TODAY)).toEqual(['OLDREF0001', 'OLDREF0002', 'OLDREF0003']);
    await c.signIn(SUPERVISOR);
    expect((await c.ok('checkIn', { refId: 'OLDREF0003' })).verified).toBe(true);
  });

  it('rosters of days before yesterday are removed when the app opens', async () => {
    c = await setupCounter();
    await importRosterCsv(c, TODAY, OLD);
    await importRosterCsv(c, '2021-04-09', NEW);
    c.close();
    c.clock.set('2021-04-11T04:30:00Z');
    c = await openCounter(c.dataDir, c.clock);
    expect(importIds().map((i) => i.day)).toEqual([TODAY]);
    expect(count(c, 'SELECT count(*) AS n FROM roster_entry')).toBe(3);
    expect(trigramRows()).toBe(0);
  });
});
