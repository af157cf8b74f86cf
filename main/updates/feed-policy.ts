/**
 * Where updates may come from: https only, plain http only to this PC itself (a feed on
 * loopback for tests and for IT checking a build). Every request the updater makes (the
 * metadata, its signature, the file, any redirect) is held to this.
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Why this URL may not be fetched (null: it may). */
export function feedUrlRefusal(url: string | URL): string | null {
  let u: URL;
  try {
    u = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return `the update feed "${String(url).slice(0, 120)}" is not a URL`;
  }
  if (u.protocol === 'https:') return null;
  if (u.protocol === 'http:' && isLoopbackHost(u.hostname)) return null;
  return `the update feed must use https (got ${u.protocol}//${u.host}); plain http is allowed only to this PC`;
}

/**
 * The feed URL from electron-builder's app-update.yml (written into the app's resources from
 * `publish` in electron-builder.yml): its `url:` line, or null.
 */
export function feedUrlFromAppUpdateYml(text: string): string | null {
  const m = /^url:\s*['"]?([^'"\s]+)['"]?\s*$/m.exec(text);
  return m ? m[1]! : null;
}

export const DEFAULT_MAX_KBITS_PER_SECOND = 2000;

/**
 * The download cap from COUNTER_UPDATE_MAX_KBPS (kilobits per second; 0 = no cap), in bytes per
 * second (null = no cap). Unset or unreadable: the default of 2 Mbit/s.
 */
export function maxBytesPerSecond(setting: string | undefined): { bytesPerSecond: number | null; warning: string | null } {
  const fallback = (DEFAULT_MAX_KBITS_PER_SECOND * 1000) / 8;
  if (setting === undefined || setting.trim() === '') return { bytesPerSecond: fallback, warning: null };
  const kbits = Number(setting.trim());
  if (!Number.isFinite(kbits) || kbits < 0 || !/^\d+(\.\d+)?$/.test(setting.trim())) {
    return {
      bytesPerSecond: fallback,
      warning: `COUNTER_UPDATE_MAX_KBPS must be a number of kilobits per second (0: no cap), not "${setting.slice(0, 40)}"; using ${DEFAULT_MAX_KBITS_PER_SECOND}`,
    };
  }
  return { bytesPerSecond: kbits === 0 ? null : Math.max(1, Math.round((kbits * 1000) / 8)), warning: null };
}

export type UpdatePlan =
  | { updates: 'off'; detail: string | null }
  | { updates: 'feed'; feedUrl: string; maxBytesPerSecond: number | null; warning: string | null };

/**
 * Whether and from where this installation updates itself: off when IT turned updates off
 * (COUNTER_UPDATES=off), for an installation IT's tools update (MSI, .deb), for a copy run
 * from the source tree, or with no feed; else the feed (COUNTER_UPDATE_URL, or the `url` of
 * app-update.yml) and the download cap (COUNTER_UPDATE_MAX_KBPS).
 */
export function planUpdates(o: {
  env: Readonly<Record<string, string | undefined>>;
  /** how the app was installed (main/electron/install-kind.ts) */
  installKind: string;
  /** whether that kind of installation may update itself */
  inAppUpdates: boolean;
  /** the text of app-update.yml in the app's resources, or null */
  appUpdateYml: string | null;
}): UpdatePlan {
  if (o.env.COUNTER_UPDATES === 'off')
    return { updates: 'off', detail: 'updates are turned off on this PC (COUNTER_UPDATES=off)' };
  if (o.installKind === 'dev') return { updates: 'off', detail: null };
  if (!o.inAppUpdates) return { updates: 'off', detail: `this ${o.installKind} installation is updated by IT's own tools` };
  const feedUrl = o.env.COUNTER_UPDATE_URL?.trim() || (o.appUpdateYml === null ? null : feedUrlFromAppUpdateYml(o.appUpdateYml));
  if (!feedUrl)
    return { updates: 'off', detail: 'no update feed is set (publish.url in electron-builder.yml, or COUNTER_UPDATE_URL)' };
  const cap = maxBytesPerSecond(o.env.COUNTER_UPDATE_MAX_KBPS);
  return { updates: 'feed', feedUrl, maxBytesPerSecond: cap.bytesPerSecond, warning: cap.warning };
}
