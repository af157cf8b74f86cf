// A counter whose saved printer is one slips may no longer go to (a path or an address refused
// since it was saved) still starts: with no printer set, and the reason told; anything else
// wrong in the file still refuses it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DEMO_PROVISIONING } from '../../common/demo/counter';
import { ProvisioningFileError, loadProvisioning } from '../../main/services/provisioning';

const dir = mkdtempSync(path.join(os.tmpdir(), 'provisioning-printer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, doc: unknown): string {
  const f = path.join(dir, name);
  writeFileSync(f, JSON.stringify(doc, null, 2));
  return f;
}

const withPrinter = (printer: unknown, extra: Record<string, unknown> = {}) => ({
  ...DEMO_PROVISIONING,
  ...extra,
  printing: { printer, paper: '80mm', autoPrint: true },
});

describe('a saved printer refused since it was saved', () => {
  it('another computer’s share: the counter starts with no printer, and the warning names the field', () => {
    const warn = vi.fn();
    const p = loadProvisioning(file('share.json', withPrinter({ kind: 'escpos-device', path: '\\\\fileserver\\thermal' })), warn);
    expect(p?.printing.printer).toEqual({ kind: 'none' });
    expect(p?.printing.autoPrint).toBe(true);
    expect(p?.centre.id).toBe(DEMO_PROVISIONING.centre.id);
    expect(warn).toHaveBeenCalledWith(['printing.printer.path: printer_device_path']);
  });

  it('a public address without the supervisor’s confirmation: the same', () => {
    const warn = vi.fn();
    const p = loadProvisioning(file('public.json', withPrinter({ kind: 'escpos-tcp', host: '8.8.8.8', port: 9100 })), warn);
    expect(p?.printing.printer).toEqual({ kind: 'none' });
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('a printer that is still allowed is kept, with no warning', () => {
    const warn = vi.fn();
    const p = loadProvisioning(file('lan.json', withPrinter({ kind: 'escpos-tcp', host: '192.168.1.50', port: 9100 })), warn);
    expect(p?.printing.printer).toEqual({ kind: 'escpos-tcp', host: '192.168.1.50', port: 9100 });
    expect(warn).not.toHaveBeenCalled();
  });

  it('a refused printer beside another problem still refuses the file', () => {
    const f = file(
      'both.json',
      withPrinter(
        { kind: 'escpos-device', path: '/etc/passwd' },
        { portal: { url: 'http://sync.portal.example.in', deviceToken: 'x'.repeat(32) } },
      ),
    );
    expect(() => loadProvisioning(f, vi.fn())).toThrow(ProvisioningFileError);
  });
});
