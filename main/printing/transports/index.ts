import { PrintError, type ByteTransport } from '../types';
import { cupsTransport, type CupsTransportOptions } from './cups';
import { deviceTransport, type DeviceTransportOptions } from './device';
import { tcpTransport, type TcpTransportOptions } from './tcp';

export { cupsTransport, isValidCupsQueueName, type CupsTarget, type CupsTransportOptions } from './cups';
export {
  deviceTransport,
  fileSystemDeviceAccess,
  type DeviceAccess,
  type DeviceEntry,
  type DeviceTarget,
  type DeviceTransportOptions,
} from './device';
export { realTimers, type TransportTimers } from './timers';
export { tcpTransport, type HostLookup, type TcpTarget, type TcpTransportOptions, type TransportWarning } from './tcp';

/** Where raw ESC/POS bytes go, as configured for a counter. */
export type RawPrinterTarget =
  | { kind: 'escpos-tcp'; host: string; port: number; allowPublicHost?: boolean | undefined }
  | { kind: 'escpos-device'; path: string }
  | { kind: 'escpos-cups'; queue: string };

export type TransportOptions = TcpTransportOptions & CupsTransportOptions & DeviceTransportOptions;

export function transportFor(target: RawPrinterTarget, options: TransportOptions = {}): ByteTransport {
  switch (target.kind) {
    case 'escpos-tcp':
      return tcpTransport({ host: target.host, port: target.port, allowPublicHost: target.allowPublicHost }, options);
    case 'escpos-device':
      return deviceTransport({ path: target.path }, options);
    case 'escpos-cups':
      return cupsTransport({ queue: target.queue }, options);
    default: {
      const unknown: never = target;
      throw new PrintError(
        'printer_not_configured',
        `unknown printer kind: ${JSON.stringify((unknown as { kind?: unknown }).kind)}`,
      );
    }
  }
}
