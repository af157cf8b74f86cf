/**
 * Fault injection for tests and demos (`--faults`, loopback only): the portal hangs, answers
 * slowly, fails, refuses or drops connections on command, so a counter's sync worker can be
 * shown to survive each. Probabilities draw from a seeded generator: a run can be repeated.
 */
import { z } from 'zod';
import { prng } from '../common/demo/people';

export const FAULT_KINDS = ['hang', 'slow', 'http500', 'http503', 'http429', 'reset', 'commit_then_drop'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export const FAULT_ROUTES = ['push', 'roster', 'records', 'any'] as const;
/** the sync route a request is for; `other` is any other /v1 path (only `any` rules match it) */
export type FaultRoute = Exclude<(typeof FAULT_ROUTES)[number], 'any'> | 'other';

export const faultRuleSchema = z
  .object({
    fault: z.enum(FAULT_KINDS),
    route: z.enum(FAULT_ROUTES).default('any'),
    probability: z.number().min(0).max(1).default(1),
    /** apply to the next N matching requests, then stop; without it, for ever */
    times: z.number().int().positive().optional(),
    /** `slow`: how long to wait before handling the request */
    delayMs: z.number().int().min(0).max(600_000).default(2000),
    /** `http429` / `http503`: the Retry-After header */
    retryAfterSeconds: z.number().int().min(0).max(86_400).default(1),
  })
  .strict();
export type FaultRule = z.output<typeof faultRuleSchema>;

export const faultConfigSchema = z
  .object({
    rules: z.array(faultRuleSchema).max(100).default([]),
    /** mutations for these record IDs are rejected with `rejectCode` */
    rejectRecordIds: z.array(z.uuid()).max(100_000).default([]),
    rejectCode: z
      .string()
      .regex(/^[a-z0-9_]{1,64}$/)
      .default('rejected_by_portal'),
    seed: z.number().int().default(1),
  })
  .strict();
export type FaultConfig = z.output<typeof faultConfigSchema>;
export type FaultConfigInput = z.input<typeof faultConfigSchema>;

export class FaultInjector {
  private config: FaultConfig = faultConfigSchema.parse({});
  private remaining: (number | undefined)[] = [];
  private fired: number[] = [];
  private random: () => number = prng(1);
  private rejects = new Set<string>();

  /** Replaces the whole configuration (and restarts the generator from its seed). */
  configure(config: FaultConfig): void {
    this.config = config;
    this.remaining = config.rules.map((r) => r.times);
    this.fired = config.rules.map(() => 0);
    this.random = prng(config.seed);
    this.rejects = new Set(config.rejectRecordIds.map((id) => id.toLowerCase()));
  }

  /** The configuration and how often each rule has fired. */
  current(): FaultConfig & { fired: number[] } {
    return { ...this.config, fired: [...this.fired] };
  }

  /** The fault to inject into a request for `route`, if any: the first rule that matches and fires. */
  pick(route: FaultRoute): FaultRule | null {
    for (const [i, rule] of this.config.rules.entries()) {
      if (rule.route !== 'any' && rule.route !== route) continue;
      const left = this.remaining[i];
      if (left !== undefined && left <= 0) continue;
      if (rule.probability < 1 && !(this.random() < rule.probability)) continue;
      if (left !== undefined) this.remaining[i] = left - 1;
      this.fired[i] = (this.fired[i] ?? 0) + 1;
      return rule;
    }
    return null;
  }

  get rejectRecordIds(): ReadonlySet<string> {
    return this.rejects;
  }

  get rejectCode(): string {
    return this.config.rejectCode;
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);
export const isLoopbackHost = (host: string): boolean => LOOPBACK.has(host.trim().toLowerCase());
