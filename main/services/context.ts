import type { Db } from '../store/database';
import type { Provisioning } from '../../common/domain';
import type { Logger } from '../logging/logger';

export type Clock = () => Date;

export interface SignedInOperator {
  id: string;
  loginId: string;
  name: string;
  role: 'operator' | 'supervisor';
}

/** What every service needs: the store, the time, who this counter is and who is at it. */
export interface ServiceContext {
  db: Db;
  clock: Clock;
  deviceId: string;
  config: Provisioning;
  operator: SignedInOperator;
  log: Logger;
}
