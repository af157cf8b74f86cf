import { afterEach, beforeEach } from 'vitest';
import { cleanup } from '@testing-library/react';
import { initI18n, setLang } from '../../renderer/src/i18n';
import { useCounter } from '../../renderer/src/store';
import { APP_STATE } from './fake-counter';

const initial = useCounter.getState();

/** Each test starts signed in as a supervisor, in English, with an empty store. */
export function useRendererTestSetup(): void {
  beforeEach(() => {
    initI18n('en');
    setLang('en');
    useCounter.setState({ ...initial, appState: APP_STATE }, true);
  });
  afterEach(() => cleanup());
}
