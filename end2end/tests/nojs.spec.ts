import { expect, request, test } from '@playwright/test';
import { openShowtimeIn, seat } from './helpers';

// The whole booking path with JavaScript off: every control is a plain HTML form posting to
// the same server functions, and the page comes back with the result. Tagged @nojs: run in
// the no-js project only. Grand Hall showtimes 11 and 12 and Screening Room showtime 6 are
// used here and nowhere else.

test('without JavaScript: hold and release seats, see when the hold ends, pay, get the tickets @nojs', async ({
  page,
}) => {
  await openShowtimeIn(page, 'Grand Hall', 11);
  await expect(page.locator('body')).not.toHaveAttribute('data-hydrated', 'true');
  await expect(page.locator('.live-status')).toHaveText(/Not live/);

  // Each seat's button posts the map's form; the page comes back with the seat held.
  await seat(page, 'F', 10).click();
  await expect(seat(page, 'F', 10)).toHaveAttribute('data-state', 'mine');
  await seat(page, 'F', 11).click();
  await expect(seat(page, 'F', 11)).toHaveAttribute('data-state', 'mine');
  await seat(page, 'F', 12).click();
  await expect(seat(page, 'F', 12)).toHaveAttribute('data-state', 'mine');
  // The countdown needs JavaScript: the hold's end is shown as a time of day instead.
  await expect(page.getByTestId('hold-until')).toHaveText(/^\d\d:\d\d:\d\d$/);
  await expect(page.getByTestId('selected-seats')).toContainText('F10');
  // Pressing a held seat again releases it.
  await seat(page, 'F', 12).click();
  await expect(seat(page, 'F', 12)).toHaveAttribute('data-state', 'available');
  await expect(page.getByTestId('selected-seats').locator('li')).toHaveCount(2);

  // A card number with a wrong digit (the server checks it; the declining test card is kept
  // for the suite's tests of declines, which are limited per card): back to the form, the
  // reason shown, name and email kept.
  await page.getByLabel('Name').fill('Ada Lovelace');
  await page.getByLabel('Email').fill('ada@example.com');
  await page.getByLabel('Card number').fill('4242 4242 4242 4241');
  await page.getByRole('button', { name: /^Pay \$/ }).click();
  await expect(page.getByTestId('checkout-error')).toContainText('card number is not valid');
  await expect(page.getByLabel('Name')).toHaveValue('Ada Lovelace');
  await expect(page.getByLabel('Email')).toHaveValue('ada@example.com');
  await expect(seat(page, 'F', 10)).toHaveAttribute('data-state', 'mine');

  // A good card: on to the order, with a QR code per ticket that verifies.
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: /^Pay \$/ }).click();
  await expect(page).toHaveURL(/\/orders\/[A-Z0-9]+$/);
  await expect(page.getByRole('heading', { name: 'Booking confirmed' })).toBeVisible();
  const tickets = page.getByTestId('ticket');
  await expect(tickets).toHaveCount(2);
  const token = (await tickets.first().getAttribute('data-token'))!;
  const check = await page.request.get(`/api/tickets/verify?token=${encodeURIComponent(token)}`);
  expect(await check.json()).toMatchObject({ valid: true, seat: 'F10' });

  // Back on the showtime, the seats are sold and nothing is held.
  await page.goBack();
  await page.reload();
  await expect(seat(page, 'F', 10)).toHaveAttribute('data-state', 'sold');
  await expect(page.getByTestId('hold-until')).toHaveCount(0);
});

test('without JavaScript: best available, a taken seat refused with the reason, extending the hold @nojs', async ({
  page,
  baseURL,
}) => {
  await openShowtimeIn(page, 'Grand Hall', 12);
  const url = page.url();
  // Someone else holds C7 (their own session, through the API).
  const other = await request.newContext({ baseURL });
  const c7 = await seat(page, 'C', 7).getAttribute('data-seat-id');
  const held = await other.post('/api/hold_seats', {
    data: { showtime_id: Number(url.split('/').pop()), seat_ids: [Number(c7)] },
  });
  expect(held.status()).toBe(200);

  // The page has not heard (no live feed): pressing C7 is refused with the reason.
  await seat(page, 'C', 7).click();
  await expect(page.getByTestId('booking-message')).toContainText('C7 is no longer available');
  await expect(seat(page, 'C', 7)).toHaveAttribute('data-state', 'held');

  // Best available, 4 seats: held side by side and said so.
  await page.getByTestId('best-count').selectOption('4');
  await page.getByTestId('best-submit').click();
  await expect(page.getByTestId('booking-message')).toContainText('side by side');
  await expect(page.locator('[data-state="mine"]')).toHaveCount(4);

  // Without a countdown, the way to extend is always there while extensions are left.
  await page.getByRole('button', { name: /Extend/ }).click();
  await expect(page.getByTestId('booking-message')).toHaveText('Your hold was extended.');
  await expect(page.locator('[data-state="mine"]')).toHaveCount(4);
  await other.dispose();
});

test('without JavaScript: join the waiting line of a full show and leave it @nojs', async ({
  page,
  baseURL,
}) => {
  await openShowtimeIn(page, 'Screening Room', 6);
  const showtimeId = Number(page.url().split('/').pop());
  const ids = await page
    .locator('[data-seat-id]')
    .evaluateAll((seats) => seats.map((s) => Number(s.getAttribute('data-seat-id'))));
  // Another visitor holds every seat.
  const other = await request.newContext({ baseURL });
  const held = await other.post('/api/hold_seats', {
    data: { showtime_id: showtimeId, seat_ids: ids },
  });
  expect(held.status()).toBe(200);

  await page.reload();
  await expect(page.getByText('Every seat is taken right now.')).toBeVisible();
  await page.getByLabel('Seats needed').selectOption('2');
  await page.getByRole('button', { name: 'Join the waiting line' }).click();
  await expect(page.getByTestId('line-position')).toHaveText(/You are number\s*1\s*in line/);

  await page.getByRole('button', { name: 'Leave the line' }).click();
  await expect(page.getByTestId('booking-message')).toHaveText('You left the waiting line.');
  await expect(page.getByTestId('line-position')).toHaveCount(0);
  await other.post('/api/release_all', { data: { showtime_id: showtimeId } });
  await other.dispose();
});
