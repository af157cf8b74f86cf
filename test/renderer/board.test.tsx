// @vitest-environment jsdom
// The waiting hall's board page: drawn from BoardView in English and Hindi together, told of
// calls by events, and speaking each call in order through a queue that drops nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { BoardApi, BoardCall, BoardEvent, BoardView, SpeechSettings } from '../../common/board';
import { Board } from '../../renderer/src/board/Board';
import { boardKeyFromHash, BoardRefusedError, httpBoardApi } from '../../renderer/src/board/http';
import { colourPairs, contrastRatio } from '../../renderer/src/board/palette';
import { SpeechQueue, type AudioPlayer } from '../../renderer/src/board/sound';

afterEach(cleanup);

const SPEECH: SpeechSettings = { enabled: true, order: 'hi-en', volume: 80, repeat: 1 };

function call(n: number, over: Partial<BoardCall> = {}): BoardCall {
  const token = `A-P${String(n).padStart(3, '0')}`;
  return {
    callId: `call-${n}`,
    ticketId: `t-${n}`,
    token,
    lane: 'priority',
    counterCode: 'A1',
    destination: { en: 'Counter A1', hi: 'काउंटर A1' },
    calledAt: '2026-12-05T10:00:00.000Z',
    recall: false,
    ...over,
  };
}

function view(over: Partial<BoardView> = {}): BoardView {
  return {
    centre: { en: 'PHC Rampur', hi: 'पीएचसी रामपुर' },
    today: '2026-12-05',
    now: '2026-12-05T10:00:00.000Z',
    nowCalling: null,
    recent: [],
    lanes: [
      { lane: 'priority', waiting: 12, estimatedWaitMinutes: 15 },
      { lane: 'walkin', waiting: 3, estimatedWaitMinutes: null },
    ],
    notice: null,
    speech: SPEECH,
    ...over,
  };
}

/** A BoardApi whose view the test sets and whose events the test sends. */
function fakeApi(initial: BoardView) {
  let current = initial;
  const listeners = new Set<(e: BoardEvent) => void>();
  const spoken: string[] = [];
  const api: BoardApi = {
    getView: () => Promise.resolve(current),
    onEvent: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    speech: (id) => {
      spoken.push(id);
      return Promise.resolve(new TextEncoder().encode(id).buffer);
    },
  };
  return {
    api,
    spoken,
    setView: (v: BoardView) => (current = v),
    send: (e: BoardEvent) => act(() => listeners.forEach((l) => l(e))),
  };
}

/** Plays nothing: records what it was given, in order; `unlocked` as the test sets it. */
class FakePlayer implements AudioPlayer {
  played: string[] = [];
  volumes: number[] = [];
  unlocked: boolean;
  /** each play takes this long (ms) */
  constructor(
    unlocked = true,
    private readonly playMs = 0,
  ) {
    this.unlocked = unlocked;
  }
  unlock() {
    this.unlocked = true;
    return Promise.resolve();
  }
  async play(wav: ArrayBuffer, volume: number) {
    this.played.push(new TextDecoder().decode(wav));
    this.volumes.push(volume);
    if (this.playMs) await new Promise((r) => setTimeout(r, this.playMs));
  }
}

describe('board page', () => {
  it('shows English and Hindi together: centre, headings, lanes with words and shape, wait', async () => {
    const { api } = fakeApi(view({ nowCalling: call(17), recent: [call(16, { lane: 'walkin', token: 'B-W004' })] }));
    render(<Board api={api} player={new FakePlayer()} tickMs={0} />);
    await screen.findByTestId('board-token');
    expect(screen.getByText('PHC Rampur')).toBeTruthy();
    expect(screen.getByText('पीएचसी रामपुर')).toBeTruthy();
    expect(screen.getByText('Now calling')).toBeTruthy();
    expect(screen.getByText('अभी बुलाया जा रहा है')).toBeTruthy();
    expect(screen.getByTestId('board-token').textContent).toBe('A-P017');
    const now = screen.getByTestId('board-now');
    expect(within(now).getByText('Priority (online)')).toBeTruthy();
    expect(within(now).getByText('प्राथमिकता (ऑनलाइन)')).toBeTruthy();
    expect(within(now).getByText('Counter A1')).toBeTruthy();
    expect(within(now).getByText('काउंटर A1')).toBeTruthy();
    // the lane by shape as well as words and colour
    expect(now.querySelector('[data-lane="priority"] svg[data-shape="diamond"]')).not.toBeNull();
    expect(screen.getByTestId('board-recent').querySelector('svg[data-shape="circle"]')).not.toBeNull();
    const walkin = screen.getByTestId('board-lane-walkin');
    expect(within(walkin).getByText('Walk-in')).toBeTruthy();
    expect(within(walkin).getByText('वॉक-इन')).toBeTruthy();
    expect(within(walkin).getByText('3')).toBeTruthy();
    expect(within(walkin).getByText('not known yet')).toBeTruthy();
    const priority = screen.getByTestId('board-lane-priority');
    expect(within(priority).getByText('about 15 min')).toBeTruthy();
    expect(within(priority).getByText('लगभग 15 मिनट')).toBeTruthy();
    // a date in both languages
    expect(document.querySelectorAll('.board-date[lang="hi"]')[0]!.textContent).toMatch(/दिसंबर/);
  });

  it('shows the notice as text: markup in it is not markup', async () => {
    const notice = {
      en: 'Bring your photo ID <img src=x onerror=alert(1)><b>now</b>',
      hi: 'अपना फ़ोटो पहचान पत्र साथ लाएँ <script>x</script>',
    };
    const { api } = fakeApi(view({ notice }));
    render(<Board api={api} player={new FakePlayer()} tickMs={0} />);
    const shown = await screen.findByTestId('board-notice');
    expect(shown.textContent).toContain(notice.en);
    expect(shown.textContent).toContain(notice.hi);
    expect(shown.querySelector('img, b, script')).toBeNull();
  });

  it('shows a call at once from its event, announces it, speaks it; a recall is shown again and spoken again', async () => {
    const fake = fakeApi(view());
    const player = new FakePlayer();
    render(<Board api={fake.api} player={player} tickMs={0} />);
    await screen.findByText('Please wait for your token to be called');
    // the view is not read again yet: the event alone shows the call
    fake.send({ type: 'called', call: call(17) });
    expect(screen.getByTestId('board-token').textContent).toBe('A-P017');
    const live = screen.getByTestId('board-live');
    expect(live.getAttribute('aria-live')).toBe('assertive');
    expect(live.textContent).toContain('Token A-P017');
    expect(live.textContent).toContain('टोकन A-P017');
    expect(live.textContent).toContain('Counter A1');
    fake.setView(view({ nowCalling: call(17) }));
    await waitFor(() => expect(player.played).toEqual(['call-17']));
    const first = screen.getByTestId('board-now');
    expect(first.className).toContain('board-call--fresh');
    expect(first.className).not.toContain('board-call--recall');

    const again = call(17, { callId: 'call-17b', recall: true });
    fake.setView(view({ nowCalling: again }));
    fake.send({ type: 'called', call: again });
    const shown = screen.getByTestId('board-now');
    // a new element: its one highlight runs again
    expect(shown).not.toBe(first);
    expect(shown.getAttribute('data-call-id')).toBe('call-17b');
    expect(shown.className).toContain('board-call--recall');
    expect(within(shown).getByText('Called again')).toBeTruthy();
    expect(within(shown).getByText('फिर से बुलाया गया')).toBeTruthy();
    expect(live.textContent).toContain('Called again');
    await waitFor(() => expect(player.played).toEqual(['call-17', 'call-17b']));
    // the WAV holds the set volume and repeats: it is played once, as it is
    expect(player.volumes).toEqual([1, 1]);
  });

  it('reads the view again on `changed`: a no-show takes the token off', async () => {
    const fake = fakeApi(view({ nowCalling: call(17) }));
    render(<Board api={fake.api} player={new FakePlayer()} tickMs={0} />);
    await screen.findByTestId('board-token');
    fake.setView(view({ nowCalling: null, recent: [] }));
    fake.send({ type: 'changed' });
    await waitFor(() => expect(screen.queryByTestId('board-token')).toBeNull());
  });

  it('in a browser asks for one click before sound, and plays every call that waited, in order', async () => {
    const fake = fakeApi(view());
    const player = new FakePlayer(false);
    render(<Board api={fake.api} player={player} tickMs={0} />);
    const button = await screen.findByTestId('board-sound');
    expect(button.textContent).toContain('Click to turn on sound');
    expect(button.textContent).toContain('आवाज़ चालू करने के लिए क्लिक करें');
    fake.send({ type: 'called', call: call(1) });
    fake.send({ type: 'called', call: call(2) });
    await new Promise((r) => setTimeout(r, 20));
    expect(player.played).toEqual([]);
    fireEvent.click(button);
    await waitFor(() => expect(player.played).toEqual(['call-1', 'call-2']));
    await waitFor(() => expect(screen.queryByTestId('board-sound')).toBeNull());
  });

  it('a view that cannot be read (the counter starting) is read again, and the board comes up', async () => {
    const fake = fakeApi(view({ nowCalling: call(17) }));
    let fails = 1;
    const api: BoardApi = {
      ...fake.api,
      getView: () => (fails-- > 0 ? Promise.reject(new Error('connection refused')) : fake.api.getView()),
    };
    render(<Board api={api} player={new FakePlayer()} tickMs={0} />);
    expect((await screen.findByTestId('board-token', {}, { timeout: 5000 })).textContent).toBe('A-P017');
  });

  it('with a refused key says the board link is not valid, in both languages', async () => {
    const api: BoardApi = {
      getView: () => Promise.reject(new BoardRefusedError()),
      onEvent: () => () => undefined,
      speech: () => Promise.reject(new BoardRefusedError()),
    };
    render(<Board api={api} player={new FakePlayer()} tickMs={0} />);
    expect((await screen.findByRole('alert')).textContent).toMatch(/board link is not valid.*बोर्ड लिंक मान्य नहीं/s);
  });
});

describe('speech queue', () => {
  it('plays calls that come faster than they are spoken in order, dropping none, each WAV once as it is', async () => {
    const player = new FakePlayer(true, 5);
    // speech answers out of order: the later calls' audio arrives first
    const queue = new SpeechQueue({
      speech: (id) => new Promise((r) => setTimeout(() => r(new TextEncoder().encode(id).buffer), id === 'call-0' ? 30 : 1)),
      player,
    });
    // the WAV holds the repeats and the volume of the settings (main/speech/compose.ts): not applied again
    for (let i = 0; i < 10; i++) queue.enqueue(call(i), { ...SPEECH, repeat: i === 3 ? 2 : 1, volume: 50 });
    await waitFor(() => expect(queue.pending()).toHaveLength(0), { timeout: 3000 });
    expect(player.played).toEqual(Array.from({ length: 10 }, (_, i) => `call-${i}`));
    expect(new Set(player.volumes)).toEqual(new Set([1]));
  });

  it('tries a failed speech fetch once more, reports one that fails twice, and goes on with the next', async () => {
    const player = new FakePlayer();
    const tries = new Map<string, number>();
    const failed: string[] = [];
    const queue = new SpeechQueue({
      speech: (id) => {
        tries.set(id, (tries.get(id) ?? 0) + 1);
        if (id === 'call-1' && tries.get(id) === 1) return Promise.reject(new Error('lost'));
        if (id === 'call-2') return Promise.reject(new Error('gone'));
        return Promise.resolve(new TextEncoder().encode(id).buffer);
      },
      player,
      onFailed: (c) => failed.push(c.callId),
    });
    for (let i = 1; i <= 3; i++) queue.enqueue(call(i), SPEECH);
    await waitFor(() => expect(queue.pending()).toHaveLength(0));
    expect(player.played).toEqual(['call-1', 'call-3']);
    expect(failed).toEqual(['call-2']);
  });

  it('calls that waited for the click longer than staleMs are told as missed, the rest spoken in order', async () => {
    const player = new FakePlayer(false);
    let now = 0;
    const missed: string[] = [];
    const queue = new SpeechQueue({
      speech: (id) => Promise.resolve(new TextEncoder().encode(id).buffer),
      player,
      staleMs: 60_000,
      now: () => now,
      onMissed: (c) => missed.push(c.callId),
    });
    queue.enqueue(call(1), SPEECH);
    now = 50_000;
    queue.enqueue(call(2), SPEECH);
    now = 90_000;
    queue.enqueue(call(3), SPEECH);
    await new Promise((r) => setTimeout(r, 10));
    expect(player.played).toEqual([]);
    await queue.unlock();
    await waitFor(() => expect(queue.pending()).toHaveLength(0));
    expect(missed).toEqual(['call-1']);
    expect(player.played).toEqual(['call-2', 'call-3']);
    // once sound is on, a call is spoken however long the queue before it took
    now = 10_000_000;
    queue.enqueue(call(4), SPEECH);
    await waitFor(() => expect(player.played).toEqual(['call-2', 'call-3', 'call-4']));
  });

  it('queues nothing when speech is off', () => {
    const player = new FakePlayer();
    const queue = new SpeechQueue({ speech: () => Promise.resolve(new ArrayBuffer(1)), player });
    queue.enqueue(call(1), { ...SPEECH, enabled: false });
    expect(queue.pending()).toEqual([]);
  });
});

describe('board colours', () => {
  it('every text colour on its background reaches WCAG AA (4.5:1)', () => {
    for (const p of colourPairs()) expect(contrastRatio(p.text, p.background), p.name).toBeGreaterThanOrEqual(4.5);
    expect(contrastRatio('#ffffff', '#000000')).toBeCloseTo(21, 5);
    expect(contrastRatio('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });
});

describe('board over HTTP', () => {
  it('takes the key from the fragment only when it looks like one', () => {
    expect(boardKeyFromHash('#key=abcdefghijklmnop_-123')).toBe('abcdefghijklmnop_-123');
    expect(boardKeyFromHash('#key=short')).toBeNull();
    expect(boardKeyFromHash('#key=<script>alert(1)</script>xxxxxxxx')).toBeNull();
    expect(boardKeyFromHash('')).toBeNull();
  });

  it('sends the key in its header, turns 401 into a refusal, and reads events from the stream', async () => {
    const seen: Array<{ url: string; key: string | null }> = [];
    const encoder = new TextEncoder();
    const fetchFake = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      const key = new Headers(init?.headers).get('x-board-key');
      seen.push({ url, key });
      if (key !== 'good-key-0123456789') return new Response('no', { status: 401 });
      if (url.endsWith('/board/events')) {
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(encoder.encode(': connected\n\ndata: {"type":"called","call":'));
            c.enqueue(encoder.encode(`${JSON.stringify(call(5))}}\n\ndata: {"type":"changed"}\n\ndata: {"type":"bogus"}\n\n`));
          },
        });
        return new Response(body, { status: 200 });
      }
      return new Response(JSON.stringify(view()), { status: 200 });
    }) as typeof fetch;
    const bad = httpBoardApi({ key: 'wrong-key-0123456789', fetch: fetchFake });
    await expect(bad.getView()).rejects.toBeInstanceOf(BoardRefusedError);
    const good = httpBoardApi({ key: 'good-key-0123456789', fetch: fetchFake });
    expect((await good.getView()).centre.en).toBe('PHC Rampur');
    const events: BoardEvent[] = [];
    const off = good.onEvent((e) => events.push(e));
    await waitFor(() => expect(events).toHaveLength(3));
    off();
    // opening the stream reads the view again (what was said while it was not open is not missed)
    expect(events[0]).toEqual({ type: 'changed' });
    expect(events[1]).toEqual({ type: 'called', call: call(5) });
    expect(events[2]).toEqual({ type: 'changed' });
    expect(seen.every((s) => s.url.startsWith('/board/'))).toBe(true);
  });
});

describe('board page mounted twice (React StrictMode)', () => {
  it('still speaks calls after its effects ran, were cleaned up and ran again', async () => {
    const { StrictMode } = await import('react');
    const fake = fakeApi(view());
    const player = new FakePlayer();
    render(
      <StrictMode>
        <Board api={fake.api} player={player} tickMs={0} />
      </StrictMode>,
    );
    await screen.findByText('Please wait for your token to be called');
    fake.send({ type: 'called', call: call(9) });
    await waitFor(() => expect(player.played).toEqual(['call-9']));
  });
});
