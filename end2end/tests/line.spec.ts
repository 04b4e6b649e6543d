import { expect, test, type Page } from '@playwright/test';
import { seat, visitors } from './helpers';

// The waiting line on the 8-seat Screening Room, with three visitors (three sessions):
// A holds every seat, B and C line up, A lets two seats go, and they go to B, who was first.

async function joinLine(page: Page, party: string) {
  await expect(page.getByText('Every seat is taken right now.')).toBeVisible();
  await page.getByLabel('Seats needed').selectOption(party);
  await page.getByRole('button', { name: 'Join the waiting line' }).click();
}

test('freed seats go to the head of the line, and everyone sees their place move', async ({
  browser,
}) => {
  // Several browsers on one showtime: slow on a loaded 2-core machine.
  test.setTimeout(60_000);
  const [a, b, c] = await visitors(browser, 3, 'Screening Room', 3);
  try {
    // Nothing to wait for while seats are free.
    await expect(b.getByRole('button', { name: 'Join the waiting line' })).toHaveCount(0);
    for (const row of ['A', 'B']) {
      for (let number = 1; number <= 4; number++) {
        await seat(a, row, number).click();
        await expect(seat(a, row, number)).toHaveAttribute('data-state', 'mine');
      }
    }
    await expect(seat(c, 'B', 4)).toHaveAttribute('data-state', 'held');

    await joinLine(b, '2');
    await expect(b.getByTestId('line-position')).toHaveText('You are number 1 in line');
    await joinLine(c, '2');
    await expect(c.getByTestId('line-position')).toHaveText('You are number 2 in line');
    await expect(b.getByTestId('line-position')).toHaveText('You are number 1 in line');

    // A lets B3 and B4 go. One seat alone fits neither party; with two, B (first) gets them.
    await seat(a, 'B', 3).click();
    await expect(seat(a, 'B', 3)).toHaveAttribute('data-state', 'available');
    await seat(a, 'B', 4).click();

    const offer = b.getByRole('region', { name: 'Your seats are ready' });
    await expect(offer).toBeVisible();
    await expect(b.getByTestId('offer-seats')).toHaveText('B3, B4');
    await expect(b.getByTestId('offer-time-left')).toHaveText(/^(2:00|1:[45]\d)$/);
    await expect(seat(b, 'B', 3)).toHaveAttribute('data-state', 'mine');
    await expect(b.getByTestId('line-position')).toHaveCount(0);
    await expect(b.getByTestId('hold-timer')).toHaveCount(0);
    // To everyone else the offered seats are simply taken; C moves up.
    await expect(seat(c, 'B', 3)).toHaveAttribute('data-state', 'held');
    await expect(seat(a, 'B', 4)).toHaveAttribute('data-state', 'held');
    await expect(c.getByTestId('line-position')).toHaveText('You are number 1 in line');
    await expect(c.getByRole('region', { name: 'Your seats are ready' })).toHaveCount(0);

    // Accepting is the normal checkout.
    await b.getByLabel('Name').fill('Hedy Lamarr');
    await b.getByLabel('Email').fill('hedy@example.com');
    await b.getByLabel('Card number').fill('4242 4242 4242 4242');
    await b.getByRole('button', { name: /^Pay \$/ }).click();
    await expect(b).toHaveURL(/\/orders\/[0-9A-Z]{12}$/);
    await expect(b.getByTestId('order-seats')).toContainText('B3');
    await expect(b.getByTestId('order-seats')).toContainText('B4');
    await expect(seat(c, 'B', 3)).toHaveAttribute('data-state', 'sold');
    await expect(c.getByTestId('line-position')).toHaveText('You are number 1 in line');
  } finally {
    for (const page of [a, b, c]) await page.context().close();
  }
});
