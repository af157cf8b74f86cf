import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { SearchHit } from '../../../common/domain';
import type { AppError } from '../../../common/result';
import { Kbd } from '../components/Kbd';
import { Notice } from '../components/Notice';
import { photoIdLabel } from '../labels';
import { registerFocusTarget } from '../focus';
import { changedBy, useCounterQuery } from '../query';
import { useCounter } from '../store';
import { ProvisionalDialog } from './ProvisionalDialog';

const DEBOUNCE_MS = 120;
const NO_HITS: SearchHit[] = [];
/** What a reference ID looks like (refIdSchema): offer a provisional check-in for it. */
// a reference ID has digits: a long one-word name ("shanti") is a name, not an ID
const REF_ID_LIKE = /^(?=.*\d)[A-Za-z0-9]{6,20}$/;

/** Reference ID with its last 4 marked: operators read those aloud and compare them. */
function RefId({ refId }: { refId: string }) {
  return (
    <span className="ref-id">
      {refId.slice(0, -4)}
      <mark>{refId.slice(-4)}</mark>
    </span>
  );
}

function Hit({
  hit,
  selected,
  onSelect,
  onCheckIn,
  id,
}: {
  hit: SearchHit;
  selected: boolean;
  onSelect: () => void;
  onCheckIn: () => void;
  id: string;
}) {
  const { t } = useTranslation();
  return (
    <li
      id={id}
      role="option"
      aria-selected={selected}
      className={`hit${selected ? ' hit-selected' : ''}${hit.ticket ? ' hit-has-ticket' : ''}`}
      data-testid="search-hit"
      data-ref-id={hit.refId}
      data-matched-on={hit.matchedOn}
      // keep the focus in the search box: the keyboard flow continues from there
      onMouseDown={(e) => e.preventDefault()}
      onClick={onSelect}
      onDoubleClick={onCheckIn}
    >
      <div className="hit-main">
        <span className="hit-name">{hit.name}</span>
        <span className="hit-person">
          {t(`gender.${hit.gender}`)} · {t('checkin.born', { year: hit.birthYear })}
        </span>
        <span className="hit-dose">{t('checkin.dose', { dose: hit.dose })}</span>
        <span className="hit-slot">{hit.slotTime ? t('checkin.slot', { time: hit.slotTime }) : t('checkin.noSlot')}</span>
      </div>
      <div className="hit-ids">
        <span className={hit.matchedOn === 'ref_id' || hit.matchedOn === 'ref_last4' ? 'matched' : undefined}>
          {t('checkin.refId')} <RefId refId={hit.refId} />
        </span>
        <span className={hit.matchedOn === 'mobile_last4' ? 'matched' : undefined}>
          {t('checkin.mobile')} ••{hit.mobileLast4}
        </span>
        <span className={hit.matchedOn === 'photo_id_last4' ? 'matched' : undefined}>
          {photoIdLabel(t, hit.photoIdType)} ••{hit.photoIdLast4}
        </span>
      </div>
      {hit.ticket ? (
        <div className="hit-ticket" data-testid="hit-ticket" data-token={hit.ticket.token}>
          {t('checkin.hasToken', { token: hit.ticket.token, status: t(`ticketStatus.${hit.ticket.status}`) })}
        </div>
      ) : null}
      {selected ? (
        <button
          type="button"
          className="primary hit-action"
          tabIndex={-1}
          onMouseDown={(e) => e.preventDefault()}
          onClick={(e) => {
            e.stopPropagation();
            onCheckIn();
          }}
        >
          {t('checkin.checkInButton')} <Kbd>Enter</Kbd>
        </button>
      ) : null}
    </li>
  );
}

/**
 * Check-in of online registrants: one search box, results as you type, Enter checks in the
 * selected one. The focus lives in the search box.
 */
export function CheckIn({ active }: { active: boolean }) {
  const { t } = useTranslation();
  const issue = useCounter((s) => s.issue);
  const [query, setQuery] = useState('');
  const [selected, setSelected] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const [provisional, setProvisional] = useState<string | null>(null);
  const busyRef = useRef(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLUListElement>(null);

  useEffect(() => registerFocusTarget('search', () => inputRef.current), []);

  const q = query.trim();
  // results as the operator types (a moment after the last key); a check-in elsewhere or a new
  // roster changes them
  const results = useCounterQuery('searchRoster', q ? { query: q } : null, {
    debounceMs: DEBOUNCE_MS,
    reloadOn: changedBy('importRoster', 'checkIn', 'checkInProvisional'),
  });
  const hits: SearchHit[] = results.data ?? NO_HITS;
  /** the query whose results are on screen */
  const shownFor = results.request?.query ?? '';
  const current = results.current;

  // new results start with the first hit selected
  useEffect(() => setSelected(0), [results.data]);
  useEffect(() => {
    if (results.error) setError(results.error);
  }, [results.error]);

  // keep the selected hit in view while moving with the arrows
  useEffect(() => {
    listRef.current?.querySelector('[aria-selected="true"]')?.scrollIntoView?.({ block: 'nearest' });
  }, [selected, hits]);

  const refocus = () => setTimeout(() => inputRef.current?.focus(), 0);

  const checkIn = async (hit: SearchHit) => {
    // a second Enter before the answer must not check in twice (or show "already checked in")
    if (busyRef.current) return;
    busyRef.current = true;
    setBusy(true);
    setError(null);
    const r = await issue('checkIn', { refId: hit.refId });
    busyRef.current = false;
    setBusy(false);
    if (r.ok) {
      setQuery('');
    } else {
      setError(r.error);
    }
    refocus();
  };

  const exactHit = (list: SearchHit[], text: string) => list.find((h) => h.refId === text.toUpperCase());
  const offerProvisional = Boolean(q) && current && REF_ID_LIKE.test(q) && !exactHit(hits, q) && !busy;

  const onKeyDown = async (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setSelected((i) => Math.min(i + 1, Math.max(hits.length - 1, 0)));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setSelected((i) => Math.max(i - 1, 0));
    } else if (e.key === 'Escape') {
      e.preventDefault();
      setQuery('');
      setError(null);
    } else if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      if (offerProvisional) setProvisional(q.toUpperCase());
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (busyRef.current || !q) return;
      if (current) {
        const hit = hits[selected];
        if (hit) await checkIn(hit);
        return;
      }
      // Enter before the results caught up with the typing: only a whole reference ID is
      // safe to check in straight away; anything else shows its results first.
      const fresh = await results.reload();
      const exact = fresh?.ok ? exactHit(fresh.value, q) : undefined;
      if (exact) await checkIn(exact);
    }
  };

  const activeId = hits[selected] ? `hit-${selected}` : undefined;
  return (
    <section className="panel checkin" aria-labelledby="checkin-title" hidden={!active}>
      <h2 id="checkin-title" className="visually-hidden">
        {t('tabs.checkin')}
      </h2>
      <label htmlFor="search-input" className="search-label">
        {t('checkin.searchLabel')}
      </label>
      <input
        ref={inputRef}
        id="search-input"
        className="search-input"
        data-testid="search-input"
        type="search"
        role="combobox"
        aria-expanded={hits.length > 0}
        aria-controls="search-results"
        aria-activedescendant={activeId}
        aria-autocomplete="list"
        aria-describedby="search-help"
        autoComplete="off"
        spellCheck={false}
        maxLength={100}
        placeholder={t('checkin.searchPlaceholder')}
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          if (error) setError(null);
        }}
        onKeyDown={(e) => void onKeyDown(e)}
      />
      <div id="search-help" className="field-hint">
        {t('checkin.help')}
      </div>
      <Notice error={error} />
      <div className="search-state" aria-live="polite">
        {q && !current ? t('checkin.searching') : null}
        {q && current && hits.length === 0 ? (
          <span data-testid="search-empty">{t('checkin.noResults', { query: q })}</span>
        ) : null}
      </div>
      {offerProvisional ? (
        <div className="provisional-offer">
          <p>{t('checkin.provisionalOffer')}</p>
          <button type="button" data-testid="provisional-checkin" onClick={() => setProvisional(q.toUpperCase())}>
            {t('checkin.provisionalButton')} <Kbd>Ctrl+Enter</Kbd>
          </button>
        </div>
      ) : null}
      <ul
        ref={listRef}
        id="search-results"
        role="listbox"
        aria-label={t('checkin.results')}
        className="hits"
        data-testid="search-results"
        data-query={shownFor}
      >
        {hits.map((hit, i) => (
          <Hit
            key={hit.refId}
            id={`hit-${i}`}
            hit={hit}
            selected={i === selected}
            onSelect={() => setSelected(i)}
            onCheckIn={() => void checkIn(hit)}
          />
        ))}
      </ul>
      {provisional !== null ? (
        <ProvisionalDialog
          refId={provisional}
          onClose={(issued) => {
            setProvisional(null);
            if (issued) {
              setQuery('');
              setError(null);
            }
            refocus();
          }}
        />
      ) : null}
    </section>
  );
}
