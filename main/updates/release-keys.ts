/**
 * The public keys this build trusts for update metadata (latest.yml, latest-linux.yml). Each
 * release's metadata carries a detached Ed25519 signature made offline with the matching
 * private key (`npm run release:sign`). More than one key may be listed, so a new key can be
 * rolled out before the old one is retired: ship a build that trusts both, sign with the new
 * one from then on, and drop the old key a release later.
 *
 * `npm run release:keygen -- --out <file outside the project>` makes a key pair and prints the
 * entry to paste here. With no key listed, every offered update is refused (signature_invalid):
 * an unsigned feed can never update a counter. The source tree lists none by design, so a build
 * made from it as it is takes no update: `npm run release:check` (the step before `npm run dist`
 * for a release) fails until a key is listed, and `npm run release:sign` refuses a key that is
 * not listed here.
 */
import type { ReleaseKey } from './signature';

export const RELEASE_PUBLIC_KEYS: readonly ReleaseKey[] = [];
