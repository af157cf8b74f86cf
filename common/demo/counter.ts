/** The demo counter: pure data shared by the counter, the reference portal, the tests and the benchmarks. */
import type { ProvisioningInput } from '../domain';

/** The demo counter's place at the reference portal (`npm run portal -- --demo` seeds the same). */
export const DEMO_PORTAL = {
  port: 8787,
  url: 'http://127.0.0.1:8787',
  deviceToken: 'demo-device-token-UP-LKO-CHC-01-A1-not-a-secret',
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
  supervisor: { loginId: 'supervisor', name: 'Dr. Meena Verma', pin: '246810' },
  operator: { loginId: 'operator', name: 'Ravi Kumar', pin: '1357' },
} as const;
