import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Notice } from './components/Notice';
import { Counter } from './screens/Counter';
import { FirstRun } from './screens/FirstRun';
import { SignIn } from './screens/SignIn';
import { useCounter } from './store';

/** The screens follow the counter's state: set up → signed in → working. */
export function App() {
  const { t } = useTranslation();
  // only which screen to show: a new sync status (ten a second while uploading) must not draw the whole counter again
  const screen = useCounter((s) =>
    !s.appState ? null : !s.appState.provisioned ? 'firstrun' : !s.appState.operator ? 'signin' : 'counter',
  );
  const startError = useCounter((s) => s.startError);
  const loadAppState = useCounter((s) => s.loadAppState);
  const handleEvent = useCounter((s) => s.handleEvent);

  useEffect(() => {
    void loadAppState();
    const off = window.counter?.onEvent?.(handleEvent);
    return () => off?.();
  }, [loadAppState, handleEvent]);

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
  return <Counter />;
}
