// A throw-away PostgreSQL cluster for the tests, the test command and the bench: initdb into a
// fresh temporary folder (mode 0700), listening on 127.0.0.1 and on a Unix socket in that folder,
// on a free port of its own, durable (fsync on: the tests are about not losing data). PostgreSQL
// refuses to run as root, so as root every PostgreSQL program runs as the `postgres` OS user
// (setpriv) and the folder is handed to that user; otherwise they run as the current user.
//
//   node scripts/pg-cluster.mjs start [--port N] [--dir PARENT]   prints PORTAL_TEST_DATABASE_URL=...
//                                                                 and PORTAL_TEST_PG_DATA=<data folder>
//   node scripts/pg-cluster.mjs stop DATA                         fast shutdown, the data is kept
//   node scripts/pg-cluster.mjs start-again DATA                  the same cluster again, same port
//   node scripts/pg-cluster.mjs remove DATA                       stop and delete its folder
//   node scripts/pg-cluster.mjs prune [--dir PARENT]              remove the clusters whose starting
//                                                                 process ended without removing them
import { execFile, execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TOOLS = ['initdb', 'pg_ctl', 'postgres'];
const FOLDER_PREFIX = 'portal-pg-';
/** the file in a cluster's folder naming the process that started it */
const STARTED_BY = 'started-by.pid';
const INITDB_TIMEOUT_MS = 120_000;
/** pg_ctl's own wait (-t), in seconds; the process itself is killed a little after it */
const PG_CTL_WAIT_S = 60;
const PORT_ATTEMPTS = 5;
const INSTALL_HINT = "install Debian's PostgreSQL (apt-get install -y postgresql)";

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * PostgreSQL's server programs: the newest /usr/lib/postgresql/<version>/bin (Debian's layout),
 * else the folder of a pg_ctl on PATH. A reason instead when they cannot be found or run here.
 * (`where` is for the tests: other places to look.)
 * @param {{ libDir?: string, path?: string }} [where]
 * @returns {{ bin: string } | { reason: string }}
 */
export function findPostgres(where = {}) {
  const libDir = where.libDir ?? '/usr/lib/postgresql';
  const path = where.path ?? process.env.PATH ?? '';
  const bin = newestVersionBin(libDir) ?? binOnPath(path);
  if (!bin)
    return {
      reason: `no PostgreSQL server programs (${TOOLS.join(', ')}) in ${libDir}/<version>/bin or beside a pg_ctl on PATH: ${INSTALL_HINT}`,
    };
  if (isRoot()) {
    if (!postgresUser())
      return {
        reason: 'running as root, and PostgreSQL refuses root: it runs as the `postgres` OS user, which does not exist here',
      };
    if (!onPath('setpriv', path) && !existsSync('/usr/bin/setpriv'))
      return { reason: 'running as root, and PostgreSQL refuses root: setpriv (util-linux) is needed to run it as `postgres`' };
  }
  return { bin };
}

function hasTools(bin) {
  return TOOLS.every((t) => existsSync(join(bin, t)));
}

function newestVersionBin(libDir) {
  let versions = [];
  try {
    versions = readdirSync(libDir).filter((v) => /^\d+(\.\d+)?$/.test(v));
  } catch {
    return undefined;
  }
  versions.sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(libDir, v, 'bin')).find(hasTools);
}

function onPath(name, path) {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

function binOnPath(path) {
  const ctl = onPath('pg_ctl', path);
  if (!ctl) return undefined;
  const bin = dirname(realpathSync(ctl));
  return hasTools(bin) ? bin : undefined;
}

/** the `postgres` OS user's ids, or undefined */
function postgresUser() {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/** The environment of PostgreSQL's programs: none of the caller's PG* settings, English messages. */
function pgEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(PG|LC_|LANG)/.test(k) && v !== undefined) env[k] = v;
  return { ...env, LC_ALL: 'C', LANG: 'C' };
}

/**
 * Runs one of PostgreSQL's programs (as `postgres` when this process is root), bounded by
 * `timeoutMs`. Never rejects: the exit code and the output say what happened.
 * @returns {Promise<{ code: number | string, output: string }>}
 */
function runPg(bin, tool, args, { cwd, timeoutMs }) {
  const program = join(bin, tool);
  const [file, argv] = isRoot()
    ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', program, ...args]]
    : [program, args];
  return new Promise((done) => {
    execFile(
      file,
      argv,
      { cwd, env: pgEnv(), timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const output = `${stdout ?? ''}${stderr ?? ''}`;
        if (!error) return done({ code: 0, output });
        const code = error.killed ? `killed after ${timeoutMs / 1000} s` : (error.code ?? error.signal ?? 'failed');
        done({ code, output });
      },
    );
  });
}

/** A port that was free on 127.0.0.1 a moment ago (the start retries with another on a clash). */
function freePort() {
  return new Promise((ok, bad) => {
    const server = createServer();
    server.once('error', bad);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => ok(port));
    });
  });
}

/** whether 127.0.0.1:`port` can be bound now */
function portFree(port) {
  return new Promise((ok) => {
    const server = createServer();
    server.once('error', () => ok(false));
    server.listen(port, '127.0.0.1', () => server.close(() => ok(true)));
  });
}

const firstLines = (text, n = 12) =>
  text
    .split('\n')
    .filter((l) => l.trim())
    .slice(0, n)
    .join('\n');
const lastLines = (text, n = 12) =>
  text
    .split('\n')
    .filter((l) => l.trim())
    .slice(-n)
    .join('\n');

/** what the server log got since `offset` (the log of this one start) */
function logSince(logFile, offset) {
  try {
    const size = statSync(logFile).size;
    if (size <= offset) return '';
    const fd = openSync(logFile, 'r');
    try {
      const length = Math.min(size - offset, 64 * 1024);
      const buf = Buffer.alloc(length);
      readSync(fd, buf, 0, length, size - length);
      return buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

const logSize = (logFile) => (existsSync(logFile) ? statSync(logFile).size : 0);

const PORT_TAKEN =
  /could not bind|Address already in use|could not create any TCP\/IP sockets|could not create lock file .*\.s\.PGSQL/i;

/**
 * Starts a throw-away cluster: the OS's PostgreSQL, a fresh folder `portal-pg-XXXXXX` (mode 0700)
 * under `dir` (default the OS temp folder) holding the data folder, the Unix socket and the server
 * log, on `port` (default a free one, with a new pick when it was taken meanwhile). Rejects with
 * the reason (and the first lines of initdb's output, or the last of the server log) when it
 * cannot; nothing is left behind then.
 * @param {{ port?: number, dir?: string }} [options]
 */
export function startCluster({ port, dir } = {}) {
  return startClusterFor({ port, dir, startedBy: process.pid });
}

/** `startedBy`: the process whose end leaves the cluster to pruneClusters (none for the command line's) */
async function startClusterFor({ port, dir, startedBy }) {
  const found = findPostgres();
  if ('reason' in found) throw new Error(`PostgreSQL cannot be started: ${found.reason}`);
  const { bin } = found;
  if (port !== undefined && !(await portFree(port))) throw new Error(`PostgreSQL cannot be started: port ${port} is taken`);
  const owner = isRoot() ? postgresUser() : undefined;
  const parent = resolve(dir ?? tmpdir());
  mkdirSync(parent, { recursive: true });
  const home = mkdtempSync(join(parent, FOLDER_PREFIX));
  const dataDir = join(home, 'data');
  const logFile = join(home, 'server.log');
  mkdirSync(dataDir, { mode: 0o700 });
  if (owner) for (const p of [home, dataDir]) chownSync(p, owner.uid, owner.gid);
  if (startedBy !== undefined) writeFileSync(join(home, STARTED_BY), `${startedBy}\n`);
  try {
    if (owner) await reachable(home);
    await initdb(bin, dataDir, home);
    configure(dataDir, home);
    const chosen = await startOnPort(bin, dataDir, home, logFile, port);
    return clusterHandle(bin, home, dataDir, logFile, chosen);
  } catch (error) {
    await stopServer(bin, dataDir, home).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
    throw error;
  }
}

/** as root: the postgres OS user must reach the folder (no folder above it closed to other users) */
async function reachable(home) {
  const r = await new Promise((done) =>
    execFile(
      'setpriv',
      ['--reuid=postgres', '--regid=postgres', '--init-groups', 'test', '-w', home, '-a', '-x', home],
      { timeout: 10_000 },
      (error) => done(!error),
    ),
  );
  if (!r)
    throw new Error(
      `PostgreSQL cannot be started: the postgres OS user cannot reach ${home} (a folder above it is closed to other users): choose a folder it can reach`,
    );
}

async function initdb(bin, dataDir, cwd) {
  const base = ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8'];
  let r = await runPg(bin, 'initdb', [...base, '--locale=C.UTF-8'], { cwd, timeoutMs: INITDB_TIMEOUT_MS });
  // a system without the C.UTF-8 locale: the plain C locale (initdb has emptied the folder again)
  if (r.code !== 0 && /invalid locale name/i.test(r.output) && !existsSync(join(dataDir, 'PG_VERSION')))
    r = await runPg(bin, 'initdb', [...base, '--no-locale'], { cwd, timeoutMs: INITDB_TIMEOUT_MS });
  if (r.code !== 0) throw new Error(`PostgreSQL cannot be started: initdb failed (${r.code}):\n${firstLines(r.output)}`);
}

function configure(dataDir, home) {
  appendFileSync(
    join(dataDir, 'postgresql.conf'),
    [
      '',
      '# a throw-away cluster of scripts/pg-cluster.mjs: this machine only, durable',
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${home}'`,
      'unix_socket_permissions = 0700',
      'max_connections = 300',
      'fsync = on',
      'synchronous_commit = on',
      'full_page_writes = on',
      "log_line_prefix = '%m [%p] '",
      '',
    ].join('\n'),
  );
  // connections from this machine only: the socket (in the owner's own folder) and 127.0.0.1
  writeFileSync(
    join(dataDir, 'pg_hba.conf'),
    [
      '# TYPE  DATABASE     USER  ADDRESS       METHOD',
      'local   all          all                 trust',
      'host    all          all   127.0.0.1/32  trust',
      'local   replication  all                 trust',
      'host    replication  all   127.0.0.1/32  trust',
      '',
    ].join('\n'),
  );
}

/** pg_ctl start on `port`, or on free ports picked in turn while the one picked was taken */
async function startOnPort(bin, dataDir, home, logFile, port) {
  const attempts = port === undefined ? PORT_ATTEMPTS : 1;
  let last = '';
  for (let i = 0; i < attempts; i++) {
    const p = port ?? (await freePort());
    // the last `port` line of postgresql.conf wins, so a start by hand later uses the same port
    appendFileSync(join(dataDir, 'postgresql.conf'), `port = ${p}\n`);
    const failure = await startServer(bin, dataDir, home, logFile);
    if (!failure) return p;
    last = failure;
    if (!PORT_TAKEN.test(failure)) break;
    if (port !== undefined) throw new Error(`PostgreSQL cannot be started: port ${p} is taken:\n${failure}`);
  }
  throw new Error(`PostgreSQL cannot be started:\n${last}`);
}

/** pg_ctl start -w; undefined when the server runs, else what went wrong (the log of this start) */
async function startServer(bin, dataDir, home, logFile) {
  const offset = logSize(logFile);
  const r = await runPg(bin, 'pg_ctl', ['start', '-D', dataDir, '-l', logFile, '-w', '-t', String(PG_CTL_WAIT_S), '-s'], {
    cwd: home,
    timeoutMs: (PG_CTL_WAIT_S + 15) * 1000,
  });
  if (r.code === 0) return undefined;
  // a start that timed out may leave a postmaster behind: stop it before saying why
  await stopServer(bin, dataDir, home).catch(() => undefined);
  return `pg_ctl start failed (${r.code}): ${lastLines(r.output, 4)}\n${lastLines(logSince(logFile, offset))}`.trim();
}

const running = (dataDir) => existsSync(join(dataDir, 'postmaster.pid'));

/** fast shutdown (in-flight transactions rolled back, the data kept); immediate when fast hangs */
async function stopServer(bin, dataDir, home) {
  if (!running(dataDir)) return;
  const stop = (mode) =>
    runPg(bin, 'pg_ctl', ['stop', '-D', dataDir, '-m', mode, '-w', '-t', String(PG_CTL_WAIT_S), '-s'], {
      cwd: home,
      timeoutMs: (PG_CTL_WAIT_S + 15) * 1000,
    });
  let r = await stop('fast');
  if (r.code !== 0 && running(dataDir)) r = await stop('immediate');
  if (r.code !== 0 && running(dataDir)) {
    // never leave a server behind a folder about to be deleted (its backends exit with it)
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const isPostgres = () => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
    let killed = false;
    try {
      if (pid > 0 && isPostgres()) killed = process.kill(pid, 'SIGKILL');
    } catch {
      // gone already, or no /proc here
    }
    throw new Error(
      `PostgreSQL in ${dataDir} did not stop (${r.code})${killed ? ', so it was killed' : ''}: ${lastLines(r.output, 4)}`,
    );
  }
}

function clusterHandle(bin, home, dataDir, logFile, port) {
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    socketDir: home,
    logFile,
    stop: () => stopServer(bin, dataDir, home),
    async start() {
      if (running(dataDir)) return;
      const failure = await startServer(bin, dataDir, home, logFile);
      if (failure) throw new Error(`PostgreSQL in ${dataDir} cannot be started again on port ${port}:\n${failure}`);
    },
    async remove() {
      try {
        await stopServer(bin, dataDir, home);
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    },
  };
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM'; // another user's process
  }
};

/**
 * Stops and deletes the clusters under `dir` (default the OS temp folder) whose starting process
 * has ended without removing them (killed, or a test whose clean-up never ran). Clusters of
 * running processes, of the command line, and those this user cannot read are left alone.
 * @param {{ dir?: string }} [options]
 * @returns {Promise<string[]>} the folders removed
 */
export async function pruneClusters({ dir } = {}) {
  const found = findPostgres();
  if ('reason' in found) return [];
  const parent = resolve(dir ?? tmpdir());
  let names = [];
  try {
    names = readdirSync(parent).filter((n) => n.startsWith(FOLDER_PREFIX));
  } catch {
    return [];
  }
  const removed = [];
  for (const name of names) {
    const home = join(parent, name);
    let pid;
    try {
      pid = Number(readFileSync(join(home, STARTED_BY), 'utf8').trim());
    } catch {
      continue;
    }
    if (!Number.isInteger(pid) || pid <= 0 || alive(pid)) continue;
    await stopServer(found.bin, join(home, 'data'), home).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
    removed.push(home);
  }
  return removed;
}

/** A data folder made by startCluster (…/portal-pg-XXXXXX/data), for the command line. */
function clusterFolder(dataArg) {
  if (!dataArg) throw new Error('give the data folder that `start` printed (PORTAL_TEST_PG_DATA)');
  const dataDir = resolve(dataArg);
  const home = dirname(dataDir);
  if (basename(dataDir) !== 'data' || !basename(home).startsWith(FOLDER_PREFIX) || !existsSync(join(dataDir, 'PG_VERSION')))
    throw new Error(`${dataDir} is not the data folder of a cluster made by this script (…/${FOLDER_PREFIX}XXXXXX/data)`);
  return { dataDir, home };
}

function portOf(dataDir) {
  const lines = readFileSync(join(dataDir, 'postgresql.conf'), 'utf8').match(/^port = (\d+)$/gm) ?? [];
  const last = lines.at(-1);
  if (!last) throw new Error(`no port in ${dataDir}/postgresql.conf`);
  return Number(last.slice('port = '.length));
}

async function cli(argv) {
  const [command, ...rest] = argv;
  const option = (name) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  if (command === 'start') {
    const port = option('--port');
    if (port !== undefined && !/^\d+$/.test(port)) throw new Error(`--port must be a number, not ${port}`);
    // kept until `remove`, though this process ends now
    const cluster = await startClusterFor({ port: port === undefined ? undefined : Number(port), dir: option('--dir') });
    console.log(`PORTAL_TEST_DATABASE_URL=${cluster.url}`);
    console.log(`PORTAL_TEST_PG_DATA=${cluster.dataDir}`);
    return;
  }
  if (command === 'stop' || command === 'start-again' || command === 'remove') {
    const found = findPostgres();
    if ('reason' in found) throw new Error(found.reason);
    const { dataDir, home } = clusterFolder(rest[0]);
    const cluster = clusterHandle(found.bin, home, dataDir, join(home, 'server.log'), portOf(dataDir));
    if (command === 'stop') await cluster.stop();
    else if (command === 'remove') await cluster.remove();
    else {
      await cluster.start();
      console.log(`PORTAL_TEST_DATABASE_URL=${cluster.url}`);
    }
    return;
  }
  if (command === 'prune') {
    for (const home of await pruneClusters({ dir: option('--dir') })) console.log(`removed ${home}`);
    return;
  }
  throw new Error(
    'usage: node scripts/pg-cluster.mjs start [--port N] [--dir PARENT] | stop DATA | start-again DATA | remove DATA | prune [--dir PARENT]',
  );
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2)).catch((error) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
