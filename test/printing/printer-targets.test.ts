/**
 * Where a slip may go, checked again when it is sent: settings written before the rules (or
 * edited by hand) name a printer, never a file, another host's share or a host on the internet.
 *
 * These tests never connect anywhere but 127.0.0.1: a refusal happens before any connection,
 * and where an address outside the local network is let through, the connection is stubbed.
 */
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  deviceTransport,
  tcpTransport,
  transportFor,
  type DeviceAccess,
  type DeviceEntry,
  type HostLookup,
} from '../../main/printing/transports';
import { printError } from '../support/print-error';
import { startVirtualPrinter, type VirtualPrinter } from '../support/virtual-printer';

const job = Uint8Array.from([0x1b, 0x40, ...Buffer.from('TOKEN A-W012\n', 'ascii'), 0x1d, 0x56, 0x42, 0x00]);
const send = { timeoutMs: 1500, statusCheck: false };

function entry(kind: 'char' | 'file' | 'link' | 'dir'): DeviceEntry {
  return {
    isCharacterDevice: () => kind === 'char',
    isSymbolicLink: () => kind === 'link',
    isFile: () => kind === 'file',
    isDirectory: () => kind === 'dir',
  };
}

/**
 * A file system that only says what each path is (`entries`), where symbolic links lead
 * (`links`), and opens `opensAs` in place of whatever path the transport opens; it keeps every
 * path looked at and opened.
 */
function fakeDevices(
  platform: NodeJS.Platform,
  entries: Record<string, DeviceEntry>,
  opensAs: string,
  links: Record<string, string> = {},
) {
  const looked: string[] = [];
  const opened: string[] = [];
  const access: DeviceAccess = {
    platform,
    lstat: async (p) => {
      looked.push(p);
      const found = entries[p];
      if (!found) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
      return found;
    },
    realpath: async (p) => links[p] ?? p,
    open: async (p, flags) => {
      opened.push(p);
      return open(opensAs, flags);
    },
  };
  return { access, looked, opened };
}

describe.skipIf(process.platform === 'win32')('device paths when a slip is sent', () => {
  let dir: string;
  let database: string;
  const content = Buffer.from('SQLite format 3\0 and every confirmed record');
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'printer-targets-'));
    database = path.join(dir, 'counter.db');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['linux', '/etc/passwd'],
    ['linux', '/home/counter/counter.db'],
    ['linux', '/dev/usb/../../etc/passwd'],
    ['linux', '/dev/shm/slips'],
    ['linux', 'COM3'], // a Windows port: on Linux, a file of that name in the working folder
    ['linux', '\\\\localhost\\Thermal'],
    ['win32', '\\\\printserver\\thermal'], // Windows would sign in to that host with the user's hash
    ['win32', '\\\\192.168.1.9\\thermal'],
    ['win32', 'C:\\ProgramData\\Counter\\counter.db'],
    ['win32', '/dev/usb/lp0'],
  ] as const)('on %s, refuses %s without looking at it or opening it', async (platform, devicePath) => {
    const fake = fakeDevices(platform, { [devicePath]: entry('char') }, '/dev/null');
    const error = await printError(deviceTransport({ path: devicePath }, { deviceAccess: fake.access }).send(job, send));
    expect(error.code).toBe('printer_not_allowed');
    expect(error.message).toContain('not a printer device path');
    expect(fake.looked).toEqual([]);
    expect(fake.opened).toEqual([]);
  });

  it('refuses a regular file at a printer path by its type, before opening it', async () => {
    await writeFile(database, content);
    const fake = fakeDevices('linux', { '/dev/usb/lp0': entry('file') }, database);
    const error = await printError(deviceTransport({ path: '/dev/usb/lp0' }, { deviceAccess: fake.access }).send(job, send));
    expect(error.code).toBe('printer_unreachable');
    expect(error.message).toContain('not a printer device');
    expect(fake.looked).toEqual(['/dev/usb/lp0']);
    expect(fake.opened).toEqual([]);
    expect(Buffer.from(await readFile(database)).equals(content)).toBe(true);
  });

  it('refuses a folder at a printer path', async () => {
    const fake = fakeDevices('linux', { '/dev/ttyUSB0': entry('dir') }, '/dev/null');
    const error = await printError(deviceTransport({ path: '/dev/ttyUSB0' }, { deviceAccess: fake.access }).send(job, send));
    expect(error.message).toContain('not a printer device');
    expect(fake.opened).toEqual([]);
  });

  it('follows a symbolic link only to a character device under /dev, and opens the device it checked', async () => {
    // /dev/null plays the device opened: a character device that takes every byte
    const udev = fakeDevices('linux', { '/dev/ttyThermal': entry('link'), '/dev/ttyUSB0': entry('char') }, '/dev/null', {
      '/dev/ttyThermal': '/dev/ttyUSB0',
    });
    await deviceTransport({ path: '/dev/ttyThermal' }, { deviceAccess: udev.access }).send(job, send);
    expect(udev.looked).toEqual(['/dev/ttyThermal', '/dev/ttyUSB0']);
    expect(udev.opened).toEqual(['/dev/ttyUSB0']);

    await writeFile(database, content);
    const toFile = fakeDevices('linux', { '/dev/usb/lp0': entry('link'), '/home/counter/counter.db': entry('file') }, database, {
      '/dev/usb/lp0': '/home/counter/counter.db',
    });
    const error = await printError(deviceTransport({ path: '/dev/usb/lp0' }, { deviceAccess: toFile.access }).send(job, send));
    expect(error.code).toBe('printer_unreachable');
    expect(error.message).toContain('/home/counter/counter.db');
    expect(toFile.opened).toEqual([]);

    // a character device outside /dev is not a printer either
    const outside = fakeDevices('linux', { '/dev/usb/lp0': entry('link'), '/tmp/lp0': entry('char') }, database, {
      '/dev/usb/lp0': '/tmp/lp0',
    });
    expect(
      (await printError(deviceTransport({ path: '/dev/usb/lp0' }, { deviceAccess: outside.access }).send(job, send))).code,
    ).toBe('printer_unreachable');
    expect(outside.opened).toEqual([]);
    expect(Buffer.from(await readFile(database)).equals(content)).toBe(true);
  });

  it('on Windows, opens a serial port in the device namespace and a share on this PC as it is', async () => {
    const windows = fakeDevices('win32', {}, '/dev/null');
    for (const devicePath of ['COM3', '\\\\.\\COM4', '\\\\localhost\\ThermalShare']) {
      await deviceTransport({ path: devicePath }, { deviceAccess: windows.access }).send(job, send);
    }
    expect(windows.opened).toEqual(['\\\\.\\COM3', '\\\\.\\COM4', '\\\\localhost\\ThermalShare']);
  });

  it('on Windows, never writes into a regular file opened for a serial port', async () => {
    await writeFile(database, content);
    const windows = fakeDevices('win32', {}, database);
    const error = await printError(deviceTransport({ path: 'COM3' }, { deviceAccess: windows.access }).send(job, send));
    expect(error.code).toBe('printer_unreachable');
    expect(error.message).toContain('not a printer device');
    expect(Buffer.from(await readFile(database)).equals(content)).toBe(true);
  });
});

describe('network printer addresses when a slip is sent', () => {
  let printer: VirtualPrinter;
  const connects: net.SocketConnectOpts[] = [];
  beforeAll(async () => {
    printer = await startVirtualPrinter();
  });
  afterAll(async () => {
    await printer.close();
  });
  afterEach(() => {
    vi.restoreAllMocks();
    connects.length = 0;
  });

  /**
   * Records every connection the transport opens. With `stub`, no connection is made at all: the
   * socket fails as if refused, so an address outside this machine is never reached.
   */
  function watchConnects(stub: boolean): void {
    const real = net.Socket.prototype.connect;
    vi.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (this: net.Socket, ...args: unknown[]) {
      const options = args[0] as net.SocketConnectOpts;
      connects.push(options);
      if (!stub) return (real as (...a: unknown[]) => net.Socket).apply(this, args);
      process.nextTick(() =>
        this.emit('error', Object.assign(new Error('connect ECONNREFUSED (stubbed)'), { code: 'ECONNREFUSED' })),
      );
      return this;
    });
  }

  const names = (table: Record<string, string[]>): HostLookup & { asked: string[] } => {
    const asked: string[] = [];
    const lookup = async (host: string) => {
      asked.push(host);
      const addresses = table[host];
      if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return addresses.map((address) => ({ address }));
    };
    return Object.assign(lookup, { asked });
  };

  it('refuses 8.8.8.8 without a supervisor confirmation, before any connection', async () => {
    watchConnects(true);
    const error = await printError(tcpTransport({ host: '8.8.8.8', port: 9100 }).send(job, send));
    expect(error.code).toBe('printer_not_allowed');
    expect(error.message).toContain('8.8.8.8');
    expect(error.message).toContain('supervisor');
    expect(connects).toEqual([]);
  });

  it('takes 8.8.8.8 with the confirmation (the connection is stubbed)', async () => {
    watchConnects(true);
    const error = await printError(tcpTransport({ host: '8.8.8.8', port: 9100, allowPublicHost: true }).send(job, send));
    expect(error.code).toBe('printer_unreachable');
    expect(connects).toHaveLength(1);
    expect(connects[0]).toMatchObject({ host: '8.8.8.8', port: 9100 });
  });

  it('passes the confirmation on from the saved settings', async () => {
    watchConnects(true);
    const refused = await printError(transportFor({ kind: 'escpos-tcp', host: '8.8.8.8', port: 9100 }).send(job, send));
    expect(refused.code).toBe('printer_not_allowed');
    expect(connects).toEqual([]);
    await printError(transportFor({ kind: 'escpos-tcp', host: '8.8.8.8', port: 9100, allowPublicHost: true }).send(job, send));
    expect(connects.map((c) => (c as net.TcpNetConnectOpts).host)).toEqual(['8.8.8.8']);
  });

  it.each(['192.168.1.50', '127.0.0.1', '::1', 'fe80::1', '10.20.30.40', '172.16.0.9', '169.254.10.10', 'fd00::9'])(
    'takes %s, on this PC or the local network (the connection is stubbed)',
    async (host) => {
      watchConnects(true);
      const error = await printError(tcpTransport({ host, port: 9100 }).send(job, send));
      expect(error.code).toBe('printer_unreachable');
      expect(connects.map((c) => (c as net.TcpNetConnectOpts).host)).toEqual([host]);
    },
  );

  it('refuses a name that resolves to a public address, before any connection', async () => {
    watchConnects(true);
    const lookup = names({ 'thermal.example.in': ['203.0.113.7'] });
    const error = await printError(tcpTransport({ host: 'thermal.example.in', port: 9100 }, { lookup }).send(job, send));
    expect(error.code).toBe('printer_not_allowed');
    expect(error.message).toContain('203.0.113.7');
    expect(lookup.asked).toEqual(['thermal.example.in']);
    expect(connects).toEqual([]);
  });

  it('refuses a name when any of its addresses is public, and one mapped into IPv6 too', async () => {
    watchConnects(true);
    const lookup = names({ 'mixed.lan': ['192.168.1.50', '8.8.4.4'], 'mapped.lan': ['::ffff:8.8.8.8'] });
    for (const host of ['mixed.lan', 'mapped.lan']) {
      expect((await printError(tcpTransport({ host, port: 9100 }, { lookup }).send(job, send))).code).toBe('printer_not_allowed');
    }
    expect(connects).toEqual([]);
  });

  it('reports a name that does not resolve as unreachable, without connecting', async () => {
    watchConnects(true);
    const error = await printError(tcpTransport({ host: 'nowhere.lan', port: 9100 }, { lookup: names({}) }).send(job, send));
    expect(error.code).toBe('printer_unreachable');
    expect(error.message).toContain('ENOTFOUND');
    expect(connects).toEqual([]);
  });

  it('prints to a name on the local network through the address it checked, not the name again', async () => {
    watchConnects(false);
    const lookup = names({ 'thermal-1.lan': [printer.host] });
    await tcpTransport({ host: 'thermal-1.lan', port: printer.port }, { lookup }).send(job, send);
    expect(Buffer.from((await printer.waitForJobs(1, 1000))[0] ?? []).equals(Buffer.from(job))).toBe(true);
    expect(lookup.asked).toEqual(['thermal-1.lan']);
    expect(connects.map((c) => (c as net.TcpNetConnectOpts).host)).toEqual([printer.host]);
  });
});
