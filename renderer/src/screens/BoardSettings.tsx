import { useEffect, useState, type FormEvent } from 'react';
import i18next from 'i18next';
import { useTranslation } from 'react-i18next';
import { NOTICE_MAX_LENGTH, type SpeechSettings } from '../../../common/board';
import { BOARD_ROOM_MAX_LENGTH, contract, type BoardSettingsView } from '../../../common/contract';
import type { AppError } from '../../../common/result';
import { Notice } from '../components/Notice';
import { zodProblems, type FieldProblem, type FieldProblems } from '../errors';
import { focusFirstInvalid, showRefusal } from '../focus';
import { tDynamic } from '../i18n';
import { changedBy, never, useCounterQuery } from '../query';
import { useCounter } from '../store';

const FORM = 'board';
const ORDER = ['noticeEn', 'noticeHi', 'roomEn', 'roomHi', 'enabled', 'order', 'volume', 'repeat', 'displayId'] as const;
type FieldName = (typeof ORDER)[number];

interface Values {
  noticeEn: string;
  noticeHi: string;
  roomEn: string;
  roomHi: string;
  speech: SpeechSettings;
}

const DEFAULT_SPEECH: SpeechSettings = { enabled: true, order: 'hi-en', volume: 80, repeat: 1 };

const fromView = (v: BoardSettingsView | null): Values => ({
  noticeEn: v?.notice.en ?? '',
  noticeHi: v?.notice.hi ?? '',
  roomEn: v?.room.en ?? '',
  roomHi: v?.room.hi ?? '',
  speech: v?.speech ?? DEFAULT_SPEECH,
});

/** The request's paths (`notice.en`, `speech.volume`) as the form's field names. */
const FIELD_OF: Record<string, FieldName> = {
  'notice.en': 'noticeEn',
  'notice.hi': 'noticeHi',
  'room.en': 'roomEn',
  'room.hi': 'roomHi',
  'speech.enabled': 'enabled',
  'speech.order': 'order',
  'speech.volume': 'volume',
  'speech.repeat': 'repeat',
  displayId: 'displayId',
};

function keyed(p: FieldProblems): FieldProblems {
  const out: FieldProblems = {};
  for (const [k, v] of Object.entries(p)) {
    if (v) out[FIELD_OF[k] ?? k] ??= v;
  }
  return out;
}

/** A field's error in English and Hindi, whatever the UI language (the board's own codes first). */
function BoardFieldError({ name, problem }: { name: string; problem: FieldProblem | undefined }) {
  if (!problem) return null;
  // a room name too long is said with its own limit
  const room = name.startsWith('room') && problem.code === 'too_long';
  const own = room ? 'room_too_long' : problem.code;
  const text = (lang: 'en' | 'hi') =>
    tDynamic(i18next.getFixedT(lang), `boardSettings.errors.${own}`, `errors.field.${problem.code}`, {
      max: room ? BOARD_ROOM_MAX_LENGTH : NOTICE_MAX_LENGTH,
    });
  return (
    <div id={`${FORM}-${name}-error`} className="field-error" data-testid={`error-${name}`} data-code={problem.code}>
      <span lang="en">{text('en')}</span>
      <span lang="hi">{text('hi')}</span>
    </div>
  );
}

/**
 * Supervisor: the waiting hall's board. The notice line (English and Hindi, shown as text),
 * the room people are sent to from this counter, how calls are spoken, and the board window.
 */
export function BoardSettings() {
  const { t } = useTranslation();
  const run = useCounter((s) => s.run);
  const counterCode = useCounter((s) => s.appState?.counter?.code ?? '');
  // (a change made at another window or browser of this counter shows here too)
  const settings = useCounterQuery(
    'getBoardSettings',
    {},
    { reloadOn: changedBy('updateBoardSettings', 'openBoard', 'closeBoard') },
  );
  const displays = useCounterQuery('listDisplays', {}, { reloadOn: never });
  const [view, setView] = useState<BoardSettingsView | null>(null);
  const [values, setValues] = useState<Values>(() => fromView(null));
  const [dirty, setDirty] = useState(false);
  const [problems, setProblems] = useState<FieldProblems>({});
  const [error, setError] = useState<AppError | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [displayId, setDisplayId] = useState<string>('');

  // the saved settings fill the form, unless the supervisor is in the middle of a change
  useEffect(() => {
    if (!settings.data) return;
    setView(settings.data);
    if (!dirty) setValues(fromView(settings.data));
    if (settings.data.displayId !== null) setDisplayId(String(settings.data.displayId));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [settings.data]);

  const clear = (f: FieldName) => {
    if (problems[f]) setProblems((p) => ({ ...p, [f]: undefined }));
    setMessage(null);
  };
  const setText = (f: 'noticeEn' | 'noticeHi' | 'roomEn' | 'roomHi', v: string) => {
    setValues((prev) => ({ ...prev, [f]: v }));
    setDirty(true);
    clear(f);
  };
  const setSpeech = <K extends keyof SpeechSettings>(f: K, v: SpeechSettings[K]) => {
    setValues((prev) => ({ ...prev, speech: { ...prev.speech, [f]: v } }));
    setDirty(true);
    clear(f);
  };

  const request = () => ({
    notice: { en: values.noticeEn, hi: values.noticeHi },
    room: { en: values.roomEn, hi: values.roomHi },
    speech: values.speech,
  });

  // checked as typed: a notice too long shows its error at once, next to the field
  const live = contract.updateBoardSettings.request.safeParse(request());
  const liveProblems: FieldProblems = live.success ? {} : keyed(zodProblems(live.error));
  const problemOf = (f: FieldName): FieldProblem | undefined =>
    problems[f] ??
    (liveProblems[f]?.code === 'notice_too_long' || liveProblems[f]?.code === 'too_long' ? liveProblems[f] : undefined);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setError(null);
    setMessage(null);
    if (!live.success) {
      setProblems(liveProblems);
      focusFirstInvalid(FORM, ORDER, liveProblems);
      return;
    }
    setBusy(true);
    const r = await run('updateBoardSettings', live.data);
    setBusy(false);
    if (r.ok) {
      setProblems({});
      setDirty(false);
      setView(r.value);
      setValues(fromView(r.value));
      setMessage(t('boardSettings.saved'));
      return;
    }
    showRefusal(
      { ...r.error, fields: r.error.fields?.map((f) => ({ ...f, field: FIELD_OF[f.field] ?? f.field })) },
      FORM,
      ORDER,
      setProblems,
      setError,
    );
  };

  const windowAction = async (action: 'openBoard' | 'closeBoard') => {
    if (busy) return;
    setError(null);
    setMessage(null);
    setBusy(true);
    const r =
      action === 'openBoard'
        ? await run('openBoard', { displayId: displayId === '' ? null : Number(displayId) })
        : await run('closeBoard', {});
    setBusy(false);
    if (r.ok) {
      setView(r.value);
      setMessage(action === 'openBoard' ? t('boardSettings.opened') : t('boardSettings.closed'));
      return;
    }
    showRefusal(r.error, FORM, ORDER, setProblems, setError);
  };

  const describedBy = (f: FieldName, hint: boolean) =>
    [problemOf(f) ? `${FORM}-${f}-error` : null, hint ? `${FORM}-${f}-hint` : null].filter(Boolean).join(' ') || undefined;

  const text = (f: 'noticeEn' | 'noticeHi' | 'roomEn' | 'roomHi', label: string, max: number, lang: 'en' | 'hi') => (
    <div className={`field${problemOf(f) ? ' field-invalid' : ''}`}>
      <label htmlFor={`${FORM}-${f}`}>
        {label}
        {f.startsWith('room') ? <span className="optional"> {t('common.optional')}</span> : null}
      </label>
      <input
        id={`${FORM}-${f}`}
        name={f}
        lang={lang}
        data-testid={`board-${f}`}
        autoComplete="off"
        aria-invalid={Boolean(problemOf(f))}
        aria-describedby={describedBy(f, true)}
        value={values[f]}
        onChange={(e) => setText(f, e.target.value)}
      />
      <div id={`${FORM}-${f}-hint`} className="field-hint" data-testid={`board-${f}-count`}>
        {t('boardSettings.count', { count: values[f].trim().length, max })}
      </div>
      <BoardFieldError name={f} problem={problemOf(f)} />
    </div>
  );

  const list = displays.data ?? [];
  const available = view?.window.available ?? false;

  return (
    <section className="panel" aria-labelledby="board-title">
      <h2 id="board-title">{t('boardSettings.title')}</h2>
      <p className="intro">{t('boardSettings.intro')}</p>
      <form noValidate className="form" onSubmit={submit} aria-busy={busy}>
        <fieldset className="field">
          <legend>{t('boardSettings.notice')}</legend>
          <p className="field-hint">{t('boardSettings.noticeHint', { max: NOTICE_MAX_LENGTH })}</p>
          {text('noticeEn', t('boardSettings.noticeEn'), NOTICE_MAX_LENGTH, 'en')}
          {text('noticeHi', t('boardSettings.noticeHi'), NOTICE_MAX_LENGTH, 'hi')}
        </fieldset>
        <fieldset className="field">
          <legend>{t('boardSettings.room')}</legend>
          <p className="field-hint">{t('boardSettings.roomHint', { code: counterCode })}</p>
          {text('roomEn', t('boardSettings.roomEn'), BOARD_ROOM_MAX_LENGTH, 'en')}
          {text('roomHi', t('boardSettings.roomHi'), BOARD_ROOM_MAX_LENGTH, 'hi')}
        </fieldset>
        <fieldset className="field">
          <legend>{t('boardSettings.speech')}</legend>
          <div className="field field-check">
            <label>
              <input
                type="checkbox"
                id={`${FORM}-enabled`}
                data-testid="board-enabled"
                checked={values.speech.enabled}
                onChange={(e) => setSpeech('enabled', e.target.checked)}
              />{' '}
              {t('boardSettings.speechOn')}
            </label>
          </div>
          <fieldset className="field" data-testid="board-order">
            <legend>{t('boardSettings.order')}</legend>
            {(['hi-en', 'en-hi'] as const).map((o) => (
              <label key={o} className="radio">
                <input
                  type="radio"
                  name="order"
                  id={o === 'hi-en' ? `${FORM}-order` : undefined}
                  value={o}
                  data-testid={`board-order-${o}`}
                  checked={values.speech.order === o}
                  onChange={() => setSpeech('order', o)}
                />{' '}
                {o === 'hi-en' ? t('boardSettings.orderHiEn') : t('boardSettings.orderEnHi')}
              </label>
            ))}
          </fieldset>
          <div className="field">
            <label htmlFor={`${FORM}-volume`}>{t('boardSettings.volume', { volume: values.speech.volume })}</label>
            <input
              type="range"
              id={`${FORM}-volume`}
              data-testid="board-volume"
              min={0}
              max={100}
              step={5}
              aria-valuetext={`${values.speech.volume}%`}
              value={values.speech.volume}
              onChange={(e) => setSpeech('volume', Number(e.target.value))}
            />
            <BoardFieldError name="volume" problem={problemOf('volume')} />
          </div>
          <div className="field">
            <label htmlFor={`${FORM}-repeat`}>{t('boardSettings.repeat')}</label>
            <select
              id={`${FORM}-repeat`}
              data-testid="board-repeat"
              className="input-short"
              value={values.speech.repeat}
              onChange={(e) => setSpeech('repeat', Number(e.target.value))}
            >
              {[1, 2, 3].map((n) => (
                <option key={n} value={n}>
                  {t('boardSettings.repeatTimes', { count: n })}
                </option>
              ))}
            </select>
          </div>
        </fieldset>
        <button type="submit" className="primary" data-testid="board-save" disabled={busy}>
          {t('boardSettings.save')}
        </button>
      </form>

      <h3>{t('boardSettings.window')}</h3>
      {available ? (
        <div className="form">
          <div className={`field${problems.displayId ? ' field-invalid' : ''}`}>
            <label htmlFor={`${FORM}-displayId`}>{t('boardSettings.display')}</label>
            <select
              id={`${FORM}-displayId`}
              data-testid="board-displayId"
              aria-invalid={Boolean(problems.displayId)}
              aria-describedby={problems.displayId ? `${FORM}-displayId-error` : undefined}
              value={displayId}
              onChange={(e) => {
                setDisplayId(e.target.value);
                clear('displayId');
              }}
            >
              <option value="">{t('boardSettings.displayAuto')}</option>
              {list.map((d) => (
                <option key={d.id} value={String(d.id)}>
                  {t(d.primary ? 'boardSettings.displayPrimary' : 'boardSettings.displayOther', {
                    label: d.label,
                    width: d.width,
                    height: d.height,
                  })}
                </option>
              ))}
            </select>
            <BoardFieldError name="displayId" problem={problems.displayId} />
          </div>
          <p data-testid="board-window-state" role="status">
            {view?.window.open ? t('boardSettings.windowOpen') : t('boardSettings.windowClosed')}
          </p>
          <div className="actions">
            <button type="button" data-testid="board-open" disabled={busy} onClick={() => void windowAction('openBoard')}>
              {t('boardSettings.open')}
            </button>
            <button type="button" data-testid="board-close" disabled={busy} onClick={() => void windowAction('closeBoard')}>
              {t('boardSettings.close')}
            </button>
          </div>
        </div>
      ) : (
        <p data-testid="board-window-unavailable">{t('boardSettings.windowUnavailable')}</p>
      )}
      <p className="intro" data-testid="board-browser">
        {t('boardSettings.browser')}
      </p>
      <Notice error={error} message={message} />
    </section>
  );
}
