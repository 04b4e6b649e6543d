import { expect, test } from '@playwright/test';
import { AUDITORIUM_SEATS, openShowtimeIn } from './helpers';

// Tagged @ssr: these run twice, hydrated and with JavaScript disabled.

test('home lists the demo movies with showtimes @ssr', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Now showing' })).toBeVisible();
  // The five demo movies, and any the staff tests add (they may run at the same time).
  await expect(page.locator('article.movie-card').nth(4)).toBeVisible();
  for (const title of ['The Last Projectionist', 'Orbit of Glass', 'Paper Lanterns']) {
    await expect(page.getByRole('heading', { level: 2, name: title })).toBeVisible();
  }
  expect(await page.locator('a.showtime-link').count()).toBeGreaterThan(10);
});

for (const [auditorium, seats] of Object.entries(AUDITORIUM_SEATS)) {
  test(`the ${auditorium} seat map shows all ${seats} seats @ssr`, async ({ page }) => {
    await openShowtimeIn(page, auditorium);
    await expect(page.locator('.auditorium-name')).toHaveText(auditorium);
    const map = page.locator('[data-seat-id]');
    await expect(map).toHaveCount(seats);
    // Other tests book seats of other showtimes; this one is untouched.
    await expect(page.locator('[data-seat-id][data-state="available"]')).toHaveCount(seats);
    await expect(page.locator('.screen')).toBeVisible();
    await expect(page.getByRole('list', { name: 'Legend' })).toBeVisible();
    // Every seat is a button with an accessible name: "Row A, seat 1, standard, $9.50".
    await expect(
      page.getByRole('button', { name: /^Row A, seat 1, standard, \$\d+\.\d{2}$/ }),
    ).toBeVisible();
  });
}

test('an unknown showtime is a 404 page @ssr', async ({ page }) => {
  const response = await page.goto('/showtimes/987654321');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Not found' })).toBeVisible();
  await page.getByRole('link', { name: 'See what is showing' }).click();
  await expect(page.getByRole('heading', { name: 'Now showing' })).toBeVisible();
});

test('the seat map fits a phone-width screen by scrolling, not squashing @ssr', async ({
  page,
}) => {
  await page.setViewportSize({ width: 375, height: 800 });
  await openShowtimeIn(page, 'Grand Hall');
  // Measured once the stylesheet applies: the URL changes before it has loaded, and an
  // unstyled seat button is 23.4 px wide (what this test measured when it failed).
  await page.waitForLoadState('load');
  const seat = page.locator('[data-seat-id]').first();
  const box = await seat.boundingBox();
  expect(box?.width ?? 0).toBeGreaterThanOrEqual(24);
  // The page itself does not scroll sideways; only the map does.
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
});
