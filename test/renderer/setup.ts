import { afterEach, beforeEach } from 'vitest';
import { cleanup, configure } from '@testing-library/react';
import { initI18n, setLang } from '../../renderer/src/i18n';
import { counterState, useCounter } from '../../renderer/src/store';
import { APP_STATE } from './fake-counter';

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
    // a store afresh, its bookkeeping too (own calls in flight, events expected): the page's
    // suites share one process and so one store, and a test must not inherit what the one
    // before it left (an own call answered first makes its `changed` event expected for 1 s)
    useCounter.setState({ ...counterState(useCounter.setState, useCounter.getState, useCounter), appState: APP_STATE }, true);
  });
  afterEach(() => cleanup());
}
