import { expect, test } from '@playwright/test';
import { openShowtimeIn, seat, waitForHydration } from './helpers';

// Runs against the second server started by scripts/test.sh with HOLD_TTL_SECS=4.
test.use({ baseURL: process.env.SHORT_TTL_URL ?? 'http://127.0.0.1:3101' });

test('an unpaid hold expires in the page and the seat is free again', async ({ page }) => {
  await openShowtimeIn(page, 'Screening Room', 1);
  await waitForHydration(page);
  const a2 = seat(page, 'A', 2);
  await a2.click();
  await expect(a2).toHaveAttribute('data-state', 'mine');
  await expect(page.getByTestId('hold-timer')).toBeVisible();
  await expect(page.getByTestId('hold-timer')).toHaveClass(/warning/);

  await expect(page.getByTestId('booking-message')).toContainText('expired', { timeout: 15_000 });
  await expect(a2).toHaveAttribute('data-state', 'available');
  await expect(page.getByTestId('hold-timer')).toHaveCount(0);

  await page.reload();
  await expect(a2).toHaveAttribute('data-state', 'available');
});
