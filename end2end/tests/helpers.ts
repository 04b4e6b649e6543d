import { expect, type Page } from '@playwright/test';

/** Seat counts of the demo auditoriums (documented in docs/api.md). */
export const AUDITORIUM_SEATS: Record<string, number> = {
  'Grand Hall': 352,
  'Studio 2': 140,
  'Screening Room': 8,
};

/**
 * From the home page, opens an upcoming showtime in the named auditorium: the first by
 * default, or the `index`-th, so that tests that book seats do not meet each other.
 */
export async function openShowtimeIn(page: Page, auditorium: string, index = 0) {
  await page.goto('/');
  const link = page.locator(`a.showtime-link[data-auditorium="${auditorium}"]`).nth(index);
  await expect(link).toBeVisible();
  await link.click();
  await expect(page).toHaveURL(/\/showtimes\/\d+$/);
}

/** Waits until the WASM bundle has hydrated the page (App sets the attribute). */
export async function waitForHydration(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

/** Waits until the page's live seat feed is connected. */
export async function waitForLive(page: Page) {
  await expect(page.locator('.live-status')).toHaveAttribute('data-live', 'live');
}

/** "$12.50" → 1250. */
export function cents(text: string): number {
  const match = text.match(/\$(\d+)\.(\d{2})/);
  if (!match) throw new Error(`no price in ${text}`);
  return Number(match[1]) * 100 + Number(match[2]);
}
