import type { FullConfig } from '@playwright/test';

// The servers may still be starting (migrations, demo catalog): wait until they are healthy.
export default async function globalSetup(config: FullConfig) {
  await waitForHealthy(config.projects[0].use.baseURL as string);
  if (process.env.SHORT_TTL_URL) await waitForHealthy(process.env.SHORT_TTL_URL);
  if (process.env.LIMITED_URL) await waitForHealthy(process.env.LIMITED_URL);
}

async function waitForHealthy(baseURL: string) {
  const deadline = Date.now() + 120_000;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${baseURL}/healthz`);
      if (response.ok) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`server at ${baseURL} did not become healthy: ${last}`);
}
