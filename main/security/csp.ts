/**
 * The renderer's Content-Security-Policy: scripts only from the app itself, no inline
 * script or style, no eval, no plugins, no framing, no form posts (styles the page sets
 * through the DOM, such as the queue's row positions, are not inline styles to the CSP).
 * Sent as a header by Electron's session and by the web bridge; index.html carries the
 * same policy in a meta tag.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  // app://counter is 'self' in the packaged app; named for the board's speech (main/electron/
  // board-speech.ts) while the pages come from a dev server. A browser cannot reach app: URLs.
  "connect-src 'self' app://counter",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
