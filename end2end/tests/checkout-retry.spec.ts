import { expect, test, type Page } from '@playwright/test';
import { openShowtimeIn, seat, waitForHydration, waitForLive } from './helpers';

// The browser keeps a purchase's idempotency key until it has a definitive answer (an order,
// or a refusal that proves nothing was bought), also across a reload of the page, so that
// paying again after a lost or unclear answer can never buy the seats twice. Each test uses
// its own showtime (by index; booking.spec.ts and others use 0–6, this file 7–11).

/** Every `/api/purchase` request's idempotency key, in order; `first` answers the first. */
async function purchases(page: Page, first: Parameters<Page['route']>[1]): Promise<string[]> {
  const keys: string[] = [];
  await page.route('**/api/purchase', async (route, request) => {
    keys.push(request.postDataJSON().request.idempotency_key);
    if (keys.length === 1) {
      await first(route, request);
    } else {
      await route.continue();
    }
  });
  return keys;
}

async function fillCheckout(page: Page, card = '4242 4242 4242 4242') {
  await page.getByLabel('Name').fill('Katherine Johnson');
  await page.getByLabel('Email').fill('katherine@example.com');
  await page.getByLabel('Card number').fill(card);
}

const pay = (page: Page) => page.getByRole('button', { name: /^Pay \$/ }).click();

test('a purchase answered 500 after the card was charged is retried with its key and finds its one order', async ({
  page,
}) => {
  await openShowtimeIn(page, 'Studio 2', 7);
  await waitForHydration(page);
  await waitForLive(page);
  await seat(page, 'C', 3).click();
  await expect(seat(page, 'C', 3)).toHaveAttribute('data-state', 'mine');

  // The first purchase reaches the server, which charges the card and makes the order; the
  // browser is told "internal error" instead.
  let madeCode = '';
  const keys = await purchases(page, async (route) => {
    const real = await route.fetch();
    madeCode = (await real.json()).code;
    await route.fulfill({
      status: 500,
      contentType: 'application/json',
      body: '{"error":"internal"}',
    });
  });
  await fillCheckout(page);
  await pay(page);
  await expect(page.getByTestId('checkout-error')).toContainText('went wrong');
  expect(madeCode).toMatch(/^[0-9A-Z]{12}$/);

  // The seat is sold (to us, as it turns out): the hold is gone, but checkout stays open
  // for the attempt that has no answer yet.
  await expect(seat(page, 'C', 3)).toHaveAttribute('data-state', 'sold');
  await expect(page.getByTestId('checkout-unanswered')).toBeVisible();
  await pay(page);

  // The same key again: the server answers with the order it made the first time.
  await expect(page).toHaveURL(new RegExp(`/orders/${madeCode}$`));
  await expect(page.getByRole('heading', { name: 'Booking confirmed' })).toBeVisible();
  await expect(page.getByTestId('order-seats')).toContainText('C3');
  expect(keys).toHaveLength(2);
  expect(keys[1]).toBe(keys[0]);
});

test('after a 500 and a reload, checkout comes back for the sold seats and finds the one order', async ({
  page,
}) => {
  await openShowtimeIn(page, 'Studio 2', 11);
  await waitForHydration(page);
  await waitForLive(page);
  await seat(page, 'G', 4).click();
  await expect(seat(page, 'G', 4)).toHaveAttribute('data-state', 'mine');

  let madeCode = '';
  const keys = await purchases(page, async (route) => {
    const real = await route.fetch();
    madeCode = (await real.json()).code;
    await route.fulfill({
      status: 500,
      contentType: 'application/json',
      body: '{"error":"internal"}',
    });
  });
  await fillCheckout(page);
  await pay(page);
  await expect(page.getByTestId('checkout-error')).toContainText('went wrong');

  // After a reload the seat is sold and there is no hold, but the tab still has the key of
  // the unanswered attempt: checkout is offered for it, with the reason.
  await page.reload();
  await waitForHydration(page);
  await expect(seat(page, 'G', 4)).toHaveAttribute('data-state', 'sold');
  await expect(page.getByTestId('checkout-unanswered')).toBeVisible();
  await fillCheckout(page);
  await pay(page);

  await expect(page).toHaveURL(new RegExp(`/orders/${madeCode}$`));
  await expect(page.getByTestId('order-seats')).toContainText('G4');
  expect(keys).toHaveLength(2);
  expect(keys[1]).toBe(keys[0]);
});

test('a purchase that never arrived keeps its key across a reload of the page', async ({
  page,
}) => {
  await openShowtimeIn(page, 'Studio 2', 8);
  await waitForHydration(page);
  await seat(page, 'D', 5).click();
  await expect(seat(page, 'D', 5)).toHaveAttribute('data-state', 'mine');

  const keys = await purchases(page, (route) => route.abort('internetdisconnected'));
  await fillCheckout(page);
  await pay(page);
  await expect(page.getByTestId('checkout-error')).toContainText(/could not reach/i);

  // The hold lives on the server, the key in this tab: both survive a reload.
  await page.reload();
  await waitForHydration(page);
  await expect(seat(page, 'D', 5)).toHaveAttribute('data-state', 'mine');
  await fillCheckout(page);
  await pay(page);

  await expect(page).toHaveURL(/\/orders\/[0-9A-Z]{12}$/);
  expect(keys).toHaveLength(2);
  expect(keys[1]).toBe(keys[0]);
  // An order is a definitive answer: the key is gone from the tab's storage.
  const stored = await page.evaluate(() =>
    Object.keys(sessionStorage).filter((name) => name.startsWith('marquee.purchase.')),
  );
  expect(stored).toEqual([]);
});

test('a payment still being confirmed shows so, and paying again sends the same key', async ({
  page,
}) => {
  await openShowtimeIn(page, 'Studio 2', 9);
  await waitForHydration(page);
  await seat(page, 'E', 7).click();
  await expect(seat(page, 'E', 7)).toHaveAttribute('data-state', 'mine');

  const keys = await purchases(page, (route) =>
    route.fulfill({
      status: 503,
      contentType: 'application/json',
      headers: { 'Retry-After': '1' },
      body: '{"error":"payment_pending","retry_after_ms":1000}',
    }),
  );
  await fillCheckout(page);
  await pay(page);
  await expect(page.getByTestId('checkout-error')).toContainText('being confirmed');
  await expect(seat(page, 'E', 7)).toHaveAttribute('data-state', 'mine');
  await pay(page);

  await expect(page).toHaveURL(/\/orders\/[0-9A-Z]{12}$/);
  expect(keys).toHaveLength(2);
  expect(keys[1]).toBe(keys[0]);
});

test('a declined card settles its key: the next card gets a new one', async ({ page }) => {
  await openShowtimeIn(page, 'Studio 2', 10);
  await waitForHydration(page);
  await seat(page, 'F', 8).click();
  await expect(seat(page, 'F', 8)).toHaveAttribute('data-state', 'mine');

  const keys = await purchases(page, (route) => route.continue());
  await fillCheckout(page, '4000 0000 0000 0002');
  await pay(page);
  await expect(page.getByTestId('checkout-error')).toContainText('declined');
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await pay(page);

  await expect(page).toHaveURL(/\/orders\/[0-9A-Z]{12}$/);
  expect(keys).toHaveLength(2);
  expect(keys[1]).not.toBe(keys[0]);
});
