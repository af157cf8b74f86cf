/**
 * The board's colours, in one place so their contrast is checked by a test
 * (test/renderer/board.test.tsx): every text colour on its background reaches WCAG AA
 * (4.5:1; the board's text is large, for which AA asks only 3:1). board.css uses the same values.
 */
import type { LaneName } from '../../../common/domain';

export const BOARD_COLOURS = {
  background: '#0d1117',
  panel: '#1b2230',
  text: '#ffffff',
  muted: '#c9d1d9',
  accent: '#ffd33d',
  highlight: '#ffd33d',
  highlightText: '#0d1117',
  noticeBackground: '#ffd33d',
  noticeText: '#0d1117',
} as const;

/** Each lane's colour: the lane badge's background, with its text colour. */
export const LANE_COLOURS: Record<LaneName, { background: string; text: string }> = {
  priority: { background: '#1f6feb', text: '#ffffff' },
  walkin: { background: '#8957e5', text: '#ffffff' },
};

/** The pairs of (text, background) the board draws, for the contrast test. */
export function colourPairs(): Array<{ name: string; text: string; background: string }> {
  const c = BOARD_COLOURS;
  return [
    { name: 'text on background', text: c.text, background: c.background },
    { name: 'text on panel', text: c.text, background: c.panel },
    { name: 'muted on background', text: c.muted, background: c.background },
    { name: 'muted on panel', text: c.muted, background: c.panel },
    { name: 'accent on background', text: c.accent, background: c.background },
    { name: 'accent on panel', text: c.accent, background: c.panel },
    { name: 'highlight text', text: c.highlightText, background: c.highlight },
    { name: 'notice', text: c.noticeText, background: c.noticeBackground },
    ...Object.entries(LANE_COLOURS).map(([lane, l]) => ({ name: `lane ${lane}`, text: l.text, background: l.background })),
  ];
}

function channel(v: number): number {
  const s = v / 255;
  return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

/** WCAG 2 relative luminance of a #rrggbb colour. */
export function luminance(hex: string): number {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  const [r, g, b] = [m[1]!, m[2]!, m[3]!].map((h) => channel(parseInt(h, 16)));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** WCAG 2 contrast ratio (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}
