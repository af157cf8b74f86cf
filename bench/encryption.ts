/**
 * What encryption at rest costs: the same counter operations on a database in the clear and on
 * an encrypted one (SQLCipher 4 settings, a raw 256-bit key), in the same run and interleaved
 * sample by sample, so a loaded machine slows both alike and the ratio holds when the absolute
 * numbers do not. Also how long the write-ahead log's truncation after a reduction of full ID
 * numbers takes (the time the sync worker holds the write lock, or the main thread after a
 * supervisor's dismissal).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DEMO_PROVISIONING, DEMO_USERS } from '../common/demo/counter';
import { prng, rosterCsv, rosterEntries, walkInForm } from '../common/demo/people';
import { provisioningSchema, type TicketView } from '../common/domain';
import { CounterBackend } from '../main/counter';
import { createDispatcher } from '../main/ipc/dispatcher';
import { silentLogger } from '../main/logging/logger';
import { checkpointPassive, truncateWal } from '../main/store/database';
import { middayClock, unwrap } from './counter';
import { latencyMetrics, median, round, summarize, timeOnce, type Benchmark, type BenchContext, type Metric } from './stats';

const ROSTER_ROWS = 100_000;
const IMPORT_RUNS = 2;
const SAMPLES = 1000;
const WARMUP = 150;
const TRUNCATIONS = 40;
const WALK_INS_PER_TRUNCATION = 20;

type Mode = 'plain' | 'encrypted';
const MODES: readonly Mode[] = ['plain', 'encrypted'];

interface Counter {
  backend: CounterBackend;
  call(method: string, payload: unknown): Promise<unknown>;
  day: string;
}

/** A provisioned demo counter, signed in as the supervisor, its database encrypted or not. */
async function openCounter(dir: string, mode: Mode): Promise<Counter> {
  const provisioning = provisioningSchema.parse(DEMO_PROVISIONING);
  const backend = await CounterBackend.open({
    dataDir: dir,
    log: silentLogger(),
    clock: middayClock(provisioning.centre.timeZone),
    ...(mode === 'encrypted' ? { databaseKey: randomBytes(32).toString('hex') } : {}),
  });
  const dispatch = createDispatcher(backend);
  const call = async (method: string, payload: unknown) =>
    unwrap<unknown>(method, await dispatch(method, payload, 'bench:encryption'));
  await call('provision', { provisioning: DEMO_PROVISIONING, supervisor: DEMO_USERS.supervisor });
  await call('signIn', { loginId: DEMO_USERS.supervisor.loginId, pin: DEMO_USERS.supervisor.pin });
  return { backend, call, day: backend.today()! };
}

const ratio = (name: string, plain: number, encrypted: number, note: string): Metric => ({
  metric: `${name}_ratio`,
  value: round(encrypted / plain, 2),
  unit: 'x',
  note: `encrypted / plain; ${note}`,
});

async function importRuns(ctx: BenchContext, content: (day: string) => string): Promise<Record<Mode, number[]>> {
  const seconds: Record<Mode, number[]> = { plain: [], encrypted: [] };
  for (let run = 0; run < IMPORT_RUNS; run++) {
    // alternate which goes first, so neither always runs on a warmer cache
    for (const mode of run % 2 === 0 ? MODES : [...MODES].reverse()) {
      const c = await openCounter(ctx.tempDir(`enc-import-${mode}-${run}`), mode);
      const csv = content(c.day);
      ctx.progress(`encryption: roster import ${run + 1}/${IMPORT_RUNS}, ${mode}`);
      seconds[mode].push(
        (await timeOnce(() => c.call('importRoster', { fileName: 'roster.csv', format: 'csv', content: csv }))) / 1000,
      );
      await c.backend.close();
    }
  }
  return seconds;
}

const encryption: Benchmark = {
  name: 'encryption',
  description: `the cost of encryption at rest: ${ROSTER_ROWS}-row roster import, check-in and walk-in p99, WAL truncation, in the clear and encrypted in one run`,
  async run(ctx) {
    const entries = rosterEntries(ROSTER_ROWS, 42);
    const metrics: Metric[] = [];

    const imports = await importRuns(ctx, (day) => rosterCsv(day, entries));
    for (const mode of MODES) {
      metrics.push({
        metric: `encryption_roster_import_100k_${mode}_s`,
        value: round(median(imports[mode])),
        unit: 's',
        note: `median of ${IMPORT_RUNS} runs: ${imports[mode].map((s) => s.toFixed(2)).join(', ')} s`,
      });
    }
    metrics.push(
      ratio(
        'encryption_roster_import_100k',
        median(imports.plain),
        median(imports.encrypted),
        `medians of ${IMPORT_RUNS} runs each`,
      ),
    );

    // one counter of each kind with the roster, then the registrations interleaved: plain, encrypted, plain, ...
    const counters = {} as Record<Mode, Counter>;
    for (const mode of MODES) {
      counters[mode] = await openCounter(ctx.tempDir(`enc-${mode}`), mode);
      ctx.progress(`encryption: roster for the ${mode} counter`);
      await counters[mode].call('importRoster', {
        fileName: 'roster.csv',
        format: 'csv',
        content: rosterCsv(counters[mode].day, entries),
      });
    }
    try {
      const refs = entries.map((e) => e.refId);
      const r = prng(11);
      for (let i = refs.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [refs[i], refs[j]] = [refs[j]!, refs[i]!];
      }
      const checkIns: Record<Mode, number[]> = { plain: [], encrypted: [] };
      const walkIns: Record<Mode, number[]> = { plain: [], encrypted: [] };
      ctx.progress(`encryption: ${SAMPLES} check-ins and ${SAMPLES} walk-ins on each, interleaved`);
      const forms = prng(13);
      for (let i = 0; i < WARMUP + SAMPLES; i++) {
        const form = walkInForm(forms);
        for (const mode of i % 2 === 0 ? MODES : [...MODES].reverse()) {
          const c = counters[mode];
          const checkIn = await timeOnce(async () => (await c.call('checkIn', { refId: refs[i]! })) as TicketView);
          // what the operator sees before pressing Register (untimed), then the registration
          const preview = (await c.call('previewWalkIn', { form })) as { duplicates: { id: string }[] };
          const request = { submissionId: randomUUID(), form, acknowledgedDuplicates: preview.duplicates.map((d) => d.id) };
          const walkIn = await timeOnce(() => c.call('registerWalkIn', request));
          if (i < WARMUP) continue;
          checkIns[mode].push(checkIn);
          walkIns[mode].push(walkIn);
        }
      }
      for (const [name, samples] of [
        ['checkin', checkIns],
        ['walkin', walkIns],
      ] as const) {
        for (const mode of MODES) metrics.push(...latencyMetrics(`encryption_${name}_${mode}`, samples[mode]));
        const at = (m: Mode) => summarize(samples[m]);
        const note = `${SAMPLES} interleaved samples each`;
        metrics.push(ratio(`encryption_${name}_p50`, at('plain').p50, at('encrypted').p50, note));
        metrics.push(ratio(`encryption_${name}_p99`, at('plain').p99, at('encrypted').p99, note));
      }

      // the truncation after a reduction: the log as a few uploads' worth of walk-ins leave it
      const truncations: Record<Mode, number[]> = { plain: [], encrypted: [] };
      // as the sync worker's truncation usually finds it: the main process has copied the log back once changes paused
      const afterCopyBack: Record<Mode, number[]> = { plain: [], encrypted: [] };
      ctx.progress(`encryption: ${TRUNCATIONS} WAL truncations after ${WALK_INS_PER_TRUNCATION} walk-ins each`);
      for (let t = 0; t < TRUNCATIONS; t++) {
        for (const mode of MODES) {
          const c = counters[mode];
          for (let k = 0; k < WALK_INS_PER_TRUNCATION; k++) {
            const form = walkInForm(forms);
            const preview = (await c.call('previewWalkIn', { form })) as { duplicates: { id: string }[] };
            await c.call('registerWalkIn', {
              submissionId: randomUUID(),
              form,
              acknowledgedDuplicates: preview.duplicates.map((d) => d.id),
            });
          }
          let done = false;
          const copyBack = t % 2 === 1;
          if (copyBack) checkpointPassive(c.backend.db);
          (copyBack ? afterCopyBack : truncations)[mode].push(await timeOnce(() => (done = truncateWal(c.backend.db))));
          if (!done) throw new Error('the WAL truncation found another connection in the way (there is none here)');
        }
      }
      for (const mode of MODES) {
        const m = latencyMetrics(`wal_truncate_${mode}`, truncations[mode]);
        for (const x of m) x.note = `${x.note}; after ${WALK_INS_PER_TRUNCATION} walk-ins each`;
        const copied = latencyMetrics(`wal_truncate_after_copy_back_${mode}`, afterCopyBack[mode]);
        for (const x of copied) x.note = `${x.note}; after ${WALK_INS_PER_TRUNCATION} walk-ins and a passive checkpoint each`;
        metrics.push(...m, ...copied);
      }
    } finally {
      for (const mode of MODES) await counters[mode]?.backend.close();
    }
    return metrics;
  },
};

export const benchmarks: Benchmark[] = [encryption];
