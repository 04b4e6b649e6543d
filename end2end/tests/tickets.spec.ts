import { expect, test } from '@playwright/test';
import { openShowtimeIn, seat, waitForHydration } from './helpers';

// Buying needs the WASM bundle: hydrated project only. Grand Hall showtime 4 is used here
// and nowhere else.

test('the order page has a QR code per ticket that verifies, a calendar file, and My bookings lists it', async ({
  page,
}) => {
  await openShowtimeIn(page, 'Grand Hall', 4);
  await waitForHydration(page);
  await seat(page, 'C', 7).click();
  await expect(seat(page, 'C', 7)).toHaveAttribute('data-state', 'mine');
  await seat(page, 'C', 8).click();
  await expect(seat(page, 'C', 8)).toHaveAttribute('data-state', 'mine');
  await page.getByLabel('Name').fill('Grace Hopper');
  await page.getByLabel('Email').fill('grace@example.com');
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: /^Pay \$/ }).click();
  await expect(page.getByRole('heading', { name: 'Booking confirmed' })).toBeVisible();
  const code = (await page.getByTestId('order-code').textContent())!.trim();

  // One QR code per ticket, each an image that loaded, named for its seat.
  const tickets = page.getByTestId('ticket');
  await expect(tickets).toHaveCount(2);
  await expect(page.getByRole('img', { name: 'QR code of the ticket for seat C7' })).toBeVisible();
  for (const img of await tickets.locator('img').all()) {
    await expect
      .poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth))
      .toBeGreaterThan(0);
  }

  // The token in the code verifies; one digit changed does not.
  const token = (await tickets.first().getAttribute('data-token'))!;
  const check = await page.request.get(`/api/tickets/verify?token=${encodeURIComponent(token)}`);
  expect(check.status()).toBe(200);
  expect(await check.json()).toMatchObject({ valid: true, seat: 'C7', order_code: code });
  const tampered = token.slice(0, -1) + (token.endsWith('0') ? '1' : '0');
  const refused = await page.request.get(
    `/api/tickets/verify?token=${encodeURIComponent(tampered)}`,
  );
  expect(refused.status()).toBe(404);

  // The calendar file.
  const href = (await page.getByTestId('calendar').getAttribute('href'))!;
  const ics = await page.request.get(href);
  expect(ics.headers()['content-type']).toContain('text/calendar');
  expect(await ics.text()).toContain('BEGIN:VEVENT');

  // My bookings, from the header.
  await page.getByRole('navigation', { name: 'Your account' }).getByRole('link').click();
  await expect(page.getByRole('heading', { name: 'My bookings' })).toBeVisible();
  await expect(page.getByTestId('booking')).toHaveCount(1);
  await expect(page.getByTestId('booking')).toContainText(code);
  await expect(page.getByTestId('booking')).toContainText('C7, C8');
});

test('My bookings of a new visitor is empty @ssr', async ({ page }) => {
  await page.goto('/bookings');
  await expect(page.getByRole('heading', { name: 'My bookings' })).toBeVisible();
  await expect(page.getByTestId('no-bookings')).toBeVisible();
});
