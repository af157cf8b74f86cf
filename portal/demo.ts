/**
 * `--demo`: the demo counter's centre, its device token and the same people its roster holds,
 * booked for today and tomorrow in the centre's time zone. Safe to run on every start: an
 * unchanged booking keeps its roster version, so counters pull nothing new.
 */
import { provisioningSchema } from '../common/domain';
import { addDays, centreDay } from '../common/rules/centre-day';
import { rosterEntries } from '../common/demo/people';
import { DEMO_PORTAL, DEMO_PROVISIONING } from '../common/demo/counter';
import type { PortalStore } from './store-api';

export interface DemoSeed {
  centreId: string;
  days: string[];
  appointments: number;
}

export async function seedPortalDemo(store: PortalStore, now: Date): Promise<DemoSeed> {
  const { centre, counter } = provisioningSchema.parse(DEMO_PROVISIONING);
  await store.addDevice({ token: DEMO_PORTAL.deviceToken, centreId: centre.id, label: `Demo counter ${counter.code}` }, now);
  const entries = rosterEntries(DEMO_PORTAL.rosterSize, DEMO_PORTAL.rosterSeed);
  const today = centreDay(now, centre.timeZone);
  const days = [today, addDays(today, 1)];
  for (const day of days) await store.upsertAppointments(centre.id, day, entries);
  return { centreId: centre.id, days, appointments: entries.length };
}
