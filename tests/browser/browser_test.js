// certfleet's web page in headless Chromium (playwright-core, no bundled browser). Run by
// tests/integration/test_browser.sh, which sets up the store, the external CA and the daemon and
// passes everything in the environment. The certfleet CLI on the same store is the oracle for
// what the page should show. Writes "PASSED FAILED" to $COUNTS.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set (run this through test_browser.sh)`);
  return process.env[k];
};
const BASE = env('BASE_URL');
const SHOTS = env('SHOTS');
const WORK = env('WORK');
const CA = env('CA_DIR');
const PW_ADMIN = env('PW_ADMIN');
const PW_READER = 'reader password of the browser test';
const PW_READER2 = 'second reader password of the test';
const UCM1 = 'ucm1.example.com';
const NODES = [UCM1, 'ucm2.example.com', 'ucm3.example.com'];
// A description that would be markup if the page ever inserted data as HTML.
const DESC_MARKUP = '<img src=x id=xss> test CA chain';

let passed = 0;
let failed = 0;
function check(what, cond, detail) {
  if (cond) passed++;
  else {
    failed++;
    console.error(`FAIL: ${what}${detail === undefined ? '' : ': ' + detail}`);
  }
}
function checkEq(what, want, got) {
  const a = JSON.stringify(want);
  const b = JSON.stringify(got);
  check(what, a === b, `expected ${a}, got ${b}`);
}

// The CLI's view of the store.
function cli(...args) {
  return JSON.parse(execFileSync(env('CERTFLEET'), ['--json', ...args], { encoding: 'utf8' }));
}
const cliIds = (...args) => cli('cert', 'list', ...args).items.map((c) => String(c.id));

// Polls fn until it returns a truthy value (or times out and returns the last value).
// Conditions are waited for with a generous limit: a busy machine is slow, not wrong.
async function until(fn, ms = 30000) {
  const end = Date.now() + ms;
  let v;
  for (;;) {
    v = await fn();
    if (v || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

// A screenshot of each state; the page must not show "null", "undefined" or "NaN" anywhere.
let shotNo = 0;
async function shot(page, name) {
  shotNo++;
  const words = await page.evaluate(() => document.body.innerText.match(/\b(null|undefined|NaN|\[object Object\])\b/g));
  check(`${name}: no placeholder words on the page`, !words, JSON.stringify(words));
  await page.screenshot({ path: path.join(SHOTS, `${String(shotNo).padStart(2, '0')}-${name}.png`), fullPage: true });
}

async function main() {
  const profile = fs.mkdtempSync(path.join(WORK, 'profile-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: env('CHROMIUM'),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    ignoreHTTPSErrors: true,
    acceptDownloads: true,
  });
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.setDefaultTimeout(10000);

  // Anything going wrong in the page is a failure. The only 4xx answers allowed are the ones a
  // step announces (the session probe while logged out, the wrong password); Chromium logs those
  // as "Failed to load resource", which is allowed for exactly those URLs.
  const problems = [];
  const allowed = []; // {method, path, status}
  const allowedUrls = new Set();
  const allow = (method, p, status) => allowed.push({ method, path: p, status });
  page.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    const url = (m.location() || {}).url || '';
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text()) && allowedUrls.has(url)) return;
    problems.push(`console ${m.type()}: ${m.text()} (${url})`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.method()} ${r.url()}: ${(r.failure() || {}).errorText}`));
  page.on('response', (r) => {
    const s = r.status();
    if (s < 400) return;
    const u = new URL(r.url());
    const i = allowed.findIndex((a) => a.method === r.request().method() && a.path === u.pathname && a.status === s);
    if (s < 500 && i >= 0) {
      allowed.splice(i, 1);
      allowedUrls.add(r.url());
      return;
    }
    problems.push(`HTTP ${s}: ${r.request().method()} ${r.url()}`);
  });
  page.on('dialog', (d) => problems.push(`unexpected dialog: ${d.message()}`));

  const visible = (sel) => page.isVisible(sel);
  const text = (sel) => page.textContent(sel).then((t) => (t || '').trim());
  // The text of an element that may not be there yet ('' until it is), without waiting for it.
  const textNow = (sel) => page.evaluate((q) => { const e = document.querySelector(q); return e ? e.textContent.trim() : ''; }, sel);
  const ids = () => page.$$eval('#cert-table tbody tr td:first-child', (tds) => tds.map((td) => td.textContent.trim()));
  const pagerText = () => text('#cert-pager .pager-text');
  // Waits until the list shows exactly the given ids.
  async function listShows(what, want) {
    const got = await until(async () => {
      const g = await ids();
      return JSON.stringify(g) === JSON.stringify(want) ? g : null;
    }) || (await ids());
    checkEq(what, want, got);
  }
  const dd = (dl, term) => page.evaluate(([dlSel, t]) => {
    const dt = [...document.querySelectorAll(dlSel + ' dt')].find((x) => x.textContent === t);
    return dt ? dt.nextElementSibling.textContent : null;
  }, [dl, term]);

  async function login(user, password) {
    await page.fill('#login-user', user);
    await page.fill('#login-password', password);
    await page.click('#login-form button[type="submit"]');
  }
  async function logout() {
    await page.click('#logout');
    check('login form after logout', await until(() => visible('#login-form')));
  }

  // ---- login: wrong password first ----------------------------------------------------------
  allow('GET', '/api/v1/session', 401);
  const resp = await page.goto(BASE + '/', { waitUntil: 'load' });
  checkEq('page status', 200, resp.status());
  const csp = resp.headers()['content-security-policy'] || '';
  check('page served with a CSP', csp.includes("default-src 'self'"), csp);
  check('login form shown', await until(() => visible('#login-form')));
  check('no navigation before login', !(await visible('#nav')));
  // Every control has a label and every button a name, on every view (all are in the page).
  const unlabelled = await page.$$eval('input, select, textarea', (els) => els.filter((e) => !e.labels || !e.labels.length).map((e) => e.id || e.name));
  checkEq('every control has a label', [], unlabelled);
  const unnamed = await page.$$eval('button', (els) => els.filter((b) => !b.textContent.trim() && !b.getAttribute('aria-label')).length);
  checkEq('every button has a name', 0, unnamed);
  await shot(page, 'login');

  allow('POST', '/api/v1/login', 401);
  await login('admin', 'not the admin password');
  const pwErr = await until(() => text('#login-password-err'));
  check('wrong password: error next to the password field', pwErr.length > 0, JSON.stringify(pwErr));
  check('wrong password: the error is in the password row',
    await page.$eval('#login-password-err', (e) => e.parentElement.contains(document.getElementById('login-password'))));
  checkEq('wrong password: field marked invalid', 'true', await page.getAttribute('#login-password', 'aria-invalid'));
  check('wrong password: still on the login form', await visible('#login-form'));
  await shot(page, 'login-wrong-password');

  // ---- login and the certificate list, paged -----------------------------------------------------
  await login('admin', PW_ADMIN);
  check('list after login', await until(() => visible('#cert-table')));
  checkEq('who is logged in', 'admin (admin)', await until(() => text('#who-name')));
  const all = cliIds();
  check('more than one page of certificates', all.length > 50, all.length);
  await until(async () => (await pagerText()) === `Showing 1–50 of ${all.length}`);
  checkEq('pager, page 1', `Showing 1–50 of ${all.length}`, await pagerText());
  await listShows('page 1 rows', all.slice(0, 50));
  const expiry = await text('#cert-table tbody tr:first-child td:last-child .days');
  check('days left shown', /^\d+ days left$/.test(expiry), expiry);
  await shot(page, 'list');
  await page.click('#cert-pager button[data-dir="1"]');
  await listShows('page 2 rows', all.slice(50));
  checkEq('pager, page 2', `Showing 51–${all.length} of ${all.length}`, await pagerText());
  check('no next page after the last', await page.isDisabled('#cert-pager button[data-dir="1"]'));
  await page.click('#cert-pager button[data-dir="-1"]');
  await listShows('back to page 1', all.slice(0, 50));

  // A reload keeps the session (GET /session gives the CSRF token back).
  await page.reload({ waitUntil: 'load' });
  check('still logged in after a reload', await until(() => visible('#cert-table')));
  await listShows('list after the reload', all.slice(0, 50));

  // ---- self-signed: CallManager on ucm2 -------------------------------------------------------------
  await page.click('#nav a[href="#self-signed"]');
  await page.selectOption('#ss-node', 'ucm2.example.com');
  await page.selectOption('#ss-purpose', 'CallManager');
  await page.selectOption('#ss-key', 'rsa:3072');
  await page.fill('#ss-days', '10');
  await page.click('#ss-form button[type="submit"]');
  check('self-signed: result shown', await until(() => visible('#restart-plan')));
  const ssRows = await page.$$eval('#restart-plan tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  check('self-signed: restart plan names CallManager on ucm2',
    ssRows.some((r) => r[2] === 'ucm2.example.com' && /CallManager/.test(r[3])), JSON.stringify(ssRows));
  const cm = cli('cert', 'list', '--node', 'ucm2.example.com', '--purpose', 'CallManager').items[0];
  checkEq('self-signed: new key as chosen', 3072, cm.key_bits);
  check('self-signed: validity as chosen', Math.abs(Date.parse(cm.not_after) - Date.now() - 10 * 86400000) < 3600000, cm.not_after);
  await shot(page, 'self-signed-result');

  // ---- filters --------------------------------------------------------------------------------------
  await page.click('#nav a[href="#certs"]');
  await page.selectOption('#f-node', UCM1);
  await page.fill('#f-begins', 'tomcat');
  await page.click('#filter-form button[type="submit"]');
  const tomcatIds = cliIds('--node', UCM1, '--begins-with', 'tomcat');
  check('begins-with finds several', tomcatIds.length > 2, tomcatIds.length);
  await listShows('node + begins with "tomcat"', tomcatIds);
  const kinds = await page.$$eval('#cert-table tbody tr td:nth-child(3)', (tds) => tds.map((t) => t.firstChild.textContent));
  check('every row begins with tomcat', kinds.every((k) => k.startsWith('tomcat')), kinds.join(','));
  await page.selectOption('#f-purpose', 'tomcat');
  await listShows('node + purpose tomcat + begins with', cliIds('--node', UCM1, '--purpose', 'tomcat', '--begins-with', 'tomcat'));
  await shot(page, 'list-filtered');
  await page.click('#f-clear');
  await page.fill('#f-expiring', '30');
  await page.click('#filter-form button[type="submit"]');
  const soonIds = cliIds('--expiring', '30');
  check('something expires within 30 days', soonIds.length > 0);
  await listShows('expiring within 30 days', soonIds);
  const soonRows = await page.$$eval('#cert-table tbody tr', (trs) => trs.map((tr) => tr.className + ' ' + tr.querySelector('td:last-child .days').textContent));
  check('rows expiring soon are marked, in words too', soonRows.every((r) => /^soon (9|10) days left$/.test(r)), JSON.stringify(soonRows));
  await shot(page, 'list-expiring');
  await page.click('#f-clear');
  await listShows('filter cleared', cliIds().slice(0, 50));

  // ---- CSR: live preview, generate, download -----------------------------------------------------------
  await page.click('#nav a[href="#csr"]');
  await page.selectOption('#csr-node', UCM1);
  await page.selectOption('#csr-purpose', 'tomcat');
  const sanList = () => page.$$eval('#csr-preview-san li', (lis) => lis.map((l) => l.textContent));
  await until(async () => JSON.stringify(await sanList()) === JSON.stringify([`DNS:${UCM1}`]));
  checkEq('preview, single-server', [`DNS:${UCM1}`], await sanList());
  await page.check('#csr-multi');
  const multiSan = NODES.map((n) => 'DNS:' + n).sort();
  await until(async () => JSON.stringify(await sanList()) === JSON.stringify(multiSan));
  checkEq('preview, multi-server: every node', multiSan, await sanList());
  check('preview, multi-server CN', (await text('#csr-preview-cn')).includes('ucm1-ms.example.com'), await text('#csr-preview-cn'));
  await shot(page, 'csr-preview');
  await page.click('#csr-form button[type="submit"]');
  check('CSR shown', await until(() => visible('#csr-view')));
  checkEq('CSR subject', 'CN=ucm1-ms.example.com', (await until(() => dd('#csr-dl', 'Subject'))) || '');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csr-download')]);
  checkEq('download file name', `${UCM1}-tomcat.csr`, download.suggestedFilename());
  fs.mkdirSync(path.join(WORK, 'downloads'), { recursive: true });
  const csrFile = path.join(WORK, 'downloads', 'tomcat.csr');
  await download.saveAs(csrFile);
  const csrPem = fs.readFileSync(csrFile, 'utf8');
  check('download is a PEM CSR', /^-----BEGIN CERTIFICATE REQUEST-----\n[\s\S]+\n-----END CERTIFICATE REQUEST-----\n?$/.test(csrPem), csrPem.slice(0, 60));
  checkEq('download equals the CSR shown', (await page.inputValue('#csr-pem')).trim(), csrPem.trim());
  const csrText = execFileSync('openssl', ['req', '-in', csrFile, '-noout', '-verify', '-text'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  check('downloaded CSR carries every node', NODES.every((n) => csrText.includes('DNS:' + n)));
  await shot(page, 'csr');

  // ---- the external CA signs it ---------------------------------------------------------------------------
  const leafFile = path.join(WORK, 'tomcat-signed.pem');
  execFileSync('bash', [env('SIGN'), csrFile, leafFile]);

  // ---- upload the chain into tomcat-trust, then the certificate ----------------------------------------------
  async function upload(kind, target, file, description) {
    await page.click('#nav a[href="#upload"]');
    await page.selectOption('#up-node', UCM1);
    await page.check(kind === 'store' ? '#up-kind-trust' : '#up-kind-id');
    await page.selectOption(kind === 'store' ? '#up-store' : '#up-purpose', target);
    await page.fill('#up-desc', description);
    await page.setInputFiles('#up-file', file);
    await page.click('#up-form button[type="submit"]');
    check(`upload to ${target}: result shown`, await until(() => visible('#view-result')));
    await until(async () => (await text('#result-title')).includes(target));
    return page.$$eval('#result-certs li', (lis) => lis.map((l) => l.textContent));
  }
  const planRows = () => page.$$eval('#restart-plan tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));

  const trustMade = await upload('store', 'tomcat-trust', path.join(CA, 'chain.pem'), DESC_MARKUP);
  check('chain: root added', trustMade.some((t) => t.includes('certfleet Test Root CA')), JSON.stringify(trustMade));
  check('chain: intermediate added', trustMade.some((t) => t.includes('certfleet Test Intermediate CA')), JSON.stringify(trustMade));
  const trustCli = cli('cert', 'list', '--node', UCM1, '--store', 'tomcat-trust').items;
  check('chain: in the store (CLI)', ['certfleet Test Root CA', 'certfleet Test Intermediate CA'].every((cn) => trustCli.some((c) => c.cn === cn)));
  await shot(page, 'upload-chain-result');

  // A file that is no certificate: the daemon's error lands next to the file field.
  await page.click('#nav a[href="#upload"]');
  fs.writeFileSync(path.join(WORK, 'garbage.pem'), 'this is not a certificate\n');
  await page.setInputFiles('#up-file', path.join(WORK, 'garbage.pem'));
  allow('POST', '/api/v1/upload', 400);
  await page.click('#up-form button[type="submit"]');
  const fileErr = await until(() => text('#up-file-err'));
  check('bad file: error next to the file field', /not a certificate/.test(fileErr), JSON.stringify(fileErr));
  check('bad file: still on the upload form', await visible('#up-form'));
  await shot(page, 'upload-bad-file');

  const made = await upload('purpose', 'tomcat', leafFile, 'signed by the test CA');
  check('certificate: tomcat on ucm1 created', made.some((t) => t.includes(`tomcat on ${UCM1}`)), JSON.stringify(made));
  const plan = await planRows();
  checkEq('restart plan: steps numbered in order', plan.map((_, i) => String(i + 1)), plan.map((r) => r[0]));
  check('restart plan: every node restarts Tomcat',
    NODES.every((n) => plan.some((r) => r[2] === n && /tomcat/i.test(r[3]) && r[1] === 'restart')), JSON.stringify(plan));
  checkEq('restart plan: the publisher first', UCM1, (plan[0] || [])[2]);
  await shot(page, 'upload-certificate-result');

  // ---- details of the new tomcat certificate ------------------------------------------------------------------
  await page.click(`#result-certs a:has-text("tomcat on ${UCM1}")`);
  check('details shown', await until(() => visible('#cert-dl')));
  const issuer = (await until(() => dd('#cert-dl', 'Issuer'))) || '';
  check('details: issuer is the test CA', issuer.includes('certfleet Test Intermediate CA'), issuer);
  checkEq('details: not self-signed', 'no', await dd('#cert-dl', 'Self-signed'));
  checkEq('details: multi-server', 'multi-server', await dd('#cert-dl', 'Distribution'));
  const fp = execFileSync('openssl', ['x509', '-in', leafFile, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' })
    .replace(/.*=/, '').replace(/:/g, '').trim().toLowerCase();
  checkEq('details: SHA-256 of the signed certificate', fp, await dd('#cert-dl', 'SHA-256'));
  check('details: PEM shown', (await page.inputValue('#cert-pem')).startsWith('-----BEGIN CERTIFICATE-----'));
  check('details: no delete for an identity', !(await visible('#cert-delete')));
  await shot(page, 'details-tomcat');

  // ---- tools: validate the signed certificate, pasted with its intermediate, against the pasted root ------
  // openssl verify is the oracle for the verdict; the chain's first SHA-256 is the one above.
  const verifies = (host) => {
    try {
      execFileSync('openssl', ['verify', '-CAfile', path.join(CA, 'root.pem'), '-untrusted', path.join(CA, 'inter.pem'),
        '-verify_hostname', host, leafFile], { stdio: 'ignore' });
      return true;
    } catch (e) {
      return false;
    }
  };
  const leafAndInter = fs.readFileSync(leafFile, 'utf8') + fs.readFileSync(path.join(CA, 'inter.pem'), 'utf8');
  await page.click('#nav a[href="#tools"]');
  check('tools: validate form shown', await until(() => visible('#val-form')));
  check('tools: import tool shown to an admin', await visible('#fetch-form'));
  await page.fill('#val-pem', leafAndInter);
  await page.fill('#val-host', UCM1);
  await page.check('#val-trust-ca');
  await page.fill('#val-ca', fs.readFileSync(path.join(CA, 'root.pem'), 'utf8'));
  await page.selectOption('#val-purpose', 'tomcat');
  await page.click('#val-form button[type="submit"]');
  checkEq('validate: the verdict, as openssl verify has it', verifies(UCM1) ? 'Valid' : 'Not valid', await until(() => text('#val-verdict')));
  const valRows = () => page.$$eval('#val-checks tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  checkEq('validate: every check passed', ['Host name passed', 'Validity passed', 'Key usage passed', 'Chain passed'],
    (await valRows()).map((r) => `${r[0]} ${r[1]}`));
  const valChain = await page.$$eval('#val-chain tbody tr', (trs) => trs.map((tr) => tr.cells[3].textContent));
  checkEq('validate: the chain to the root, the certificate first', 3, valChain.length);
  checkEq('validate: the certificate as openssl fingerprints it', fp, valChain[0]);
  await shot(page, 'tools-validate-valid');
  await page.fill('#val-host', 'elsewhere.example.com');
  await page.click('#val-form button[type="submit"]');
  await until(async () => (await text('#val-verdict')) === 'Not valid');
  checkEq('validate, another host: the verdict, as openssl verify has it', verifies('elsewhere.example.com') ? 'Valid' : 'Not valid', await text('#val-verdict'));
  const failedRows = (await valRows()).filter((r) => r[1] === 'failed');
  checkEq('validate, another host: the finding', [['Host name', 'name-mismatch']], failedRows.map((r) => [r[0], r[2]]));
  check('validate, another host: the finding says why', /elsewhere\.example\.com is not among its names/.test((failedRows[0] || [])[3]), JSON.stringify(failedRows));
  await shot(page, 'tools-validate-finding');
  await page.fill('#val-pem', 'this is not a certificate');
  allow('POST', '/api/v1/validate', 400);
  await page.click('#val-form button[type="submit"]');
  const pemErr = await until(() => text('#val-pem-err'));
  check('validate, no certificate: the error next to the certificate field', pemErr.length > 0 && !/--/.test(pemErr), JSON.stringify(pemErr));
  checkEq('validate, no certificate: field marked invalid', 'true', await page.getAttribute('#val-pem', 'aria-invalid'));
  await shot(page, 'tools-validate-bad-pem');

  // The same certificate again: its CSR is consumed. The error speaks of the page, not of
  // command-line options, and links to the CSR form for the node and purpose.
  await page.click('#nav a[href="#upload"]');
  await page.selectOption('#up-node', UCM1);
  await page.check('#up-kind-id');
  await page.selectOption('#up-purpose', 'tomcat');
  await page.setInputFiles('#up-file', leafFile);
  allow('POST', '/api/v1/upload', 409);
  await page.click('#up-form button[type="submit"]');
  const noCsrLink = '#up-form .field-err a, #up-form .form-err a';
  check('no pending CSR: a link to generate one', await until(async () => (await page.$(noCsrLink)) !== null));
  const noCsrErr = await page.$eval(noCsrLink, (a) => a.parentElement.textContent);
  check('no pending CSR: page advice, no command-line option', /generate a CSR first/.test(noCsrErr) && !/--|certfleet /.test(noCsrErr), noCsrErr);
  await shot(page, 'upload-no-csr');
  await page.click(noCsrLink);
  check('no pending CSR: the link opens the CSR form', await until(() => visible('#csr-form')));
  checkEq('no pending CSR: node and purpose filled', [UCM1, 'tomcat'], [await page.inputValue('#csr-node'), await page.inputValue('#csr-purpose')]);

  // ---- delete a trust certificate: ucm2's old self-signed tomcat in ucm1's tomcat-trust ---------------------
  await page.click('#nav a[href="#trust"]');
  await page.selectOption('#f-node', UCM1);
  await page.selectOption('#f-store', 'tomcat-trust');
  await page.fill('#f-begins', 'ucm2');
  await page.click('#filter-form button[type="submit"]');
  const victims = cliIds('--node', UCM1, '--store', 'tomcat-trust', '--begins-with', 'ucm2');
  check('a trust certificate to delete', victims.length >= 1, victims.length);
  await listShows('trust store view, begins with ucm2', victims);
  await shot(page, 'trust-store');
  const victim = victims[0];
  await page.click(`#cert-table a[href="#cert/${victim}"]`);
  check('delete button for a trust certificate', await until(() => visible('#cert-delete')));
  await shot(page, 'details-trust');
  let dialogText = '';
  page.removeAllListeners('dialog');
  page.once('dialog', (d) => { dialogText = d.message(); d.accept(); });
  await page.click('#cert-delete');
  check('delete: result shown', await until(async () => (await visible('#view-result')) && (await text('#result-title')).startsWith('Deleted')));
  check('delete: confirm asked', dialogText.startsWith('Delete the trust certificate'), dialogText);
  page.on('dialog', (d) => problems.push(`unexpected dialog: ${d.message()}`));
  check('delete: gone (CLI)', !cliIds('--node', UCM1, '--store', 'tomcat-trust').includes(victim));
  await shot(page, 'delete-result');

  // ---- doctor, status, audit ---------------------------------------------------------------------------------
  await page.click('#nav a[href="#doctor"]');
  check('doctor findings listed', await until(async () => (await page.$$('#doctor-table tbody tr')).length > 0));
  await shot(page, 'doctor');
  // each fix is a button or a link the page acts on; the command line is there, folded away
  const fixCells = await page.$$eval('#doctor-table tbody tr td:last-child', (tds) => tds.map((td) => ({
    controls: td.querySelectorAll('[data-action]').length,
    cli: td.querySelector('details.cli code') ? td.querySelector('details.cli code').textContent : null,
    open: !!td.querySelector('details[open]'),
  })));
  check('doctor: every fix is a button or a link', fixCells.length > 0 && fixCells.every((c) => c.controls > 0), JSON.stringify(fixCells));
  check('doctor: the CLI text is kept, folded', fixCells.every((c) => c.cli && !c.open), JSON.stringify(fixCells));
  check('doctor: no CLI text shown', !(await page.isVisible('#doctor-table details.cli code')));
  // a CSR action opens the CSR form with its node and purpose
  const csrLink = await page.$('#doctor-table a[data-action="csr"]');
  check('doctor: a CSR link', csrLink !== null);
  const want = new URLSearchParams((await csrLink.getAttribute('href')).split('?')[1]);
  await csrLink.click();
  check('doctor CSR link: the CSR form', await until(() => visible('#csr-form')));
  checkEq('doctor CSR link: node and purpose filled', [want.get('node'), want.get('purpose')],
    [await page.inputValue('#csr-node'), await page.inputValue('#csr-purpose')]);
  checkEq('doctor CSR link: distribution as the finding says', want.get('multi_server') ? '1' : '0',
    await page.$eval('#csr-form', (f) => f.elements.namedItem('multi_server').value));
  await shot(page, 'doctor-csr-link');
  await page.click('#nav a[href="#doctor"]');
  check('doctor listed again', await until(async () => (await page.$$('#doctor-table [data-action]')).length > 0));
  // the doctor's most common fix is a button: prune the stale self-signed copies on ucm1
  const staleOn = (n) => { // the doctor exits 7 when it finds errors: its JSON is there either way
    let out;
    try { out = execFileSync(env('CERTFLEET'), ['--json', 'doctor', '--node', n], { encoding: 'utf8' }); } catch (e) { out = e.stdout; }
    return JSON.parse(out).findings.filter((f) => f.rule === 'stale-selfsigned-trust').length;
  };
  const staleBefore = staleOn(UCM1);
  check('doctor: stale copies on ucm1 to prune', staleBefore > 0, staleBefore);
  check('doctor: a prune button for them', await until(async () => (await page.$(`#doctor-table button[data-prune="${UCM1}"]`)) !== null));
  await page.click(`#doctor-table button[data-prune="${UCM1}"]`);
  check('prune: result shown', await until(async () => (await visible('#view-result')) && (await text('#result-title')).startsWith('Pruned')));
  checkEq('prune: no stale copy left on ucm1 (CLI doctor)', 0, staleOn(UCM1));
  await shot(page, 'doctor-prune-result');
  await page.click('#nav a[href="#status"]');
  const statusNodes = await until(async () => {
    const n = await page.$$eval('#status-table tbody tr td:first-child', (tds) => tds.map((t) => t.textContent));
    return n.length ? n : null;
  });
  checkEq('status: every node', NODES, (statusNodes || []).slice().sort());
  await shot(page, 'status');
  await page.click('#nav a[href="#audit"]');
  const actions = await until(async () => {
    const a = await page.$$eval('#audit-table tbody tr td:nth-child(5)', (tds) => tds.map((t) => t.textContent));
    return a.length ? a : null;
  });
  check('audit shows the trust delete', (actions || []).includes('trust delete'), JSON.stringify(actions));
  await shot(page, 'audit');

  // ---- certificate monitor: the expiring-soon panel, the settings, a run ----------------------------------------
  // ucm2's CallManager, self-signed above with 10 days, is inside the monitor's default 30-day window.
  await page.click('#nav a[href="#certs"]');
  const panelIds = () => page.$$eval('#soon-list li a', (as) => as.map((a) => a.getAttribute('href').replace('#cert/', '')));
  const soonCli = cliIds('--expiring', '30').sort();
  const panel = (await until(async () => { const p = await panelIds(); return p.length ? p : null; })) || [];
  check('expiring soon: the 10-day CallManager on ucm2 is in the panel', panel.includes(String(cm.id)), JSON.stringify(panel));
  checkEq('expiring soon: the panel lists what the CLI has within 30 days', soonCli, panel.slice().sort());
  check('expiring soon: days left in words', /(9|10) days left/.test(await text('#soon-list')), await text('#soon-list'));
  check('expiring soon: the monitor window named', (await text('#soon-text')).includes('within 30 days'), await text('#soon-text'));
  await shot(page, 'expiring-soon');
  await page.click('#soon-show');
  await listShows('expiring soon: shown in the list', cliIds('--expiring', '30'));
  checkEq('expiring soon: the filter says so', '30', await page.inputValue('#f-expiring'));
  await page.click('#f-clear');

  await page.click('#nav a[href="#monitor"]');
  check('monitor: settings shown', await until(async () => (await page.inputValue('#mon-start')) === '30'));
  checkEq('monitor: frequency shown', ['1', 'd'], [await page.inputValue('#mon-freq'), await page.inputValue('#mon-freq-unit')]);
  checkEq('monitor: last run shown as the CLI has it', cli('monitor', 'show').last_run, await dd('#mon-state', 'Last run'));
  await shot(page, 'monitor');
  // A bad address among good ones: the daemon's error next to the addresses, nothing saved.
  await page.fill('#mon-emails', 'pki@example.com; not-an-address');
  allow('PUT', '/api/v1/monitor', 400);
  await page.click('#monitor-form button[type="submit"]');
  const emailsErr = await until(() => text('#mon-emails-err'));
  check('bad address: error next to the addresses field', /not-an-address/.test(emailsErr), JSON.stringify(emailsErr));
  check('bad address: the error is in the addresses row',
    await page.$eval('#mon-emails-err', (e) => e.parentElement.contains(document.getElementById('mon-emails'))));
  checkEq('bad address: field marked invalid', 'true', await page.getAttribute('#mon-emails', 'aria-invalid'));
  checkEq('bad address: nothing saved (CLI)', [30, []], [cli('monitor', 'show').start_days, cli('monitor', 'show').emails]);
  await shot(page, 'monitor-bad-address');
  // A good change: saved, the CLI agrees, the password is not kept in the page.
  await page.fill('#mon-emails', 'pki@example.com; ops@example.com');
  await page.fill('#mon-start', '5');
  await page.fill('#mon-freq', '12');
  await page.selectOption('#mon-freq-unit', 'h');
  await page.uncheck('#mon-email');
  await page.check('#mon-lsc');
  await page.fill('#mon-smtp-host', 'mail.example.com');
  await page.fill('#mon-smtp-port', '587');
  await page.selectOption('#mon-smtp-tls', 'implicit');
  await page.fill('#mon-smtp-user', 'certfleet');
  await page.fill('#mon-smtp-password', 'smtp password of the browser test');
  await page.click('#monitor-form button[type="submit"]');
  check('monitor: saved', await until(async () => (await text('#msg')).includes('Monitor settings saved')));
  const ms = cli('monitor', 'show');
  checkEq('monitor: saved (CLI)', [5, '12h', false, ['pki@example.com', 'ops@example.com'], true, 'mail.example.com:587', 'implicit', 'certfleet', true],
    [ms.start_days, ms.frequency, ms.email, ms.emails, ms.lsc, ms.smtp, ms.smtp_tls, ms.smtp_user, ms.smtp_password_set]);
  checkEq('monitor: the password field emptied', '', await page.inputValue('#mon-smtp-password'));
  checkEq('monitor: the password shown as set', 'set', await dd('#mon-state', 'SMTP password'));
  await shot(page, 'monitor-saved');
  await page.reload({ waitUntil: 'load' });
  check('monitor: after a reload the stored settings', await until(async () => (await page.inputValue('#mon-start')) === '5'));
  checkEq('monitor: after a reload', ['12', 'h', 'pki@example.com; ops@example.com', 'mail.example.com', '587', false],
    [await page.inputValue('#mon-freq'), await page.inputValue('#mon-freq-unit'), await page.inputValue('#mon-emails'),
      await page.inputValue('#mon-smtp-host'), await page.inputValue('#mon-smtp-port'), await page.isChecked('#mon-email')]);
  // The panel follows the monitor's window: nothing within 5 days.
  await page.click('#nav a[href="#certs"]');
  check('expiring soon follows the monitor: nothing within 5 days',
    await until(async () => (await text('#soon-text')).startsWith('Nothing expires within 5 days')), await text('#soon-text'));
  await shot(page, 'expiring-soon-5-days');
  // LSC monitoring is on (saved above): a phone's LSC inside the window is in the panel too.
  cli('trust', 'add', '--node', UCM1, '--store', 'CAPF-trust', path.join(CA, 'root.pem'));
  const lscId = String(cli('endpoint', 'import', '--node', UCM1, path.join(CA, 'lsc.pem')).ids[0]);
  await page.reload({ waitUntil: 'load' });
  check('expiring soon: a phone LSC within 5 days is counted',
    await until(async () => (await text('#soon-text')).includes("(1 is a phone's LSC)")), await text('#soon-text'));
  check('expiring soon: the LSC named by its device', (await text('#soon-list')).includes(`SEP00AABBCCDD01 (LSC) on ${UCM1}`),
    await text('#soon-list'));
  checkEq('expiring soon: the LSC links to its details', [lscId], await panelIds());
  check('expiring soon: no list button for LSCs alone', await page.isHidden('#soon-show'));
  await shot(page, 'expiring-soon-lsc');
  await page.click(`#soon-list a[href="#cert/${lscId}"]`);
  check('LSC details: the endpoint named', await until(async () => (await dd('#cert-dl', 'Endpoint (LSC)')) === 'SEP00AABBCCDD01 (LSC)'),
    await text('#cert-dl'));
  cli('endpoint', 'delete', '--node', UCM1, '--device', 'SEP00AABBCCDD01');
  await page.click('#nav a[href="#certs"]');
  check('expiring soon: nothing within 5 days once the LSC is gone',
    await until(async () => (await text('#soon-text')).startsWith('Nothing expires within 5 days')), await text('#soon-text'));
  // A 14-day window and a run now: the CallManager is notified (e-mail off: the daemon's log line).
  await page.click('#nav a[href="#monitor"]');
  await until(async () => (await page.inputValue('#mon-start')) === '5');
  await page.fill('#mon-start', '14');
  await page.click('#monitor-form button[type="submit"]');
  check('monitor: 14 days saved', await until(() => cli('monitor', 'show').start_days === 14));
  await page.click('#mon-run');
  const dueRows = (await until(async () => {
    const r = await page.$$eval('#mon-due tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    return r.length ? r : null;
  })) || [];
  check('run: CallManager on ucm2 notified', dueRows.some((r) => r[0] === 'ucm2.example.com' && r[1] === 'CallManager' && /^(9|10)$/.test(r[4])), JSON.stringify(dueRows));
  check('run: what breaks is said', dueRows.every((r) => r[5].length > 0), JSON.stringify(dueRows));
  const dlog = fs.readFileSync(path.join(WORK, 'daemon.err'), 'utf8');
  check('run: the daemon logged the notification', /info monitor: ucm2\.example\.com CallManager "ucm2\.example\.com" expires \S+ \((9|10) days\): breaks /.test(dlog));
  check('run: last run updated', await until(async () => (await dd('#mon-state', 'Last run')) === cli('monitor', 'show').last_run));
  checkEq('run: audited', 'monitor run', cli('audit', '--limit', '1').items[0].action);
  // The job table, as `job list` has it: the monitor's last run is this one.
  const jobRows = async () => page.$$eval('#jobs-table tbody tr', (trs) => trs.map((tr) => [tr.dataset.kind, ...[...tr.cells].map((c) => c.textContent)]));
  const cliJobs = cli('job', 'list').items;
  const monitorJob = cliJobs.find((j) => j.kind === 'monitor');
  check('jobs: the monitor row shows its last run as job list has it',
    await until(async () => (await jobRows()).some((r) => r[0] === 'monitor' && r[4] === monitorJob.last_run && r[5] === 'ok')), JSON.stringify(await jobRows()));
  checkEq('jobs: one row a job, as job list has them', cliJobs.map((j) => [j.kind, j.plan || '—', j.next_run]),
    (await jobRows()).map((r) => [r[0], r[2], r[3]]));
  await shot(page, 'monitor-run');

  // ---- certificate revocation: a bad interval, a CRL of the test CA revoking the tomcat certificate -------------
  const tomcatId = String(cli('cert', 'list', '--node', UCM1, '--purpose', 'tomcat').items[0].id);
  const serial = execFileSync('openssl', ['x509', '-in', leafFile, '-noout', '-serial'], { encoding: 'utf8' }).replace(/.*=/, '').trim();
  const crlDir = fs.mkdtempSync(path.join(WORK, 'crl-'));
  fs.writeFileSync(path.join(crlDir, 'index.txt'), `R\t301231000000Z\t261101000000Z\t${serial}\tunknown\t/CN=x\n`);
  fs.writeFileSync(path.join(crlDir, 'crlnumber'), '01\n'); // numbered, as crl add requires (RFC 5280 5.2.3)
  fs.writeFileSync(path.join(crlDir, 'ca.cnf'), `[ca]\ndefault_ca = d\n[d]\ndatabase = ${crlDir}/index.txt\ncrlnumber = ${crlDir}/crlnumber\ndefault_md = sha256\ndefault_crl_days = 7\n`);
  const crlFile = path.join(crlDir, 'inter.crl');
  execFileSync('openssl', ['ca', '-gencrl', '-config', path.join(crlDir, 'ca.cnf'), '-keyfile', path.join(CA, 'inter.key'),
    '-cert', path.join(CA, 'inter.pem'), '-out', crlFile], { stdio: 'ignore' });
  await page.click('#nav a[href="#revocation"]');
  check('revocation: settings shown', await until(async () => (await page.inputValue('#rev-interval')) === '24h'));
  checkEq('revocation: fallback shown', 'not-revoked', await page.inputValue('#rev-fallback'));
  await shot(page, 'revocation');
  await page.fill('#rev-interval', '12x');
  allow('PUT', '/api/v1/revocation', 400);
  await page.click('#rev-form button[type="submit"]');
  const intervalErr = await until(() => text('#rev-interval-err'));
  check('revocation: bad interval shown next to the field', /12h/.test(intervalErr), JSON.stringify(intervalErr));
  checkEq('revocation: bad interval marked invalid', 'true', await page.getAttribute('#rev-interval', 'aria-invalid'));
  checkEq('revocation: nothing saved (CLI)', '24h', cli('revocation', 'show').interval);
  await shot(page, 'revocation-bad-interval');
  await page.fill('#rev-interval', '12h');
  await page.click('#rev-form button[type="submit"]');
  check('revocation: saved', await until(async () => (await text('#msg')).includes('Revocation settings saved')));
  checkEq('revocation: saved (CLI)', '12h', cli('revocation', 'show').interval);
  await page.setInputFiles('#crl-file', crlFile);
  await page.click('#crl-upload-form button[type="submit"]');
  const crlRows = () => page.$$eval('#crl-table tbody tr[data-crl]', (trs) => trs.map((tr) => [...tr.cells].slice(0, 6).map((c) => c.textContent)));
  const crlRow = await until(async () => (await crlRows())[0]);
  const crlCli = cli('crl', 'list').items;
  checkEq('CRL: listed as the CLI has it', crlCli.map((c) => [String(c.id), c.issuer, c.this_update, c.next_update, String(c.entries), c.source]), await crlRows());
  checkEq('CRL: one entry', '1', (crlRow || [])[4]);
  check('CRL: not marked expired', !(await page.$('#crl-table tbody tr.expired')));
  await shot(page, 'revocation-crl-added');
  await page.goto(`${BASE}/#cert/${tomcatId}`);
  const rev = await until(async () => { const t = await dd('#cert-dl', 'Revocation'); return t && t !== '…' ? t : null; });
  check('details: the tomcat certificate is revoked', /^revoked/.test(rev || ''), JSON.stringify(rev));
  await shot(page, 'details-revoked');
  // the list's revocation column says the same for every copy of it, and "no CRL" where the issuer has none
  await page.goto(`${BASE}/#certs`);
  const revRows = () => page.$$eval('#cert-table tbody tr', (trs) => trs.map((tr) => [tr.cells[0].textContent, tr.cells[5].textContent]));
  // (the table may still hold the rows of the last listing until the new one arrives)
  const listed = await until(async () => { const r = await revRows(); return r.some((x) => x[0] === tomcatId && x[1] === 'revoked') ? r : null; }) ||
    await revRows();
  const revokedCopies = cli('cert', 'list', '--purpose', 'tomcat').items.filter((c) => c.serial === serial.toLowerCase()).map((c) => String(c.id));
  const revokedIds = listed.filter((r) => r[1] === 'revoked').map((r) => r[0]).sort();
  checkEq('list: revoked exactly where the tomcat certificate is', revokedCopies.filter((id) => listed.some((r) => r[0] === id)).sort(), revokedIds);
  check('list: the tomcat certificate is on this page', revokedIds.includes(tomcatId), JSON.stringify(listed));
  check('list: the others say no CRL or not revoked', listed.every((r) => r[1] === 'revoked' || r[1] === 'no CRL' || r[1] === 'not revoked'), JSON.stringify(listed));
  await shot(page, 'list-revocation-column');
  await page.click('#nav a[href="#revocation"]');
  await until(async () => (await crlRows()).length === 1);
  page.removeAllListeners('dialog');
  let crlDialog = '';
  page.once('dialog', (d) => { crlDialog = d.message(); d.accept(); });
  await page.click(`#crl-table button[data-crl-remove="${crlCli[0].id}"]`);
  check('CRL: removed', await until(async () => (await crlRows()).length === 0));
  checkEq('CRL: remove confirmed', `Remove CRL ${crlCli[0].id}?`, crlDialog);
  page.on('dialog', (d) => problems.push(`unexpected dialog: ${d.message()}`));
  checkEq('CRL: removed (CLI)', 0, cli('crl', 'list').items.length);
  checkEq('CRL: audited', 'crl remove', cli('audit', '--limit', '1').items[0].action);
  await shot(page, 'revocation-crl-removed');

  // "Check now": refused while OCSP is off (the page says what to turn on), then, with OCSP on and
  // a responder that is not there, every certificate that can be asked is unknown, without an answer
  allow('POST', '/api/v1/revocation/check', 409);
  await page.click('#rev-check-now');
  const offErr = await until(() => textNow('#rev-check-error'));
  check('check now, OCSP off: said on the page', /OCSP is not asked/.test(offErr) && !/--|certfleet /.test(offErr), offErr);
  await page.check('#rev-ocsp');
  await page.fill('#rev-ocsp-uri', 'http://127.0.0.1:9/');
  await page.click('#rev-form button[type="submit"]');
  check('OCSP on: saved', await until(() => cli('revocation', 'show').ocsp === true));
  await page.click('#rev-check-now');
  const summary = await until(() => textNow('#rev-check-summary'), 60000);
  checkEq('check now: audited', 'revocation check', cli('audit', '--limit', '1').items[0].action);
  const asked = cli('revocation', 'check'); // the same pass from the command line: the same counts
  checkEq('check now: the summary', `${asked.checked === 1 ? '1 certificate' : asked.checked + ' certificates'} asked: ${asked.good} good, ` +
    `${asked.revoked} revoked, ${asked.unknown} unknown (${asked.errors} without an answer).`, summary);
  check('check now: something was asked', asked.checked > 0, asked.checked);
  checkEq('check now: a row per place', asked.items.length, (await page.$$('#rev-check-items tbody tr')).length);
  await shot(page, 'revocation-check-now');
  cli('revocation', 'config', '--ocsp', 'off', '--ocsp-from-cert');

  // ---- self-signed over the CA-signed multi-server tomcat: a confirmation naming what breaks ------------------
  const tomcatSha = () => NODES.map((n) => cli('cert', 'list', '--node', n, '--purpose', 'tomcat').items[0].sha256);
  const before = tomcatSha();
  async function selfSignedTomcat(accept) {
    await page.click('#nav a[href="#self-signed"]');
    await page.selectOption('#ss-node', UCM1);
    await page.selectOption('#ss-purpose', 'tomcat');
    page.removeAllListeners('dialog');
    let asked = '';
    page.once('dialog', (d) => { asked = d.message(); if (accept) d.accept(); else d.dismiss(); });
    allow('POST', '/api/v1/self-signed', 409);
    await page.click('#ss-form button[type="submit"]');
    await until(() => asked !== '');
    page.on('dialog', (d) => problems.push(`unexpected dialog: ${d.message()}`));
    return asked;
  }
  const declined = await selfSignedTomcat(false);
  check('self-signed over CA-signed: confirmation names what breaks',
    /CA-signed/.test(declined) && /multi-server set/.test(declined), declined);
  check('declined: the page says nothing changed', await until(async () => /Not changed/.test(await text('#ss-form'))));
  checkEq('declined: tomcat unchanged on every node (CLI)', before, tomcatSha());
  await shot(page, 'self-signed-over-ca-declined');
  await selfSignedTomcat(true);
  check('confirmed: result shown', await until(async () => (await visible('#view-result')) && (await text('#result-title')).includes('tomcat')));
  const after = tomcatSha();
  check('confirmed: one new certificate on every node of the set', after.every((h) => h === after[0]) && after[0] !== before[0], JSON.stringify(after));
  checkEq('confirmed: self-signed multi-server (CLI)', 'true multi-server',
    (({ self_signed: ss, distribution: d }) => `${ss} ${d}`)(cli('cert', 'list', '--node', 'ucm3.example.com', '--purpose', 'tomcat').items[0]));
  checkEq('confirmed: audited as forced', `tomcat on ${UCM1} (forced)`, cli('audit', '--limit', '1').items[0].object);
  await shot(page, 'self-signed-over-ca-confirmed');

  // ---- topology: a node deleted from the status view (with its confirmation) ---------------------------------------
  await page.click('#nav a[href="#status"]');
  await until(async () => (await page.$('#status-table button[data-name="ucm3.example.com"]')) !== null);
  page.removeAllListeners('dialog');
  let nodeDialog = '';
  page.once('dialog', (d) => { nodeDialog = d.message(); d.accept(); });
  await page.click('#status-table button[data-name="ucm3.example.com"]');
  check('node delete: result shown', await until(async () => (await visible('#view-result')) && (await text('#result-title')).includes('ucm3')));
  check('node delete: confirmation asked', nodeDialog.startsWith('Delete the node ucm3.example.com'), nodeDialog);
  page.on('dialog', (d) => problems.push(`unexpected dialog: ${d.message()}`));
  check('node delete: gone (CLI)', !cli('node', 'list').items.some((n) => n.fqdn === 'ucm3.example.com'));
  await page.click('#nav a[href="#status"]');
  checkEq('clusters table', ['cl1'], await until(async () => {
    const c = await page.$$eval('#clusters-table tbody tr td:first-child', (tds) => tds.map((t) => t.textContent));
    return c.length ? c : null;
  }));
  await shot(page, 'status-after-node-delete');
  // cluster settings from the page: a good list saved, a bad entry refused on its own row
  await page.click('#clusters-table button[data-cluster="cl1"]');
  check('cluster settings form shown', await until(() => visible('#cs-presence-domains')));
  await page.fill('#cs-presence-domains', 'example.com, presence.example.org');
  await page.fill('#cs-dn\\.O', 'Example Corp');
  await page.click('#cluster-form button[type="submit"]');
  check('cluster settings saved', await until(async () => /2 settings saved/.test(await text('#msg'))));
  const shown = cli('cluster', 'show', 'cl1').settings;
  checkEq('cluster settings: as the CLI shows them', 'example.com,presence.example.org|Example Corp', `${shown['presence-domains']}|${shown['dn.O']}`);
  allow('PUT', '/api/v1/clusters/cl1', 400);
  await page.fill('#cs-phone-security-profiles', 'secure.example.com, bad..profile');
  await page.click('#cluster-form button[type="submit"]');
  const rowErr = await until(() => text('#cs-phone-security-profiles-err'));
  check('cluster settings: the bad entry named on its row', /bad\.\.profile/.test(rowErr), rowErr);
  checkEq('cluster settings: the refused setting is not stored', '', cli('cluster', 'show', 'cl1').settings['phone-security-profiles']);
  await shot(page, 'cluster-settings');

  // ---- deploy, from the node's deploy section: a target set (a bad mode first), then deployed --------------------
  const DEP = path.join(WORK, 'deploy');
  fs.mkdirSync(DEP, { recursive: true });
  await page.click(`#status-table button[data-deploy-node="${UCM1}"]`);
  check('deploy section shown', await until(async () => (await visible('#deploy-box')) && (await text('#deploy-title')) === `Deploy: ${UCM1}`));
  check('deploy: no targets yet', /No deploy targets/.test(await text('#target-table tbody')));
  check('deploy: "deploy all" waits for a target', await page.isDisabled('#deploy-all'));
  await page.selectOption('#tg-purpose', 'tomcat');
  await page.fill('#tg-cert', `${DEP}/tomcat.pem`);
  await page.fill('#tg-key', `${DEP}/tomcat.key`);
  await page.fill('#tg-chain', `${DEP}/chain.pem`);
  await page.fill('#tg-mode', '0999');
  await page.fill('#tg-reload', `touch ${DEP}/reloaded; echo reloaded by the browser test`);
  await page.fill('#tg-serves', new URL(BASE).host); // certfleetd serves ucm1's tomcat itself
  allow('PUT', `/api/v1/nodes/${UCM1}/deploy-targets`, 400);
  await page.click('#target-form button[type="submit"]');
  const modeErr = await until(() => text('#tg-mode-err'));
  check('deploy target: a bad mode named next to its field', /^mode: expected an octal file mode such as 0644/.test(modeErr), modeErr);
  check('deploy target: page words, no command-line flag', !/--[a-z]/.test(modeErr), modeErr);
  checkEq('deploy target: the bad one not stored (CLI)', [], cli('deploy-target', 'list', '--node', UCM1).items);
  await page.fill('#tg-mode', '0640');
  await page.click('#target-form button[type="submit"]');
  check('deploy target saved', await until(async () => /Deploy target for tomcat on ucm1\.example\.com saved/.test(await text('#msg'))));
  checkEq('deploy target: as the CLI lists it', [`tomcat ${DEP}/tomcat.pem ${DEP}/tomcat.key ${DEP}/chain.pem 0640 ${new URL(BASE).host}`],
    cli('deploy-target', 'list', '--node', UCM1).items.map((t) => `${t.purpose} ${t.cert} ${t.key} ${t.chain} ${t.mode} ${t.serves}`));
  check('deploy target: in the table', await until(async () => (await page.$('#target-table button[data-deploy="tomcat"]')) !== null));
  check('deploy: "deploy all" offered', !(await page.isDisabled('#deploy-all')));
  await shot(page, 'deploy-target-set');
  page.removeAllListeners('dialog');
  let deployDialog = '';
  page.once('dialog', (d) => { deployDialog = d.message(); d.accept(); });
  await page.click('#target-table button[data-deploy="tomcat"]');
  check('deploy: result shown', await until(() => visible('#deploy-ok')));
  page.on('dialog', (d) => problems.push(`unexpected dialog: ${d.message()}`));
  check('deploy: confirmation names the reload', deployDialog.includes('echo reloaded by the browser test'), deployDialog);
  const deployed = await text('#deploy-items');
  check('deploy: the files written shown', deployed.includes(`wrote ${DEP}/tomcat.key`) && deployed.includes(`wrote ${DEP}/tomcat.pem`) &&
    deployed.includes(`wrote ${DEP}/chain.pem`), deployed);
  check('deploy: the reload and its output shown', /reload ".*" succeeded/.test(deployed) && /reloaded by the browser test/.test(await text('#deploy-items pre.output')), deployed);
  check('deploy: the reload ran', fs.existsSync(`${DEP}/reloaded`));
  const servedText = await text('#deploy-served');
  check('deploy: the served check shown (the address serves the stored certificate)',
    servedText.includes(`${new URL(BASE).host} serves the stored certificate`), servedText);
  const x509 = new crypto.X509Certificate(fs.readFileSync(`${DEP}/tomcat.pem`));
  checkEq('deploy: the certificate written is the stored tomcat (CLI)', cli('cert', 'list', '--node', UCM1, '--purpose', 'tomcat').items[0].sha256,
    x509.fingerprint256.replace(/:/g, '').toLowerCase());
  const spki = (k) => k.export({ type: 'spki', format: 'der' }).toString('hex');
  checkEq('deploy: the key written belongs to it', spki(x509.publicKey), spki(crypto.createPublicKey(fs.readFileSync(`${DEP}/tomcat.key`))));
  checkEq('deploy: modes (key 0600)', '600 640', [`${DEP}/tomcat.key`, `${DEP}/tomcat.pem`].map((f) => (fs.statSync(f).mode & 0o777).toString(8)).join(' '));
  checkEq('deploy: audited as the CLI\'s deploy', `deploy tomcat on ${UCM1} ok`,
    (({ action, object, result }) => `${action} ${object} ${result}`)(cli('audit', '--limit', '1').items[0]));
  await shot(page, 'deploy-result');

  // ---- users: add a read-only account -------------------------------------------------------------------------
  await page.click('#nav a[href="#users"]');
  await page.fill('#ua-name', 'reader');
  await page.selectOption('#ua-role', 'read-only');
  await page.fill('#ua-password', PW_READER);
  await page.click('#user-add-form button[type="submit"]');
  const userRows = await until(async () => {
    const r = await page.$$eval('#users-table tbody tr', (trs) => trs.map((tr) => tr.cells[0].textContent + ' ' + tr.cells[1].textContent));
    return r.includes('reader read-only') ? r : null;
  });
  check('users: reader added', !!userRows, JSON.stringify(userRows));
  // A second account, deleted again (with its confirm dialog).
  await page.fill('#ua-name', 'temp');
  await page.fill('#ua-password', 'temporary password 1');
  await page.click('#user-add-form button[type="submit"]');
  await until(async () => (await page.$('#users-table button[data-user="temp"]')) !== null);
  page.removeAllListeners('dialog');
  let userDialog = '';
  page.once('dialog', (d) => { userDialog = d.message(); d.accept(); });
  await page.click('#users-table button[data-user="temp"]');
  check('users: temp deleted', await until(async () => (await page.$('#users-table button[data-user="temp"]')) === null));
  checkEq('users: delete confirmed', 'Delete the user temp?', userDialog);
  page.on('dialog', (d) => problems.push(`unexpected dialog: ${d.message()}`));
  checkEq('users: CLI agrees', ['admin', 'reader'], cli('user', 'list').items.map((u) => u.name).sort());
  // The admin sets the reader's password; the reader logs in with it below.
  await page.fill('#pw-name', 'reader');
  await page.fill('#pw-password', PW_READER2);
  await page.click('#pw-form button[type="submit"]');
  check('users: password changed', await until(async () => (await text('#msg')).includes('Password of reader changed')));
  await shot(page, 'users');

  // ---- tools: the certificate import tool against openssl s_server, its CA imported after a confirmation -------
  const sha = (file) => execFileSync('openssl', ['x509', '-in', file, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' })
    .replace(/.*=/, '').replace(/:/g, '').trim().toLowerCase();
  const peerPort = env('PEER_PORT');
  await page.click('#nav a[href="#tools"]');
  check('import tool: the form', await until(() => visible('#fetch-form')));
  check('import tool: no import before a fetch', !(await visible('#import-form')));
  await page.fill('#fetch-host', '127.0.0.1');
  await page.fill('#fetch-port', peerPort);
  await page.click('#fetch-form button[type="submit"]');
  const fetchedRows = () => page.$$eval('#fetch-chain tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  const peerRows = (await until(async () => { const r = await fetchedRows(); return r.length ? r : null; })) || [];
  checkEq('import tool: the chain as openssl fingerprints it', [sha(path.join(CA, 'peer.pem')), sha(path.join(CA, 'inter.pem'))], peerRows.map((r) => r[4]));
  check('import tool: subject, issuer and expiry shown', /CN=peer\.example\.com/.test((peerRows[0] || [])[1]) &&
    /certfleet Test Intermediate CA/.test((peerRows[0] || [])[2]) && /days left/.test((peerRows[0] || [])[3]), JSON.stringify(peerRows[0]));
  checkEq('import tool: the target', `2 certificates from 127.0.0.1:${peerPort}`, await text('#fetch-title'));
  check('import tool: the import control shown', await visible('#import-form'));
  await shot(page, 'tools-fetch');
  await page.selectOption('#imp-node', UCM1);
  await page.selectOption('#imp-store', 'CAPF-trust');
  page.removeAllListeners('dialog');
  let importDialog = '';
  page.once('dialog', (d) => { importDialog = d.message(); d.accept(); });
  await page.click('#import-form button[type="submit"]');
  check('import: result shown', await until(async () => (await visible('#view-result')) && (await text('#result-title')).startsWith('Imported')));
  page.on('dialog', (d) => problems.push(`unexpected dialog: ${d.message()}`));
  check('import: the confirmation says what goes where', /CA certificate of 127\.0\.0\.1:\d+ .*left out.* into CAPF-trust on ucm1\.example\.com\?$/.test(importDialog), importDialog);
  checkEq('import: the intermediate is in CAPF-trust (CLI)', true,
    cli('cert', 'list', '--node', UCM1, '--store', 'CAPF-trust').items.some((c) => c.sha256 === sha(path.join(CA, 'inter.pem'))));
  checkEq('import: audited', 'trust fetch', cli('audit', '--limit', '1').items[0].action);
  check('import: the restart plan shown', await visible('#restart-plan') || /No service restarts/.test(await text('#result-body')));
  await shot(page, 'tools-import-result');

  // ---- ACME against pebble on loopback: an account added from the page, an order for ucm2's CallManager ----------
  // (certfleetd answers pebble's HTTP-01 from the store), staged and decoded, deployed, auto renew set, and a
  // second order revoked after a confirmation. The CLI on the same store is the oracle.
  const UCM2 = 'ucm2.example.com';
  const acmeItem = `#acme-items article[data-node="${UCM2}"][data-purpose="CallManager"]`;
  const acmeShow = () => cli('acme', 'show', '--node', UCM2, '--purpose', 'CallManager');
  const itemDd = (term) => dd(`${acmeItem} dl.acme-facts`, term);
  // the confirmation of a change: accepted, its words kept
  async function confirmed(click) {
    page.removeAllListeners('dialog');
    let said = '';
    page.once('dialog', (d) => { said = d.message(); d.accept(); });
    await click();
    return async (done) => {
      await done();
      page.removeAllListeners('dialog');
      page.on('dialog', (d) => problems.push(`unexpected dialog: ${d.message()}`));
      return said;
    };
  }
  await page.click('#nav a[href="#acme"]');
  check('acme: the view', await until(() => visible('#acme-account-form')));
  check('acme: no accounts yet', await until(async () => /No ACME accounts/.test(await text('#acme-accounts tbody'))));
  await page.fill('#aa-name', 'pebble');
  await page.fill('#aa-directory', env('ACME_DIRECTORY'));
  await page.fill('#aa-email', 'pki@example.com');
  await page.fill('#aa-ca-file', env('ACME_CA_FILE'));
  await page.click('#acme-account-form button[type="submit"]');
  const tosErr = await until(() => text('#aa-agree-err'));
  check('acme account: the terms not agreed to, said next to the box', /terms of service/.test(tosErr), tosErr);
  checkEq('acme account: nothing made', [], cli('acme', 'account', 'list').items);
  await page.check('#aa-agree');
  await page.click('#acme-account-form button[type="submit"]');
  check('acme account added', await until(async () => (await page.$('#acme-accounts tr[data-account="pebble"]')) !== null));
  const acct = cli('acme', 'account', 'list').items[0] || {};
  checkEq('acme account: the row as the CLI lists it', ['pebble', env('ACME_DIRECTORY'), 'pki@example.com', acct.kid],
    (await page.$$eval('#acme-accounts tr[data-account="pebble"] td', (tds) => tds.map((t) => t.textContent))).slice(0, 4));
  check('acme account: the account URL is pebble\'s', /\/my-account\//.test(acct.kid || ''), acct.kid);
  check('acme account: the order form offers it', await until(async () => (await page.inputValue('#ao-account')) === 'pebble'));
  await shot(page, 'acme-account');

  await page.selectOption('#ao-node', UCM2);
  await page.selectOption('#ao-purpose', 'CallManager');
  await page.click('#acme-order-form button[type="submit"]');
  check('acme order: staged', await until(async () => (await page.$(`${acmeItem}.state-staged`)) !== null, 90000), await text('#msg'));
  const staged = acmeShow().staged || {};
  checkEq('acme order: the state as the CLI shows it', 'staged 0 ok', ((s) => `${s.state} ${s.failures} ${s.last_sign && s.last_sign.status}`)(acmeShow()));
  checkEq('acme order: the staged certificate decoded (subject, issuer, SAN, SHA-256)',
    [staged.subject, staged.issuer, (staged.san || []).join(', '), staged.sha256],
    [await dd(`${acmeItem} dl[data-staged]`, 'Subject'), await dd(`${acmeItem} dl[data-staged]`, 'Issuer'),
      await dd(`${acmeItem} dl[data-staged]`, 'SAN'), await dd(`${acmeItem} dl[data-staged]`, 'SHA-256')]);
  check('acme order: pebble issued it for ucm2', /Pebble Intermediate/.test(staged.issuer || '') && (staged.san || []).includes(`DNS:${UCM2}`), JSON.stringify(staged.san));
  check('acme order: validity shown', (await dd(`${acmeItem} dl[data-staged]`, 'Valid')) === `${staged.not_before} to ${staged.not_after} (${Math.floor((Date.parse(staged.not_after) - Date.now()) / 86400000)} days left)`);
  check('acme order: the last sign shown', /^ok at /.test(await itemDd('Last sign')));
  const deployedBefore = cli('cert', 'list', '--node', UCM2, '--purpose', 'CallManager').items[0].sha256;
  check('acme order: the identity in use untouched', deployedBefore !== staged.sha256);
  await shot(page, 'acme-staged');

  let acmeDone = await confirmed(() => page.click(`${acmeItem} button[data-acme="deploy"]`));
  const deployWords = await acmeDone(async () => { await until(() => visible('#acme-deploy-ok')); });
  check('acme deploy: confirmed first', deployWords.startsWith(`Deploy the staged certificate for CallManager on ${UCM2}?`), deployWords);
  check('acme deploy: the result', (await text('#acme-deploy-ok')).startsWith(`Deployed ${staged.sha256}`), await text('#acme-deploy-ok'));
  checkEq('acme deploy: the identity is the staged certificate (CLI)', staged.sha256,
    cli('cert', 'list', '--node', UCM2, '--purpose', 'CallManager').items[0].sha256);
  check('acme deploy: the item says deployed', await until(async () => (await page.$(`${acmeItem}.state-deployed`)) !== null));
  check('acme deploy: the last deploy shown', /^ok at /.test(await itemDd('Last deploy')));
  checkEq('acme deploy: the served row (ucm2 names no address to check)', null, acmeShow().served);
  check('acme deploy: the served row says so', /^not checked: no address/.test(await itemDd('Served')), await itemDd('Served'));
  checkEq('acme deploy: audited', `acme deploy ${UCM2} CallManager ok`,
    (({ action, object, result }) => `${action} ${object} ${result}`)(cli('audit', '--limit', '1').items[0]));
  await shot(page, 'acme-deployed');

  // two deploy days from the day after tomorrow (UTC) on: the runner deploys nothing while the test runs
  const weekday = (n) => ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][(new Date().getUTCDay() + n) % 7];
  const autoDays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].filter((d) => d === weekday(2) || d === weekday(4));
  await page.check(`${acmeItem} input[name="on"]`);
  for (const d of autoDays) await page.check(`${acmeItem} input[name="deploy_days"][value="${d}"]`);
  await page.fill(`${acmeItem} input[name="deploy_time"]`, '3:30');
  await page.click(`${acmeItem} form.acme-auto button[type="submit"]`);
  const timeErr = await until(() => textNow(`${acmeItem} .field-err[data-err-for="deploy_time"]`));
  check('acme auto: a time that is no HH:MM, said next to it', /HH:MM/.test(timeErr), timeErr);
  await page.fill(`${acmeItem} input[name="deploy_time"]`, '03:30');
  await page.click(`${acmeItem} form.acme-auto button[type="submit"]`);
  check('acme auto: shown', await until(async () => (await itemDd('Auto renew')) === `on; a staged certificate is deployed on ${autoDays.join(', ')} at 03:30 UTC`),
    await itemDd('Auto renew'));
  checkEq('acme auto: as the CLI shows it', `true ${autoDays.join(',')} 03:30`, ((s) => `${s.auto} ${s.deploy_days} ${s.deploy_time}`)(acmeShow()));
  check('acme auto: the form keeps the settings', await page.isChecked(`${acmeItem} input[name="on"]`) &&
    await page.isChecked(`${acmeItem} input[name="deploy_days"][value="${autoDays[1]}"]`) &&
    !(await page.isChecked(`${acmeItem} input[name="deploy_days"][value="${weekday(3)}"]`)));
  await shot(page, 'acme-auto');

  await page.click(`${acmeItem} button[data-acme="order"]`);
  check('acme order now: staged again', await until(async () => (await page.$(`${acmeItem}.state-staged`)) !== null, 90000), await text('#msg'));
  const second = acmeShow().staged || {};
  await page.selectOption(`${acmeItem} select[data-reason]`, 'superseded');
  acmeDone = await confirmed(() => page.click(`${acmeItem} button[data-acme="revoke"]`));
  const revokeWords = await acmeDone(async () => { await until(async () => /^Revoked /.test(await text('#msg'))); });
  check('acme revoke: confirmed first, naming the reason', revokeWords.startsWith(`Revoke the staged ACME certificate for CallManager on ${UCM2} at its CA (reason: superseded)?`), revokeWords);
  checkEq('acme revoke: said', `Revoked ${second.sha256} for CallManager on ${UCM2} (superseded).`, await text('#msg'));
  check('acme revoke: nothing staged any more', await until(async () => /No certificate is staged/.test(await textNow(acmeItem))));
  const revokedSerial = execFileSync('openssl', ['x509', '-noout', '-serial'], { input: second.pem || '', encoding: 'utf8' }).replace(/.*=/, '').trim();
  const pebbleStatus = JSON.parse(execFileSync(env('PEBBLE'), ['status', env('PEBBLE_DIR'), revokedSerial], { encoding: 'utf8' }));
  checkEq('acme revoke: pebble says revoked, superseded', 'Revoked 4', `${pebbleStatus.Status} ${pebbleStatus.Reason}`);
  await shot(page, 'acme-revoked');

  // ---- the local CA: a root and an intermediate made from the page (a bad name first), a certificate issued
  // from an openssl CSR file and verified with openssl against the CLI's chain, revoked after a confirmation,
  // the counts and the CRL status following, the CRL downloaded and verified. The CLI is the oracle.
  const caRow = (name) => `#ca-table tr[data-ca="${name}"]`;
  const caCell = (name, what) => textNow(`${caRow(name)} td[data-count="${what}"]`);
  const cliCa = (name) => cli('ca', 'list').items.find((c) => c.name === name) || {};
  await page.click('#nav a[href="#ca"]');
  check('local CA: the view', await until(() => visible('#ca-create-form')));
  check('local CA: none yet', await until(async () => /No local CA yet/.test(await text('#ca-table tbody'))));
  await page.fill('#cc-name', 'labroot');
  await page.selectOption('#cc-key', 'ec:secp384r1');
  await page.fill('#cc-subject', '/O=certfleet test/CN=certfleet Lab Root');
  await page.click('#ca-create-form button[type="submit"]');
  check('local CA: the root made', await until(async () => (await page.$(caRow('labroot'))) !== null), await text('#msg'));
  checkEq('local CA: the root as the CLI lists it', ['CN=certfleet Lab Root,O=certfleet test', null],
    [cliCa('labroot').subject, cliCa('labroot').parent]);
  check('local CA: the root is a root', /root$/.test(await textNow(`${caRow('labroot')} td.ca-name`)));
  allow('POST', '/api/v1/ca', 400);
  await page.fill('#cc-name', 'lab issuing');
  await page.selectOption('#cc-parent', 'labroot');
  await page.click('#ca-create-form button[type="submit"]');
  const caNameErr = await until(() => textNow('#cc-name-err'));
  check('local CA: a bad name, said next to it', /only letters, digits/.test(caNameErr), caNameErr);
  checkEq('local CA: nothing made', 1, cli('ca', 'list').items.length);
  await page.fill('#cc-name', 'labissuing');
  await page.fill('#cc-days', '400');
  await page.click('#ca-create-form button[type="submit"]');
  check('local CA: the intermediate made', await until(async () => (await page.$(caRow('labissuing'))) !== null), await text('#msg'));
  check('local CA: it is shown under the root, indented', (await page.$(`${caRow('labissuing')} td.ca-name.ca-depth-1`)) !== null &&
    /under labroot$/.test(await textNow(`${caRow('labissuing')} td.ca-name`)));
  checkEq('local CA: the rows in hierarchy order', ['labroot', 'labissuing'],
    await page.$$eval('#ca-table tbody tr', (trs) => trs.map((t) => t.dataset.ca)));
  check('local CA: the root counts the intermediate as issued', await until(async () => (await caCell('labroot', 'issued')) === '1'));
  checkEq('local CA: the intermediate under the root (CLI)', 'labroot', cliCa('labissuing').parent);
  const rootPem = path.join(WORK, 'labroot.pem');
  const issuingPem = path.join(WORK, 'labissuing.pem');
  fs.writeFileSync(rootPem, execFileSync(env('CERTFLEET'), ['ca', 'show', 'labroot', '--pem'], { encoding: 'utf8' }));
  fs.writeFileSync(issuingPem, execFileSync(env('CERTFLEET'), ['ca', 'show', 'labissuing', '--pem'], { encoding: 'utf8' }));
  await shot(page, 'ca-hierarchy');

  await page.selectOption('#ci-ca', 'labissuing');
  await page.selectOption('#ci-profile', 'tomcat');
  await page.setInputFiles('#ci-file', path.join(WORK, 'ca', 'local.csr.der'));
  check('local CA: the DER CSR file read as PEM', await until(async () => /^-----BEGIN CERTIFICATE REQUEST-----/.test(await page.inputValue('#ci-csr'))));
  await page.click('#ca-issue-form button[type="submit"]');
  check('local CA: issued', await until(() => visible('#ca-issued-pem')), await text('#msg'));
  const issuedPem = await page.inputValue('#ca-issued-pem');
  const issuedFile = path.join(WORK, 'lab-leaf.pem');
  fs.writeFileSync(issuedFile, issuedPem);
  let verified = '';
  try {
    verified = execFileSync('openssl', ['verify', '-CAfile', rootPem, '-untrusted', issuingPem, issuedFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    verified = String(e.stdout || '') + String(e.stderr || '');
  }
  checkEq('local CA: openssl verifies the certificate up to the root', `${issuedFile}: OK`, verified.trim());
  const leafText = execFileSync('openssl', ['x509', '-in', issuedFile, '-noout', '-serial', '-ext', 'subjectAltName,extendedKeyUsage'], { encoding: 'utf8' });
  const labSerial = (leafText.match(/serial=([0-9A-F]+)/) || [])[1] || '';
  check('local CA: the CSR\'s name and tomcat\'s usages', /DNS:lab\.example\.com/.test(leafText) && /TLS Web Server Authentication/.test(leafText), leafText);
  checkEq('local CA: the serial shown', `Issued by labissuing: serial ${labSerial.toLowerCase()}`, await text('#ca-issued-title'));
  check('local CA: the intermediate\'s issued count', await until(async () => (await caCell('labissuing', 'issued')) === '1'));
  const [leafDl] = await Promise.all([page.waitForEvent('download'), page.click('#ca-issued-download')]);
  checkEq('local CA: the download file name', `labissuing-${labSerial.toLowerCase()}.pem`, leafDl.suggestedFilename());
  const leafDlFile = path.join(WORK, 'downloads', 'lab-leaf.pem');
  await leafDl.saveAs(leafDlFile);
  checkEq('local CA: the download is the certificate shown', issuedPem.trim(), fs.readFileSync(leafDlFile, 'utf8').trim());
  await shot(page, 'ca-issued');

  await page.selectOption('#cr-ca', 'labissuing');
  await page.fill('#cr-serial', labSerial.replace(/(..)(?!$)/g, '$1:'));
  await page.selectOption('#cr-reason', 'keyCompromise');
  const caDone = await confirmed(() => page.click('#ca-revoke-form button[type="submit"]'));
  const caRevokeWords = await caDone(async () => { await until(async () => /^Revoked /.test(await text('#msg'))); });
  check('local CA revoke: confirmed first, naming the certificate and the reason',
    caRevokeWords.startsWith(`Revoke ${labSerial.toLowerCase()} (CN=lab.example.com), issued by labissuing, with the reason keyCompromise?`), caRevokeWords);
  checkEq('local CA revoke: said', `Revoked ${labSerial.toLowerCase()} at labissuing (keyCompromise); its CRL is made again.`, await text('#msg'));
  check('local CA revoke: the revoked count', await until(async () => (await caCell('labissuing', 'revoked')) === '1'));
  checkEq('local CA revoke: as the CLI counts it', [1, 1], [cliCa('labissuing').issued, cliCa('labissuing').revoked]);
  const crlStatus = await textNow(`${caRow('labissuing')} td[data-crl-status]`);
  check('local CA revoke: the CRL number and next update shown', crlStatus.startsWith(`number ${cliCa('labissuing').crl_number}`) &&
    /next update \d{4}-\d\d-\d\dT/.test(crlStatus), crlStatus);
  const [crlDl] = await Promise.all([page.waitForEvent('download'), page.click('a[data-crl-download="labissuing"]')]);
  checkEq('local CA: the CRL download file name', 'labissuing.crl', crlDl.suggestedFilename());
  const labCrlFile = path.join(WORK, 'downloads', 'labissuing.crl');
  await crlDl.saveAs(labCrlFile);
  const chainFile = path.join(WORK, 'labchain.pem');
  fs.writeFileSync(chainFile, fs.readFileSync(issuingPem, 'utf8') + fs.readFileSync(rootPem, 'utf8'));
  let crlText = '';
  try {
    crlText = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', labCrlFile, '-CAfile', chainFile, '-verify', '-noout', '-text'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    crlText = String(e.stderr || e.message);
  }
  check('local CA: the CRL downloaded lists the serial, key compromise', crlText.includes(`Serial Number: ${labSerial}`) && /Key Compromise/.test(crlText), crlText.slice(0, 300));
  checkEq('local CA: the CLI\'s audit rows of the page\'s changes', ['ca create labroot ok', 'ca create labissuing ok',
    `ca issue labissuing ${labSerial.toLowerCase()} ok`, `ca revoke labissuing ${labSerial.toLowerCase()} ok`],
  cli('audit', '--limit', '20').items.filter((r) => r.action.startsWith('ca ') && r.result === 'ok').reverse()
    .map((r) => `${r.action} ${r.object} ${r.result}`));
  await shot(page, 'ca-revoked');

  // ---- logout; the read-only view ---------------------------------------------------------------------------------
  await logout();
  await shot(page, 'logged-out');
  // The reader logs in with the keyboard only.
  await page.focus('#login-user');
  await page.keyboard.type('reader');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PW_READER2);
  await page.keyboard.press('Enter');
  checkEq('reader logged in', 'reader (read-only)', await until(() => text('#who-name')));
  check('reader: list shown', await until(() => visible('#cert-table')));
  check('reader: no upload link', !(await visible('#nav a[href="#upload"]')));
  check('reader: no self-signed link', !(await visible('#nav a[href="#self-signed"]')));
  const rootId = String(cli('cert', 'list', '--node', UCM1, '--store', 'tomcat-trust').items.find((c) => c.cn === 'certfleet Test Root CA').id);
  await page.goto(`${BASE}/#cert/${rootId}`);
  check('reader: details shown', await until(async () => (await dd('#cert-dl', 'ID')) === rootId));
  check('reader: no delete button', !(await visible('#cert-delete')));
  checkEq('description shown as text, not markup', DESC_MARKUP, await dd('#cert-dl', 'Description'));
  check('no element made from data', (await page.$('#xss')) === null);
  await shot(page, 'readonly-details');
  await page.click('#nav a[href="#monitor"]');
  check('reader: monitor settings shown', await until(async () => (await page.inputValue('#mon-start')) === '14'));
  check('reader: monitor settings read-only', await page.isDisabled('#mon-start') && await page.isDisabled('#mon-emails'));
  check('reader: no save button', !(await visible('#monitor-form button[type="submit"]')));
  check('reader: no run button', !(await visible('#mon-run')));
  await shot(page, 'readonly-monitor');
  await page.click('#nav a[href="#revocation"]');
  check('reader: revocation settings shown', await until(async () => (await page.inputValue('#rev-interval')) === '12h'));
  check('reader: revocation settings read-only', await page.isDisabled('#rev-interval') && await page.isDisabled('#crl-daily-at'));
  check('reader: no CRL upload, update or save', !(await visible('#crl-upload-form')) && !(await visible('#crl-update')) &&
    !(await visible('#rev-form button[type="submit"]')));
  await shot(page, 'readonly-revocation');
  await page.click('#nav a[href="#status"]');
  await until(async () => (await page.$(`#status-table button[data-deploy-node="${UCM1}"]`)) !== null);
  await page.click(`#status-table button[data-deploy-node="${UCM1}"]`);
  check('reader: deploy targets shown', await until(async () => (await page.$('#target-table tr[data-purpose="tomcat"]')) !== null));
  check('reader: no target form, no deploy buttons', !(await visible('#target-form')) && !(await visible('#deploy-all')) &&
    (await page.$('#target-table button')) === null);
  await shot(page, 'readonly-deploy');
  await page.click('#nav a[href="#csr"]');
  check('reader: CSR download form', await until(() => visible('#csr-get-form')));
  check('reader: no CSR generate form', !(await visible('#csr-form')));
  // the reader validates too, trusting a node's store (the chain's CAs are in ucm1's tomcat-trust)
  await page.click('#nav a[href="#tools"]');
  check('reader: validate form shown', await until(() => visible('#val-form')));
  check('reader: no import tool', !(await visible('#fetch-form')) && !(await visible('#import-form')));
  await page.fill('#val-pem', leafAndInter);
  await page.fill('#val-host', UCM1);
  await page.check('#val-trust-store');
  await page.selectOption('#val-node', UCM1);
  await page.selectOption('#val-store', 'tomcat-trust');
  await page.click('#val-form button[type="submit"]');
  checkEq('reader: valid against ucm1\'s tomcat-trust', 'Valid', await until(() => text('#val-verdict')));
  await shot(page, 'readonly-tools-validate');
  // the reader sees the ACME view without its controls
  await page.click('#nav a[href="#acme"]');
  check('reader: the ACME item', await until(async () => (await page.$(`#acme-items article[data-node="ucm2.example.com"]`)) !== null));
  check('reader: its auto renew shown', /^on; /.test(await dd('#acme-items article[data-node="ucm2.example.com"] dl.acme-facts', 'Auto renew')));
  check('reader: no ACME forms or buttons', !(await visible('#acme-account-form')) && !(await visible('#acme-order-form')) &&
    (await page.$('#acme-items button, #acme-items form, #acme-accounts button')) === null);
  await shot(page, 'readonly-acme');
  // the reader sees the local CAs and their CRLs, without the forms
  await page.click('#nav a[href="#ca"]');
  check('reader: the CA hierarchy', await until(async () => (await page.$(caRow('labissuing'))) !== null));
  check('reader: the CRL download offered', await visible('a[data-crl-download="labissuing"]'));
  check('reader: no CA forms', !(await visible('#ca-create-form')) && !(await visible('#ca-issue-form')) && !(await visible('#ca-revoke-form')));
  await shot(page, 'readonly-ca');
  await page.goto(`${BASE}/#upload`);
  check('reader: upload page refused', await until(async () => (await text('#msg')).includes('admin role')));
  check('reader: no upload form', !(await visible('#up-form')));
  checkEq('reader: sent back to the list', '#certs', await page.evaluate(() => location.hash));
  checkEq('reader: no filter left over from the admin', '', await page.inputValue('#f-begins'));
  await shot(page, 'readonly-upload-refused');
  await logout();

  check('no console errors, page errors, failed requests or bad answers', problems.length === 0, '\n  ' + problems.join('\n  '));
  check('every announced 4xx answer came', allowed.length === 0, JSON.stringify(allowed));
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
}

// The whole run must stay well under ctest's limit.
const watchdog = setTimeout(() => {
  console.error('FAIL: browser test took longer than 480 s');
  fs.writeFileSync(env('COUNTS'), `${passed} ${failed + 1}\n`);
  process.exit(1);
}, 480000);

main().then(() => {
  clearTimeout(watchdog);
  fs.writeFileSync(env('COUNTS'), `${passed} ${failed}\n`);
  console.log(`browser_test.js: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}, (err) => {
  clearTimeout(watchdog);
  console.error(`FAIL: browser test stopped: ${err.stack || err}`);
  fs.writeFileSync(env('COUNTS'), `${passed} ${failed + 1}\n`);
  process.exit(1);
});
