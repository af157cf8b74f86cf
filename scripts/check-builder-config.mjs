// Checks electron-builder.yml against electron-builder's own schema, offline.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { load } = require('js-yaml');
const { validateConfiguration } = require('app-builder-lib/out/util/config/config');
const { DebugLogger } = require('builder-util');

const config = load(readFileSync(new URL('../electron-builder.yml', import.meta.url), 'utf8'));
try {
  await validateConfiguration(config, new DebugLogger(false));
  console.log('electron-builder.yml: valid');
} catch (e) {
  console.error(`electron-builder.yml: ${e.message}`);
  process.exit(1);
}
