import { expect, test } from '@playwright/test';
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
