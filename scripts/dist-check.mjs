// `npm run dist:check`: proves offline what a packaged app holds. Builds the app when out/ is
// missing or older than the sources, lays out a stand-in Electron distribution in a temporary
// folder (as Electron's Linux zip: an `electron` executable carrying the fuse wire, LICENSE,
// version, resources/), packs `--linux dir` with electron-builder into another temporary folder
// (never into the repository), then checks the result (test/dist/package-check.ts): the built
// app and the run-time paths of main/electron/app-paths.ts against app.asar and
// app.asar.unpacked, nothing that is not needed at run time, the size budget, and the fuses as
// electron-builder flipped them. One line per check; exits non-zero when one fails.
//   --json FILE   also write { passed, failed, seconds, checks } to FILE (scripts/run-tests.mjs)
//   --keep        keep the temporary folder (its path is printed)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

// app.asar plus app.asar.unpacked: 62.1 MB measured (2026-12-05, linux x64: app.asar 22 MB of
// which date-fns 10 MB; unpacked 40 MB of which canvas's Skia 35 MB); the budget leaves about 20% for growth and catches a dependency
// tree, a renderer library or a native module's build folder packed by mistake
const BUDGET_MB = 75;
const BUILDER_TIMEOUT_MS = 240_000;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const bin = (name) => join(root, 'node_modules/.bin', name);
const argv = process.argv.slice(2);
const jsonOut = argv.includes('--json') ? argv[argv.indexOf('--json') + 1] : undefined;
const keep = argv.includes('--keep');
const started = Date.now();

const check = await tsImport('../test/dist/package-check.ts', import.meta.url);
const results = [];
let tmp;
try {
  ensureBuilt();
  trimVoices();
  tmp = mkdtempSync(join(tmpdir(), 'counter-dist-'));
  const electronDist = standInElectron(join(tmp, 'electron'));
  const out = join(tmp, 'out');
  const t = Date.now();
  const packed = spawnSync(
    bin('electron-builder'),
    [
      '--linux',
      'dir',
      '--x64',
      '--publish',
      'never',
      `-c.electronDist=${electronDist}`,
      '-c.npmRebuild=false',
      `-c.directories.output=${out}`,
    ],
    {
      cwd: root,
      encoding: 'utf8',
      timeout: BUILDER_TIMEOUT_MS,
      env: { ...process.env, CSC_IDENTITY_AUTO_DISCOVERY: 'false' },
    },
  );
  const appOutDir = join(out, 'linux-unpacked');
  const builderOk = packed.status === 0 && existsSync(join(appOutDir, 'resources', 'app.asar'));
  results.push({
    name: 'electron-builder packs --linux dir with the stand-in Electron',
    ok: builderOk,
    detail: builderOk
      ? `${((Date.now() - t) / 1000).toFixed(1)} s`
      : `exit ${packed.status ?? packed.signal}: ${tail(`${packed.stdout}\n${packed.stderr}`)}`,
  });
  if (builderOk) {
    const listing = check.readPackedApp(appOutDir);
    const expectations = check.readExpectations(root, BUDGET_MB * 1e6);
    results.push(...check.checkPackedApp(listing, expectations));
    results.push(...(await fuseChecks(appOutDir)));
    results.push(updateConfigCheck(appOutDir));
    results.push(...(await installKindChecks(appOutDir)));
  }
} catch (e) {
  results.push({ name: 'package check ran', ok: false, detail: e instanceof Error ? e.message : String(e) });
} finally {
  if (tmp && !keep) rmSync(tmp, { recursive: true, force: true });
}

const failed = results.filter((r) => !r.ok).length;
for (const r of results) console.log(`${r.ok ? '  ok  ' : '  FAIL'} ${r.name}: ${r.detail}`);
const seconds = (Date.now() - started) / 1000;
console.log(
  `dist:check: ${results.length - failed} passed, ${failed} failed in ${seconds.toFixed(1)} s${keep && tmp ? ` (kept ${tmp})` : ''}`,
);
if (jsonOut)
  writeFileSync(jsonOut, JSON.stringify({ passed: results.length - failed, failed, seconds, checks: results }, null, 2));
process.exit(failed > 0 || results.length === 0 ? 1 : 0);

/** eSpeak NG's Hindi and English voices alone (espeak-ng.hi-en.data), as `npm run dist` packs them. */
function trimVoices() {
  const t = Date.now();
  const trimmed = spawnSync(bin('tsx'), ['scripts/trim-voice-data.mjs'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  const ok = trimmed.status === 0;
  results.push({
    name: 'the speech voices are trimmed to Hindi and English',
    ok,
    detail: ok
      ? `${trimmed.stdout.trim()}, ${((Date.now() - t) / 1000).toFixed(1)} s`
      : tail(`${trimmed.stdout}\n${trimmed.stderr}`),
  });
  if (!ok) throw new Error('trimming the speech voices failed');
}

/** Runs electron-vite's build when a built file is missing or older than a source file. */
function ensureBuilt() {
  const outputs = [
    'out/main/index.js',
    'out/main/sync-worker.js',
    'out/main/speech-worker.js',
    'out/preload/index.cjs',
    'out/preload/board.cjs',
    'out/renderer/index.html',
    'out/renderer/board.html',
  ].map((f) => join(root, f));
  const builtAt = Math.min(...outputs.map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
  const sourcesAt = Math.max(
    ...['main', 'preload', 'renderer', 'common'].map((d) => newest(join(root, d))),
    statSync(join(root, 'electron.vite.config.ts')).mtimeMs,
  );
  if (builtAt >= sourcesAt) {
    results.push({ name: 'the app is built', ok: true, detail: 'out/ is newer than the sources' });
    return;
  }
  const t = Date.now();
  const built = spawnSync(bin('electron-vite'), ['build'], { cwd: root, encoding: 'utf8', timeout: 180_000 });
  const ok = built.status === 0;
  results.push({
    name: 'the app is built',
    ok,
    detail: ok ? `electron-vite build, ${((Date.now() - t) / 1000).toFixed(1)} s` : tail(`${built.stdout}\n${built.stderr}`),
  });
  if (!ok) throw new Error('electron-vite build failed');
}

function newest(dir) {
  let t = 0;
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    if (d.name === 'node_modules' || d.name.startsWith('.')) continue;
    const p = join(dir, d.name);
    t = Math.max(t, d.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** A folder laid out like Electron's Linux zip, with a stand-in executable that carries the fuse wire. */
function standInElectron(dir) {
  mkdirSync(join(dir, 'resources'), { recursive: true });
  writeFileSync(join(dir, 'electron'), check.standInExecutable(), { mode: 0o755 });
  writeFileSync(join(dir, 'LICENSE'), 'Stand-in for the Electron distribution (MIT): package check only.\n');
  writeFileSync(join(dir, 'LICENSES.chromium.html'), '<!doctype html><title>stand-in</title>\n');
  writeFileSync(join(dir, 'version'), require('electron/package.json').version);
  return dir;
}

/** Reads the fuses back from the packed executable (electron-builder flipped them in place). */
async function fuseChecks(appOutDir) {
  const name = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name;
  const exe = join(appOutDir, name);
  if (!existsSync(exe)) return [{ name: 'packed executable', ok: false, detail: `no ${name} in ${appOutDir}` }];
  const { getCurrentFuseWire } = require('@electron/fuses');
  return check.checkFuseWire(await getCurrentFuseWire(exe));
}

/** The in-app update configuration electron-builder writes for Linux (AppImage) builds. */
function updateConfigCheck(appOutDir) {
  const file = join(appOutDir, 'resources', 'app-update.yml');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const ok = /provider: generic/.test(text) && /url: https:\/\//.test(text);
  return {
    name: 'resources/app-update.yml names the https generic feed',
    ok,
    detail: ok ? text.trim().split('\n').join(', ') : text ? text.trim() : 'missing',
  };
}

/** How main/electron/install-kind.ts sees the packed Linux folder: run as is, and as an AppImage. */
async function installKindChecks(appOutDir) {
  const { detectInstallKind, inAppUpdatesAllowed } = await tsImport('../main/electron/install-kind.ts', import.meta.url);
  const name = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name;
  const input = (env) => ({
    platform: 'linux',
    isPackaged: true,
    env,
    resourcesPath: join(appOutDir, 'resources'),
    execPath: join(appOutDir, name),
    fileExists: existsSync,
  });
  return [
    [{}, 'deb', false],
    [{ APPIMAGE: join(tmp, 'Registration Counter.AppImage') }, 'appimage', true],
  ].map(([env, want, updates]) => {
    const kind = detectInstallKind(input(env));
    const ok = kind === want && inAppUpdatesAllowed(kind) === updates;
    return {
      name: `install kind of the packed folder ${env.APPIMAGE ? 'run as an AppImage' : 'installed as a deb'}`,
      ok,
      detail: `${kind}, in-app updates ${inAppUpdatesAllowed(kind) ? 'on' : 'off'}`,
    };
  });
}

function tail(text) {
  return text.trim().split('\n').slice(-6).join(' | ').slice(-800);
}
