/**
 * Enrolment at the portal: IT makes a one-time code (admin token needed), a new counter redeems
 * it once for its provisioning and its own device token, bound to its device ID. A used, expired
 * or wrong code is refused with its own error; guessing is limited per address; a lost answer
 * asked for again by the same device leaves exactly one working token.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ENROLMENT_CODE_ALPHABET, parseEnrolmentScan } from '../../common/rules/enrolment-code';
import { ENROL_RETRY_MINUTES, enrolResponseSchema } from '../../common/sync-protocol';
import { runEnrolCommand } from '../../portal/enrolment';
import { DATABASE_URL_ENV } from '../../portal/open-store';
import { buildPortal, type Portal } from '../../portal/server';
import type { PortalDatabase } from '../../portal/store-api';
import { ADMIN, CENTRE, NOW, OTHER_CENTRE, batch, inject, memoryPortal, push, ticketEvent } from './helpers';
import { engineRows } from './engine-sql';
import { PORTAL_TEST_ENGINE, freshPortalDatabase } from '../support/portal-engine';

let portal: Portal | null = null;
afterEach(async () => {
  await portal?.close();
  portal = null;
});

let now = NOW;
const clock = () => now;
const minutes = (n: number) => new Date(now.getTime() + n * 60_000);

async function open(options: Parameters<typeof memoryPortal>[0] = {}): Promise<Portal> {
  now = NOW;
  portal = await memoryPortal({ clock, ...options });
  return portal;
}

/** device tokens of a centre with this label not revoked */
async function liveTokens(centreId: string, label: string): Promise<number> {
  const [row] = await engineRows<{ n: number }>(
    portal!,
    {
      sqlite: 'SELECT count(*) AS n FROM device WHERE centre_id = ? AND revoked = 0 AND label = ?',
      postgres: 'SELECT count(*)::int AS n FROM device WHERE centre_id = $1 AND NOT revoked AND label = $2',
    },
    [centreId, label],
  );
  return row!.n;
}

const centre = (id = CENTRE) => ({ id, name: `Centre ${id}`, nameHi: 'केंद्र', timeZone: 'Asia/Kolkata' });

async function create(body: Record<string, unknown> = {}, admin: string | null = ADMIN) {
  return inject(portal!, 'POST', '/admin/enrolments', { centre: centre(), counterCode: 'A2', tokenPrefix: 'B', ...body }, admin);
}

async function redeem(code: string, deviceId: string, from = '198.51.100.9') {
  const res = await portal!.app.inject({ method: 'POST', url: '/v1/enrol', remoteAddress: from, payload: { code, deviceId } });
  return { status: res.statusCode, body: res.json(), retryAfter: res.headers['retry-after'] };
}

describe('making an enrolment', () => {
  it('needs the admin token', async () => {
    await open();
    expect((await create({}, null)).status).toBe(401);
    expect((await create({}, 'not-the-admin-token-at-all-not-at-all')).status).toBe(401);
    expect(await portal!.store.enrolments.list(CENTRE, now)).toEqual([]);
  });

  it('answers a 12-character code in groups of four, valid 24 hours, with a QR; only its hash is kept', async () => {
    await open();
    const made = await create({ label: 'Ground floor', portalUrl: 'https://sync.example.in' });
    expect(made.status).toBe(200);
    const code: string = made.body.code;
    expect(code).toMatch(
      new RegExp(`^[${ENROLMENT_CODE_ALPHABET}]{4}-[${ENROLMENT_CODE_ALPHABET}]{4}-[${ENROLMENT_CODE_ALPHABET}]{4}$`),
    );
    expect(made.body).toMatchObject({
      centreId: CENTRE,
      counterCode: 'A2',
      tokenPrefix: 'B',
      label: 'Ground floor',
      expiresAt: new Date(NOW.getTime() + 24 * 3600_000).toISOString(),
      replaced: 0,
    });
    expect(made.body.qr.svg).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(made.body.qr.svg.split(',')[1], 'base64').toString()).toContain('<svg');
    expect(parseEnrolmentScan(made.body.qr.text)).toEqual({ code, portalUrl: 'https://sync.example.in' });
    // the code is nowhere in the database, with or without its dashes
    // (the rows themselves: the store has no method that gives them)
    const dump = JSON.stringify(
      await engineRows(portal!, { sqlite: 'SELECT * FROM enrolment', postgres: 'SELECT * FROM enrolment' }),
    );
    expect(dump).not.toContain(code);
    expect(dump).not.toContain(code.replaceAll('-', ''));
    // and the list shows it waiting, without any code
    const list = await inject(portal!, 'GET', `/admin/enrolments?centreId=${CENTRE}`, undefined, ADMIN);
    expect(list.body.enrolments).toEqual([expect.objectContaining({ counterCode: 'A2', state: 'waiting', deviceId: null })]);
    expect(JSON.stringify(list.body)).not.toContain(code.slice(0, 4) + '-');
  });

  it('refuses a bad centre, counter code, validity or an http portal address, and a token prefix another counter has', async () => {
    await open();
    expect((await create({ centre: { ...centre(), id: 'has space' } })).status).toBe(400);
    expect((await create({ counterCode: 'toolong' })).status).toBe(400);
    expect((await create({ validHours: 0 })).status).toBe(400);
    expect((await create({ validHours: 24 * 31 })).status).toBe(400);
    expect((await create({ portalUrl: 'http://sync.example.in' })).status).toBe(400);
    expect((await create()).status).toBe(200);
    const taken = await create({ counterCode: 'A3', tokenPrefix: 'B' });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toBe('token_prefix_taken');
  });

  it('a new code for the same counter replaces the one not yet redeemed (a lost code)', async () => {
    await open();
    const lost = (await create()).body.code;
    const again = await create();
    expect(again.body.replaced).toBe(1);
    expect((await redeem(lost, randomUUID())).body.error).toBe('enrol_code_expired');
    expect((await redeem(again.body.code, randomUUID())).status).toBe(200);
  });
});

describe('redeeming a code', () => {
  it('a good code gives the provisioning and a device token bound to this device, which uploads', async () => {
    await open();
    const { code } = (await create({ validHours: 2 })).body;
    const device = randomUUID();
    // typed in lower case with spaces: the same code
    const r = await redeem(code.toLowerCase().replaceAll('-', ' '), device);
    expect(r.status).toBe(200);
    const answer = enrolResponseSchema.parse(r.body);
    expect(answer).toMatchObject({
      deviceId: device,
      centre: centre(),
      counter: { code: 'A2', tokenPrefix: 'B' },
      label: 'Counter A2',
    });
    expect(answer.deviceToken.length).toBeGreaterThanOrEqual(43);
    expect(await portal!.store.clients()).toContainEqual(expect.objectContaining({ deviceId: device, centreId: CENTRE }));
    const pushed = await push(portal!, batch(device, [ticketEvent(1, randomUUID())]), answer.deviceToken);
    expect(pushed.status).toBe(200);
    // another device ID cannot use this token's binding: it was bound to this device at once
    const list = await inject(portal!, 'GET', `/admin/enrolments?centreId=${CENTRE}`, undefined, ADMIN);
    expect(list.body.enrolments[0]).toMatchObject({ state: 'redeemed', deviceId: device });
  });

  it('two devices redeeming one code at the same moment: one is enrolled, the other told the code is used', async () => {
    await open();
    const { code } = (await create()).body;
    const answers = await Promise.all([redeem(code, randomUUID()), redeem(code, randomUUID()), redeem(code, randomUUID())]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409]);
    expect(await portal!.store.clients()).toHaveLength(1);
  });

  it('a used code is refused to another device, and to this one once it has uploaded or after the retry window', async () => {
    await open();
    const { code } = (await create()).body;
    const device = randomUUID();
    const first = await redeem(code, device);
    expect(first.status).toBe(200);
    const other = await redeem(code, randomUUID());
    expect(other.status).toBe(409);
    expect(other.body.error).toBe('enrol_code_used');
    // the same device, having uploaded with its token, has it: no second answer
    expect((await push(portal!, batch(device, [ticketEvent(1, randomUUID())]), first.body.deviceToken)).status).toBe(200);
    expect((await redeem(code, device)).body.error).toBe('enrol_code_used');
  });

  it('a lost answer asked for again by the same device: a new token, the unseen one revoked, exactly one works', async () => {
    await open();
    const { code } = (await create()).body;
    const device = randomUUID();
    const lost = await redeem(code, device);
    now = minutes(5);
    const again = await redeem(code, device);
    expect(again.status).toBe(200);
    expect(again.body.deviceToken).not.toBe(lost.body.deviceToken);
    expect((await push(portal!, batch(device, [ticketEvent(1, randomUUID())]), lost.body.deviceToken)).status).toBe(401);
    expect((await push(portal!, batch(device, [ticketEvent(1, randomUUID())]), again.body.deviceToken)).status).toBe(200);
    // no other token of the counter still works (the store lists no tokens: read from its database)
    expect(await liveTokens(CENTRE, 'Counter A2')).toBe(1);

    // past the retry window, even the same device (which has not uploaded) is told the code is used
    const { code: code2 } = (await create({ counterCode: 'A4', tokenPrefix: 'D' })).body;
    const device2 = randomUUID();
    expect((await redeem(code2, device2)).status).toBe(200);
    now = minutes(ENROL_RETRY_MINUTES + 1);
    expect((await redeem(code2, device2)).body.error).toBe('enrol_code_used');
  });

  it('an expired code is refused (an injected clock a day later), and the code stays unused', async () => {
    await open();
    const { code } = (await create()).body;
    now = minutes(24 * 60);
    const r = await redeem(code, randomUUID());
    expect(r.status).toBe(410);
    expect(r.body.error).toBe('enrol_code_expired');
    expect(await portal!.store.clients()).toEqual([]);
  });

  it('a wrong code is refused as unknown, a malformed one too; nothing is made', async () => {
    await open();
    await create();
    for (const code of ['ABCD-EFGH-JKMN', 'not a code', '0000-0000-0000']) {
      const r = await redeem(code, randomUUID());
      expect(r.status).toBe(404);
      expect(r.body.error).toBe('enrol_code_unknown');
    }
    expect((await redeem('', randomUUID())).status).toBe(400);
    expect(await portal!.store.clients()).toEqual([]);
  });

  it('a device that has a token already is not given a second one', async () => {
    await open();
    const { code } = (await create()).body;
    const device = randomUUID();
    await portal!.store.bindDevice(device, Buffer.from('test device token, counter A1, centre 01').toString('base64url'), NOW);
    const r = await redeem(code, device);
    expect(r.status).toBe(409);
    expect(r.body.error).toBe('device_already_enrolled');
    // the code was not used up by the refusal
    expect((await redeem(code, randomUUID())).status).toBe(200);
  });

  it('a new code for the counter a device is enrolled as enrols it again (lost answer past the window): old token 401, new 200', async () => {
    await open();
    const device = randomUUID();
    const first = await redeem((await create()).body.code, device);
    expect(first.status).toBe(200);
    expect((await push(portal!, batch(device, [ticketEvent(1, randomUUID())]), first.body.deviceToken)).status).toBe(200);
    now = minutes(ENROL_RETRY_MINUTES + 1);
    const second = await redeem((await create()).body.code, device);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ deviceId: device, centre: { id: CENTRE }, counter: { code: 'A2', tokenPrefix: 'B' } });
    expect((await push(portal!, batch(device, [ticketEvent(2, randomUUID())]), first.body.deviceToken)).status).toBe(401);
    // the device's sequence goes on where it was
    expect((await push(portal!, batch(device, [ticketEvent(2, randomUUID())]), second.body.deviceToken)).status).toBe(200);
    // no other token of the counter still works (the store lists no tokens: read from its database)
    expect(await liveTokens(CENTRE, 'Counter A2')).toBe(1);
    // a code for another counter of the centre does not take the device over
    const other = await redeem((await create({ counterCode: 'A4', tokenPrefix: 'D' })).body.code, device);
    expect(other.status).toBe(409);
    expect(other.body.error).toBe('device_already_enrolled');
  });

  it('a device enrolled in another centre is still refused a code of this one, and keeps its token', async () => {
    await open();
    const device = randomUUID();
    const theirs = await redeem(
      (await create({ centre: centre(OTHER_CENTRE), counterCode: 'A2', tokenPrefix: 'B' })).body.code,
      device,
    );
    expect(theirs.status).toBe(200);
    now = minutes(ENROL_RETRY_MINUTES + 1);
    const mine = await redeem((await create()).body.code, device);
    expect(mine.status).toBe(409);
    expect(mine.body.error).toBe('device_already_enrolled');
    expect(
      (await push(portal!, batch(device, [ticketEvent(1, randomUUID())], OTHER_CENTRE), theirs.body.deviceToken)).status,
    ).toBe(200);
  });

  it('guesses are limited per address: past the limit 429 with Retry-After, even for the right code; other addresses go on', async () => {
    await open({ authFailures: { max: 5, windowMs: 60_000 } });
    const { code } = (await create()).body;
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await redeem('ABCD-EFGH-JKMN', randomUUID(), '203.0.113.7')).status);
    expect(statuses.slice(0, 5)).toEqual([404, 404, 404, 404, 404]);
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
    const blocked = await redeem(code, randomUUID(), '203.0.113.7');
    expect(blocked.status).toBe(429);
    expect(blocked.body.error).toBe('rate_limited');
    expect(Number(blocked.retryAfter)).toBeGreaterThanOrEqual(1);
    // the code was not used by the refused request: another address redeems it
    expect((await redeem(code, randomUUID(), '198.51.100.20')).status).toBe(200);
  });

  it('a body that is not JSON is refused 415 and not counted: 30 text/plain posts, then the right code from that address enrols', async () => {
    await open({ authFailures: { max: 5, windowMs: 60_000 } });
    const { code } = (await create()).body;
    // what any web page can send without a CORS preflight: fetch(portal + '/v1/enrol', { method: 'POST', mode: 'no-cors', body: 'x' })
    for (let i = 0; i < 30; i++) {
      const res = await portal!.app.inject({
        method: 'POST',
        url: '/v1/enrol',
        remoteAddress: '203.0.113.7',
        headers: {
          'content-type':
            i % 3 === 0
              ? 'text/plain;charset=UTF-8'
              : i % 3 === 1
                ? 'application/x-www-form-urlencoded'
                : 'multipart/form-data; boundary=x',
        },
        payload: 'x',
      });
      expect(res.statusCode).toBe(415);
      expect(res.json().error).toBe('unsupported_media_type');
    }
    const text = await portal!.app.inject({
      method: 'POST',
      url: '/v1/enrol',
      remoteAddress: '203.0.113.7',
      payload: JSON.stringify({ code, deviceId: randomUUID() }),
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.statusCode).toBe(415);
    const r = await redeem(code, randomUUID(), '203.0.113.7');
    expect(r.status).toBe(200);
  });

  it('behind a TLS gateway with trustProxy, X-Forwarded-For tells clients apart; without it, every client is the gateway', async () => {
    const GATEWAY = '10.0.0.5';
    const guess = (client: string, code = 'ABCD-EFGH-JKMN') =>
      portal!.app.inject({
        method: 'POST',
        url: '/v1/enrol',
        remoteAddress: GATEWAY,
        headers: { 'x-forwarded-for': client },
        payload: { code, deviceId: randomUUID() },
      });
    for (const trustProxy of [GATEWAY, true] as const) {
      await open({ authFailures: { max: 5, windowMs: 60_000 }, trustProxy });
      const { code } = (await create()).body;
      for (let i = 0; i < 8; i++) await guess('198.51.100.66');
      expect((await guess('198.51.100.66', code)).statusCode).toBe(429);
      // another client behind the same gateway is not locked out by the first
      expect((await guess('198.51.100.20', code)).statusCode).toBe(200);
      await portal!.close();
      portal = null;
    }
    // off by default: the header is not believed, all clients share the gateway's address
    await open({ authFailures: { max: 5, windowMs: 60_000 } });
    const { code } = (await create()).body;
    for (let i = 0; i < 8; i++) await guess('198.51.100.66');
    expect((await guess('198.51.100.20', code)).statusCode).toBe(429);
  });

  it("another centre's code gives only that centre, and its token uploads only there", async () => {
    await open();
    const mine = (await create()).body.code;
    const theirs = (await create({ centre: centre(OTHER_CENTRE), counterCode: 'B2', tokenPrefix: 'B' })).body.code;
    const device = randomUUID();
    const r = await redeem(theirs, device);
    expect(r.body.centre.id).toBe(OTHER_CENTRE);
    expect(r.body.counter).toEqual({ code: 'B2', tokenPrefix: 'B' });
    const wrong = await push(portal!, batch(device, [ticketEvent(1, randomUUID())], CENTRE), r.body.deviceToken);
    expect(wrong.status).toBe(403);
    expect((await push(portal!, batch(device, [ticketEvent(1, randomUUID())], OTHER_CENTRE), r.body.deviceToken)).status).toBe(
      200,
    );
    // and this centre's code is untouched
    expect((await redeem(mine, randomUUID())).body.centre.id).toBe(CENTRE);
  });
});

describe('npm run portal -- enrol', () => {
  it("makes an enrolment in the portal's database and prints the code and a terminal QR; a portal on that database redeems it", async () => {
    // a SQLite file on disk, or a schema of its own in the test's PostgreSQL (the URL in the environment, as the portal takes it)
    const database: PortalDatabase =
      PORTAL_TEST_ENGINE === 'sqlite'
        ? { engine: 'sqlite', file: join(mkdtempSync(join(tmpdir(), 'enrol-cli-')), 'portal.sqlite') }
        : freshPortalDatabase();
    const where =
      database.engine === 'sqlite'
        ? { args: [], io: { dbFile: database.file } }
        : { args: ['--database-schema', database.schema!], io: { env: { [DATABASE_URL_ENV]: database.url } } };
    const out: string[] = [];
    const err: string[] = [];
    const rc = await runEnrolCommand(
      [
        '--centre-id',
        CENTRE,
        '--centre-name',
        'CHC Aliganj',
        '--counter',
        'A2',
        '--token-prefix',
        'B',
        '--hours',
        '4',
        ...where.args,
      ],
      { out: (l) => out.push(l), err: (l) => err.push(l), now: () => NOW, ...where.io },
    );
    expect(err).toEqual([]);
    expect(rc).toBe(0);
    const code = /: ([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4})$/.exec(out[0]!)?.[1];
    expect(code).toBeDefined();
    expect(out[1]).toContain(new Date(NOW.getTime() + 4 * 3600_000).toISOString());
    expect(out.join('\n')).toMatch(/[▄▀█]/);
    now = NOW;
    portal = buildPortal({ database, clock });
    expect((await redeem(code!, randomUUID())).body.counter).toEqual({ code: 'A2', tokenPrefix: 'B' });
  });

  it('says which option is wrong', async () => {
    const err: string[] = [];
    const rc = await runEnrolCommand(['--centre-id', 'bad id', '--counter', 'a2'], { out: () => {}, err: (l) => err.push(l) });
    expect(rc).toBe(2);
    expect(err.join('\n')).toMatch(/--centre-id: letters, digits/);
    expect(err.join('\n')).toMatch(/--centre-name: required/);
    expect(err.join('\n')).toMatch(/--token-prefix: required/);
  });
});
