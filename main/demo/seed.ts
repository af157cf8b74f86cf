import type { CounterBackend } from '../services/backend';
import type { ProvisioningInput } from '../../common/domain';
import { provisioningSchema } from '../../common/domain';
import { rosterCsv, rosterEntries } from './generate';

/** The demo counter's place at the reference portal (`npm run portal -- --demo` seeds the same). */
export const DEMO_PORTAL = {
  port: 8787,
  url: 'http://127.0.0.1:8787',
  deviceToken: 'demo-device-token-UP-LKO-CHC-01-A1',
  rosterSize: 500,
  rosterSeed: 7,
} as const;

/** The demo counter: a community health centre in Lucknow, counter A, uploading to the reference portal. */
export const DEMO_PROVISIONING: ProvisioningInput = {
  schemaVersion: 1,
  centre: { id: 'UP-LKO-CHC-01', name: 'CHC Aliganj, Lucknow', nameHi: 'सीएचसी अलीगंज, लखनऊ', timeZone: 'Asia/Kolkata' },
  counter: { code: 'A1', tokenPrefix: 'A' },
  portal: { url: DEMO_PORTAL.url, deviceToken: DEMO_PORTAL.deviceToken },
};

export const DEMO_USERS = {
  supervisor: { loginId: 'supervisor', name: 'Dr. Meena Verma', pin: '2468' },
  operator: { loginId: 'operator', name: 'Ravi Kumar', pin: '1357' },
} as const;

/**
 * Sets up an empty data folder as the demo counter: provisioning, a supervisor, an operator
 * and today's roster of `rosterSize` people. Does nothing to a folder that is already set up.
 */
export async function seedDemo(backend: CounterBackend, rosterSize = 500, portalUrl: string = DEMO_PORTAL.url): Promise<boolean> {
  if (backend.provisioning) return false;
  const { handlers } = backend;
  const provisioning = provisioningSchema.parse({
    ...DEMO_PROVISIONING,
    portal: { ...DEMO_PROVISIONING.portal, url: portalUrl },
  });
  await backend.provision({ provisioning, supervisor: DEMO_USERS.supervisor });
  await handlers.signIn({ loginId: DEMO_USERS.supervisor.loginId, pin: DEMO_USERS.supervisor.pin });
  await handlers.addOperator({ ...DEMO_USERS.operator, role: 'operator' });
  const day = backend.today()!;
  await handlers.importRoster({
    fileName: 'demo-roster.csv',
    format: 'csv',
    content: rosterCsv(day, rosterEntries(rosterSize, 7)),
  });
  handlers.signOut({});
  return true;
}
