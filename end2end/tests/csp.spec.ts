import { expect, test, type Page } from '@playwright/test';
import { openShowtimeIn, waitForHydration, seat, waitForLive } from './helpers';

// The Content-Security-Policy must let the app do everything it does: hydrate (nonce'd inline
// scripts, WASM), open the live WebSocket, place seats with style attributes, check out. A
// violation fires `securitypolicyviolation` and logs "Refused to …"; there must be none.
// Books a seat, so it uses a showtime of its own (Studio 2, index 6).

/** Every CSP violation the page reports from now on. */
function watchViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    const text = message.text();
    if (text.includes('Content Security Policy') || text.startsWith('CSP violation')) {
      violations.push(text);
    }
  });
  // Playwright injects this itself, so the policy does not apply to it.
  page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  return violations;
}

test('the whole booking flow runs under the CSP without a violation', async ({ page }) => {
  const violations = watchViolations(page);
  // Leaving the seat map (for the order page) stops its live socket: no script error either.
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));

  const home = await page.goto('/');
  expect(home?.headers()['content-security-policy']).toContain("'nonce-");
  await waitForHydration(page);

  await openShowtimeIn(page, 'Studio 2', 6);
  await waitForHydration(page);
  await waitForLive(page);
  // Seats are laid out by their style attributes: two seats of one row sit side by side.
  const a = await seat(page, 'C', 3).boundingBox();
  const b = await seat(page, 'C', 4).boundingBox();
  expect(a && b && Math.abs(a.y - b.y) < 1 && b.x > a.x).toBeTruthy();

  const free = page.locator('button.seat[data-state="available"]').first();
  const id = await free.getAttribute('data-seat-id');
  await free.click();
  await expect(page.locator(`button.seat[data-seat-id="${id}"]`)).toHaveAttribute(
    'data-state',
    'mine',
  );
  await page.getByLabel('Name').fill('Hedy Lamarr');
  await page.getByLabel('Email').fill('hedy@example.com');
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: /^Pay \$/ }).click();
  await expect(page).toHaveURL(/\/orders\/[0-9A-Z]{12}$/);
  await expect(page.getByRole('heading', { name: 'Booking confirmed' })).toBeVisible();

  // A full page load of the order page (not a client-side navigation) hydrates too.
  await page.reload();
  await waitForHydration(page);

  expect(violations).toEqual([]);
  expect(errors).toEqual([]);
});

test('an injected inline script is blocked', async ({ page }) => {
  const violations = watchViolations(page);
  await page.goto('/');
  await waitForHydration(page);
  // As an injected <script> without the page's nonce would be.
  await page
    .evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.injected = true';
      document.body.append(script);
    })
    .catch(() => {});
  await expect.poll(() => violations.length).toBeGreaterThan(0);
  expect(await page.evaluate(() => (window as { injected?: boolean }).injected)).toBeUndefined();
});
