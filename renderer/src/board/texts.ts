/**
 * The board's fixed texts. The board shows English and Hindi together (never a switch), so
 * every text here is a pair; the page never asks i18n for a language.
 */
import type { Bilingual } from '../../../common/board';
import type { LaneName } from '../../../common/domain';

export const BOARD_TEXT = {
  title: { en: 'Waiting hall board', hi: 'प्रतीक्षा कक्ष बोर्ड' },
  nowCalling: { en: 'Now calling', hi: 'अभी बुलाया जा रहा है' },
  nobodyCalled: { en: 'Please wait for your token to be called', hi: 'कृपया अपना टोकन बुलाए जाने की प्रतीक्षा करें' },
  goTo: { en: 'Please go to', hi: 'कृपया यहाँ जाएँ' },
  calledAgain: { en: 'Called again', hi: 'फिर से बुलाया गया' },
  recent: { en: 'Last called', hi: 'पिछले बुलाए गए' },
  noneYet: { en: 'None yet', hi: 'अभी कोई नहीं' },
  waiting: { en: 'Waiting', hi: 'प्रतीक्षा में' },
  estimatedWait: { en: 'Estimated wait', hi: 'अनुमानित प्रतीक्षा' },
  notKnownYet: { en: 'not known yet', hi: 'अभी पता नहीं' },
  soundOn: { en: 'Click to turn on sound', hi: 'आवाज़ चालू करने के लिए क्लिक करें' },
  soundWhy: {
    en: 'The browser plays sound only after one click on this page.',
    hi: 'ब्राउज़र इस पेज पर एक क्लिक के बाद ही आवाज़ चलाता है।',
  },
  soundOff: { en: 'Spoken calls are turned off', hi: 'बोलकर बुलाना बंद है' },
  soundFailed: { en: 'A call could not be spoken', hi: 'एक बुलावा बोला नहीं जा सका' },
  soundMissed: {
    en: 'Called before sound was turned on (not spoken)',
    hi: 'आवाज़ चालू होने से पहले बुलाए गए (बोले नहीं गए)',
  },
  offline: { en: 'Connection to the counter lost: trying again', hi: 'काउंटर से संपर्क टूट गया: फिर से कोशिश हो रही है' },
  refused: {
    en: 'This board link is not valid. Open the board link printed by the counter when it started.',
    hi: 'यह बोर्ड लिंक मान्य नहीं है। काउंटर के शुरू होने पर छपा बोर्ड लिंक खोलें।',
  },
  loading: { en: 'Loading…', hi: 'लोड हो रहा है…' },
  token: { en: 'Token', hi: 'टोकन' },
} as const satisfies Record<string, Bilingual>;

export const LANE_TEXT: Record<LaneName, Bilingual> = {
  priority: { en: 'Priority (online)', hi: 'प्राथमिकता (ऑनलाइन)' },
  walkin: { en: 'Walk-in', hi: 'वॉक-इन' },
};

/** "about 15 min" / "लगभग 15 मिनट"; null: not known yet */
export function waitText(minutes: number | null): Bilingual {
  if (minutes === null) return BOARD_TEXT.notKnownYet;
  if (minutes === 0) return { en: 'no wait', hi: 'कोई प्रतीक्षा नहीं' };
  return { en: `about ${minutes} min`, hi: `लगभग ${minutes} मिनट` };
}

/** What the live region says of a call, in both languages. */
export function announcement(call: { token: string; lane: LaneName; destination: Bilingual; recall: boolean }): string {
  const again = call.recall ? ` (${BOARD_TEXT.calledAgain.en})` : '';
  const againHi = call.recall ? ` (${BOARD_TEXT.calledAgain.hi})` : '';
  return (
    `Token ${call.token}, ${LANE_TEXT[call.lane].en}: please go to ${call.destination.en}${again}. ` +
    `टोकन ${call.token}, ${LANE_TEXT[call.lane].hi}: कृपया ${call.destination.hi} पर जाएँ${againHi}।`
  );
}
