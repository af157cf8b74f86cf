import { randomUUID } from 'node:crypto';
import type { RosterEntry } from '../../common/domain';
import type { Mutation, MutationKind, PushRequest } from '../../common/sync-protocol';
import { aadhaarNumber, prng } from '../../common/demo/people';
import { buildPortal, type Portal, type PortalOptions } from '../../portal/server';
import { freshPortalDatabase } from '../support/portal-engine';

export const CENTRE = 'TEST-CENTRE-01';
export const OTHER_CENTRE = 'TEST-CENTRE-02';
/** device tokens as the admin API takes them: at least 32 bytes (these 40, base64url) */
export const TOKEN = Buffer.from('test device token, counter A1, centre 01').toString('base64url');
export const OTHER_TOKEN = Buffer.from('test device token, counter B1, centre 02').toString('base64url');
export const ADMIN = Buffer.from('test admin token of the reference portal').toString('base64url');
export const DAY = '2026-03-10';
export const NOW = new Date('2026-03-10T04:30:00.000Z');

/**
 * A portal on a fresh database of the test engine (SQLite in memory, or a schema of its own in
 * the test's PostgreSQL) with one device token for CENTRE and one for OTHER_CENTRE. Given
 * `dbFile` or `database`, that one instead.
 */
export async function memoryPortal(options: Partial<PortalOptions> = {}): Promise<Portal> {
  const where = options.dbFile !== undefined || options.database !== undefined ? {} : { database: freshPortalDatabase() };
  const portal = buildPortal({ ...where, adminToken: ADMIN, clock: () => NOW, ...options });
  try {
    await portal.app.ready();
    await portal.store.addDevice({ token: TOKEN, centreId: CENTRE, label: 'counter A1' }, NOW);
    await portal.store.addDevice({ token: OTHER_TOKEN, centreId: OTHER_CENTRE, label: 'counter B1' }, NOW);
  } catch (e) {
    await portal.close();
    throw e;
  }
  return portal;
}

const r = prng(42);
export const newAadhaar = (): string => aadhaarNumber(r);

export function walkIn(
  seq: number,
  o: { recordId?: string; photoIdNumber?: string; photoIdType?: string; mobile?: string } = {},
): Mutation {
  const recordId = o.recordId ?? randomUUID();
  return {
    seq,
    mutationId: randomUUID(),
    kind: 'walkin.registered',
    recordId,
    createdAt: NOW.toISOString(),
    payload: {
      walkInId: recordId,
      ticketId: randomUUID(),
      day: DAY,
      person: {
        name: 'Sunita Devi',
        gender: 'F',
        birthYear: 1961,
        mobile: o.mobile ?? '9876543210',
        photoIdType: o.photoIdType ?? 'AADHAAR',
        photoIdNumber: o.photoIdNumber ?? newAadhaar(),
      },
      dose: 1,
    },
  };
}

export function checkIn(seq: number, o: { refId: string; verified?: boolean; recordId?: string; day?: string }): Mutation {
  const recordId = o.recordId ?? randomUUID();
  return {
    seq,
    mutationId: randomUUID(),
    kind: 'checkin.created',
    recordId,
    createdAt: NOW.toISOString(),
    payload: { ticketId: recordId, refId: o.refId, day: o.day ?? DAY, name: 'Ram Prasad', verified: o.verified ?? true },
  };
}

export function ticketEvent(seq: number, ticketId: string, kind: MutationKind = 'ticket.called'): Mutation {
  return {
    seq,
    mutationId: randomUUID(),
    kind,
    recordId: ticketId,
    createdAt: NOW.toISOString(),
    payload: { ticketId, day: DAY, at: NOW.toISOString() },
  };
}

export function batch(deviceId: string, mutations: Mutation[], centreId = CENTRE): PushRequest {
  return { deviceId, centreId, counterCode: 'A1', mutations };
}

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
}

export async function inject<T = any>(
  portal: Portal,
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  body?: unknown,
  token: string | null = TOKEN,
): Promise<Answer<T>> {
  const res = await portal.app.inject({
    method,
    url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(body === undefined ? {} : { payload: body as object }),
  });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as T) : (undefined as T), headers: res.headers };
}

export const push = (portal: Portal, body: unknown, token: string | null = TOKEN) =>
  inject(portal, 'POST', '/v1/push', body, token);

export function entry(i: number, o: Partial<RosterEntry> = {}): RosterEntry {
  return {
    refId: `REF${String(100000 + i)}`,
    name: 'Geeta Sharma',
    gender: 'F',
    birthYear: 1970,
    mobileLast4: '1234',
    photoIdType: 'AADHAAR',
    photoIdLast4: '5678',
    dose: 1,
    slotTime: '10:15',
    ...o,
  };
}
