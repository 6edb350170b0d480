// Drives one browser scenario in headless Debian Chromium via playwright-core:
//   $MOTH_SDK_TOOLS/bin/node run.mjs <scenario> [PORT]
// The page comes from the recorder's static port (PORT+1), so the SDK's
// requests to PORT are cross-origin like on a real site.
// Against another ingest (an end-to-end test): SENTRY_DSN=<dsn> replaces the
// fixtures' DSN, MOTH_PAGE_ORIGIN=http://host:port says where the page is
// served (e.g. by `recorder.py --static scripts/sdk/scenarios/browser
// --static $MOTH_SDK_TOOLS/browser`).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const scenario = process.argv[2];
const port = Number(process.argv[3] || process.env.MOTH_CAPTURE_PORT || 8765);
if (!scenario) throw new Error('usage: run.mjs <scenario> [port]');

// How long to stay on the page once the scenario said it is done. Tracing
// sends its spans after the pageload span's idle timeout.
const linger = { 'browser-f-tracing-fetch': 5000 }[scenario] ?? 1500;
const page_ = scenario === 'browser-i-minified' ? 'minified.html' : 'index.html';

// A fresh profile each run; without the background-networking flags Chromium
// tries to reach Google services, which this closed network refuses.
const profile = mkdtempSync(path.join(tmpdir(), 'moth-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.MOTH_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
try {
  const page = browser.pages()[0] || (await browser.newPage());
  page.on('console', (m) => console.log(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
  const origin = process.env.MOTH_PAGE_ORIGIN || `http://127.0.0.1:${port + 1}`;
  const dsn = process.env.SENTRY_DSN ? `&dsn=${encodeURIComponent(process.env.SENTRY_DSN)}` : '';
  await page.goto(`${origin}/${page_}?s=${scenario}&port=${port}${dsn}`);
  await page.waitForFunction(() => window.__scenarioDone === true, null, { timeout: 20000 });
  await page.waitForTimeout(linger);
  // Leaving the page makes it hidden: the SDK then sends client reports and
  // the last web-vital spans (keepalive fetches survive the navigation).
  await page.goto('about:blank');
  await page.waitForTimeout(1000);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
