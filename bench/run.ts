/**
 * `npm run bench`: runs the benchmarks and prints a table of metrics with their targets.
 *   --json          one JSON object per line: {"metric","value","unit"} (+ "target" and "met" when it has a target);
 *                   use `npm run -s bench -- --json` so npm's own header stays out of stdout
 *   --only a,b      only the named benchmarks (see --list)
 *   --list          the benchmarks and what each measures
 * Progress goes to stderr. A benchmark reports; it does not fail on a slow number. A benchmark
 * that throws is told (and the exit code is 1) and the others still run and report.
 *
 * Adding benchmarks: a module exporting `benchmarks: Benchmark[]` (and `cleanup()` if it keeps
 * state between them), listed in MODULES below. Shared helpers are in stats.ts and counter.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as board from './board';
import * as core from './core';
import * as district from './district';
import * as encryption from './encryption';
import * as slip from './slip';
import * as speech from './speech';
import * as sync from './sync';
import * as uiRush from './ui-rush';
import * as updates from './updates';
import { collectGarbage, met, type Benchmark, type BenchContext, type Metric } from './stats';

interface BenchModule {
  benchmarks: Benchmark[];
  cleanup?: () => void | Promise<void>;
}

const MODULES: BenchModule[] = [core, encryption, slip, sync, uiRush, updates, board, speech, district];

function parseArgs(argv: string[]) {
  const json = argv.includes('--json');
  const list = argv.includes('--list');
  const i = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  const onlyArg = i < 0 ? undefined : argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1];
  const only = onlyArg ? new Set(onlyArg.split(',').map((s) => s.trim())) : null;
  return { json, list, only };
}

function table(metrics: Metric[]): string {
  const rows = metrics.map((m) => {
    const ok = met(m);
    return [
      m.metric,
      String(m.value),
      m.unit,
      m.target ? `<= ${m.target.max}` : '',
      ok === null ? '' : ok ? 'yes' : 'NO',
      m.note ?? '',
    ];
  });
  const head = ['metric', 'value', 'unit', 'target', 'met', 'how'];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => (c === 1 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const all = MODULES.flatMap((m) => m.benchmarks);
  if (args.list) {
    for (const b of all) console.log(`${b.name.padEnd(20)} ${b.description}`);
    return 0;
  }
  const unknown = args.only ? [...args.only].filter((n) => !all.some((b) => b.name === n)) : [];
  if (unknown.length) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; see --list`);
    process.exitCode = 2;
    return 0;
  }
  const selected = args.only ? all.filter((b) => args.only!.has(b.name)) : all;

  const root = mkdtempSync(join(tmpdir(), 'counter-bench-'));
  let dirs = 0;
  const ctx: BenchContext = {
    tempDir: (label) => mkdtempSync(join(root, `${String(dirs++).padStart(2, '0')}-${label}-`)),
    progress: (message) => process.stderr.write(`[bench] ${message}\n`),
  };
  const metrics: Metric[] = [];
  const failed: Array<{ name: string; reason: string }> = [];
  const started = performance.now();
  const cleaned = new Set<BenchModule>();
  try {
    for (const module of MODULES) {
      const mine = selected.filter((b) => module.benchmarks.includes(b));
      if (mine.length === 0) continue;
      for (const b of mine) {
        ctx.progress(`${b.name}: ${b.description}`);
        let got: Metric[];
        try {
          // each benchmark starts from a collected heap: none measures the garbage of the one
          // before it (three roster imports' worth of it showed in the searches after them)
          collectGarbage();
          got = await b.run(ctx);
        } catch (e) {
          // one benchmark that cannot run (no Chromium, no PostgreSQL) costs its own figures only
          const reason = e instanceof Error ? e.message.split('\n')[0]! : String(e);
          failed.push({ name: b.name, reason });
          ctx.progress(`${b.name} FAILED: ${reason}`);
          continue;
        }
        metrics.push(...got);
        if (args.json) {
          for (const m of got) {
            const ok = met(m);
            const out = {
              metric: m.metric,
              value: m.value,
              unit: m.unit,
              ...(m.target ? { target: m.target.max, met: ok } : {}),
            };
            process.stdout.write(`${JSON.stringify(out)}\n`);
          }
        }
      }
      // what a module kept for its benchmarks (a counter with a 100,000-row roster and its sync
      // worker) is closed before the next module's run, and its garbage collected: no benchmark
      // measures beside another's leftovers
      cleaned.add(module);
      await module.cleanup?.();
      collectGarbage();
    }
  } finally {
    for (const m of MODULES) if (!cleaned.has(m)) await m.cleanup?.();
    rmSync(root, { recursive: true, force: true });
  }
  ctx.progress(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const f of failed) console.error(`benchmark ${f.name} did not run to its end: ${f.reason}`);
  if (!args.json) {
    console.log(table(metrics));
    const targeted = metrics.filter((m) => m.target);
    const missed = targeted.filter((m) => !met(m));
    const notRun = failed.length > 0 ? `; did not run to their end: ${failed.map((f) => f.name).join(', ')}` : '';
    console.log(
      `\n${targeted.length - missed.length} of ${targeted.length} targets met${missed.length ? `; missed: ${missed.map((m) => m.metric).join(', ')}` : ''}${notRun}`,
    );
  }
  return failed.length;
}

const failures = await main();
// a benchmark that threw may have left a worker or a child running: the run ends here all the same
if (failures > 0) process.exit(1);
