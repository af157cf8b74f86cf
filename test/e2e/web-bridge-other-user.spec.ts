/**
 * Another OS user of the PC (here `nobody`, through setpriv) while the web bridge runs as this
 * user: it can connect to 127.0.0.1 like anyone, but gets no secret, no session and no
 * launch link, from the bridge, the process list or the bridge's files. Needs root (CI runs
 * as root); skipped elsewhere with the reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect, test } from './fixtures';

const canSwitchUser = process.getuid?.() === 0 && existsSync('/usr/bin/setpriv');
test.skip(!canSwitchUser, 'needs root and setpriv to run a second OS user (nobody); CI runs as root');

/** What `nobody` tries, as a script: it prints all it got as JSON and is given no secret to look for. */
const ATTEMPT = `
const fs = require('node:fs');
const [url, pid, dataDir] = process.argv.slice(1);
const tryRead = (f) => { try { return fs.readFileSync(f, 'latin1'); } catch (e) { return 'ERR ' + e.code; } };
const tryOpen = (f) => {
  try {
    const fd = fs.openSync(f, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const buf = Buffer.alloc(65536);
    let n = 0;
    try { n = fs.readSync(fd, buf); } catch {}
    fs.closeSync(fd);
    return buf.subarray(0, n).toString('latin1');
  } catch (e) { return 'ERR ' + e.code; }
};
const take = async (res) => ({ status: res.status, cookie: res.headers.get('set-cookie'), body: await res.text() });
(async () => {
  const out = {};
  out.commandLines = fs.readdirSync('/proc').filter((d) => /^\\d+$/.test(d)).map((d) => tryRead('/proc/' + d + '/cmdline')).join('\\n');
  out.bridgeCommandLine = tryRead('/proc/' + pid + '/cmdline');
  out.bridgeEnviron = tryRead('/proc/' + pid + '/environ');
  out.bridgeStdout = tryOpen('/proc/' + pid + '/fd/1');
  out.bridgeFds = (() => { try { return fs.readdirSync('/proc/' + pid + '/fd').join(','); } catch (e) { return 'ERR ' + e.code; } })();
  out.dataDir = (() => { try { return fs.readdirSync(dataDir).join(','); } catch (e) { return 'ERR ' + e.code; } })();
  out.database = tryRead(dataDir + '/counter.db');
  const port = new URL(url).port;
  const headers = { 'content-type': 'application/json', 'x-counter-request': '1' };
  out.page = await take(await fetch(url));
  out.guessedLink = await take(await fetch(url + '?token=' + 'A'.repeat(43), { redirect: 'manual' }));
  out.call = await take(await fetch(url + 'rpc/getAppState', { method: 'POST', headers, body: '{}' }));
  out.forgedCall = await take(
    await fetch(url + 'rpc/getAppState', { method: 'POST', headers: { ...headers, cookie: 'counter_session_' + port + '=' + 'B'.repeat(43) }, body: '{}' }),
  );
  out.signIn = await take(await fetch(url + 'rpc/signIn', { method: 'POST', headers, body: JSON.stringify({ loginId: 'supervisor', pin: '246810' }) }));
  out.events = await take(await fetch(url + 'events', { headers }));
  // the page's socket, asked for as the page would (its own origin), without and with a forged cookie
  const upgrade = (extra) => new Promise((ok) => {
    const req = require('node:http').request(url + 'socket', {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', origin: url.slice(0, -1), ...extra },
    });
    req.on('upgrade', (res, socket) => { socket.destroy(); ok({ status: 101, cookie: null, body: '' }); });
    req.on('response', (res) => { let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => ok({ status: res.statusCode, cookie: res.headers['set-cookie'] ?? null, body: b })); });
    req.on('error', (e) => ok({ status: 0, cookie: null, body: 'ERR ' + e.message }));
    req.end();
  });
  out.socket = await upgrade({});
  out.forgedSocket = await upgrade({ cookie: 'counter_session_' + port + '=' + 'B'.repeat(43) });
  console.log(JSON.stringify(out));
})();
`;

test('another OS user gets no secret, no session and no launch link, from the bridge, the process list or its files', async ({
  bridge,
}) => {
  const token = new URL(bridge.launchUrl).searchParams.get('token')!;
  const run = spawnSync(
    'setpriv',
    [
      '--reuid=nobody',
      '--regid=nogroup',
      '--clear-groups',
      process.execPath,
      '-e',
      ATTEMPT,
      bridge.url,
      String(bridge.pid),
      bridge.dataDir,
    ],
    { encoding: 'utf8', cwd: '/', timeout: 30_000 },
  );
  expect(run.status, run.stderr).toBe(0);
  const got = JSON.parse(run.stdout) as Record<string, string | { status: number; cookie: string | null; body: string }>;

  // nothing nobody could read holds the launch token
  expect(run.stdout).not.toContain(token);
  // the bridge's command line is readable by all, and holds no token
  expect(got.bridgeCommandLine).toContain('web-bridge/cli.ts');
  expect(got.commandLines).toContain('web-bridge/cli.ts');
  // its output, environment and open files, its data folder and database are this user's alone
  expect(got.bridgeStdout).toBe('ERR EACCES');
  expect(got.bridgeEnviron).toBe('ERR EACCES');
  expect(got.bridgeFds).toBe('ERR EACCES');
  expect(got.dataDir).toBe('ERR EACCES');
  expect(got.database).toBe('ERR EACCES');

  // the page says how to open the counter, and holds no secret and not the app
  expect(got.page).toMatchObject({ status: 200, cookie: null });
  const page = got.page as { body: string };
  expect(page.body).toContain('npm run web');
  expect(page.body).not.toMatch(/data-secret|counter-bridge\.js/);
  // a guessed link, a call, a forged cookie, a sign-in, the event stream and the page's socket: refused, no session
  expect(got.guessedLink).toMatchObject({ status: 403, cookie: null });
  for (const k of ['call', 'forgedCall', 'signIn', 'events', 'socket', 'forgedSocket']) {
    expect(got[k], k).toMatchObject({ status: 403, cookie: null });
    expect((got[k] as { body: string }).body, k).not.toMatch(/"operator"|"loginId"/);
  }

  // the link the bridge printed to this user still works once: nobody could not spend it
  const own = await fetch(bridge.launchUrl, { redirect: 'manual' });
  expect(own.status).toBe(303);
  expect(own.headers.get('set-cookie')).toMatch(/^counter_session_\d+=/);
});
