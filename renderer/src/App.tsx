import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Notice } from './components/Notice';
import { StepUpDialog } from './components/StepUpDialog';
import { useIdleLock } from './idle';
import { Counter } from './screens/Counter';
import { FirstRun } from './screens/FirstRun';
import { LockScreen } from './screens/LockScreen';
import { SignIn } from './screens/SignIn';
import { useSession } from './session';
import { useCounter } from './store';

/** The screens follow the counter's state: set up → signed in → working (covered when the session is locked). */
export function App() {
  const { t } = useTranslation();
  // only which screen to show: a new sync status (ten a second while uploading) must not draw the whole counter again
  const screen = useCounter((s) =>
    !s.appState ? null : !s.appState.provisioned ? 'firstrun' : !s.appState.operator ? 'signin' : 'counter',
  );
  const startError = useCounter((s) => s.startError);
  const loadAppState = useCounter((s) => s.loadAppState);
  const handleEvent = useCounter((s) => s.handleEvent);
  const operatorId = useCounter((s) => s.appState?.operator?.id ?? '');
  const loginId = useCounter((s) => s.appState?.operator?.loginId ?? '');
  const name = useCounter((s) => s.appState?.operator?.name ?? '');
  const lockedByMain = useCounter((s) => s.appState?.session?.locked === true);
  const idleLockMinutes = useCounter((s) => s.appState?.session?.idleLockMinutes ?? 10);
  const locked = useSession((s) => s.lockedBy !== null);
  const switching = useSession((s) => s.switching);
  const stepUpPending = useSession((s) => s.stepUpPending);

  useEffect(() => {
    void loadAppState();
    const off = window.counter?.onEvent?.(handleEvent);
    return () => off?.();
  }, [loadAppState, handleEvent]);

  useEffect(() => {
    // nobody signed in: nothing to cover, nothing to confirm
    if (screen !== 'counter') {
      useSession.getState().unlocked();
      useSession.getState().settleStepUp(false);
    } else if (lockedByMain) useSession.getState().lock({ loginId, name });
  }, [screen, lockedByMain, loginId, name]);

  useIdleLock(screen === 'counter' && !locked, idleLockMinutes, loginId, name);

  if (!screen) {
    return (
      <main className="screen screen-narrow" aria-busy={!startError}>
        <h1>{t('app.title')}</h1>
        {startError ? (
          <>
            <p>{t('app.startFailed')}</p>
            <Notice error={startError} />
            <button type="button" className="primary" onClick={() => void loadAppState()}>
              {t('app.retry')}
            </button>
          </>
        ) : (
          <p>{t('app.loading')}</p>
        )}
      </main>
    );
  }
  if (screen === 'firstrun') return <FirstRun />;
  if (screen === 'signin') return <SignIn />;
  // a locked counter is not drawn at all: nothing of it shows or answers a shortcut behind the lock
  if (locked) return switching ? <SignIn /> : <LockScreen />;
  return (
    <>
      {/* another operator starts with a fresh counter, not the last one's forms */}
      <Counter key={operatorId} />
      {stepUpPending ? <StepUpDialog /> : null}
    </>
  );
}
