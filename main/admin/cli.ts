/**
 * `npm run counter-admin -- <command> --data DIR [--login ID]`: IT's recovery on the counter's
 * PC (see ./commands.ts and USAGE there).
 */
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import { runAdmin } from './commands';

/** One line typed at the terminal without echo. */
function typeSecret(prompt: string): Promise<string> {
  return new Promise((resolvePin, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.resume();
    let typed = '';
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          stdin.off('data', onData);
          stdin.setRawMode(false);
          stdin.pause();
          process.stderr.write('\n');
          return resolvePin(typed);
        }
        if (ch === '\u0003') {
          stdin.setRawMode(false);
          return reject(new Error('cancelled'));
        }
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** The first line of standard input, when it is not a terminal (a pipe from a script). */
function firstLine(): Promise<string> {
  return new Promise((resolveLine) => {
    const rl = createInterface({ input: process.stdin, terminal: false });
    let line: string | null = null;
    rl.once('line', (l) => {
      line = l;
      rl.close();
    });
    rl.once('close', () => resolveLine(line ?? ''));
  });
}

async function readPin(): Promise<string> {
  if (!process.stdin.isTTY) return (await firstLine()).trim();
  const pin = await typeSecret('New PIN: ');
  const again = await typeSecret('New PIN again: ');
  if (pin !== again) throw new Error('The two PINs are not the same. Nothing was changed.');
  return pin;
}

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
