// @vitest-environment jsdom
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { en } from '../../renderer/src/i18n/en';
import { hi } from '../../renderer/src/i18n/hi';
import { ERROR_CODES } from '../../common/result';
import {
  GENDERS,
  LANES,
  RECONCILIATION_STATUSES,
  ROLES,
  SYNC_STATES,
  TICKET_STATUSES,
  duplicateCandidateSchema,
  printingSettingsSchema,
  printerTargetSchema,
} from '../../common/domain';
import { PHOTO_ID_TYPES } from '../../common/rules/photo-id';
import { MUTATION_KINDS } from '../../common/sync-protocol';

const root = resolve(import.meta.dirname, '../..');

/** Every leaf of a resource tree as `a.b.c` → text. */
function leaves(tree: object, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object') for (const [kk, vv] of leaves(v, key)) out.set(kk, vv);
    else out.set(key, v);
  }
  return out;
}

const EN = leaves(en);
const HI = leaves(hi);
const has = (key: string) => typeof EN.get(key) === 'string' && (EN.get(key) as string).length > 0;

/** The i18n codes the shared schemas and rules put in issue messages (see common/domain.ts). */
function messageCodes(): Set<string> {
  const files = [
    'common/domain.ts',
    'common/contract.ts',
    ...readdirSync(join(root, 'common/rules'))
      // (announcement.ts makes the board's spoken words, not field errors)
      .filter((f) => f.endsWith('.ts') && f !== 'queue-policy.ts' && f !== 'announcement.ts')
      .map((f) => `common/rules/${f}`),
  ];
  const code = "'([a-z][a-z0-9]*(?:_[a-z0-9]+)*)'";
  const patterns = [
    // .min(1, 'required'), .refine(f, 'x'), .int('x'); not defaults, literals or typeof checks
    new RegExp(`(?<!default\\()(?<!literal\\()(?<!=== )${code}\\)`, 'g'),
    new RegExp(`error: ${code}`, 'g'),
    new RegExp(`return ${code}`, 'g'),
    new RegExp(`null : ${code}`, 'g'),
    new RegExp(`reason: ${code}`, 'g'),
    new RegExp(`\\? ${code} : ${code}`, 'g'),
  ];
  const found = new Set<string>();
  for (const f of files) {
    const text = readFileSync(join(root, f), 'utf8');
    for (const p of patterns) for (const m of text.matchAll(p)) for (const g of m.slice(1)) if (g) found.add(g);
  }
  // field codes main adds itself (e.g. login_id_taken)
  for (const dir of ['main/services', 'main/ipc']) {
    for (const f of readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(root, dir, f), 'utf8');
      for (const m of text.matchAll(new RegExp(`code: ${code}`, 'g'))) found.add(m[1]!);
    }
  }
  // field codes of the print queue (e.g. printer_not_configured when no printer is set up)
  for (const f of readdirSync(join(root, 'main/printing')).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(root, 'main/printing', f), 'utf8');
    for (const m of text.matchAll(new RegExp(`field: '[^']*', code: ${code}`, 'g'))) found.add(m[1]!);
  }
  return found;
}

/** Why a print can fail: the `PrintErrorCode` union of main/printing/types.ts, and `interrupted` (cut short by a restart). */
function printErrorCodes(): string[] {
  const text = readFileSync(join(root, 'main/printing/types.ts'), 'utf8');
  const union = /export type PrintErrorCode =([^;]+);/.exec(text)?.[1] ?? '';
  return [...[...union.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!), 'interrupted'];
}

describe('translations', () => {
  it('Hindi has every English key, and no others', () => {
    expect([...HI.keys()].sort()).toEqual([...EN.keys()].sort());
  });

  it('no text is empty, and Hindi texts are written in Devanagari', () => {
    for (const [key, text] of HI) {
      expect(typeof text === 'string' && text.trim().length > 0, key).toBe(true);
    }
    const latinOnly = [...HI].filter(
      ([key, text]) => !/[\u0900-\u097F]/.test(String(text)) && !/^(lang\.toggle|common\.key|genderOption)/.test(key),
    );
    // tokens, codes and placeholders alone may stay Latin; sentences may not
    expect(
      latinOnly.filter(
        ([, text]) =>
          String(text)
            .replace(/\{\{\w+\}\}/g, '')
            .trim()
            .split(/\s+/).length > 2,
      ),
    ).toEqual([]);
  });

  it('interpolations are the same in both languages', () => {
    const vars = (s: unknown) => [...String(s).matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
    for (const [key, text] of EN) expect(vars(HI.get(key)), key).toEqual(vars(text));
  });

  it('every error code has a text', () => {
    for (const code of ERROR_CODES) expect(has(`errors.code.${code}`), code).toBe(true);
  });

  it('every field error code of the shared rules and of main has a text', () => {
    const codes = messageCodes();
    expect(codes.size).toBeGreaterThan(30);
    const missing = [...codes].filter((c) => !has(`errors.field.${c}`));
    expect(missing).toEqual([]);
  });

  it('every reason a slip can fail for has a text', () => {
    const codes = printErrorCodes();
    expect(codes).toContain('paper_out');
    expect(codes.filter((c) => !has(`errors.print.${c}`))).toEqual([]);
    for (const c of ['printer_host_format', 'port_range', 'cups_queue_format', 'printer_not_configured']) {
      expect(has(`errors.field.${c}`), c).toBe(true);
    }
  });

  it('every reason an upload can fail for has a text', () => {
    // the sync status's lastError.code is the portal client's failure kind
    const text = readFileSync(join(root, 'main/sync/portal-client.ts'), 'utf8');
    const union = /export type PortalFailureKind =([^;]+);/.exec(text)?.[1] ?? '';
    const kinds = [...union.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!);
    expect(kinds).toContain('timeout');
    // and the host's own: the worker thread stopped
    kinds.push('worker_stopped');
    expect(kinds.filter((k) => !has(`sync.error.${k}`))).toEqual([]);
  });

  it('every value shown from the domain has a label', () => {
    const keys = [
      ...PHOTO_ID_TYPES.map((v) => `photoIdType.${v}`),
      ...GENDERS.map((v) => `gender.${v}`),
      ...GENDERS.map((v) => `genderOption.${v}`),
      ...TICKET_STATUSES.map((v) => `ticketStatus.${v}`),
      ...ROLES.map((v) => `role.${v}`),
      ...LANES.map((v) => `lanes.${v}`),
      ...duplicateCandidateSchema.shape.reason.options.map((v) => `duplicates.reason.${v}`),
      ...duplicateCandidateSchema.shape.kind.options.map((v) => `duplicates.kind.${v}`),
      ...printerTargetSchema.options.map((o) => `printer.kinds.${o.shape.kind.value}`),
      ...printingSettingsSchema.shape.paper.unwrap().options.map((v) => `printer.papers.${v}`),
      ...printingSettingsSchema.shape.nameOnSlip.unwrap().options.map((v) => `printer.names.${v}`),
      ...SYNC_STATES.map((v) => `sync.state.${v}`),
      ...MUTATION_KINDS.map((v) => `sync.kind.${v.replace(/[^a-z0-9]/gi, '_')}`),
      ...RECONCILIATION_STATUSES.map((v) => `reconciliation.status.${v}`),
    ];
    const reasons =
      readFileSync(join(root, 'common/rules/queue-policy.ts'), 'utf8').match(/type NextReason = ([^;]+);/)?.[1] ?? '';
    for (const m of reasons.matchAll(/'(\w+)'/g)) keys.push(`queue.nextReason.${m[1]}`);
    expect(keys.filter((k) => !has(k))).toEqual([]);
  });
});
