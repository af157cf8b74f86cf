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

/**
 * Reads and validates the provisioning file; null when there is none yet (first run).
 * A printer the counter no longer sends slips to (a path or address refused since it was
 * saved) does not stop the counter: it starts with no printer set, and `onWarning` says why,
 * so the supervisor sets the printer again. Anything else wrong refuses the file.
 */
export function loadProvisioning(file: string, onWarning?: (problems: string[]) => void): Provisioning | null {
  if (!existsSync(file)) return null;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ProvisioningFileError(file, [`not valid JSON: ${(e as Error).message}`]);
  }
  const r = provisioningSchema.safeParse(doc);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
  const printerOnly = r.error.issues.every((i) => i.path[0] === 'printing' && i.path[1] === 'printer');
  if (printerOnly && isRecord(doc) && isRecord(doc.printing)) {
    const withoutPrinter = provisioningSchema.safeParse({ ...doc, printing: { ...doc.printing, printer: { kind: 'none' } } });
    if (withoutPrinter.success) {
      onWarning?.(problems);
      return withoutPrinter.data;
    }
  }
  throw new ProvisioningFileError(file, problems);
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

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
