import { existsSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { provisioningSchema, type Provisioning } from '../../common/domain';

export class ProvisioningFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`The provisioning file ${file} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ProvisioningFileError';
  }
}

/** Reads and validates the provisioning file; null when there is none yet (first run). */
export function loadProvisioning(file: string): Provisioning | null {
  if (!existsSync(file)) return null;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ProvisioningFileError(file, [`not valid JSON: ${(e as Error).message}`]);
  }
  const r = provisioningSchema.safeParse(doc);
  if (!r.success)
    throw new ProvisioningFileError(
      file,
      r.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`),
    );
  return r.data;
}

/** Writes the file atomically (temp file, fsync, rename): a crash leaves the old file or the new one. */
export function saveProvisioning(file: string, p: Provisioning): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(p, null, 2)}\n`, { mode: 0o600 });
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
