import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DistrictSettings } from '../../common/domain';
import { applyDistrictSettings, type ApplyOutcome } from '../../main/services/district-settings';
import { fakeClock, openCounter, PROVISIONING, setupCounter, SUBMISSION, walkInForm, type Counter } from './harness';

let c: Counter;
afterEach(() => c?.dispose());

const CENTRE = PROVISIONING.centre.id;
const POLICY = {
  mode: 'ratio',
  priorityPerWalkIn: 1,
  walkInMaxWaitMinutes: 20,
  lateArrivalMinutes: 15,
  provisionalPriority: true,
} as const;
const SIXTY_PLUS = [{ from: '2021-03-01', label: '60+ only', anyOf: [{ minAge: 60 }] }];
const CORBEVAX = [{ code: 'CORBEVAX', name: 'Corbevax' }];
const V1: DistrictSettings = { queuePolicy: POLICY, eligibility: SIXTY_PLUS, vaccines: CORBEVAX };

const answer = (version: number, settings: unknown = V1, centreId: string = CENTRE) => ({
  centreId,
  version,
  publishedAt: '2021-04-10T04:00:00.000Z',
  settings,
});
const apply = (a: unknown, hooks?: Parameters<typeof applyDistrictSettings>[1]['hooks']): ApplyOutcome =>
  applyDistrictSettings(c.backend.db, { centreId: CENTRE, now: c.clock(), answer: a, ...(hooks ? { hooks } : {}) });

/** Everything the counter reads that the district may own, as the counter sees it now. */
const inForce = async () => {
  const s = await c.ok('getAppState', {});
  return { policy: s.policy, vaccines: s.vaccines, district: s.district ?? null };
};
const partsRows = () => c.backend.db.prepare('SELECT part, version FROM district_setting ORDER BY part').all();
const age51 = walkInForm(1, { birthYear: 1970 });

describe('district settings at the counter', () => {
  it('a new version changes the policy, the eligibility and the vaccines in force, and says which version', async () => {
    c = await setupCounter();
    const before = await c.ok('previewWalkIn', { form: age51 });
    expect(before.eligibility.eligible).toBe(true);
    expect(apply(answer(1))).toMatchObject({ kind: 'applied', version: 1, previous: null });
    const s = await inForce();
    expect(s.policy).toEqual(POLICY);
    expect(s.vaccines).toEqual(CORBEVAX);
    expect(s.district).toMatchObject({
      version: 1,
      publishedAt: '2021-04-10T04:00:00.000Z',
      appliedAt: c.clock().toISOString(),
      parts: ['queuePolicy', 'eligibility', 'vaccines'],
    });
    expect([...s.district!.queuePolicyFromDistrict].sort()).toEqual(Object.keys(POLICY).sort());
    const after = await c.ok('previewWalkIn', { form: age51 });
    expect(after.eligibility).toMatchObject({ eligible: false, phase: '60+ only' });
    // the walk-in itself is refused too, not only the preview
    expect(await c.err('registerWalkIn', { submissionId: SUBMISSION(1), form: age51, acknowledgedDuplicates: [] })).toMatchObject(
      { code: 'NOT_ELIGIBLE' },
    );
  });

  it('the vaccines a ticket is served with are the district list', async () => {
    c = await setupCounter();
    apply(answer(1));
    const w = await c.ok('registerWalkIn', {
      submissionId: SUBMISSION(2),
      form: walkInForm(2, { birthYear: 1950 }),
      acknowledgedDuplicates: [],
    });
    await c.ok('callTicket', { ticketId: w.id });
    expect(await c.err('serveTicket', { ticketId: w.id, vaccine: 'COVAXIN', lotNumber: 'b-21/0042', dose: 1 })).toMatchObject({
      code: 'VALIDATION',
    });
    expect(await c.ok('serveTicket', { ticketId: w.id, vaccine: 'CORBEVAX', lotNumber: 'b-21/0042', dose: 1 })).toMatchObject({
      status: 'served',
    });
  });

  it.each(['queuePolicy', 'eligibility', 'vaccines'] as const)(
    'a failure after the %s part leaves the whole old set in force, never a mix',
    async (failAfter) => {
      c = await setupCounter();
      const none = await inForce();
      const fail = {
        afterPart: (p: string) =>
          void (
            p === failAfter &&
            (() => {
              throw new Error('disk full');
            })()
          ),
      };
      // the first version: nothing of it stays
      expect(() => apply(answer(1), fail)).toThrow('disk full');
      expect(await inForce()).toEqual(none);
      expect(partsRows()).toEqual([]);
      // a second version over the first: the first stays whole
      apply(answer(1));
      const v1 = await inForce();
      const v2: DistrictSettings = {
        queuePolicy: { ...POLICY, priorityPerWalkIn: 9 },
        eligibility: [{ from: '2021-03-01', label: '18+', anyOf: [{ minAge: 18 }] }],
        vaccines: [{ code: 'COVAXIN', name: 'Covaxin' }],
      };
      expect(() => apply(answer(2, v2), fail)).toThrow('disk full');
      expect(await inForce()).toEqual(v1);
      expect(partsRows()).toEqual([
        { part: 'eligibility', version: 1 },
        { part: 'queuePolicy', version: 1 },
        { part: 'vaccines', version: 1 },
      ]);
      expect(apply(answer(2, v2))).toMatchObject({ kind: 'applied', version: 2, previous: 1 });
      expect((await inForce()).vaccines).toEqual(v2.vaccines);
    },
  );

  it('a counter killed between two parts of a new version opens again with the whole old set', async () => {
    c = await setupCounter();
    apply(answer(1));
    const v1 = await inForce();
    const dataDir = c.dataDir;
    await c.close();
    const v2 = answer(2, {
      queuePolicy: { ...POLICY, priorityPerWalkIn: 9 },
      eligibility: [{ from: '2021-03-01', label: '18+', anyOf: [{ minAge: 18 }] }],
      vaccines: [{ code: 'COVAXIN', name: 'Covaxin' }],
    });
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        resolve(import.meta.dirname, 'district-settings-child.ts'),
        join(dataDir, 'counter.db'),
        Buffer.from(JSON.stringify(v2)).toString('base64'),
        CENTRE,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
    let out = '';
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`the child did not reach the pause: ${out}`)), 20_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        if (out.includes('between')) {
          clearTimeout(timer);
          ok();
        }
      });
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(out).not.toContain('finished');

    c = await openCounter(dataDir, fakeClock(c.clock().toISOString()));
    await c.signIn({ loginId: 'super1', pin: '246810' });
    expect(await inForce()).toEqual(v1);
    expect(partsRows()).toEqual([
      { part: 'eligibility', version: 1 },
      { part: 'queuePolicy', version: 1 },
      { part: 'vaccines', version: 1 },
    ]);
    expect(apply(v2)).toMatchObject({ kind: 'applied', version: 2, previous: 1 });
  }, 60_000);

  it("IT's diagnostics bundle shows the settings in force, the district's parts included", async () => {
    c = await setupCounter();
    apply(answer(1));
    const bundle = JSON.parse((await c.ok('saveDiagnostics', {})).json) as {
      provisioning: { queuePolicy: unknown; eligibility: unknown; vaccines: unknown };
    };
    expect(bundle.provisioning).toMatchObject({ queuePolicy: POLICY, eligibility: SIXTY_PLUS, vaccines: CORBEVAX });
  });

  it('a version older than or equal to the one in force is ignored', async () => {
    c = await setupCounter();
    apply(answer(3));
    const v3 = await inForce();
    expect(apply(answer(3, { vaccines: [{ code: 'COVAXIN', name: 'Covaxin' }] }))).toEqual({
      kind: 'ignored',
      version: 3,
      inForce: 3,
    });
    expect(apply(answer(2, {}))).toMatchObject({ kind: 'ignored', version: 2 });
    expect(await inForce()).toEqual(v3);
  });

  it.each([
    ['a bad schema', answer(2, { queuePolicy: { ...POLICY, priorityPerWalkIn: 0 } }), 'invalid'],
    ['a part the district does not own', answer(2, { printing: { autoPrint: false } }), 'invalid'],
    ['no version', { centreId: CENTRE, publishedAt: '2021-04-10T04:00:00.000Z', settings: {} }, 'invalid'],
    ['not an object', 'settings', 'invalid'],
    ['another centre', answer(2, V1, 'OTHER-CHC'), 'wrong_centre'],
    [
      'a huge answer',
      answer(2, {
        eligibility: [
          { from: '2021-03-01', label: 'x'.repeat(120), anyOf: Array.from({ length: 40_000 }, () => ({ minAge: 1 })) },
        ],
      }),
      'too_large',
    ],
  ])('%s is refused and the old set stays', async (_what, hostile, code) => {
    c = await setupCounter();
    apply(answer(1));
    const v1 = await inForce();
    expect(apply(hostile)).toMatchObject({ kind: 'refused', refusal: code });
    expect(await inForce()).toEqual(v1);
  });

  it('never touches what the centre owns: printer, security, lanes, the provisioning file', async () => {
    c = await setupCounter({
      provisioning: {
        lanes: { priorityLetter: 'R', walkInLetter: 'X' },
        printing: { printer: { kind: 'escpos-tcp', host: '127.0.0.1', port: 9100 }, autoPrint: false },
      },
    });
    const file = join(c.dataDir, 'provisioning.json');
    const before = readFileSync(file, 'utf8');
    const printingBefore = (await c.ok('getAppState', {})).printing;
    apply(answer(1));
    expect(readFileSync(file, 'utf8')).toBe(before);
    const s = await c.ok('getAppState', {});
    expect(s.printing).toEqual(printingBefore);
    expect(c.backend.effectiveConfig()).toMatchObject({
      lanes: { priorityLetter: 'R', walkInLetter: 'X' },
      security: c.backend.provisioning!.security,
      counter: c.backend.provisioning!.counter,
    });
    // the supervisor's own changes to printing are still written to the file, without the district's parts
    await c.ok('updatePrintingSettings', { ...printingBefore!, autoPrint: true });
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { vaccines: unknown; queuePolicy: unknown };
    expect(saved.vaccines).toEqual(JSON.parse(before).vaccines);
    expect(saved.queuePolicy).toEqual(JSON.parse(before).queuePolicy);
  });

  it("the supervisor's queue policy stands over the district's default until the district's next version", async () => {
    c = await setupCounter();
    apply(answer(1));
    const file = join(c.dataDir, 'provisioning.json');
    const before = readFileSync(file, 'utf8');
    const mine = { ...POLICY, priorityPerWalkIn: 4, walkInMaxWaitMinutes: null };
    await c.ok('updateQueuePolicy', mine);
    let s = await inForce();
    expect(s.policy).toEqual(mine);
    expect([...s.district!.queuePolicyFromDistrict].sort()).toEqual(['lateArrivalMinutes', 'mode', 'provisionalPriority']);
    // kept in the store, not in the provisioning file
    expect(readFileSync(file, 'utf8')).toBe(before);
    const audit = c.backend.db.prepare("SELECT detail FROM audit_log WHERE action = 'policy.updated'").all() as {
      detail: string;
    }[];
    expect(JSON.parse(audit.at(-1)!.detail)).toMatchObject({ priorityPerWalkIn: 4, overDistrictVersion: 1 });
    // the next version applies as published
    expect(apply(answer(2))).toMatchObject({ kind: 'applied', localPolicyCleared: true });
    s = await inForce();
    expect(s.policy).toEqual(POLICY);
    expect(s.district!.queuePolicyFromDistrict).toHaveLength(5);
  });

  it('a version that leaves a part out gives it back to the provisioning', async () => {
    c = await setupCounter();
    const own = await inForce();
    apply(answer(1));
    apply(answer(2, { vaccines: CORBEVAX }));
    const s = await inForce();
    expect(s.policy).toEqual(own.policy);
    expect(s.vaccines).toEqual(CORBEVAX);
    expect(s.district).toMatchObject({ version: 2, parts: ['vaccines'], queuePolicyFromDistrict: [] });
    // with no district queue policy, the supervisor's change goes to the provisioning file as before
    await c.ok('updateQueuePolicy', { ...own.policy!, priorityPerWalkIn: 7 });
    expect(JSON.parse(readFileSync(join(c.dataDir, 'provisioning.json'), 'utf8')).queuePolicy.priorityPerWalkIn).toBe(7);
  });
});
