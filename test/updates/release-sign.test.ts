/** `npm run release:keygen` and `npm run release:sign`: the offline key and the signature a counter checks. */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateReleaseKeyPair, releaseKeyId, verifyMetadataSignature } from '../../main/updates/signature';
import { CHANNEL_FILE, sha512, writeRelease } from './feed';

const root = resolve(__dirname, '../..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const script = join(root, 'scripts', 'release-sign.mjs');
const run = (...args: string[]) => spawnSync(tsx, [script, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

let dir: string;
let keyFile: string;
let publicKey: string;
/** a source tree whose release-keys.ts lists the key made by keygen (the entry it printed, pasted) */
let source: string;

/** A source tree (just main/updates/release-keys.ts) listing these entries. */
function sourceTree(name: string, entries: string[]): string {
  const tree = join(dir, name);
  mkdirSync(join(tree, 'main', 'updates'), { recursive: true });
  writeFileSync(
    join(tree, 'main', 'updates', 'release-keys.ts'),
    `export const RELEASE_PUBLIC_KEYS = [\n${entries.join('\n')}\n];\n`,
  );
  return tree;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'counter-release-'));
  keyFile = join(dir, 'keys', 'release.pem');
  mkdirSync(join(dir, 'keys'), { recursive: true });
  const out = execFileSync(tsx, [script, 'keygen', '--out', keyFile], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  publicKey = readFileSync(`${keyFile}.pub`, 'utf8');
  expect(out).toContain(`{ id: '${releaseKeyId(publicKey)}', publicKey: `);
  const entry = out.split('\n').find((l) => l.trimStart().startsWith('{ id:'));
  expect(entry).toBeDefined();
  source = sourceTree('source', [entry!]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('release:keygen', () => {
  it('writes the private key readable by its owner only, and the public key beside it', () => {
    if (process.platform !== 'win32') expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, 'utf8')).toContain('BEGIN PRIVATE KEY');
    expect(publicKey).toContain('BEGIN PUBLIC KEY');
  });

  it('refuses to write a key inside the project folder or over an existing key', () => {
    const inside = run('keygen', '--out', join(root, 'release-key-test.pem'));
    expect(inside.status).toBe(2);
    expect(inside.stderr).toContain('inside the project folder');
    expect(existsSync(join(root, 'release-key-test.pem'))).toBe(false);
    const again = run('keygen', '--out', keyFile);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('not overwritten');
  });
});

describe('release:sign', () => {
  it('signs the metadata of a build so that a counter trusting the key accepts it', () => {
    const dist = join(dir, 'dist-good');
    writeRelease(dist, { version: '2.0.0', privateKey: null });
    const r = run('sign', dist, '--key', keyFile, '--source', source);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`${CHANNEL_FILE}: version 2.0.0, signed with key ${releaseKeyId(publicKey)}`);
    const check = verifyMetadataSignature(
      readFileSync(join(dist, CHANNEL_FILE)),
      readFileSync(join(dist, `${CHANNEL_FILE}.sig`)),
      [{ id: releaseKeyId(publicKey), publicKey }],
    );
    expect(check).toEqual({ ok: true, keyId: releaseKeyId(publicKey) });
  });

  it('sets the staged percentage before signing, so the percentage is signed too', () => {
    const dist = join(dir, 'dist-staged');
    writeRelease(dist, { version: '2.0.0', privateKey: null, stagingPercentage: 50 });
    const r = run('sign', dist, '--key', keyFile, '--staging', '10', '--source', source);
    expect(r.status).toBe(0);
    const metadata = readFileSync(join(dist, CHANNEL_FILE), 'utf8');
    expect(metadata.match(/stagingPercentage: .*/g)).toEqual(['stagingPercentage: 10']);
    const check = verifyMetadataSignature(Buffer.from(metadata), readFileSync(join(dist, `${CHANNEL_FILE}.sig`)), [
      { id: releaseKeyId(publicKey), publicKey },
    ]);
    expect(check.ok).toBe(true);
  });

  it('refuses metadata whose file does not match it, and writes no signature', () => {
    const dist = join(dir, 'dist-stale');
    writeRelease(dist, { version: '2.0.0', privateKey: null, claimedSha512: sha512(Buffer.from('an older build')) });
    const r = run('sign', dist, '--key', keyFile, '--source', source);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('is not the one in the metadata');
    expect(existsSync(join(dist, `${CHANNEL_FILE}.sig`))).toBe(false);
  });

  it('refuses a key the source tree does not trust, and writes no signature', () => {
    const other = generateReleaseKeyPair();
    const elsewhere = sourceTree('source-other-key', [
      `{ id: '${other.key.id}', publicKey: ${JSON.stringify(other.key.publicKey)} },`,
    ]);
    const dist = join(dir, 'dist-untrusted');
    writeRelease(dist, { version: '2.0.0', privateKey: null });
    const r = run('sign', dist, '--key', keyFile, '--source', elsewhere);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`key ${releaseKeyId(publicKey)} is not among the release keys`);
    expect(r.stderr).toContain(other.key.id);
    expect(existsSync(join(dist, `${CHANNEL_FILE}.sig`))).toBe(false);
  });

  it('refuses to sign for a source tree that lists no release key (its build refuses every update)', () => {
    const empty = sourceTree('source-empty', []);
    const dist = join(dir, 'dist-no-keys');
    writeRelease(dist, { version: '2.0.0', privateKey: null });
    const r = run('sign', dist, '--key', keyFile, '--source', empty);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('lists no release key');
    expect(r.stderr).toContain(releaseKeyId(publicKey));
    expect(existsSync(join(dist, `${CHANNEL_FILE}.sig`))).toBe(false);
  });

  it('refuses a source tree whose key entry is not the key it claims to be', () => {
    const other = generateReleaseKeyPair();
    const wrong = sourceTree('source-wrong-id', [
      `{ id: '${releaseKeyId(publicKey)}', publicKey: ${JSON.stringify(other.key.publicKey)} },`,
    ]);
    const dist = join(dir, 'dist-wrong-id');
    writeRelease(dist, { version: '2.0.0', privateKey: null });
    const r = run('sign', dist, '--key', keyFile, '--source', wrong);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`the key's id is ${other.key.id}`);
    expect(existsSync(join(dist, `${CHANNEL_FILE}.sig`))).toBe(false);
  });

  it('refuses a private key file other users can read', () => {
    if (process.platform === 'win32') return;
    const loose = join(dir, 'loose.pem');
    writeFileSync(loose, readFileSync(keyFile));
    chmodSync(loose, 0o644);
    const dist = join(dir, 'dist-loose');
    writeRelease(dist, { version: '2.0.0', privateKey: null });
    const r = run('sign', dist, '--key', loose, '--source', source);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('chmod 600');
  });
});
