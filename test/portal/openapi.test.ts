import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  enrolRequestSchema,
  enrolResponseSchema,
  enrolmentCentreSchema,
  errorBodySchema,
  fleetReportAnswerSchema,
  fleetReportSchema,
  healthSchema,
  mutationSchema,
  portalRecordSchema,
  pushRequestSchema,
  pushResponseSchema,
  pushResultSchema,
  recordsResponseSchema,
  rosterPageSchema,
} from '../../common/sync-protocol';
import type { Portal } from '../../portal/server';
import { PHOTO_ID_TYPES } from '../../common/rules/photo-id';
import { strictCheckInPayloadSchema, strictTicketEventPayloadSchema, strictWalkInPayloadSchema } from '../../portal/push-rules';
import { memoryPortal } from './helpers';

interface Doc {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, { $ref?: string; headers?: object }> }>>;
  components: {
    schemas: Record<string, { required?: string[]; properties?: Record<string, unknown> }>;
    responses: Record<string, { headers?: Record<string, unknown> }>;
    securitySchemes: Record<string, { type: string; scheme?: string; description?: string }>;
  };
}

const doc = load(readFileSync(resolve(import.meta.dirname, '../../portal/openapi.yaml'), 'utf8')) as Doc;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

let portal: Portal;
beforeAll(async () => {
  portal = await memoryPortal({ faults: true });
  await portal.app.ready();
});
afterAll(() => portal.close());

/** the keys a zod object cannot do without */
function requiredKeys(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape)
    .filter(([, s]) => !(s as z.ZodType).safeParse(undefined).success)
    .map(([k]) => k)
    .sort();
}

describe('portal/openapi.yaml', () => {
  it('is OpenAPI 3.1 with bearer schemes for devices and the admin, and an https server', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.components.securitySchemes.deviceToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.adminToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.servers.some((s) => s.url.startsWith('https://'))).toBe(true);
    // plain http only for a portal on this PC
    for (const s of doc.servers.filter((s) => s.url.startsWith('http://'))) expect(new URL(s.url).hostname).toBe('127.0.0.1');
  });

  it('documents every /v1 and /admin route the portal registers, and no other', () => {
    const registered = portal.routes
      .filter((r) => (r.url.startsWith('/v1/') || r.url.startsWith('/admin/')) && r.method !== 'HEAD')
      .map((r) => `${r.method.toLowerCase()} ${r.url.replace(/:(\w+)/g, '{$1}')}`)
      .sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) =>
        Object.keys(ops)
          .filter((m) => METHODS.includes(m))
          .map((m) => `${m} ${path}`),
      )
      .sort();
    expect(registered.length).toBeGreaterThan(0);
    expect(documented).toEqual(registered);
  });

  it('documents the error statuses and Retry-After', () => {
    const statuses = new Set(
      Object.values(doc.paths).flatMap((ops) => Object.values(ops).flatMap((op) => Object.keys(op.responses))),
    );
    for (const s of ['400', '401', '403', '409', '413', '429', '503', '500']) expect(statuses, s).toContain(s);
    expect(doc.components.responses.TooManyRequests!.headers).toHaveProperty('Retry-After');
    expect(doc.components.responses.Unavailable!.headers).toHaveProperty('Retry-After');
    // every /v1 route but health needs the device token, every /admin route the admin token; each can be refused
    // for failed authentication (401, then 429 past the limit)
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const op of Object.values(ops)) {
        if (path.startsWith('/admin/')) expect(op.security, path).toEqual([{ adminToken: [] }]);
        else expect(op.security === undefined, path).toBe(path !== '/v1/health' && path !== '/v1/enrol');
        if (path === '/v1/health') continue;
        // enrolment has no token to fail: the code is the secret, and failed codes are limited like failed authentications
        if (path === '/v1/enrol') {
          expect(op.security).toEqual([]);
          for (const s of ['404', '409', '410']) expect(op.responses[s], s).toBeDefined();
          expect(op.responses['429']).toEqual({ $ref: '#/components/responses/TooManyRequests' });
          continue;
        }
        expect(op.responses['401'], path).toBeDefined();
        expect(op.responses['429'], path).toEqual({ $ref: '#/components/responses/TooManyRequests' });
      }
    }
  });

  it('documents the rebind as the only way a device ID moves to another token, and the device token rules', () => {
    const rebind = doc.paths['/admin/devices/{deviceId}/rebind']!.post as unknown as { description: string };
    expect(rebind.description).toMatch(/a push never does it/);
    const info = (doc as unknown as { info: { description: string } }).info.description;
    expect(info).toMatch(/32 random bytes/);
    expect(info).toMatch(/429 `rate_limited`/);
    expect(info).toMatch(/opaque ID/);
  });

  it.each([
    ['PushRequest', pushRequestSchema],
    ['Mutation', mutationSchema],
    ['PushResponse', pushResponseSchema],
    ['PushResult', pushResultSchema],
    ['RosterPage', rosterPageSchema],
    ['RecordsResponse', recordsResponseSchema],
    ['PortalRecord', portalRecordSchema],
    ['ErrorBody', errorBodySchema],
    ['Health', healthSchema],
    ['EnrolRequest', enrolRequestSchema],
    ['EnrolResponse', enrolResponseSchema],
    ['EnrolmentCentre', enrolmentCentreSchema],
    ['FleetReport', fleetReportSchema],
    ['FleetReportAnswer', fleetReportAnswerSchema],
  ] as const)('schema %s names the same properties and required ones as the zod schema', (name, schema) => {
    const documented = doc.components.schemas[name]!;
    expect([...(documented.required ?? [])].sort()).toEqual(requiredKeys(schema as unknown as z.ZodObject));
    expect(Object.keys(documented.properties ?? {}).sort()).toEqual(Object.keys((schema as unknown as z.ZodObject).shape).sort());
  });
});

describe('the roster entry in portal/openapi.yaml', () => {
  const entry = (
    doc as unknown as { components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>> }> } }
  ).components.schemas.RosterEntry!.properties;
  it('lists exactly the photo-ID types a counter takes', () => {
    expect(entry.photoIdType!.enum).toEqual([...PHOTO_ID_TYPES]);
  });
  it('asks for a digit in a reference ID, as the counter does', () => {
    const re = new RegExp(String(entry.refId!.pattern));
    expect(re.test('AB1234567')).toBe(true);
    expect(re.test('ABCDEFGH')).toBe(false);
  });
});

describe('the push payloads in portal/openapi.yaml', () => {
  const schemas = doc.components.schemas as Record<
    string,
    { required?: string[]; properties?: Record<string, unknown>; additionalProperties?: unknown }
  >;
  it.each([
    ['WalkInPayload', strictWalkInPayloadSchema],
    ['CheckInPayload', strictCheckInPayloadSchema],
    ['TicketEventPayload', strictTicketEventPayloadSchema],
  ] as const)('%s refuses unknown fields and lists exactly the fields the portal takes', (name, schema) => {
    const documented = schemas[name]!;
    expect(documented.additionalProperties).toBe(false);
    expect([...(documented.required ?? [])].sort()).toEqual(requiredKeys(schema as unknown as z.ZodObject));
    expect(Object.keys(documented.properties ?? {}).sort()).toEqual(Object.keys(schema.shape).sort());
  });
  it('the person of a walk-in refuses unknown fields too', () => {
    const person = schemas.WalkInPayload!.properties!.person as { additionalProperties?: unknown; properties: object };
    expect(person.additionalProperties).toBe(false);
    expect(Object.keys(person.properties).sort()).toEqual(Object.keys(strictWalkInPayloadSchema.shape.person.shape).sort());
  });
});
