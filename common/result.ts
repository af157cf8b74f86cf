/**
 * Errors cross every process boundary as data, never as thrown strings.
 * `code` is stable and is what the renderer translates; `fields` points at form fields.
 */
export const ERROR_CODES = [
  'VALIDATION', // a payload or form failed its schema; see `fields`
  'NOT_PROVISIONED',
  'ALREADY_PROVISIONED',
  'NOT_SIGNED_IN',
  'SESSION_LOCKED', // the caller's session locked itself after idle time; details.loginId and details.name: whose PIN reopens it
  'STEP_UP_REQUIRED', // a supervisor action whose PIN was last given too long ago: give it again (stepUp) and retry
  'FORBIDDEN', // signed in, but the role may not do this
  'BAD_CREDENTIALS',
  'ACCOUNT_LOCKED',
  'ACCOUNT_DISABLED',
  'NOT_FOUND',
  'ALREADY_CHECKED_IN',
  'DUPLICATE_SUSPECTED',
  'NOT_ELIGIBLE',
  'INVALID_TRANSITION',
  'SUBMISSION_CHANGED', // a form sent again under the same submission ID, with other details
  'ROSTER_REJECTED',
  'BUSY',
  'CONFLICT', // the record is no longer in the state the request assumed (e.g. already resent)
  'NOT_DISMISSIBLE', // a refused record that must be corrected and resent, not dismissed; details.why says why
  'SYNC_NOT_CONFIGURED', // no portal in the provisioning: records stay in the outbox
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FieldError {
  /** dotted path of the field, e.g. `photoIdNumber` */
  field: string;
  /** i18n key below `errors.field.` */
  code: string;
}

export interface AppError {
  code: ErrorCode;
  /** English fallback text, for logs and for codes the renderer has no text for */
  message: string;
  fields?: FieldError[];
  /** extra data the renderer shows with the error (existing token, duplicate candidates, line number...) */
  details?: Record<string, unknown>;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (
  code: ErrorCode,
  message: string,
  extra: Pick<AppError, 'fields' | 'details'> = {},
): { ok: false; error: AppError } => ({ ok: false, error: { code, message, ...extra } });

/** Thrown inside main-process services; turned into a `Result` at the IPC boundary. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: Pick<AppError, 'fields' | 'details'> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
  toAppError(): AppError {
    return { code: this.code, message: this.message, ...this.extra };
  }
}
