/**
 * The portal's store on PostgreSQL: a district's server, where several API processes share one
 * database. Same behaviour and answers as the SQLite store (portal/store.ts); the database alone
 * makes a batch apply exactly once (see push()).
 */
import pg from 'pg';
import type { DistrictSettingsStoreApi, EnrolmentStoreApi, FleetStoreApi, PortalStore } from '../store-api';

const notYet = (): never => {
  throw new Error('not yet');
};

export class PgPortalStore implements PortalStore {
  readonly engine = 'postgres' as const;
  readonly pool: pg.Pool;

  constructor(readonly options: { url: string; schema?: string; poolSize?: number }) {
    this.pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
  }

  ready = async (): Promise<void> => notYet();
  check = async (): Promise<void> => notYet();
  close = async (): Promise<void> => {
    await this.pool.end();
  };
  addDevice: PortalStore['addDevice'] = async () => notYet();
  revokeDevice: PortalStore['revokeDevice'] = async () => notYet();
  deviceByToken: PortalStore['deviceByToken'] = async () => notYet();
  bindDevice: PortalStore['bindDevice'] = async () => notYet();
  clients: PortalStore['clients'] = async () => notYet();
  acceptLostRecords: PortalStore['acceptLostRecords'] = async () => notYet();
  push: PortalStore['push'] = async () => notYet();
  records: PortalStore['records'] = async () => notYet();
  adminRecords: PortalStore['adminRecords'] = async () => notYet();
  upsertAppointments: PortalStore['upsertAppointments'] = async () => notYet();
  cancelAppointments: PortalStore['cancelAppointments'] = async () => notYet();
  rosterRows: PortalStore['rosterRows'] = async () => notYet();
  districtDay: PortalStore['districtDay'] = async () => notYet();
  readonly enrolments: EnrolmentStoreApi = {
    create: async () => notYet(),
    list: async () => notYet(),
    redeem: async () => notYet(),
    redeemed: async () => notYet(),
  };
  readonly fleet: FleetStoreApi = { record: async () => notYet(), all: async () => notYet() };
  readonly districtSettings: DistrictSettingsStoreApi = {
    latest: async () => notYet(),
    latestVersion: async () => notYet(),
    publish: async () => notYet(),
    centres: async () => notYet(),
  };
}
