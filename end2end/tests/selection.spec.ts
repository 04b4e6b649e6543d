import { expect, test } from '@playwright/test';
import { cents, openShowtimeIn, seat, waitForHydration } from './helpers';

// Needs the WASM bundle: runs in the hydrated project only. Clicking holds seats, so this test
// uses a showtime of its own (index 5) that no other test touches.

test('selecting two seats lists both with the right total', async ({ page }) => {
  // Hydration mismatches and panics surface as console errors: there must be none.
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));

  await openShowtimeIn(page, 'Studio 2', 5);
  await waitForHydration(page);

  const first = seat(page, 'C', 3);
  const second = seat(page, 'F', 10);
  const price1 = cents((await first.getAttribute('aria-label')) ?? '');
  const price2 = cents((await second.getAttribute('aria-label')) ?? '');
  // Row F is premium: the total must come from each seat's own price.
  expect(price2).toBeGreaterThan(price1);

  await first.click();
  await expect(first).toHaveAttribute('aria-pressed', 'true');
  await second.click();

  const summary = page.getByTestId('selected-seats');
  await expect(summary.locator('li')).toHaveCount(2);
  await expect(summary).toContainText('C3');
  await expect(summary).toContainText('F10');
  const total = price1 + price2;
  const expected = `$${Math.floor(total / 100)}.${String(total % 100).padStart(2, '0')}`;
  await expect(page.getByTestId('total')).toHaveText(expected);

  // Clicking a selected seat again deselects it.
  await first.click();
  await expect(first).toHaveAttribute('aria-pressed', 'false');
  await expect(summary.locator('li')).toHaveCount(1);
  await expect(summary).not.toContainText('C3');
  expect(errors).toEqual([]);
});
