// `npm start`: builds the app, makes sure a better-sqlite3-multiple-ciphers build for Electron's ABI exists
// beside the Node one (node_modules keeps the Node build that the tests and `npm run web`
// use), then launches Electron on the demo counter. Needs internet the first time (the
// Electron binary and Electron's headers or a prebuilt module come from outside npm).
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const electronVersion = require('electron/package.json').version;
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });

run(process.execPath, [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build']);

const nativeDir = join(root, '.native', `electron-${electronVersion}`, 'better-sqlite3-multiple-ciphers');
const nativeFile = join(nativeDir, 'better_sqlite3.node');
if (!existsSync(nativeFile)) {
  console.log(`Building better-sqlite3-multiple-ciphers for Electron ${electronVersion} into ${nativeDir}`);
  const work = mkdtempSync(join(tmpdir(), 'counter-native-'));
  const pkg = join(work, 'better-sqlite3-multiple-ciphers');
  cpSync(join(root, 'node_modules/better-sqlite3-multiple-ciphers'), pkg, {
    recursive: true,
    filter: (s) => !s.includes(`${'build'}/Release/obj`),
  });
  // npm may be configured to build against the system Node headers; Electron needs its own
  const env = {
    ...process.env,
    npm_config_nodedir: '',
    npm_config_runtime: 'electron',
    npm_config_target: electronVersion,
    npm_config_disturl: 'https://electronjs.org/headers',
  };
  try {
    try {
      run(process.execPath, [require.resolve('prebuild-install/bin.js'), '--runtime', 'electron', '--target', electronVersion], {
        cwd: pkg,
        env,
      });
    } catch {
      run(
        process.execPath,
        [
          require.resolve('node-gyp/bin/node-gyp.js'),
          'rebuild',
          '--release',
          `--target=${electronVersion}`,
          '--runtime=electron',
          '--dist-url=https://electronjs.org/headers',
        ],
        { cwd: pkg, env },
      );
    }
  } catch {
    rmSync(work, { recursive: true, force: true });
    console.error(
      `\nCould not get better-sqlite3-multiple-ciphers for Electron ${electronVersion}: neither a prebuilt module (GitHub) nor Electron's headers ` +
        `(electronjs.org) could be downloaded. Connect this machine to the internet once and run npm start again, ` +
        `or use the browser version: npm run demo`,
    );
    process.exit(1);
  }
  mkdirSync(nativeDir, { recursive: true });
  copyFileSync(join(pkg, 'build/Release/better_sqlite3.node'), nativeFile);
  rmSync(work, { recursive: true, force: true });
}

// `--prepare-only`: stop here (used by the Electron smoke test before it launches the app itself)
if (process.argv.includes('--prepare-only')) process.exit(0);

// the reference portal beside the demo counter, so records can be seen moving to "uploaded"
const { startDemoPortal } = await import('./demo-portal.mjs');
const stopPortal = await startDemoPortal();

const electronBin = join(root, 'node_modules/.bin', process.platform === 'win32' ? 'electron.cmd' : 'electron');
const child = spawn(electronBin, ['.'], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    COUNTER_DEMO: process.env.COUNTER_DEMO ?? '1',
    // the demo counter's people are invented: on a development PC without an OS keyring it may
    // keep its database in the clear (a real counter without a keyring refuses to start)
    COUNTER_ALLOW_UNENCRYPTED: process.env.COUNTER_ALLOW_UNENCRYPTED ?? ((process.env.COUNTER_DEMO ?? '1') === '1' ? '1' : '0'),
    COUNTER_DATA_DIR: process.env.COUNTER_DATA_DIR ?? join(root, '.data', 'desktop'),
  },
  shell: process.platform === 'win32',
});
child.on('exit', (code) => {
  stopPortal();
  process.exit(code ?? 1);
});
