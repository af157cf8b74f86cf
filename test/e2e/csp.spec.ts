/**
 * The page keeps to its Content-Security-Policy without 'unsafe-inline' for styles: every
 * screen a supervisor can open, in both languages, draws with no policy violation.
 */
import { DEMO, expect, test } from './fixtures';
import { openCounter, signIn } from './helpers';

test('no screen of the counter breaks the style and script policy', async ({ page, bridge }) => {
  const csp = (await page.request.get(bridge.url)).headers()['content-security-policy'] ?? '';
  expect(csp).toContain("style-src 'self'");
  expect(csp).not.toContain('unsafe-inline');

  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) =>
      seen.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`),
    );
  });
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) consoleErrors.push(m.text());
  });

  await openCounter(page, bridge);
  await signIn(page, DEMO.supervisor);
  for (const tab of await page.locator('[role="tab"]').all()) {
    await tab.click();
    await expect(tab).toHaveAttribute('aria-selected', 'true');
  }
  // the same screens in Hindi, and a lane shown in full (its rows placed by the page)
  await page.getByTestId('lang-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'hi');
  for (const tab of await page.locator('[role="tab"]').all()) await tab.click();

  const violations = await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
  expect(violations).toEqual([]);
  expect(consoleErrors).toEqual([]);
});
