// The folder boundaries are a lint rule, not a habit: each deliberate violation below, linted
// as if it were a file in the tree, fails `npm run lint`, and the same import from an allowed
// place passes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

/** The rule ids ESLint reports for `code` as the file at `path` (relative to the project). */
async function violations(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

describe('folder boundaries', () => {
  it.each([
    ['renderer/src/scratch.ts', "import { openDatabase } from '../../main/store/database';\nexport const x = openDatabase;\n"],
    ['renderer/src/scratch.ts', "import { startPortal } from '../../portal/server';\nexport const x = startPortal;\n"],
    ['common/scratch.ts', "import { openDatabase } from '../main/store/database';\nexport const x = openDatabase;\n"],
    ['portal/scratch.ts', "import { seedDemo } from '../main/demo/seed';\nexport const x = seedDemo;\n"],
    [
      'main/scratch.ts',
      "import { startPortalProcess } from '../test/support/virtual-printer';\nexport const x = startPortalProcess;\n",
    ],
    [
      'bench/scratch.ts',
      "import { startVirtualPrinter } from '../test/support/virtual-printer';\nexport const x = startVirtualPrinter;\n",
    ],
    ['main/store/scratch.ts', "import { checkIn } from '../services/check-in';\nexport const x = checkIn;\n"],
    ['main/services/scratch.ts', "import { SyncHost } from '../sync/host';\nexport const x = SyncHost;\n"],
    ['main/sync/scratch.ts', "import { PrintQueue } from '../printing/print-queue';\nexport const x = PrintQueue;\n"],
  ])('%s may not import that: %s', async (path, code) => {
    expect(await violations(path, code)).toContain('import-x/no-restricted-paths');
  });

  it.each([
    ['main/store/scratch.ts', "import { openDatabase } from './database';\nexport const x = openDatabase;\n"],
    ['main/services/scratch.ts', "import { insertAudit } from '../store/audit';\nexport const x = insertAudit;\n"],
    [
      'renderer/src/scratch.ts',
      "import { provisioningSchema } from '../../common/domain';\nexport const x = provisioningSchema;\n",
    ],
    ['portal/scratch.ts', "import { verhoeffDigit } from '../common/rules/verhoeff';\nexport const x = verhoeffDigit;\n"],
    ['preload/scratch.ts', "import { METHOD_NAMES } from '../common/contract-methods';\nexport const x = METHOD_NAMES;\n"],
  ])('%s may import from a lower layer: %s', async (path, code) => {
    expect(await violations(path, code)).toEqual([]);
  });

  it('the preload bundles only the method names and the API factory; types of common/ are erased and allowed', async () => {
    const runtime = "import { DomainError } from '../common/result';\nexport const x = DomainError;\n";
    expect(await violations('preload/scratch.ts', runtime)).toContain('@typescript-eslint/no-restricted-imports');
    const typeOnly = "import type { Result } from '../common/result';\nexport type X = Result<number>;\n";
    expect(await violations('preload/scratch.ts', typeOnly)).toEqual([]);
  });

  it('only main/electron imports electron', async () => {
    const code = "import { app } from 'electron';\nexport const x = app;\n";
    expect(await violations('main/services/scratch.ts', code)).toContain('@typescript-eslint/no-restricted-imports');
    expect(await violations('renderer/src/scratch.ts', code)).toContain('@typescript-eslint/no-restricted-imports');
    expect(await violations('main/electron/scratch.ts', code)).toEqual([]);
  });

  it('common/ and the page use no Node API', async () => {
    const code = "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n";
    expect(await violations('common/scratch.ts', code)).toContain('@typescript-eslint/no-restricted-imports');
    expect(await violations('renderer/src/scratch.ts', code)).toContain('@typescript-eslint/no-restricted-imports');
    expect(await violations('common/scratch.ts', 'export const x = process.env.HOME;\n')).toContain('no-restricted-globals');
  });
});

describe('SQL lives in main/store', () => {
  const code = "import type { Db } from '../store/database';\nexport const x = (db: Db) => db.prepare('SELECT 1').get();\n";

  it('a statement prepared in a service fails the lint', async () => {
    expect(await violations('main/services/scratch.ts', code)).toContain('no-restricted-syntax');
  });

  it('the same statement in a store module passes', async () => {
    const inStore = code.replace("'../store/database'", "'./database'");
    expect(await violations('main/store/scratch.ts', inStore)).toEqual([]);
  });
});

describe('no import cycles in main', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(ROOT, 'main/cycle-scratch-'));
    writeFileSync(join(dir, 'a.ts'), "import { b } from './b';\nexport const a = () => b;\n");
    writeFileSync(join(dir, 'b.ts'), "import { a } from './a';\nexport const b = () => a;\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('two files of main importing each other fail the lint', async () => {
    const results = await eslint.lintFiles([join(dir, 'a.ts')]);
    expect(results[0]?.messages.map((m) => m.ruleId)).toContain('import-x/no-cycle');
    expect(relative(ROOT, dir).startsWith('main/')).toBe(true);
  });
});
