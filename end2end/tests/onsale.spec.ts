import { expect, test, type APIRequestContext, type Browser, type Page } from '@playwright/test';
import { seat, waitForHydration, waitForLive } from './helpers';

// An on-sale end to end: before the opening the queue page counts down and takes places;
// at the opening the places are drawn, one person is let in at a time, the other sees their
// place; whoever is let in holds and buys a seat, and gives their turn to the next.
//
// The on-sale is made for a showtime of its own (a new theater, room and showtime), so no
// other test's showtime is put behind a queue.
const STAFF_EMAIL = process.env.STAFF_EMAIL ?? 'admin@marquee.test';
const STAFF_PASSWORD = process.env.STAFF_PASSWORD ?? 'e2e-admin-password-0001';

async function staffPost(request: APIRequestContext, endpoint: string, form: Record<string, string>) {
  const response = await request.post(`/api/admin/${endpoint}`, { form });
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()) as { id: number | null; message: string };
}

/**
 * A showtime two days ahead in a new two-seat room (through the staff API), put behind an
 * on-sale opening in `opensInMs` through the staff page's form.
 */
async function onSale(browser: Browser, request: APIRequestContext, opensInMs: number) {
  const signedIn = await request.post('/api/admin/login', {
    form: { email: STAFF_EMAIL, password: STAFF_PASSWORD, next: '/admin' },
  });
  expect(signedIn.status()).toBe(200);
  const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const movie = await staffPost(request, 'catalog/movie', {
    id: '0',
    title: `Queue Premiere ${stamp}`,
    runtime_minutes: '101',
    rating: 'PG',
    synopsis: 'A premiere that sells through the queue.',
    poster_hue: '200',
  });
  const theater = await staffPost(request, 'catalog/theater', {
    id: '0',
    name: `Queue Palace ${stamp}`,
    city: 'Leeds',
    timezone: 'UTC',
    matinee_before: '00:00',
    matinee_discount_percent: '0',
  });
  const room = await staffPost(request, 'catalog/auditorium', {
    id: '0',
    theater_id: String(theater.id),
    name: `Queue Room ${stamp}`,
    layout: 'A: ss',
  });
  const day = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  const showtime = await staffPost(request, 'catalog/showtime', {
    movie_id: String(movie.id),
    auditorium_id: String(room.id),
    starts_at: `${day}T20:00`,
    price_standard: '12.00',
    price_premium: '15.00',
    price_wheelchair: '12.00',
    price_companion: '12.00',
  });
  // The on-sale through the staff page's form, in a browser signed in as the same admin.
  const staffPage = await (await browser.newContext({ storageState: await request.storageState() })).newPage();
  await staffPage.goto('/admin/schedule');
  const form = staffPage.getByRole('form', { name: 'Sell through a queue' });
  await form.getByLabel('Name').fill(`Queue Premiere ${stamp}`);
  await form.getByLabel('Opens (UTC').fill(new Date(Date.now() + opensInMs).toISOString());
  await form.getByLabel('Queue opens this many minutes before').fill('10');
  await form.getByLabel('People let in per minute').fill('60');
  await form.getByLabel('At most shopping at once').fill('1');
  await form.getByLabel('Showtime ids').fill(String(showtime.id));
  await form.getByRole('button', { name: 'Create the on-sale' }).click();
  await expect(staffPage).toHaveURL(/\/on_sales\/\d+$/);
  const onSale = Number(staffPage.url().match(/(\d+)$/)![1]);
  await staffPage.context().close();
  return { onSale, showtime: showtime.id! };
}

async function person(browser: Browser, path: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(path);
  return page;
}

test('countdown, a place in the queue, admitted, seats held and bought', async ({ browser, playwright }) => {
  test.setTimeout(90_000);
  const staff = await playwright.request.newContext({ baseURL: test.info().project.use.baseURL });
  const { onSale: id, showtime } = await onSale(browser, staff, 12_000);
  await staff.dispose();

  const first = await person(browser, `/on_sales/${id}`);
  const second = await person(browser, `/on_sales/${id}`);
  try {
    // Before the opening: a countdown, and places are taken (to be drawn at the opening).
    for (const page of [first, second]) {
      await expect(page.locator('main')).toHaveAttribute('data-phase', 'drawing');
      await expect(page.getByRole('status')).toContainText('The sale opens in');
      await page.getByRole('button', { name: 'Join the queue' }).click();
      await expect(page.locator('main')).toHaveAttribute('data-queue-state', 'waiting');
      await expect(page.getByRole('status')).toContainText('Places are drawn when the sale opens');
    }

    // The seat map says where to queue, and holds nothing for someone not let in.
    const early = await person(browser, `/showtimes/${showtime}`);
    await waitForHydration(early);
    await waitForLive(early);
    await expect(early.locator('.on-sale-banner')).toContainText('sold through a queue');
    await seat(early, 'A', 1).click();
    await expect(early.getByText(/sells through a waiting room/)).toBeVisible();
    await expect(seat(early, 'A', 1)).toHaveAttribute('data-state', 'available');
    await early.context().close();

    // The opening: the pages refresh themselves; one of the two is let in, the other is next.
    const states = async () =>
      Promise.all([first, second].map((p) => p.locator('main').getAttribute('data-queue-state')));
    await expect.poll(states, { timeout: 30_000 }).toContain('admitted');
    const [a, b] = await states();
    const [admitted, waiting] = a === 'admitted' ? [first, second] : [second, first];
    expect([a, b].sort()).toEqual(['admitted', 'waiting']);
    await expect(waiting.locator('[data-position="1"]')).toHaveText(/You are number 1 in the queue/);

    // The one let in picks a seat and pays.
    await admitted.getByRole('link', { name: /Queue Premiere/ }).click();
    await expect(admitted).toHaveURL(new RegExp(`/showtimes/${showtime}$`));
    await waitForHydration(admitted);
    await waitForLive(admitted);
    await seat(admitted, 'A', 1).click();
    await expect(seat(admitted, 'A', 1)).toHaveAttribute('data-state', 'mine');
    await admitted.getByLabel('Name').fill('Queue Buyer');
    await admitted.getByLabel('Email').fill('queue@example.com');
    await admitted.getByLabel('Card number').fill('4242 4242 4242 4242');
    await admitted.getByRole('button', { name: /^Pay \$/ }).click();
    await expect(admitted).toHaveURL(/\/orders\/[0-9A-Z]{12}$/);

    // Done: the turn goes to the next person, whose page lets them in by itself.
    await admitted.goto(`/on_sales/${id}`);
    await admitted.getByRole('button', { name: /give my turn to the next person/ }).click();
    await expect(admitted.locator('main')).toHaveAttribute('data-queue-state', 'left');
    await expect(waiting.locator('main')).toHaveAttribute('data-queue-state', 'admitted', {
      timeout: 15_000,
    });
    await waiting.getByRole('link', { name: /Queue Premiere/ }).click();
    await waitForHydration(waiting);
    await waitForLive(waiting);
    await expect(seat(waiting, 'A', 1)).toHaveAttribute('data-state', 'sold');
    await seat(waiting, 'A', 2).click();
    await expect(seat(waiting, 'A', 2)).toHaveAttribute('data-state', 'mine');
  } finally {
    for (const page of [first, second]) await page.context().close();
  }
});
