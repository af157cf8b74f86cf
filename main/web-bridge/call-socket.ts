/**
 * The page's calls and main's events on one WebSocket (`/socket`) of the web bridge. A call
 * over HTTP costs the browser a request of its own each time (5 to 20 ms on a busy counter
 * PC, for a handler of 1 to 3 ms); a message on a socket that stays open costs well under one.
 * One socket also keeps the order main made things in: a call's own `changed` event reaches
 * the page before the call's answer, as it does over Electron's IPC.
 *
 * Page to bridge: `{ "id": n, "method": "...", "payload": ... }`, one call a message (the
 * dispatcher checks the method and its payload, as for IPC). Bridge to page: `{ "id": n,
 * "result": ... }` for each call, and `{ "event": ... }` for each of main's events. A message
 * that is not a call closes the socket (1008); one over the size limit too (1009).
 *
 * Who may open it is the server's business (the session cookie, the page's own origin): see
 * server.ts. Each socket is bound to the session that opened it.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { z } from 'zod';

export const SOCKET_PATH = '/socket';

const callSchema = z
  .object({
    id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    method: z.string().max(64),
    payload: z.unknown(),
  })
  .strict();

export interface CallSocketOptions {
  /** the longest message taken (a roster file is the largest call) */
  maxPayload: number;
  dispatch: (method: string, payload: unknown, clientId: string) => Promise<unknown>;
  /** a call whose answer could not be sent, or a failure of the dispatcher */
  onError: (e: unknown) => void;
}

export interface CallSocket {
  /** Takes over an upgrade request already let in: its socket serves `clientId`'s calls. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, clientId: string): void;
  /** Sends one of main's events to every open socket. */
  broadcast(event: unknown): void;
  /** The sockets open now (tests). */
  readonly open: number;
  close(): void;
}

export function createCallSocket(o: CallSocketOptions): CallSocket {
  const server = new WebSocketServer({
    noServer: true,
    maxPayload: o.maxPayload,
    perMessageDeflate: false,
    clientTracking: false,
  });
  const sockets = new Set<WebSocket>();

  const serve = (ws: WebSocket, clientId: string) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    // a broken connection (or a message over the limit, which ws closes with 1009) ends only this socket
    ws.on('error', () => ws.terminate());
    ws.on('message', (data: RawData, isBinary: boolean) => {
      let call: z.infer<typeof callSchema>;
      try {
        if (isBinary) throw new Error('binary');
        call = callSchema.parse(JSON.parse(rawText(data)));
      } catch {
        ws.close(1008, 'not a call');
        return;
      }
      o.dispatch(call.method, call.payload, clientId)
        .then((result) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: call.id, result }));
        })
        .catch((e: unknown) => {
          o.onError(e);
          ws.close(1011, 'internal error');
        });
    });
  };

  return {
    accept(req, socket, head, clientId) {
      server.handleUpgrade(req, socket, head, (ws) => serve(ws, clientId));
    },
    broadcast(event) {
      if (sockets.size === 0) return;
      const text = JSON.stringify({ event });
      for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
    },
    get open() {
      return sockets.size;
    },
    close() {
      for (const ws of sockets) ws.terminate();
      sockets.clear();
      server.close();
    },
  };
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}
