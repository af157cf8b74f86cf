import { beforeEach, describe, expect, it, vi } from 'vitest';

// A stand-in for Electron's BrowserWindow that records what the system printer asks of it.
const created: FakeWindow[] = [];
let printOutcome: { success: boolean; reason: string } = { success: true, reason: '' };
class FakeWindow {
  destroyed = false;
  loaded: string | null = null;
  printOptions: Record<string, unknown> | null = null;
  constructor(readonly options: { show: boolean; webPreferences: Record<string, unknown> }) {
    created.push(this);
  }
  isDestroyed() {
    return this.destroyed;
  }
  destroy() {
    this.destroyed = true;
  }
  async loadURL(url: string) {
    this.loaded = url;
  }
  webContents = {
    print: (options: Record<string, unknown>, cb: (success: boolean, reason: string) => void) => {
      this.printOptions = options;
      cb(printOutcome.success, printOutcome.reason);
    },
  };
}
vi.mock('electron', () => ({ BrowserWindow: FakeWindow, session: {}, shell: {} }));

const { electronSystemPrinter } = await import('../../main/electron/system-printer');
const { renderSlipHtml, slipPageSizeMm } = await import('../../main/printing/slip-html');
const { demoSlip } = await import('../../main/printing/slip-text');
const { PrintError } = await import('../../main/printing/types');

const mainWindow = {
  isDestroyed: () => false,
  webContents: {
    getPrintersAsync: async () => [
      { name: 'Thermal80', displayName: 'Thermal 80', description: '', options: { 'printer-is-default': 'true' } },
      { name: 'Office_A4', displayName: 'Office A4', description: '', options: {} },
    ],
  },
};
const printer = electronSystemPrinter(() => mainWindow as never);

beforeEach(() => {
  created.length = 0;
  printOutcome = { success: true, reason: '' };
});

describe('system printer (Electron)', () => {
  it('lists the operating system printers', async () => {
    expect(await printer.list()).toEqual([
      { name: 'Thermal80', displayName: 'Thermal 80', isDefault: true },
      { name: 'Office_A4', displayName: 'Office A4', isDefault: false },
    ]);
  });

  it('prints silently on the named printer at the slip own page size, in a hidden window with no script, then closes it', async () => {
    const slip = demoSlip();
    const html = renderSlipHtml(slip, '80mm');
    await printer.print(html, { deviceName: 'Thermal80', paper: '80mm', timeoutMs: 2000 });
    const w = created[0]!;
    expect(w.options.show).toBe(false);
    expect(w.options.webPreferences).toMatchObject({
      javascript: false,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
    });
    expect(w.loaded).toMatch(/^data:text\/html/);
    const size = slipPageSizeMm(slip, '80mm');
    expect(w.printOptions).toMatchObject({
      silent: true,
      deviceName: 'Thermal80',
      margins: { marginType: 'none' },
      pageSize: { width: Math.round(size.widthMm * 1000), height: Math.round(size.heightMm * 1000) },
    });
    // never the A4 default
    expect((w.printOptions!.pageSize as { width: number }).width).toBe(80_000);
    expect(w.destroyed).toBe(true);
  });

  it('refuses a printer that is not installed, without opening a window', async () => {
    await expect(printer.print('<html></html>', { deviceName: 'Gone', paper: 'a5', timeoutMs: 1000 })).rejects.toMatchObject({
      code: 'printer_unreachable',
    });
    expect(created).toHaveLength(0);
  });

  it('turns a refusal of the print system into a driver error and still closes the window', async () => {
    printOutcome = { success: false, reason: 'Print job failed' };
    const err = await printer
      .print(renderSlipHtml(demoSlip(), 'a4'), { deviceName: 'Office_A4', paper: 'a4', timeoutMs: 1000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrintError);
    expect(err).toMatchObject({ code: 'driver_error' });
    expect(created[0]!.destroyed).toBe(true);
  });
});
