/**
 * ipcMain side of the contract: one handler per method, each checking that the call comes
 * from the app's own top frame before the dispatcher validates the payload. Each web contents
 * is its own client with its own session, ended when the web contents is destroyed.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent, type WebContents } from 'electron';
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

/** The client ID of a window's page: a reloaded page keeps it, a new window gets its own. */
export const electronClientId = (sender: Pick<WebContents, 'id'>): string => `electron:${sender.id}`;

export function registerIpc(
  dispatch: Dispatch,
  backend: CounterBackend,
  getWindow: () => BrowserWindow | null,
  appUrl: string,
): void {
  const known = new Set<string>();
  const clientOf = (sender: WebContents): string => {
    const clientId = electronClientId(sender);
    if (!known.has(clientId)) {
      known.add(clientId);
      // the window is gone: whoever was signed in at it is signed out
      sender.once('destroyed', () => {
        known.delete(clientId);
        backend.endSession(clientId);
      });
    }
    return clientId;
  };
  for (const method of METHOD_NAMES) {
    ipcMain.handle(ipcChannel(method), (event, payload: unknown) => {
      if (!isTrustedSender(event, getWindow(), appUrl)) {
        backend.log.warn({ method, url: event.senderFrame?.url }, 'IPC from an untrusted sender refused');
        return fail('FORBIDDEN', 'untrusted sender');
      }
      return dispatch(method, payload, clientOf(event.sender));
    });
  }
  backend.events.on('event', (e) => {
    const w = getWindow();
    if (w && !w.isDestroyed()) w.webContents.send(EVENT_CHANNEL, e);
  });
}
