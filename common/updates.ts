/**
 * The counter's view of an app update, and the port through which the counter's core asks the
 * updater (main/updates, wired by main/electron) about it. The core decides when an update may
 * install (the counter idle, or the day closed); the updater finds, verifies and downloads it.
 */
import { z } from 'zod';

/**
 * off: this installation is updated by IT's own tools (MSI, .deb) or updates are turned off;
 * idle: nothing offered; checking / downloading: in the background; ready: downloaded and
 * verified, waiting for the counter to be idle; installing: the app is closing to install;
 * refused: an update was offered and refused (bad signature, wrong file, http feed);
 * error: the feed could not be reached or read (tried again later).
 */
export const UPDATE_PHASES = ['off', 'idle', 'checking', 'downloading', 'ready', 'installing', 'refused', 'error'] as const;
export type UpdatePhase = (typeof UPDATE_PHASES)[number];

/** Why an offered update was refused: nothing is installed, and the supervisor is told. */
export const UPDATE_REFUSALS = [
  'signature_missing',
  'signature_invalid',
  'file_checksum_mismatch',
  'feed_not_https',
  'metadata_invalid',
  'publisher_mismatch',
] as const;
export type UpdateRefusal = (typeof UPDATE_REFUSALS)[number];

export const updateStatusSchema = z.object({
  phase: z.enum(UPDATE_PHASES),
  /** the version running now */
  currentVersion: z.string().max(40),
  /** the version offered (downloading, ready, installing, refused) */
  version: z.string().max(40).nullable(),
  /** 0-100 while downloading */
  progressPercent: z.number().min(0).max(100).nullable(),
  /** set when phase is refused */
  refusal: z.enum(UPDATE_REFUSALS).nullable(),
  /** a short English description of the last refusal or error, for the log and IT */
  detail: z.string().max(300).nullable(),
  /** ISO time of the last check of the feed */
  checkedAt: z.string().nullable(),
});
export type UpdateStatus = z.infer<typeof updateStatusSchema>;

/** What the counter's core needs from the updater; absent where nothing updates in-app (web bridge, tests). */
export interface UpdatePort {
  status(): UpdateStatus;
  /** install a ready update now: the app closes and reopens on the new version */
  installNow(): void;
  /** called with the new status whenever it changes; returns the unsubscribe function */
  onStatus(listener: (status: UpdateStatus) => void): () => void;
}

/** The counter's answer to "may a ready update install now?" (main/services decides it). */
export interface InstallWindow {
  mayInstall: boolean;
  /** idle: nobody signed in and no ticket of this counter waiting or called for 10 minutes; day_closed: the day is closed */
  reason: 'idle' | 'day_closed' | 'signed_in' | 'queue_active' | 'postponed';
}
