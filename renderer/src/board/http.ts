/**
 * The board's BoardApi in a browser: the web bridge's /board routes, with the board's own
 * read-only key (from the address's #key=…, which a browser never sends to a server or in a
 * Referer) in the X-Board-Key header. The events come as a server-sent event stream read
 * with fetch (EventSource cannot send a header); when it breaks it is opened again, and the
 * board is told `changed` so it reads the view it may have missed.
 */
import {
  BOARD_SPEECH_PATH,
  boardCallSchema,
  boardViewSchema,
  type BoardApi,
  type BoardEvent,
  type BoardView,
} from '../../../common/board';

export const BOARD_KEY_HEADER = 'x-board-key';

/** The key in an address's fragment (`#key=…`), or null. */
export function boardKeyFromHash(hash: string): string | null {
  const key = new URLSearchParams(hash.replace(/^#/, '')).get('key');
  return key && /^[A-Za-z0-9_-]{16,200}$/.test(key) ? key : null;
}

/** The server refused the board's key: the link is wrong (or of an earlier run of the counter). */
export class BoardRefusedError extends Error {
  constructor() {
    super('the board key was refused');
    this.name = 'BoardRefusedError';
  }
}

export interface HttpBoardOptions {
  key: string;
  /** '' for the page's own origin */
  base?: string;
  fetch?: typeof fetch;
  /** first wait before opening the event stream again (doubles to 10 s) */
  retryMs?: number;
  /** told when the event stream is lost (true) and back (false) */
  onConnection?(lost: boolean): void;
}

function parseEvent(data: string): BoardEvent | null {
  try {
    const v = JSON.parse(data) as unknown;
    if (typeof v !== 'object' || v === null) return null;
    const t = (v as { type?: unknown }).type;
    if (t === 'changed') return { type: 'changed' };
    if (t === 'called') {
      const parsed = boardCallSchema.safeParse((v as { call?: unknown }).call);
      return parsed.success ? { type: 'called', call: parsed.data } : null;
    }
    return null;
  } catch {
    return null;
  }
}

export function httpBoardApi(options: HttpBoardOptions): BoardApi {
  const base = options.base ?? '';
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const headers = { [BOARD_KEY_HEADER]: options.key };

  async function get(path: string): Promise<Response> {
    const res = await doFetch(`${base}${path}`, { headers, cache: 'no-store', credentials: 'omit' });
    if (res.status === 401 || res.status === 403) throw new BoardRefusedError();
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    return res;
  }

  return {
    async getView(): Promise<BoardView> {
      const res = await get('/board/view');
      return boardViewSchema.parse(await res.json());
    },
    async speech(callId: string): Promise<ArrayBuffer> {
      const res = await get(`${BOARD_SPEECH_PATH}${encodeURIComponent(callId)}`);
      return await res.arrayBuffer();
    },
    onEvent(listener: (event: BoardEvent) => void): () => void {
      let closed = false;
      let controller: AbortController | null = null;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let wait = options.retryMs ?? 1000;

      const open = async (): Promise<void> => {
        controller = new AbortController();
        try {
          const res = await doFetch(`${base}/board/events`, {
            headers: { ...headers, accept: 'text/event-stream' },
            cache: 'no-store',
            credentials: 'omit',
            signal: controller.signal,
          });
          if (res.status === 401 || res.status === 403) {
            listener({ type: 'changed' }); // the view read then shows the refusal
            return;
          }
          if (!res.ok || !res.body) throw new Error(`events: ${res.status}`);
          // open (or back after a break): the view is read again, so nothing said meanwhile is missed
          listener({ type: 'changed' });
          options.onConnection?.(false);
          wait = options.retryMs ?? 1000;
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            let end: number;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const data = block
                .split('\n')
                .filter((l) => l.startsWith('data:'))
                .map((l) => l.slice(5).trimStart())
                .join('\n');
              if (!data) continue;
              const event = parseEvent(data);
              if (event) listener(event);
            }
          }
        } catch {
          // lost: opened again below
        }
        if (closed) return;
        options.onConnection?.(true);
        timer = setTimeout(() => void open(), wait);
        wait = Math.min(wait * 2, 10_000);
      };
      void open();
      return () => {
        closed = true;
        clearTimeout(timer);
        controller?.abort();
      };
    },
  };
}
