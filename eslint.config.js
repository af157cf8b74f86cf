// `npm run lint`: the boundaries the folders promise, checked on every `npm test`.
//
//   common/    pure TypeScript: contract, domain, rules, demo data. Imports nothing else, no Node, no DOM.
//   renderer/  the page: common/ and itself.
//   preload/   electron and the contract's method names (common/contract-methods, common/api-client);
//              types of common/ are erased at build time and allowed.
//   main/      the main process; only main/electron/ imports electron; SQL only in main/store/;
//              no import cycles between its files.
//   portal/    the reference portal: common/ and itself.
//   test/, bench/, scripts/: may import the product; nothing imports them.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

/** Node's modules, by exact name (a pattern would also catch './domain' for Node's `domain`). */
const nodeBuiltins = (message) => [
  ...builtinModules.filter((m) => !m.startsWith('_')).map((name) => ({ name, message })),
  ...builtinModules.map((m) => ({ name: `node:${m}`, message })),
];
const ELECTRON_FILES = ['main/electron/**', 'preload/index.ts', 'test/electron/**', 'test/e2e/electron-smoke.spec.ts'];

/** A zone of import-x/no-restricted-paths: files under `target` may not import from `from`. */
const zone = (target, from, message, except) => ({ target, from, message, ...(except ? { except } : {}) });

/**
 * main/ in layers: a file may import from lower layers only (never from a higher one or a
 * neighbour of its own layer), so main's folders cannot form a cycle.
 */
const MAIN_LAYERS = [
  ['./main/logging', './main/security', './main/platform'],
  ['./main/store'],
  ['./main/services'],
  ['./main/sync', './main/printing', './main/updates', './main/speech'],
  ['./main/counter.ts'],
  ['./main/ipc'],
  ['./main/demo', './main/admin'],
  ['./main/web-bridge', './main/electron'],
];
const mainLayerZones = MAIN_LAYERS.flatMap((layer, i) =>
  layer.map((target) => ({
    target,
    from: [...MAIN_LAYERS.slice(i + 1).flat(), ...layer.filter((peer) => peer !== target)],
    message: `main/ is layered (${MAIN_LAYERS.map((l) => l.map((e) => e.replace('./main/', '')).join('+')).join(' < ')}): import only from a lower layer.`,
  })),
);

const everyFolderBut = (folder) =>
  ['./common', './main', './portal', './preload', './renderer', './test', './bench', './scripts'].filter((f) => f !== folder);

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.tsbuild/**',
      'out/**',
      'dist/**',
      '.data/**',
      '.native/**',
      'test-results/**',
      'playwright-report/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,js,mjs}'],
    plugins: { 'import-x': importX },
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { ...globals.node } },
    settings: {
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            ...everyFolderBut('./common').map((f) =>
              zone('./common', f, 'common/ is pure: it imports nothing from the other folders.'),
            ),
            ...['./main', './portal', './preload', './test', './bench', './scripts'].map((f) =>
              zone('./renderer', f, 'The renderer reaches main only through window.counter (common/contract).'),
            ),
            ...['./main', './portal', './renderer', './test', './bench', './scripts'].map((f) =>
              zone('./preload', f, 'The preload is the contract over a transport and nothing else.'),
            ),
            ...['./main', './preload', './renderer', './test', './bench', './scripts'].map((f) =>
              zone('./portal', f, 'The reference portal shares only common/ with the counter.'),
            ),
            ...everyFolderBut('./test').map((f) => zone(f, './test', 'Nothing imports the tests.')),
            ...everyFolderBut('./bench').map((f) => zone(f, './bench', 'Nothing imports the benchmarks.')),
            ...['./common', './main', './portal', './preload', './renderer'].map((f) =>
              zone(f, './scripts', 'The product does not import the development scripts.'),
            ),
            ...mainLayerZones,
            zone('./main', './renderer', 'main does not import the page.'),
            zone('./main', './preload', 'main does not import the preload.'),
          ],
        },
      ],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'Only main/electron/ (and the preload) import electron: everything else runs under plain Node.',
            },
          ],
        },
      ],
    },
  },
  {
    // the thin Electron shell, its preload and their stubbed tests
    files: ELECTRON_FILES,
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
  {
    files: ['main/**/*.ts'],
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    // SQL lives in main/store/: one query module per table or aggregate, statements prepared once
    files: ['main/**/*.ts'],
    ignores: ['main/store/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='prepare']",
          message: 'SQL belongs in a query module under main/store/ (statements prepared once per connection).',
        },
        {
          selector: "CallExpression[callee.property.name='exec'][callee.object.name='db']",
          message: 'SQL belongs in a query module under main/store/.',
        },
      ],
    },
  },
  {
    // common/: no Node and no DOM (tsconfig.common.json gives it neither; this names the imports)
    files: ['common/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'common/ is pure TypeScript.' },
            ...nodeBuiltins('common/ runs in every process: no Node APIs.'),
          ],
        },
      ],
      'no-restricted-globals': ['error', 'window', 'document', 'process', 'Buffer', 'navigator', 'localStorage'],
    },
  },
  {
    // the page: browser globals, no Node
    files: ['renderer/**/*.{ts,tsx}', 'preload/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'The page reaches main only through window.counter.' },
            ...nodeBuiltins('The page runs in a sandbox: no Node APIs.'),
          ],
        },
      ],
    },
  },
  {
    // the preload bundles the method names and the API factory; types of common/ are erased
    files: ['preload/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins('A sandboxed preload has no Node APIs.'),
          patterns: [
            {
              group: ['**/common/**', '!**/common/contract-methods', '!**/common/api-client'],
              allowTypeImports: true,
              message: 'The preload is the contract over a transport: only the method names and the API factory.',
            },
          ],
        },
      ],
    },
  },
  {
    // tests and benchmarks may use what they must to reach into the product
    files: ['test/**', 'bench/**'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      // test helpers answer whatever the code under test sent (typed at the use)
      '@typescript-eslint/no-explicit-any': 'off',
      // Playwright's fixtures take their dependencies as a destructured object, `{}` when none
      'no-empty-pattern': ['error', { allowObjectPatternsAsParameters: true }],
    },
  },
);
