/**
 * The process the upgrade crash test kills: opens a database at schema 1 with a migration to
 * schema 2 that fails, so it copies the file, tries the migration and puts the copy back, and
 * is killed at some moment of that.
 *
 * Usage: node --import tsx test/store/upgrade-child.ts <database file> <key>
 * Prints `start` before opening and `done <error name> <ms the opening took>` after.
 */
import { openDatabase } from '../../main/store/database';
import { UPGRADE_CRASH_MIGRATIONS } from './upgrade-crash-migrations';

const [file, key] = process.argv.slice(2);
process.stdout.write('start\n');
const t0 = performance.now();
const ms = () => Math.round(performance.now() - t0);
try {
  openDatabase(file!, { key, migrations: UPGRADE_CRASH_MIGRATIONS });
  process.stdout.write(`done none ${ms()}\n`);
} catch (e) {
  process.stdout.write(`done ${e instanceof Error ? e.name : 'unknown'} ${ms()}\n`);
}
