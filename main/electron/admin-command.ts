/**
 * `<the installed app> --counter-admin <command> [--data DIR] [--login ID]`: IT's recovery
 * commands (main/admin) run by the desktop app itself, which can unseal the database key with
 * the OS keychain of the user who runs it. Plain Node (`npm run counter-admin`) cannot; it needs
 * the key in COUNTER_DB_KEY.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runAdmin, type AdminIo } from '../admin/commands';
import { DatabaseKeyUnavailable, KEY_FILE, loadDatabaseKey, type KeyVault } from './database-key';

export const ADMIN_FLAG = '--counter-admin';

/** The command's own arguments, when the app was started as the IT command; else null. */
export function adminArgs(argv: readonly string[]): string[] | null {
  const at = argv.indexOf(ADMIN_FLAG);
  return at < 0 ? null : argv.slice(at + 1);
}

function dataDirOf(args: readonly string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--data') return args[i + 1] ?? null;
    if (a.startsWith('--data=')) return a.slice('--data='.length);
  }
  return null;
}

/**
 * Runs one IT command on the data folder given with `--data`, or the app's own folder. The key
 * is unsealed from the folder's key file and never made: a folder without one holds a database
 * in the clear, which the command leaves so. A key this user's keychain cannot open is an error
 * (exit 1), said as the app says it.
 */
export async function runAdminCommand(
  args: readonly string[],
  vault: KeyVault,
  options: { platform: NodeJS.Platform; defaultDataDir: string },
  io: Omit<AdminIo, 'databaseKey'>,
): Promise<number> {
  const given = dataDirOf(args);
  const dataDir = given ?? options.defaultDataDir;
  const argv = given === null ? [...args, '--data', dataDir] : [...args];
  let databaseKey: string | undefined;
  if (existsSync(join(dataDir, KEY_FILE))) {
    try {
      databaseKey = (await loadDatabaseKey(dataDir, vault, { platform: options.platform, allowUnencrypted: false })).key;
    } catch (e) {
      if (!(e instanceof DatabaseKeyUnavailable)) throw e;
      io.err(e.message);
      return 1;
    }
  }
  return runAdmin(argv, { ...io, databaseKey });
}
