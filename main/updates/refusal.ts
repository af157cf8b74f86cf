/**
 * How a failed check or download is told apart: an update that was offered and refused (the
 * supervisor is told, nothing is installed) or a feed that could not be reached (tried again).
 */
import type { UpdateRefusal } from '../../common/updates';
import { errorCode } from '../../common/error-code';

export class UpdateRefusedError extends Error {
  readonly code = 'ERR_COUNTER_UPDATE_REFUSED';
  constructor(
    readonly refusal: UpdateRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'UpdateRefusedError';
  }
}

export type UpdateFailure = { kind: 'refused'; refusal: UpdateRefusal; detail: string } | { kind: 'error'; detail: string };

/** What an error from electron-updater (or from the feed provider inside it) means for the counter. */
export function classifyUpdateFailure(err: unknown): UpdateFailure {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
  if (err instanceof UpdateRefusedError) return { kind: 'refused', refusal: err.refusal, detail: message };
  switch (errorCode(err)) {
    case 'ERR_COUNTER_FEED_NOT_HTTPS':
      return { kind: 'refused', refusal: 'feed_not_https', detail: message };
    case 'ERR_CHECKSUM_MISMATCH':
      return { kind: 'refused', refusal: 'file_checksum_mismatch', detail: message };
    case 'ERR_UPDATER_INVALID_UPDATE_INFO':
    case 'ERR_UPDATER_INVALID_VERSION':
    case 'ERR_UPDATER_NO_FILES_PROVIDED':
    case 'ERR_UPDATER_NO_CHECKSUM':
      return { kind: 'refused', refusal: 'metadata_invalid', detail: message };
    // electron-updater's Windows publisher check (publisherName in app-update.yml)
    case 'ERR_UPDATER_INVALID_SIGNATURE':
      return { kind: 'refused', refusal: 'publisher_mismatch', detail: message };
    default:
      break;
  }
  return { kind: 'error', detail: message };
}
