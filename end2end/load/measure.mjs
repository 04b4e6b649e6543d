// The showtime page's load in Chromium under a phone-like profile: CPU 4x slower and
// DevTools' classic "Slow 3G" (2 s round trip, 50 kB/s each way). For each build under test
// (`name=url` or `name:runs=url` on the command line) it opens the page RUNS times (or `runs`) in
// a fresh profile (a
// first visit) and once more in the same profile (a repeat visit, served from the browser's
// cache where the headers allow), and prints the medians:
//   - first paint: first-contentful-paint. The server renders the whole seat map into the
//     HTML (checked below), so the first paint is the seat map's;
//   - hydrated: when the app marks <body data-hydrated> (the map now answers taps);
//   - bytes: what crossed the network for the page, its styles, script and bundle.
// Usage: node load/measure.mjs before:1=http://127.0.0.1:3400/showtimes/1 after=http://…
// The last column compares each row's time to hydrated with the first build's first visit.
import { chromium } from '@playwright/test';

const RUNS = Number(process.env.RUNS ?? 3);
const SLOW_3G = { offline: false, latency: 2000, downloadThroughput: 50_000, uploadThroughput: 50_000 };
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Runs in the page before any of its scripts: the moment hydration marks the body.
const WATCH_HYDRATION = () => {
  new MutationObserver((_, observer) => {
    if (document.body?.hasAttribute('data-hydrated')) {
      window.__hydratedAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-hydrated'] });
};

async function visit(context, url) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', SLOW_3G);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  let bytes = 0;
  cdp.on('Network.loadingFinished', (event) => { bytes += event.encodedDataLength; });
  await page.addInitScript(WATCH_HYDRATION);
  const response = await page.goto(url, { waitUntil: 'load', timeout: 180_000 });
  if (!(await response.text()).includes('data-seat-id')) throw new Error(`${url}: no seat map in the HTML`);
  await page.waitForFunction(() => window.__hydratedAt !== undefined, null, { timeout: 180_000 });
  const timing = await page.evaluate(() => ({
    paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
    hydrated: window.__hydratedAt,
  }));
  await page.close();
  return { ...timing, bytes };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const results = [];
for (const arg of process.argv.slice(2)) {
  const [label, url] = arg.split(/=(.*)/s);
  const [name, runs] = label.split(':');
  const first = [];
  const repeat = [];
  for (let i = 0; i < Number(runs ?? RUNS); i++) {
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ARGS });
    const context = await browser.newContext();
    first.push(await visit(context, url));
    repeat.push(await visit(context, url));
    await browser.close();
  }
  const summary = (runs) => ({
    paint: median(runs.map((r) => r.paint)),
    hydrated: median(runs.map((r) => r.hydrated)),
    bytes: median(runs.map((r) => r.bytes)),
  });
  results.push({ name, runs: first.length, first: summary(first), repeat: summary(repeat) });
}

const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const kib = (b) => `${(b / 1024).toFixed(0)} KiB`;
console.log('showtime page, Chromium, CPU 4x slower, Slow 3G (2 s RTT, 50 kB/s); medians of the runs');
console.log('| build (runs) | visit | first paint (seat map) | hydrated | transferred | hydrated vs first row |');
console.log('|---|---|---|---|---|---|');
const base = results[0]?.first.hydrated;
for (const r of results) {
  for (const [visitName, v] of [['first', r.first], ['repeat', r.repeat]]) {
    console.log(`| ${r.name} (${r.runs}) | ${visitName} | ${s(v.paint)} | ${s(v.hydrated)} | ${kib(v.bytes)} | ${(v.hydrated / base).toFixed(2)}x |`);
  }
}
