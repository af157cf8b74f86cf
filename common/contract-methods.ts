/**
 * The names of the contract's methods and the IPC channels, with no dependencies, so the
 * sandboxed preload can stay small. `contract.ts` must define exactly these (type-checked).
 */
export const METHOD_NAMES = [
  'getAppState',
  'provision',
  'enrol',
  'signIn',
  'signOut',
  'touchSession',
  'unlockSession',
  'stepUp',
  'listOperators',
  'addOperator',
  'setOperatorDisabled',
  'resetOperatorPin',
  'unlockOperator',
  'updateQueuePolicy',
  'importRoster',
  'searchRoster',
  'checkIn',
  'checkInProvisional',
  'previewWalkIn',
  'registerWalkIn',
  'getQueue',
  'callNext',
  'callTicket',
  'recallTicket',
  'markNoShow',
  'requeueTicket',
  'cancelTicket',
  'serveTicket',
  'printSlip',
  'listPrintJobs',
  'listSystemPrinters',
  'updatePrintingSettings',
  'testPrint',
  'getSyncStatus',
  'syncNow',
  'listNeedsAttention',
  'resendRecord',
  'dismissRecord',
  'closeDay',
  'getReconciliation',
  'exportReconciliation',
  'saveDiagnostics',
  'updateStatus',
  'installUpdateNow',
  'postponeUpdate',
] as const;

export type MethodName = (typeof METHOD_NAMES)[number];

export const ipcChannel = (m: MethodName): string => `counter:${m}`;
export const EVENT_CHANNEL = 'counter:event';
