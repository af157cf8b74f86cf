/**
 * What the renderer knows about slip printing: the print jobs it has heard of (from the
 * `print` events and `listPrintJobs`), and what they mean for a ticket or for the day.
 */
import type { TFunction } from 'i18next';
import type { PrintJobView, PrintingSettings } from '../../common/domain';
import { tDynamic } from './i18n';

export type PrintJobs = Record<string, PrintJobView>;

const RANK: Record<PrintJobView['status'], number> = { queued: 0, printing: 1, printed: 2, failed: 2 };

/**
 * The later of two views of one job. A job only moves forward (queued → printing → printed
 * or failed), so a list fetched before an event must not take the event's news back.
 */
export function newerView(a: PrintJobView | undefined, b: PrintJobView): PrintJobView {
  if (!a) return b;
  return RANK[b.status] >= RANK[a.status] ? b : a;
}

/** Order of requests: by time, then by ID (job IDs are time-ordered too). */
const later = (a: PrintJobView, b: PrintJobView): boolean =>
  a.requestedAt === b.requestedAt ? a.id > b.id : a.requestedAt > b.requestedAt;

const latestCache = new WeakMap<PrintJobs, Map<string, PrintJobView>>();

/** The last slip asked for each ticket; worked out once per state of the job list. */
function latestByTicket(jobs: PrintJobs): Map<string, PrintJobView> {
  let out = latestCache.get(jobs);
  if (!out) {
    out = new Map();
    for (const j of Object.values(jobs)) {
      if (!j.ticketId || j.kind === 'test') continue;
      const cur = out.get(j.ticketId);
      if (!cur || later(j, cur)) out.set(j.ticketId, j);
    }
    latestCache.set(jobs, out);
  }
  return out;
}

/** The last slip asked for a ticket, or null when none was. */
export function latestJobFor(jobs: PrintJobs, ticketId: string): PrintJobView | null {
  return latestByTicket(jobs).get(ticketId) ?? null;
}

export interface SlipProblem {
  ticketId: string;
  token: string;
  /** the last failed job of the ticket: what went wrong */
  failed: PrintJobView;
  /** the ticket's last job: the failed one, or a reprint on its way */
  latest: PrintJobView;
}

/**
 * Tickets whose slip did not print: their last failure has not been followed by a slip that
 * printed. A reprint that is still queued or printing keeps the problem listed (as "reprinting").
 */
export function slipProblems(jobs: PrintJobs): SlipProblem[] {
  const byTicket = new Map<string, { failed: PrintJobView | null; latest: PrintJobView }>();
  for (const j of Object.values(jobs)) {
    if (!j.ticketId || j.kind === 'test') continue;
    const cur = byTicket.get(j.ticketId);
    const failed = j.status === 'failed' && (!cur?.failed || later(j, cur.failed)) ? j : (cur?.failed ?? null);
    const latest = !cur || later(j, cur.latest) ? j : cur.latest;
    byTicket.set(j.ticketId, { failed, latest });
  }
  const out: SlipProblem[] = [];
  for (const [ticketId, { failed, latest }] of byTicket) {
    if (!failed || latest.status === 'printed') continue;
    out.push({ ticketId, token: failed.token ?? latest.token ?? '?', failed, latest });
  }
  return out.sort((a, b) => (later(a.failed, b.failed) ? -1 : 1));
}

export const printerConfigured = (p: PrintingSettings | null | undefined): boolean => Boolean(p && p.printer.kind !== 'none');

/** Why a print failed, in the UI language. */
export function printErrorText(t: TFunction, code: string | null | undefined): string {
  return tDynamic(t, `errors.print.${code ?? 'unknown'}`, 'errors.print.unknown');
}
