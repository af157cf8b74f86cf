/**
 * A new counter enrols through the same dispatcher the first-run screen calls, against a real
 * reference portal on 127.0.0.1: it saves its provisioning (no token in provisioning.json), keeps
 * its device token in a 0600 file, and uploads with it. Used, expired and wrong codes, a portal
 * that cannot be reached or hangs, leave it on first run with the error on the right field; a
 * hand-written provisioning file with `portal.deviceToken` works as before.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppStateView } from '../../common/domain';
import { deviceTokenKeeper } from '../../main/electron/device-token';
import { DEVICE_TOKEN_FILE, fileTokenKeeper } from '../../main/services/enrolment';
import { startPortal, type StartedPortal } from '../../portal/server';
import { FAST_TUNING, SYNC_WORKER, registerWalkIns, settled } from '../sync/harness';
import { ADMIN } from '../portal/helpers';
import { freshPortalDatabase } from '../support/portal-engine';
import { engineRows } from '../portal/engine-sql';
import { fakeVault } from '../support/fake-vault';
import { OPERATOR, SUPERVISOR, fakeClock, openCounter, setupCounter, tempDir, type Counter } from './harness';

let portal: StartedPortal;
let portalNow: Date | null = null;
const counters: Counter[] = [];

beforeAll(async () => {
  portal = await startPortal({
    database: freshPortalDatabase(),
    adminToken: ADMIN,
    faults: true,
    clock: () => portalNow ?? new Date(),
  });
});
afterEach(async () => {
  portalNow = null;
  portal.portal.faults!.configure({ rules: [], rejectRecordIds: [], rejectCode: 'rejected_by_portal', seed: 1 });
  for (const c of counters.splice(0)) await c.dispose();
});
afterAll(() => portal?.close());

/** device tokens of a centre not revoked */
async function liveTokens(centreId: string): Promise<number> {
  const [row] = await engineRows<{ n: number }>(
    portal.portal,
    {
      sqlite: 'SELECT count(*) AS n FROM device WHERE centre_id = ? AND revoked = 0',
      postgres: 'SELECT count(*)::int AS n FROM device WHERE centre_id = $1 AND NOT revoked',
    },
    [centreId],
  );
  return row!.n;
}

/** records the portal holds for a centre, on the days a test's counters can have written them (yesterday to tomorrow, UTC) */
async function recordsAt(centreId: string): Promise<number> {
  const days = [-1, 0, 1].map((d) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10));
  const held = await Promise.all(days.map((day) => portal.portal.store.adminRecords(centreId, day)));
  return held.reduce((n, h) => n + h.records.length, 0);
}

let prefixes = 0;
async function makeCode(centreId = `ENR-${randomUUID().slice(0, 8)}`): Promise<{ code: string; centreId: string }> {
  const letter = String.fromCharCode(65 + (prefixes++ % 26));
  const res = await portal.portal.app.inject({
    method: 'POST',
    url: '/admin/enrolments',
    headers: { authorization: `Bearer ${ADMIN}` },
    payload: {
      centre: { id: centreId, name: 'CHC Enrolment Test', timeZone: 'Asia/Kolkata' },
      counterCode: 'A2',
      tokenPrefix: letter,
    },
  });
  expect(res.statusCode).toBe(200);
  return { code: (res.json() as { code: string }).code, centreId };
}

async function newCounter(dataDir = tempDir('enrol-')): Promise<Counter> {
  const c = await openCounter(dataDir, fakeClock(new Date().toISOString()), {
    syncWorker: SYNC_WORKER,
    syncTuning: FAST_TUNING,
    enrolTimeoutMs: 1500,
  });
  counters.push(c);
  return c;
}

const enrolRequest = (code: string, portalUrl = portal.url) => ({ portalUrl, code, supervisor: SUPERVISOR });

function fieldError(c: Counter, r: Awaited<ReturnType<Counter['dispatch']>>) {
  expect(r.ok).toBe(false);
  if (r.ok) return null;
  expect(r.error.code).toBe('VALIDATION');
  // and the counter is still on first run, with nothing written
  expect(c.backend.appState().provisioned).toBe(false);
  expect(existsSync(join(c.dataDir, 'provisioning.json'))).toBe(false);
  expect(existsSync(join(c.dataDir, DEVICE_TOKEN_FILE))).toBe(false);
  return r.error.fields?.[0] ?? null;
}

describe('enrolling a counter with a code', () => {
  it('saves its provisioning without the token, keeps the token 0600, and uploads with it; again after a restart', async () => {
    const { code, centreId } = await makeCode();
    const c = await newCounter();
    const r = await c.dispatch('enrol', enrolRequest(code.toLowerCase()));
    expect(r.ok).toBe(true);
    const state = (r as { value: AppStateView }).value;
    expect(state).toMatchObject({ provisioned: true, centre: { id: centreId, name: 'CHC Enrolment Test' } });

    const file = readFileSync(join(c.dataDir, 'provisioning.json'), 'utf8');
    const saved = JSON.parse(file) as Record<string, unknown>;
    expect(saved).toMatchObject({ centre: { id: centreId }, counter: { code: 'A2' } });
    expect(saved.portal).toBeUndefined();
    const kept = await fileTokenKeeper(c.dataDir).read();
    expect(kept).toEqual({ portalUrl: portal.url, deviceToken: expect.any(String) });
    expect(file).not.toContain(kept!.deviceToken);
    expect(statSync(join(c.dataDir, DEVICE_TOKEN_FILE)).mode & 0o777).toBe(0o600);
    // the portal bound the token to this counter's device ID
    expect(await portal.portal.store.deviceByToken(kept!.deviceToken)).toMatchObject({ centreId, revoked: false });
    expect(await portal.portal.store.clients()).toContainEqual(
      expect.objectContaining({ deviceId: c.backend.deviceId, centreId }),
    );

    // the first supervisor signs in, adds an operator; walk-ins upload with the enrolled token
    await c.signIn(SUPERVISOR);
    await c.ok('addOperator', { ...OPERATOR, role: 'operator' });
    await c.signIn(OPERATOR);
    await registerWalkIns(c, 2);
    await settled(c);
    expect(await recordsAt(centreId)).toBe(2);

    // a supervisor's change to the provisioning writes the file again: still no token in it
    await c.signIn(SUPERVISOR);
    await c.ok('updateQueuePolicy', {
      mode: 'ratio',
      priorityPerWalkIn: 2,
      walkInMaxWaitMinutes: null,
      lateArrivalMinutes: null,
      provisionalPriority: false,
    });
    const after = readFileSync(join(c.dataDir, 'provisioning.json'), 'utf8');
    expect(after).not.toContain(kept!.deviceToken);
    expect(JSON.parse(after)).not.toHaveProperty('portal');

    // after a restart the counter reads its token back and uploads on
    await c.close();
    const again = await newCounter(c.dataDir);
    expect(again.backend.provisioning?.portal).toEqual({ url: portal.url, deviceToken: kept!.deviceToken });
    await again.signIn(OPERATOR);
    await registerWalkIns(again, 1);
    await settled(again);
    expect(await recordsAt(centreId)).toBe(3);
  });

  it('a used, an expired and a wrong code are refused next to the code field, and the counter stays on first run', async () => {
    const used = await makeCode();
    const first = await newCounter();
    expect((await first.dispatch('enrol', enrolRequest(used.code))).ok).toBe(true);

    const c = await newCounter();
    expect(fieldError(c, await c.dispatch('enrol', enrolRequest(used.code)))).toEqual({ field: 'code', code: 'enrol_code_used' });

    const expired = await makeCode();
    portalNow = new Date(Date.now() + 25 * 3600_000);
    expect(fieldError(c, await c.dispatch('enrol', enrolRequest(expired.code)))).toEqual({
      field: 'code',
      code: 'enrol_code_expired',
    });
    portalNow = null;

    expect(fieldError(c, await c.dispatch('enrol', enrolRequest('ABCD-EFGH-JKMN')))).toEqual({
      field: 'code',
      code: 'enrol_code_unknown',
    });
    // a code of the wrong form never leaves the counter
    expect(fieldError(c, await c.dispatch('enrol', enrolRequest('ABC-123')))).toEqual({
      field: 'code',
      code: 'enrol_code_format',
    });
  });

  it('an http address of another computer is refused before anything is sent', async () => {
    const c = await newCounter();
    expect(fieldError(c, await c.dispatch('enrol', enrolRequest('ABCD-EFGH-JKMN', 'http://sync.example.in')))).toEqual({
      field: 'portalUrl',
      code: 'portal_url_https',
    });
  });

  it('a portal that cannot be reached, or hangs, is said so next to the address; the counter answers meanwhile; the code still works after', async () => {
    const { code } = await makeCode();
    const c = await newCounter();
    // a port nobody listens on
    const closed: Server = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(fieldError(c, await c.dispatch('enrol', enrolRequest(code, `http://127.0.0.1:${port}`)))).toEqual({
      field: 'portalUrl',
      code: 'enrol_portal_unreachable',
    });

    portal.portal.faults!.configure({
      rules: [{ fault: 'hang', route: 'any', probability: 1, delayMs: 0, retryAfterSeconds: 1 }],
      rejectRecordIds: [],
      rejectCode: 'rejected_by_portal',
      seed: 1,
    });
    const started = Date.now();
    const pending = c.dispatch('enrol', enrolRequest(code));
    // the counter answers while the request hangs
    const during = Date.now();
    expect((await c.dispatch('getAppState', {})).ok).toBe(true);
    expect(Date.now() - during).toBeLessThan(500);
    expect(fieldError(c, await pending)).toEqual({ field: 'portalUrl', code: 'enrol_portal_timeout' });
    expect(Date.now() - started).toBeLessThan(5000);

    portal.portal.faults!.configure({ rules: [], rejectRecordIds: [], rejectCode: 'rejected_by_portal', seed: 1 });
    expect((await c.dispatch('enrol', enrolRequest(code))).ok).toBe(true);
  });

  it('an answer lost after the portal redeemed the code: sent again, the counter gets a new token, the lost one no longer works', async () => {
    const { code, centreId } = await makeCode();
    const c = await newCounter();
    // the portal redeems the code for this device, and the answer never reaches the counter
    const lost = await portal.portal.app.inject({
      method: 'POST',
      url: '/v1/enrol',
      payload: { code, deviceId: c.backend.deviceId },
    });
    expect(lost.statusCode).toBe(200);
    const lostToken = (lost.json() as { deviceToken: string }).deviceToken;

    const r = await c.dispatch('enrol', enrolRequest(code));
    expect(r.ok).toBe(true);
    const kept = await fileTokenKeeper(c.dataDir).read();
    expect(kept!.deviceToken).not.toBe(lostToken);
    expect((await portal.portal.store.deviceByToken(lostToken))?.revoked).toBe(true);
    // one live token for the centre (the store lists no tokens: read from its database)
    expect(await liveTokens(centreId)).toBe(1);
    await c.signIn(SUPERVISOR);
    await registerWalkIns(c, 1);
    await settled(c);
  });

  it('a token that cannot be kept leaves the counter on first run; sent again, it is enrolled with exactly one working token', async () => {
    const { code, centreId } = await makeCode();
    const dataDir = tempDir('enrol-');
    const file = fileTokenKeeper(dataDir);
    const failing = await openCounter(dataDir, fakeClock(new Date().toISOString()), {
      deviceTokens: { ...file, write: () => Promise.reject(new Error('disk full')) },
    });
    counters.push(failing);
    const r = await failing.dispatch('enrol', enrolRequest(code));
    expect(r.ok).toBe(false);
    expect(failing.backend.appState().provisioned).toBe(false);
    expect(existsSync(join(dataDir, 'provisioning.json'))).toBe(false);
    await failing.close();

    const c = await newCounter(dataDir);
    expect((await c.dispatch('enrol', enrolRequest(code))).ok).toBe(true);
    // one live token for the centre (the store lists no tokens: read from its database)
    expect(await liveTokens(centreId)).toBe(1);
    expect((await portal.portal.store.deviceByToken((await file.read())!.deviceToken))?.revoked).toBe(false);
  });

  it('a kept token the keychain can no longer open: the counter says what IT does, and doing just that enrols it again', async () => {
    const { code, centreId } = await makeCode();
    const dataDir = tempDir('enrol-');
    const options = (secret: number) =>
      deviceTokenKeeper(dataDir, fakeVault({ secret }).vault, 'linux').then(({ keeper }) => ({
        syncWorker: SYNC_WORKER,
        syncTuning: FAST_TUNING,
        enrolTimeoutMs: 1500,
        deviceTokens: keeper,
      }));
    const first = await openCounter(dataDir, fakeClock(new Date().toISOString()), await options(1));
    counters.push(first);
    expect((await first.dispatch('enrol', enrolRequest(code))).ok).toBe(true);
    // the token the portal bound to this device, as the counter kept it before its keychain was reset
    const oldToken = (await (await options(1)).deviceTokens.read())!.deviceToken;
    expect(await portal.portal.store.deviceByToken(oldToken)).toMatchObject({ centreId, revoked: false });
    await first.signIn(SUPERVISOR);
    await registerWalkIns(first, 1);
    await settled(first);
    await first.close();

    // the keychain was reset: the counter does not start, and its message says what works
    const refused = await openCounter(dataDir, fakeClock(new Date().toISOString()), await options(2)).then(
      () => null,
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    expect(refused).toMatch(/move device-token\.json and provisioning\.json out of/);
    expect(refused).toContain(dataDir);
    expect(refused).toMatch(/new code for this same counter/);

    // IT does exactly that
    const aside = join(tempDir('aside-'), 'moved');
    mkdirSync(aside);
    for (const name of [DEVICE_TOKEN_FILE, 'provisioning.json']) renameSync(join(dataDir, name), join(aside, name));
    const again = await openCounter(dataDir, fakeClock(new Date().toISOString()), await options(2));
    counters.push(again);
    expect(again.backend.appState().provisioned).toBe(false);
    expect(refused).toMatch(/supervisor login ID not yet on this counter/);
    const { code: code2 } = await makeCode(centreId);
    // the operators stay: a login ID the counter has is refused next to its field, before the code is used
    const taken = await again.dispatch('enrol', enrolRequest(code2));
    expect(taken.ok ? null : taken.error).toMatchObject({
      code: 'VALIDATION',
      fields: [{ field: 'supervisor.loginId', code: 'login_id_taken' }],
    });
    expect((await portal.portal.store.enrolments.list(centreId, new Date())).filter((e) => e.state !== 'redeemed')).toHaveLength(
      1,
    );
    const newSupervisor = { ...SUPERVISOR, loginId: 'super2' };
    const r = await again.dispatch('enrol', { ...enrolRequest(code2), supervisor: newSupervisor });
    expect(r.ok).toBe(true);
    // the old token is revoked at the portal, the new one uploads on from the same device
    expect((await portal.portal.store.deviceByToken(oldToken))?.revoked).toBe(true);
    await again.signIn(newSupervisor);
    await registerWalkIns(again, 1);
    await settled(again);
    expect(await recordsAt(centreId)).toBe(2);
  });

  it('a counter already set up is not enrolled', async () => {
    const c = await setupCounter();
    counters.push(c);
    const r = await c.dispatch('enrol', enrolRequest('ABCD-EFGH-JKMN'));
    expect(r.ok ? null : r.error.code).toBe('ALREADY_PROVISIONED');
  });
});

describe('a provisioning file written by hand with portal.deviceToken', () => {
  it('works as before: the token is read from the file, and a saved change keeps it there', async () => {
    const token = `hand-written-${randomUUID()}-${randomUUID()}`;
    const centreId = `HAND-${randomUUID().slice(0, 8)}`;
    await portal.portal.store.addDevice({ token, centreId, label: 'by hand' }, new Date());
    const c = await setupCounter({
      at: new Date().toISOString(),
      signedIn: 'supervisor',
      provisioning: {
        centre: { id: centreId, name: 'CHC By Hand', timeZone: 'Asia/Kolkata' },
        portal: { url: portal.url, deviceToken: token },
      },
      backend: { syncWorker: SYNC_WORKER, syncTuning: FAST_TUNING },
    });
    counters.push(c);
    expect(existsSync(join(c.dataDir, DEVICE_TOKEN_FILE))).toBe(false);
    await registerWalkIns(c, 1);
    await settled(c);
    await c.ok('updateQueuePolicy', {
      mode: 'ratio',
      priorityPerWalkIn: 2,
      walkInMaxWaitMinutes: null,
      lateArrivalMinutes: null,
      provisionalPriority: false,
    });
    expect(JSON.parse(readFileSync(join(c.dataDir, 'provisioning.json'), 'utf8')).portal).toEqual({
      url: portal.url,
      deviceToken: token,
    });
  });

  it("the file's own portal wins over a kept token, and a damaged token file stops the counter with its name", async () => {
    const dataDir = tempDir('enrol-');
    await fileTokenKeeper(dataDir).write({ portalUrl: 'https://other.example.in', deviceToken: 'x'.repeat(43) });
    const c = await setupCounter({ provisioning: { portal: { url: portal.url, deviceToken: 'y'.repeat(43) } } });
    counters.push(c);
    writeFileSync(join(c.dataDir, DEVICE_TOKEN_FILE), readFileSync(join(dataDir, DEVICE_TOKEN_FILE)), { mode: 0o600 });
    await c.close();
    const again = await openCounter(c.dataDir, fakeClock(new Date().toISOString()));
    counters.push(again);
    expect(again.backend.provisioning?.portal).toEqual({ url: portal.url, deviceToken: 'y'.repeat(43) });

    // an enrolled counter (no portal in the file) whose token file is damaged does not start
    const enrolled = await setupCounter();
    counters.push(enrolled);
    await enrolled.close();
    writeFileSync(join(enrolled.dataDir, DEVICE_TOKEN_FILE), 'not json', { mode: 0o600 });
    // with the steps that work: the files moved aside, first run, a new code for this same counter
    await expect(openCounter(enrolled.dataDir, fakeClock(new Date().toISOString()))).rejects.toThrow(
      /device-token\.json is damaged.*move device-token\.json and provisioning\.json out of .*new code for this same counter/,
    );
  });
});
