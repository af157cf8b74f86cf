/**
 * How the IT commands ask for a new PIN: typed at the terminal without echo (twice), or the
 * first line of standard input when it is a pipe. Shared by `npm run counter-admin` and the
 * desktop app's `--counter-admin`.
 */
import { createInterface } from 'node:readline';

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

export async function readPin(): Promise<string> {
  if (!process.stdin.isTTY) return (await firstLine()).trim();
  const pin = await typeSecret('New PIN: ');
  const again = await typeSecret('New PIN again: ');
  if (pin !== again) throw new Error('The two PINs are not the same. Nothing was changed.');
  return pin;
}
