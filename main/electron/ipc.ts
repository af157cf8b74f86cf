/**
 * ipcMain side of the contract: one handler per method, each checking that the call comes
 * from the app's own top frame before the dispatcher validates the payload.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { EVENT_CHANNEL, ipcChannel, METHOD_NAMES } from '../../common/contract';
import { fail } from '../../common/result';
import type { Dispatch } from '../ipc/dispatcher';
import type { CounterBackend } from '../counter';
import { isAppUrl } from './security';

export function isTrustedSender(event: IpcMainInvokeEvent, window: BrowserWindow | null, appUrl: string): boolean {
  const frame = event.senderFrame;
  if (!window || window.isDestroyed() || !frame) return false;
  return event.sender === window.webContents && frame === event.sender.mainFrame && isAppUrl(frame.url, appUrl);
}

export function registerIpc(
  dispatch: Dispatch,
  backend: CounterBackend,
  getWindow: () => BrowserWindow | null,
  appUrl: string,
): void {
  for (const method of METHOD_NAMES) {
    ipcMain.handle(ipcChannel(method), (event, payload: unknown) => {
      if (!isTrustedSender(event, getWindow(), appUrl)) {
        backend.log.warn({ method, url: event.senderFrame?.url }, 'IPC from an untrusted sender refused');
        return fail('FORBIDDEN', 'untrusted sender');
      }
      return dispatch(method, payload);
    });
  }
  backend.events.on('event', (e) => {
    const w = getWindow();
    if (w && !w.isDestroyed()) w.webContents.send(EVENT_CHANNEL, e);
  });
}
