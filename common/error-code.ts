/**
 * The `code` an error carries (Node's system errors, SQLite's, a library's own), or undefined
 * when it carries none or a code that is not a string. Anything may be thrown: never throws.
 */
export function errorCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || !('code' in e)) return undefined;
  const code = (e as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
