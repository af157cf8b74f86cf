/**
 * The roster import reads most rows the quick way (`plainRosterEntry`) and leaves the rest to
 * the schema: the quick way must never accept a row the schema refuses, nor read one differently.
 */
import { describe, expect, it } from 'vitest';
import { rosterEntrySchema, type RosterEntry } from '../../common/domain';
import { rosterEntries } from '../../common/demo/people';
import { parse as parseCsv } from 'csv-parse/sync';
import { plainRosterEntry, splitPlainCsv } from '../../main/services/roster';
import { packRosterRows, unpackRosterRows } from '../../main/store/roster';

const base = {
  refId: 'ABC123456',
  name: 'Sunita Devi',
  gender: 'F',
  birthYear: '1955',
  mobileLast4: '1234',
  photoIdType: 'AADHAAR',
  photoIdLast4: '5678',
  dose: '1',
  slotTime: '10:00',
} as const;

const VARIANTS: Record<keyof typeof base, unknown[]> = {
  refId: [
    'abc123456',
    ' ABC123456 ',
    'ABCDEFGH',
    'A1',
    'A'.repeat(19) + '1',
    'A'.repeat(20) + '1',
    'ABC-123456',
    '',
    123456789,
    null,
  ],
  name: [
    'S',
    ' S ',
    'Ra',
    '  Ram Kumar  ',
    "D'Souza Mary-Ann",
    'A. K. Sharma',
    'सुनीता देवी',
    'क्‍ष Devi',
    'Sunita2',
    '.Sunita',
    'x'.repeat(100),
    'x'.repeat(101),
    ' '.repeat(3),
    '\u00a0Sunita Devi\u00a0',
    'Sunita\tDevi',
    '',
    undefined,
    42,
  ],
  gender: ['M', 'O', 'f', 'X', '', ' F', null],
  birthYear: [
    1955,
    '1900',
    '1899',
    ' 1955 ',
    '1955.0',
    '1e3',
    '0x7b',
    1955.5,
    Number.NaN,
    Infinity,
    '',
    ' ',
    null,
    undefined,
    true,
    String(new Date().getFullYear() + 1),
  ],
  mobileLast4: ['0000', ' 1234 ', '123', '12345', 'ABCD', '١٢٣٤', 1234, ''],
  photoIdType: ['VOTER_ID', 'aadhaar', 'PASSPORT', 'OTHER', '', null],
  photoIdLast4: ['ab12', ' 5678 ', 'AB1', '12345', '12 3', 5678],
  dose: [1, 2, 3, '3', ' 2 ', 0, 4, '4', 1.5, '', null, undefined],
  slotTime: ['09:15', '23:59', '24:00', '9:15', ' 10:00', '10:00 ', '', null, undefined, 1000, '10:60'],
};

function expectSameAsSchema(raw: Record<string, unknown>): boolean {
  const quick = plainRosterEntry(raw);
  if (quick === null) return false;
  const r = rosterEntrySchema.safeParse(raw);
  expect(r.success, JSON.stringify(raw)).toBe(true);
  if (r.success) expect(JSON.stringify(quick)).toBe(JSON.stringify(r.data));
  return true;
}

describe('reading a roster row the quick way', () => {
  it('gives what the schema gives for every row of a generated roster', () => {
    const rows = rosterEntries(2000, 5).map((e) => ({ ...e, birthYear: String(e.birthYear), dose: String(e.dose) }));
    const quick = rows.filter((raw) => expectSameAsSchema(raw)).length;
    expect(quick).toBe(rows.length);
  });

  it('never accepts a value the schema refuses, nor reads one differently', () => {
    let accepted = 0;
    let refused = 0;
    for (const [field, values] of Object.entries(VARIANTS)) {
      for (const value of values) {
        const raw: Record<string, unknown> = { ...base, [field]: value };
        if (value === undefined) delete raw[field];
        if (expectSameAsSchema(raw)) accepted++;
        else refused++;
      }
    }
    expect(expectSameAsSchema({ ...base, extra: 'ignored' })).toBe(true);
    // both ways are exercised
    expect(accepted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(40);
  });
});

describe('reading a plain CSV file the quick way', () => {
  const options = { skip_empty_lines: true, relax_column_count: false, trim: true } as const;
  const csv = (lines: string[], end = '\n') => lines.join(end);
  const header = 'date,ref_id,name';
  it.each([
    ['line feeds', csv([header, '2021-04-10,ABC123456,Sunita Devi', '2021-04-10,ABC123457,Ram Kumar', ''])],
    ['CR LF', csv([header, '2021-04-10,ABC123456,Sunita Devi', ''], '\r\n')],
    ['blank lines and no final line end', csv([header, '', '2021-04-10,ABC123456,Sunita Devi', '', '', '2021-04-10,X,Y'])],
    ['a tab and spaces inside a field', csv([header, '2021-04-10,ABC123456,Sunita\tDevi  Rani'])],
    ['empty fields', csv([header, ',,', ''])],
    ['Devanagari', csv([header, '2021-04-10,ABC123456,सुनीता देवी', ''])],
  ])('%s: the same records as csv-parse', async (_what, text) => {
    const records = await splitPlainCsv(text);
    expect(records && Array.from({ length: records.length }, (_, i) => records.at(i))).toEqual(parseCsv(text, options));
  });

  it.each([
    ['a quote', csv([header, '2021-04-10,ABC123456,"Devi, Sunita"'])],
    ['a blank around a field', csv([header, '2021-04-10, ABC123456,Sunita Devi'])],
    ['a line of spaces', csv([header, '   ', '2021-04-10,ABC123456,Sunita Devi'])],
    ['a no-break space at a field end', csv([header, '2021-04-10,ABC123456,Sunita Devi\u00a0'])],
    ['a short line', csv([header, '2021-04-10,ABC123456'])],
    ['mixed line ends', `${header}\r\n2021-04-10,ABC123456,Sunita Devi\n`],
    ['a lone CR', `${header}\r2021-04-10,ABC123456,Sunita Devi\r`],
    ['a lone surrogate', csv([header, '2021-04-10,ABC123456,Sunita \ud800'])],
  ])('%s: left to csv-parse', async (_what, text) => {
    expect(await splitPlainCsv(text)).toBeNull();
  });
});

describe('roster rows packed for the sync worker', () => {
  const entry = (refId: string, overrides: Partial<RosterEntry> = {}): RosterEntry => ({
    refId,
    name: 'सुनीता देवी',
    gender: 'F',
    birthYear: 1961,
    mobileLast4: '0420',
    photoIdType: 'AADHAAR',
    photoIdLast4: '12AB',
    dose: 2,
    slotTime: null,
    ...overrides,
  });

  it('come back as they were, slot time or none', () => {
    const entries = [entry('ABC123456'), entry('ABC123457', { slotTime: '09:30', name: 'Ram Kumar', dose: 1 })];
    expect(unpackRosterRows(packRosterRows(entries), 2)).toEqual(entries);
    expect(unpackRosterRows(packRosterRows([]), 0)).toEqual([]);
  });

  it('a row that held a separator, or a count that does not match, is refused whole', () => {
    expect(() => unpackRosterRows(packRosterRows([entry('ABC123456', { name: 'Ram\u001fKumar' })]), 1)).toThrow(/fields/);
    expect(() => unpackRosterRows(packRosterRows([entry('ABC123456', { name: 'Ram\u001eKumar' })]), 1)).toThrow(/rows/);
    expect(() => unpackRosterRows(packRosterRows([entry('ABC123456')]), 2)).toThrow(/rows/);
  });
});
