/**
 * The process the district settings crash test kills: applies a new district version to a
 * counter's database and stops between two of its parts, saying so, until it is killed.
 *
 * Usage: node --import tsx test/store/district-settings-child.ts <dbFile> <answer as base64 JSON> <centreId>
 */
import { applyDistrictSettings } from '../../main/services/district-settings';
import { openDatabase } from '../../main/store/database';

const [dbFile, answerArg, centreId] = process.argv.slice(2);
if (!dbFile || !answerArg || !centreId) {
  process.stderr.write('usage: district-settings-child.ts <dbFile> <answer> <centreId>\n');
  process.exit(2);
}
const db = openDatabase(dbFile);
const answer = JSON.parse(Buffer.from(answerArg, 'base64').toString('utf8')) as unknown;
const pause = new Int32Array(new SharedArrayBuffer(4));
applyDistrictSettings(db, {
  centreId,
  now: new Date(),
  answer,
  hooks: {
    afterPart: (part) => {
      if (part !== 'eligibility') return;
      // one write: the line reaches the parent even if the kill follows at once
      process.stdout.write('between\n');
      // held here (the transaction open, a part written) until killed; bounded if the parent is gone
      Atomics.wait(pause, 0, 0, 30_000);
    },
  },
});
process.stdout.write('finished\n');
