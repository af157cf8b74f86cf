/**
 * Slips on the operating system's printers (office printers, or thermal printers with a
 * driver): the slip's HTML is loaded in a hidden window that runs no script, and printed
 * silently on the printer chosen in settings, at the slip's own page size. Without a page
 * size Electron prints A4, and without a device name it prints on the default printer.
 */
import { BrowserWindow } from 'electron';
import { pageSizeOfSlipHtml } from '../printing/slip-html';
import { PAGE_HEIGHT_MM, PAGE_WIDTH_MM, PrintError, type PaperSize, type SystemPrinter } from '../printing/types';
import { SECURE_WEB_PREFERENCES } from './security';

/** A thermal roll has no page length: the page is as long as this slip (the HTML says how long). */
function pageSizeMicrons(html: string, paper: PaperSize): { width: number; height: number } {
  const own = pageSizeOfSlipHtml(html);
  const widthMm = own?.widthMm ?? PAGE_WIDTH_MM[paper];
  const heightMm = own?.heightMm ?? PAGE_HEIGHT_MM[paper] ?? 200;
  return { width: Math.round(widthMm * 1000), height: Math.round(heightMm * 1000) };
}

export function electronSystemPrinter(getWindow: () => BrowserWindow | null): SystemPrinter {
  const printers = async () => {
    const w = getWindow();
    if (!w || w.isDestroyed()) return [];
    return w.webContents.getPrintersAsync();
  };
  return {
    async list() {
      return (await printers()).map((p) => ({
        name: p.name,
        displayName: p.displayName || p.name,
        isDefault: (p.options as Record<string, string> | undefined)?.['printer-is-default'] === 'true',
      }));
    },
    async print(html, { deviceName, paper, timeoutMs }) {
      if (!(await printers()).some((p) => p.name === deviceName)) {
        throw new PrintError('printer_unreachable', `the printer "${deviceName}" is not installed on this PC`);
      }
      const win = new BrowserWindow({
        show: false,
        webPreferences: { ...SECURE_WEB_PREFERENCES, javascript: false, devTools: false },
      });
      const timer = setTimeout(() => {
        if (!win.isDestroyed()) win.destroy();
      }, timeoutMs);
      try {
        await win.loadURL(`data:text/html;charset=utf-8;base64,${Buffer.from(html, 'utf8').toString('base64')}`);
        await new Promise<void>((ok, bad) => {
          win.webContents.print(
            {
              silent: true,
              deviceName,
              printBackground: true,
              margins: { marginType: 'none' },
              pageSize: pageSizeMicrons(html, paper),
            },
            (success, failureReason) =>
              success
                ? ok()
                : bad(new PrintError('driver_error', `the print system refused the slip: ${failureReason || 'no reason given'}`)),
          );
        });
      } catch (e) {
        if (e instanceof PrintError) throw e;
        throw new PrintError(win.isDestroyed() ? 'printer_timeout' : 'driver_error', e instanceof Error ? e.message : String(e));
      } finally {
        clearTimeout(timer);
        if (!win.isDestroyed()) win.destroy();
      }
    },
  };
}
