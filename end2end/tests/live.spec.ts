import { expect, test } from '@playwright/test';
import { seat, visitors } from './helpers';

// Two visitors (two browser contexts, two sessions) on one showtime: each sees the other's
// changes without reloading.

test('holds, releases and sales show up live in another browser', async ({ browser }) => {
  const [a, b] = await visitors(browser, 2, 'Grand Hall', 1);
  try {
    await seat(a, 'G', 9).click();
    await expect(seat(a, 'G', 9)).toHaveAttribute('data-state', 'mine');
    await expect(seat(b, 'G', 9)).toHaveAttribute('data-state', 'held');

    await seat(a, 'G', 9).click();
    await expect(seat(b, 'G', 9)).toHaveAttribute('data-state', 'available');

    await seat(a, 'G', 10).click();
    await expect(seat(b, 'G', 10)).toHaveAttribute('data-state', 'held');
    await a.getByLabel('Name').fill('Katherine Johnson');
    await a.getByLabel('Email').fill('katherine@example.com');
    await a.getByLabel('Card number').fill('4242 4242 4242 4242');
    await a.getByRole('button', { name: /^Pay \$/ }).click();
    await expect(a).toHaveURL(/\/orders\//);
    await expect(seat(b, 'G', 10)).toHaveAttribute('data-state', 'sold');
  } finally {
    await a.context().close();
    await b.context().close();
  }
});

test.describe('with 4-second holds', () => {
  test.use({ baseURL: process.env.SHORT_TTL_URL ?? 'http://127.0.0.1:3101' });

  test('an expired hold frees the seat in the other browser', async ({ browser }) => {
    const [a, b] = await visitors(browser, 2, 'Screening Room', 2);
    try {
      await seat(a, 'B', 3).click();
      await expect(seat(b, 'B', 3)).toHaveAttribute('data-state', 'held');
      await expect(seat(b, 'B', 3)).toHaveAttribute('data-state', 'available', {
        timeout: 15_000,
      });
      await expect(seat(a, 'B', 3)).toHaveAttribute('data-state', 'available');
    } finally {
      await a.context().close();
      await b.context().close();
    }
  });
});
