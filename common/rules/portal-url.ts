/**
 * The portal's address in the provisioning file. The counter sends its device token and full ID
 * numbers there, so the address must be https; plain http only to this PC (a portal or a TLS
 * gateway on 127.0.0.0/8, ::1 or `localhost`), where nothing crosses a network.
 */
import ipaddr from 'ipaddr.js';

// URL is there in every process common/ runs in (Node, the page); common/ has neither's types
declare const URL: new (input: string) => { protocol: string; hostname: string };

/** Whether a URL's host (as the URL parser gives it: IPv6 in brackets) is this PC. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost') return true;
  return ipaddr.isValid(host) && ipaddr.process(host).range() === 'loopback';
}

/**
 * null when the counter may talk to the portal at `url`; 'portal_url_https' for anything but
 * https, or http to this PC. A text that is not a URL at all is left to the URL check.
 */
export function portalUrlError(url: string): string | null {
  let parsed: { protocol: string; hostname: string };
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol === 'https:') return null;
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return null;
  return 'portal_url_https';
}
