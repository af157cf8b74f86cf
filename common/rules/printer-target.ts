/**
 * Which printers a counter may send slips to. A slip carries a person's name and token, and a
 * printer target is a place the counter writes to or connects to: the settings may name only
 * printers, never a file, another computer's share or a host on the internet.
 *
 * - Device paths: a USB printer (`/dev/usb/lp0`), a serial or USB-serial port (`/dev/ttyUSB0`,
 *   `/dev/ttyS0`, `/dev/ttyACM0`, `COM3`, `\\.\COM3`) or a printer shared on this PC
 *   (`\\localhost\ThermalShare`). A share on another host (`\\host\share`) is refused: Windows
 *   would sign in to that host with the user's login hash.
 * - Network printers: this PC and the local network (loopback, private and link-local
 *   addresses); any other address only when a supervisor has confirmed it. A host name is
 *   resolved, and each of its addresses checked, when a slip is printed.
 */
import ipaddr from 'ipaddr.js';

/** The two families of device paths: the operating system a path can be opened on. */
export type DevicePathFamily = 'posix' | 'win32';

/**
 * The paths a printer can have, by the system they are opened on. Serial ports on Windows are
 * COM1 to COM256, alone or in the device namespace (`\\.\COM3`); a share is one name (no
 * separators or characters Windows refuses, at most 80 characters) on this PC.
 */
const DEVICE_PATHS: ReadonlyArray<readonly [DevicePathFamily, RegExp]> = [
  ['posix', /^\/dev\/usb\/lp[0-9]{1,3}$/],
  // ttyUSB0, ttyS0, ttyACM0, macOS's tty.usbserial-1410; one name, no folder below /dev
  ['posix', /^\/dev\/tty[A-Za-z0-9._-]+$/],
  ['win32', /^COM[1-9][0-9]{0,2}$/i],
  ['win32', /^\\\\\.\\COM[1-9][0-9]{0,2}$/i],
  ['win32', /^\\\\localhost\\[^\\/:*?"<>|\p{Cc}]{1,80}$/iu],
];

/** The family of an allowed device path, or null when the path is not one a printer can have. */
export function devicePathFamily(path: string): DevicePathFamily | null {
  if (typeof path !== 'string' || path.includes('..')) return null;
  return DEVICE_PATHS.find(([, pattern]) => pattern.test(path))?.[0] ?? null;
}

/** Whether the path names a serial port on Windows (`COM3`, `\\.\COM3`). */
export function isWindowsComPort(path: string): boolean {
  return /^(?:\\\\\.\\)?COM[1-9][0-9]{0,2}$/i.test(path);
}

export function devicePathError(path: string): string | null {
  if (devicePathFamily(path) === null) return 'printer_device_path';
  return null;
}

/** Address ranges a printer may be in without a supervisor's confirmation. */
const LOCAL_RANGES: ReadonlySet<string> = new Set(['loopback', 'private', 'linkLocal', 'uniqueLocal']);

/** Whether `host` is an IP address (in any form the system's resolver also reads as one). */
export function isIpAddress(host: string): boolean {
  return ipaddr.isValid(host);
}

/**
 * Whether an IP address is on this PC or the local network: 127.0.0.0/8, ::1, 10/8, 172.16/12,
 * 192.168/16, fc00::/7, 169.254/16, fe80::/10 (an IPv4-mapped IPv6 address counts as its IPv4
 * address). False for anything that is not an IP address.
 */
export function isLocalNetworkAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return LOCAL_RANGES.has(ipaddr.process(address).range());
}

/**
 * The network printer's host as far as it can be checked without a lookup: an IP address must
 * be on the local network unless a supervisor confirmed it; a name is checked when it is
 * resolved, at print time; `localhost` is this PC.
 */
export function printerHostError(host: string, allowPublicHost: boolean): string | null {
  if (allowPublicHost || !isIpAddress(host)) return null;
  return isLocalNetworkAddress(host) ? null : 'printer_host_public';
}
