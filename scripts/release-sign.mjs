// Signing releases for the counters' update feed (run with tsx: it uses the app's own code).
//
//   npm run release:keygen -- --out <file>
//     makes an Ed25519 key pair: the private key in <file> (mode 0600; kept offline, never in the
//     project folder, which it refuses), the public key in <file>.pub, and prints the entry for
//     main/updates/release-keys.ts.
//   npm run release:sign -- <dist folder> --key <file> [--staging <percent>] [--source <project folder>]
//     refuses a key whose public half is not in RELEASE_PUBLIC_KEYS of the source tree the build
//     was made from (this project, or --source): a build refuses metadata signed by a key it does
//     not trust, so signing with one is always a mistake. Then checks each update metadata file
//     in the folder (latest.yml, latest-linux.yml, ...) against the files it lists (present, same
//     size and sha512), optionally sets its stagingPercentage, and writes the detached signature
//     beside it (latest-linux.yml.sig). Publish the folder's files together; a counter refuses
//     metadata whose signature is missing or wrong.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { load as loadYaml } from 'js-yaml';
import { generateReleaseKeyPair, releaseKeyIdOfPrivateKey, releaseKeyProblems, signMetadata } from '../main/updates/signature.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const METADATA = /^[a-z0-9]+(-mac|-linux(-[a-z0-9_]+)?)?\.yml$/;

function fail(message) {
  console.error(`release: ${message}`);
  process.exit(2);
}

function insideProject(path) {
  const rel = relative(root, resolve(path));
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel));
}

function keygen(argv) {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' } }, strict: true });
  if (!values.out) fail('give the private key file: --out <file> (somewhere offline, outside this project)');
  const out = resolve(values.out);
  if (insideProject(out))
    fail(`${out} is inside the project folder: keep the private key outside it (and off the build machine)`);
  if (existsSync(out) || existsSync(`${out}.pub`)) fail(`${out} or ${out}.pub exists already: not overwritten`);
  const { privateKey, key } = generateReleaseKeyPair();
  writeFileSync(out, privateKey, { mode: 0o600, flag: 'wx' });
  writeFileSync(`${out}.pub`, key.publicKey, { flag: 'wx' });
  console.log(`Private key: ${out} (0600; keep it offline and backed up)`);
  console.log(`Public key:  ${out}.pub (key id ${key.id})`);
  console.log('Add this entry to RELEASE_PUBLIC_KEYS in main/updates/release-keys.ts, then build:');
  console.log(`  { id: '${key.id}', publicKey: ${JSON.stringify(key.publicKey)} },`);
}

function sha512(bytes) {
  return createHash('sha512').update(bytes).digest('base64');
}

function checkListedFiles(dist, name, info) {
  if (!info || typeof info !== 'object' || typeof info.version !== 'string') fail(`${name}: no version`);
  const files = Array.isArray(info.files) ? info.files : [];
  if (files.length === 0) fail(`${name}: lists no files`);
  for (const f of files) {
    if (typeof f.url !== 'string' || typeof f.sha512 !== 'string') fail(`${name}: a file without url or sha512`);
    if (/^[a-z]+:/i.test(f.url)) {
      console.warn(`${name}: ${f.url} is not in this folder; its sha512 is signed as given`);
      continue;
    }
    const path = join(dist, decodeURIComponent(f.url));
    if (!existsSync(path)) fail(`${name}: ${f.url} is not in ${dist}`);
    const bytes = readFileSync(path);
    if (f.size !== undefined && f.size !== bytes.length)
      fail(`${name}: ${f.url} is ${bytes.length} bytes, the metadata says ${f.size}`);
    if (sha512(bytes) !== f.sha512)
      fail(`${name}: the sha512 of ${f.url} is not the one in the metadata (rebuilt after the metadata was written?)`);
  }
}

/** The release keys the source tree at `source` trusts (its main/updates/release-keys.ts). */
async function trustedKeys(source) {
  const file = join(source, 'main', 'updates', 'release-keys.ts');
  if (!existsSync(file)) fail(`${file} does not exist: --source must be the project folder the build was made from`);
  const { RELEASE_PUBLIC_KEYS: keys } = await import(pathToFileURL(file).href);
  if (!Array.isArray(keys)) fail(`${file} does not export RELEASE_PUBLIC_KEYS`);
  const problems = releaseKeyProblems(keys);
  if (problems.length > 0) fail(`${file}: ${problems.join('; ')}`);
  return { file, keys };
}

async function sign(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { key: { type: 'string' }, staging: { type: 'string' }, source: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) fail('give one dist folder: npm run release:sign -- <dist folder> --key <file>');
  if (!values.key) fail('give the private key: --key <file>');
  const dist = resolve(positionals[0]);
  if (!existsSync(dist) || !statSync(dist).isDirectory()) fail(`${dist} is not a folder`);
  if (process.platform !== 'win32' && (statSync(values.key).mode & 0o077) !== 0) {
    fail(`${values.key} can be read by other users of this machine: chmod 600 it first`);
  }
  let staging = null;
  if (values.staging !== undefined) {
    staging = Number(values.staging);
    if (!/^\d{1,3}$/.test(values.staging) || staging > 100) fail('--staging must be a whole percentage from 0 to 100');
  }
  const privateKey = readFileSync(values.key, 'utf8');
  const keyId = releaseKeyIdOfPrivateKey(privateKey);
  const trusted = await trustedKeys(resolve(values.source ?? root));
  if (trusted.keys.length === 0)
    fail(
      `${trusted.file} lists no release key: a build of it refuses every update. Add the entry for key ${keyId} ` +
        '(printed by release:keygen), build again (npm run release:check, then npm run dist), then sign.',
    );
  if (!trusted.keys.some((k) => k.id === keyId))
    fail(
      `key ${keyId} is not among the release keys of ${trusted.file} (${trusted.keys.map((k) => k.id).join(', ')}): ` +
        'the build would refuse metadata signed with it. Sign with a key the build trusts.',
    );
  const names = readdirSync(dist).filter((n) => METADATA.test(n) && n !== 'builder-debug.yml');
  if (names.length === 0)
    fail(`${dist} holds no update metadata (latest.yml, latest-linux.yml): build with electron-builder first`);
  for (const name of names) {
    const path = join(dist, name);
    let text = readFileSync(path, 'utf8');
    if (staging !== null) {
      text = text.replace(/^stagingPercentage:.*\n?/m, '');
      if (!text.endsWith('\n')) text += '\n';
      text += `stagingPercentage: ${staging}\n`;
      writeFileSync(path, text);
    }
    let info;
    try {
      info = loadYaml(text);
    } catch (e) {
      fail(`${name} is not YAML: ${e.message}`);
    }
    checkListedFiles(dist, name, info);
    const bytes = readFileSync(path);
    const signature = signMetadata(bytes, privateKey);
    writeFileSync(`${path}.sig`, signature);
    console.log(
      `${name}: version ${info.version}${staging !== null ? `, staged to ${staging}%` : ''}, signed with key ${signature.split(' ')[1]} -> ${name}.sig`,
    );
  }
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'keygen') keygen(rest);
  else if (command === 'sign') await sign(rest);
  else fail('usage: release-sign.mjs keygen --out <file> | sign <dist folder> --key <file> [--staging <percent>]');
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
