/**
 * First run of a new counter: the setup form refuses a bad value next to its field, then
 * sets up the centre and its first supervisor, who signs in.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { en } from '../../renderer/src/i18n/en';
import { hi } from '../../renderer/src/i18n/hi';
import { expect, test } from './fixtures';
import { startPortalProcess } from '../../portal/process';
import { aadhaarPair, openCounter, walkInPanel } from './helpers';

test('first run: a bad centre ID and a PIN typo are refused next to their fields, then the supervisor is set up and signs in', async ({
  page,
  freshBridge,
}) => {
  await openCounter(page, freshBridge, 'firstrun');
  const field = (name: string) => page.getByTestId(`firstrun-${name}`);
  const error = (name: string) => page.getByTestId(`error-${name}`);

  await expect(field('centreId')).toBeFocused();
  await expect(field('timeZone')).toHaveValue('Asia/Kolkata');

  // a space is not allowed in a centre ID: said as soon as the field is left
  await page.keyboard.type('UP LKO PHC 07');
  await page.keyboard.press('Tab');
  await expect(field('centreName')).toBeFocused();
  await expect(error('centreId')).toHaveAttribute('data-code', 'centre_id_format');
  await expect(error('centreId').locator('[lang="en"]')).toHaveText(en.errors.field.centre_id_format);
  await expect(error('centreId').locator('[lang="hi"]')).toHaveText(hi.errors.field.centre_id_format);
  await expect(field('centreId')).toHaveAttribute('aria-invalid', 'true');
  await expect(field('centreId')).toHaveAttribute('aria-describedby', /firstrun-centreId-error/);

  await page.keyboard.type('PHC Mahanagar, Lucknow');
  await page.keyboard.press('Tab');
  await page.keyboard.type('पीएचसी महानगर, लखनऊ');
  await page.keyboard.press('Tab');
  await expect(field('timeZone')).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.type('b2');
  await expect(field('counterCode')).toHaveValue('B2');
  await page.keyboard.press('Tab');
  await page.keyboard.type('b');
  await expect(field('tokenPrefix')).toHaveValue('B');
  await page.keyboard.press('Tab');
  await page.keyboard.type('dr.rao');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Dr. Anjali Rao');
  await page.keyboard.press('Tab');
  await page.keyboard.type('582091');
  await page.keyboard.press('Tab');
  await expect(field('pinConfirm')).toBeFocused();
  await page.keyboard.type('580291');

  // Enter: both problems are shown, nothing is set up, the cursor goes to the first one
  await page.keyboard.press('Enter');
  await expect(error('pinConfirm')).toHaveAttribute('data-code', 'pin_mismatch');
  await expect(error('pinConfirm').locator('[lang="en"]')).toHaveText(en.errors.field.pin_mismatch);
  await expect(error('pinConfirm').locator('[lang="hi"]')).toHaveText(hi.errors.field.pin_mismatch);
  await expect(error('centreId')).toHaveAttribute('data-code', 'centre_id_format');
  await expect(field('centreId')).toBeFocused();
  await expect(page.getByTestId('signin-login')).toHaveCount(0);

  // fix both: each error goes when its field changes
  await field('centreId').fill('UP-LKO-PHC-07');
  await expect(error('centreId')).toHaveCount(0);
  await field('pinConfirm').fill('582091');
  await expect(error('pinConfirm')).toHaveCount(0);
  await page.keyboard.press('Enter');

  // sign-in comes next, with the new login ID filled in and the cursor on the PIN
  await expect(page.getByTestId('signin-login')).toHaveValue('dr.rao');
  await expect(page.getByTestId('signin-pin')).toBeFocused();
  await expect(page.getByText('PHC Mahanagar, Lucknow')).toBeVisible();
  await page.keyboard.type('582091');
  await page.keyboard.press('Enter');

  await expect(page.getByTestId('status-bar')).toBeVisible();
  await expect(page.getByTestId('status-centre')).toContainText('PHC Mahanagar, Lucknow');
  await expect(page.getByTestId('status-centre')).toContainText('B2');
  await expect(page.getByTestId('status-operator')).toContainText('Dr. Anjali Rao');
  await expect(page.getByTestId('status-operator')).toContainText(en.role.supervisor);
  await expect(page.getByTestId('status-roster')).toContainText(en.status.rosterNone);
  await expect(page.getByTestId('tab-roster')).toBeVisible();
  await expect(page.getByTestId('tab-operators')).toBeVisible();
  await expect(page.getByTestId('tab-policy')).toBeVisible();
  await expect(page.getByTestId('search-input')).toBeFocused();

  // the Hindi centre name is used in Hindi
  await page.getByTestId('lang-toggle').click();
  await expect(page.getByTestId('status-centre')).toContainText('पीएचसी महानगर, लखनऊ');
  await page.getByTestId('lang-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');

  // tokens carry the new counter's prefix
  await page.keyboard.press('F3');
  const walkIn = walkInPanel(page);
  await expect(walkIn.getByTestId('walkin-name')).toBeFocused();
  await walkIn.getByTestId('walkin-name').fill('Ramesh Chandra Tiwari');
  await walkIn.getByTestId('walkin-gender').selectOption('M');
  await walkIn.getByTestId('walkin-birthYear').fill('1950');
  await walkIn.getByTestId('walkin-mobile').fill('9415012345');
  await walkIn.getByTestId('walkin-photoIdNumber').fill(aadhaarPair('73019264851').valid);
  await walkIn.getByTestId('walkin-submit').click();
  await expect(page.getByTestId('issued-token')).toHaveAttribute('data-token', 'B-W001');
});

test('first run by enrolment: a wrong code is refused next to the field in both languages, then IT’s code enrols the counter, which the portal knows under its centre', async ({
  page,
  freshBridge,
}) => {
  const portal = await startPortalProcess({});
  try {
    const made = await fetch(`${portal.url}/admin/enrolments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${portal.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        centre: { id: 'UP-LKO-PHC-09', name: 'PHC Chinhat, Lucknow', nameHi: 'पीएचसी चिनहट, लखनऊ' },
        counterCode: 'C1',
        tokenPrefix: 'C',
      }),
    });
    expect(made.status).toBe(200);
    const { code } = (await made.json()) as { code: string };

    await openCounter(page, freshBridge, 'firstrun');
    await page.getByTestId('firstrun-mode-enrol').click();
    const field = (name: string) => page.getByTestId(`enrol-${name}`);
    const error = (name: string) => page.getByTestId(`error-${name}`);
    await expect(field('portalUrl')).toBeFocused();
    await page.keyboard.type(portal.url);
    await page.keyboard.press('Tab');
    await page.keyboard.type('K7PM-3XQ9-HT4W');
    await field('loginId').fill('dr.verma');
    await field('name').fill('Dr. Sunil Verma');
    await field('pin').fill('480913');
    await field('pinConfirm').fill('480913');
    await page.keyboard.press('Enter');

    // the portal knows no such code: said next to the code field, in English and Hindi, and the counter stays on first run
    await expect(error('code')).toHaveAttribute('data-code', 'enrol_code_unknown');
    await expect(error('code').locator('[lang="en"]')).toHaveText(en.errors.field.enrol_code_unknown);
    await expect(error('code').locator('[lang="hi"]')).toHaveText(hi.errors.field.enrol_code_unknown);
    await expect(field('code')).toBeFocused();

    await field('code').fill(code.toLowerCase());
    await expect(error('code')).toHaveCount(0);
    await page.keyboard.press('Enter');

    await expect(page.getByTestId('signin-login')).toHaveValue('dr.verma');
    await page.getByTestId('signin-pin').fill('480913');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('status-centre')).toContainText('PHC Chinhat, Lucknow');
    await expect(page.getByTestId('status-centre')).toContainText('C1');

    // provisioning.json holds no token; the token is kept in device-token.json, readable by its owner only
    const provisioning = readFileSync(join(freshBridge.dataDir, 'provisioning.json'), 'utf8');
    expect(JSON.parse(provisioning)).not.toHaveProperty('portal');
    const kept = JSON.parse(readFileSync(join(freshBridge.dataDir, 'device-token.json'), 'utf8')) as {
      token: string;
      portalUrl: string;
    };
    expect(kept.portalUrl).toBe(portal.url);
    expect(provisioning).not.toContain(kept.token);
    expect(statSync(join(freshBridge.dataDir, 'device-token.json')).mode & 0o777).toBe(0o600);

    // the same code again, from another counter: used
    const again = await fetch(`${portal.url}/v1/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, deviceId: '0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b' }),
    });
    expect(again.status).toBe(409);
    // and the counter is known to the portal under its centre
    expect((await portal.admin.clients()).map((c) => c.centreId)).toContain('UP-LKO-PHC-09');
  } finally {
    await portal.stop();
  }
});
