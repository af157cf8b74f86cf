import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { districtSettingsAnswerSchema } from '../../common/sync-protocol';
import type { Portal } from '../../portal/server';
import { ADMIN, CENTRE, NOW, OTHER_CENTRE, OTHER_TOKEN, TOKEN, memoryPortal } from './helpers';

const admin = { authorization: `Bearer ${ADMIN}` };
const device = { authorization: `Bearer ${TOKEN}` };

const SETTINGS = {
  queuePolicy: {
    mode: 'ratio',
    priorityPerWalkIn: 2,
    walkInMaxWaitMinutes: 30,
    lateArrivalMinutes: null,
    provisionalPriority: false,
  },
  eligibility: [{ from: '2021-05-01', label: '18+', anyOf: [{ minAge: 18 }] }],
  vaccines: [
    { code: 'COVISHIELD', name: 'Covishield' },
    { code: 'CORBEVAX', name: 'Corbevax' },
  ],
};

let portal: Portal;
beforeEach(async () => {
  portal = await memoryPortal();
  await portal.app.ready();
});
afterEach(() => portal.close());

const publish = (body: unknown, centreId = CENTRE, headers: Record<string, string> = admin) =>
  portal.app.inject({ method: 'PUT', url: `/admin/centres/${centreId}/settings`, headers, payload: body as object });
const pull = (known?: number, centreId = CENTRE, headers: Record<string, string> = device) =>
  portal.app.inject({
    method: 'GET',
    url: `/v1/centres/${centreId}/settings${known === undefined ? '' : `?known=${known}`}`,
    headers,
  });

describe('district settings at the portal', () => {
  it('numbers each save of a centre 1, 2, 3 and answers devices the latest', async () => {
    const first = await publish(SETTINGS);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ centreId: CENTRE, version: 1, publishedAt: NOW.toISOString(), settings: SETTINGS });
    const second = await publish({ vaccines: [{ code: 'COVAXIN', name: 'Covaxin' }] });
    expect(second.json().version).toBe(2);
    // another centre has its own numbers
    expect((await publish(SETTINGS, OTHER_CENTRE)).json().version).toBe(1);

    const answer = await pull(0);
    expect(answer.statusCode).toBe(200);
    const body = districtSettingsAnswerSchema.parse(answer.json());
    expect(body).toMatchObject({ centreId: CENTRE, version: 2, settings: { vaccines: [{ code: 'COVAXIN', name: 'Covaxin' }] } });
    // version 2 leaves the queue policy and eligibility out: they are the centre's own again
    expect(body.settings.queuePolicy).toBeUndefined();
    expect((await pull(1)).statusCode).toBe(200);
  });

  it('answers 304 with no body when the device has the latest version, or nothing was published', async () => {
    const none = await pull();
    expect(none.statusCode).toBe(304);
    expect(none.body).toBe('');
    await publish(SETTINGS);
    expect((await pull(1)).statusCode).toBe(304);
    expect((await pull(7)).statusCode).toBe(304);
    expect((await pull(0)).statusCode).toBe(200);
  });

  it('fills a queue policy given in part with the counter defaults', async () => {
    const r = await publish({ queuePolicy: { mode: 'ratio' } });
    expect(r.json().settings.queuePolicy).toEqual({
      mode: 'ratio',
      priorityPerWalkIn: 3,
      walkInMaxWaitMinutes: null,
      lateArrivalMinutes: null,
      provisionalPriority: false,
    });
  });

  it.each([
    ['queuePolicy.priorityPerWalkIn', { queuePolicy: { priorityPerWalkIn: 0 } }],
    ['queuePolicy.mode', { queuePolicy: { mode: 'fastest' } }],
    ['queuePolicy.walkInMaxWaitMinutes', { queuePolicy: { walkInMaxWaitMinutes: 5000 } }],
    ['queuePolicy.colour', { queuePolicy: { colour: 'red' } }],
    ['eligibility.0.from', { eligibility: [{ from: '2021-13-40', label: 'x', anyOf: [{ minAge: 18 }] }] }],
    ['eligibility.0.anyOf', { eligibility: [{ from: '2021-05-01', label: 'x', anyOf: [] }] }],
    ['eligibility', { eligibility: [] }],
    ['vaccines.0.code', { vaccines: [{ code: 'covishield', name: 'Covishield' }] }],
    ['vaccines', { vaccines: [SETTINGS.vaccines[0], SETTINGS.vaccines[0]] }],
    ['vaccines', { vaccines: Array.from({ length: 51 }, (_, i) => ({ code: `V${i}X`, name: `v${i}` })) }],
    ['printer', { printer: { kind: 'none' } }],
  ])('refuses a wrong %s with 400 invalid_settings naming the field, and saves nothing', async (field, body) => {
    const r = await publish(body);
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toBe('invalid_settings');
    expect(r.json().message).toContain(`${field}:`);
    expect((await pull(0)).statusCode).toBe(304);
  });

  it('refuses settings too big for the counters to take', async () => {
    const phase = { from: '2021-05-01', label: '18+', anyOf: Array.from({ length: 12_000 }, () => ({ minAge: 18 })) };
    const r = await publish({ eligibility: [phase] });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ error: 'invalid_settings', message: expect.stringMatching(/bytes; counters take at most/) });
    expect((await pull(0)).statusCode).toBe(304);
  });

  it('names every wrong field of one body', async () => {
    const r = await publish({ queuePolicy: { priorityPerWalkIn: 99 }, vaccines: [{ code: 'x', name: '' }] });
    const message = r.json().message as string;
    expect(message).toContain('queuePolicy.priorityPerWalkIn:');
    expect(message).toContain('vaccines.0.code:');
    expect(message).toContain('vaccines.0.name:');
  });

  it('needs the admin token to publish or read, and refuses a device token there', async () => {
    expect((await publish(SETTINGS, CENTRE, {})).statusCode).toBe(401);
    expect((await publish(SETTINGS, CENTRE, device)).statusCode).toBe(401);
    const read = await portal.app.inject({ method: 'GET', url: `/admin/centres/${CENTRE}/settings`, headers: device });
    expect(read.statusCode).toBe(401);
    expect((await pull(0)).statusCode).toBe(304);
    await publish(SETTINGS);
    const got = await portal.app.inject({ method: 'GET', url: `/admin/centres/${CENTRE}/settings`, headers: admin });
    expect(got.json().version).toBe(1);
  });

  it("shows a device only its own centre's settings", async () => {
    await publish(SETTINGS, OTHER_CENTRE);
    const r = await pull(0, OTHER_CENTRE);
    expect(r.statusCode).toBe(403);
    expect(r.json().error).toBe('wrong_centre');
    expect((await pull(0, OTHER_CENTRE, { authorization: `Bearer ${OTHER_TOKEN}` })).statusCode).toBe(200);
    expect((await pull(0, CENTRE, {})).statusCode).toBe(401);
  });

  it('refuses a known version that is not a whole number', async () => {
    const r = await portal.app.inject({ method: 'GET', url: `/v1/centres/${CENTRE}/settings?known=-1`, headers: device });
    expect(r.statusCode).toBe(400);
  });

  it('publishes one set to every centre of the district, each at its own next version', async () => {
    await publish(SETTINGS, CENTRE);
    const r = await portal.app.inject({
      method: 'PUT',
      url: '/admin/settings',
      headers: admin,
      payload: { vaccines: SETTINGS.vaccines },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json().published).toEqual([
      { centreId: CENTRE, version: 2, publishedAt: NOW.toISOString() },
      { centreId: OTHER_CENTRE, version: 1, publishedAt: NOW.toISOString() },
    ]);
    const bad = await portal.app.inject({ method: 'PUT', url: '/admin/settings', headers: admin, payload: { vaccines: [] } });
    expect(bad.statusCode).toBe(400);
    expect((await pull(2)).statusCode).toBe(304);
  });
});
