/**
 * The process the crash test kills. Opens the counter on a seeded data folder, signs in and
 * registers walk-ins and checks in roster people through the dispatcher until it is killed.
 *
 * Usage: node --import tsx test/crash/child.ts <dataDir> <seed> <clockOffsetMs> [<retry as base64 JSON>]
 *
 * One line on stdout per event, each written with a single write (pipes are synchronous on
 * Linux, so a printed line reaches the parent even if the kill follows at once):
 *   ready
 *   try <submissionId> <form JSON>          before a walk-in is sent
 *   ok <ticketId> <token> <submissionId>    after the dispatcher confirmed it (committed)
 *   tryci <refId>                           before a check-in is sent
 *   ci <ticketId> <token> <refId>           after the dispatcher confirmed it
 *   already <ticketId> <token> <refId>      a retried check-in that had committed before the kill
 *   err <method> <code> <message>           anything unexpected; the parent fails the test
 */
import { randomUUID } from 'node:crypto';
import type { WalkInFormInput } from '../../common/domain';
import { prng, walkInForm } from '../../common/demo/people';
import { DEMO_USERS } from '../../common/demo/counter';
import { createDispatcher } from '../../main/ipc/dispatcher';
import { silentLogger } from '../../main/logging/logger';
import { CounterBackend } from '../../main/counter';

export interface Retry {
  walkIn?: { submissionId: string; form: WalkInFormInput };
  checkIn?: { refId: string };
}

const [dataDir, seedArg, offsetArg, retryArg] = process.argv.slice(2);
if (!dataDir || !seedArg || !offsetArg) {
  process.stderr.write('usage: child.ts <dataDir> <seed> <clockOffsetMs> [retry]\n');
  process.exit(2);
}
const seed = Number(seedArg);
const offset = Number(offsetArg);
const retry: Retry = retryArg ? (JSON.parse(Buffer.from(retryArg, 'base64').toString('utf8')) as Retry) : {};

const say = (line: string) => process.stdout.write(`${line}\n`);
/** Guards the loop against running for ever if the parent dies without killing us. */
const MAX_OPERATIONS = 100_000;
const MAX_RUN_MS = 60_000;

const backend = await CounterBackend.open({ dataDir, log: silentLogger(), clock: () => new Date(Date.now() + offset) });
const dispatcher = createDispatcher(backend, { validateResponses: true });
const dispatch = (method: string, payload: unknown) => dispatcher(method, payload, 'test:crash-child');

const signedIn = await dispatch('signIn', { loginId: DEMO_USERS.operator.loginId, pin: DEMO_USERS.operator.pin });
if (!signedIn.ok) {
  say(`err signIn ${signedIn.error.code} ${signedIn.error.message}`);
  process.exit(1);
}
say('ready');

type Ticket = { id: string; token: string };

async function registerWalkIn(submissionId: string, form: WalkInFormInput): Promise<Ticket | null> {
  say(`try ${submissionId} ${JSON.stringify(form)}`);
  let acknowledged: string[] = [];
  for (let attempt = 0; attempt < 2; attempt++) {
    const r = await dispatch('registerWalkIn', { submissionId, form, acknowledgedDuplicates: acknowledged });
    if (r.ok) return r.value as Ticket;
    if (r.error.code === 'DUPLICATE_SUSPECTED' && attempt === 0) {
      // The operator looked at the possible duplicates and decided they are other people.
      const dups = (r.error.details?.duplicates ?? []) as { id: string }[];
      acknowledged = dups.map((d) => d.id);
      continue;
    }
    say(`err registerWalkIn ${r.error.code} ${r.error.message}`);
    return null;
  }
  return null;
}

async function checkIn(refId: string, isRetry: boolean): Promise<void> {
  say(`tryci ${refId}`);
  const r = await dispatch('checkIn', { refId });
  if (r.ok) {
    const t = r.value as Ticket;
    say(`ci ${t.id} ${t.token} ${refId}`);
    return;
  }
  if (isRetry && r.error.code === 'ALREADY_CHECKED_IN') {
    const d = r.error.details as { ticketId: string; token: string };
    say(`already ${d.ticketId} ${d.token} ${refId}`);
    return;
  }
  say(`err checkIn ${r.error.code} ${r.error.message}`);
}

if (retry.walkIn) {
  const t = await registerWalkIn(retry.walkIn.submissionId, retry.walkIn.form);
  if (t) say(`ok ${t.id} ${t.token} ${retry.walkIn.submissionId}`);
}
if (retry.checkIn) await checkIn(retry.checkIn.refId, true);

// Roster people without a ticket yet, in a shuffled order.
const rand = prng(seed);
const refs = (
  backend.db
    .prepare(
      `SELECT e.ref_id FROM roster_entry e JOIN roster_import i ON i.id = e.import_id AND i.status = 'active'
       WHERE e.ref_id NOT IN (SELECT ref_id FROM ticket WHERE ref_id IS NOT NULL) ORDER BY e.ref_id`,
    )
    .all() as { ref_id: string }[]
).map((r) => r.ref_id);
for (let i = refs.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [refs[i], refs[j]] = [refs[j]!, refs[i]!];
}

const started = Date.now();
for (let n = 0; n < MAX_OPERATIONS && Date.now() - started < MAX_RUN_MS; n++) {
  if (rand() < 0.25 && refs.length > 0) {
    await checkIn(refs.pop()!, false);
  } else {
    const submissionId = randomUUID();
    const t = await registerWalkIn(submissionId, walkInForm(rand));
    if (t) say(`ok ${t.id} ${t.token} ${submissionId}`);
  }
}
backend.close();
