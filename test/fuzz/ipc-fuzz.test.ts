/**
 * Hostile payloads at the IPC boundary. Whatever the renderer (or a script in a compromised
 * page) sends, `dispatch` answers with a `Result`: never throws, never lets a bad payload
 * reach the store, never answers outside the contract. Valid-looking payloads with hostile
 * values (quotes, Devanagari, RTL marks, FTS syntax) either work and are stored exactly as
 * given, or are refused with a typed error.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contract, METHOD_NAMES, type MethodName, type RequestOf } from '../../common/contract';
import type { SearchHit, TicketView } from '../../common/domain';
import { ERROR_CODES, type Result } from '../../common/result';
import { normalizeName } from '../../common/rules/names';
import { prng, rosterCsv, rosterEntries, rosterJson, walkInForm } from '../../common/demo/people';
import { DEMO_PROVISIONING, DEMO_USERS } from '../../common/demo/counter';
import { seedDemo } from '../../main/demo/seed';
import { createDispatcher, type Dispatch } from '../../main/ipc/dispatcher';
import { CounterBackend } from '../../main/counter';

// ---------------------------------------------------------------- the counter under test

/** The one client the fuzzing calls as (an Electron window would be one). */
const CLIENT = 'test:fuzz';

interface Counter {
  dir: string;
  backend: CounterBackend;
  /** the dispatcher, as CLIENT */
  dispatch: (method: unknown, payload: unknown) => ReturnType<Dispatch>;
  /** error-level log lines (a handler that threw, a response outside the contract) */
  logged: string[];
  /** `changed` events pushed to the renderer */
  events: unknown[];
}

async function openCounter(rosterSize: number): Promise<Counter> {
  const dir = mkdtempSync(join(tmpdir(), 'counter-fuzz-'));
  const logged: string[] = [];
  const log = pino({ level: 'error' }, { write: (s: string) => void logged.push(s) });
  const backend = await CounterBackend.open({ dataDir: dir, log });
  await seedDemo(backend, rosterSize);
  const events: unknown[] = [];
  backend.events.on('event', (e) => events.push(e));
  const dispatcher = createDispatcher(backend, { validateResponses: true });
  const dispatch = (method: unknown, payload: unknown) => dispatcher(method, payload, CLIENT);
  const c = { dir, backend, dispatch, logged, events };
  await signInAs(c, 'supervisor');
  return c;
}

async function signInAs(c: Counter, who: keyof typeof DEMO_USERS): Promise<void> {
  const r = await c.dispatch('signIn', { loginId: DEMO_USERS[who].loginId, pin: DEMO_USERS[who].pin });
  if (!r.ok) throw new Error(`cannot sign in as ${who}: ${JSON.stringify(r.error)}`);
}

function closeCounter(c: Counter | undefined): void {
  if (!c) return;
  c.backend.close();
  rmSync(c.dir, { recursive: true, force: true });
}

const TABLES = [
  'ticket',
  'walkin',
  'outbox',
  'operator',
  'roster_entry',
  'roster_import',
  'audit_log',
  'ticket_event',
  'vaccination',
  'token_sequence',
  'meta',
] as const;

/** Everything a call could change: row counts, the connection's change counter, the provisioning file, the session. */
function snapshot(c: Counter) {
  const db = c.backend.db;
  const counts = Object.fromEntries(
    TABLES.map((t) => [t, (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]),
  );
  return {
    counts,
    changes: (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n,
    provisioning: readFileSync(c.backend.provisioningFile, 'utf8'),
    session: c.backend.operatorAt(CLIENT)?.id ?? null,
  };
}

// ---------------------------------------------------------------- what a good answer looks like

const FIELD_CODE = /^[a-z0-9_]+$/;

/** Throws `message()` unless `cond`: failure text is built only when something failed (payloads can be huge). */
function check(cond: boolean, message: () => string): asserts cond {
  if (!cond) throw new Error(message());
}

/** A `Result` as the contract promises it, and one that survives structured clone (the IPC copy). */
function expectWellFormed(method: unknown, res: unknown, context: () => string): asserts res is Result<unknown> {
  const where = (what: string) => () => `${String(method)}: ${what}\n${context()}\nanswer: ${safeStringify(res)}`;
  check(typeof res === 'object' && res !== null, where('answer is not an object'));
  const r = res as Record<string, unknown>;
  if (r.ok === true) {
    check(isDeepStrictEqual(Object.keys(r).sort(), ['ok', 'value']), where('ok answer has other keys'));
    const spec = contract[method as MethodName];
    check(spec !== undefined, where('ok answer to an unknown method'));
    check(spec.response.safeParse(r.value).success, where('value outside the response schema'));
  } else {
    check(r.ok === false, where('ok is neither true nor false'));
    check(isDeepStrictEqual(Object.keys(r).sort(), ['error', 'ok']), where('error answer has other keys'));
    const e = r.error as Record<string, unknown>;
    check(typeof e === 'object' && e !== null, where('error is not an object'));
    check((ERROR_CODES as readonly unknown[]).includes(e.code), where('unknown error code'));
    check(typeof e.message === 'string', where('message is not a string'));
    check(
      Object.keys(e).every((k) => ['code', 'message', 'fields', 'details'].includes(k)),
      where('error has other keys'),
    );
    if (e.fields !== undefined) {
      check(Array.isArray(e.fields), where('fields is not a list'));
      for (const f of e.fields as Record<string, unknown>[]) {
        check(typeof f.field === 'string' && typeof f.code === 'string' && FIELD_CODE.test(f.code), where('bad field error'));
      }
    }
    if (e.details !== undefined) {
      check(typeof e.details === 'object' && e.details !== null && !Array.isArray(e.details), where('details is not an object'));
    }
  }
  try {
    structuredClone(res);
  } catch (err) {
    check(false, where(`answer cannot cross IPC: ${String(err)}`));
  }
}

function safeStringify(v: unknown): string {
  try {
    const s = fc.stringify(v);
    return s.length > 600 ? `${s.slice(0, 600)}... (${s.length} chars)` : s;
  } catch {
    return '(unprintable)';
  }
}

/**
 * Sends one payload and checks the answer. A payload the method's schema refuses must be
 * answered VALIDATION with nothing written, no `changed` event and the session untouched;
 * any other payload must get a well-formed answer that is not INTERNAL.
 */
async function probe(c: Counter, method: unknown, payload: unknown): Promise<Result<unknown>> {
  const before = snapshot(c);
  const eventsBefore = c.events.length;
  const loggedBefore = c.logged.length;
  let res: unknown;
  try {
    res = await c.dispatch(method, payload);
  } catch (e) {
    throw new Error(`dispatch(${String(method)}) rejected: ${String(e)}\npayload: ${safeStringify(payload)}`);
  }
  const context = () => `payload: ${safeStringify(payload)}\nlog: ${c.logged.slice(loggedBefore).join('')}`;
  expectWellFormed(method, res, context);
  const spec =
    typeof method === 'string' && (METHOD_NAMES as readonly string[]).includes(method)
      ? contract[method as MethodName]
      : undefined;
  const valid = spec !== undefined && spec.request.safeParse(payload ?? {}).success;
  const say = (what: string) => () => `${String(method)}: ${what}\n${context()}\nanswer: ${safeStringify(res)}`;
  if (!valid) {
    check(!res.ok && res.error.code === 'VALIDATION', say('a payload the schema refuses was not answered VALIDATION'));
    check((res.error.fields?.length ?? 0) > 0, say('VALIDATION without field errors'));
    const after = snapshot(c);
    check(
      isDeepStrictEqual(after, before),
      say(`a refused payload changed the store: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`),
    );
    check(c.events.length === eventsBefore, say('a refused payload sent a changed event'));
  } else if (!res.ok) {
    check(res.error.code !== 'INTERNAL', say('INTERNAL for a valid payload'));
  }
  check(c.logged.length === loggedBefore, say('errors were logged'));
  // A valid signOut (an empty payload) is allowed to sign out; the fuzzing goes on signed in.
  if (!c.backend.operatorAt(CLIENT)) await signInAs(c, 'supervisor');
  return res;
}

// ---------------------------------------------------------------- hostile values

const deepArray = (depth: number): unknown => {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};
const deepObject = (depth: number): unknown => {
  let v: unknown = {};
  for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : { form: v };
  return v;
};
const PROTO_JSON = [
  '{"__proto__":{"x":1}}',
  '{"__proto__":{"role":"supervisor","ok":true}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '{"__proto__":null}',
  '{"query":"sha","__proto__":{"query":"x"}}',
  '{"form":{"__proto__":{"name":"Ram Kumar"}}}',
  '{"refId":"ABC123456","__proto__":{"refId":"ABC123456"}}',
  '[{"__proto__":{"x":1}}]',
];
const HUGE_ASCII = 'A'.repeat(2_000_000);
const HUGE_DIGITS = '9'.repeat(1_000_000);
const HUGE_UNICODE = 'राम\u200F'.repeat(250_000);
const SQLISH = [
  "' OR 1=1 --",
  "'; DROP TABLE ticket; --",
  '" OR ""="',
  "Robert'); DROP TABLE walkin;--",
  "x' UNION SELECT pin_hash FROM operator --",
  "1; ATTACH DATABASE '/tmp/x.db' AS x; --",
  '%',
  '_',
  '\\',
  '%_%',
  "O'Brien",
  'NEAR(sha ver)',
  'sha*',
  '"sha',
  '""',
  '^sha',
  'name_norm:sha',
  'sha OR ver',
  'sha AND NOT ver',
  '(',
  '*',
  '-sha',
  '{name_norm}: sha',
];
const JUNK_CHARS = [
  '\u200F', // right-to-left mark
  '\u200E',
  '\u202E', // right-to-left override
  '\u2066',
  '\u200D', // zero-width joiner
  '\u200C',
  '\uFEFF',
  '\u0000',
  '\uD800', // lone surrogates
  '\uDFFF',
  '\u0301',
  'र',
  'ा',
  '्',
  'म',
  'श',
  'ع',
  'ل',
  'é',
  '🙂',
  '\n',
  '\t',
  ' ',
  "'",
  '"',
  ';',
  '-',
  '*',
  'a',
  'S',
  '1',
  '0',
];

/** No lone surrogates (text a UTF-8 store can hold as it is). */
const isWellFormed = (s: string) => !/\p{Cs}/u.test(s);

const unicodeJunk = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(...JUNK_CHARS), maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
const special = fc.constantFrom<unknown>(
  NaN,
  Infinity,
  -Infinity,
  -0,
  1e308,
  -1,
  0,
  1.5,
  2 ** 53 + 2,
  '',
  ' ',
  '\u0000',
  'NaN',
  'Infinity',
  '0x7C6',
  '1e3',
  '  1960  ',
  'true',
  'null',
  HUGE_ASCII,
  HUGE_DIGITS,
  HUGE_UNICODE,
  deepArray(5000),
  deepObject(2000),
  null,
  undefined,
  true,
  false,
  [],
  {},
  [null],
  [1960],
  Object.create(null),
  new Date(NaN),
  new Date(0),
  new Map([['query', 'sha']]),
  new Set(['a']),
  new Uint8Array([1, 2, 3]),
  10n,
  ...PROTO_JSON.map((s) => JSON.parse(s) as unknown),
);
const anythingLike = fc.anything({
  maxDepth: 3,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
});
const junk: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: anythingLike, weight: 3 },
  { arbitrary: special, weight: 3 },
  { arbitrary: fc.constantFrom(...SQLISH), weight: 1 },
  { arbitrary: unicodeJunk, weight: 2 },
  { arbitrary: fc.double(), weight: 1 },
);

// ---------------------------------------------------------------- payloads per method

const NO_ID = '0badc0de-0000-4000-8000-000000000000';

/** A valid request for every method (adding a method to the contract fails typecheck here until it has one). */
function validBases(): { [M in MethodName]: RequestOf<M> } {
  return {
    getAppState: {},
    provision: {
      provisioning: DEMO_PROVISIONING,
      supervisor: { loginId: 'fuzz-supervisor', name: 'Fuzz Supervisor', pin: '999999' },
    },
    // the counter is set up: refused before any request to this (unreachable) portal
    enrol: {
      portalUrl: 'http://127.0.0.1:9',
      code: 'K7PM-3XQ9-HT4W',
      supervisor: { loginId: 'fuzz-supervisor', name: 'Fuzz Supervisor', pin: '999999' },
    },
    // an unknown login: a valid-looking attempt can never lock the real supervisor out
    signIn: { loginId: 'fuzz-nobody', pin: '0000' },
    signOut: {},
    touchSession: {},
    // the signed-in supervisor's own PIN: a valid-looking wrong one would count towards their lock-out
    unlockSession: { pin: DEMO_USERS.supervisor.pin },
    stepUp: { pin: DEMO_USERS.supervisor.pin },
    listOperators: {},
    addOperator: { loginId: 'supervisor', name: 'Someone Else', role: 'operator', pin: '1111' },
    setOperatorDisabled: { operatorId: NO_ID, disabled: true },
    resetOperatorPin: { operatorId: NO_ID, pin: '1111' },
    unlockOperator: { operatorId: NO_ID },
    updateQueuePolicy: {
      mode: 'strict',
      priorityPerWalkIn: 3,
      walkInMaxWaitMinutes: null,
      lateArrivalMinutes: null,
      provisionalPriority: false,
    },
    importRoster: { fileName: 'fuzz.csv', format: 'csv', content: 'not,a,roster\n' },
    searchRoster: { query: 'sha' },
    checkIn: { refId: 'ZZZZZZ000000' },
    checkInProvisional: { refId: 'FUZZ00000001', name: 'Fuzz Person', birthYear: 1960, gender: 'F' },
    previewWalkIn: { form: walkInForm(prng(11)) },
    registerWalkIn: { submissionId: NO_ID, form: walkInForm(prng(12)), acknowledgedDuplicates: [] },
    getQueue: {},
    callNext: {},
    callTicket: { ticketId: NO_ID },
    recallTicket: { ticketId: NO_ID },
    markNoShow: { ticketId: NO_ID },
    requeueTicket: { ticketId: NO_ID },
    cancelTicket: { ticketId: NO_ID, reason: 'fuzz' },
    serveTicket: { ticketId: NO_ID, vaccine: 'COVISHIELD', lotNumber: 'AB123', dose: 1 },
    printSlip: { ticketId: NO_ID },
    listPrintJobs: { failedOnly: false },
    listSystemPrinters: {},
    updatePrintingSettings: {
      printer: { kind: 'escpos-tcp', host: '127.0.0.1', port: 9 },
      paper: '80mm',
      autoPrint: false,
      nameOnSlip: 'initials',
      minutesPerPerson: 4,
      timeoutSeconds: 2,
      statusCheck: true,
    },
    testPrint: {},
    getSyncStatus: {},
    syncNow: {},
    listNeedsAttention: {},
    resendRecord: { seq: 1, checkIn: { refId: 'ABC123456', name: 'Someone' } },
    dismissRecord: { seq: 1, reason: 'test entry' },
    closeDay: { day: '2021-04-09' },
    getReconciliation: { from: '2026-11-01', to: '2026-11-25' },
    exportReconciliation: { from: '2026-11-25', to: '2026-11-25' },
    saveDiagnostics: {},
    updateStatus: {},
    installUpdateNow: { version: '1.4.0' },
    postponeUpdate: { version: '1.4.0', postponed: true },
    getBoardSettings: {},
    updateBoardSettings: {
      notice: { en: 'Bring your photo ID', hi: 'अपना फ़ोटो पहचान पत्र साथ लाएँ' },
      room: { en: 'Room 2', hi: 'कमरा 2' },
      speech: { enabled: true, order: 'hi-en', volume: 80, repeat: 1 },
    },
    listDisplays: {},
    openBoard: { displayId: null },
    closeBoard: {},
  };
}

type Path = (string | number)[];
function pathsOf(v: unknown, prefix: Path = []): Path[] {
  const out: Path[] = prefix.length ? [prefix] : [];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...pathsOf(x, [...prefix, i])));
  else if (typeof v === 'object' && v !== null)
    for (const k of Object.keys(v)) out.push(...pathsOf((v as Record<string, unknown>)[k], [...prefix, k]));
  return out;
}

const setOwn = (o: object, key: string | number, value: unknown) =>
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });

/** A copy of `base` with one value replaced, one key removed, or one key added (own keys, even `__proto__`). */
function mutate(base: object, n: number, op: 'set' | 'delete' | 'extra', value: unknown, extraKey: string): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  const paths = pathsOf(copy);
  const path = paths.length ? paths[n % paths.length]! : [];
  let parent: Record<string | number, unknown> = copy;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  const last = path.at(-1);
  if (op === 'extra' || last === undefined) {
    const target = (
      last !== undefined && typeof parent[last] === 'object' && parent[last] !== null ? parent[last] : parent
    ) as object;
    setOwn(target, extraKey, value);
  } else if (op === 'delete') {
    delete parent[last];
  } else {
    setOwn(parent, last, value);
  }
  return copy;
}

const extraKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'then', 'x', ''),
  fc.string({ maxLength: 10 }),
);

function payloadArbitraries(base: object) {
  return {
    anything: fc.oneof(junk, fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), extraKey), junk, { maxKeys: 4 })),
    fieldsJunk: fc.record(Object.fromEntries(Object.keys(base).map((k) => [k, junk])), { requiredKeys: [] }),
    mutated: fc
      .tuple(fc.nat(), fc.constantFrom('set' as const, 'delete' as const, 'extra' as const), junk, extraKey)
      .map(([n, op, v, k]) => mutate(base, n, op, v, k)),
  };
}

// ---------------------------------------------------------------- the tests

const protoNamesBefore = Object.getOwnPropertyNames(Object.prototype).sort();
const arrayProtoNamesBefore = Object.getOwnPropertyNames(Array.prototype).sort();

function expectPrototypesClean(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoNamesBefore);
  expect(Object.getOwnPropertyNames(Array.prototype).sort()).toEqual(arrayProtoNamesBefore);
  const o = {} as Record<string, unknown>;
  expect(o.x).toBeUndefined();
  expect(o.role).toBeUndefined();
  expect(o.ok).toBeUndefined();
}

describe('IPC fuzz: every method, hostile payloads', () => {
  let c: Counter;
  beforeAll(async () => {
    c = await openCounter(300);
    // A few waiting tickets and one called one, so the queue methods have something to act on.
    const r = prng(5);
    for (let i = 0; i < 4; i++) {
      await c.dispatch('registerWalkIn', { submissionId: randomUUID(), form: walkInForm(r), acknowledgedDuplicates: [] });
    }
    const hits = (await c.dispatch('searchRoster', { query: 'sha' })) as Result<SearchHit[]>;
    if (hits.ok) for (const h of hits.value.slice(0, 3)) await c.dispatch('checkIn', { refId: h.refId });
    await c.dispatch('callNext', {});
  });
  afterAll(() => closeCounter(c));

  it('has a valid base payload for every method, and each is answered within the contract', async () => {
    const bases = validBases();
    expect(Object.keys(bases).sort()).toEqual([...METHOD_NAMES].sort());
    for (const m of METHOD_NAMES) {
      expect(contract[m].request.safeParse(bases[m]).success, m).toBe(true);
      await probe(c, m, bases[m]);
    }
  });

  // signOut's valid payloads sign out, and each is followed by a real sign-in (a PIN hash, about
  // 50 ms alone): on a busy machine its 350 runs take close to a minute. A run cut short by the
  // timeout goes on under the next method's, which then sees a counter signed out.
  it.each(METHOD_NAMES.map((m) => [m]))('%s: random and hostile payloads', { timeout: 180_000 }, async (method) => {
    const base = validBases()[method] as object;
    const arbs = payloadArbitraries(base);
    for (const [kind, arb] of Object.entries(arbs)) {
      await fc.assert(
        fc.asyncProperty(arb, async (payload) => {
          await probe(c, method, payload);
        }),
        { numRuns: kind === 'mutated' ? 150 : 100, endOnFailure: true, verbose: 1 },
      );
    }
    expectPrototypesClean();
  });

  it('hand-picked hostile payloads are refused as VALIDATION for every method', async () => {
    const hostile: unknown[] = [
      ...PROTO_JSON.map((s) => JSON.parse(s) as unknown),
      deepArray(10_000),
      deepObject(3000),
      HUGE_ASCII,
      [],
      'payload',
      42,
      NaN,
      true,
    ];
    for (const m of METHOD_NAMES) {
      const base = validBases()[m] as Record<string, unknown>;
      const cases = [
        ...hostile,
        { ...base, extra: 1 },
        setOwn({ ...base }, '__proto__', { x: 1 }),
        ...Object.keys(base).flatMap((k) => [
          { ...base, [k]: NaN },
          { ...base, [k]: Infinity },
          { ...base, [k]: deepArray(2000) },
          { ...base, [k]: JSON.parse('{"__proto__":{"x":1}}') as unknown },
        ]),
      ];
      for (const p of cases) {
        const res = await probe(c, m, p);
        // `probe` holds schema-refused payloads to VALIDATION; here every one of them must be refused.
        check(!contract[m].request.safeParse(p ?? {}).success, () => `${m}: the schema accepts ${safeStringify(p)}`);
        expect(res.ok).toBe(false);
      }
      // Megabytes in any one field: refused by the field's limit, or (a roster file's content) handled.
      for (const k of Object.keys(base)) await probe(c, m, { ...base, [k]: HUGE_ASCII });
    }
    expectPrototypesClean();
  });

  it('unknown method names are refused as VALIDATION and change nothing', async () => {
    const names = fc.oneof(
      fc.constantFrom<unknown>(
        '__proto__',
        'constructor',
        'hasOwnProperty',
        'toString',
        'valueOf',
        'prototype',
        'registerWalkIn ',
        'REGISTERWALKIN',
        'counter:registerWalkIn',
        '',
        null,
        undefined,
        42,
        ['registerWalkIn'],
        { toString: () => 'registerWalkIn' },
      ),
      fc.string({ maxLength: 30 }),
      junk,
    );
    await fc.assert(
      fc.asyncProperty(names, junk, async (name, payload) => {
        fc.pre(!(typeof name === 'string' && (METHOD_NAMES as readonly string[]).includes(name)));
        const res = await probe(c, name, payload);
        expect(res.ok).toBe(false);
        if (!res.ok) expect(res.error.code).toBe('VALIDATION');
      }),
      { numRuns: 150 },
    );
  });

  it('access comes before payload validation: a signed-out caller learns nothing, changes nothing', async () => {
    await c.dispatch('signOut', {});
    try {
      const bases = validBases();
      for (const m of METHOD_NAMES) {
        const spec = contract[m];
        if (spec.access === 'public') continue;
        const before = snapshot(c);
        const res = await c.dispatch(m, bases[m]);
        expectWellFormed(m, res, () => 'signed out');
        expect(res.ok).toBe(false);
        if (!res.ok) expect(res.error.code, m).toBe('NOT_SIGNED_IN');
        expect(snapshot(c), m).toEqual(before);
        // a malformed payload gets the same answer as a valid one: nothing about the schema leaks
        const bad = await c.dispatch(m, { ...(bases[m] as object), extra: 1 });
        expect(bad.ok).toBe(false);
        if (!bad.ok) {
          expect(bad.error.code, m).toBe('NOT_SIGNED_IN');
          expect(bad.error.fields, m).toBeUndefined();
        }
        expect(snapshot(c), m).toEqual(before);
      }
    } finally {
      await signInAs(c, 'supervisor');
    }
  });

  it('an operator is refused every supervisor method, and nothing is written', async () => {
    await signInAs(c, 'operator');
    try {
      const bases = validBases();
      for (const m of METHOD_NAMES) {
        if (contract[m].access !== 'supervisor') continue;
        const before = snapshot(c);
        const res = await c.dispatch(m, bases[m]);
        expect(res.ok, m).toBe(false);
        if (!res.ok) expect(res.error.code, m).toBe('FORBIDDEN');
        expect(snapshot(c), m).toEqual(before);
      }
    } finally {
      await signInAs(c, 'supervisor');
    }
  });
});

// ---------------------------------------------------------------- valid shape, hostile values

describe('valid payloads with hostile values', () => {
  let c: Counter;
  let formSeed = 1000;
  /** a valid walk-in form with a photo ID and mobile no other form in this file uses */
  const freshForm = () => walkInForm(prng(formSeed++));

  beforeAll(async () => {
    c = await openCounter(200);
  });
  afterAll(() => closeCounter(c));

  function walkInRow(ticketId: string) {
    return c.backend.db
      .prepare('SELECT w.name, w.name_norm, w.submission_id FROM ticket t JOIN walkin w ON w.id = t.walkin_id WHERE t.id = ?')
      .get(ticketId) as { name: string; name_norm: string; submission_id: string } | undefined;
  }

  /** Either stored exactly (ticket, walk-in row and outbox payload all carry the trimmed name) or refused on `form.name`. */
  async function registerNamed(name: string): Promise<Result<TicketView>> {
    const before = snapshot(c);
    const submissionId = randomUUID();
    const res = (await probe(c, 'registerWalkIn', {
      submissionId,
      form: { ...freshForm(), name },
      acknowledgedDuplicates: [],
    })) as Result<TicketView>;
    const ctx = `name ${JSON.stringify(name)}: ${safeStringify(res)}`;
    if (res.ok) {
      const trimmed = name.trim();
      expect(res.value.name, ctx).toBe(trimmed);
      const row = walkInRow(res.value.id);
      expect(row?.name, ctx).toBe(trimmed);
      expect(row?.name_norm, ctx).toBe(normalizeName(trimmed));
      expect(row?.submission_id, ctx).toBe(submissionId);
      const out = c.backend.db
        .prepare("SELECT payload FROM outbox WHERE kind = 'walkin.registered' AND json_extract(payload, '$.ticketId') = ?")
        .get(res.value.id) as { payload: string } | undefined;
      expect((JSON.parse(out!.payload) as { person: { name: string } }).person.name, ctx).toBe(trimmed);
      const after = snapshot(c).counts;
      for (const t of ['ticket', 'walkin', 'outbox']) expect(after[t]! - before.counts[t]!, `${t}: ${ctx}`).toBe(1);
    } else {
      expect(res.error.code, ctx).toBe('VALIDATION');
      expect([...new Set(res.error.fields?.map((f) => f.field))], ctx).toEqual(['form.name']);
      expect(snapshot(c), ctx).toEqual(before);
    }
    return res;
  }

  it('walk-in names: quotes, Devanagari, Arabic, Gurmukhi and decomposed accents are kept exactly', async () => {
    for (const name of [
      "D'Souza Ram",
      "Mary O'Brien-Smith",
      'राम कुमार शर्मा',
      'अनीता देवी',
      'श्री गणेश',
      'محمد علي',
      'ਗੁਰਪ੍ਰੀਤ ਕੌਰ',
      'Jose\u0301 Mu\u0308ller',
      '  Sunita   Devi  ',
      'Dr. K. Lal',
    ]) {
      const res = await registerNamed(name);
      expect(res.ok, `${name}: ${safeStringify(res)}`).toBe(true);
    }
  });

  it('walk-in names with direction marks, SQL or control characters are refused on the name field', async () => {
    for (const name of [
      'Ali\u200F Khan',
      '\u202EnahK ilA',
      'Ram\u200E Kumar',
      "Robert'); DROP TABLE ticket;--",
      "' OR 1=1 --",
      'Ram\u0000Kumar',
      'Ram\nKumar',
      'Ram 🙂',
      '   ',
      'R',
      'R'.repeat(101),
    ]) {
      const res = await registerNamed(name);
      expect(res.ok, `${JSON.stringify(name)}: ${safeStringify(res)}`).toBe(false);
    }
  });

  it('any walk-in name is stored exactly or refused on the name field', async () => {
    const name = fc.oneof(
      fc.string({ unit: fc.constantFrom(...JUNK_CHARS, 'Ra', 'm ', "O'", 'श्री ', '. '), minLength: 1, maxLength: 30 }),
      fc.constantFrom(...SQLISH),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
    );
    await fc.assert(
      fc.asyncProperty(name, async (n) => {
        await registerNamed(n);
      }),
      { numRuns: 150 },
    );
  });

  it('provisional check-ins with hostile names and reference IDs', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom('राम कुमार', "O'Brien", 'محمد', 'Ali\u200F', "x'--"),
          fc.string({ unit: fc.constantFrom(...JUNK_CHARS), minLength: 1, maxLength: 20 }),
        ),
        fc.oneof(fc.constant(null), fc.constantFrom("ABC123'--", 'abc123', ' AB C123 ', 'ABC१२३४५६', 'A'.repeat(21), '"; --')),
        async (name, refOverride) => {
          const refId = refOverride ?? `FZ${String(n++).padStart(8, '0')}`;
          const before = snapshot(c);
          const res = (await probe(c, 'checkInProvisional', { refId, name })) as Result<TicketView>;
          if (res.ok) {
            expect(res.value.name).toBe(name.trim());
            expect(res.value.refId).toBe(refId.trim().toUpperCase());
            expect(res.value.verified).toBe(false);
            expect(snapshot(c).counts.ticket).toBe(before.counts.ticket! + 1);
          } else {
            expect(['VALIDATION', 'ALREADY_CHECKED_IN']).toContain(res.error.code);
            expect(snapshot(c).counts).toEqual(before.counts);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('cancel reasons are stored as given (trimmed), and the outbox tells the portal the same text', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(...SQLISH),
          fc.string({ unit: fc.constantFrom(...JUNK_CHARS), minLength: 1, maxLength: 60 }),
          fc.string({ unit: 'grapheme', maxLength: 30 }),
        ),
        async (reason) => {
          const made = (await c.dispatch('registerWalkIn', {
            submissionId: randomUUID(),
            form: freshForm(),
            acknowledgedDuplicates: [],
          })) as Result<TicketView>;
          expect(made.ok, safeStringify(made)).toBe(true);
          if (!made.ok) return;
          const res = (await probe(c, 'cancelTicket', { ticketId: made.value.id, reason })) as Result<TicketView>;
          if (res.ok) {
            expect(res.value.status).toBe('cancelled');
            const row = c.backend.db.prepare('SELECT cancel_reason FROM ticket WHERE id = ?').get(made.value.id) as {
              cancel_reason: string;
            };
            const out = c.backend.db
              .prepare("SELECT payload FROM outbox WHERE kind = 'ticket.cancelled' AND record_id = ?")
              .get(made.value.id) as { payload: string };
            // The counter's record and what the portal is told must be the same text...
            expect(row.cancel_reason).toBe((JSON.parse(out.payload) as { reason: string }).reason);
            // ...and, for any well-formed text, exactly what the operator typed.
            if (isWellFormed(reason)) expect(row.cancel_reason).toBe(reason.trim());
          } else {
            expect(res.error.code).toBe('VALIDATION');
            expect([...new Set(res.error.fields?.map((f) => f.field))]).toEqual(['reason']);
          }
        },
      ),
      // a lone surrogate (ill-formed UTF-16, e.g. half an emoji cut by a paste) always among the cases
      { numRuns: 60, examples: [['\ud800\u200f'], ['Ram \udc00']] },
    );
  });

  it('search never fails, never writes, and answers valid hits for any query', async () => {
    const query = fc.oneof(
      fc.constantFrom(...SQLISH),
      fc.string({ unit: fc.constantFrom(...JUNK_CHARS), maxLength: 100 }),
      fc.string({ unit: 'binary', maxLength: 100 }),
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      fc.stringMatching(/^[0-9A-Z\- ]{1,20}$/),
      fc.constantFrom('a'.repeat(100), '1'.repeat(100), 'श'.repeat(100), '"'.repeat(100), 'sha'.repeat(33)),
    );
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const before = snapshot(c);
        const res = await probe(c, 'searchRoster', { query: q });
        // text that is not well-formed Unicode (lone surrogates) is refused on the field, like an over-long query
        const acceptable = q.length <= 100 && q.isWellFormed();
        expect(res.ok, `${JSON.stringify(q)}: ${safeStringify(res)}`).toBe(acceptable);
        if (!res.ok) expect(res.error).toMatchObject({ code: 'VALIDATION', fields: [{ field: 'query' }] });
        expect(snapshot(c)).toEqual(before);
      }),
      { numRuns: 400 },
    );
  });

  it('roster files with hostile content are refused whole and leave the roster as it was', async () => {
    const day = c.backend.today()!;
    const active = () => c.backend.db.prepare("SELECT id, row_count FROM roster_import WHERE status = 'active'").get();
    const base = rosterEntries(5, 21);
    const withName = (name: string) =>
      rosterCsv(
        day,
        base.map((e, i) => (i === 2 ? { ...e, name } : e)),
      );
    const files: { content: string; format: 'csv' | 'json'; line?: number }[] = [
      { content: withName('=HYPERLINK("http://x","y")'), format: 'csv', line: 4 },
      { content: withName("Robert'); DROP TABLE roster_entry;--"), format: 'csv', line: 4 },
      { content: withName('Ali\u200F Khan'), format: 'csv', line: 4 },
      { content: rosterCsv(day, base).replace(/\n$/, '\n"unterminated,quote\n'), format: 'csv' },
      { content: rosterCsv(day, base).replace('ref_id', 'ref_id\u0000'), format: 'csv' },
      { content: `${rosterCsv(day, base)}${'x,'.repeat(200_000)}\n`, format: 'csv' },
      { content: '', format: 'csv' },
      { content: '\uFEFF', format: 'csv' },
      { content: HUGE_ASCII, format: 'csv' },
      { content: '{"__proto__":{"date":"2021-05-01","appointments":[]}}', format: 'json' },
      { content: `{"date":"${day}","appointments":[{"__proto__":{"refId":"ABCDEF123"}}]}`, format: 'json', line: 1 },
      { content: `{"date":"${day}","appointments":${JSON.stringify(deepArray(3000))}}`, format: 'json' },
      { content: rosterJson(day, base).replace('"appointments"', '"appointments","appointments":null,"x"'), format: 'json' },
      { content: '[1,2,3]', format: 'json' },
      { content: 'null', format: 'json' },
    ];
    for (const f of files) {
      const before = snapshot(c);
      const activeBefore = active();
      const res = await probe(c, 'importRoster', { fileName: "roster'; --.csv", format: f.format, content: f.content });
      const ctx = `${f.format} ${JSON.stringify(f.content.slice(0, 120))}: ${safeStringify(res)}`;
      expect(res.ok, ctx).toBe(false);
      if (!res.ok) {
        expect(res.error.code, ctx).toBe('ROSTER_REJECTED');
        if (f.line !== undefined) expect(res.error.details?.line, ctx).toBe(f.line);
      }
      expect(active(), ctx).toEqual(activeBefore);
      expect(snapshot(c), ctx).toEqual(before);
    }
    expectPrototypesClean();
  });

  it('a roster with Devanagari, Arabic and quoted names imports, and each name is found', async () => {
    const day = c.backend.today()!;
    const entries = rosterEntries(40, 22);
    const names = ['राम कुमार शर्मा', 'अनीता देवी', "Mary O'Brien", 'محمد علي', 'Jose\u0301 Mu\u0308ller', 'ਗੁਰਪ੍ਰੀਤ ਕੌਰ'];
    names.forEach((n, i) => (entries[i]!.name = n));
    const csv = `\uFEFF${rosterCsv(day, entries).replace(/\n/g, '\r\n')}`;
    const res = await probe(c, 'importRoster', { fileName: 'रोस्टर.csv', format: 'csv', content: csv });
    expect(res.ok, safeStringify(res)).toBe(true);
    for (const [i, n] of names.entries()) {
      const found = (await probe(c, 'searchRoster', { query: n })) as Result<SearchHit[]>;
      expect(found.ok).toBe(true);
      if (found.ok)
        expect(
          found.value.map((h) => h.refId),
          n,
        ).toContain(entries[i]!.refId);
      const ticket = (await probe(c, 'checkIn', { refId: entries[i]!.refId })) as Result<TicketView>;
      expect(ticket.ok, safeStringify(ticket)).toBe(true);
      if (ticket.ok) expect(ticket.value.name).toBe(n);
    }
  });

  it('a two-letter prefix finds a name in Devanagari as it does in Latin letters', async () => {
    // Typing the first two letters is how operators start a search; it must not depend on the script.
    const day = c.backend.today()!;
    const entries = rosterEntries(30, 23);
    entries[0]!.name = 'राम कुमार';
    entries[1]!.name = 'Ramu Kaka';
    const imported = await probe(c, 'importRoster', { fileName: 'r.csv', format: 'csv', content: rosterCsv(day, entries) });
    expect(imported.ok).toBe(true);
    for (const [query, refId] of [
      ['ra', entries[1]!.refId],
      ['रा', entries[0]!.refId],
    ] as const) {
      const res = (await probe(c, 'searchRoster', { query })) as Result<SearchHit[]>;
      expect(res.ok).toBe(true);
      if (res.ok)
        expect(
          res.value.map((h) => h.refId),
          `query ${query}`,
        ).toContain(refId);
    }
  });
});
