/**
 * Where an enrolled counter keeps its portal address and device token: `device-token.json` in
 * its data folder, never in provisioning.json. The desktop app seals the token with the
 * operating system's keychain (main/electron/device-token.ts); where there is none, and for the
 * web bridge and the tests, the token is kept in this file readable by its owner only (0600).
 * A provisioning file written by hand with `portal.deviceToken` is used as it is, as before.
 */
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { portalUrlError } from '../../common/rules/portal-url';

export const DEVICE_TOKEN_FILE = 'device-token.json';

/** What enrolment gives a counter to reach the portal with. */
export interface PortalCredentials {
  portalUrl: string;
  deviceToken: string;
}

/** Keeps the portal address and device token of an enrolled counter. */
export interface DeviceTokenKeeper {
  /** the file they are kept in */
  readonly file: string;
  /** how the token is protected there: sealed by the OS keychain, or by the file's permissions (0600) */
  readonly protection: 'keychain' | 'file';
  /** null when this counter was not enrolled (or was set up by hand) */
  read(): Promise<PortalCredentials | null>;
  write(credentials: PortalCredentials): Promise<void>;
}

/** The token cannot be read back: the counter must not start without saying why. */
/** What IT does when the kept token cannot be read: the steps that work (the portal rebinds the counter on a new code). */
export function enrolAgainSteps(dataDir: string): string {
  return (
    `Hospital IT: close the app; move ${DEVICE_TOKEN_FILE} and provisioning.json out of ${dataDir} ` +
    `(leave counter.db: its records not yet uploaded stay with this counter); start the app, which opens on first run; ` +
    `enrol it there with a new code for this same counter of this centre, and a supervisor login ID not yet on this counter ` +
    `(its operators stay). The portal then revokes the old token and binds this counter to the new one.`
  );
}

export class DeviceTokenUnavailable extends Error {
  override name = 'DeviceTokenUnavailable';
}

const portalUrlSchema = z
  .url()
  .max(500)
  .refine((u) => portalUrlError(u) === null, 'the portal address must be https (http only to this PC)');
const deviceTokenSchema = z.string().min(16).max(200);

/** The file's content: the address in the clear, the token either in the clear (0600) or sealed. */
export const deviceTokenFileSchema = z.union([
  z.object({ version: z.literal(1), portalUrl: portalUrlSchema, token: deviceTokenSchema }).strict(),
  z.object({ version: z.literal(1), portalUrl: portalUrlSchema, safeStorage: z.base64().min(1) }).strict(),
]);
export type DeviceTokenFileContent = z.output<typeof deviceTokenFileSchema>;

/** Writes the file whole or not at all: a temporary file (0600), flushed, then renamed over. */
export function writeOwnerOnly(path: string, content: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** The file's content, checked; null when there is no file. */
export function readDeviceTokenFile(file: string): DeviceTokenFileContent | null {
  if (!existsSync(file)) return null;
  chmodSync(file, 0o600);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new DeviceTokenUnavailable(`The device token file ${file} is damaged (not JSON). ${enrolAgainSteps(dirname(file))}`);
  }
  const parsed = deviceTokenFileSchema.safeParse(doc);
  if (!parsed.success) {
    throw new DeviceTokenUnavailable(
      `The device token file ${file} is not one this app writes (${parsed.error.issues[0]?.message ?? 'invalid'}). ${enrolAgainSteps(dirname(file))}`,
    );
  }
  return parsed.data;
}

/** The token in a file only its owner can read (0600): the web bridge, tests, and PCs without a keychain. */
export function fileTokenKeeper(dataDir: string): DeviceTokenKeeper {
  const file = join(dataDir, DEVICE_TOKEN_FILE);
  return {
    file,
    protection: 'file',
    read: async () => {
      const content = readDeviceTokenFile(file);
      if (!content) return null;
      if (!('token' in content)) {
        throw new DeviceTokenUnavailable(
          `The device token in ${file} is sealed by an OS keychain this process cannot use: start the desktop app as the user who enrolled it.`,
        );
      }
      return { portalUrl: content.portalUrl, deviceToken: content.token };
    },
    write: async ({ portalUrl, deviceToken }) => {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const content: DeviceTokenFileContent = { version: 1, portalUrl, token: deviceToken };
      writeOwnerOnly(file, `${JSON.stringify(content, null, 2)}\n`);
    },
  };
}
