// The accounts acceptance run in headless Chromium (playwright-core driving
// Debian's /usr/bin/chromium), started by tests/browser_accounts.rs:
//   MOTH_URL=http://127.0.0.1:PORT MOTH_SETUP_LINK=<link> node accounts.mjs
// Follows the setup link, creates the admin, two projects and a member of
// one of them; then, in a second browser profile, signs in as the member
// through the form and finds only that project. Any console error (a CSP
// violation included) fails the run.
import { chromium } from 'playwright-core';

const base = process.env.MOTH_URL;
const setupLink = process.env.MOTH_SETUP_LINK;
if (!base || !setupLink) throw new Error('MOTH_URL and MOTH_SETUP_LINK are required');

const problems = [];
function expect(cond, what) {
  if (!cond) throw new Error(`expectation failed: ${what}`);
}
// Pages answering 404 or 401 on purpose log "Failed to load resource" for
// the document; any other failed load (stylesheet, favicon) is a problem.
function watch(page, who) {
  page.on('console', (m) => {
    if ((m.type() === 'error' || m.type() === 'warning') && !m.text().startsWith('Failed to load resource')) {
      problems.push(`${who} console ${m.type()}: ${m.text()}`);
    }
  });
  page.on('response', (r) => {
    if (r.request().resourceType() !== 'document' && r.status() >= 400) {
      problems.push(`${who} ${r.request().resourceType()} ${r.url()} answered ${r.status()}`);
    }
  });
  page.on('requestfailed', (r) => problems.push(`${who} request ${r.url()} failed: ${r.failure()?.errorText}`));
  page.on('pageerror', (e) => problems.push(`${who} page error: ${e.message}`));
}
async function submit(page, buttonText) {
  await Promise.all([page.waitForNavigation(), page.click(`button:has-text("${buttonText}")`)]);
}

const browser = await chromium.launch({
  executablePath: process.env.MOTH_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
try {
  // --- The admin, in one profile.
  const adminContext = await browser.newContext();
  const a = await adminContext.newPage();
  watch(a, 'admin');
  await a.goto(setupLink);
  await a.fill('input[name=email]', 'root@example.com');
  await a.fill('input[name=password]', 'the admin password');
  await a.fill('input[name=password_confirm]', 'the admin password');
  await submit(a, 'Create admin');
  expect(a.url() === `${base}/`, `after setup the admin is on the projects page (got ${a.url()})`);
  expect((await a.textContent('.topbar')).includes('root@example.com'), 'the admin is signed in');
  // The stylesheet loaded (the CSP allows it): the top bar is dark.
  const topbar = await a.$eval('.topbar', (e) => getComputedStyle(e).backgroundColor);
  expect(topbar === 'rgb(35, 31, 61)', `stylesheet applied (top bar ${topbar})`);

  for (const name of ['Alpha', 'Beta']) {
    await a.goto(`${base}/`);
    await a.fill('input[name=name]', name);
    await a.selectOption('select[name=platform]', 'python');
    await submit(a, 'Create project');
    expect(a.url().endsWith(`/projects/${name.toLowerCase()}/settings`), `${name} created (at ${a.url()})`);
    expect((await a.textContent('code.dsn')).includes('@'), `${name} shows its DSN`);
  }

  await a.goto(`${base}/admin/users`);
  await a.fill('form[action="/admin/users"] input[name=email]', 'mia@example.com');
  await a.fill('form[action="/admin/users"] input[name=password]', 'the member password');
  await submit(a, 'Add user');
  expect((await a.textContent('table')).includes('mia@example.com'), 'the member is listed');

  await a.goto(`${base}/projects/alpha/settings`);
  await a.check('label:has-text("mia@example.com") input[type=checkbox]');
  await submit(a, 'Save members');
  expect(await a.isChecked('label:has-text("mia@example.com") input[type=checkbox]'), 'membership saved');

  // --- The member, in another profile.
  const memberContext = await browser.newContext();
  const m = await memberContext.newPage();
  watch(m, 'member');
  await m.goto(`${base}/projects/alpha/issues`);
  expect(m.url().startsWith(`${base}/login?next=`), `signed out, the member is sent to the form (${m.url()})`);
  await m.fill('input[name=email]', 'mia@example.com');
  await m.fill('input[name=password]', 'wrong password');
  await submit(m, 'Sign in');
  expect((await m.textContent('[role=alert]')).includes('Wrong email or password.'), 'a wrong password is refused');
  await m.fill('input[name=password]', 'the member password');
  await submit(m, 'Sign in');
  expect(m.url() === `${base}/projects/alpha/issues`, `back where the member wanted to go (${m.url()})`);
  expect((await m.textContent('h1')).includes('Alpha'), 'the project page');

  const home = await m.goto(`${base}/`);
  expect(home.status() === 200, 'projects page');
  const projects = await m.textContent('main');
  expect(projects.includes('Alpha') && !projects.includes('Beta'), `only Alpha is listed: ${projects}`);
  for (const path of ['/projects/beta/issues', '/projects/beta/settings', '/admin/users', '/admin/audit']) {
    const r = await m.goto(`${base}${path}`);
    expect(r.status() === 404, `${path} is a 404 for the member (got ${r.status()})`);
  }
  // The admin's view is untouched, and the audit log has the story.
  await a.goto(`${base}/admin/audit`);
  const audit = await a.textContent('table');
  for (const action of ['setup.first_admin', 'project.create', 'user.add', 'project.member_add', 'user.sign_in_failed', 'user.sign_in']) {
    expect(audit.includes(action), `audit log has ${action}`);
  }

  // Signing out through the form ends the session.
  await m.goto(`${base}/`);
  await submit(m, 'Sign out');
  expect(m.url().startsWith(`${base}/login`), 'signed out');
  await m.goto(`${base}/`);
  expect(m.url().startsWith(`${base}/login`), 'the old session is gone');

  expect(problems.length === 0, `no console errors or CSP violations:\n${problems.join('\n')}`);
  console.log('browser accounts run: ok');
} finally {
  await browser.close();
}
