// Checks electron-builder.yml offline: against electron-builder's own schema, and against what
// the counter requires of its packages (`builderPolicy`, also run by
// test/electron/builder-config.test.ts): the fuses, the installers hospital IT needs, signing
// set up without a secret in the repository, only the built app packed, an https update feed.
//
// With --release (`npm run release:check`, the step before `npm run dist` for a release) it
// also fails when the build could not take an update: a feed is published (publish.url) but
// main/updates/release-keys.ts lists no release key, or a listed key is malformed. Without
// --release the same is reported as a warning and the check passes: the source tree holds no
// release key by design (each release manager adds theirs). Run with tsx (it reads the keys
// from the app's own TypeScript).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { RELEASE_PUBLIC_KEYS } from '../main/updates/release-keys.ts';
import { releaseKeyProblems } from '../main/updates/signature.ts';

const require = createRequire(import.meta.url);

/** The fuses the counter requires (electron-builder `electronFuses` names). */
export const REQUIRED_FUSES = {
  runAsNode: false,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  onlyLoadAppFromAsar: true,
  enableEmbeddedAsarIntegrityValidation: true,
  grantFileProtocolExtraPrivileges: false,
  enableCookieEncryption: true,
};

/** Options that would hold a signing secret: they must come from the environment instead. */
const SECRET_KEYS = ['cscLink', 'cscKeyPassword', 'certificateFile', 'certificatePassword', 'certificateSha1'];

const targetsOf = (platform) =>
  (Array.isArray(platform?.target) ? platform.target : [platform?.target]).map((t) => (typeof t === 'string' ? t : t?.target));

/** What is wrong with a parsed electron-builder.yml for the counter (empty when nothing). */
export function builderPolicy(config) {
  const problems = [];
  const need = (ok, problem) => {
    if (!ok) problems.push(problem);
  };
  const fuses = config.electronFuses ?? {};
  for (const [key, value] of Object.entries(REQUIRED_FUSES))
    need(fuses[key] === value, `electronFuses.${key} must be ${value} (is ${fuses[key]})`);

  const win = targetsOf(config.win);
  need(win.includes('nsis'), 'win.target must include nsis (per user, updates itself)');
  need(win.includes('msi'), 'win.target must include msi (per machine, for IT deployment tools)');
  need(
    config.nsis?.perMachine === false,
    'nsis.perMachine must be false: an operator account cannot approve an elevation prompt',
  );
  need(config.nsis?.oneClick === true, 'nsis.oneClick must be true: assisted installers ask per user or per machine');
  need(
    config.nsis?.allowElevation === false,
    'nsis.allowElevation must be false: the per-user installer never asks for admin rights',
  );
  need(config.msi?.perMachine === true, 'msi.perMachine must be true');
  need(
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(String(config.msi?.upgradeCode ?? '')),
    'msi.upgradeCode must be a fixed GUID (Windows Installer upgrades by it)',
  );
  const linux = targetsOf(config.linux);
  need(linux.includes('AppImage'), 'linux.target must include AppImage (updates itself)');
  need(linux.includes('deb'), "linux.target must include deb (IT's package tools)");

  const publisher = config.win?.signtoolOptions?.publisherName;
  need(
    (Array.isArray(publisher) ? publisher : [publisher]).some((p) => typeof p === 'string' && p.trim() !== ''),
    'win.signtoolOptions.publisherName must name the certificate subject (electron-updater checks it)',
  );
  need(config.win?.forceCodeSigning === true, 'win.forceCodeSigning must be true: an unsigned Windows build never ships');
  need(config.win?.verifyUpdateCodeSignature !== false, 'win.verifyUpdateCodeSignature must not be turned off');
  const secrets = [];
  const walk = (node, path) => {
    if (node && typeof node === 'object')
      for (const [k, v] of Object.entries(node)) {
        if (SECRET_KEYS.includes(k)) secrets.push(`${path}${k}`);
        walk(v, `${path}${k}.`);
      }
  };
  walk(config, '');
  need(secrets.length === 0, `signing secrets come from the environment, not the config: ${secrets.join(', ')}`);

  const files = config.files ?? [];
  const included = files.filter((f) => typeof f === 'string' && !f.startsWith('!'));
  need(
    included.every((f) => /^out\/(main|preload|renderer)\/\*\*\/\*$/.test(f) || f === 'package.json'),
    `files must include only out/main, out/preload, out/renderer and package.json (has ${included.join(', ')})`,
  );
  const unpack = config.asarUnpack ?? [];
  for (const m of ['better-sqlite3-multiple-ciphers', '@napi-rs', '@fontsource/noto-sans-devanagari/files'])
    need(
      unpack.some((p) => p.includes(m)),
      `asarUnpack must include ${m}`,
    );
  const publish = Array.isArray(config.publish) ? config.publish : [config.publish];
  need(
    publish.every((p) => p?.provider === 'generic' && /^https:\/\//.test(String(p.url))),
    'publish must be a generic https feed',
  );
  return problems;
}

const publishedFeeds = (config) =>
  (Array.isArray(config.publish) ? config.publish : [config.publish])
    .map((p) => (p && typeof p.url === 'string' ? p.url.trim() : ''))
    .filter((u) => u !== '');

/**
 * What stops a build of this source tree from taking updates (empty when nothing): a published
 * feed with no trusted release key (every update would be refused, for ever), or a malformed key.
 */
export function releasePolicy(config, keys) {
  const problems = [];
  const feeds = publishedFeeds(config);
  if (feeds.length > 0 && keys.length === 0)
    problems.push(
      `publish.url is set (${feeds.join(', ')}) but RELEASE_PUBLIC_KEYS in main/updates/release-keys.ts is empty: ` +
        'a build made now refuses every update it is offered, for ever. Make the release key (npm run release:keygen) ' +
        'and add its entry there before npm run dist.',
    );
  problems.push(...releaseKeyProblems(keys).map((p) => `main/updates/release-keys.ts: ${p}`));
  return problems;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const release = args.includes('--release');
  if (args.some((a) => a !== '--release')) {
    console.error('usage: check-builder-config.mjs [--release]');
    process.exit(2);
  }
  const { load } = require('js-yaml');
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config');
  const { DebugLogger } = require('builder-util');
  const config = load(readFileSync(new URL('../electron-builder.yml', import.meta.url), 'utf8'));
  try {
    await validateConfiguration(structuredClone(config), new DebugLogger(false));
    console.log("electron-builder.yml: valid (electron-builder's schema)");
  } catch (e) {
    console.error(`electron-builder.yml: ${e.message}`);
    process.exit(1);
  }
  const problems = builderPolicy(config);
  for (const p of problems) console.error(`electron-builder.yml: ${p}`);
  if (problems.length > 0) process.exit(1);
  console.log('electron-builder.yml: fuses, installers, signing, packed files and feed as the counter requires');
  const releaseProblems = releasePolicy(config, RELEASE_PUBLIC_KEYS);
  if (release) {
    for (const p of releaseProblems) console.error(`release: ${p}`);
    if (releaseProblems.length > 0) process.exit(1);
    console.log(`release: ready (${RELEASE_PUBLIC_KEYS.length} trusted release key(s) in main/updates/release-keys.ts)`);
  } else {
    for (const p of releaseProblems) console.warn(`warning, not ready for a release (npm run release:check fails): ${p}`);
  }
}
