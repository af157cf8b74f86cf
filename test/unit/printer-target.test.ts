import { describe, expect, it } from 'vitest';
import { printerTargetSchema, printingSettingsSchema } from '../../common/domain';
import { devicePathError, devicePathFamily, isLocalNetworkAddress, printerHostError } from '../../common/rules/printer-target';

/** The issue codes the schema gives for a printer target, by field. */
function problems(target: unknown): Record<string, string> {
  const r = printerTargetSchema.safeParse(target);
  if (r.success) return {};
  return Object.fromEntries(r.error.issues.map((i) => [i.path.join('.'), i.message]));
}

describe('printer device paths', () => {
  it.each([
    ['/dev/usb/lp0', 'posix'],
    ['/dev/usb/lp12', 'posix'],
    ['/dev/ttyUSB0', 'posix'],
    ['/dev/ttyS0', 'posix'],
    ['/dev/ttyACM0', 'posix'],
    ['/dev/tty.usbserial-1410', 'posix'],
    ['COM3', 'win32'],
    ['com12', 'win32'],
    ['\\\\.\\COM3', 'win32'],
    ['\\\\localhost\\ThermalShare', 'win32'],
    ['\\\\LOCALHOST\\Thermal Share', 'win32'],
  ])('takes the printer path %s', (path, family) => {
    expect(devicePathFamily(path)).toBe(family);
    expect(devicePathError(path)).toBeNull();
    expect(problems({ kind: 'escpos-device', path })).toEqual({});
  });

  it.each([
    // another host's share: Windows would send the user's login hash there
    '\\\\printserver\\thermal',
    '\\\\192.168.1.9\\thermal',
    '\\\\localhost.evil.example\\x',
    '\\\\localhost\\share\\folder',
    '\\\\localhost\\..',
    '\\\\?\\UNC\\host\\share',
    '\\\\.\\PhysicalDrive0',
    '//host/share',
    // files and folders
    '/etc/passwd',
    '/home/counter/.config/counter/counter.db',
    'C:\\x',
    'C:\\ProgramData\\Counter\\counter.db',
    'counter.db',
    '..',
    '/dev/usb/../../etc/passwd',
    '/dev/tty/../sda',
    '/dev/ttyUSB0/../../etc/passwd',
    // the controlling terminal, disks, other devices
    '/dev/tty',
    '/dev/sda',
    '/dev/usb/lp',
    'COM0',
    'LPT1',
  ])('refuses %s with its own code', (path) => {
    expect(devicePathFamily(path)).toBeNull();
    expect(devicePathError(path)).toBe('printer_device_path');
    expect(problems({ kind: 'escpos-device', path })).toEqual({ path: 'printer_device_path' });
  });

  it('keeps one message per field: an empty path is only required', () => {
    expect(problems({ kind: 'escpos-device', path: '' })).toEqual({ path: 'required' });
    expect(problems({ kind: 'escpos-device', path: '   ' })).toEqual({ path: 'required' });
  });
});

describe('network printer hosts', () => {
  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '::1',
    '10.0.0.7',
    '172.16.4.2',
    '172.31.255.254',
    '192.168.1.50',
    '169.254.3.3',
    'fe80::1',
    'fd12:3456::9',
    '::ffff:192.168.1.50',
  ])('takes %s, on this PC or the local network', (host) => {
    expect(isLocalNetworkAddress(host)).toBe(true);
    expect(printerHostError(host, false)).toBeNull();
    expect(problems({ kind: 'escpos-tcp', host, port: 9100 })).toEqual({});
  });

  it.each(['8.8.8.8', '172.32.0.1', '100.64.0.1', '0.0.0.0', '2001:4860:4860::8888', '::ffff:8.8.8.8', '134744072'])(
    'refuses %s unless a supervisor confirms it',
    (host) => {
      expect(isLocalNetworkAddress(host)).toBe(false);
      expect(printerHostError(host, false)).toBe('printer_host_public');
      expect(problems({ kind: 'escpos-tcp', host, port: 9100 })).toEqual({ host: 'printer_host_public' });
      expect(printerHostError(host, true)).toBeNull();
      expect(problems({ kind: 'escpos-tcp', host, port: 9100, allowPublicHost: true })).toEqual({});
    },
  );

  it('leaves host names to the check at print time, when they are resolved', () => {
    expect(problems({ kind: 'escpos-tcp', host: 'thermal-1.lan', port: 9100 })).toEqual({});
    expect(problems({ kind: 'escpos-tcp', host: 'localhost', port: 9100 })).toEqual({});
    expect(isLocalNetworkAddress('thermal-1.lan')).toBe(false);
  });

  it('keeps the confirmation in the saved settings, and takes nothing else', () => {
    const saved = printingSettingsSchema.parse({ printer: { kind: 'escpos-tcp', host: '8.8.8.8', allowPublicHost: true } });
    expect(saved.printer).toEqual({ kind: 'escpos-tcp', host: '8.8.8.8', port: 9100, allowPublicHost: true });
    expect(problems({ kind: 'escpos-tcp', host: '8.8.8.8', allowPublicHost: 'yes' })).toHaveProperty('allowPublicHost');
    const refused = printingSettingsSchema.safeParse({ printer: { kind: 'escpos-tcp', host: '8.8.8.8' } });
    expect(refused.success ? [] : refused.error.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['printer.host', 'printer_host_public'],
    ]);
  });
});
