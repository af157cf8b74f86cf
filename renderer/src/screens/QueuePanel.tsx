import { memo, useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { LaneName, TicketView, UploadState } from '../../../common/domain';
import { Kbd } from '../components/Kbd';
import { Notice } from '../components/Notice';
import { tDynamic } from '../i18n';
import { dialogOpen, focusPrimary, isTypingTarget } from '../focus';
import { latestJobFor, printerConfigured } from '../printing';
import { useCounter, waitingCount, type QueueAnswer, type QueueNotice } from '../store';
import { CancelDialog } from './CancelDialog';
import { ServeDialog } from './ServeDialog';

const NOTICE_MS = 15_000;
const NO_TICKETS: TicketView[] = [];

function waitMinutes(queue: QueueAnswer, ticket: TicketView): number {
  const ms = Date.parse(queue.now) - Date.parse(ticket.queuedAt);
  return Number.isFinite(ms) ? Math.max(0, Math.floor(ms / 60_000)) : 0;
}

/** A different shape for each upload state, so it reads without colour too. */
const UPLOAD_MARK: Record<UploadState, string> = { uploaded: '✓', waiting: '↑', attention: '!', dismissed: '–' };

/**
 * Whether this ticket's records have reached the portal. "Uploaded" is a quiet tick (its words
 * for screen readers); anything else says so in words.
 */
function UploadMark({ ticket }: { ticket: TicketView }) {
  const { t } = useTranslation();
  const state = useCounter((s) => s.queue?.uploads[ticket.id]);
  if (!state) return null;
  const words = t(`queue.upload.${state}`);
  return (
    <span className={`upload-mark upload-${state}`} data-testid="upload-mark" data-state={state} title={words}>
      <span aria-hidden="true">{UPLOAD_MARK[state]}</span>
      <span className={state === 'uploaded' ? 'visually-hidden' : undefined}> {words}</span>
    </span>
  );
}

function Badges({ ticket }: { ticket: TicketView }) {
  const { t } = useTranslation();
  const slip = useCounter((s) => latestJobFor(s.printJobs, ticket.id));
  return (
    <>
      <UploadMark ticket={ticket} />
      {!ticket.verified ? <span className="badge badge-unverified">{t('queue.badgeUnverified')}</span> : null}
      {ticket.late ? <span className="badge badge-late">{t('queue.badgeLate')}</span> : null}
      {ticket.recallCount > 0 ? <span className="badge">{t('queue.badgeRecalled', { count: ticket.recallCount })}</span> : null}
      {slip?.status === 'failed' ? (
        <span className="badge badge-slip-failed" data-testid="slip-badge" data-status="failed">
          {t('queue.badgeSlipFailed')}
        </span>
      ) : null}
    </>
  );
}

/** Prints or reprints a ticket's slip from the queue; main records the reprint. */
function SlipButton({ ticket, onPrint, withKey }: { ticket: TicketView; onPrint: (t: TicketView) => void; withKey?: boolean }) {
  const { t } = useTranslation();
  const configured = useCounter((s) => printerConfigured(s.appState?.printing));
  const slip = useCounter((s) => latestJobFor(s.printJobs, ticket.id));
  if (!configured) return null;
  const busy = slip?.status === 'queued' || slip?.status === 'printing';
  return (
    <button type="button" data-testid="slip-button" disabled={busy} onClick={() => onPrint(ticket)}>
      {busy ? t('queue.slipPrinting') : slip ? t('queue.reprintSlip') : t('queue.printSlip')}
      {withKey ? <Kbd>P</Kbd> : null}
    </button>
  );
}

/** Waiting tickets drawn in a lane before "show all": the operator calls from the head of the lane. */
const LANE_FIRST = 10;
/** "Show all" draws rows of one height in a scrolling box, only those in view (and a few around). */
const ROW_PX = 36;
const VIEW_ROWS = 10;
const OVERSCAN = 6;

interface RowActions {
  onToggle: (id: string) => void;
  onCall: (t: TicketView) => void;
  onCancel: (t: TicketView) => void;
  onPrint: (t: TicketView) => void;
}

/** What a waiting row shows: a new answer from main with the same values draws nothing again. */
const sameWaiting = (a: TicketView, b: TicketView) =>
  a === b ||
  (a.id === b.id &&
    a.token === b.token &&
    a.name === b.name &&
    a.verified === b.verified &&
    a.late === b.late &&
    a.recallCount === b.recallCount &&
    a.status === b.status);

function TicketActions({ ticket, onCall, onCancel, onPrint }: { ticket: TicketView } & Omit<RowActions, 'onToggle'>) {
  const { t } = useTranslation();
  return (
    <div className="ticket-actions">
      <button type="button" className="primary" data-testid="call-this-token" onClick={() => onCall(ticket)}>
        {t('queue.callThis')}
      </button>
      <button type="button" data-testid="cancel-button" onClick={() => onCancel(ticket)}>
        {t('queue.cancel')}
      </button>
      <SlipButton ticket={ticket} onPrint={onPrint} />
    </div>
  );
}

interface WaitingRowProps extends RowActions {
  ticket: TicketView;
  isNext: boolean;
  open: boolean;
  waitMin: number;
  /** in the scrolling list: its place (px from the top) and its number in the lane; the actions show under the list */
  at?: { top: number; index: number; size: number };
}

const WaitingRow = memo(
  function WaitingRow({ ticket, isNext, open, waitMin, at, ...actions }: WaitingRowProps) {
    const { t } = useTranslation();
    return (
      <li
        className={`ticket${isNext ? ' ticket-next' : ''}${at ? ' ticket-fixed' : ''}`}
        data-testid="waiting-ticket"
        data-token={ticket.token}
        data-ticket-id={ticket.id}
        style={at ? { top: at.top, height: ROW_PX } : undefined}
        aria-setsize={at?.size}
        aria-posinset={at ? at.index + 1 : undefined}
      >
        <button type="button" className="ticket-row" aria-expanded={open} onClick={() => actions.onToggle(ticket.id)}>
          <span className="token">{ticket.token}</span>
          <span className="ticket-name">{ticket.name}</span>
          <Badges ticket={ticket} />
          <span className="wait">{t('queue.wait', { count: waitMin })}</span>
        </button>
        {open && !at ? <TicketActions ticket={ticket} {...actions} /> : null}
      </li>
    );
  },
  (a, b) =>
    sameWaiting(a.ticket, b.ticket) &&
    a.isNext === b.isNext &&
    a.open === b.open &&
    a.waitMin === b.waitMin &&
    a.at?.top === b.at?.top &&
    a.at?.size === b.at?.size &&
    a.onToggle === b.onToggle &&
    a.onCall === b.onCall &&
    a.onCancel === b.onCancel &&
    a.onPrint === b.onPrint,
);

/** Everyone waiting in a lane, in a box that draws only the rows in view: its cost does not grow with the lane. */
function AllWaiting({
  lane,
  queue,
  expanded,
  actions,
}: {
  lane: LaneName;
  queue: QueueAnswer;
  expanded: string | null;
  actions: RowActions;
}) {
  const { t } = useTranslation();
  const waiting = queue.waiting[lane];
  const [scrollTop, setScrollTop] = useState(0);
  const first = Math.max(0, Math.floor(scrollTop / ROW_PX) - OVERSCAN);
  const last = Math.min(waiting.length, Math.ceil(scrollTop / ROW_PX) + VIEW_ROWS + OVERSCAN);
  const open = expanded ? waiting.find((w) => w.id === expanded) : undefined;
  return (
    <>
      <div
        className="lane-scroll"
        data-testid="lane-all"
        style={{ maxHeight: VIEW_ROWS * ROW_PX }}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      >
        <ol className="tickets tickets-fixed" aria-label={t('queue.allWaiting')} style={{ height: waiting.length * ROW_PX }}>
          {waiting.slice(first, last).map((ticket, i) => (
            <WaitingRow
              key={ticket.id}
              ticket={ticket}
              isNext={queue.next?.ticketId === ticket.id}
              open={expanded === ticket.id}
              waitMin={waitMinutes(queue, ticket)}
              at={{ top: (first + i) * ROW_PX, index: first + i, size: waiting.length }}
              {...actions}
            />
          ))}
        </ol>
      </div>
      {open ? (
        <div className="lane-selected" data-testid="lane-selected" data-token={open.token}>
          <span className="token">{open.token}</span> <span className="ticket-name">{open.name}</span>
          <TicketActions ticket={open} {...actions} />
        </div>
      ) : null}
    </>
  );
}

function Lane({
  lane,
  queue,
  expanded,
  actions,
}: {
  lane: LaneName;
  queue: QueueAnswer;
  expanded: string | null;
  actions: RowActions;
}) {
  const { t } = useTranslation();
  const all = useCounter((s) => s.laneOpen[lane]);
  const setLaneOpen = useCounter((s) => s.setLaneOpen);
  const waiting = queue.waiting[lane];
  const count = waitingCount(queue, lane);
  const oldest = queue.oldestWaitMinutes[lane];
  const more = count - LANE_FIRST;
  return (
    <section className={`lane lane-${lane}`} data-testid={`lane-${lane}`} aria-labelledby={`lane-${lane}-title`}>
      <header className="lane-head">
        <h3 id={`lane-${lane}-title`}>{t(`lanes.${lane}`)}</h3>
        <div className="lane-stats">
          <span data-testid="lane-count" data-count={count}>
            {t('queue.waiting', { count })}
          </span>
          {oldest !== null ? <span> · {t('queue.oldest', { count: Math.floor(oldest) })}</span> : null}
        </div>
      </header>
      {count === 0 ? <p className="empty">{t('queue.empty')}</p> : null}
      {all && more > 0 ? (
        <AllWaiting lane={lane} queue={queue} expanded={expanded} actions={actions} />
      ) : (
        <ol className="tickets">
          {waiting.slice(0, LANE_FIRST).map((ticket) => (
            <WaitingRow
              key={ticket.id}
              ticket={ticket}
              isNext={queue.next?.ticketId === ticket.id}
              open={expanded === ticket.id}
              waitMin={waitMinutes(queue, ticket)}
              {...actions}
            />
          ))}
        </ol>
      )}
      {more > 0 ? (
        <div className="lane-more">
          {all ? null : <span data-testid="lane-more">{t('queue.moreWaiting', { count: more })} </span>}
          <button type="button" data-testid="lane-show-all" aria-expanded={all} onClick={() => setLaneOpen(lane, !all)}>
            {all ? t('queue.showFirst', { count: LANE_FIRST }) : t('queue.showAll', { count })}
          </button>
        </div>
      ) : null}
    </section>
  );
}

function noticeText(t: ReturnType<typeof useTranslation>['t'], n: QueueNotice | null): string | null {
  if (!n || n.kind !== 'done') return null;
  const key = {
    called: 'queue.calledAnnounce',
    recalled: 'queue.recalledAnnounce',
    served: 'queue.servedAnnounce',
    noShow: 'queue.noShowAnnounce',
    requeued: 'queue.requeuedAnnounce',
    cancelled: 'queue.cancelledAnnounce',
    slip: 'queue.slipAnnounce',
  }[n.what];
  return tDynamic(t, key, 'queue.calledAnnounce', { token: n.token });
}

/** The two lanes, who is next, who is called, and what finished: always beside the tabs. */
function QueuePanelView() {
  const { t } = useTranslation();
  const queue = useCounter((s) => s.queue);
  const notice = useCounter((s) => s.queueNotice);
  const refreshQueue = useCounter((s) => s.refreshQueue);
  const clearQueueNotice = useCounter((s) => s.clearQueueNotice);
  const callNext = useCounter((s) => s.callNext);
  const callTicket = useCounter((s) => s.callTicket);
  const recallTicket = useCounter((s) => s.recallTicket);
  const markNoShow = useCounter((s) => s.markNoShow);
  const requeueTicket = useCounter((s) => s.requeueTicket);
  const requestSlip = useCounter((s) => s.slipFromQueue);
  const configured = useCounter((s) => printerConfigured(s.appState?.printing));
  const [expanded, setExpanded] = useState<string | null>(null);
  const [serving, setServing] = useState<TicketView | null>(null);
  const [cancelling, setCancelling] = useState<TicketView | null>(null);

  useEffect(() => {
    void refreshQueue();
  }, [refreshQueue]);

  // "Calling A-P003" is news for a while, not for the rest of the day
  useEffect(() => {
    if (notice?.kind !== 'done') return;
    const timer = setTimeout(clearQueueNotice, NOTICE_MS);
    return () => clearTimeout(timer);
  }, [notice, clearQueueNotice]);

  const called = queue?.called ?? NO_TICKETS;
  const next = queue?.next ?? null;

  // F4 anywhere; R, N, S on the focused called ticket (or the latest one) when not typing
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || dialogOpen()) return;
      if (e.key === 'F4') {
        e.preventDefault();
        void callNext();
        return;
      }
      if (e.ctrlKey || e.altKey || e.metaKey || isTypingTarget(e.target)) return;
      const key = e.key.toLowerCase();
      if (key !== 'r' && key !== 'n' && key !== 's' && key !== 'p') return;
      if (key === 'p' && !configured) return;
      const focusedId = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>('[data-testid="called-ticket"]')
        ?.dataset.ticketId;
      const target = called.find((c) => c.id === focusedId) ?? called[0];
      if (!target) return;
      e.preventDefault();
      if (key === 'r') void recallTicket(target.id);
      else if (key === 'n') void markNoShow(target.id);
      else if (key === 'p') void requestSlip(target);
      else setServing(target);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [called, callNext, recallTicket, markNoShow, requestSlip, configured]);

  const after = useCallback((p: Promise<unknown>) => void p.then(() => focusPrimary()), []);
  // one set of row actions for the whole screen's life: rows that did not change are not drawn again
  const actions: RowActions = useMemo(
    () => ({
      onToggle: (id) => setExpanded((cur) => (cur === id ? null : id)),
      onCall: (ticket) => {
        setExpanded(null);
        after(callTicket(ticket.id));
      },
      onCancel: (ticket) => {
        setExpanded(null);
        setCancelling(ticket);
      },
      onPrint: (ticket) => {
        setExpanded(null);
        after(requestSlip(ticket));
      },
    }),
    [after, callTicket, requestSlip],
  );

  return (
    <aside className="queue-panel" aria-labelledby="queue-title">
      <div className="queue-top">
        <h2 id="queue-title">{t('queue.title')}</h2>
        <div
          className="next"
          data-testid="next-ticket"
          data-token={next?.token ?? ''}
          data-lane={next?.lane ?? ''}
          data-reason={next?.reason ?? ''}
        >
          {next ? (
            <>
              <strong>{t('queue.next', { token: next.token })}</strong>{' '}
              <span className="next-reason">
                ({tDynamic(t, `queue.nextReason.${next.reason}`, 'queue.nextReason.only_waiting')})
              </span>
            </>
          ) : (
            t('queue.nextNone')
          )}
        </div>
        <button
          type="button"
          className="primary call-next"
          data-testid="call-next"
          disabled={!next}
          onClick={() => after(callNext())}
        >
          {t('queue.callNext')} <Kbd>F4</Kbd>
        </button>
      </div>
      <Notice
        error={notice?.kind === 'error' ? notice.error : null}
        message={noticeText(t, notice)}
        testId="queue-error"
        messageTestId="queue-message"
      />
      {queue ? (
        <>
          <div className="lanes">
            {(['priority', 'walkin'] as const).map((lane) => (
              <Lane key={lane} lane={lane} queue={queue} expanded={expanded} actions={actions} />
            ))}
          </div>
          <section className="called" aria-labelledby="called-title">
            <h3 id="called-title">{t('queue.called')}</h3>
            {called.length === 0 ? <p className="empty">{t('queue.noneCalled')}</p> : null}
            <ul className="tickets">
              {called.map((ticket) => (
                <li
                  key={ticket.id}
                  className="ticket ticket-called"
                  data-testid="called-ticket"
                  data-token={ticket.token}
                  data-ticket-id={ticket.id}
                  tabIndex={0}
                >
                  <div className="ticket-line">
                    <span className="token token-big">{ticket.token}</span>
                    <span className="ticket-name">{ticket.name}</span>
                    <Badges ticket={ticket} />
                  </div>
                  <div className="ticket-actions">
                    <button type="button" data-testid="recall-button" onClick={() => after(recallTicket(ticket.id))}>
                      {t('queue.recall')} <Kbd>R</Kbd>
                    </button>
                    <button type="button" data-testid="noshow-button" onClick={() => after(markNoShow(ticket.id))}>
                      {t('queue.noShow')} <Kbd>N</Kbd>
                    </button>
                    <button type="button" className="primary" data-testid="serve-button" onClick={() => setServing(ticket)}>
                      {t('queue.serve')} <Kbd>S</Kbd>
                    </button>
                    <button type="button" data-testid="cancel-button" onClick={() => setCancelling(ticket)}>
                      {t('queue.cancel')}
                    </button>
                    <SlipButton ticket={ticket} onPrint={(tk) => after(requestSlip(tk))} withKey />
                  </div>
                </li>
              ))}
            </ul>
            <p className="keys-hint">{configured ? t('queue.keysHintPrint') : t('queue.keysHint')}</p>
          </section>
          <section className="recent" aria-labelledby="recent-title">
            <h3 id="recent-title">{t('queue.recent')}</h3>
            <p className="counts" data-testid="queue-counts" data-served={queue.counts.served} data-no-show={queue.counts.noShow}>
              {t('queue.counts', queue.counts)}
            </p>
            {queue.recent.length === 0 ? <p className="empty">{t('queue.noneRecent')}</p> : null}
            <ul className="tickets">
              {queue.recent.map((ticket) => (
                <li
                  key={ticket.id}
                  className={`ticket ticket-${ticket.status}`}
                  data-testid="recent-ticket"
                  data-token={ticket.token}
                  data-status={ticket.status}
                >
                  <span className="token">{ticket.token}</span>
                  <span className="ticket-name">{ticket.name}</span>
                  <span className={`badge badge-${ticket.status}`}>{t(`ticketStatus.${ticket.status}`)}</span>
                  <UploadMark ticket={ticket} />
                  {ticket.status === 'no_show' ? (
                    <button type="button" data-testid="requeue-button" onClick={() => after(requeueTicket(ticket.id))}>
                      {t('queue.requeue')}
                    </button>
                  ) : null}
                </li>
              ))}
            </ul>
          </section>
        </>
      ) : null}
      {serving ? (
        <ServeDialog
          ticket={serving}
          onClose={() => {
            setServing(null);
            focusPrimary();
          }}
        />
      ) : null}
      {cancelling ? (
        <CancelDialog
          ticket={cancelling}
          onClose={() => {
            setCancelling(null);
            focusPrimary();
          }}
        />
      ) : null}
    </aside>
  );
}

/** Drawn again by what it reads from the store, never because the tab or the screen around it changed. */
export const QueuePanel = memo(QueuePanelView);
