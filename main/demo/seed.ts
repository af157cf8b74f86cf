import type { CounterBackend } from '../counter';
import { provisioningSchema } from '../../common/domain';
import { DEMO_PORTAL, DEMO_PROVISIONING, DEMO_USERS } from '../../common/demo/counter';
import { rosterCsv, rosterEntries } from '../../common/demo/people';

/**
 * Sets up an empty data folder as the demo counter: provisioning, a supervisor, an operator
 * and today's roster of `rosterSize` people. Does nothing to a folder that is already set up.
 */
export async function seedDemo(backend: CounterBackend, rosterSize = 500, portalUrl: string = DEMO_PORTAL.url): Promise<boolean> {
  if (backend.provisioning) return false;
  const { handlers } = backend;
  // the setting-up is a client of its own, signed out at the end
  const client = 'demo:seed';
  const provisioning = provisioningSchema.parse({
    ...DEMO_PROVISIONING,
    portal: { ...DEMO_PROVISIONING.portal, url: portalUrl },
  });
  await backend.provision({ provisioning, supervisor: DEMO_USERS.supervisor });
  await handlers.signIn({ loginId: DEMO_USERS.supervisor.loginId, pin: DEMO_USERS.supervisor.pin }, client);
  await handlers.addOperator({ ...DEMO_USERS.operator, role: 'operator' }, client);
  const day = backend.today()!;
  await handlers.importRoster(
    {
      fileName: 'demo-roster.csv',
      format: 'csv',
      content: rosterCsv(day, rosterEntries(rosterSize, 7)),
    },
    client,
  );
  handlers.signOut({}, client);
  return true;
}
