import { expect, test, type Page } from '@playwright/test';
import { openShowtimeIn, seat, waitForHydration } from './helpers';

// The seat map by keyboard: an ARIA grid with one tab stop. Grand Hall showtime 6 is used
// here only. In the Grand Hall, rows A-P have seats 1-4 | 5-18 | 19-22 (two aisles).

test('the seat map is one tab stop; arrows, Home/End and PageUp/PageDown move, Enter holds', async ({
  page,
}) => {
  await openShowtimeIn(page, 'Grand Hall', 6);
  await waitForHydration(page);
  await expect(page.getByRole('grid', { name: 'Seats' })).toBeVisible();
  await expect(page.getByRole('row', { name: 'Row A' })).toBeVisible();
  await expect(page.locator('button.seat[tabindex="0"]')).toHaveCount(1);

  // Tab reaches the map's one stop, the first seat.
  await page.getByRole('link', { name: 'Orbit of Glass' }).or(page.locator('h1 a')).first().focus();
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press('Tab');
    if (await seat(page, 'A', 1).evaluate((b) => b === document.activeElement)) break;
  }
  await expect(seat(page, 'A', 1)).toBeFocused();

  const press = async (key: string, row: string, number: number) => {
    await page.keyboard.press(key);
    await expect(seat(page, row, number)).toBeFocused();
    await expect(seat(page, row, number)).toHaveAttribute('tabindex', '0');
  };
  await press('ArrowRight', 'A', 2);
  await press('ArrowRight', 'A', 3);
  await press('ArrowRight', 'A', 4);
  await press('ArrowRight', 'A', 5); // over the aisle
  await press('ArrowDown', 'B', 5);
  await press('End', 'B', 22);
  await press('Home', 'B', 1);
  await press('PageDown', 'P', 1);
  await press('PageUp', 'A', 1);
  await press('ArrowLeft', 'A', 1); // the row's end: stays
  await expect(page.locator('button.seat[tabindex="0"]')).toHaveCount(1);

  // Enter holds the focused seat, Space releases it.
  await page.keyboard.press('Enter');
  await expect(seat(page, 'A', 1)).toHaveAttribute('data-state', 'mine');
  await expect(page.getByTestId('hold-timer')).toBeVisible();
  await seat(page, 'A', 1).focus();
  await page.keyboard.press('Space');
  await expect(seat(page, 'A', 1)).toHaveAttribute('data-state', 'available');

  // Tab leaves the map at once: one stop, not 352.
  await seat(page, 'A', 1).focus();
  await page.keyboard.press('Tab');
  await expect(page.locator('button.seat:focus')).toHaveCount(0);
});

/** Presses Tab until `matches` holds for the focused element (at most `limit` times). */
async function tabTo(page: Page, matches: string, limit = 400) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, matches)) {
      return;
    }
  }
  throw new Error(`Tab never reached ${matches}`);
}

test('booking by keyboard alone, from the home page to the order', async ({ page }) => {
  test.setTimeout(90_000);
  await page.goto('/');
  await waitForHydration(page);
  // The eighth Grand Hall showtime on the home page (index 7: used here only).
  for (let n = 0; n < 8; n++) {
    await tabTo(page, 'a.showtime-link[data-auditorium="Grand Hall"]');
  }
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/showtimes\/\d+$/);
  await waitForHydration(page);
  // Into the map (its one stop is A1), down to row M and along to seat 10, and hold it.
  await tabTo(page, 'button.seat');
  await expect(seat(page, 'A', 1)).toBeFocused();
  for (let i = 0; i < 12; i++) await page.keyboard.press('ArrowDown');
  for (let i = 0; i < 9; i++) await page.keyboard.press('ArrowRight');
  await expect(seat(page, 'M', 10)).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(seat(page, 'M', 10)).toHaveAttribute('data-state', 'mine');
  // On to checkout, field by field, and pay with Enter.
  await tabTo(page, 'input[name="name"]');
  await page.keyboard.type('Ada Lovelace');
  await page.keyboard.press('Tab');
  await page.keyboard.type('ada@example.com');
  await page.keyboard.press('Tab');
  await page.keyboard.type('4242 4242 4242 4242');
  await tabTo(page, 'button.pay');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Booking confirmed' })).toBeVisible();
  await expect(page.getByTestId('order-seats')).toContainText('M10');
});
