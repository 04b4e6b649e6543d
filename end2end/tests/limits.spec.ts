import { expect, test } from '@playwright/test';
import { openShowtimeIn, seat, waitForHydration, waitForLive } from './helpers';

// Against the instance whose hold budget is three a minute per session (scripts/test.sh), with
// Redis keys of its own: a person clicking faster than that is told, calmly, how long to wait,
// and the seat the refused click marked goes back to free.
test.use({ baseURL: process.env.LIMITED_URL ?? 'http://127.0.0.1:3102' });

test('a person clicking too fast is told how long to wait', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));

  await openShowtimeIn(page, 'Studio 2', 0);
  await waitForHydration(page);
  await waitForLive(page);

  for (const number of [1, 2, 3]) {
    const picked = seat(page, 'B', number);
    await picked.click();
    await expect(picked).toHaveAttribute('data-state', 'mine');
  }
  const fourth = seat(page, 'B', 4);
  await fourth.click();
  const message = page.getByTestId('booking-message');
  await expect(message).toContainText(/please wait \d+ s and try again/i);
  await expect(message).not.toContainText('rate_limited');
  await expect(fourth).toHaveAttribute('data-state', 'available');
  expect(errors).toEqual([]);
});
