/**
 * District settings: the queue policy, eligibility rules and vaccines a district sets for its
 * centres (IT, with the admin token), and the latest version each device pulls for its own
 * centre (with its device token). Checked with the counter's own schemas (common/domain.ts);
 * every save is a new version, numbered per centre.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { districtSettingsSchema, type DistrictSettings } from '../common/domain';
import { MAX_DISTRICT_SETTINGS_BYTES, type DistrictSettingsAnswer } from '../common/sync-protocol';
import { PortalError, type Device, type DistrictSettingsStoreApi, type PublishedSettings } from './store-api';

/** A centre ID as a counter's provisioning has it. */
const centreIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'a centre ID is 1-40 letters, digits, _ or -');
/** The most problems one refusal lists. */
const MAX_ISSUES_LISTED = 20;

const answerOf = (p: PublishedSettings): DistrictSettingsAnswer => ({
  centreId: p.centreId,
  version: p.version,
  publishedAt: p.publishedAt,
  settings: p.settings,
});

/** The settings as sent, or 400 invalid_settings naming every field that is wrong ("queuePolicy.priorityPerWalkIn: ..."). */
export function parseDistrictSettings(body: unknown): DistrictSettings {
  const parsed = districtSettingsSchema.safeParse(body ?? undefined);
  if (parsed.success) {
    // counters refuse a bigger answer: IT hears of it now, not from every counter's log
    const size = Buffer.byteLength(JSON.stringify(parsed.data));
    if (size > MAX_DISTRICT_SETTINGS_BYTES / 2) {
      throw new PortalError(
        400,
        'invalid_settings',
        `(body): the settings are ${size} bytes; counters take at most ${MAX_DISTRICT_SETTINGS_BYTES / 2}`,
      );
    }
    return parsed.data;
  }
  // an unknown key is named by its own path: a setting the centre owns, or a typing mistake
  const all = parsed.error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => `${[...i.path.map(String), k].join('.')}: not a setting the district owns`)
      : [`${i.path.map(String).join('.') || '(body)'}: ${i.message}`],
  );
  const issues = all.slice(0, MAX_ISSUES_LISTED);
  const more = all.length - issues.length;
  throw new PortalError(400, 'invalid_settings', issues.join('; ') + (more > 0 ? ` (and ${more} more)` : ''));
}

function centreOf(value: string): string {
  const parsed = centreIdSchema.safeParse(value);
  if (!parsed.success) throw new PortalError(400, 'invalid_request', `centreId: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** `GET /v1/centres/{centreId}/settings?known=N`: a device's own centre only; 304 when N is the latest. */
export function districtSettingsDeviceRoutes(
  api: FastifyInstance,
  o: { settings: DistrictSettingsStoreApi; deviceOf: (req: FastifyRequest, centreId: string) => Device },
): void {
  api.get<{ Params: { centreId: string }; Querystring: { known?: string } }>(
    '/v1/centres/:centreId/settings',
    async (req, reply) => {
      const { centreId } = req.params;
      o.deviceOf(req, centreId);
      const knownText = req.query.known ?? '0';
      if (!/^\d{1,15}$/.test(knownText)) {
        throw new PortalError(400, 'invalid_request', 'known: must be the version the counter has, a whole number');
      }
      const latest = await o.settings.latest(centreId);
      if (!latest || latest.version <= Number(knownText)) return reply.code(304).send();
      return answerOf(latest);
    },
  );
}

/**
 * The admin side: `PUT /admin/centres/{centreId}/settings` publishes a new version for one
 * centre, `PUT /admin/settings` for every centre of the district (each its own next number),
 * `GET /admin/centres/{centreId}/settings` reads the latest.
 */
export function districtSettingsAdminRoutes(
  admin: FastifyInstance,
  o: { settings: DistrictSettingsStoreApi; clock: () => Date },
): void {
  admin.put<{ Params: { centreId: string } }>('/admin/centres/:centreId/settings', async (req) => {
    const centreId = centreOf(req.params.centreId);
    const settings = parseDistrictSettings(req.body);
    const [published] = await o.settings.publish([centreId], settings, o.clock());
    req.log.info({ centreId, version: published!.version }, 'district settings published');
    return answerOf(published!);
  });
  admin.get<{ Params: { centreId: string } }>('/admin/centres/:centreId/settings', async (req) => {
    const centreId = centreOf(req.params.centreId);
    const latest = await o.settings.latest(centreId);
    if (!latest) throw new PortalError(404, 'not_found', `no district settings were published for centre ${centreId}`);
    return answerOf(latest);
  });
  admin.put('/admin/settings', async (req) => {
    const settings = parseDistrictSettings(req.body);
    const centres = await o.settings.centres();
    if (centres.length === 0) {
      throw new PortalError(409, 'no_centres', 'no centre has a device token yet: add the counters first, or publish per centre');
    }
    const published = await o.settings.publish(centres, settings, o.clock());
    req.log.info({ centres: centres.length }, 'district settings published to every centre');
    return { published: published.map((p) => ({ centreId: p.centreId, version: p.version, publishedAt: p.publishedAt })) };
  });
}
