/**
 * The district's settings at this counter: the queue policy, eligibility rules and vaccines the
 * district publishes at the portal, pulled by the sync worker and applied here.
 *
 * - A version is applied whole, in one transaction (the parts, the version in force and the audit
 *   row): the counter reads the old set or the new one, never a mix.
 * - A version not newer than the one in force is ignored; an answer that fails the counter's own
 *   schemas, names another centre or is too big is refused and logged, and the old set stays.
 * - What the district does not own (printer, operators, lane letters, security, sync) is never
 *   touched: it stays in the provisioning file.
 * - The district's queue policy is the centre's default. A supervisor may change it at the
 *   counter (a busy day, a walk-in camp); that change lasts until the district publishes its next
 *   version, which then applies as published. So the district can always bring every centre back
 *   to one policy, and a centre is never stuck waiting for the district to react.
 */
import {
  DISTRICT_PARTS,
  districtSettingsSchema,
  queuePolicySchema,
  type DistrictPart,
  type DistrictSettings,
  type DistrictSettingsView,
  type Provisioning,
  type QueuePolicySettings,
} from '../../common/domain';
import { MAX_DISTRICT_SETTINGS_BYTES, districtSettingsAnswerSchema } from '../../common/sync-protocol';
import { insertAudit } from '../store/audit';
import type { Db } from '../store/database';
import {
  clearLocalQueuePolicy,
  deleteDistrictParts,
  districtHeader,
  districtParts,
  insertDistrictPart,
  localQueuePolicy,
  setDistrictHeader,
  setLocalQueuePolicy,
} from '../store/district-settings';

export type ApplyOutcome =
  | { kind: 'applied'; version: number; previous: number | null; parts: DistrictPart[]; localPolicyCleared: boolean }
  /** not newer than the version in force */
  | { kind: 'ignored'; version: number; inForce: number }
  /** not applied: the old set stays */
  | { kind: 'refused'; refusal: 'invalid' | 'wrong_centre' | 'too_large'; reason: string };

/** Lets a test stop an apply between two parts (a crash, a full disk) to show nothing half-done remains. */
export interface ApplyHooks {
  afterPart?: (part: DistrictPart) => void;
}

/**
 * Checks a portal answer and, when it is a newer version for this centre, puts it in force.
 * `answer` is the parsed JSON as received: nothing in it is trusted before the checks here.
 */
export function applyDistrictSettings(
  db: Db,
  o: { centreId: string; now: Date; answer: unknown; hooks?: ApplyHooks },
): ApplyOutcome {
  let size: number;
  try {
    size = JSON.stringify(o.answer ?? null).length;
  } catch {
    return { kind: 'refused', refusal: 'invalid', reason: 'the answer cannot be read as JSON' };
  }
  if (size > MAX_DISTRICT_SETTINGS_BYTES) {
    return { kind: 'refused', refusal: 'too_large', reason: `the answer is ${size} bytes, over ${MAX_DISTRICT_SETTINGS_BYTES}` };
  }
  const parsed = districtSettingsAnswerSchema.safeParse(o.answer);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join('.') || '(answer)';
    return { kind: 'refused', refusal: 'invalid', reason: `${path}: ${issue?.message ?? 'invalid'}` };
  }
  const answer = parsed.data;
  if (answer.centreId !== o.centreId) {
    return {
      kind: 'refused',
      refusal: 'wrong_centre',
      reason: `the settings are for centre ${answer.centreId}, not ${o.centreId}`,
    };
  }
  return db
    .transaction((): ApplyOutcome => {
      const inForce = districtHeader(db);
      if (inForce && inForce.centre_id === o.centreId && answer.version <= inForce.version) {
        return { kind: 'ignored', version: answer.version, inForce: inForce.version };
      }
      const appliedAt = o.now.toISOString();
      setDistrictHeader(db, { version: answer.version, centreId: o.centreId, publishedAt: answer.publishedAt, appliedAt });
      const localPolicyCleared = clearLocalQueuePolicy(db);
      deleteDistrictParts(db);
      const parts = DISTRICT_PARTS.filter((p) => answer.settings[p] !== undefined);
      for (const part of parts) {
        insertDistrictPart(db, part, answer.version, answer.settings[part]);
        o.hooks?.afterPart?.(part);
      }
      const previous = inForce?.version ?? null;
      insertAudit(db, {
        at: appliedAt,
        operatorId: null,
        action: 'district_settings.applied',
        detail: { version: answer.version, previous, parts, publishedAt: answer.publishedAt, localPolicyCleared },
      });
      return { kind: 'applied', version: answer.version, previous, parts, localPolicyCleared };
    })
    .immediate();
}

/** The district version in force, as the counter reads it. */
export interface DistrictInForce {
  version: number;
  centreId: string;
  publishedAt: string;
  appliedAt: string;
  settings: DistrictSettings;
  /** the supervisor's own queue policy over the district's, until the next version */
  localQueuePolicy: QueuePolicySettings | null;
}

/**
 * The version in force for this centre, or null: none applied, or one for another centre (the
 * counter was set up again for another centre: its provisioning applies until its own arrives).
 */
export function districtInForce(db: Db, centreId: string): DistrictInForce | null {
  const header = districtHeader(db);
  if (!header || header.centre_id !== centreId) return null;
  const raw: Record<string, unknown> = {};
  for (const row of districtParts(db)) raw[row.part] = JSON.parse(row.value) as unknown;
  // checked again as read: a row that no longer passes the schemas is not used
  const settings = districtSettingsSchema.safeParse(raw);
  if (!settings.success) return null;
  const local = localQueuePolicy(db);
  const localPolicy =
    local && local.district_version === header.version && settings.data.queuePolicy
      ? queuePolicySchema.safeParse(JSON.parse(local.value))
      : null;
  return {
    version: header.version,
    centreId: header.centre_id,
    publishedAt: header.published_at,
    appliedAt: header.applied_at,
    settings: settings.data,
    localQueuePolicy: localPolicy?.success ? localPolicy.data : null,
  };
}

/** The settings in force: the provisioning, with each part the district sets in its place. */
export function effectiveConfig(config: Provisioning, district: DistrictInForce | null): Provisioning {
  if (!district) return config;
  const s = district.settings;
  return {
    ...config,
    queuePolicy: district.localQueuePolicy ?? s.queuePolicy ?? config.queuePolicy,
    eligibility: s.eligibility ?? config.eligibility,
    vaccines: s.vaccines ?? config.vaccines,
  };
}

/** What the page shows: the version, its parts, and which queue-policy values in force are the district's. */
export function districtView(district: DistrictInForce | null): DistrictSettingsView | null {
  if (!district) return null;
  const policy = district.settings.queuePolicy;
  const inForce = district.localQueuePolicy ?? policy;
  const fromDistrict =
    policy && inForce
      ? (Object.keys(policy) as (keyof QueuePolicySettings)[]).filter((k) => Object.is(policy[k], inForce[k]))
      : [];
  return {
    version: district.version,
    publishedAt: district.publishedAt,
    appliedAt: district.appliedAt,
    parts: DISTRICT_PARTS.filter((p) => district.settings[p] !== undefined),
    queuePolicyFromDistrict: fromDistrict,
  };
}

/**
 * A supervisor's queue policy while the district's is in force: kept with that version (and
 * audited), in force until the district publishes its next one.
 */
export function saveLocalQueuePolicy(
  db: Db,
  o: { district: DistrictInForce; policy: QueuePolicySettings; now: Date; operatorId: string },
): void {
  db.transaction(() => {
    setLocalQueuePolicy(db, {
      districtVersion: o.district.version,
      value: o.policy,
      setAt: o.now.toISOString(),
      setBy: o.operatorId,
    });
    insertAudit(db, {
      at: o.now.toISOString(),
      operatorId: o.operatorId,
      action: 'policy.updated',
      detail: { ...o.policy, overDistrictVersion: o.district.version },
    });
  }).immediate();
}
