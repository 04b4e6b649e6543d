import { expect, type Browser, type Page } from '@playwright/test';

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

/**
 * Opens `count` visitors (each its own browser context, hence its own session) on the same
 * showtime, each hydrated and with its live feed connected. Close them with
 * `page.context().close()`.
 */
export async function visitors(
  browser: Browser,
  count: number,
  auditorium: string,
  index: number,
): Promise<Page[]> {
  const pages: Page[] = [];
  for (let i = 0; i < count; i++) {
    const page = await (await browser.newContext()).newPage();
    await openShowtimeIn(page, auditorium, index);
    await waitForHydration(page);
    await waitForLive(page);
    pages.push(page);
  }
  return pages;
}

/** A seat's button on the seat map, by its accessible name ("Row C, seat 7, …"). */
export function seat(page: Page, row: string, number: number) {
  return page.getByRole('button', { name: new RegExp(`^Row ${row}, seat ${number}, `) });
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
