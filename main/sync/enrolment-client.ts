/**
 * Redeems an enrolment code at the portal (`POST /v1/enrol`) for this counter's provisioning and
 * device token. One request with a hard deadline, an answer read with a size limit and checked
 * against the protocol; every way it can fail becomes a field error the first-run screen shows
 * next to the code or the portal address, in both languages. Nothing here waits on the main
 * process's event loop: the request is asynchronous and ends at its deadline.
 */
import { DomainError } from '../../common/result';
import { enrolResponseSchema, errorBodySchema, type EnrolResponse } from '../../common/sync-protocol';

/** How long the counter waits for the portal's answer before saying it cannot be reached. */
export const DEFAULT_ENROL_TIMEOUT_MS = 15_000;
const MAX_ANSWER_BYTES = 64 * 1024;

export interface EnrolCall {
  portalUrl: string;
  code: string;
  deviceId: string;
  timeoutMs?: number | undefined;
}

type Field = 'code' | 'portalUrl';

const refuse = (field: Field, code: string, message: string) =>
  new DomainError('VALIDATION', message, { fields: [{ field, code }] });

/** The portal's error codes to the first-run screen's field errors. */
const CODE_ERRORS: Record<string, string> = {
  enrol_code_unknown: 'enrol_code_unknown',
  enrol_code_expired: 'enrol_code_expired',
  enrol_code_used: 'enrol_code_used',
  device_already_enrolled: 'enrol_device_enrolled',
  rate_limited: 'enrol_rate_limited',
  invalid_request: 'enrol_code_format',
};

async function readLimited(res: Response): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      throw new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The portal's answer for this device; a DomainError (VALIDATION, with the field at fault) otherwise. */
export async function redeemEnrolment(call: EnrolCall): Promise<EnrolResponse> {
  const timeoutMs = call.timeoutMs ?? DEFAULT_ENROL_TIMEOUT_MS;
  const url = `${call.portalUrl.replace(/\/+$/, '')}/v1/enrol`;
  const signal = AbortSignal.timeout(timeoutMs);
  let status: number;
  let text: string;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ code: call.code, deviceId: call.deviceId }),
      // a redirect could carry the code to another address: the address typed is the one used
      redirect: 'error',
      signal,
    });
    status = res.status;
    text = await readLimited(res);
  } catch (e) {
    if (signal.aborted) {
      throw refuse('portalUrl', 'enrol_portal_timeout', `the portal at ${call.portalUrl} did not answer within ${timeoutMs} ms`);
    }
    const cause = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
    throw refuse('portalUrl', 'enrol_portal_unreachable', `the portal at ${call.portalUrl} could not be reached: ${cause}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (status === 200) {
    const answer = enrolResponseSchema.safeParse(body);
    if (!answer.success || answer.data.deviceId !== call.deviceId.toLowerCase()) {
      throw refuse('portalUrl', 'enrol_portal_answer', `the answer of ${call.portalUrl} is not an enrolment for this counter`);
    }
    return answer.data;
  }
  const error = errorBodySchema.safeParse(body);
  const fieldCode = error.success ? CODE_ERRORS[error.data.error] : undefined;
  if (fieldCode) throw refuse('code', fieldCode, error.success ? error.data.message : 'refused');
  if (status === 404 || !error.success) {
    throw refuse(
      'portalUrl',
      'enrol_portal_answer',
      `${call.portalUrl} answered ${status}: it is not a portal that enrols counters`,
    );
  }
  throw refuse('portalUrl', 'enrol_portal_failed', `the portal answered ${status} ${error.data.error}: try again in a moment`);
}
