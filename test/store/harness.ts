/**
 * A real counter backend in a temp folder, driven through the same dispatcher the renderer
 * uses, with a clock the test moves by hand.
 */
// first: it must see node:crypto before the counter's operators service does
import { whileSettingUp } from '../support/pin-hash-cache';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MethodName, RequestOf, ResponseOf } from '../../common/contract';
import { provisioningSchema, type ProvisioningInput, type RosterEntry, type WalkInFormInput } from '../../common/domain';
import type { AppError, Result } from '../../common/result';
import { verhoeffDigit } from '../../common/rules/verhoeff';
import { rosterCsv } from '../../common/demo/people';
import { createDispatcher } from '../../main/ipc/dispatcher';
import { silentLogger } from '../../main/logging/logger';
import { CounterBackend, type BackendOptions, type Handlers } from '../../main/counter';
import { saveProvisioning } from '../../main/services/provisioning';
import type { ServiceContext, SignedInOperator } from '../../main/services/context';

export interface FakeClock {
  (): Date;
  set(iso: string): void;
  advance(ms: number): void;
}

export function fakeClock(startIso: string): FakeClock {
  let t = Date.parse(startIso);
  if (Number.isNaN(t)) throw new Error(`bad time ${startIso}`);
  const clock = (() => new Date(t)) as FakeClock;
  clock.set = (iso) => {
    t = Date.parse(iso);
  };
  clock.advance = (ms) => {
    t += ms;
  };
  return clock;
}

/** 10:00 at the centre (Asia/Kolkata) on 2021-04-10: the 45+ phase is in force. */
export const MORNING = '2021-04-10T04:30:00.000Z';
export const DAY = '2021-04-10';

export const SUPERVISOR = { loginId: 'super1', name: 'Meena Verma', pin: '246810' } as const;
export const OPERATOR = { loginId: 'oper1', name: 'Ravi Kumar', pin: '1357' } as const;

export const PROVISIONING: ProvisioningInput = {
  schemaVersion: 1,
  centre: { id: 'TEST-CHC-01', name: 'Test CHC', timeZone: 'Asia/Kolkata' },
  counter: { code: 'C1', tokenPrefix: 'A' },
  // the harness's clock jumps hours and days: its counter locks an idle session and asks for
  // the PIN again only after the longest time allowed (the session tests give the defaults)
  security: { idleLockMinutes: 24 * 60, stepUpMinutes: 24 * 60 },
};

/** The provisioning's own session timings (10 minutes idle, 5 minutes between PINs). */
export const DEFAULT_SECURITY = { security: {} } as const;

export function tempDir(prefix = 'counter-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The client the harness calls as unless a test names another (each client has its own session). */
export const HARNESS_CLIENT = 'test:harness';

/**
 * The backend as the harness's client sees it: `signedIn`, `context()`, `appState()` and the
 * handlers answer for that client when no other is named.
 */
export type ClientBackend = CounterBackend & {
  /** who is signed in at the harness's client (its session may be locked) */
  readonly signedIn: SignedInOperator | null;
  context(clientId?: string): ServiceContext;
};

function clientBackend(backend: CounterBackend, clientId: string): ClientBackend {
  const handlers = Object.fromEntries(
    Object.entries(backend.handlers).map(([m, h]) => [
      m,
      (r: unknown, id: string = clientId) => (h as (r: unknown, id: string) => unknown)(r, id),
    ]),
  ) as Handlers;
  return new Proxy(backend, {
    get(target, key) {
      if (key === 'signedIn') return target.operatorAt(clientId);
      if (key === 'context') return (id: string = clientId) => target.context(id);
      if (key === 'appState') return (id: string = clientId) => target.appState(id);
      if (key === 'handlers') return handlers;
      const v: unknown = Reflect.get(target, key, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as ClientBackend;
}

export interface Counter {
  backend: ClientBackend;
  dataDir: string;
  clock: FakeClock;
  /** the dispatcher, with response checking on, as the harness's client (or the one named) */
  dispatch(method: string, payload: unknown, clientId?: string): Promise<Result<unknown>>;
  call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<Result<ResponseOf<M>>>;
  /** calls and expects success */
  ok<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>>;
  /** calls and expects failure */
  err<M extends MethodName>(method: M, request: RequestOf<M>): Promise<AppError>;
  signIn(who: { loginId: string; pin: string }): Promise<void>;
  /** closes the backend (idempotent); settles when its sync worker has stopped */
  close(): Promise<void>;
  /** closes and removes the folder */
  dispose(): Promise<void>;
}

export type ExtraBackendOptions = Omit<BackendOptions, 'dataDir' | 'clock'>;

export async function openCounter(dataDir: string, clock: FakeClock, extra: ExtraBackendOptions = {}): Promise<Counter> {
  const real = await CounterBackend.open({ log: silentLogger(), ...extra, dataDir, clock });
  const backend = clientBackend(real, HARNESS_CLIENT);
  const dispatcher = createDispatcher(real, { validateResponses: true });
  const dispatch = (method: string, payload: unknown, clientId: string = HARNESS_CLIENT) => dispatcher(method, payload, clientId);
  let closed = false;
  const c: Counter = {
    backend,
    dataDir,
    clock,
    dispatch,
    call: (method, request) => dispatch(method, request) as never,
    async ok(method, request) {
      const r = await dispatch(method, request);
      if (!r.ok) throw new Error(`${method} failed: ${JSON.stringify(r.error)}`);
      return r.value as never;
    },
    async err(method, request) {
      const r = await dispatch(method, request);
      if (r.ok) throw new Error(`${method} succeeded but was expected to fail: ${JSON.stringify(r.value)}`);
      return r.error;
    },
    async signIn(who) {
      await c.ok('signIn', { loginId: who.loginId, pin: who.pin });
    },
    async close() {
      if (!closed) {
        closed = true;
        await real.close();
      }
    },
    async dispose() {
      await c.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return c;
}

export interface SetupOptions {
  at?: string;
  provisioning?: Partial<ProvisioningInput>;
  /** also add the operator account (costs one PIN hash) */
  withOperator?: boolean;
  /** roster of the centre's today to import as the supervisor */
  roster?: RosterEntry[];
  /** who is signed in at the end (default: the supervisor) */
  signedIn?: 'supervisor' | 'operator' | 'nobody';
  /** backend options (the sync worker's entry, its timings) */
  backend?: ExtraBackendOptions;
}

/**
 * A provisioned counter: supervisor (and optionally an operator), optional roster.
 *
 * The accounts come from a template made once per test file for each time, key and set of
 * accounts (see `counterTemplate`), the provisioning file is written as first run writes it:
 * a test pays for opening a copy, not for the migrations and the PIN hashes of first run and of
 * the added operator. The set-up's own sign-ins check the fixed accounts' PINs against hashes
 * checked before in this file (see ../support/pin-hash-cache); what the test itself then does
 * hashes every PIN for real.
 */
export function setupCounter(options: SetupOptions = {}): Promise<Counter> {
  return whileSettingUp(() => setUp(options));
}

async function setUp(options: SetupOptions): Promise<Counter> {
  const at = options.at ?? MORNING;
  // as first run gets it: parsed here, then again by the dispatcher
  const provisioning = provisioningSchema.parse(provisioningSchema.parse({ ...PROVISIONING, ...options.provisioning }));
  const template = await counterTemplate({
    at,
    withOperator: options.withOperator === true || options.signedIn === 'operator',
    databaseKey: options.backend?.databaseKey,
    nativeBinding: options.backend?.nativeBinding,
  });
  const dir = tempDir();
  copyFileSync(join(template, DB_FILE), join(dir, DB_FILE));
  saveProvisioning(join(dir, 'provisioning.json'), provisioning);
  const c = await openCounter(dir, fakeClock(at), options.backend);
  await c.signIn(SUPERVISOR);
  if (options.roster) await importRosterCsv(c, c.backend.today()!, options.roster);
  if (options.signedIn === 'operator') await c.signIn(OPERATOR);
  if (options.signedIn === 'nobody') await c.ok('signOut', {});
  return c;
}

const DB_FILE = 'counter.db';

interface TemplateOptions {
  at: string;
  withOperator: boolean;
  databaseKey: string | undefined;
  nativeBinding: string | undefined;
}

const templates = new Map<string, Promise<string>>();
const templateDirs: string[] = [];
process.once('exit', () => {
  for (const dir of templateDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * The folder of a closed counter whose database is as first run and the supervisor leave it:
 * provisioned at `at`, with the supervisor (and the operator, added by the supervisor) and
 * nobody signed in. Made through the same handlers as ever, once for each set of options in
 * this process. The provisioning lives in its file, written for each copy: first run writes
 * nothing of it into the database. Left out, so that each copy gets its own as a fresh counter
 * would: the device ID (made again when the copy is opened) and the audit row of the
 * template's sign-in (each copy signs in itself).
 */
function counterTemplate(options: TemplateOptions): Promise<string> {
  const key = JSON.stringify(options);
  let made = templates.get(key);
  if (!made) {
    made = makeTemplate(options);
    templates.set(key, made);
  }
  return made;
}

async function makeTemplate(options: TemplateOptions): Promise<string> {
  const dir = tempDir('counter-template-');
  templateDirs.push(dir);
  const c = await openCounter(dir, fakeClock(options.at), {
    ...(options.databaseKey !== undefined ? { databaseKey: options.databaseKey } : {}),
    ...(options.nativeBinding !== undefined ? { nativeBinding: options.nativeBinding } : {}),
  });
  await c.ok('provision', { provisioning: provisioningSchema.parse(PROVISIONING) as never, supervisor: { ...SUPERVISOR } });
  if (options.withOperator) {
    const signedInFrom = maxAuditId(c);
    await c.signIn(SUPERVISOR);
    await c.ok('addOperator', { ...OPERATOR, role: 'operator' });
    c.backend.db.prepare("DELETE FROM audit_log WHERE id > ? AND action = 'operator.signed_in'").run(signedInFrom);
  }
  c.backend.db.prepare("DELETE FROM meta WHERE key = 'device_id'").run();
  // no free pages left by first run's migrations: a copy's file grows as a new counter's does
  c.backend.db.exec('VACUUM');
  await c.close();
  for (const file of readdirSync(dir)) {
    if (file !== DB_FILE && file !== 'provisioning.json') throw new Error(`the template counter left ${file} behind`);
  }
  return dir;
}

const maxAuditId = (c: Counter): number =>
  (c.backend.db.prepare('SELECT coalesce(max(id), 0) AS n FROM audit_log').get() as { n: number }).n;

/**
 * Copies a closed counter's folder to a new temp folder and opens it there: a fresh counter
 * without paying for provisioning again.
 */
export async function cloneCounter(templateDir: string, clock: FakeClock): Promise<Counter> {
  const dir = tempDir();
  copyFileSync(join(templateDir, 'counter.db'), join(dir, 'counter.db'));
  copyFileSync(join(templateDir, 'provisioning.json'), join(dir, 'provisioning.json'));
  return openCounter(dir, clock);
}

export async function importRosterCsv(c: Counter, day: string, entries: readonly RosterEntry[], fileName = 'roster.csv') {
  return c.ok('importRoster', { fileName, format: 'csv', content: rosterCsv(day, entries) });
}

/** A roster row with sensible defaults; `refId` must be 6-20 letters/digits. */
export function rosterEntry(refId: string, overrides: Partial<RosterEntry> = {}): RosterEntry {
  return {
    refId,
    name: 'Sunita Devi',
    gender: 'F',
    birthYear: 1955,
    mobileLast4: '1111',
    photoIdType: 'VOTER_ID',
    photoIdLast4: '0000',
    dose: 1,
    slotTime: '10:00',
    ...overrides,
  };
}

/** A valid 12-digit Aadhaar-format number (Verhoeff check digit), distinct for each n. */
export function aadhaar(n: number): string {
  const body = `2${String(n).padStart(10, '0')}`;
  return body + String(verhoeffDigit(body));
}

const NAMES = [
  'Kamla Yadav',
  'Mohd Irfan Khan',
  'Geeta Mishra',
  'Rakesh Gupta',
  'Shabnam Ansari',
  'Vijay Pandey',
  'Usha Rawat',
  'Imran Qureshi',
];

/** A valid, eligible walk-in form (born 1950, 45+ phase), distinct photo ID and mobile for each n. */
export function walkInForm(n: number, overrides: Partial<WalkInFormInput> = {}): WalkInFormInput {
  return {
    name: `${NAMES[n % NAMES.length]!}`,
    gender: n % 2 === 0 ? 'F' : 'M',
    birthYear: 1950,
    mobile: `98${String(n).padStart(8, '0')}`,
    photoIdType: 'AADHAAR',
    photoIdNumber: aadhaar(n),
    comorbidity: false,
    dose: 1,
    ...overrides,
  };
}

export function count(c: Counter, sql: string, ...params: unknown[]): number {
  return (c.backend.db.prepare(sql).get(...params) as { n: number }).n;
}

export const outboxCount = (c: Counter): number => count(c, 'SELECT count(*) AS n FROM outbox');

/** An operator's row as stored (the sign-in and lock-out tests read its counters). */
export function operatorRowOf(c: Counter, loginId: string) {
  return c.backend.db.prepare('SELECT * FROM operator WHERE login_id = ?').get(loginId) as {
    id: string;
    pin_hash: string;
    failed_attempts: number;
    locked_until: string | null;
    disabled: number;
  };
}

/** Signs `who` in at the harness's client. */
export const signInAs = (c: Counter, who: { loginId: string; pin: string }) =>
  c.call('signIn', { loginId: who.loginId, pin: who.pin });

/** Everything a failed action must leave as it was. */
export function storeSnapshot(c: Counter) {
  const db = c.backend.db;
  return {
    tickets: db.prepare('SELECT * FROM ticket ORDER BY id').all(),
    walkins: db.prepare('SELECT * FROM walkin ORDER BY id').all(),
    events: db.prepare('SELECT * FROM ticket_event ORDER BY id').all(),
    vaccinations: db.prepare('SELECT * FROM vaccination ORDER BY id').all(),
    outbox: db.prepare('SELECT * FROM outbox ORDER BY seq').all(),
    tokenSequence: db.prepare('SELECT * FROM token_sequence ORDER BY day, lane').all(),
  };
}

/** Makes every outbox insert on this connection fail, as a full disk or a bug would, after the change itself was written. */
export function breakOutbox(c: Counter): () => void {
  c.backend.db.exec(
    "CREATE TEMP TRIGGER break_outbox BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'injected outbox failure'); END;",
  );
  return () => c.backend.db.exec('DROP TRIGGER temp.break_outbox');
}

export const SUBMISSION = (n: number) => `0190a5b2-7c3d-7e4f-8a9b-${String(n).padStart(12, '0')}`;
