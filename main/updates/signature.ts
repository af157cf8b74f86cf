/**
 * Detached Ed25519 signatures over the exact bytes of electron-updater's metadata file. The
 * signature file sits beside the metadata (`latest-linux.yml.sig`) and holds one line:
 *
 *   ed25519 <key id> <base64 signature>
 *
 * The key id is the first 16 hex digits of the SHA-256 of the public key (SPKI DER), so a
 * refusal can name the key a file was signed with. Node's own crypto does the work.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { UpdateRefusal } from '../../common/updates';

export interface ReleaseKey {
  /** releaseKeyId(publicKey) */
  id: string;
  /** the public key, PEM (SPKI) */
  publicKey: string;
}

export const SIGNATURE_SUFFIX = '.sig';
const SCHEME = 'ed25519';
/** the largest signature file read (a real one is about 110 bytes) */
export const MAX_SIGNATURE_FILE = 1024;

function publicKeyObject(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`a release key must be Ed25519, not ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

export function releaseKeyId(publicKeyPem: string): string {
  const der = publicKeyObject(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

/**
 * What is wrong with a list of trusted release keys (empty when nothing): an entry that is not
 * an Ed25519 public key, an id that is not its key's, a key listed twice. An empty list is not
 * a problem here (the source tree ships none); the release check refuses it.
 */
export function releaseKeyProblems(keys: readonly ReleaseKey[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  keys.forEach((k, i) => {
    const name = `release key ${String(i + 1)} (${String(k.id)})`;
    let id: string;
    try {
      id = releaseKeyId(k.publicKey);
    } catch (err) {
      problems.push(`${name} is not an Ed25519 public key: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (id !== k.id) problems.push(`${name}: the key's id is ${id}, not ${String(k.id)}`);
    if (seen.has(id)) problems.push(`${name} is listed twice`);
    seen.add(id);
  });
  return problems;
}

/** The key id of a private key's public half (PKCS#8 PEM, Ed25519). */
export function releaseKeyIdOfPrivateKey(privateKeyPem: string): string {
  const privateKey = createPrivateKey(privateKeyPem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the release key must be an Ed25519 private key');
  return releaseKeyId(createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString());
}

/** A new offline key pair: the private key (PKCS#8 PEM) stays with the release manager. */
export function generateReleaseKeyPair(): { privateKey: string; key: ReleaseKey } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    key: { id: releaseKeyId(publicPem), publicKey: publicPem },
  };
}

/** The signature file's text for these metadata bytes. */
export function signMetadata(metadata: Uint8Array, privateKeyPem: string): string {
  const privateKey = createPrivateKey(privateKeyPem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the release key must be an Ed25519 private key');
  const publicPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  const signature = sign(null, metadata, privateKey).toString('base64');
  return `${SCHEME} ${releaseKeyId(publicPem)} ${signature}\n`;
}

export type SignatureCheck =
  | { ok: true; keyId: string }
  | { ok: false; refusal: Extract<UpdateRefusal, 'signature_missing' | 'signature_invalid'>; detail: string };

/**
 * Whether `signatureFile` (null: the feed has none) is a valid signature over exactly
 * `metadata` by one of `keys`.
 */
export function verifyMetadataSignature(
  metadata: Uint8Array,
  signatureFile: Uint8Array | string | null,
  keys: readonly ReleaseKey[],
): SignatureCheck {
  if (signatureFile === null)
    return { ok: false, refusal: 'signature_missing', detail: 'the feed has no signature for the update metadata' };
  const bad = (detail: string): SignatureCheck => ({ ok: false, refusal: 'signature_invalid', detail });
  if (signatureFile.length > MAX_SIGNATURE_FILE) return bad('the signature file is too large');
  const text = typeof signatureFile === 'string' ? signatureFile : Buffer.from(signatureFile).toString('utf8');
  const parts = text.trim().split(/\s+/);
  if (parts.length === 1 && parts[0] === '')
    return { ok: false, refusal: 'signature_missing', detail: 'the signature file is empty' };
  if (
    parts.length !== 3 ||
    parts[0] !== SCHEME ||
    !/^[0-9a-f]{16}$/.test(parts[1]!) ||
    !/^[A-Za-z0-9+/]{86}==$/.test(parts[2]!)
  ) {
    return bad('the signature file is not in the form "ed25519 <key id> <base64 signature>"');
  }
  const keyId = parts[1]!;
  const key = keys.find((k) => k.id === keyId);
  if (!key) {
    return bad(
      keys.length === 0
        ? 'this build trusts no release key (main/updates/release-keys.ts is empty)'
        : `signed with key ${keyId}, which this build does not trust`,
    );
  }
  let ok = false;
  try {
    ok = verify(null, metadata, publicKeyObject(key.publicKey), Buffer.from(parts[2]!, 'base64'));
  } catch {
    ok = false;
  }
  return ok ? { ok: true, keyId } : bad(`the signature by key ${keyId} does not match the update metadata`);
}
