/**
 * The district's load, built ahead of time and pushed as counters push: the plan (centres,
 * devices with their tokens, bookings, every batch's JSON body made before the clock starts),
 * the pushers (keep-alive HTTP from the bench process, each device's batches in sequence), and
 * the check that every mutation arrived exactly once. Used by ./district.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { aadhaarNumber, personName, prng } from '../common/demo/people';
import { pushResponseSchema, type Mutation, type PushResponse } from '../common/sync-protocol';
import type { AppointmentEntry, PortalHandle } from '../portal/process';

export interface DistrictShape {
  centres: number;
  devicesPerCentre: number;
  mutationsPerDevice: number;
  /** mutations per push (a counter sends up to 200) */
  batch: number;
}

export interface DevicePlan {
  deviceId: string;
  centreId: string;
  counterCode: string;
  token: string;
  /** each batch's JSON body, in the order the device sends them */
  bodies: Buffer[];
  /** mutations in each batch */
  sizes: number[];
  /** every mutation ID, lower case, in sequence order */
  mutationIds: string[];
  records: number;
  events: number;
}

export interface DistrictPlan {
  shape: DistrictShape;
  day: string;
  devices: DevicePlan[];
  /** each centre's bookings, for the check-ins */
  bookings: Map<string, AppointmentEntry[]>;
  mutations: number;
  /** mutations by kind */
  mix: Record<string, number>;
  /** walk-ins given a photo-ID number an earlier walk-in of the centre already had */
  repeatedPhotoIds: number;
  bodyBytes: number;
}

const CHECK_IN_SHARE = 0.6;
const REPEATED_PHOTO_ID_SHARE = 0.02;
const NO_SHOW_SHARE = 0.05;

export const centreIdOf = (c: number): string => `UP-DIST-${String(c).padStart(4, '0')}`;

/**
 * A district's day: `centres` centres of `devicesPerCentre` counters, each with
 * `mutationsPerDevice` mutations: two records (check-ins of booked people 60%, walk-ins 40%)
 * to one ticket event (vaccination recorded, or a no-show 5%) for a person already registered,
 * as a counter's outbox holds them. Check-ins are booked at their centre; 2% of walk-ins repeat
 * an earlier walk-in's Aadhaar number at that centre (flagged as possible duplicates). Payloads
 * are as the counter makes them (main/services: walk-ins, check-in, tickets).
 */
export function buildDistrictPlan(shape: DistrictShape, day: string, seed = 12): DistrictPlan {
  const r = prng(seed);
  const devices: DevicePlan[] = [];
  const bookings = new Map<string, AppointmentEntry[]>();
  const mix: Record<string, number> = {};
  const count = (kind: string) => (mix[kind] = (mix[kind] ?? 0) + 1);
  let repeatedPhotoIds = 0;
  let bodyBytes = 0;
  const at = `${day}T05:30:00.000Z`;
  for (let c = 0; c < shape.centres; c++) {
    const centreId = centreIdOf(c);
    const booked: AppointmentEntry[] = [];
    const aadhaars: string[] = [];
    bookings.set(centreId, booked);
    for (let d = 0; d < shape.devicesPerCentre; d++) {
      const deviceId = randomUUID();
      const counterCode = `C${d + 1}`;
      const tokenPrefix = String.fromCharCode(65 + (d % 26));
      const mutations: Mutation[] = [];
      const tickets: { ticketId: string; token: string }[] = [];
      let served = 0;
      let walkIns = 0;
      let checkIns = 0;
      const sentBy = { at, operatorId: 'operator-1', counterCode, deviceId };
      const add = (kind: Mutation['kind'], recordId: string, payload: Record<string, unknown>) => {
        count(kind);
        mutations.push({ seq: mutations.length + 1, mutationId: randomUUID(), kind, recordId, createdAt: at, payload });
      };
      while (mutations.length < shape.mutationsPerDevice) {
        // after every two records, one ticket event for the next person registered
        if (mutations.length % 3 === 2 && served < tickets.length) {
          const t = tickets[served++]!;
          const noShow = r() < NO_SHOW_SHARE;
          const base = { ticketId: t.ticketId, token: t.token, day, from: 'called', ...sentBy };
          if (noShow) add('ticket.no_show', t.ticketId, { ...base, action: 'no_show', to: 'no_show' });
          else
            add('vaccination.recorded', t.ticketId, {
              ...base,
              action: 'serve',
              to: 'served',
              vaccinationId: randomUUID(),
              vaccine: 'COVISHIELD',
              lotNumber: `4121Z${String(served % 97).padStart(3, '0')}`,
              dose: 1,
            });
          continue;
        }
        const ticketId = randomUUID();
        const gender = r() < 0.5 ? 'F' : 'M';
        if (r() < CHECK_IN_SHARE) {
          const token = `${tokenPrefix}-P${String(++checkIns).padStart(3, '0')}`;
          const refId = String(10_000_000_000_000 + c * 10_000 + booked.length);
          const name = personName(r, gender);
          booked.push({
            refId,
            name,
            gender,
            birthYear: 1940 + Math.floor(r() * 60),
            mobileLast4: String(1000 + Math.floor(r() * 9000)),
            photoIdType: 'AADHAAR',
            photoIdLast4: String(1000 + Math.floor(r() * 9000)),
            dose: 1,
            slotTime: '10:00',
          });
          add('checkin.created', ticketId, {
            ticketId,
            refId,
            token,
            lane: 'priority',
            day,
            name,
            verified: true,
            late: false,
            ...sentBy,
            rosterImportId: 1,
            slotTime: '10:00',
          });
          tickets.push({ ticketId, token });
        } else {
          const walkInId = randomUUID();
          const token = `${tokenPrefix}-W${String(++walkIns).padStart(3, '0')}`;
          const repeat = aadhaars.length > 0 && r() < REPEATED_PHOTO_ID_SHARE;
          const photoIdNumber = repeat ? aadhaars[Math.floor(r() * aadhaars.length)]! : aadhaarNumber(r);
          if (repeat) repeatedPhotoIds++;
          else aadhaars.push(photoIdNumber);
          add('walkin.registered', walkInId, {
            walkInId,
            ticketId,
            token,
            day,
            person: {
              name: personName(r, gender),
              gender,
              birthYear: 1940 + Math.floor(r() * 30),
              mobile: String(6 + Math.floor(r() * 4)) + String(Math.floor(r() * 1e9)).padStart(9, '0'),
              photoIdType: 'AADHAAR',
              photoIdNumber,
              comorbidity: r() < 0.3,
            },
            dose: 1,
            possibleDuplicates: [],
            ...sentBy,
          });
          tickets.push({ ticketId, token });
        }
      }
      const bodies: Buffer[] = [];
      const sizes: number[] = [];
      for (let i = 0; i < mutations.length; i += shape.batch) {
        const slice = mutations.slice(i, i + shape.batch);
        const body = Buffer.from(JSON.stringify({ deviceId, centreId, counterCode, mutations: slice }));
        bodyBytes += body.length;
        bodies.push(body);
        sizes.push(slice.length);
      }
      devices.push({
        deviceId,
        centreId,
        counterCode,
        token: `district-${c}-${d}-${randomBytes(32).toString('hex')}`,
        bodies,
        sizes,
        mutationIds: mutations.map((m) => m.mutationId.toLowerCase()),
        records: mutations.filter((m) => m.kind === 'checkin.created' || m.kind === 'walkin.registered').length,
        events: mutations.filter((m) => m.kind !== 'checkin.created' && m.kind !== 'walkin.registered').length,
      });
    }
  }
  const mutations = devices.reduce((a, d) => a + d.mutationIds.length, 0);
  return { shape, day, devices, bookings, mutations, mix, repeatedPhotoIds, bodyBytes };
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** The plan's device tokens and bookings added to the portal through its admin API. */
export async function seedPortal(portal: PortalHandle, plan: DistrictPlan): Promise<void> {
  await eachLimited(plan.devices, 8, (d) =>
    portal.admin.addDevice(d.token, d.centreId, `district ${d.centreId} ${d.counterCode}`),
  );
  await eachLimited([...plan.bookings], 4, async ([centreId, entries]) => {
    if (entries.length > 0) await portal.admin.addAppointments(centreId, plan.day, entries);
  });
}

// ---------------------------------------------------------------------------------------------
// pushing

export interface PushTally {
  /** each answered push's round trip, ms */
  latencies: number[];
  pushes: number;
  applied: number;
  duplicate: number;
  rejected: number;
  possibleDuplicates: number;
  /** 503 answers (busy or unavailable), each waited out (Retry-After) and the batch sent again */
  busy: number;
  /** requests that failed without an answer (sent again after a second) */
  failed: number;
  firstRejection: string | null;
}

export const newTally = (): PushTally => ({
  latencies: [],
  pushes: 0,
  applied: 0,
  duplicate: 0,
  rejected: 0,
  possibleDuplicates: 0,
  busy: 0,
  failed: 0,
  firstRejection: null,
});

interface Answer {
  status: number;
  retryAfter: number | null;
  body: string;
}

/** Keep-alive HTTP to the portals: one agent, at most `sockets` connections to each portal. */
export function pushClient(sockets: number): { post(url: string, token: string, body: Buffer): Promise<Answer>; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  return {
    post: (url, token, body) =>
      new Promise<Answer>((ok, bad) => {
        const req = httpRequest(
          `${url}/v1/push`,
          {
            method: 'POST',
            agent,
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': body.length },
            timeout: 60_000,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const ra = Number(res.headers['retry-after']);
              ok({
                status: res.statusCode ?? 0,
                retryAfter: Number.isFinite(ra) ? ra : null,
                body: Buffer.concat(chunks).toString(),
              });
            });
            res.on('error', bad);
          },
        );
        req.on('timeout', () => req.destroy(new Error('no answer within 60 s')));
        req.on('error', bad);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/** Thrown when the load cannot go on (an answer no counter should get): the bench fails loudly. */
export class DistrictLoadError extends Error {}

const RETRY_BOUND = 200;

/**
 * Pushes one batch until it is answered 200 (waiting out 503s and lost answers as a counter
 * does, bounded), checks the answer and tallies it.
 */
export async function pushBatch(
  client: ReturnType<typeof pushClient>,
  url: string,
  device: DevicePlan,
  index: number,
  tally: PushTally,
  deadline: number,
): Promise<void> {
  const body = device.bodies[index]!;
  const firstSeq = device.bodies.slice(0, index).reduce((a, _b, i) => a + device.sizes[i]!, 0) + 1;
  const lastSeq = firstSeq + device.sizes[index]! - 1;
  for (let attempt = 0; ; attempt++) {
    if (attempt > RETRY_BOUND || performance.now() > deadline) {
      throw new DistrictLoadError(`device ${device.deviceId}: batch ${index + 1} not applied after ${attempt} tries`);
    }
    const t0 = performance.now();
    let answer: Answer;
    try {
      answer = await client.post(url, device.token, body);
    } catch {
      tally.failed++;
      await sleep(1000);
      continue;
    }
    const ms = performance.now() - t0;
    if (answer.status === 503) {
      tally.busy++;
      await sleep(Math.min(5, answer.retryAfter ?? 1) * 1000);
      continue;
    }
    if (answer.status !== 200) {
      throw new DistrictLoadError(`device ${device.deviceId}: push answered ${answer.status}: ${answer.body.slice(0, 300)}`);
    }
    let parsed: PushResponse;
    try {
      parsed = pushResponseSchema.parse(JSON.parse(answer.body));
    } catch (e) {
      throw new DistrictLoadError(`device ${device.deviceId}: push answer not as the protocol says: ${(e as Error).message}`);
    }
    if (parsed.lastAppliedSeq !== lastSeq || parsed.results.length !== device.sizes[index]) {
      throw new DistrictLoadError(
        `device ${device.deviceId}: batch ${firstSeq}..${lastSeq} answered lastAppliedSeq ${parsed.lastAppliedSeq} with ${parsed.results.length} results`,
      );
    }
    tally.latencies.push(ms);
    tally.pushes++;
    for (const res of parsed.results) {
      if (res.status === 'applied') tally.applied++;
      else if (res.status === 'duplicate') tally.duplicate++;
      else {
        tally.rejected++;
        tally.firstRejection ??= `${res.code ?? ''}: ${res.reason ?? ''}`;
      }
      if (res.flags?.includes('possible_duplicate')) tally.possibleDuplicates++;
    }
    return;
  }
}

/**
 * The district load: `concurrency` devices pushing at once, each its batches in sequence; the
 * next device starts as one finishes. Push n of the run goes to portal n mod P (round-robin),
 * so a device's batches reach different processes.
 */
export async function pushDistrict(
  plan: DistrictPlan,
  urls: readonly string[],
  concurrency: number,
  boundMs: number,
  progress: (m: string) => void,
): Promise<{ seconds: number; tally: PushTally }> {
  const client = pushClient(concurrency);
  const tally = newTally();
  let n = 0;
  let doneDevices = 0;
  const t0 = performance.now();
  const deadline = t0 + boundMs;
  let lastNote = t0;
  try {
    await eachLimited(plan.devices, concurrency, async (device) => {
      for (let i = 0; i < device.bodies.length; i++) {
        await pushBatch(client, urls[n++ % urls.length]!, device, i, tally, deadline);
      }
      doneDevices++;
      if (performance.now() - lastNote > 10_000) {
        lastNote = performance.now();
        progress(`  ${doneDevices}/${plan.devices.length} devices pushed after ${((lastNote - t0) / 1000).toFixed(0)} s`);
      }
    });
  } finally {
    client.close();
  }
  return { seconds: (performance.now() - t0) / 1000, tally };
}

/**
 * A steady load: push n is sent at n x `intervalMs` from the start, by device n mod D (its next
 * batch), to portal n mod P, whether or not earlier pushes have been answered (an open loop, as
 * a district's counters push on their own clocks); a device's batches still go in sequence, the
 * next waiting for the one before. Pushes before `warmupPushes` are tallied apart; `onWarm` is
 * called when the warm-up ends.
 */
export async function pushSteady(
  plan: DistrictPlan,
  urls: readonly string[],
  o: { intervalMs: number; pushes: number; warmupPushes: number; boundMs: number; onWarm: () => void },
): Promise<{
  warm: PushTally;
  measured: PushTally;
  late: number;
  seconds: number;
  /** from the end of the warm-up to the last answer */
  measuredSeconds: number;
  nextBatch: Map<string, number>;
}> {
  const client = pushClient(64);
  const warm = newTally();
  const measured = newTally();
  const chains = new Map<string, Promise<void>>();
  const nextBatch = new Map<string, number>();
  let failure: Error | null = null;
  let late = 0;
  const t0 = performance.now();
  let warmEnd = t0;
  const deadline = t0 + o.boundMs;
  try {
    for (let n = 0; n < o.pushes && !failure; n++) {
      const wait = t0 + n * o.intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
      else if (wait < -o.intervalMs) late++;
      if (n === o.warmupPushes) {
        warmEnd = performance.now();
        o.onWarm();
      }
      const device = plan.devices[n % plan.devices.length]!;
      const index = nextBatch.get(device.deviceId) ?? 0;
      if (index >= device.bodies.length) continue;
      nextBatch.set(device.deviceId, index + 1);
      const tally = n < o.warmupPushes ? warm : measured;
      const url = urls[n % urls.length]!;
      const chain = (chains.get(device.deviceId) ?? Promise.resolve())
        .then(() => pushBatch(client, url, device, index, tally, deadline))
        .catch((e: Error) => {
          failure ??= e;
        });
      chains.set(device.deviceId, chain);
    }
    await Promise.all(chains.values());
  } finally {
    client.close();
  }
  if (failure) throw failure;
  const end = performance.now();
  return { warm, measured, late, seconds: (end - t0) / 1000, measuredSeconds: (end - warmEnd) / 1000, nextBatch };
}

// ---------------------------------------------------------------------------------------------
// exactly once

/**
 * Reads back through the admin API what the portal holds and fails loudly unless every planned
 * mutation is there once: each device's last applied sequence number is its last mutation's,
 * and each centre's records and ticket events are exactly the planned mutation IDs, none
 * missing, none twice, none else. Returns how many records and events were read.
 */
export async function verifyExactlyOnce(
  portal: PortalHandle,
  plan: DistrictPlan,
  devices: readonly DevicePlan[] = plan.devices,
): Promise<{ records: number; events: number }> {
  const problems: string[] = [];
  const clients = new Map((await portal.admin.clients()).map((c) => [c.deviceId.toLowerCase(), c.lastAppliedSeq]));
  for (const d of devices) {
    const seq = clients.get(d.deviceId.toLowerCase());
    if (seq !== d.mutationIds.length)
      problems.push(`device ${d.deviceId}: last applied seq ${seq ?? 'none'}, expected ${d.mutationIds.length}`);
  }
  const byCentre = new Map<string, DevicePlan[]>();
  for (const d of devices) byCentre.set(d.centreId, [...(byCentre.get(d.centreId) ?? []), d]);
  let records = 0;
  let events = 0;
  await eachLimited([...byCentre], 4, async ([centreId, centreDevices]) => {
    const held = await portal.admin.records(centreId, plan.day);
    records += held.records.length;
    events += held.events.length;
    const expected = new Set(centreDevices.flatMap((d) => d.mutationIds));
    const seen = new Set<string>();
    for (const id of [...held.records.map((x) => x.mutationId), ...held.events.map((x) => x.mutationId)]) {
      const k = id.toLowerCase();
      if (seen.has(k)) problems.push(`centre ${centreId}: mutation ${k} held twice`);
      else if (!expected.has(k)) problems.push(`centre ${centreId}: mutation ${k} held but never sent`);
      seen.add(k);
    }
    const missing = [...expected].filter((k) => !seen.has(k));
    if (missing.length > 0) problems.push(`centre ${centreId}: ${missing.length} mutations missing (first ${missing[0]})`);
  });
  const expectedTotal = devices.reduce((a, d) => a + d.mutationIds.length, 0);
  if (records + events !== expectedTotal) problems.push(`${records + events} mutations held, ${expectedTotal} sent`);
  if (problems.length > 0) {
    throw new DistrictLoadError(
      `not exactly once: ${problems.length} problems: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; …' : ''}`,
    );
  }
  return { records, events };
}

/**
 * The district's read side (GET /admin/district/day) against what was sent: the records,
 * ticket events and possible duplicates of the day add up, nothing rejected. Returns how long
 * the answer took, or null where the portal has no such route.
 */
export async function verifyDistrictDay(portal: PortalHandle, plan: DistrictPlan, tally: PushTally): Promise<number | null> {
  const t0 = performance.now();
  const res = await fetch(`${portal.url}/admin/district/day?date=${plan.day}`, {
    headers: { authorization: `Bearer ${portal.adminToken}` },
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status === 404) return null;
  if (!res.ok) throw new DistrictLoadError(`the district's day answered ${res.status}: ${text.slice(0, 300)}`);
  const report = JSON.parse(text) as {
    centres: unknown[];
    totals: { records: number; ticketEvents: number; possibleDuplicates: number; rejected: number };
  };
  const records = plan.devices.reduce((a, d) => a + d.records, 0);
  const events = plan.devices.reduce((a, d) => a + d.events, 0);
  const t = report.totals;
  const wrong = [
    t.records !== records && `records ${t.records}, ${records} sent`,
    t.ticketEvents !== events && `ticket events ${t.ticketEvents}, ${events} sent`,
    t.rejected !== 0 && `rejected ${t.rejected}`,
    t.possibleDuplicates !== tally.possibleDuplicates &&
      `possible duplicates ${t.possibleDuplicates}, ${tally.possibleDuplicates} answered to the counters`,
    report.centres.length !== plan.shape.centres && `${report.centres.length} centres, ${plan.shape.centres} sent to`,
  ].filter(Boolean);
  if (wrong.length > 0) throw new DistrictLoadError(`the district's day does not add up: ${wrong.join('; ')}`);
  return ms;
}
