import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { openShowtimeIn, seat, visitors, waitForHydration } from './helpers';

// WCAG 2.2 AA as axe-core checks it (the rules tagged A and AA up to 2.2), on every page and
// the booking states a visitor goes through. Grand Hall showtime 5 is used here only. Hydrated
// project only: axe runs as a script in the page, which the no-JS project forbids (the DOM it
// inspects is the server's, hydrated in place).

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

async function audit(page: Page, state: string) {
  const results = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  const found = results.violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
  }));
  expect(found, `${state}: axe violations`).toEqual([]);
}

test('home, movie, not found and My bookings have no axe violations', async ({ page }) => {
  await page.goto('/');
  await audit(page, 'home');
  await page.locator('a.movie-link, .movie-card a').first().click();
  // Audited once the movie page is there, its title included: a hydrated page navigates in
  // place and names the document once the movie has loaded (audited in between, the
  // document had no title).
  await expect(page).toHaveURL(/\/movies\/\d+$/);
  await expect(page).toHaveTitle(/^(?!Now showing).+ · Marquee$/);
  await audit(page, 'movie');
  await page.goto('/no/such/page');
  await audit(page, 'not found');
  await page.goto('/bookings');
  await audit(page, 'my bookings');
});

test('the showtime page has no axe violations: idle, holding, checkout error, order', async ({
  page,
}) => {
  // Each scan of a 352-seat map takes seconds.
  test.setTimeout(120_000);
  await openShowtimeIn(page, 'Grand Hall', 5);
  await waitForHydration(page);
  await audit(page, 'showtime idle');
  await seat(page, 'E', 5).click();
  await expect(page.getByTestId('hold-timer')).toBeVisible();
  await audit(page, 'holding seats');
  await page.getByLabel('Name').fill('Ada Lovelace');
  await page.getByLabel('Email').fill('ada@example.com');
  await page.getByLabel('Card number').fill('4000 0000 0000 0002');
  await page.getByRole('button', { name: /^Pay \$/ }).click();
  await expect(page.getByTestId('checkout-error')).toBeVisible();
  await audit(page, 'checkout error');
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: /^Pay \$/ }).click();
  await expect(page.getByRole('heading', { name: 'Booking confirmed' })).toBeVisible();
  await audit(page, 'order');
});

test('the waiting line and an offer have no axe violations', async ({ browser }) => {
  test.setTimeout(120_000);
  const [a, b] = await visitors(browser, 2, 'Screening Room', 4);
  try {
    for (const row of ['A', 'B']) {
      for (let number = 1; number <= 4; number++) {
        await seat(a, row, number).click();
        await expect(seat(a, row, number)).toHaveAttribute('data-state', 'mine');
      }
    }
    await expect(b.getByText('Every seat is taken right now.')).toBeVisible();
    await audit(b, 'full house');
    await b.getByLabel('Seats needed').selectOption('1');
    await b.getByRole('button', { name: 'Join the waiting line' }).click();
    await expect(b.getByTestId('line-position')).toHaveText('You are number 1 in line');
    await audit(b, 'in line');
    await seat(a, 'A', 1).click();
    await expect(b.getByRole('region', { name: 'Your seats are ready' })).toBeVisible();
    await audit(b, 'offer');
  } finally {
    await a.context().close();
    await b.context().close();
  }
});

test.describe('with 4-second holds', () => {
  test.use({ baseURL: process.env.SHORT_TTL_URL ?? 'http://127.0.0.1:3101' });

  test('the hold warning has no axe violations', async ({ page }) => {
    await openShowtimeIn(page, 'Screening Room', 5);
    await waitForHydration(page);
    await seat(page, 'B', 2).click();
    await expect(page.getByTestId('hold-timer')).toHaveClass(/warning/);
    await audit(page, 'hold warning');
  });
});

test('a live region tells of the hold, and of the seat one is on being taken', async ({
  browser,
}) => {
  const [a, b] = await visitors(browser, 2, 'Grand Hall', 8);
  try {
    const announcer = a.getByTestId('announcer');
    await expect(announcer).toHaveAttribute('aria-live', 'polite');
    await seat(a, 'D', 3).click();
    await expect(announcer).toContainText('D3 held. 1 held in all');
    await seat(a, 'D', 3).click();
    await expect(announcer).toHaveText('D3 released. You hold no seats.');
    // A is on D7 (keyboard focus) when B takes it.
    await seat(a, 'D', 7).focus();
    await seat(b, 'D', 7).click();
    await expect(seat(a, 'D', 7)).toHaveAttribute('data-state', 'held');
    await expect(announcer).toHaveText('Seat D7 was just taken by someone else.');
  } finally {
    await a.context().close();
    await b.context().close();
  }
});

test('the list view: rows of seats with their state in words, one click away', async ({
  page,
}) => {
  test.setTimeout(90_000);
  await openShowtimeIn(page, 'Grand Hall', 9);
  await waitForHydration(page);
  const toggle = page.getByRole('button', { name: 'List view' });
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  const list = page.getByRole('list', { name: 'Seats by row' });
  await expect(list.getByRole('heading', { name: 'Row A' })).toBeVisible();
  await expect(page.getByRole('grid', { name: 'Seats' })).toBeHidden();
  await list.getByRole('button', { name: /^E5, standard, \$[\d.]+, available$/ }).click();
  await expect(list.getByRole('button', { name: /^E5, standard, \$[\d.]+, yours$/ })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  await expect(page.getByTestId('hold-timer')).toBeVisible();
  await audit(page, 'list view');
  // Back to the map: the same hold.
  await toggle.click();
  await expect(seat(page, 'E', 5)).toHaveAttribute('data-state', 'mine');
});

test('the staff pages have no axe violations', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/admin/login');
  await audit(page, 'staff sign-in');
  await page.getByLabel('Email').fill(process.env.STAFF_EMAIL ?? 'admin@marquee.test');
  await page.getByLabel('Password').fill(process.env.STAFF_PASSWORD ?? 'e2e-admin-password-0001');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await waitForHydration(page);
  await audit(page, 'staff overview');
  const dashboard = page.locator('a[href^="/admin/showtimes/"]').first();
  const target = await dashboard.getAttribute('href');
  for (const path of [
    '/admin/movies/new',
    '/admin/theaters/new',
    '/admin/auditoriums/new?theater=1',
    '/admin/schedule',
    target!,
    '/admin/box',
    '/admin/staff',
    '/admin/audit',
  ]) {
    await page.goto(path);
    await waitForHydration(page);
    await audit(page, path);
  }
});
