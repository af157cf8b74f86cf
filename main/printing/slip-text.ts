/**
 * The fixed words printed on a token slip, in English and Hindi. Every slip carries both
 * languages whatever the counter's interface language is: the person holding it may read either.
 * Numbers stay in international digits in both languages (as on government slips and forms).
 */
import type { SlipData } from './types';

export interface Bilingual {
  en: string;
  hi: string;
}

export const SLIP_TEXT = {
  token: { en: 'Token', hi: 'टोकन' },
  priorityLane: { en: 'Priority lane', hi: 'प्राथमिकता कतार' },
  priorityLaneNote: { en: 'online registration', hi: 'ऑनलाइन पंजीकरण' },
  walkinLane: { en: 'Walk-in lane', hi: 'वॉक-इन कतार' },
  name: { en: 'Name', hi: 'नाम' },
  placeInLane: { en: 'Place in lane', hi: 'कतार में स्थान' },
  estimatedWait: { en: 'Estimated wait', hi: 'अनुमानित प्रतीक्षा' },
  issued: { en: 'Issued', hi: 'जारी' },
  counter: { en: 'Counter', hi: 'काउंटर' },
  operator: { en: 'Operator', hi: 'ऑपरेटर' },
  reprint: { en: 'REPRINT', hi: 'पुनर्मुद्रण' },
  unverified: { en: 'Unverified', hi: 'असत्यापित' },
  keepSlip: { en: 'Keep this slip; show it at the vaccination room', hi: 'यह पर्ची संभाल कर रखें; टीकाकरण कक्ष में दिखाएँ' },
} as const satisfies Record<string, Bilingual>;

/** "Priority lane (online registration)" / "Walk-in lane", both languages. */
export function laneText(lane: SlipData['lane']): { title: Bilingual; note: Bilingual | null } {
  return lane === 'priority'
    ? { title: SLIP_TEXT.priorityLane, note: SLIP_TEXT.priorityLaneNote }
    : { title: SLIP_TEXT.walkinLane, note: null };
}

/** "about 35 min" / "लगभग 35 मिनट"; under a minute reads "less than 1 min". */
export function waitText(minutes: number): Bilingual {
  const m = Math.round(minutes);
  if (m < 1) return { en: 'less than 1 min', hi: '1 मिनट से कम' };
  return { en: `about ${m} min`, hi: `लगभग ${m} मिनट` };
}

/** `English / हिंदी` on one line. */
export const both = (t: Bilingual): string => `${t.en} / ${t.hi}`;

/**
 * A realistic example slip with made-up data (documentation screenshots, benchmarks, tests);
 * fields can be overridden. A counter's test print uses its own configuration instead.
 */
export function demoSlip(overrides: Partial<SlipData> = {}): SlipData {
  const ticketId = overrides.ticketId ?? '0b6f3c2e-5d1a-4f7b-9c88-2a4e6d10f3b7';
  const token = overrides.token ?? 'A-P017';
  return {
    ticketId,
    token,
    lane: 'priority',
    centre: { name: 'CHC Aliganj, Lucknow', nameHi: 'सीएचसी अलीगंज, लखनऊ' },
    name: 'Sunita Devi',
    issuedAt: '25 Nov 2026, 10:42',
    placeInLane: 12,
    estimatedWaitMinutes: 35,
    counterCode: 'C2',
    operatorCode: 'OP-14',
    verified: true,
    reprint: false,
    qrPayload: JSON.stringify({ t: ticketId, k: token }),
    ...overrides,
  };
}
