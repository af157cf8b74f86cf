import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { errorBodySchema, healthSchema } from '../../common/sync-protocol';
import { ADMIN_TOKEN_ENV } from '../../portal/secrets';
import type { Portal } from '../../portal/server';
import { PortalError } from '../../portal/store-api';
import { ADMIN, TOKEN, CENTRE, batch, inject, memoryPortal, push, walkIn } from './helpers';

const ROOT = resolve(import.meta.dirname, '../..');
let portal: Portal | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await portal?.close();
  portal = undefined;
});

describe('the health answer asks the database', () => {
  it('answers 200 in the health schema while the database answers', async () => {
    portal = await memoryPortal();
    const check = vi.spyOn(portal.store, 'check');
    const health = await inject(portal, 'GET', '/v1/health', undefined, null);
    expect(health.status).toBe(200);
    expect(healthSchema.parse(health.body).ok).toBe(true);
    expect(check).toHaveBeenCalledTimes(1);
  });

  it('answers 503 database unavailable with Retry-After when the database cannot be reached', async () => {
    portal = await memoryPortal();
    vi.spyOn(portal.store, 'check').mockRejectedValue(new PortalError(503, 'database_unavailable', 'down'));
    const health = await inject(portal, 'GET', '/v1/health', undefined, null);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ ok: false, database: 'unavailable', error: 'database_unavailable' });
    expect(Number(health.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('answers 503 within its deadline when the database does not answer at all', async () => {
    portal = await memoryPortal();
    vi.spyOn(portal.store, 'check').mockReturnValue(new Promise<void>(() => undefined));
    const started = Date.now();
    const health = await inject(portal, 'GET', '/v1/health', undefined, null);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ database: 'unavailable' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('a graceful stop', () => {
  it('refuses new requests with 503 shutting_down and Retry-After, and lets a push in its transaction commit and be answered', async () => {
    portal = await memoryPortal();
    const p = portal;
    const deviceId = randomUUID();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let inside!: () => void;
    const entered = new Promise<void>((r) => (inside = r));
    const realPush = p.store.push.bind(p.store);
    vi.spyOn(p.store, 'push').mockImplementation(async (req, ctx) => {
      inside();
      await gate;
      return realPush(req, ctx);
    });
    const first = push(p, batch(deviceId, [walkIn(1), walkIn(2)]));
    await entered;
    const stopped = p.shutdown(10_000);
    let stopDone = false;
    void stopped.then(() => (stopDone = true));

    const refused = await push(p, batch(randomUUID(), [walkIn(1)]));
    expect(refused.status).toBe(503);
    expect(errorBodySchema.parse(refused.body).error).toBe('shutting_down');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    const health = await inject(p, 'GET', '/v1/health', undefined, null);
    expect(health.status).toBe(503);
    expect(health.body.error).toBe('shutting_down');
    const admin = await inject(p, 'GET', '/admin/clients', undefined, ADMIN);
    expect(admin.status).toBe(503);
    expect(stopDone).toBe(false);

    release();
    const answered = await first;
    expect(answered.status).toBe(200);
    expect(answered.body.results.map((r: { status: string }) => r.status)).toEqual(['applied', 'applied']);
    expect(await stopped).toBe(true);
    portal = undefined;
  });

  it("a request that reaches a closing portal gets the portal's error shape with Retry-After, not the framework's", async () => {
    const p = await memoryPortal();
    const closing = p.close();
    const res = await p.app.inject({ method: 'GET', url: '/v1/health' });
    await closing;
    expect(res.statusCode).toBe(503);
    expect(errorBodySchema.parse(res.json()).error).toBe('shutting_down');
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('closes after its grace period even when a push never finishes, and says so', async () => {
    portal = await memoryPortal();
    const p = portal;
    vi.spyOn(p.store, 'push').mockReturnValue(new Promise(() => undefined));
    void push(p, batch(randomUUID(), [walkIn(1)])).catch(() => undefined);
    await vi.waitFor(() => expect(p.store.push).toHaveBeenCalled(), { timeout: 5_000 });
    const started = Date.now();
    expect(await p.shutdown(300)).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
    portal = undefined;
  });

  it('the portal process on SIGTERM answers the push in flight, refuses a new one, and exits 0', async () => {
    const tsx = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
    const proc = spawn(
      process.execPath,
      ['--import', tsx, join(ROOT, 'portal/cli.ts'), '--memory', '--port', '0', '--host', '127.0.0.1', '--faults'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, [ADMIN_TOKEN_ENV]: ADMIN } },
    );
    const exited = new Promise<number | null>((ok) => proc.once('exit', (code) => ok(code)));
    try {
      let out = '';
      const url = await new Promise<string>((ok, bad) => {
        const timer = setTimeout(() => bad(new Error(`portal did not start: ${out}`)), 20_000);
        proc.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /^Portal: (http:\/\/\S+)$/m.exec(out);
          if (m) {
            clearTimeout(timer);
            ok(m[1]!);
          }
        });
      });
      const call = (method: string, path: string, token: string, body?: unknown) =>
        fetch(`${url}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(15_000),
        });
      expect((await call('POST', '/admin/devices', ADMIN, { token: TOKEN, centreId: CENTRE })).status).toBe(200);
      const faults = await call('PUT', '/admin/faults', ADMIN, { rules: [{ route: 'push', fault: 'slow', delayMs: 1_500 }] });
      expect(faults.status).toBe(200);

      const inFlight = call('POST', '/v1/push', TOKEN, batch(randomUUID(), [walkIn(1)]));
      await new Promise((r) => setTimeout(r, 400));
      proc.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      const refused = await call('POST', '/v1/push', TOKEN, batch(randomUUID(), [walkIn(1)]));
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await refused.json()) as { error: string }).error).toBe('shutting_down');

      const answered = await inFlight;
      expect(answered.status).toBe(200);
      expect(((await answered.json()) as { results: { status: string }[] }).results[0]!.status).toBe('applied');
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))]);
      expect(code).toBe(0);
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    }
  }, 40_000);
});
