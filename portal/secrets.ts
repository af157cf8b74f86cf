/**
 * The portal's secrets: device tokens (issued by the admin API) and the admin token (given to
 * the portal command through the environment or a file, never on its command line, which
 * every user of the machine can read in the process list).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

/** Device and admin tokens carry at least this much randomness. */
export const MIN_TOKEN_BYTES = 32;
/** The environment variable the portal command takes its admin token from. */
export const ADMIN_TOKEN_ENV = 'PORTAL_ADMIN_TOKEN';

/** A new device token: 32 random bytes, base64url (43 characters). */
export function newToken(): string {
  return randomBytes(MIN_TOKEN_BYTES).toString('base64url');
}

/**
 * Why a token given by an administrator is too weak, or null. Randomness cannot be seen, so the
 * length is checked for the alphabet it is written in: 64 hex digits or 43 base64 characters
 * carry 32 bytes; and at least 12 different characters (no run of one letter).
 */
export function tokenProblem(token: string): string | null {
  const advice = `a token must carry at least ${MIN_TOKEN_BYTES} random bytes: 64 hex digits or 43 base64url characters (e.g. openssl rand -base64 32), or leave it out and the portal makes one`;
  if (!/^[A-Za-z0-9._~+/-]+=*$/.test(token)) return `the token has characters a bearer token cannot have; ${advice}`;
  const body = token.replace(/=+$/, '');
  const bits = body.length * (/^[0-9a-fA-F]+$/.test(body) ? 4 : 6);
  if (bits < MIN_TOKEN_BYTES * 8) return `the token is too short (${token.length} characters); ${advice}`;
  if (new Set(body).size < 12) return `the token repeats too few characters to be random; ${advice}`;
  if (token.length > 512) return 'the token is longer than 512 characters';
  return null;
}

/**
 * The admin token from a file: the file must be readable by its owner only (mode 0600 or
 * stricter) where the system has such modes, like an SSH key; one line, surrounding space dropped.
 */
export function readAdminTokenFile(file: string, platform: NodeJS.Platform = process.platform): string {
  let text: string;
  try {
    if (platform !== 'win32') {
      const mode = statSync(file).mode & 0o777;
      if ((mode & 0o077) !== 0) {
        throw new Error(
          `${file} can be read by other users (mode ${mode.toString(8).padStart(4, '0')}): make it readable by its owner only (chmod 600 ${file})`,
        );
      }
    }
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new Error(`the admin token file ${file} does not exist`);
    if (err.code === 'EACCES') throw new Error(`the admin token file ${file} cannot be read by the portal's user`);
    throw err;
  }
  const token = text.trim();
  if (token.includes('\n')) throw new Error(`the admin token file ${file} must hold one line: the token`);
  return token;
}
