import { expect, test, type Page } from '@playwright/test';
import { openShowtimeIn, seat, waitForHydration } from './helpers';

// "Best available" needs the WASM bundle: hydrated project only. Grand Hall showtimes 1-3 are
// used here and nowhere else.

/** A seat's button by its place on the auditorium's grid (the map shifts columns by one for
 * the row labels). The server writes the style with a closing `;` and a button built in the
 * browser has none; a hydrated map keeps the server's, so either may be on the page. */
function atGrid(page: Page, row: number, col: number) {
  const style = `grid-row: ${row}; grid-column: ${col + 1}`;
  return page.locator(`button.seat[style="${style}"], button.seat[style="${style};"]`);
}

interface MapSeat {
  row: number;
  col: number;
  state: string;
  kind: string;
}

/** Every seat of the map as the page shows it: grid place, `data-state`, kind. */
async function readMap(page: Page): Promise<MapSeat[]> {
  return page.locator('button.seat').evaluateAll((buttons) =>
    buttons.map((b) => {
      const style = b.getAttribute('style') ?? '';
      const row = Number(/grid-row: (\d+)/.exec(style)?.[1]);
      const col = Number(/grid-column: (\d+)/.exec(style)?.[1]) - 1;
      const kind = /seat--(\w+)/.exec(b.className)?.[1] ?? '';
      return { row, col, state: b.getAttribute('data-state') ?? '', kind };
    }),
  );
}

/** Free ordinary seats beside `mine` that are now alone in their row (taken seats, an aisle
 * or a wall on both sides). */
function strandedBeside(map: MapSeat[], mine: MapSeat[]): MapSeat[] {
  const at = (row: number, col: number) => map.find((s) => s.row === row && s.col === col);
  const free = (row: number, col: number) => {
    const s = at(row, col);
    return !!s && s.state === 'available' && (s.kind === 'standard' || s.kind === 'premium');
  };
  const alone: MapSeat[] = [];
  for (const m of mine) {
    for (const col of [m.col - 1, m.col + 1]) {
      if (free(m.row, col) && !free(m.row, col - 1) && !free(m.row, col + 1)) {
        alone.push(at(m.row, col)!);
      }
    }
  }
  return alone;
}

test('best available for 1, 2, 4 and 6 seats on a partly sold room: side by side, none left alone', async ({
  browser,
}) => {
  // Several browsers on one showtime: slow on a loaded 2-core machine.
  test.setTimeout(60_000);
  // Someone holds a scatter of seats around the sweet spot (row K, the centre).
  const spoiler = await (await browser.newContext()).newPage();
  await openShowtimeIn(spoiler, 'Grand Hall', 1);
  await waitForHydration(spoiler);
  for (const [row, col] of [
    [11, 9],
    [11, 12],
    [11, 14],
    [11, 17],
    [10, 10],
    [12, 11],
  ]) {
    await atGrid(spoiler, row, col).click();
    await expect(atGrid(spoiler, row, col)).toHaveAttribute('data-state', 'mine');
  }

  for (const count of [1, 2, 4, 6]) {
    const page = await (await browser.newContext()).newPage();
    await openShowtimeIn(page, 'Grand Hall', 1);
    await waitForHydration(page);
    const form = page.getByTestId('best-available');
    await expect(form.getByRole('heading', { name: 'Best available' })).toBeVisible();
    await page.getByTestId('best-count').selectOption(String(count));
    await page.getByTestId('best-submit').click();
    await expect(page.getByTestId('booking-message')).toContainText(
      count === 1 ? 'Held' : 'side by side',
    );
    await expect(page.locator('button.seat[data-state="mine"]')).toHaveCount(count);
    await expect(page.getByTestId('selected-seats').locator('li')).toHaveCount(count);
    // While holding, the form makes way for the hold (and the countdown runs).
    await expect(form).toHaveCount(0);
    await expect(page.getByTestId('hold-timer')).toBeVisible();

    const map = await readMap(page);
    const mine = map.filter((s) => s.state === 'mine').sort((a, b) => a.col - b.col);
    expect(new Set(mine.map((s) => s.row)).size, `${count}: one row`).toBe(1);
    mine.forEach((s, i) => i === 0 || expect(s.col, `${count}: side by side`).toBe(mine[i - 1].col + 1));
    expect(strandedBeside(map, mine), `${count}: a seat left alone`).toEqual([]);
    expect(Math.abs(mine[0].row - 11), `${count}: near row K`).toBeLessThanOrEqual(2);
    await expect(page.getByTestId('strand-hint')).toHaveCount(0);
    await page.context().close();
  }
  await spoiler.context().close();
});

test('a manual pick that leaves a seat alone gets a short explanation, not a refusal', async ({
  page,
}) => {
  await openShowtimeIn(page, 'Grand Hall', 2);
  await waitForHydration(page);
  // Row A's left block is seats 1-4: taking seat 2 leaves seat 1 alone against the wall.
  await seat(page, 'A', 2).click();
  await expect(seat(page, 'A', 2)).toHaveAttribute('data-state', 'mine');
  const hint = page.getByTestId('strand-hint');
  await expect(hint).toContainText('A1 is left on its own');
  await expect(page.getByTestId('hold-timer')).toBeVisible();
  // Taking seat 1 as well: nothing is left alone.
  await seat(page, 'A', 1).click();
  await expect(seat(page, 'A', 1)).toHaveAttribute('data-state', 'mine');
  await expect(hint).toHaveCount(0);
});

test('best available for a wheelchair user and a companion; a companion seat alone is explained', async ({
  browser,
}) => {
  const page = await (await browser.newContext()).newPage();
  await openShowtimeIn(page, 'Grand Hall', 3);
  await waitForHydration(page);
  await page.getByTestId('best-kind').selectOption('wheelchair');
  await page.getByTestId('best-count').selectOption('2');
  await page.getByTestId('best-submit').click();
  await expect(page.getByTestId('booking-message')).toContainText('side by side');
  const mine = page.locator('button.seat[data-state="mine"]');
  await expect(mine).toHaveCount(2);
  await expect(mine.and(page.locator('.seat--wheelchair'))).toHaveCount(1);
  await expect(mine.and(page.locator('.seat--companion'))).toHaveCount(1);
  await page.context().close();

  // By hand: a wheelchair space first, then the companion seat it offers.
  const other = await (await browser.newContext()).newPage();
  await openShowtimeIn(other, 'Grand Hall', 3);
  await waitForHydration(other);
  const space = other.locator('button.seat.seat--wheelchair[data-state="available"]').first();
  await space.click();
  await expect(other.locator('button.seat[data-state="mine"]')).toHaveCount(1);
  const offer = other.getByTestId('companion-offer');
  await expect(offer).toContainText('is a companion seat');
  await offer.getByRole('button', { name: /^Add / }).click();
  await expect(other.locator('button.seat[data-state="mine"]')).toHaveCount(2);
  await expect(offer).toHaveCount(0);
  await other.getByLabel('Name').fill('Ada Lovelace');
  await other.getByLabel('Email').fill('ada@example.com');
  await other.getByLabel('Card number').fill('4242 4242 4242 4242');
  await other.getByRole('button', { name: /^Pay \$/ }).click();
  await expect(other.getByRole('heading', { name: 'Booking confirmed' })).toBeVisible();
  await other.context().close();

  // A companion seat on its own: held, explained, and refused at checkout without a charge.
  const third = await (await browser.newContext()).newPage();
  await openShowtimeIn(third, 'Grand Hall', 3);
  await waitForHydration(third);
  await third.locator('button.seat.seat--companion[data-state="available"]').first().click();
  await expect(third.getByTestId('companion-note')).toContainText(
    'sold together with a wheelchair space',
  );
  await third.getByLabel('Name').fill('Ada Lovelace');
  await third.getByLabel('Email').fill('ada@example.com');
  await third.getByLabel('Card number').fill('4242 4242 4242 4242');
  await third.getByRole('button', { name: /^Pay \$/ }).click();
  await expect(third.getByTestId('checkout-error')).toContainText('wheelchair space');
  await third.context().close();
});
