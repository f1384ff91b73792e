// The browser walk behind test-ui.sh. Each check prints "ok" or "FAIL"; the last line
// is "N passed, N failed" and the exit code is non-zero when anything failed.
const { chromium } = require('playwright-core');

const base = process.env.UI_URL;
let passed = 0, failed = 0;
function check(name, cond, detail) {
  if (cond) { passed++; console.log('ok   ' + name); }
  else { failed++; console.log('FAIL ' + name + (detail !== undefined ? ' (' + detail + ')' : '')); }
}
async function shot(page, name) {
  if (process.env.UI_SHOTS) await page.screenshot({ path: `${process.env.UI_SHOTS}/${name}.png`, fullPage: true });
}

// Elevated mode on a host page: the locked actions open the password form in place, a
// wrong password is refused there, the right one shows the counting badge and unlocks
// Start SSH (confirmed, answered in place), drop locks again.
async function elevatedWalk(page) {
  const hostUrl = page.url();
  const lock = page.locator('main .host-actions a[href="/elevate"]').first();
  check('host actions are locked', await lock.count() === 1);
  if (!await lock.count()) return;
  await lock.click();
  const pw = page.locator('#elevate-slot input[name=password]');
  await pw.waitFor({ timeout: 5000 });
  check('the password form opens in place', page.url() === hostUrl, page.url());
  await pw.fill('not-' + process.env.UI_PASSWORD);
  await Promise.all([page.waitForResponse(r => r.url().endsWith('/elevate')),
                     page.click('#elevate-slot button[type=submit]')]);
  await page.locator('#elevate-error').waitFor({ timeout: 5000 });
  check('a wrong password is refused in place', (await page.textContent('#elevate-error')).includes('did not accept'));
  await page.fill('#elevate-slot input[name=password]', process.env.UI_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('#elevate-slot button[type=submit]')]);
  const time = page.locator('#elevated .elevated-time');
  check('the elevated badge shows', await time.count() === 1 && page.url() === hostUrl, page.url());
  const t1 = (await time.textContent()).trim();
  await page.waitForTimeout(2100);
  const t2 = (await time.textContent()).trim();
  check('the badge counts down', /^[0-9]:[0-5][0-9]$/.test(t1) && /^[0-9]:[0-5][0-9]$/.test(t2) && t2 < t1, t1 + ' -> ' + t2);
  await shot(page, 'elevated');
  const start = page.locator('main button[name=op][value=ssh_start]');
  check('elevated host page offers Start SSH', await start.count() === 1);
  if (await start.count()) {
    await start.click();
    await page.locator('#confirm-dialog .confirm-ok').waitFor({ state: 'visible', timeout: 5000 });
    await Promise.all([page.waitForResponse(r => r.url().endsWith('/ops/host')),
                       page.click('#confirm-dialog .confirm-ok')]);
    await page.locator('#ops-result .ops-result').waitFor({ timeout: 10000 });
    check('SSH started in place', (await page.textContent('#ops-result')).includes('done'),
          (await page.textContent('#ops-result')).trim().slice(0, 200));
  }
  await Promise.all([page.waitForNavigation(), page.click('#elevated button[type=submit]')]);
  check('drop removes the badge', await page.locator('#elevated').count() === 0);
  check('drop locks the host actions', await page.locator('main .host-actions a[href="/elevate"]').count() >= 1);
}

(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1400, height: 900 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push(e.message));
  try {
    // login: only the chosen vCenter
    await page.goto(base + '/login');
    check('login page has a csrf field', await page.locator('input[name=csrf]').count() === 1);
    await page.fill('input[name=username]', process.env.UI_USER);
    await page.fill('input[name=password]', process.env.UI_PASSWORD);
    for (const box of await page.locator('input[name=vcenter]').all())
      if (await box.getAttribute('value') !== process.env.UI_VCENTER) await box.uncheck();
    await Promise.all([page.waitForNavigation(), page.click('form button[type=submit]')]);
    check('login lands on the dashboard', new URL(page.url()).pathname === '/dashboard', page.url());
    const cookies = await ctx.cookies();
    const sid = cookies.find(c => c.name === '__Host-vcsid');
    check('session cookie is Secure, HttpOnly, SameSite=Strict',
          sid && sid.secure && sid.httpOnly && sid.sameSite === 'Strict');
    await shot(page, 'dashboard');
    const body = await page.textContent('main');
    check('dashboard shows the VM total', body.includes(process.env.UI_VMS), process.env.UI_VMS);

    // VM table: sort by name descending, then filter
    await page.goto(base + '/vms');
    // the name is the cell after the row's selection checkbox
    const names = async () => (await page.locator('main table tbody tr td.select + td').allTextContents()).map(s => s.trim());
    const before = await names();
    check('VM table lists the VMs', before.length === Number(process.env.UI_VMS) && before.every(n => n.length > 0),
          before.join(','));
    await page.goto(base + '/vms?sort=name&order=desc');
    const desc = await names();
    const sorted = [...desc].sort((a, b) => b.localeCompare(a, 'en', { sensitivity: 'base' }));
    check('sort by name descending', JSON.stringify(desc) === JSON.stringify(sorted), desc.join(','));
    const first = desc[desc.length - 1];
    await page.goto(base + '/vms?q=' + encodeURIComponent(first));
    check('filter finds the VM', (await names()).includes(first), first);

    // search, then VM detail, then its host
    await page.fill('#global-search', first.slice(0, 6));
    await Promise.all([page.waitForNavigation(), page.press('#global-search', 'Enter')]);
    check('search page lists the VM', (await page.textContent('main')).includes(first));
    await page.goto(base + '/vms');
    await Promise.all([page.waitForNavigation(), page.locator('main table tbody tr td.select + td a').first().click()]);
    check('VM detail opens', /^\/vms\/east\//.test(new URL(page.url()).pathname), page.url());
    await shot(page, 'vm');
    // an operation: the confirm dialog first, then the outcome in place, no page load
    const snap = page.locator('main button[name=op][value=snapshot_create]');
    check('VM detail offers a snapshot', await snap.count() === 1);
    if (await snap.count()) {
      const detailUrl = page.url();
      await snap.click();
      await page.locator('#confirm-dialog .confirm-ok').waitFor({ state: 'visible', timeout: 5000 });
      check('operation asks for confirmation', (await page.textContent('#confirm-dialog')).includes('snapshot'));
      await Promise.all([page.waitForResponse(r => r.url().endsWith('/ops/vm')),
                         page.click('#confirm-dialog .confirm-ok')]);
      await page.locator('#ops-result .ops-result').waitFor({ timeout: 10000 });
      const outcome = await page.textContent('#ops-result');
      check('snapshot started', outcome.includes('1 started') && outcome.includes('task-'), outcome.trim().slice(0, 200));
      check('operation answered in place', page.url() === detailUrl, page.url());
    }
    const hostLink = page.locator('main a[href^="/hosts/east/"]').first();
    check('VM detail links its host', await hostLink.count() === 1);
    if (await hostLink.count()) {
      await Promise.all([page.waitForNavigation(), hostLink.click()]);
      check('host detail opens', /^\/hosts\/east\//.test(new URL(page.url()).pathname), page.url());
      await shot(page, 'host');
      await elevatedWalk(page);
    }
    const storage = await page.goto(base + '/storage');
    check('storage topology answers 200', storage.status() === 200, storage.status());
    await shot(page, 'storage');

    // operations on a multi-selection of the VMs that are on, then a toast per task
    await page.goto(base + '/vms');
    const boxes = page.locator('main tbody input[name=target]');
    check('VM rows carry checkboxes', await boxes.count() === Number(process.env.UI_VMS), await boxes.count());
    const offBtn = page.locator('#row-ops button[value=power_off]');
    check('operations wait for a selection', await offBtn.isDisabled());
    const onRows = page.locator('main tbody tr', { has: page.locator('.badge', { hasText: /^On$/ }) });
    const pick = Math.min(2, await onRows.count());
    check('some VMs are on', pick > 0, pick);
    for (let i = 0; i < pick; i++) await onRows.nth(i).locator('input[name=target]').check();
    check('selection counted', (await page.textContent('[data-selected-count]')).startsWith(pick + ' VM'),
          await page.textContent('[data-selected-count]'));
    await offBtn.click();
    await page.locator('#confirm-dialog .confirm-ok').waitFor({ state: 'visible', timeout: 5000 });
    await Promise.all([page.waitForResponse(r => r.url().endsWith('/ops/vm')),
                       page.click('#confirm-dialog .confirm-ok')]);
    await page.locator('#ops-result .ops-result').waitFor({ timeout: 10000 });
    check('power off started on the selection', (await page.textContent('#ops-result')).includes(pick + ' started'),
          (await page.textContent('#ops-result')).trim().slice(0, 200));
    await page.locator('#toasts .toast.is-success', { hasText: 'finished' }).first().waitFor({ timeout: 20000 })
      .then(() => check('a toast says the task finished', true), e => check('a toast says the task finished', false, e.message));
    await page.goto(base + '/tasks');
    check('tasks page lists the power-off', (await page.textContent('main')).includes('VirtualMachine.powerOff'));

    // Settings (the user is an admin): add a vCenter — test, pin its certificate, save
    await page.goto(base + '/settings/vcenters/new');
    await page.fill('#vc-id', 'extra');
    await page.fill('#vc-name', 'Extra <b>lab</b>');
    await page.fill('#vc-url', process.env.UI_EXTRA_URL);
    await page.fill('#vc-user', process.env.UI_EXTRA_USER);
    await page.fill('#vc-password', process.env.UI_EXTRA_PASSWORD);
    // the switch's box is drawn by CSS: click its label, as a user does
    if (await page.isChecked('input[name=verify_tls]')) await page.click('label.switch:has(input[name=verify_tls])');
    check('verification switched off', !(await page.isChecked('input[name=verify_tls]')));
    await page.click('button:has-text("Test connection")');
    await page.locator('#vc-test .test-login-ok').waitFor({ timeout: 15000 })
      .then(() => check('test connection logs in', true), e => check('test connection logs in', false, e.message));
    const fp = (await page.textContent('#vc-test .test-fingerprint') || '').trim();
    check('test connection shows the SHA-256', /^[0-9A-Fa-f:]{64,95}$/.test(fp), fp);
    await page.click('#vc-test button[name=pin]');
    await page.locator('#vc-test .alert.is-success', { hasText: 'pinned' }).waitFor({ timeout: 15000 })
      .then(() => check('certificate pinned', true),
            async e => check('certificate pinned', false, (await page.innerHTML('#vc-form')).slice(0, 3000)));
    check('pin fills the fingerprint field', (await page.inputValue('input[name=fingerprint]')).length > 0);
    check('the password is still typed in, never echoed', (await page.content()).indexOf(process.env.UI_EXTRA_PASSWORD) < 0);
    await Promise.all([page.waitForURL(/\/settings\?done=added/, { timeout: 15000 }), page.click('#vc-form button.btn-primary')]);
    check('saved vCenter is listed', await page.locator('tr[data-vcenter="extra"]').count() === 1);
    check('its name is shown as text', (await page.textContent('tr[data-vcenter="extra"]')).includes('Extra <b>lab</b>'));
    await shot(page, 'settings');

    // theme and accent, kept across a reload
    await page.goto(base + '/dashboard');
    await Promise.all([page.waitForResponse(r => r.url().endsWith('/preferences')), page.click('.theme-toggle')]);
    await page.reload();
    check('dark theme kept after reload', await page.getAttribute('html', 'data-theme') === 'dark');
    await page.click('.user-menu summary');
    await Promise.all([page.waitForResponse(r => r.url().endsWith('/preferences')), page.click('.swatch.green')]);
    await page.reload();
    check('accent kept after reload', await page.getAttribute('html', 'data-accent') === 'green');
    await shot(page, 'dark-green');

    // logout
    await page.click('.user-menu summary');
    await Promise.all([page.waitForNavigation(), page.click('.user-menu button.danger')]);
    check('logout leads to the login page', new URL(page.url()).pathname === '/login', page.url());
    const again = await page.goto(base + '/vms');
    check('pages need a login again', new URL(page.url()).pathname === '/login', page.url());
    check('no script errors', errors.length === 0, errors.join('; '));
  } catch (e) {
    check('walk finished', false, e.message);
  }
  await browser.close();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})();
