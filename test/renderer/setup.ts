import { afterEach, beforeEach } from 'vitest';
import { cleanup, configure } from '@testing-library/react';
import { initI18n, setLang } from '../../renderer/src/i18n';
import { useCounter } from '../../renderer/src/store';
import { APP_STATE } from './fake-counter';

const initial = useCounter.getState();

/**
 * Each test starts signed in as a supervisor, in English, with an empty store. A `waitFor` or
 * `findBy` waits up to 5 s (1 s by default): with the fast tier's two workers on two busy
 * cores, a page's next render has come later than 1 s.
 */
export function useRendererTestSetup(): void {
  beforeEach(() => {
    configure({ asyncUtilTimeout: 5000 });
    initI18n('en');
    setLang('en');
    useCounter.setState({ ...initial, appState: APP_STATE }, true);
  });
  afterEach(() => cleanup());
}
