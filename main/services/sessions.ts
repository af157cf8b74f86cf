import type { Clock, SignedInOperator } from './context';

/** How long a session may stay idle, and how long a PIN given counts for supervisor-only actions. */
export interface SessionPolicy {
  idleLockMinutes: number;
  stepUpMinutes: number;
}

/** One client's sign-in: an Electron window or a browser's cookie. */
export interface Session {
  readonly clientId: string;
  readonly operator: SignedInOperator;
  /** the last input the client told of: sign-in, a change, a `touchSession` (ms since the epoch) */
  lastActivityAt: number;
  /** when the operator last gave the PIN (sign-in, unlock, step-up) */
  pinGivenAt: number;
  /** when the idle lock fell; null while the session is open */
  lockedAt: number | null;
}

export type SessionState =
  | { state: 'none' }
  | { state: 'open'; session: Session }
  /** `justLocked`: this look found the idle time over (the lock is to be recorded once) */
  | { state: 'locked'; session: Session; justLocked: boolean };

const MINUTE = 60_000;

/**
 * The sessions of the counter's clients, keyed by client ID. Pure bookkeeping on the injected
 * clock: the idle lock falls when a client is next looked at, at the time its idle span ran
 * out, so it holds whether or not anything ran in between.
 */
export class SessionTable {
  private readonly byClient = new Map<string, Session>();

  constructor(
    private readonly clock: Clock,
    private readonly policy: () => SessionPolicy,
  ) {}

  private now(): number {
    return this.clock().getTime();
  }

  /** Starts a session for the client (ending any it had). */
  begin(clientId: string, operator: SignedInOperator): Session {
    const now = this.now();
    const session: Session = { clientId, operator, lastActivityAt: now, pinGivenAt: now, lockedAt: null };
    this.byClient.set(clientId, session);
    return session;
  }

  /** Ends the client's session; answers the one ended, if any. */
  end(clientId: string): Session | null {
    const s = this.byClient.get(clientId) ?? null;
    this.byClient.delete(clientId);
    return s;
  }

  /** Ends every session of an operator (disabled, say); answers the client IDs. */
  endOperator(operatorId: string): string[] {
    const ended: string[] = [];
    for (const [id, s] of this.byClient) {
      if (s.operator.id === operatorId) {
        this.byClient.delete(id);
        ended.push(id);
      }
    }
    return ended;
  }

  /** The client's session, locked first if it has been idle longer than the policy allows. */
  look(clientId: string): SessionState {
    const s = this.byClient.get(clientId);
    if (!s) return { state: 'none' };
    if (s.lockedAt !== null) return { state: 'locked', session: s, justLocked: false };
    const idleMs = this.policy().idleLockMinutes * MINUTE;
    if (this.now() - s.lastActivityAt > idleMs) {
      s.lockedAt = s.lastActivityAt + idleMs;
      return { state: 'locked', session: s, justLocked: true };
    }
    return { state: 'open', session: s };
  }

  /** The operator is at the client's keyboard: an open session stays open. A locked one is not reopened. */
  touch(clientId: string): void {
    const s = this.look(clientId);
    if (s.state === 'open') s.session.lastActivityAt = this.now();
  }

  /** The operator gave the PIN again: the session is open, and supervisor-only actions need no PIN for a while. */
  pinGiven(clientId: string): void {
    const s = this.byClient.get(clientId);
    if (!s) return;
    const now = this.now();
    s.lockedAt = null;
    s.lastActivityAt = now;
    s.pinGivenAt = now;
  }

  /** Whether a supervisor-only action must ask for the PIN again first. */
  needsStepUp(session: Session): boolean {
    return this.now() - session.pinGivenAt > this.policy().stepUpMinutes * MINUTE;
  }
}
