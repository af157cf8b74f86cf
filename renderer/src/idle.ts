import { useEffect } from 'react';
import { call } from './api';
import { TOUCH_EVERY_MS, useSession } from './session';

/** How often the page looks at its own idle time. */
const CHECK_EVERY_MS = 5_000;
/** What counts as the operator at the keyboard (a list refreshing itself does not). */
const INPUT_EVENTS = ['keydown', 'pointerdown', 'wheel'] as const;

/**
 * While an operator is signed in and the page is open: tells main of keyboard and pointer
 * input (`touchSession`, at most every 30 s), and covers the page itself after
 * `idleLockMinutes` without input, without waiting for main to refuse a call.
 */
export function useIdleLock(active: boolean, idleLockMinutes: number, loginId: string, name: string): void {
  useEffect(() => {
    if (!active) return;
    let lastInput = Date.now();
    let lastTouch = lastInput;
    const onInput = () => {
      lastInput = Date.now();
      if (lastInput - lastTouch < TOUCH_EVERY_MS) return;
      lastTouch = lastInput;
      void call('touchSession', {});
    };
    for (const e of INPUT_EVENTS) window.addEventListener(e, onInput, { capture: true, passive: true });
    const timer = setInterval(() => {
      if (Date.now() - lastInput >= idleLockMinutes * 60_000) useSession.getState().lock({ loginId, name });
    }, CHECK_EVERY_MS);
    return () => {
      clearInterval(timer);
      for (const e of INPUT_EVENTS) window.removeEventListener(e, onInput, { capture: true });
    };
  }, [active, idleLockMinutes, loginId, name]);
}
