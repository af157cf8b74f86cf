/**
 * The page's side of the caller's session: whether the page is covered by the lock screen,
 * and a supervisor action waiting for the PIN again. Main decides both (SESSION_LOCKED,
 * STEP_UP_REQUIRED); the page also covers itself on its own idle timer, so the screen is
 * covered even when main is not asked anything.
 */
import { create } from 'zustand';

/** Whose PIN reopens the page. */
export interface LockedBy {
  loginId: string;
  name: string;
}

export interface SessionUiState {
  /** the page is covered; null: open */
  lockedBy: LockedBy | null;
  /** the operator chose "sign in as someone else" on the lock screen */
  switching: boolean;
  /** a supervisor action waits for the PIN (the step-up dialog is open) */
  stepUpPending: boolean;
  lock(by: LockedBy): void;
  /** the PIN reopened the session, or someone signed in */
  unlocked(): void;
  switchOperator(): void;
  /** Opens the step-up dialog; settles true once the PIN was accepted, false when cancelled. */
  askStepUp(): Promise<boolean>;
  settleStepUp(confirmed: boolean): void;
}

let waiting: ((confirmed: boolean) => void)[] = [];

export const useSession = create<SessionUiState>()((set, get) => ({
  lockedBy: null,
  switching: false,
  stepUpPending: false,
  lock: (by) => {
    if (get().lockedBy) return;
    set({ lockedBy: by, switching: false });
    // a locked page has nobody to confirm a PIN for
    get().settleStepUp(false);
  },
  unlocked: () => set({ lockedBy: null, switching: false }),
  switchOperator: () => set({ switching: true }),
  askStepUp: () =>
    new Promise<boolean>((resolve) => {
      // several actions at once share one dialog
      waiting.push(resolve);
      set({ stepUpPending: true });
    }),
  settleStepUp: (confirmed) => {
    const settle = waiting;
    waiting = [];
    set({ stepUpPending: false });
    for (const resolve of settle) resolve(confirmed);
  },
}));

/** How often, at most, the page tells main of input (`touchSession`). */
export const TOUCH_EVERY_MS = 30_000;
