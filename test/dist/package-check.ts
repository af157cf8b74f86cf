/**
 * What a packed build must hold, checked on its listing: `npm run dist:check`
 * (scripts/dist-check.mjs) packs a Linux build with a stand-in Electron, reads it with
 * `readPackedApp` and runs `checkPackedApp`; test/dist/package-check.test.ts runs the same checks
 * on doctored listings to show that each one fails when it should.
 *
 * The run-time paths come from main/electron/app-paths.ts (the functions the main process
 * calls), evaluated for the packed app's folder, so a path that does not match the package fails
 * here and not on a counter PC.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { join, posix } from 'node:path';
import * as appPaths from '../../main/electron/app-paths';

const require = createRequire(import.meta.url);

/** One file of the packed app, as the asar header lists it. */
export interface AsarEntry {
  size: number;
  /** stored in app.asar.unpacked beside the archive instead of inside it */
  unpacked: boolean;
}

/** What the checks look at: built from a packed app by `readPackedApp`, or doctored by a test. */
export interface PackedListing {
  /** every file in app.asar's header, by path inside the archive ("out/main/index.js") */
  asar: Map<string, AsarEntry>;
  /** every real file under app.asar.unpacked ("node_modules/x/y.node") */
  unpacked: Set<string>;
  /** app.asar's package.json */
  packageJson: { main?: unknown; name?: unknown; productName?: unknown; devDependencies?: unknown };
  /** the names the packed modules' package.json files depend on (dependencies, optional, peer) */
  dependedOn: Set<string>;
  /** each packed module's folder ("node_modules/a/node_modules/b") and its required dependencies */
  requires: Map<string, string[]>;
  /** bytes of app.asar on disk, and of every file under app.asar.unpacked */
  asarBytes: number;
  unpackedBytes: number;
}

/** What the build (out/) and the project's package.json say should be there. */
export interface Expectations {
  /** the platform and architecture the build is for (native module names) */
  platform: NodeJS.Platform;
  arch: string;
  /** every file of the built app under out/, relative ("out/renderer/assets/x.js") */
  builtFiles: string[];
  /** the text of out/renderer/index.html (its script and stylesheet references) */
  rendererHtml: string;
  /** the bare module names the built main, workers and preload import or require */
  runtimeImports: string[];
  /** the project's devDependencies that are not also dependencies */
  devOnly: string[];
  /** the size budget of app.asar plus app.asar.unpacked */
  budgetBytes: number;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

/** The app's path inside the packed resources folder (what app.getAppPath() returns there). */
const APP = '/resources/app.asar';
/** The package.json `main` the app is built for. */
export const EXPECTED_MAIN = 'out/main/index.js';
/** the name Electron gives the data folder: %APPDATA%\\Registration Counter, ~/.config/Registration Counter */
export const EXPECTED_PRODUCT_NAME = 'Registration Counter';

/** The functions of main/electron/app-paths.ts the checks evaluate (a test passes wrong ones). */
export type AppPaths = Pick<
  typeof appPaths,
  | 'syncWorkerFile'
  | 'slipWorkerFile'
  | 'preloadFile'
  | 'rendererIndexHtml'
  | 'boardPreloadFile'
  | 'rendererBoardHtml'
  | 'speechWorkerFile'
  | 'packagedSpeechFiles'
  | 'packagedNativeBinding'
  | 'canvasNativeBinding'
  | 'packagedSlipFontFiles'
>;

export function checkPackedApp(listing: PackedListing, expect: Expectations, paths: AppPaths = appPaths): CheckResult[] {
  const results: CheckResult[] = [];
  const check = (name: string, problems: string[], okDetail: string) =>
    results.push({ name, ok: problems.length === 0, detail: problems.length === 0 ? okDetail : problems.slice(0, 5).join('; ') });

  // package.json and the main bundle it names
  const main = listing.packageJson.main;
  check(
    'package.json names the built main',
    main === EXPECTED_MAIN ? (listing.asar.has(EXPECTED_MAIN) ? [] : [`${EXPECTED_MAIN} is not in app.asar`]) : [`main is ${String(main)}`],
    `main: ${EXPECTED_MAIN}`,
  );
  const mainDir = posix.dirname(posix.join(APP, typeof main === 'string' ? main : EXPECTED_MAIN));
  // Electron names the data folder (userData) after productName, else after `name`
  check(
    'package.json names the product (the data folder is named after it)',
    listing.packageJson.productName === EXPECTED_PRODUCT_NAME ? [] : [`productName is ${String(listing.packageJson.productName)}`],
    `productName: ${EXPECTED_PRODUCT_NAME}`,
  );

  // the paths the main process computes, against the listing
  // (native modules and the fonts the slip worker reads must be real files: app.asar.unpacked)
  const runtimePaths: Array<[string, string, boolean]> = [
    ['sync worker', paths.syncWorkerFile(mainDir), false],
    ['slip worker', paths.slipWorkerFile(mainDir), false],
    ['speech worker', paths.speechWorkerFile(mainDir), false],
    ['preload', paths.preloadFile(mainDir), false],
    ['renderer index.html', paths.rendererIndexHtml(mainDir), false],
    ['board preload', paths.boardPreloadFile(mainDir), false],
    ['renderer board.html', paths.rendererBoardHtml(mainDir), false],
    ['SQLite native binding', paths.packagedNativeBinding(APP), true],
    ['canvas native binding', paths.canvasNativeBinding(APP, expect.platform, expect.arch), true],
    ...paths.packagedSlipFontFiles(APP).map((f): [string, string, boolean] => [`slip font ${posix.basename(f)}`, f, true]),
    ...paths.packagedSpeechFiles(APP).map((f): [string, string, boolean] => [`speech ${posix.basename(f)}`, f, true]),
  ];
  for (const [what, path, realFile] of runtimePaths) {
    const problem = locate(listing, path, realFile);
    check(`run-time path: ${what}`, problem ? [problem] : [], path.replace(/^\/resources\//, ''));
  }

  // every built file of the app is packed (the renderer's assets among them)
  const builtMissing = expect.builtFiles.filter((f) => !listing.asar.has(f));
  check('every built file of the app is in app.asar', builtMissing.map((f) => `missing ${f}`), `${expect.builtFiles.length} files`);
  const referenced = [...expect.rendererHtml.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => `out/renderer/${m[1]}`);
  check(
    "the renderer's scripts and stylesheets are packed",
    referenced.length === 0 ? ['index.html references no ./assets file'] : referenced.filter((f) => !listing.asar.has(f)).map((f) => `missing ${f}`),
    referenced.map((f) => posix.basename(f)).join(', '),
  );

  // native modules are real files
  const nativePacked = [...listing.asar].filter(([p, e]) => p.endsWith('.node') && !e.unpacked).map(([p]) => p);
  const nativeNotOnDisk = [...listing.asar].filter(([p, e]) => p.endsWith('.node') && e.unpacked && !listing.unpacked.has(p)).map(([p]) => p);
  check(
    'native modules are unpacked (outside app.asar)',
    [...nativePacked.map((p) => `inside app.asar: ${p}`), ...nativeNotOnDisk.map((p) => `not in app.asar.unpacked: ${p}`)],
    `${[...listing.asar.keys()].filter((p) => p.endsWith('.node')).length} .node files`,
  );

  // every module the built code loads is packed
  const missingModules = expect.runtimeImports.filter((m) => !listing.asar.has(`node_modules/${packageName(m)}/package.json`));
  check('every module the built code loads is packed', missingModules.map((m) => `missing ${m}`), `${expect.runtimeImports.length} modules`);

  // every dependency a packed module requires resolves (as Node looks for it) to a packed module:
  // what the files patterns leave out must be something nothing packed needs
  const unresolved: string[] = [];
  for (const [dir, deps] of listing.requires)
    for (const dep of deps) if (!resolvesTo(listing, dir, dep)) unresolved.push(`${dep} (for ${dir.replace(/^node_modules\//, '')})`);
  check(
    'every dependency of a packed module is packed',
    unresolved.map((u) => `missing ${u}`),
    `${listing.requires.size} modules`,
  );

  // nothing that is not needed at run time
  const all = [...listing.asar.keys()];
  const ownExtra = all.filter((p) => !p.startsWith('node_modules/') && p !== 'package.json' && !/^out\/(main|preload|renderer)\//.test(p));
  check('only the built app outside node_modules', ownExtra.map((p) => `extra ${p}`), 'out/main, out/preload, out/renderer, package.json');
  check('no source maps', all.filter((p) => p.endsWith('.map')).map((p) => `found ${p}`), 'none');
  check('no TypeScript sources or declarations', all.filter((p) => /\.(ts|tsx|mts|cts)$/.test(p)).map((p) => `found ${p}`), 'none');
  check(
    'no tests, benchmarks or examples',
    all.filter((p) => /(^|\/)(test|tests|__tests__|spec|bench|benchmark|benchmarks|example|examples|coverage)\//i.test(p)).map((p) => `found ${p}`),
    'none',
  );
  check(
    'no documentation (licences kept)',
    all
      .filter((p) => /(^|\/)(docs?)\//i.test(p) || /(^|\/)(readme|changelog|history|contributing)[^/]*$/i.test(p) || (/\.(md|markdown)$/i.test(p) && !/(^|\/)(licen[cs]e|notice|copying)[^/]*$/i.test(p)))
      .map((p) => `found ${p}`),
    'none',
  );
  check(
    'no native build leftovers (sources, object files, test extension)',
    all.filter((p) => /\.(c|cc|cpp|h|hpp|o|obj|gyp|gypi|mk)$/i.test(p) || /\/deps\/|\/build\/Release\/obj|test_extension\.node$/.test(p)).map((p) => `found ${p}`),
    'none',
  );
  // a dev dependency of the project may be packed only as a dependency of a packed module
  const devPacked = expect.devOnly.filter((d) => listing.asar.has(`node_modules/${d}/package.json`));
  const devFound = devPacked.filter((d) => !listing.dependedOn.has(d));
  const devShared = devPacked.filter((d) => listing.dependedOn.has(d));
  check(
    'no dev dependencies',
    devFound.map((d) => `found ${d}`),
    `${expect.devOnly.length - devPacked.length} of ${expect.devOnly.length} absent` +
      (devShared.length ? `; ${devShared.join(', ')} packed as dependencies of packed modules` : ''),
  );

  // the size budget
  const total = listing.asarBytes + listing.unpackedBytes;
  check(
    'size budget',
    total <= expect.budgetBytes
      ? []
      : [`app.asar ${mb(listing.asarBytes)} + unpacked ${mb(listing.unpackedBytes)} = ${mb(total)} > ${mb(expect.budgetBytes)}`],
    `app.asar ${mb(listing.asarBytes)} + unpacked ${mb(listing.unpackedBytes)} = ${mb(total)} <= ${mb(expect.budgetBytes)}`,
  );
  return results;
}

/** Why a run-time path is not usable in the listing, or null when it is. */
function locate(listing: PackedListing, path: string, realFile: boolean): string | null {
  const packedPrefix = `${APP}/`;
  const unpackedPrefix = `${APP}.unpacked/`;
  if (path.startsWith(unpackedPrefix)) {
    const rel = path.slice(unpackedPrefix.length);
    if (!listing.unpacked.has(rel)) return `not in app.asar.unpacked: ${rel}`;
    return listing.asar.get(rel)?.unpacked === true ? null : `app.asar does not mark ${rel} as unpacked`;
  }
  if (path.startsWith(packedPrefix)) {
    const rel = path.slice(packedPrefix.length);
    if (realFile) return `must be read from app.asar.unpacked, not inside app.asar: ${rel}`;
    return listing.asar.has(rel) ? null : `not in app.asar: ${rel}`;
  }
  return `outside the app: ${path}`;
}

function resolvesTo(listing: PackedListing, dir: string, dep: string): boolean {
  let base = dir;
  for (;;) {
    if (listing.asar.has(`${base}/node_modules/${dep}/package.json`)) return true;
    const at = base.lastIndexOf('/node_modules/');
    if (at < 0) return listing.asar.has(`node_modules/${dep}/package.json`);
    base = base.slice(0, at);
  }
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Reads a packed app (the folder electron-builder wrote for `--linux dir`). */
export function readPackedApp(appOutDir: string): PackedListing {
  const asar = require('@electron/asar') as { getRawHeader: (archive: string) => { header: HeaderNode } };
  const archive = join(appOutDir, 'resources', 'app.asar');
  const entries = new Map<string, AsarEntry>();
  const walk = (node: HeaderNode, prefix: string) => {
    for (const [name, child] of Object.entries(node.files ?? {})) {
      const path = prefix ? `${prefix}/${name}` : name;
      if (child.files) walk(child, path);
      else if (child.link === undefined) entries.set(path, { size: Number(child.size ?? 0), unpacked: child.unpacked === true });
    }
  };
  walk(asar.getRawHeader(archive).header, '');
  const unpackedDir = `${archive}.unpacked`;
  const unpacked = new Set<string>();
  let unpackedBytes = 0;
  const walkDisk = (dir: string, prefix: string) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const path = prefix ? `${prefix}/${d.name}` : d.name;
      if (d.isDirectory()) walkDisk(join(dir, d.name), path);
      else if (d.isFile()) {
        unpacked.add(path);
        unpackedBytes += statSync(join(dir, d.name)).size;
      }
    }
  };
  try {
    walkDisk(unpackedDir, '');
  } catch {
    /* no unpacked folder: the checks say what is missing */
  }
  const extract = require('@electron/asar') as { extractFile: (archive: string, file: string) => Buffer };
  const readJson = (file: string) => JSON.parse(extract.extractFile(archive, file).toString('utf8')) as Record<string, unknown>;
  const dependedOn = new Set<string>();
  const requires = new Map<string, string[]>();
  const names = (deps: unknown) => (deps && typeof deps === 'object' ? Object.keys(deps) : []);
  for (const path of entries.keys()) {
    if (!/^node_modules\/(@[^/]+\/)?[^/@][^/]*\/package\.json$/.test(path.replace(/^(node_modules\/(@[^/]+\/)?[^/]+\/)+(?=node_modules\/)/, ''))) continue;
    const pkg = readJson(path);
    const optional = new Set([...names(pkg.optionalDependencies), ...names(pkg.peerDependencies)]);
    for (const name of [...names(pkg.dependencies), ...optional]) dependedOn.add(name);
    requires.set(
      path.slice(0, -'/package.json'.length),
      names(pkg.dependencies).filter((d) => !optional.has(d)),
    );
  }
  const packageJson = readJson('package.json') as PackedListing['packageJson'];
  return { asar: entries, unpacked, packageJson, dependedOn, requires, asarBytes: statSync(archive).size, unpackedBytes };
}

interface HeaderNode {
  files?: Record<string, HeaderNode>;
  size?: number | string;
  unpacked?: boolean;
  link?: string;
}

/** What the project's build says should be packed (out/ and package.json at `root`). */
export function readExpectations(root: string, budgetBytes: number, platform: NodeJS.Platform = 'linux', arch = 'x64'): Expectations {
  const builtFiles: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const d of readdirSync(join(root, dir), { withFileTypes: true })) {
      const rel = `${prefix}/${d.name}`;
      if (d.isDirectory()) walk(`${dir}/${d.name}`, rel);
      else if (d.isFile() && !d.name.endsWith('.map')) builtFiles.push(rel);
    }
  };
  for (const part of ['main', 'preload', 'renderer']) walk(`out/${part}`, `out/${part}`);
  const bundles = builtFiles.filter((f) => /^out\/(main|preload)\/.*\.(js|cjs|mjs)$/.test(f));
  const imports = new Set<string>();
  for (const f of bundles) for (const m of bareImports(readFileSync(join(root, f), 'utf8'))) imports.add(m);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const deps = new Set(Object.keys(pkg.dependencies ?? {}));
  return {
    platform,
    arch,
    builtFiles,
    rendererHtml: readFileSync(join(root, 'out/renderer/index.html'), 'utf8'),
    runtimeImports: [...imports].sort(),
    devOnly: Object.keys(pkg.devDependencies ?? {}).filter((d) => !deps.has(d)),
    budgetBytes,
  };
}

/** The bare module specifiers a built bundle imports or requires (not node: builtins, not electron). */
export function bareImports(code: string): string[] {
  const found = new Set<string>();
  // static imports and re-exports as the bundler writes them (one statement per line), dynamic
  // imports and require calls
  const re = /(?:^(?:import|export)\s[^;'"]*?\bfrom\s*|^import\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([^"'./][^"']*)["']/gm;
  for (const m of code.matchAll(re)) {
    const spec = m[1]!;
    if (spec.startsWith('node:') || spec === 'electron' || spec.startsWith('electron/')) continue;
    if (isBuiltin(spec)) continue;
    found.add(spec);
  }
  return [...found];
}

/**
 * Electron's fuses in the order of the fuse wire (@electron/fuses FuseV1Options), by their
 * electron-builder `electronFuses` names, with Electron's own default (before any flip).
 */
export const FUSES = [
  { key: 'runAsNode', electronDefault: true },
  { key: 'enableCookieEncryption', electronDefault: false },
  { key: 'enableNodeOptionsEnvironmentVariable', electronDefault: true },
  { key: 'enableNodeCliInspectArguments', electronDefault: true },
  { key: 'enableEmbeddedAsarIntegrityValidation', electronDefault: false },
  { key: 'onlyLoadAppFromAsar', electronDefault: false },
  { key: 'loadBrowserProcessSpecificV8Snapshot', electronDefault: false },
  { key: 'grantFileProtocolExtraPrivileges', electronDefault: true },
] as const;
export type FuseKey = (typeof FUSES)[number]['key'];

/** What the counter requires of each fuse (issue: run-as-node off, ... cookie encryption on). */
export const REQUIRED_FUSES: Partial<Record<FuseKey, boolean>> = {
  runAsNode: false,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  onlyLoadAppFromAsar: true,
  enableEmbeddedAsarIntegrityValidation: true,
  grantFileProtocolExtraPrivileges: false,
  enableCookieEncryption: true,
};

/** The fuse sentinel of Electron's executable, followed by the wire (@electron/fuses constants). */
export const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const FUSE_ON = 0x31;
const FUSE_OFF = 0x30;

/**
 * A stand-in for Electron's executable: a shell script that says what it is, carrying the fuse
 * wire as Electron's binary does (sentinel, wire version 1, wire length, one byte per fuse with
 * Electron's defaults), so electron-builder can flip the fuses and they can be read back.
 */
export function standInExecutable(): Buffer {
  const script = Buffer.from('#!/bin/sh\necho "stand-in for the Electron executable: the package check only" >&2\nexit 1\n# ');
  const wire = Buffer.from([1, FUSES.length, ...FUSES.map((f) => (f.electronDefault ? FUSE_ON : FUSE_OFF))]);
  return Buffer.concat([script, Buffer.from(FUSE_SENTINEL, 'latin1'), wire, Buffer.from('\n')]);
}

/** Checks a fuse wire read back from a packed executable (@electron/fuses getCurrentFuseWire). */
export function checkFuseWire(wire: Record<string, unknown>): CheckResult[] {
  return FUSES.flatMap((f, i) => {
    const want = REQUIRED_FUSES[f.key];
    if (want === undefined) return [];
    const byte = wire[String(i)];
    const got = byte === FUSE_ON ? true : byte === FUSE_OFF ? false : undefined;
    return [
      {
        name: `fuse ${f.key} ${want ? 'on' : 'off'}`,
        ok: got === want,
        detail:
          got === want
            ? `${want ? 'on' : 'off'} (${want === f.electronDefault ? "Electron's default" : "flipped from Electron's default"})`
            : `is ${got === undefined ? `unknown byte ${String(byte)}` : got ? 'on' : 'off'}`,
      },
    ];
  });
}
