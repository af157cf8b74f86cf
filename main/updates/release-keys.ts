/**
 * The public keys this build trusts for update metadata (latest.yml, latest-linux.yml). Each
 * release's metadata carries a detached Ed25519 signature made offline with the matching
 * private key (`npm run release:sign`). More than one key may be listed, so a new key can be
 * rolled out before the old one is retired: ship a build that trusts both, sign with the new
 * one from then on, and drop the old key a release later.
 *
 * `npm run release:keygen -- --out <file outside the project>` makes a key pair and prints the
 * entry to paste here. With no key listed, every offered update is refused (signature_invalid):
 * an unsigned feed can never update a counter.
 */
import type { ReleaseKey } from './signature';

export const RELEASE_PUBLIC_KEYS: readonly ReleaseKey[] = [];
