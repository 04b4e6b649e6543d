import { defineConfig } from '@playwright/test';

// The server under test is started by scripts/test.sh (or by you) before Playwright runs.
const baseURL = process.env.BASE_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  forbidOnly: true,
  reporter: [['list'], ['json', { outputFile: 'test-results/results.json' }]],
  globalSetup: './global-setup.ts',
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: {
      // Debian's Chromium; Playwright never downloads a browser here.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [
    // Every test but those written for JavaScript off, with the page hydrated.
    { name: 'hydrated', use: { javaScriptEnabled: true }, grepInvert: /@nojs/ },
    // With JavaScript off: tests tagged @ssr again (the server-rendered page must be
    // complete), and the booking path without JavaScript (@nojs).
    { name: 'no-js', use: { javaScriptEnabled: false }, grep: /@ssr|@nojs/ },
  ],
});
