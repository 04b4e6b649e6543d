import { expect, test, type Browser, type Page } from '@playwright/test';
import { seat, waitForHydration, waitForLive } from './helpers';

// The staff side end to end: an admin signs in, makes a movie, a room (in the layout editor)
// and a showtime; the public site shows it; a visitor buys a seat while the dashboard
// watches; the seat is refunded and goes to the person waiting in line.
//
// The e2e server's first admin comes from ADMIN_EMAIL / ADMIN_PASSWORD (scripts/test.sh).
const STAFF_EMAIL = process.env.STAFF_EMAIL ?? 'admin@marquee.test';
const STAFF_PASSWORD = process.env.STAFF_PASSWORD ?? 'e2e-admin-password-0001';

async function signIn(page: Page) {
  await page.goto('/admin');
  await expect(page).toHaveURL(/\/admin\/login\?next=\/admin$/);
  await page.getByLabel('Email').fill(STAFF_EMAIL);
  await page.getByLabel('Password').fill(STAFF_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.locator('#flash')).toHaveText(`Signed in as ${STAFF_EMAIL}.`);
}

async function visitor(browser: Browser, path: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(path);
  await waitForHydration(page);
  await waitForLive(page);
  return page;
}

async function pay(page: Page, name: string) {
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill('staff-flow@example.com');
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: /^Pay \$/ }).click();
  await expect(page).toHaveURL(/\/orders\/[0-9A-Z]{12}$/);
}

test('staff make a movie, a room and a showtime, watch it sell and refund a seat to the line', async ({
  page,
  browser,
}) => {
  // Four browsers and a dozen page loads: longer than one booking.
  test.setTimeout(90_000);
  const stamp = Date.now().toString(36);
  const title = `Staff Premiere ${stamp}`;
  const room = `Room ${stamp}`;
  await signIn(page);

  // A movie.
  await page.getByRole('link', { name: 'New movie' }).click();
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Runtime (minutes)').fill('97');
  await page.getByLabel('Rating').fill('12A');
  await page.getByRole('button', { name: 'Save the movie' }).click();
  await expect(page.locator('#flash')).toHaveText(`Movie “${title}” saved.`);

  // A room of three seats: two typed, one added by clicking the live preview.
  await page.getByRole('link', { name: 'New room' }).first().click();
  await page.getByLabel('Name').fill(room);
  const layout = page.getByRole('textbox', { name: /^Layout/ });
  await waitForHydration(page);
  await layout.fill('A: ss');
  await expect(page.locator('#preview-count')).toHaveText('2 seats');
  await layout.fill('A: sx');
  await expect(page.locator('#layout-error')).toContainText("'x' is not a seat");
  await layout.fill('A: ss');
  await page.getByRole('button', { name: 'Gap at row 1, column 3' }).click();
  await expect(layout).toHaveValue('A: sss');
  await expect(page.getByRole('button', { name: 'A3, Standard' })).toBeVisible();
  await page.getByRole('button', { name: 'Save the room' }).click();
  await expect(page.locator('#flash')).toHaveText(`Room ${room} saved: 3 seats.`);

  // A showtime two days ahead, at 20:00 in the theater's zone.
  await page.goto('/admin/schedule');
  await page.getByLabel('Movie').selectOption({ label: title });
  const option = page.locator('select[name="auditorium_id"] option', { hasText: room });
  await page.getByLabel('Room').selectOption({ label: (await option.textContent()) ?? '' });
  const day = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel('Starts').fill(`${day}T20:00`);
  await page.getByRole('button', { name: 'Schedule' }).click();
  await expect(page).toHaveURL(/\/admin\/showtimes\/\d+$/);
  await expect(page.locator('#flash')).toContainText(`Scheduled: ${title} in ${room}`);
  const showtime = page.url().match(/(\d+)$/)![1];
  await waitForHydration(page);
  await waitForLive(page);
  await expect(page.locator('#count-free')).toHaveText('3');

  // The public site has it at once.
  const home = await (await browser.newContext()).newPage();
  await home.goto('/');
  await expect(home.locator(`a.showtime-link[data-auditorium="${room}"]`)).toHaveCount(1);
  await home.context().close();

  const buyer = await visitor(browser, `/showtimes/${showtime}`);
  const holder = await visitor(browser, `/showtimes/${showtime}`);
  const waiting = await visitor(browser, `/showtimes/${showtime}`);
  try {
    await seat(buyer, 'A', 1).click();
    await expect(seat(buyer, 'A', 1)).toHaveAttribute('data-state', 'mine');
    await expect(page.locator('#count-held')).toHaveText('1');
    await pay(buyer, 'Ida Buyer');
    // The dashboard follows: counts, revenue, the order.
    await expect(page.locator('#count-taken')).toHaveText('1');
    await expect(page.locator('#count-sold')).toHaveText('1');
    await expect(page.locator('#revenue')).toHaveText('$12.00');
    const code = buyer.url().match(/([0-9A-Z]{12})$/)![1];
    await expect(page.locator(`tr[data-order="${code}"] .order-status`)).toHaveText('fulfilled');

    // The rest is held; someone joins the line for one seat.
    await seat(holder, 'A', 2).click();
    await expect(seat(holder, 'A', 2)).toHaveAttribute('data-state', 'mine');
    await seat(holder, 'A', 3).click();
    await expect(seat(holder, 'A', 3)).toHaveAttribute('data-state', 'mine');
    await expect(waiting.getByText('Every seat is taken right now.')).toBeVisible();
    await waiting.getByLabel('Seats needed').selectOption('1');
    await waiting.getByRole('button', { name: 'Join the waiting line' }).click();
    await expect(waiting.getByTestId('line-position')).toHaveText('You are number 1 in line');
    await expect(page.locator('#line-length')).toHaveText('1');

    // Box office refunds the order: the seat goes to the line, not back on sale.
    await page.getByRole('button', { name: `Refund order ${code}` }).click();
    await expect(page.locator('#flash')).toContainText(`Order ${code} refunded ($12.00 to the card)`);
    await expect(waiting.getByRole('region', { name: 'Your seats are ready' })).toBeVisible();
    await expect(waiting.getByTestId('offer-seats')).toHaveText('A1');
    await expect(seat(holder, 'A', 1)).toHaveAttribute('data-state', 'held');
    await expect(page.locator(`tr[data-order="${code}"] .order-status`)).toHaveText('refunded');
    await expect(page.locator('#revenue')).toHaveText('$0.00');
  } finally {
    for (const p of [buyer, holder, waiting]) await p.context().close();
  }

  // Every change is in the audit log.
  await page.getByRole('link', { name: 'Audit log' }).click();
  for (const action of ['movie.create', 'auditorium.save', 'showtime.create', 'order.refund']) {
    await expect(page.locator(`tr[data-action="${action}"]`).first()).toBeVisible();
  }
});

test('a visitor is sent to sign in, and a wrong password is refused @ssr', async ({
  page,
}) => {
  await page.goto('/admin/audit');
  await expect(page).toHaveURL(/\/admin\/login\?next=\/admin\/audit$/);
  await expect(page.getByRole('heading', { name: 'Staff sign-in' })).toBeVisible();
  await page.getByLabel('Email').fill(STAFF_EMAIL);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('#flash')).toHaveText('Wrong email or password');
});

// The staff pages hydrate with a bundle of their own, which moviegoers' pages never load;
// a link from one area to the other loads the page with its own bundle, hydrated.
test('staff and moviegoer pages load their own bundle, and links between them work', async ({
  page,
}) => {
  const bundles = () =>
    page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .map((entry) => new URL(entry.name).pathname)
        .filter((path) => path.endsWith('.wasm')),
    );
  await signIn(page);
  await waitForHydration(page);
  expect(await bundles()).toEqual([expect.stringMatching(/^\/pkg\/marquee-staff(\.[0-9a-f]{16})?\.wasm$/)]);

  // The header's brand link leads out of the staff area: a moviegoer's page, hydrated with
  // the visitor bundle.
  await page.getByRole('link', { name: 'Marquee', exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  await waitForHydration(page);
  expect(await bundles()).toEqual([expect.stringMatching(/^\/pkg\/marquee(\.[0-9a-f]{16})?\.wasm$/)]);
  // And the moviegoer's side still routes in the browser: open a movie, then a showtime.
  await page.locator('.movie-list a[href^="/movies/"]').first().click();
  await expect(page).toHaveURL(/\/movies\/\d+$/);
  await page.locator('a[href^="/showtimes/"]').first().click();
  await expect(page).toHaveURL(/\/showtimes\/\d+$/);
  await expect(page.locator('[data-seat-id]').first()).toBeVisible();
  await waitForLive(page);
  expect(await bundles()).toHaveLength(1);
});
