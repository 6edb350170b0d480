// The triage acceptance in headless Chromium (playwright-core driving
// Debian's /usr/bin/chromium), started by tests/browser_triage.rs:
//   MOTH_URL=... MOTH_SETUP_LINK=... MOTH_PYTHON=... MOTH_PY_SCENARIO=... MOTH_SCREENSHOTS=dir node triage.mjs
// As a new user would: create the first admin through the setup link and a
// project, add an alert destination on the settings page and send it a test
// message, send a real Python SDK exception, open the issue list and the
// issue, read the stack trace with its source context, open a collapsed
// frame, resolve the issue and see it leave the unresolved list. Then an
// event full of script payloads: nothing runs, everything reads literally.
// Screenshots of the main pages go to MOTH_SCREENSHOTS. Any console error
// (a CSP violation included) fails the run.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const base = process.env.MOTH_URL;
const setupLink = process.env.MOTH_SETUP_LINK;
const shots = process.env.MOTH_SCREENSHOTS;
for (const v of ['MOTH_URL', 'MOTH_SETUP_LINK', 'MOTH_PYTHON', 'MOTH_PY_SCENARIO', 'MOTH_SCREENSHOTS']) {
  if (!process.env[v]) throw new Error(`${v} is required`);
}
mkdirSync(shots, { recursive: true });

const problems = [];
function expect(cond, what) {
  if (!cond) throw new Error(`expectation failed: ${what}`);
}
function watch(page) {
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', async (d) => {
    problems.push(`a dialog opened: ${d.message()}`);
    await d.dismiss();
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.request().resourceType()} ${r.url()} answered ${r.status()}`);
  });
}
async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}
async function shot(page, name) {
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}
async function noScriptRan(page, where) {
  const flag = await page.evaluate(() => window.__xss);
  expect(flag === undefined, `${where}: a payload ran (window.__xss = ${flag})`);
  const jsLinks = await page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href')).filter((h) => !/^(\/|https?:)/i.test(h)));
  expect(jsLinks.length === 0, `${where}: links that are not http(s) or site paths: ${jsLinks}`);
  const injected = await page.$$eval('img, script, iframe, object, embed', (els) => els.length);
  expect(injected === 0, `${where}: ${injected} injected elements`);
}

const browser = await chromium.launch({
  executablePath: process.env.MOTH_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const p = await context.newPage();
  watch(p);

  // --- A new user: the admin and a project.
  await p.goto(setupLink);
  await p.fill('input[name=email]', 'root@example.com');
  await p.fill('input[name=password]', 'the admin password');
  await p.fill('input[name=password_confirm]', 'the admin password');
  await submit(p, 'button:has-text("Create admin")');
  await p.fill('input[name=name]', 'Checkout');
  await p.selectOption('select[name=platform]', 'python');
  await submit(p, 'button:has-text("Create project")');
  expect(p.url().endsWith('/projects/checkout/settings'), `on the settings page (${p.url()})`);
  const dsn = (await p.textContent('code.dsn')).trim();
  expect(await p.isVisible('pre.code:has-text("sentry_sdk.init(")'), 'the Python snippet is open');
  await shot(p, 'settings');

  // --- An alert destination through the settings form, and its test
  // message (to a loopback port nobody listens on: the failure shows). Only
  // a threshold no test reaches, so the issues below alert nobody.
  await p.selectOption('#add-alert select[name=kind]', 'webhook');
  await p.fill('#add-alert input[name=url]', 'http://127.0.0.1:9/moth-hook');
  await p.fill('#add-alert input[name=name]', 'Pager');
  for (const t of ['new', 'regression', 'unmuted']) {
    await p.uncheck(`#add-alert input[name=trigger][value=${t}]`);
  }
  await p.fill('#add-alert input[name=threshold_events]', '100000');
  await p.fill('#add-alert input[name=threshold_minutes]', '1');
  await submit(p, '#add-alert button:has-text("Add destination")');
  const listed = await p.textContent('table.alert-destinations');
  expect(listed.includes('Pager') && listed.includes('more than 100000 events in 1 minute'), `the destination is listed (${listed})`);
  expect(await p.isVisible('table.alert-destinations details.secret'), "the webhook's signing secret is offered");
  await submit(p, 'table.alert-destinations button:has-text("Send test message")');
  const outcome = await p.textContent('.test-outcome');
  expect(outcome.includes('Test message to “Pager”'), `the test message's outcome shows (${outcome})`);
  await shot(p, 'settings-alerts');

  // --- A real Python SDK exception.
  execFileSync(process.env.MOTH_PYTHON, [process.env.MOTH_PY_SCENARIO], {
    env: { ...process.env, SENTRY_DSN: dsn },
    stdio: 'inherit',
  });

  await p.goto(`${base}/`);
  expect((await p.textContent('table.projects')).includes('Checkout'), 'the project is listed');
  expect(await p.isVisible('table.projects svg.spark'), 'with its sparkline');
  await shot(p, 'projects');

  await p.click('a.project-name:has-text("Checkout")');
  await p.waitForURL(`${base}/projects/checkout/issues`);
  const row = p.locator('table.issues tbody tr', { hasText: 'ZeroDivisionError' });
  expect(await row.count() === 1, 'the issue is in the unresolved list');
  await shot(p, 'issue-list');

  await Promise.all([p.waitForNavigation(), row.locator('a.title').click()]);
  expect(/\/issues\/\d+$/.test(p.url()), `on the issue page (${p.url()})`);
  const issueUrl = p.url();
  // The stack trace: function names, the crash line and its neighbours, variables.
  for (const fn of ['level6', 'level5', 'level1', 'main']) {
    expect(await p.isVisible(`details.frame summary .fn:text-is("${fn}")`), `frame ${fn} is shown`);
  }
  const crash = p.locator('details.frame').first().locator('tr.current');
  expect((await crash.textContent()).includes('average = net / total_qty'), 'the crash line is shown');
  expect(await crash.isVisible(), 'the crash line is visible without clicking');
  expect(await p.locator('details.frame').first().locator('td.code', { hasText: 'def level6(net, total_qty):' }).isVisible(), 'context around it');
  expect(await p.locator('details.frame').first().locator('table.vars', { hasText: 'total_qty' }).isVisible(), 'local variables');
  await shot(p, 'issue');

  // The event's own page.
  await Promise.all([p.waitForNavigation(), p.click('.event-head a.mono')]);
  expect(/\/events\/[0-9a-f]{32}$/.test(p.url()), `on the event page (${p.url()})`);
  expect(await p.isVisible('h3:has-text("ZeroDivisionError")'), 'the exception is shown');
  await shot(p, 'event');

  // Resolve: it leaves the unresolved list.
  await p.goto(issueUrl);
  await submit(p, '.actions button[value=resolve]');
  expect((await p.textContent('.facts')).includes('resolved'), 'the issue says resolved');
  expect((await p.textContent('ul.activity')).includes('resolved the issue'), 'the activity log says who');
  await p.goto(`${base}/projects/checkout/issues`);
  expect(await p.locator('table.issues tbody tr', { hasText: 'ZeroDivisionError' }).count() === 0, 'gone from the unresolved list');
  await submit(p, 'nav.tabs a:text-is("resolved")');
  expect(await p.locator('table.issues tbody tr', { hasText: 'ZeroDivisionError' }).count() === 1, 'in the resolved list');

  // --- Hostile data: payloads that would set window.__xss if they ran.
  const url = new URL(dsn);
  const envelopeUrl = `${base}/api${url.pathname}/envelope/?sentry_key=${url.username}`;
  const S = '<script>window.__xss=1</script>';
  const I = '"><img src=x onerror="window.__xss=2">';
  const A = "'><svg onload=window.__xss=3>";
  const P = `${S}${I}${A}`;
  const event = {
    event_id: 'f'.repeat(32),
    platform: 'javascript',
    level: 'error',
    logentry: { formatted: `message ${P}` },
    exception: { values: [{ type: `Err${S}`, value: `value ${P}`,
      mechanism: { type: 'onerror', handled: false, help_link: 'javascript:window.__xss=4' },
      stacktrace: { frames: [
        { function: `fn${I}`, filename: `file${S}.js`, abs_path: 'javascript:window.__xss=5', lineno: 3, in_app: true,
          pre_context: [P], context_line: `line ${P}`, post_context: [A], vars: { [I]: P } },
        { function: `lib${A}`, abs_path: 'data:text/html,<script>window.__xss=6</script>', lineno: 9, in_app: false, context_line: S },
      ] } }] },
    breadcrumbs: { values: [{ category: `ui${S}`, message: `crumb ${P}`, level: 'info', data: { [S]: I } }] },
    request: { url: 'javascript:window.__xss=7', method: 'GET', headers: [[`X${S}`, I]], query_string: [[A, S]], data: P },
    user: { id: `u${S}`, email: `mail${I}`, username: A },
    tags: [['evil', P.slice(0, 150)], ['ok', 'fine']],
    contexts: { browser: { name: `Chrome${S}`, version: I } },
    extra: { [S]: P },
  };
  const body = [JSON.stringify({ event_id: event.event_id }), JSON.stringify({ type: 'event' }), JSON.stringify(event)].join('\n');
  const sent = await fetch(envelopeUrl, { method: 'POST', body });
  expect(sent.status === 200, `ingest took the hostile event (${sent.status})`);

  await p.goto(`${base}/projects/checkout/issues`);
  await noScriptRan(p, 'issue list');
  const hostile = p.locator('table.issues tbody tr', { hasText: 'window.__xss=1' });
  expect(await hostile.count() === 1, 'the hostile issue is listed with its title as text');
  await Promise.all([p.waitForNavigation(), hostile.locator('a.title').click()]);
  await noScriptRan(p, 'hostile issue page');
  expect((await p.textContent('pre.message')).includes(`message ${P}`), 'the message reads literally');
  expect((await p.textContent('pre.exc-value')).includes(`value ${S}`), 'the exception value reads literally');
  expect((await p.textContent('h3 .exc-type')).includes(`Err${S}`), 'the type reads literally');
  expect((await p.textContent('details.frame.app summary .fn')).includes(`fn${I}`), 'the frame name reads literally');
  expect((await p.textContent('table.crumbs')).includes(`crumb ${P}`), 'the breadcrumb reads literally');
  expect((await p.textContent('.request-line')).includes('javascript:window.__xss=7'), 'the request URL is text');
  expect(await p.locator('.request-line a').count() === 0, 'and not a link');
  expect((await p.textContent('ul.tags')).includes('window.__xss=1'), 'the tag reads literally');
  // The library frame is collapsed; a click opens it (no JavaScript of ours).
  const lib = p.locator('details.frame:not(.app)').first();
  expect(!(await lib.evaluate((d) => d.open)), 'the library frame starts collapsed');
  expect(!(await lib.locator('tr.current').isVisible()), 'its source is hidden');
  await lib.locator('summary').click();
  expect(await lib.locator('tr.current').isVisible(), 'a click shows its source');
  // Opening every collapsed part runs nothing either.
  for (const d of await p.$$('details:not([open])')) await d.evaluate((e) => { e.open = true; });
  await noScriptRan(p, 'hostile issue page, everything open');
  await Promise.all([p.waitForNavigation(), p.click('.event-head a.mono')]);
  await noScriptRan(p, 'hostile event page');
  await shot(p, 'event-hostile');

  expect(problems.length === 0, `no console errors, CSP violations or dialogs:\n${problems.join('\n')}`);
  console.log('browser triage run: ok');
} finally {
  await browser.close();
}
