/**
 * Repeated wrong PINs lock the account (5 tries by default): the operator is told it is
 * locked and until when, even with the right PIN, while other accounts still sign in.
 */
import { en } from '../../renderer/src/i18n/en';
import { DEMO, expect, test } from './fixtures';
import { openCounter, signIn } from './helpers';

const MAX_PIN_ATTEMPTS = 5;
const WRONG_PIN = '9999';

test('wrong PIN several times: the account is locked, and says so', async ({ page, bridge }) => {
  await openCounter(page, bridge);
  const login = page.getByTestId('signin-login');
  const pin = page.getByTestId('signin-pin');
  const error = page.getByTestId('action-error');

  await login.fill(DEMO.operator.loginId);
  /** One attempt; done when the answer is on screen (the PIN field is emptied with it). */
  const attempt = async (value: string) => {
    await pin.fill(value);
    await pin.press('Enter');
    await expect(pin).toHaveValue('');
    await expect(error).toBeVisible();
  };

  for (let i = 1; i < MAX_PIN_ATTEMPTS; i++) {
    await attempt(WRONG_PIN);
    await expect(error).toHaveAttribute('data-code', 'BAD_CREDENTIALS');
    await expect(error).toHaveText(en.errors.code.BAD_CREDENTIALS);
    await expect(pin).toBeFocused();
  }
  await attempt(WRONG_PIN);
  await expect(error).toHaveAttribute('data-code', 'ACCOUNT_LOCKED');
  const lockedText = new RegExp(`^${en.signIn.lockedUntil.split('{{time}}')[0]}\\d`);
  await expect(error).toHaveText(lockedText);
  await expect(error).toContainText('Ask the supervisor');

  // the right PIN does not open a locked account
  await attempt(DEMO.operator.pin);
  await expect(error).toHaveAttribute('data-code', 'ACCOUNT_LOCKED');
  await expect(page.getByTestId('status-bar')).toHaveCount(0);

  // the lock is the operator's own: the supervisor signs in and sees it
  await signIn(page, DEMO.supervisor);
  await page.getByTestId('tab-operators').click();
  const row = page.locator('[data-testid="operator-row"][data-login-id="operator"]');
  await expect(row).toContainText(en.operators.lockedUntil.split('{{time}}')[0]!.trim());
});
