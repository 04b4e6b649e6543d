import { expect, test } from '@playwright/test';
import { openShowtimeIn, seat, waitForHydration } from './helpers';

// The Grand Hall on a 390 px phone: seats keep a 24 px target, the map opens on the middle
// of the room, buttons zoom and pan it (nothing needs a drag), and a booking goes through by
// taps. Grand Hall showtime 10 is used here and nowhere else.

test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

test('on a 390 px phone the Grand Hall opens on its middle, zooms and pans by buttons, and books by taps', async ({
  page,
}) => {
  await openShowtimeIn(page, 'Grand Hall', 10);
  await waitForHydration(page);
  const viewport = page.getByTestId('seat-viewport');
  const box = async () => (await viewport.boundingBox())!;
  const scroll = () => viewport.evaluate((v) => ({ left: v.scrollLeft, top: v.scrollTop }));

  // Every seat is a 24×24 target at least; the page itself does not scroll sideways.
  // (The link may have been followed in the browser: wait for the map to be drawn.)
  await expect(page.locator('button.seat')).toHaveCount(352);
  const sizes = await page
    .locator('button.seat')
    .evaluateAll((seats) => seats.map((s) => s.getBoundingClientRect()));
  expect(sizes.length).toBe(352);
  for (const size of sizes) {
    expect(size.width).toBeGreaterThanOrEqual(24);
    expect(size.height).toBeGreaterThanOrEqual(24);
  }
  expect(
    await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
  ).toBeLessThanOrEqual(0);

  // The room is wider than the phone, and it opens on its middle: the centre seats of the
  // rows about two thirds back are in view, the side blocks are not.
  await expect.poll(async () => (await scroll()).left).toBeGreaterThan(0);
  const inView = async (row: string, number: number) => {
    const s = (await seat(page, row, number).boundingBox())!;
    const v = await box();
    return s.x >= v.x && s.x + s.width <= v.x + v.width;
  };
  await expect.poll(() => inView('K', 11)).toBe(true);
  await expect.poll(() => inView('K', 12)).toBe(true);
  await expect.poll(() => inView('K', 1)).toBe(false);
  await expect.poll(() => inView('K', 22)).toBe(false);

  // Zoom in: bigger seats, still centred on the same middle.
  const before = (await seat(page, 'K', 11).boundingBox())!.width;
  await page.getByRole('button', { name: 'Zoom in' }).tap();
  await expect.poll(async () => (await seat(page, 'K', 11).boundingBox())!.width).toBeGreaterThan(before);
  await expect.poll(() => inView('K', 11)).toBe(true);

  // Pan by buttons: left to the first block, right again.
  const start = (await scroll()).left;
  await page.getByRole('button', { name: 'Move left' }).tap();
  await expect.poll(async () => (await scroll()).left).toBeLessThan(start);
  for (let i = 0; i < 6; i++) await page.getByRole('button', { name: 'Move left' }).tap();
  await expect.poll(() => inView('K', 1)).toBe(true);
  await page.getByRole('button', { name: 'Move right' }).tap();
  await expect.poll(async () => (await scroll()).left).toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Zoom out' }).tap();
  await page.getByRole('button', { name: 'Back to the middle' }).tap();
  await expect.poll(() => inView('K', 11)).toBe(true);

  // Book two seats by tapping, and pay.
  await seat(page, 'K', 11).tap();
  await expect(seat(page, 'K', 11)).toHaveAttribute('data-state', 'mine');
  await seat(page, 'K', 12).tap();
  await expect(seat(page, 'K', 12)).toHaveAttribute('data-state', 'mine');
  await page.getByLabel('Name').fill('Katherine Johnson');
  await page.getByLabel('Email').fill('katherine@example.com');
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: /^Pay \$/ }).tap();
  await expect(page.getByRole('heading', { name: 'Booking confirmed' })).toBeVisible();
  await expect(page.getByTestId('ticket')).toHaveCount(2);
});
