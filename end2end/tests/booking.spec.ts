import { expect, test } from '@playwright/test';
import { openShowtimeIn, seat, waitForHydration } from './helpers';

// Holding and buying seats needs the WASM bundle: hydrated project only. Each test uses its
// own showtime (by index) so that parallel tests never compete for seats.

test('hold two seats, watch the countdown, pay, see the confirmation', async ({ page }) => {
  await openShowtimeIn(page, 'Studio 2', 1);
  await waitForHydration(page);

  await seat(page, 'B', 3).click();
  await expect(seat(page, 'B', 3)).toHaveAttribute('data-state', 'mine');
  await seat(page, 'B', 4).click();
  await expect(seat(page, 'B', 4)).toHaveAttribute('data-state', 'mine');

  const timer = page.getByTestId('hold-timer');
  await expect(timer).toBeVisible();
  await expect(page.getByTestId('hold-time-left')).toHaveText(/^[45]:\d\d$/);
  await expect(page.getByTestId('selected-seats').locator('li')).toHaveCount(2);

  await page.getByLabel('Name').fill('Grace Hopper');
  await page.getByLabel('Email').fill('grace@example.com');
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: /^Pay \$/ }).click();

  await expect(page).toHaveURL(/\/orders\/[0-9A-Z]{12}$/);
  await expect(page.getByRole('heading', { name: 'Booking confirmed' })).toBeVisible();
  await expect(page.getByTestId('order-seats')).toContainText('B3');
  await expect(page.getByTestId('order-seats')).toContainText('B4');

  // Back on the map the seats are sold, for us and for anyone else.
  await page.getByRole('link', { name: 'Back to the showtime' }).click();
  await expect(seat(page, 'B', 3)).toHaveAttribute('data-state', 'sold');
});

test('a seat someone else holds is refused with its name', async ({ browser }) => {
  const alice = await browser.newPage();
  const bob = await browser.newPage();
  try {
    await openShowtimeIn(bob, 'Studio 2', 2);
    await waitForHydration(bob);
    await expect(seat(bob, 'C', 5)).toHaveAttribute('data-state', 'available');

    // Alice (another session) holds the seat...
    await openShowtimeIn(alice, 'Studio 2', 2);
    await waitForHydration(alice);
    await seat(alice, 'C', 5).click();
    await expect(alice.getByTestId('hold-timer')).toBeVisible();

    // ...Bob's map shows it taken (live, or after a reload without the live feed), and
    // trying it anyway is refused, naming the seat. It is marked aria-disabled, hence `force`.
    await bob.reload();
    await waitForHydration(bob);
    await expect(seat(bob, 'C', 5)).toHaveAttribute('data-state', 'held');
    await expect(seat(bob, 'C', 5)).toHaveAttribute('aria-disabled', 'true');
    await seat(bob, 'C', 5).click({ force: true });
    await expect(bob.getByTestId('booking-message')).toContainText('C5');
    await expect(bob.getByTestId('booking-message')).toContainText('taken');
    await expect(bob.getByTestId('hold-timer')).toHaveCount(0);
    await expect(seat(alice, 'C', 5)).toHaveAttribute('data-state', 'mine');
  } finally {
    await alice.close();
    await bob.close();
  }
});

test('a declined card shows the reason and keeps the hold', async ({ page }) => {
  await openShowtimeIn(page, 'Studio 2', 3);
  await waitForHydration(page);
  await seat(page, 'D', 2).click();
  await expect(page.getByTestId('hold-timer')).toBeVisible();
  await page.getByLabel('Name').fill('Alan Turing');
  await page.getByLabel('Email').fill('alan@example.com');
  await page.getByLabel('Card number').fill('4000 0000 0000 0002');
  await page.getByRole('button', { name: /^Pay \$/ }).click();
  await expect(page.getByTestId('checkout-error')).toContainText('declined');
  await expect(seat(page, 'D', 2)).toHaveAttribute('data-state', 'mine');
  // An invalid number is caught before anything is sent.
  await page.getByLabel('Card number').fill('1234 5678');
  await page.getByRole('button', { name: /^Pay \$/ }).click();
  await expect(page.getByTestId('checkout-error')).toContainText('card number');
});

test('holds survive a reload', async ({ page }) => {
  await openShowtimeIn(page, 'Studio 2', 4);
  await waitForHydration(page);
  await seat(page, 'E', 6).click();
  await expect(page.getByTestId('hold-timer')).toBeVisible();
  await page.reload();
  await expect(seat(page, 'E', 6)).toHaveAttribute('data-state', 'mine');
  await expect(page.getByTestId('hold-timer')).toBeVisible();
  // Clicking one's own seat releases it.
  await waitForHydration(page);
  await seat(page, 'E', 6).click();
  await expect(seat(page, 'E', 6)).toHaveAttribute('data-state', 'available');
  await expect(page.getByTestId('hold-timer')).toHaveCount(0);
});
