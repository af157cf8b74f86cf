export function findChromium(): { path: string | undefined; source: 'env' | 'system' | 'playwright' | 'none' };
export const CHROMIUM_ARGS: string[];
