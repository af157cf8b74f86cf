/**
 * The waiting hall's board: read-only, drawn from BoardView, English and Hindi together.
 * A `called` event shows the call at once (then the view is read again) and queues its
 * speech; `changed` reads the view. A recall shows the token again with one short highlight
 * (a single fade, nothing flashing) and is spoken again.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Bilingual, BoardApi, BoardCall, BoardView } from '../../../common/board';
import type { LaneName } from '../../../common/domain';
import { BoardRefusedError } from './http';
import { SpeechQueue, type AudioPlayer } from './sound';
import { announcement, BOARD_TEXT, LANE_TEXT, waitText } from './texts';

export interface BoardProps {
  api: BoardApi;
  player: AudioPlayer;
  /** the clock's tick (tests pass a slower one or none) */
  tickMs?: number;
}

function Both({ text, className }: { text: Bilingual; className?: string }) {
  return (
    <span className={className ? `board-both ${className}` : 'board-both'}>
      <span lang="en">{text.en}</span>
      <span lang="hi">{text.hi}</span>
    </span>
  );
}

/** The lane's shape, so the lane is told without colour: a diamond for priority, a circle for walk-in. */
export function LaneShape({ lane }: { lane: LaneName }) {
  return (
    <svg className="board-shape" viewBox="0 0 20 20" aria-hidden="true" data-shape={lane === 'priority' ? 'diamond' : 'circle'}>
      {lane === 'priority' ? <polygon points="10,1 19,10 10,19 1,10" /> : <circle cx="10" cy="10" r="8.5" />}
    </svg>
  );
}

/** The lane in words (both languages), colour and shape; `stacked`: the two languages one above the other. */
export function LaneBadge({ lane, stacked = false }: { lane: LaneName; stacked?: boolean }) {
  return (
    <span className={`board-lane board-lane--${lane}`} data-lane={lane}>
      <LaneShape lane={lane} />
      {stacked ? (
        <Both text={LANE_TEXT[lane]} />
      ) : (
        <>
          <span lang="en">{LANE_TEXT[lane].en}</span>
          <span className="board-sep" aria-hidden="true">
            ·
          </span>
          <span lang="hi">{LANE_TEXT[lane].hi}</span>
        </>
      )}
    </span>
  );
}

function formatDate(today: string, locale: string): string {
  const d = new Date(`${today}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return today;
  return new Intl.DateTimeFormat(locale, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(d);
}

function formatTime(ms: number): string {
  return new Intl.DateTimeFormat('en-IN', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(ms);
}

function Clock({ offsetMs, tickMs }: { offsetMs: number; tickMs: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (tickMs <= 0) return;
    const t = setInterval(() => setNow(Date.now()), tickMs);
    return () => clearInterval(t);
  }, [tickMs]);
  return (
    <time className="board-clock" data-testid="board-clock">
      {formatTime(now + offsetMs)}
    </time>
  );
}

type Status = 'loading' | 'ready' | 'refused';

/** a view that could not be read is read again after this long */
const RETRY_MS = 2000;

export function Board({ api, player, tickMs = 1000 }: BoardProps) {
  const [view, setView] = useState<BoardView | null>(null);
  const [status, setStatus] = useState<Status>('loading');
  const [offline, setOffline] = useState(false);
  const [soundLocked, setSoundLocked] = useState(() => !player.unlocked);
  const [failed, setFailed] = useState<string[]>([]);
  const [missed, setMissed] = useState<string[]>([]);
  const [pending, setPending] = useState(0);
  /** the call shown now when it came by an event before the view was read again */
  const [latest, setLatest] = useState<BoardCall | null>(null);
  const [announced, setAnnounced] = useState('');
  const [offsetMs, setOffsetMs] = useState(0);
  const [retries, setRetries] = useState(0);
  const viewRef = useRef<BoardView | null>(null);
  const readSeq = useRef(0);

  const queue = useMemo(
    () =>
      new SpeechQueue({
        speech: (id) => api.speech(id),
        player,
        onFailed: (call) => setFailed((f) => [...f.slice(-4), call.token]),
        onMissed: (call) => setMissed((m) => [...m.slice(-4), call.token]),
        onChange: (p) => setPending(p.length),
      }),
    [api, player],
  );
  useEffect(() => {
    queue.start();
    return () => queue.stop();
  }, [queue]);

  /** `called`: the call its event told of, which stays shown until a view has it (or a later event) */
  const read = useCallback(
    async (called?: BoardCall) => {
      const seq = ++readSeq.current;
      try {
        const v = await api.getView();
        // an older read answered after a newer one: the newer wins
        if (seq !== readSeq.current) return;
        viewRef.current = v;
        setView(v);
        setOffline(false);
        const known = (c: BoardCall | null) => c !== null && c.callId === called?.callId;
        if (!called || known(v.nowCalling) || v.recent.some(known)) setLatest(null);
        setStatus('ready');
        const parsed = Date.parse(v.now);
        if (!Number.isNaN(parsed)) setOffsetMs(parsed - Date.now());
      } catch (e) {
        if (e instanceof BoardRefusedError) setStatus('refused');
        else {
          setOffline(true);
          // the counter may be starting or busy: read again in a moment (unless a newer read came)
          setTimeout(() => {
            if (seq === readSeq.current) setRetries((n) => n + 1);
          }, RETRY_MS);
        }
      }
    },
    [api],
  );
  useEffect(() => {
    if (retries > 0) void read();
  }, [retries, read]);

  useEffect(() => {
    void read();
    const off = api.onEvent((event) => {
      setOffline(false);
      if (event.type === 'called') {
        setLatest(event.call);
        setAnnounced(announcement(event.call));
        const settings = viewRef.current?.speech ?? { enabled: true, order: 'hi-en', volume: 80, repeat: 1 };
        queue.enqueue(event.call, settings);
        void read(event.call);
      } else void read();
    });
    return off;
  }, [api, queue, read]);

  // sound may come on by itself (a desktop window allowed to play it): the queue then plays
  useEffect(() => {
    const t = setInterval(() => {
      if (player.unlocked) {
        setSoundLocked(false);
        void queue.unlock();
      }
    }, 1000);
    return () => clearInterval(t);
  }, [player, queue]);

  const turnOnSound = useCallback(() => {
    void queue.unlock().then(() => setSoundLocked(!player.unlocked));
  }, [queue, player]);

  if (status === 'refused') {
    return (
      <main className="board board--message" role="alert">
        <Both text={BOARD_TEXT.refused} className="board-message" />
      </main>
    );
  }
  if (!view) {
    return (
      <main className="board board--message">
        <Both text={BOARD_TEXT.loading} className="board-message" />
      </main>
    );
  }

  // a call just told by an event shows at once; the view read after it takes over
  const now = latest ?? view.nowCalling;
  const recent =
    latest && view.nowCalling && view.nowCalling.callId !== latest.callId
      ? [view.nowCalling, ...view.recent].slice(0, 5)
      : view.recent;

  let soundLine: ReactNode = null;
  const tokensLine = (label: Bilingual, tokens: string[], testId: string) => (
    <span className="board-status board-status--row" role="status" data-testid={testId}>
      <Both text={label} />
      <span className="board-status-tokens">{tokens.join(', ')}</span>
    </span>
  );
  if (!view.speech.enabled) soundLine = <Both text={BOARD_TEXT.soundOff} className="board-status" />;
  else if (failed.length > 0 || missed.length > 0)
    soundLine = (
      <>
        {failed.length > 0 && tokensLine(BOARD_TEXT.soundFailed, failed, 'board-sound-failed')}
        {missed.length > 0 && tokensLine(BOARD_TEXT.soundMissed, missed, 'board-sound-missed')}
      </>
    );

  return (
    <main className="board" data-testid="board">
      <header className="board-header">
        <h1 className="board-centre">
          <Both text={view.centre} />
        </h1>
        <div className="board-when">
          <span className="board-date" lang="en">
            {formatDate(view.today, 'en-IN')}
          </span>
          <span className="board-date" lang="hi">
            {formatDate(view.today, 'hi-IN')}
          </span>
          <Clock offsetMs={offsetMs} tickMs={tickMs} />
        </div>
      </header>

      <section className="board-now" aria-labelledby="board-now-title">
        <h2 id="board-now-title" className="board-heading">
          <Both text={BOARD_TEXT.nowCalling} />
        </h2>
        {now ? (
          <div
            key={now.callId}
            className={now.recall ? 'board-call board-call--fresh board-call--recall' : 'board-call board-call--fresh'}
            data-testid="board-now"
            data-call-id={now.callId}
          >
            <div className="board-token" data-testid="board-token">
              {now.token}
            </div>
            <div className="board-call-tags">
              <LaneBadge lane={now.lane} />
              {now.recall && <Both text={BOARD_TEXT.calledAgain} className="board-recall" />}
            </div>
            <div className="board-goto">
              <Both text={BOARD_TEXT.goTo} className="board-goto-label" />
              <Both text={now.destination} className="board-destination" />
            </div>
          </div>
        ) : (
          <Both text={BOARD_TEXT.nobodyCalled} className="board-idle" />
        )}
      </section>

      <section className="board-recent" aria-labelledby="board-recent-title">
        <h2 id="board-recent-title" className="board-heading">
          <Both text={BOARD_TEXT.recent} />
        </h2>
        {recent.length === 0 ? (
          <Both text={BOARD_TEXT.noneYet} className="board-idle" />
        ) : (
          <ol className="board-recent-list" data-testid="board-recent">
            {recent.map((c) => (
              <li key={c.callId} className="board-recent-item" data-lane={c.lane}>
                <span className="board-recent-token">{c.token}</span>
                <LaneShape lane={c.lane} />
                <Both text={c.destination} className="board-recent-dest" />
              </li>
            ))}
          </ol>
        )}
      </section>

      <section className="board-lanes" aria-label="Lanes / कतारें">
        {view.lanes.map((l) => (
          <div key={l.lane} className="board-lane-card" data-testid={`board-lane-${l.lane}`}>
            <LaneBadge lane={l.lane} stacked />
            <div className="board-lane-figures">
              <span className="board-figure">
                <Both text={BOARD_TEXT.waiting} className="board-figure-label" />
                <span className="board-figure-value">{l.waiting}</span>
              </span>
              <span className="board-figure">
                <Both text={BOARD_TEXT.estimatedWait} className="board-figure-label" />
                <Both text={waitText(l.estimatedWaitMinutes)} className="board-figure-value" />
              </span>
            </div>
          </div>
        ))}
      </section>

      <footer className="board-footer">
        {view.notice && (view.notice.en || view.notice.hi) && (
          <p className="board-notice" data-testid="board-notice">
            {view.notice.en && <span lang="en">{view.notice.en}</span>}
            {view.notice.hi && <span lang="hi">{view.notice.hi}</span>}
          </p>
        )}
        {offline && <Both text={BOARD_TEXT.offline} className="board-status" />}
        {soundLine}
      </footer>

      <div className="board-live" aria-live="assertive" aria-atomic="true" data-testid="board-live">
        {announced}
      </div>

      {soundLocked && view.speech.enabled && (
        <button
          type="button"
          className="board-sound-button"
          onClick={turnOnSound}
          data-testid="board-sound"
          data-pending={pending}
        >
          <span lang="en">{BOARD_TEXT.soundOn.en}</span>
          <span lang="hi">{BOARD_TEXT.soundOn.hi}</span>
          <small>
            <span lang="en">{BOARD_TEXT.soundWhy.en}</span> <span lang="hi">{BOARD_TEXT.soundWhy.hi}</span>
          </small>
        </button>
      )}
    </main>
  );
}
