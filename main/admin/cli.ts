/**
 * `npm run counter-admin -- <command> --data DIR [--login ID]`: IT's recovery on the counter's
 * PC (see ./commands.ts and USAGE there).
 */
import { userInfo } from 'node:os';
import { runAdmin } from './commands';
import { readPin } from './terminal';

try {
  process.exitCode = await runAdmin(process.argv.slice(2), {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    env: process.env,
    readPin,
    osUser: userInfo().username,
  });
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
}
