/**
 * IT's recovery on the counter's PC, for when no supervisor can sign in (every one locked out
 * by the lock-out ladder, or a PIN forgotten). It works on the data folder directly: read and
 * write access to counter.db is the authority here, as whoever has it holds the data anyway
 * (the folder is the counter's OS user's own, 0700). Every change is written to the audit log
 * as made by the IT command, with the OS user who ran it.
 *
 * It may run while the counter app is open: each change is one short write transaction, as the
 * app's own are (SQLite's write lock and busy timeout keep them apart), and the app reads the
 * account afresh at every sign-in, so an unlock or a new PIN counts at once.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loginIdSchema, pinSchema } from '../../common/domain';
import { DomainError } from '../../common/result';
import type { Clock } from '../services/context';
import { listOperators, resetPinByItCommand, unlockOperator } from '../services/operators';
import { openDatabase, type Db } from '../store/database';
import { isPlainDatabase } from '../store/encryption';
import { operatorByLogin } from '../store/operators';

export const USAGE = `Usage: npm run counter-admin -- <command> --data DIR [--login ID]

Commands:
  list        the accounts of the counter and whether each is locked
  unlock      unlocks the account --login ID, whatever step of the lock-out it is on
  reset-pin   gives the account --login ID a new PIN and unlocks it. The PIN is read from the
              environment variable COUNTER_ADMIN_PIN or typed at the prompt (or the first line
              of standard input), never from the command line: every user of the PC sees that.
              A supervisor's PIN is 6-8 digits, an operator's 4-8.

--data DIR is the counter's data folder (the one holding counter.db). An encrypted database
is opened with the key in the environment variable COUNTER_DB_KEY; a database in the clear is
left in the clear whatever that variable says.`;

export interface AdminIo {
  out(line: string): void;
  err(line: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** asks for a new PIN (not echoed at a terminal) */
  readPin(): Promise<string>;
  /** the OS user running the command, for the audit log */
  osUser: string;
  /** the database key, when the caller has it; else COUNTER_DB_KEY */
  databaseKey?: string | undefined;
  clock?: Clock;
}

/** Runs one admin command; answers the exit code (0 done, 1 refused, 2 misused). */
export async function runAdmin(argv: readonly string[], io: AdminIo): Promise<number> {
  if (argv.some((a) => a === '--pin' || a.startsWith('--pin='))) {
    io.err('The PIN is never given on the command line (other users of the PC can read it there).');
    io.err('Set COUNTER_ADMIN_PIN, or type it when asked.');
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { data: { type: 'string' }, login: { type: 'string' }, help: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    io.err(e instanceof Error ? e.message : String(e));
    io.err(USAGE);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (positionals.length !== 1 || !['list', 'unlock', 'reset-pin'].includes(command ?? '')) {
    io.err(USAGE);
    return 2;
  }
  if (!values.data) {
    io.err('--data DIR is needed: the counter data folder, the one holding counter.db.');
    return 2;
  }
  const file = join(resolve(values.data), 'counter.db');
  if (!existsSync(file)) {
    io.err(`There is no counter database at ${file}: give the counter's data folder with --data.`);
    return 2;
  }
  let loginId: string | null = null;
  if (command !== 'list') {
    const login = loginIdSchema.safeParse(values.login ?? '');
    if (!login.success) {
      io.err('--login ID is needed: the login ID of the account (3-32 small letters, digits, dot, dash or underscore).');
      return 2;
    }
    loginId = login.data;
  }
  const clock = io.clock ?? (() => new Date());

  let db: Db;
  try {
    // a key given for a file in the clear would encrypt it with a key the app does not have
    const key = isPlainDatabase(file) ? undefined : (io.databaseKey ?? (io.env.COUNTER_DB_KEY || undefined));
    db = openDatabase(file, { key });
  } catch (e) {
    io.err(`The counter database ${file} could not be opened: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  try {
    if (command === 'list') {
      for (const op of listOperators(db)) io.out(`${op.loginId}\t${op.role}\t${stateOf(op, clock())}`);
      return 0;
    }
    const row = operatorByLogin(db, loginId!);
    if (!row) {
      io.err(`There is no account ${loginId} at this counter. "list" shows the accounts.`);
      return 1;
    }
    if (command === 'unlock') {
      unlockOperator(db, clock, { kind: 'it_command', osUser: io.osUser }, row.id);
      io.out(`${row.login_id} is unlocked and can sign in with their PIN.`);
      return 0;
    }
    const pin = io.env.COUNTER_ADMIN_PIN ?? (await io.readPin());
    if (!pinSchema.safeParse(pin).success) {
      io.err('A PIN is 4 to 8 digits (a supervisor’s 6 to 8). Nothing was changed.');
      return 1;
    }
    await resetPinByItCommand(db, clock, io.osUser, row.id, pin);
    io.out(`${row.login_id} has a new PIN and is unlocked.`);
    return 0;
  } catch (e) {
    if (e instanceof DomainError && e.extra?.fields?.some((f) => f.code === 'supervisor_pin_format')) {
      io.err('A supervisor’s PIN is 6 to 8 digits. Nothing was changed.');
      return 1;
    }
    throw e;
  } finally {
    db.close();
  }
}

function stateOf(op: ReturnType<typeof listOperators>[number], now: Date): string {
  if (op.disabled) return 'disabled';
  if (op.needsUnlock) return 'locked until unlocked';
  if (op.lockedUntil && Date.parse(op.lockedUntil) > now.getTime()) return `locked until ${op.lockedUntil}`;
  return 'active';
}
