// Checks electron-builder.yml offline: against electron-builder's own schema, and against what
// the counter requires of its packages (`builderPolicy`, also run by
// test/electron/builder-config.test.ts): the fuses, the installers hospital IT needs, signing
// set up without a secret in the repository, only the built app packed, an https update feed.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
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
}
