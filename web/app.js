// certfleet admin page: a single page over certfleetd's REST API (/api/v1), with hash navigation.
// Everything shown is built with DOM calls and textContent, never innerHTML, so no data is markup.
'use strict';

(function () {
  const LIMIT = 50;
  const KEYS = ['rsa:2048', 'rsa:3072', 'rsa:4096', 'ec:prime256v1', 'ec:secp384r1'];
  const HASHES = ['sha256', 'sha384', 'sha512'];
  const SOON_DAYS = 30; // until the monitor's own notification start is known
  const SOON_MAX = 50; // certificates listed in the "Expiring soon" panel

  // The session lives in memory only; a reload asks GET /session again.
  const state = { user: null, role: null, csrf: null, nodes: [], certOffset: 0, auditOffset: 0, change: null, monitor: null };

  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const isAdmin = () => state.role === 'admin';

  // el('td', {class: 'x'}, 'text', node, ...): an element with attributes and children
  // (strings become text nodes; null and false are skipped).
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat()) {
      if (kid === null || kid === undefined || kid === false) continue;
      e.append(kid instanceof Node ? kid : String(kid));
    }
    return e;
  }

  // ---- API ------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, body) {
      const e = (body && body.error) || {};
      super(e.message || `the server answered ${status}`);
      this.status = status;
      this.code = e.code || '';
      this.field = e.field || '';
      this.reason = e.reason || '';
      this.body = body || {}; // what else a refusal carries (a deploy's results)
    }
  }

  // api('GET', '/nodes') or api('POST', '/csr', {...}) or api('POST', '/upload', formData).
  // Changes carry the CSRF token; a 401 outside login ends the session on the page.
  async function api(method, path, body) {
    const opts = { method, headers: {}, credentials: 'same-origin' };
    if (method !== 'GET' && state.csrf) opts.headers['X-CSRF-Token'] = state.csrf;
    if (body instanceof FormData) {
      opts.body = body;
    } else if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    const r = await fetch('/api/v1' + path, opts);
    const type = r.headers.get('Content-Type') || '';
    const data = type.includes('json') ? await r.json().catch(() => null) : null;
    if (!r.ok) {
      const err = new ApiError(r.status, data);
      if (r.status === 401 && path !== '/login' && path !== '/session' && state.user) {
        forget();
        say('Your session has ended; please log in again.', true, true);
        location.hash = '#login';
      }
      throw err;
    }
    return data || {};
  }

  // A change the server refuses until the operator confirms (an upload gate, a self-signed
  // certificate over a CA-signed one): ask, naming what breaks, and send it again with force.
  async function withConfirm(send) {
    try {
      return await send(false);
    } catch (err) {
      if (!(err instanceof ApiError) || err.reason !== 'needs-force') throw err;
      if (!window.confirm(`${err.message}\n\nDo it anyway?`)) throw new ApiError(409, { error: { message: 'Not changed: you chose not to go ahead.' } });
      return send(true);
    }
  }

  const query = (params) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== '' && v !== null && v !== undefined) q.set(k, v);
    const s = q.toString();
    return s ? '?' + s : '';
  };

  // ---- messages and form errors ---------------------------------------------------------------

  // A message shown right before a navigation survives it when keep is set.
  function say(text, isError, keep) {
    state.keepMsg = !!keep;
    const m = $('#msg');
    m.textContent = text || '';
    m.classList.toggle('error', !!isError);
  }

  // Every named control gets an error slot right after it, tied to it with aria-describedby.
  function addErrorSlots() {
    for (const form of $$('form')) {
      for (const input of $$('input[name], select[name], textarea[name]', form)) {
        if (!input.id) continue;
        const radios = input.type === 'radio' ? $$(`input[name="${input.name}"]`, form) : [input];
        if (radios[0] !== input) continue; // one slot per radio group, at the end of its fieldset
        const slot = el('span', { class: 'field-err', id: input.id + '-err', 'data-err-for': input.name });
        if (input.type === 'radio') input.closest('fieldset').append(slot);
        else (input.type === 'checkbox' ? input.parentElement.lastElementChild : input).after(slot);
        for (const r of radios) r.setAttribute('aria-describedby', slot.id);
      }
    }
  }

  function clearErrors(form) {
    for (const s of $$('.field-err', form)) s.textContent = '';
    for (const i of $$('[aria-invalid]', form)) i.removeAttribute('aria-invalid');
    const top = $('.form-err', form);
    top.textContent = '';
    top.hidden = true;
  }

  // Shows err next to the field it names (the API's "field", else fallback), or atop the form.
  const FIELD_ALIASES = { pem: 'file', smtp: 'smtp_host' };
  function showError(form, err, fallback) {
    if (!(err instanceof ApiError)) err = { message: 'The server could not be reached: ' + err.message };
    // a form with a control of the field's own name shows it there (the validate form's pem)
    const own = err.field && $$('.field-err', form).some((s) => s.dataset.errFor === err.field);
    const name = own ? err.field : FIELD_ALIASES[err.field] || err.field || fallback;
    const slot = name ? $$('.field-err', form).find((s) => s.dataset.errFor === name) : null;
    if (slot) {
      slot.textContent = err.message;
      const input = form.elements.namedItem(name);
      const target = input instanceof RadioNodeList ? input[0] : input;
      if (target) {
        target.setAttribute('aria-invalid', 'true');
        target.focus();
      }
      return slot;
    }
    const top = $('.form-err', form);
    top.textContent = err.message;
    top.hidden = false;
    return top;
  }

  // Runs a form's submit handler with errors cleared first and shown after.
  function onSubmit(form, fn, fallbackField) {
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      say('');
      const button = $('button[type="submit"]', form);
      button.disabled = true;
      try {
        await fn(form);
      } catch (err) {
        const at = showError(form, err, fallbackField);
        const link = reasonLink(err, form);
        if (link) at.append(' ', link);
      } finally {
        button.disabled = false;
      }
    });
  }

  // ---- select choices from GET /nodes -----------------------------------------------------------

  function fillSelect(select, values, anyLabel) {
    const keep = select.value;
    select.replaceChildren();
    if (anyLabel !== undefined) select.append(el('option', { value: '' }, anyLabel));
    for (const v of values) select.append(el('option', { value: v }, v));
    if (values.includes(keep) || (keep === '' && anyLabel !== undefined)) select.value = keep;
  }

  const nodeByFqdn = (fqdn) => state.nodes.find((n) => n.fqdn === fqdn);
  const union = (key) => [...new Set(state.nodes.flatMap((n) => n[key] || []))].sort();
  const choices = (fqdn, key) => (fqdn && nodeByFqdn(fqdn) ? nodeByFqdn(fqdn)[key] || [] : union(key));

  // A form's purpose/store selects follow its node select.
  function linkNodeSelect(form) {
    const node = $('.node-select', form);
    const sync = () => {
      const p = $('.purpose-select', form);
      const s = $('.store-select', form);
      if (p) fillSelect(p, choices(node.value, 'purposes'));
      if (s) fillSelect(s, choices(node.value, 'stores'));
    };
    node.addEventListener('change', sync);
    return sync;
  }

  async function loadNodes() {
    state.nodes = (await api('GET', '/nodes')).items || [];
    const fqdns = state.nodes.map((n) => n.fqdn);
    for (const s of $$('.node-select')) fillSelect(s, fqdns);
    for (const s of ['#f-node', '#doc-node']) fillSelect($(s), fqdns, 'All nodes');
    fillSelect($('#val-purpose'), union('purposes'), 'None (no key usage check)');
    syncFilterChoices();
    for (const sync of nodeSyncs) sync();
  }

  function syncFilterChoices() {
    const node = $('#f-node').value;
    fillSelect($('#f-purpose'), choices(node, 'purposes'), 'Any purpose');
    fillSelect($('#f-store'), choices(node, 'stores'), state.trustView ? undefined : 'Any store');
  }

  // ---- views ------------------------------------------------------------------------------------

  function show(name) {
    for (const v of $$('.view')) v.hidden = v.id !== 'view-' + name;
    for (const a of $$('#nav a')) {
      if (a.getAttribute('href') === '#' + name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    const h = $('#view-' + name + ' h1');
    if (h) h.focus({ preventScroll: true });
  }

  function applyRole() {
    const loggedIn = !!state.user;
    $('#nav').hidden = !loggedIn;
    $('#who').hidden = !loggedIn;
    $('#who-name').textContent = loggedIn ? `${state.user} (${state.role})` : '';
    for (const e of $$('.admin-only')) if (e.id !== 'cert-delete') e.hidden = !isAdmin();
  }

  // Logged out: nothing of the last user's work stays on the page.
  function forget() {
    Object.assign(state, { user: null, role: null, csrf: null, certOffset: 0, auditOffset: 0, change: null, cert: null, csr: null, trustView: undefined, monitor: null, cluster: null, deploy: null, fetched: null, acme: null, cas: null });
    for (const f of $$('form')) {
      f.reset();
      clearErrors(f);
    }
    for (const t of $$('table tbody')) t.replaceChildren();
    $('#csr-view').hidden = true;
    $('#cluster-form').hidden = true;
    $('#deploy-box').hidden = true;
    $('#import-form').hidden = true;
    syncValTrust();
    for (const t of $$('textarea')) t.value = '';
    for (const d of $$('dl.decoded, #result-body, #cert-warnings, #csr-preview-san, #csr-preview-cn, #mon-report, #soon-list, #soon-text, #dp-list, #crl-update-report, #deploy-result, #val-result, #fetch-result, #rev-check-report, #acme-items, #acme-result, #ca-issued')) d.replaceChildren();
    $('#soon-panel').hidden = true;
    applyRole();
  }

  function daysLeft(iso) {
    return Math.floor((Date.parse(iso) - Date.now()) / 86400000);
  }

  // The list's revocation column: the serial on its issuer's newest stored CRL, or what OCSP last
  // said (source "ocsp") when that is revoked or there is no CRL.
  function revocationCell(status, source) {
    const words = source === 'ocsp'
      ? { good: 'not revoked (OCSP)', revoked: 'revoked (OCSP)', unknown: 'unknown (OCSP)' }
      : { good: 'not revoked', revoked: 'revoked', 'crl-expired': 'CRL expired', unknown: 'no CRL' };
    const bad = status === 'revoked' || status === 'crl-expired';
    return el('td', { class: 'revocation' + (bad ? ' bad' : '') }, words[status] || '—');
  }

  function expiryCell(iso) {
    return el('td', {}, iso, el('span', { class: 'days' }, leftText(iso)));
  }

  // "Soon" is the monitor's notification start, once the page knows it.
  const soonDays = () => (state.monitor ? state.monitor.start_days : SOON_DAYS);

  // Where a certificate belongs: its purpose, its trust store, or the phone whose LSC it is.
  function placeOf(c) {
    return c.purpose || c.store || `${c.endpoint} (LSC)`;
  }

  function rowClass(iso) {
    const d = daysLeft(iso);
    return d < 0 ? 'expired' : d <= soonDays() ? 'soon' : null;
  }

  const dayWords = (n) => (n === 1 ? '1 day' : `${n} days`);
  function leftText(iso) {
    const d = daysLeft(iso);
    return d < 0 ? `expired ${dayWords(-d)} ago` : d === 0 ? 'expires today' : `${dayWords(d)} left`;
  }

  function pager(box, offset, count, total) {
    const [prev, next] = $$('button', box);
    prev.disabled = offset <= 0;
    next.disabled = offset + count >= total;
    $('.pager-text', box).textContent = total === 0 ? 'Nothing found' :
      `Showing ${offset + 1}–${offset + count} of ${total}`;
  }

  // Certificate list (and the trust-store view, which is the list held to one store).
  async function viewList(trust) {
    const changed = state.trustView !== trust;
    state.trustView = trust;
    if (changed) {
      state.certOffset = 0;
      syncFilterChoices();
      if (!trust) $('#f-store').value = '';
    }
    $('#certs-title').textContent = trust ? 'Trust stores' : 'Certificate list';
    $('#f-purpose-row').hidden = trust;
    show('certs');
    if (trust) $('#soon-panel').hidden = true;
    else loadSoon().catch((err) => { if (err.status !== 401) say(err.message, true); });
    await loadCerts();
  }

  // The "Expiring soon" panel: what is inside the monitor's notification start (or expired).
  let soonSeq = 0;
  async function loadSoon() {
    const seq = ++soonSeq;
    const m = await api('GET', '/monitor');
    const data = await api('GET', '/certificates' + query({ expiring: m.start_days, limit: SOON_MAX }));
    // phones' LSCs only when the monitor includes them
    const lscs = m.lsc ? await api('GET', '/endpoints' + query({ expiring: m.start_days, limit: SOON_MAX })) : { items: [], total: 0 };
    if (seq !== soonSeq || state.trustView !== false) return;
    state.monitor = m;
    const items = (data.items || []).concat(lscs.items || []).sort((a, b) => Date.parse(a.not_after) - Date.parse(b.not_after));
    const total = (data.total || 0) + (lscs.total || 0);
    const span = `${dayWords(m.start_days)} (the monitor's notification start)`;
    $('#soon-text').textContent = !total ? `Nothing expires within ${span}.` :
      `${total === 1 ? '1 certificate expires' : total + ' certificates expire'} within ${span} or ${total === 1 ? 'has' : 'have'} expired` +
      (lscs.total ? ` (${lscs.total === 1 ? "1 is a phone's LSC" : lscs.total + " are phones' LSCs"})` : '') +
      (total > items.length ? `; ${items.length} of them, the first in list order:` : ':');
    $('#soon-list').replaceChildren(...items.map((c) => el('li', { class: rowClass(c.not_after) },
      el('a', { href: '#cert/' + c.id }, `${c.id}: ${placeOf(c)} on ${c.node}`), ` — ${c.cn}, not after ${c.not_after}`,
      el('span', { class: 'days' }, leftText(c.not_after)))));
    $('#soon-show').hidden = !data.total; // the list holds identities and trust certificates, not LSCs
    $('#soon-show').textContent = data.total === 1 ? 'Show it in the list' : 'Show them in the list';
    $('#soon-panel').classList.toggle('none', !total);
    $('#soon-panel').hidden = false;
  }

  function showSoonInList() {
    const f = $('#filter-form');
    f.reset();
    syncFilterChoices();
    f.expiring.value = String(soonDays());
    state.certOffset = 0;
    loadCerts();
  }

  // Filter changes can overlap; only the newest answer is shown.
  let certSeq = 0;
  async function loadCerts() {
    const seq = ++certSeq;
    const f = $('#filter-form');
    const params = {
      begins_with: f.begins_with.value.trim(), node: f.node.value,
      purpose: state.trustView ? '' : f.purpose.value, store: f.store.value,
      expiring: f.expiring.value, offset: state.certOffset, limit: LIMIT,
    };
    clearErrors(f);
    let data;
    try {
      data = await api('GET', '/certificates' + query(params));
    } catch (err) {
      if (seq === certSeq) showError(f, err);
      return;
    }
    if (seq !== certSeq) return;
    const items = data.items || [];
    const rows = items.map((c) => el('tr', { class: rowClass(c.not_after) },
      el('td', {}, el('a', { href: '#cert/' + c.id }, String(c.id))),
      el('td', {}, c.node),
      el('td', {}, c.purpose || c.store, el('span', { class: 'kind' }, c.purpose ? 'identity' : 'trust')),
      el('td', {}, c.cn),
      el('td', {}, c.self_signed ? 'Self-signed' : c.issuer),
      revocationCell(c.revocation, c.revocation_source),
      expiryCell(c.not_after)));
    $('#cert-table tbody').replaceChildren(...rows);
    $('#cert-caption').textContent = state.trustView ? `Trust certificates in ${params.store || 'all stores'}` : 'Certificates';
    pager($('#cert-pager'), state.certOffset, items.length, data.total || 0);
  }

  const list = (v) => (v && v.length ? v.join(', ') : '—');

  function keyText(c) {
    return `${c.key_type} ${c.key_bits} bits${c.curve ? ' (' + c.curve + ')' : ''}`;
  }

  function fillDl(dl, pairs) {
    dl.replaceChildren(...pairs.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v === '' || v == null ? '—' : String(v))]));
  }

  function warningList(warnings, title) {
    if (!warnings || !warnings.length) return null;
    return el('div', {}, el('h2', {}, title || 'Warnings'),
      el('ul', { class: 'warnings' }, warnings.map((w) => el('li', {}, `${w.message} (${w.rule})`))));
  }

  // Certificate details, as `certfleet cert show` prints them.
  async function viewCert(id) {
    show('cert');
    // nothing of the certificate shown before stays on screen while this one loads
    $('#cert-title').textContent = `Certificate ${id}`;
    $('#cert-dl').replaceChildren();
    const c = await api('GET', '/certificates/' + encodeURIComponent(id));
    state.cert = c;
    $('#cert-title').textContent = `Certificate ${c.id}: ${placeOf(c)} on ${c.node}`;
    const d = daysLeft(c.not_after);
    fillDl($('#cert-dl'), [
      ['ID', c.id], ['Node', c.node], [c.purpose ? 'Purpose' : c.store ? 'Trust store' : 'Endpoint (LSC)', placeOf(c)],
      ['Subject', c.subject], ['Issuer', c.issuer], ['Serial', c.serial],
      ['Valid', `${c.not_before} to ${c.not_after} (${d < 0 ? 'expired' : d + ' days left'})`],
      ['Key', keyText(c)], ['Signature hash', c.signature_hash], ['SAN', list(c.san)],
      ['Key usage', list(c.key_usage)], ['Extended key usage', list(c.ext_key_usage)],
      ['Basic constraints', c.ca ? 'CA:TRUE' : 'CA:FALSE'], ['OCSP', list(c.ocsp)], ['CRL DP', list(c.crl_dp)],
      ['SHA-256', c.sha256], ['Self-signed', c.self_signed ? 'yes' : 'no'], ['Distribution', c.distribution],
      ['Source', c.source], ['Description', c.description],
    ]);
    $('#cert-warnings').replaceChildren(warningList(c.warnings) || el('p', {}, 'No warnings.'));
    $('#cert-pem').value = c.pem || '';
    $('#cert-chain-box').hidden = !c.chain_pem;
    $('#cert-chain').value = c.chain_pem || '';
    $('#cert-delete').hidden = !(isAdmin() && c.store);
    await loadCertRevocation(c.id);
  }

  async function deleteCert() {
    const c = state.cert;
    if (!c || !window.confirm(`Delete the trust certificate "${c.cn}" (ID ${c.id}) from ${c.store} on ${c.node}?`)) return;
    try {
      showChange(await api('DELETE', '/certificates/' + c.id), `Deleted trust certificate ${c.id} (${c.cn})`);
    } catch (err) {
      say(err.message, true);
    }
  }

  // After every change: what was made, the warnings, the restart plan and the notes.
  function showChange(res, title) {
    state.change = { res, title };
    if (location.hash === '#result') renderChange();
    else location.hash = '#result';
  }

  function renderChange() {
    show('result');
    const body = $('#result-body');
    if (!state.change) {
      $('#result-title').textContent = 'Result';
      body.replaceChildren(el('p', {}, 'No change made yet.'));
      return;
    }
    const { res, title } = state.change;
    $('#result-title').textContent = title;
    const items = res.items || [];
    const plan = res.restart_plan || [];
    body.replaceChildren(...[
      items.length ? el('div', {}, el('h2', {}, 'Certificates'), el('ul', { id: 'result-certs' }, items.map((c) =>
        el('li', {}, el('a', { href: '#cert/' + c.id }, `${c.id}: ${placeOf(c)} on ${c.node}`), ` — ${c.cn}, not after ${c.not_after}`)))) : null,
      warningList(res.warnings) || el('p', {}, 'No warnings.'),
      el('h2', {}, 'Restart plan'),
      plan.length ? el('table', { id: 'restart-plan' }, el('caption', {}, 'Do these steps in order'),
        el('thead', {}, el('tr', {}, ['Step', 'Action', 'Node', 'Service'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, plan.map((s) => el('tr', {}, el('td', {}, s.step), el('td', {}, s.action), el('td', {}, s.node), el('td', {}, s.service || '—')))))
        : el('p', {}, 'No service restarts are needed.'),
      res.notes && res.notes.length ? el('div', {}, el('h2', {}, 'Notes'), el('ul', { id: 'result-notes' }, res.notes.map((n) => el('li', {}, n)))) : null,
    ].filter(Boolean));
  }

  // ---- forms filled from a link (#csr?node=...&purpose=...) -----------------------------------------

  // Sets a form's node (its purpose and store choices follow), purpose, store and multi-server
  // choice from p; what p does not name stays as it was.
  function fillFrom(form, p) {
    if (!p || !p.node) return;
    const node = $('.node-select', form);
    if (!nodeByFqdn(p.node)) return;
    node.value = p.node;
    node.dispatchEvent(new Event('change'));
    const purpose = $('.purpose-select', form);
    const store = $('.store-select', form);
    if (purpose && p.purpose) purpose.value = p.purpose;
    if (store && p.store) store.value = p.store;
    const multi = form.elements.namedItem('multi_server');
    if (multi instanceof RadioNodeList) multi.value = p.multi_server ? '1' : '0';
    else if (multi) multi.checked = !!p.multi_server;
  }

  async function viewCsr(arg, p) {
    fillFrom($('#csr-form'), p);
    fillFrom($('#csr-get-form'), p);
    show('csr');
    if (isAdmin()) previewCsr();
    if (p && p.pending && p.node && p.purpose) renderCsr(await api('GET', '/csr' + query({ node: p.node, purpose: p.purpose })));
  }

  function fillUpload(p) {
    if (!p || !p.node) return;
    $(p.store ? '#up-kind-trust' : '#up-kind-id').checked = true;
    syncUploadKind();
    fillFrom($('#up-form'), p);
  }

  // The trust-store view held to one node and store (the doctor's trust-store-full).
  async function viewTrust(p) {
    if (p && p.node && p.store && nodeByFqdn(p.node)) {
      const f = $('#filter-form');
      f.reset();
      f.node.value = p.node;
      syncFilterChoices();
      f.store.value = p.store;
      state.certOffset = 0;
    }
    await viewList(true);
  }

  // An error whose machine reason names a view that fixes it gets a link there.
  function reasonLink(err, form) {
    const node = form.elements.namedItem('node');
    const purpose = form.elements.namedItem('purpose');
    if (!(err instanceof ApiError) || !node || !purpose) return null;
    const p = { node: node.value, purpose: purpose.value };
    if (err.reason === 'no-csr') return el('a', { href: hashFor('csr', p) }, `Generate a CSR for ${p.purpose} on ${p.node}`);
    if (err.reason === 'csr-pending') return el('a', { href: hashFor('csr', { ...p, pending: 1 }) }, `Show the pending CSR for ${p.purpose} on ${p.node}`);
    return null;
  }

  // ---- generate self-signed ---------------------------------------------------------------------

  async function submitSelfSigned(f) {
    const body = { node: f.node.value, purpose: f.purpose.value, multi_server: f.multi_server.checked };
    if (f.key.value) body.key = f.key.value;
    if (f.hash.value) body.hash = f.hash.value;
    if (f.days.value !== '') {
      const days = Number(f.days.value);
      if (!Number.isInteger(days) || days < 1) throw new ApiError(400, { error: { message: 'Enter a whole number of days, 1 or more.', field: 'days' } });
      body.days = days;
    }
    const res = await withConfirm((force) => api('POST', '/self-signed', force ? { ...body, force: true } : body));
    showChange(res, `Self-signed ${body.purpose} certificate generated on ${body.node}`);
  }

  // ---- CSR --------------------------------------------------------------------------------------

  let previewSeq = 0;
  // The names the CSR would carry, fetched live whenever node, purpose or distribution change.
  async function previewCsr() {
    const f = $('#csr-form');
    const seq = ++previewSeq;
    clearErrors(f);
    const cn = $('#csr-preview-cn');
    const san = $('#csr-preview-san');
    if (!f.node.value || !f.purpose.value) return;
    try {
      const p = await api('GET', '/csr/preview' + query({ node: f.node.value, purpose: f.purpose.value, multi_server: f.multi_server.value }));
      if (seq !== previewSeq) return;
      cn.textContent = `Common name: ${p.cn} (${p.distribution}, key ${p.key}, ${p.hash})`;
      san.replaceChildren(...(p.san || []).map((s) => el('li', {}, s)));
      if (!(p.san || []).length) san.replaceChildren(el('li', {}, 'no alternative names'));
    } catch (err) {
      if (seq !== previewSeq) return;
      cn.textContent = '';
      san.replaceChildren();
      showError(f, err);
    }
  }

  async function submitCsr(f) {
    const body = { node: f.node.value, purpose: f.purpose.value, multi_server: f.multi_server.value === '1' };
    if (f.key.value) body.key = f.key.value;
    if (f.hash.value) body.hash = f.hash.value;
    const csr = await api('POST', '/csr', body);
    renderCsr(csr);
    say(`CSR generated for ${csr.purpose} on ${csr.node}. No service restarts are needed until the signed certificate is uploaded.`);
  }

  async function submitCsrGet(f) {
    renderCsr(await api('GET', '/csr' + query({ node: f.node.value, purpose: f.purpose.value })));
  }

  function renderCsr(csr) {
    state.csr = csr;
    $('#csr-view').hidden = false;
    $('#csr-view-title').textContent = `Pending CSR: ${csr.purpose} on ${csr.node}`;
    fillDl($('#csr-dl'), [
      ['Subject', csr.subject], ['Alternative names', list(csr.san)], ['Distribution', csr.distribution],
      ['Key', `${csr.key_type} ${csr.key_bits} bits`], ['Hash', csr.hash], ['Key usage', list(csr.key_usage)],
      ['Extended key usage', list(csr.ext_key_usage)], ['Created', csr.created],
    ]);
    $('#csr-pem').value = csr.pem || '';
    const a = $('#csr-download');
    a.href = '/api/v1/csr' + query({ node: csr.node, purpose: csr.purpose, format: 'pem' });
    a.setAttribute('download', `${csr.node}-${csr.purpose}.csr`);
    $('#csr-view-title').focus();
  }

  async function discardCsr() {
    const c = state.csr;
    if (!c || !window.confirm(`Discard the pending CSR for ${c.purpose} on ${c.node}? Its private key is deleted too.`)) return;
    try {
      await api('DELETE', '/csr' + query({ node: c.node, purpose: c.purpose }));
      $('#csr-view').hidden = true;
      say(`CSR for ${c.purpose} on ${c.node} discarded.`);
    } catch (err) {
      say(err.message, true);
    }
  }

  // ---- upload -----------------------------------------------------------------------------------

  function syncUploadKind() {
    const trust = $('#up-kind-trust').checked;
    $('#up-purpose-row').hidden = trust;
    $('#up-store-row').hidden = !trust;
    $('#up-key-row').hidden = trust;
  }

  async function submitUpload(f) {
    const trust = $('#up-kind-trust').checked;
    const fd = new FormData();
    fd.append('node', f.node.value);
    if (trust) fd.append('store', f.store.value);
    else fd.append('purpose', f.purpose.value);
    if (f.description.value) fd.append('description', f.description.value);
    if (!f.file.files.length) throw new ApiError(400, { error: { message: 'Choose the certificate file to upload.', field: 'file' } });
    fd.append('file', f.file.files[0]);
    if (!trust && f.key.files.length) fd.append('key', f.key.files[0]);
    const res = await withConfirm((force) => {
      if (force) fd.set('force', 'true');
      return api('POST', '/upload', fd);
    });
    const where = trust ? f.store.value : f.purpose.value;
    f.reset();
    syncUploadKind();
    showChange(res, `Uploaded to ${where} on ${fd.get('node')}`);
  }

  // ---- certificate monitor -----------------------------------------------------------------------

  function fillMonitor(m) {
    state.monitor = m;
    fillDl($('#mon-state'), [
      ['Last run', m.last_run || 'never'], ['Notifications pending', m.pending],
      ['Failed deliveries so far', m.smtp_failures], ['SMTP password', m.smtp_password_set ? 'set' : 'not set'],
    ]);
    const f = $('#monitor-form');
    const fq = /^(\d+)([hd])$/.exec(m.frequency || '') || [null, '1', 'd'];
    const smtp = /^\[?(.*?)\]?:(\d+)$/.exec(m.smtp || '');
    f.start_days.value = String(m.start_days);
    f.frequency.value = fq[1];
    f.frequency_unit.value = fq[2];
    f.email.checked = !!m.email;
    f.emails.value = (m.emails || []).join('; ');
    f.lsc.checked = !!m.lsc;
    f.smtp_host.value = smtp ? smtp[1] : '';
    f.smtp_port.value = smtp ? smtp[2] : '';
    f.smtp_tls.value = m.smtp_tls || 'starttls';
    f.smtp_user.value = m.smtp_user || '';
    f.smtp_password.value = '';
    f.smtp_password_clear.checked = false;
    f.smtp_password_clear.disabled = !m.smtp_password_set;
    f.smtp_ca.value = m.smtp_ca || '';
    f.from.value = m.from || '';
    for (const e of f.elements) {
      if (e.tagName !== 'BUTTON' && !isAdmin()) e.disabled = true;
      else if (e !== f.smtp_password_clear) e.disabled = false;
    }
  }

  async function viewMonitor() {
    show('monitor');
    clearErrors($('#monitor-form'));
    fillMonitor(await api('GET', '/monitor'));
    await loadJobs();
  }

  // The job table: what certfleetd runs by itself (GET /jobs), one row a duty.
  const JOB_NAMES = { monitor: 'Monitor pass', 'crl-download': 'CRL download', 'ocsp-check': 'OCSP check',
    'ca-crl': 'Local CA CRLs', 'ca-ocsp': 'Local CA OCSP answers' };
  async function loadJobs() {
    const items = (await api('GET', '/jobs')).items || [];
    $('#jobs-table tbody').replaceChildren(...items.map((j) => el('tr', { 'data-kind': j.kind },
      el('td', {}, JOB_NAMES[j.kind] || j.kind), el('td', {}, j.plan || '—'), el('td', {}, j.next_run),
      el('td', {}, j.last_run || 'never'), el('td', {}, j.last_status || '—'),
      el('td', {}, j.running ? `running in ${j.running.by}` : j.attempts ? `${j.attempts} failed in a row: ${j.last_error}` : ''))));
  }

  const wholeNumber = (v, lo, hi) => /^\d+$/.test(v.trim()) && Number(v) >= lo && Number(v) <= hi;
  const fieldError = (field, message) => new ApiError(400, { error: { message, field } });

  async function submitMonitor(f) {
    if (!wholeNumber(f.start_days.value, 1, 3650)) throw fieldError('start_days', 'Enter a whole number of days from 1 to 3650.');
    if (!wholeNumber(f.frequency.value, 1, 8784)) throw fieldError('frequency', 'Enter a whole number of hours or days, 1 or more.');
    const host = f.smtp_host.value.trim();
    const port = f.smtp_port.value.trim();
    if (port !== '' && !wholeNumber(port, 1, 65535)) throw fieldError('smtp_port', 'Enter a port from 1 to 65535.');
    const body = {
      start_days: Number(f.start_days.value), frequency: `${Number(f.frequency.value)}${f.frequency_unit.value}`,
      email: f.email.checked, emails: f.emails.value.trim(), lsc: f.lsc.checked,
      smtp: host ? `${host.includes(':') ? '[' + host + ']' : host}:${port || 25}` : '',
      smtp_tls: f.smtp_tls.value, smtp_user: f.smtp_user.value.trim(), smtp_ca: f.smtp_ca.value.trim(), from: f.from.value.trim(),
    };
    if (f.smtp_password_clear.checked) body.smtp_password = '';
    else if (f.smtp_password.value) body.smtp_password = f.smtp_password.value;
    try {
      fillMonitor(await api('PUT', '/monitor', body));
    } finally {
      f.smtp_password.value = '';
    }
    say('Monitor settings saved.');
  }

  function renderReport(r) {
    const due = r.due || [];
    $('#mon-report').replaceChildren(...[
      el('h2', {}, 'Monitor run'),
      el('p', { id: 'mon-report-summary' }, `${due.length ? (due.length === 1 ? '1 certificate' : due.length + ' certificates') + ' notified or waiting for delivery' : 'Nothing was due'}; ` +
        `${r.sent} sent, ${r.queued} queued. Next run due ${r.next_run}.`),
      r.error ? el('p', { class: 'form-err' }, 'Delivery failed: ' + r.error + ' (the notifications stay queued and are retried)') : null,
      due.length ? el('table', { id: 'mon-due' }, el('caption', {}, 'Certificates notified'),
        el('thead', {}, el('tr', {}, ['Node', 'Purpose / store', 'Common name', 'Not after', 'Days left', 'What breaks'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, due.map((d) => el('tr', { class: d.days_left < 0 ? 'expired' : 'soon' },
          el('td', {}, d.node), el('td', {}, d.purpose || d.store), el('td', {}, d.cn), el('td', {}, d.not_after),
          el('td', {}, d.days_left), el('td', {}, d.breaks))))) : null,
    ].filter(Boolean));
  }

  async function runMonitor() {
    const b = $('#mon-run');
    b.disabled = true;
    say('');
    try {
      renderReport(await api('POST', '/monitor/run'));
      fillMonitor(await api('GET', '/monitor'));
      await loadJobs();
    } catch (err) {
      say(err.message, true);
    } finally {
      b.disabled = false;
    }
  }

  // ---- certificate revocation --------------------------------------------------------------------

  // Read-only users see every control of these forms, disabled.
  function lockForm(f) {
    for (const e of f.elements) if (e.tagName !== 'BUTTON') e.disabled = !isAdmin();
  }

  function fillRevocation(r) {
    const f = $('#rev-form');
    f.check.checked = !!r.check;
    f.ocsp.checked = !!r.ocsp;
    f.ocsp_uri.value = r.ocsp_uri || '';
    f.interval.value = r.interval || '';
    f.strict.checked = !!r.strict;
    f.fallback.value = r.fallback || 'not-revoked';
    f.timeout.value = String(r.timeout);
    lockForm(f);
  }

  function fillSchedule(s) {
    const f = $('#crl-sched-form');
    f.daily_at.value = s.daily_at || '';
    f.use_cdp.checked = !!s.use_cdp;
    lockForm(f);
  }

  async function loadCrls() {
    const data = await api('GET', '/crls');
    const rows = (data.items || []).map((c) => {
      const expired = c.next_update && Date.parse(c.next_update) < Date.now();
      return el('tr', { class: expired ? 'expired' : null, 'data-crl': c.id },
        el('td', {}, c.id), el('td', {}, c.issuer), el('td', {}, c.this_update),
        el('td', {}, c.next_update || '—', expired ? el('span', { class: 'days' }, 'expired') : null),
        el('td', {}, c.entries), el('td', {}, c.source),
        el('td', {}, isAdmin() ? el('button', { type: 'button', class: 'danger', 'data-crl-remove': c.id, 'aria-label': `Remove CRL ${c.id}` }, 'Remove') : ''));
    });
    if (!rows.length) rows.push(el('tr', {}, el('td', { colspan: 7 }, 'No CRLs stored.')));
    $('#crl-table tbody').replaceChildren(...rows);
  }

  function fillDps(data) {
    const items = data.items || [];
    $('#dp-list').replaceChildren(...(items.length ? items.map((u) => el('li', {}, u, ' ',
      isAdmin() ? el('button', { type: 'button', class: 'danger', 'data-dp': u, 'aria-label': 'Remove ' + u }, 'Remove') : null))
      : [el('li', {}, 'No distribution points.')]));
  }

  async function viewRevocation() {
    show('revocation');
    for (const f of ['#rev-form', '#crl-upload-form', '#dp-form', '#crl-sched-form']) clearErrors($(f));
    const [r, dps, sched] = await Promise.all([api('GET', '/revocation'), api('GET', '/crl-dps'), api('GET', '/crl-schedule')]);
    fillRevocation(r);
    fillDps(dps);
    fillSchedule(sched);
    await loadCrls();
  }

  async function submitRevocation(f) {
    const interval = f.interval.value.trim(); // checked by the daemon, which names the field
    const uri = f.ocsp_uri.value.trim();
    const body = {
      check: f.check.checked, ocsp: f.ocsp.checked, interval, strict: f.strict.checked,
      fallback: f.fallback.value, timeout: /^\d+$/.test(f.timeout.value.trim()) ? Number(f.timeout.value) : f.timeout.value,
    };
    if (uri) body.ocsp_uri = uri;
    else body.ocsp_from_cert = true;
    fillRevocation(await api('PUT', '/revocation', body));
    say('Revocation settings saved.');
  }

  // "Check now": POST /revocation/check asks OCSP about every certificate that can be asked and
  // answers as `certfleet revocation check --json`: the counts, then a row per place.
  async function checkRevocationNow() {
    const b = $('#rev-check-now');
    const box = $('#rev-check-report');
    b.disabled = true;
    say('');
    box.replaceChildren(el('p', {}, 'Asking the OCSP responders…'));
    try {
      const r = await api('POST', '/revocation/check');
      const items = r.items || [];
      const certs = (n) => (n === 1 ? '1 certificate' : `${n} certificates`);
      box.replaceChildren(...[
        el('h2', {}, 'OCSP check'),
        el('p', { id: 'rev-check-summary' }, `${certs(r.checked)} asked: ${r.good} good, ${r.revoked} revoked, ${r.unknown} unknown` +
          (r.errors ? ` (${r.errors} without an answer)` : '') + '.'),
        items.length ? el('table', { id: 'rev-check-items' }, el('caption', {}, 'Answers'),
          el('thead', {}, el('tr', {}, ['Node', 'Purpose / store', 'Common name', 'Status', 'Responder', 'Message'].map((h) => el('th', { scope: 'col' }, h)))),
          el('tbody', {}, items.map((i) => el('tr', { class: i.status === 'revoked' ? 'expired' : null },
            el('td', {}, i.node), el('td', {}, i.purpose || i.store), el('td', {}, i.cn),
            el('td', { class: 'revocation' + (i.status === 'revoked' ? ' bad' : '') }, i.status + (i.trust ? ` (${i.trust})` : '')),
            el('td', {}, i.responder || '—'), el('td', {}, i.message))))) : null,
      ].filter(Boolean));
    } catch (err) {
      box.replaceChildren(el('p', { class: 'form-err', id: 'rev-check-error' }, err.message));
    } finally {
      b.disabled = false;
    }
  }

  async function submitCrlUpload(f) {
    if (!f.file.files.length) throw fieldError('file', 'Choose the CRL file to upload.');
    const fd = new FormData();
    fd.append('file', f.file.files[0]);
    const c = await api('POST', '/crls', fd);
    f.reset();
    await loadCrls();
    say(`Added CRL ${c.id} of ${c.issuer} (${c.entries === 1 ? '1 entry' : c.entries + ' entries'})` +
      (c.expired ? '; it has already expired: every certificate of this CA is invalid until a newer one is added.' : '.'), c.expired);
  }

  async function removeCrl(id) {
    if (!window.confirm(`Remove CRL ${id}?`)) return;
    try {
      await api('DELETE', '/crls/' + encodeURIComponent(id));
      await loadCrls();
      say(`CRL ${id} removed.`);
    } catch (err) {
      say(err.message, true);
    }
  }

  async function submitDp(f) {
    const url = f.url.value.trim();
    if (!/^https?:\/\//.test(url)) throw fieldError('url', 'Enter an http:// or https:// URL.');
    fillDps(await api('POST', '/crl-dps', { url }));
    f.reset();
    say(`Distribution point ${url} added.`);
  }

  async function removeDp(url) {
    if (!window.confirm(`Remove the distribution point ${url}?`)) return;
    try {
      fillDps(await api('DELETE', '/crl-dps' + query({ url })));
      say(`Distribution point ${url} removed.`);
    } catch (err) {
      say(err.message, true);
    }
  }

  async function updateCrls() {
    const b = $('#crl-update');
    b.disabled = true;
    say('');
    try {
      const data = await api('POST', '/crls/update');
      const items = data.items || [];
      $('#crl-update-report').replaceChildren(el('h3', {}, 'Update'), items.length ? el('ul', { id: 'crl-update-list' },
        items.map((i) => el('li', { class: i.ok ? null : 'form-err' }, `${i.url}: ${i.ok ? '' : 'failed: '}${i.message}`)))
        : el('p', {}, 'No distribution points to download.'));
      await loadCrls();
    } catch (err) {
      say(err.message, true);
    } finally {
      b.disabled = false;
    }
  }

  async function submitSchedule(f) {
    const at = f.daily_at.value.trim();
    if (!/^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(at)) throw fieldError('daily_at', 'Enter a UTC time like 02:30.');
    fillSchedule(await api('PUT', '/crl-schedule', { daily_at: at, use_cdp: f.use_cdp.checked }));
    say('CRL schedule saved.');
  }

  // The certificate details' revocation line: its serial on its issuer's newest stored CRL, or
  // what OCSP last said of it (as the list's column).
  const REV_TEXT = { good: 'not revoked', revoked: 'revoked', 'crl-expired': 'CRL expired', unknown: 'unknown (no CRL of its issuer)' };
  const REV_TEXT_OCSP = { good: 'not revoked (OCSP)', revoked: 'revoked (OCSP)', unknown: 'unknown (OCSP)' };
  async function loadCertRevocation(id) {
    const dd = el('dd', { id: 'cert-revocation' }, '…');
    $('#cert-dl').append(el('dt', {}, 'Revocation'), dd);
    try {
      const r = await api('GET', '/certificates/' + encodeURIComponent(id) + '/revocation');
      dd.className = 'rev-' + r.status;
      dd.dataset.status = r.status;
      dd.textContent = ((r.source === 'ocsp' ? REV_TEXT_OCSP : REV_TEXT)[r.status] || r.status) + (r.message ? ` — ${r.message}` : '');
    } catch (err) {
      dd.textContent = 'could not be checked: ' + err.message;
    }
  }

  // ---- tools: validate a certificate, the certificate import tool --------------------------------

  function syncValTrust() {
    const trust = $('#val-form').trust.value;
    $('#val-store-rows').hidden = trust !== 'store';
    $('#val-ca-row').hidden = trust !== 'ca';
  }

  // A certificate file read in the browser (it never goes to the daemon as a file): PEM as it is,
  // a DER certificate wrapped as PEM.
  async function readCertFile(file) {
    if (file.size > 1024 * 1024) throw fieldError('val_file', 'The file is larger than 1 MiB; no certificate is that large.');
    const bytes = new Uint8Array(await file.arrayBuffer());
    const text = new TextDecoder().decode(bytes);
    if (text.includes('-----BEGIN')) return text;
    let bin = '';
    for (const b of bytes) bin += String.fromCharCode(b);
    return `-----BEGIN CERTIFICATE-----\n${btoa(bin).replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
  }

  async function loadValFile(ev) {
    const f = $('#val-form');
    clearErrors(f);
    const file = ev.target.files[0];
    if (!file) return;
    try {
      f.pem.value = await readCertFile(file);
    } catch (err) {
      showError(f, err instanceof ApiError ? err : fieldError('val_file', 'The file could not be read: ' + err.message));
    }
  }

  async function submitValidate(f) {
    const body = { pem: f.pem.value.trim() };
    if (!body.pem) throw fieldError('pem', 'Paste the certificate (PEM) or choose its file.');
    const host = f.host.value.trim();
    if (host) body.host = host;
    const trust = f.trust.value;
    if (trust === 'store') Object.assign(body, { node: f.node.value, store: f.store.value });
    if (trust === 'ca') {
      if (!f.ca_pem.value.trim()) throw fieldError('ca_pem', 'Paste the CA certificates to trust (PEM), or choose another trust.');
      body.ca_pem = f.ca_pem.value;
    }
    if (f.purpose.value) body.purpose = f.purpose.value;
    if (f.revocation.checked) {
      if (trust === 'none') throw fieldError('revocation', 'Revocation is checked on the verified chain: choose a trust store or paste CA certificates.');
      body.revocation = true;
    }
    $('#val-result').replaceChildren();
    renderValidation(await api('POST', '/validate', body), trust);
  }

  const CHECK_NAMES = { identity: 'Host name', validity: 'Validity', 'key-usage': 'Key usage', chain: 'Chain', revocation: 'Revocation' };
  function renderValidation(v, trust) {
    const chain = v.chain || [];
    $('#val-result').replaceChildren(
      el('h3', { id: 'val-verdict', tabindex: '-1', class: v.ok ? 'verdict good' : 'verdict bad' }, v.ok ? 'Valid' : 'Not valid'),
      el('table', { id: 'val-checks' }, el('caption', {}, 'Checks'),
        el('thead', {}, el('tr', {}, ['Check', 'Result', 'Rule', 'Details'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, (v.checks || []).map((c) => el('tr', { 'data-check': c.check, class: c.ok ? null : 'failed' },
          el('td', {}, CHECK_NAMES[c.check] || c.check), el('td', { class: c.ok ? 'pass' : 'fail' }, c.ok ? 'passed' : 'failed'),
          el('td', {}, c.rule || '—'), el('td', {}, c.message))))),
      chain.length ? el('table', { id: 'val-chain' }, el('caption', {}, 'Chain to the trusted certificate, the certificate first'),
        el('thead', {}, el('tr', {}, ['#', 'Subject', 'Issuer', 'SHA-256'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, chain.map((c, i) => el('tr', {}, el('td', {}, i + 1), el('td', {}, c.subject), el('td', {}, c.issuer), el('td', { class: 'hash' }, c.sha256)))))
        : el('p', {}, trust === 'none' ? 'The chain was not checked: no trust was chosen.' : 'No chain to a trusted certificate was built.'));
    $('#val-verdict').focus();
  }

  function fetchBody(f) {
    const host = f.host.value.trim();
    if (!host) throw fieldError('host', "Enter the peer's host name or address.");
    const port = f.port.value.trim() || '443';
    if (!wholeNumber(port, 1, 65535)) throw fieldError('port', 'Enter a port from 1 to 65535.');
    const body = { host, port: Number(port) };
    if (f.starttls.value) body.starttls = f.starttls.value;
    if (f.sni.value.trim()) body.sni = f.sni.value.trim();
    return body;
  }

  async function submitFetch(f) {
    const body = fetchBody(f);
    state.fetched = null;
    $('#import-form').hidden = true;
    const box = $('#fetch-result');
    box.replaceChildren(el('p', {}, `Connecting to ${body.host} port ${body.port}…`));
    let res;
    try {
      res = await api('POST', '/trust/fetch', body);
    } catch (err) {
      box.replaceChildren();
      throw err;
    }
    state.fetched = { body, res };
    renderFetch(res);
    clearErrors($('#import-form'));
    $('#import-form').hidden = false;
  }

  function renderFetch(r) {
    const chain = r.chain || [];
    const n = chain.length;
    $('#fetch-result').replaceChildren(
      el('h3', { id: 'fetch-title', tabindex: '-1' }, `${n === 1 ? '1 certificate' : n + ' certificates'} from ${r.target}`),
      el('dl', { id: 'fetch-dl', class: 'decoded' }, [
        ['STARTTLS', r.starttls || 'none'], ['SNI sent', r.sni || 'none'],
        ['TLS', `${r.tls_version || '—'}, ${r.cipher || 'no cipher'}`],
        ['Key type', r.key_type + (r.signature ? ` (handshake signature ${r.signature})` : '')],
        ['Handshake', r.handshake_completed ? 'completed' : `failed after the certificates arrived: ${r.handshake_error}`],
        ['Verified', r.verified ? "yes, to the daemon's system CAs" : `no (${r.verify_error})`],
      ].flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
      el('table', { id: 'fetch-chain' }, el('caption', {}, 'Certificates as the peer presented them, its own first'),
        el('thead', {}, el('tr', {}, ['#', 'Subject', 'Issuer', 'Not after', 'SHA-256'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, chain.map((c, i) => el('tr', { class: rowClass(c.not_after) },
          el('td', {}, i + 1), el('td', {}, c.subject, el('span', { class: 'kind' }, c.ca ? 'CA' : c.self_signed ? 'self-signed' : 'not a CA')),
          el('td', {}, c.issuer), expiryCell(c.not_after), el('td', { class: 'hash' }, c.sha256))))));
    $('#fetch-title').focus();
  }

  // Imports what the peer presents (fetched again: the import is its own request), after a
  // confirmation that says what goes where.
  async function submitImport(f) {
    const fetched = state.fetched;
    if (!fetched) throw new ApiError(400, { error: { message: 'Fetch the certificates first.' } });
    const { body, res } = fetched;
    const n = res.chain.length;
    const leafOut = n > 1 && !res.chain[0].ca && !res.chain[0].self_signed;
    const what = leafOut
      ? `the ${n === 2 ? 'CA certificate' : n - 1 + ' CA certificates'} of ${res.target} (its own certificate is not a CA and is left out)`
      : `the ${n === 1 ? 'certificate' : n + ' certificates'} of ${res.target}`;
    if (!window.confirm(`Import ${what} into ${f.store.value} on ${f.node.value}?`)) return;
    const r = await api('POST', '/trust/fetch', { ...body, import: { node: f.node.value, store: f.store.value } });
    const imp = r.import;
    if ((r.chain || []).map((c) => c.sha256).join() !== res.chain.map((c) => c.sha256).join())
      imp.notes = (imp.notes || []).concat('The peer presented other certificates for the import than the ones shown before: check what was imported.');
    if (!imp.count && !(imp.notes || []).length) imp.notes = ['Nothing was imported.'];
    state.fetched = null;
    f.hidden = true;
    // (as the command line says it: an import on a publisher reaches every node of its cluster)
    const nodes = (imp.nodes || []).length ? imp.nodes.join(', ') : imp.node;
    showChange(imp, `Imported from ${r.target}: ${imp.count === 1 ? '1 trust certificate' : imp.count + ' trust certificates'} added to ${imp.store} on ${nodes}`);
  }

  // ---- doctor, status, audit, users ----------------------------------------------------------------

  // A finding's fix as the page does it (its "action", GET /doctor): a button where one click
  // fixes it, a link to the form that fixes it with node, purpose or store filled in, and the
  // command line's fix under a "CLI" disclosure. Read-only accounts see what an admin would do.
  const hashFor = (view, params) => `#${view}${query(params)}`;
  function actionControls(a) {
    const n = a.node;
    const btn = (attrs, label) => el('button', { type: 'button', 'data-action': a.kind, ...attrs }, label);
    const link = (view, params, label) => el('a', { href: hashFor(view, params), 'data-action': a.kind }, label);
    const ms = a.multi_server ? { multi_server: 1 } : {};
    switch (a.kind) {
      case 'prune': return { admin: [btn({ 'data-prune': n }, `Prune stale copies on ${n}`)] };
      case 'csr': return { admin: [link('csr', { node: n, purpose: a.purpose, ...ms }, `Generate a ${a.multi_server ? 'multi-server ' : ''}CSR for ${a.purpose} on ${n}`)] };
      case 'self-signed': return { admin: [link('self-signed', { node: n, purpose: a.purpose, ...ms }, `Make a new ${a.multi_server ? 'multi-server ' : ''}self-signed ${a.purpose} on ${n}`)] };
      case 'upload': return { admin: [link('upload', { node: n, purpose: a.purpose }, `Upload the ${a.purpose} certificate on ${n}`)] };
      case 'trust-add': return { admin: [link('upload', { node: n, store: a.store }, `Upload a CA certificate into ${a.store} on ${n}`)] };
      case 'trust-delete': return {
        admin: [btn({ class: 'danger', 'data-trust-delete': a.id, 'data-node': n, 'data-store': a.store }, `Delete it from ${a.store}`)],
        all: [el('a', { href: '#cert/' + a.id }, `Certificate ${a.id}`)],
      };
      case 'trust-list': return { all: [link('trust', { node: n, store: a.store }, `Show ${a.store} on ${n}`)] };
      case 'csr-discard': return {
        admin: [btn({ class: 'danger', 'data-csr-discard': a.purpose, 'data-node': n }, 'Discard the CSR'),
          link('upload', { node: n, purpose: a.purpose }, 'Upload the signed certificate')],
      };
      case 'crl-update': return { admin: [btn({ 'data-crl-update': '1' }, 'Update CRLs now')], all: [link('revocation', {}, 'CRLs')] };
      case 'deploy': return { all: [link('status', { deploy: n }, `Deploy targets of ${n}`)] };
      default: return {};
    }
  }

  function fixCell(x) {
    const a = x.action;
    if (!a) return el('td', {}, x.fix || '—'); // no page action: the advice itself
    const c = actionControls(a);
    const shown = [...(isAdmin() ? c.admin || [] : []), ...(c.all || [])];
    if (!isAdmin() && c.admin) shown.unshift(el('span', { class: 'needs-admin' }, 'An admin can fix this here.'));
    return el('td', {}, el('div', { class: 'fix-actions' }, shown),
      el('details', { class: 'cli' }, el('summary', {}, 'CLI'), el('code', {}, x.fix)));
  }

  // The doctor's buttons: each change is confirmed where it deletes something.
  async function doctorAction(ev) {
    const b = ev.target.closest('button[data-action]');
    if (!b) return;
    const d = b.dataset;
    b.disabled = true;
    try {
      if (d.prune) {
        const res = await api('POST', '/trust/prune', { node: d.prune });
        showChange(res, `Pruned ${(res.ids || []).length} stale self-signed copies on ${d.prune}`);
      } else if (d.trustDelete) {
        if (!window.confirm(`Delete trust certificate ${d.trustDelete} from ${d.store} on ${d.node}?`)) return;
        showChange(await api('DELETE', '/certificates/' + encodeURIComponent(d.trustDelete)), `Deleted trust certificate ${d.trustDelete}`);
      } else if (d.csrDiscard) {
        if (!window.confirm(`Discard the pending CSR for ${d.csrDiscard} on ${d.node}? Its private key is deleted too.`)) return;
        await api('DELETE', '/csr' + query({ node: d.node, purpose: d.csrDiscard }));
        say(`CSR for ${d.csrDiscard} on ${d.node} discarded.`);
        await loadDoctor();
      } else if (d.crlUpdate) {
        const items = (await api('POST', '/crls/update')).items || [];
        const bad = items.filter((i) => !i.ok);
        say(!items.length ? 'No distribution points to download: add one, or upload a CRL, in Certificate revocation.'
          : `${items.length - bad.length} of ${items.length} distribution points downloaded` + (bad.length ? `; ${bad.map((i) => `${i.url}: ${i.message}`).join('; ')}` : '.'), bad.length > 0 || !items.length);
        await loadDoctor();
      }
    } catch (err) {
      say(err.message, true);
    } finally {
      b.disabled = false;
    }
  }

  async function loadDoctor() {
    const f = $('#doctor-form');
    const data = await api('GET', '/doctor' + query({ node: f.node.value }));
    const rows = (data.findings || []).map((x) => el('tr', {},
      el('td', { class: 'sev-' + x.severity }, x.severity), el('td', {}, x.rule),
      el('td', {}, x.node + (x.purpose ? ' / ' + x.purpose : '')), el('td', {}, x.message), fixCell(x)));
    if (!rows.length) rows.push(el('tr', {}, el('td', { colspan: 5 }, 'No findings.')));
    $('#doctor-table tbody').replaceChildren(...rows);
  }

  // params.deploy (a doctor finding's link): that node's deploy section opened
  async function viewStatus(arg, params = {}) {
    show('status');
    const [data, clusters] = await Promise.all([api('GET', '/status'), api('GET', '/clusters')]);
    const del = (what, value) => (isAdmin() ? el('td', {}, el('button', { type: 'button', class: 'danger', 'data-delete': what, 'data-name': value }, 'Delete')) : null);
    $('#status-table tbody').replaceChildren(...(data.items || []).map((s) => el('tr', {},
      el('td', {}, s.node), el('td', {}, s.cluster), el('td', {}, s.product),
      el('td', {}, s.publisher ? 'publisher' : 'subscriber'), el('td', {}, s.identities), el('td', {}, s.self_signed),
      el('td', {}, s.ca_signed), el('td', {}, s.trust_certificates), el('td', {}, s.pending_csrs),
      s.first_expiry ? el('td', {}, `${s.first_expiry} (${s.first_expiry_purpose}, ${s.days_left} days left)`) : el('td', {}, '—'),
      el('td', {}, el('button', { type: 'button', 'data-deploy-node': s.node, 'aria-label': `Deploy targets of ${s.node}` }, isAdmin() ? 'Deploy targets' : 'Show targets')),
      del('node', s.node))));
    // the deploy section stays on its node while that node is there
    if (state.deploy && !(data.items || []).some((s) => s.node === state.deploy.node)) {
      state.deploy = null;
      $('#deploy-box').hidden = true;
    }
    $('#clusters-table tbody').replaceChildren(...(clusters.items || []).map((c) => el('tr', {},
      el('td', {}, c.name), el('td', {}, c.fqdn || '—'), el('td', {}, c.nodes),
      el('td', {}, el('button', { type: 'button', 'data-cluster': c.name }, isAdmin() ? 'Edit settings' : 'Show settings')),
      c.nodes === 0 ? del('cluster', c.name) : (isAdmin() ? el('td', {}, 'delete its nodes first') : null))));
    if (params.deploy && (data.items || []).some((s) => s.node === params.deploy)) await showDeploy(params.deploy);
  }

  // A cluster's settings (DN, domains, phone security profiles, Expressway names, ...) as a form:
  // each changed setting is saved with PUT /clusters/{name}; a refused one shows its error on its row.
  async function showClusterSettings(name) {
    const c = await api('GET', '/clusters/' + encodeURIComponent(name));
    const f = $('#cluster-form');
    state.cluster = c;
    clearErrors(f);
    $('#cluster-form-title').textContent = `Settings of cluster ${c.name}`;
    $('#cluster-fields').replaceChildren(...c.about.map((a) => el('div', { class: 'row' },
      el('label', { for: 'cs-' + a.key }, a.key),
      el('input', { id: 'cs-' + a.key, name: a.key, value: c.settings[a.key] || '', 'data-was': c.settings[a.key] || '', disabled: isAdmin() ? null : 'disabled' }),
      el('span', { class: 'hint' }, a.help + (a.choices ? ` (${a.choices.split(' ').join(', ')})` : '')),
      el('span', { class: 'field-err', id: 'cs-' + a.key + '-err', role: 'alert' }))));
    f.hidden = false;
    $('#cluster-form-title').focus();
  }

  async function submitClusterSettings(f) {
    const c = state.cluster;
    const changed = [...$$('#cluster-fields input')].filter((i) => i.value !== i.dataset.was);
    if (!changed.length) { say('No setting changed.'); return; }
    const errOf = (i) => document.getElementById(i.id + '-err'); // ids hold dots (dn.O): no selector
    for (const i of changed) errOf(i).textContent = '';
    let saved = 0;
    for (const i of changed) {
      const values = i.value.split(',').map((v) => v.trim()).filter((v) => v !== '');
      try {
        await api('PUT', '/clusters/' + encodeURIComponent(c.name), { key: i.name, values });
        i.dataset.was = i.value;
        saved++;
      } catch (err) {
        errOf(i).textContent = err.message;
      }
    }
    if (saved === changed.length) say(`Cluster ${c.name}: ${saved} setting${saved === 1 ? '' : 's'} saved.`);
    else throw new ApiError(400, { error: { message: `${changed.length - saved} of ${changed.length} settings were refused; see the fields below.` } });
  }

  // ---- deploy targets and deploys of a node (in the status view) ------------------------------------

  // The node's targets (GET /nodes/{name}/deploy-targets) as a table, the form for one purpose's
  // target, and the deploy buttons with their result.
  async function showDeploy(fqdn) {
    const data = await api('GET', '/nodes/' + encodeURIComponent(fqdn) + '/deploy-targets');
    state.deploy = { node: data.node || fqdn, targets: data.items || [] };
    $('#deploy-title').textContent = `Deploy: ${state.deploy.node}`;
    $('#deploy-result').replaceChildren();
    const f = $('#target-form');
    clearErrors(f);
    fillSelect(f.purpose, choices(state.deploy.node, 'purposes'));
    renderTargets();
    fillTargetForm();
    $('#deploy-box').hidden = false;
    $('#deploy-title').focus();
  }

  const dash = (v) => (v === '' || v == null ? '—' : v);

  function renderTargets() {
    const { node, targets } = state.deploy;
    const rows = targets.map((t) => el('tr', { 'data-purpose': t.purpose },
      el('td', {}, t.purpose), el('td', {}, dash(t.cert)), el('td', {}, dash(t.key)), el('td', {}, dash(t.chain)),
      el('td', {}, dash(t.owner)), el('td', {}, t.mode), el('td', {}, dash(t.reload)),
      el('td', {}, t.serves ? t.serves + (t.starttls ? ` (STARTTLS ${t.starttls})` : '') : '—'),
      isAdmin() ? el('td', {},
        el('button', { type: 'button', 'data-edit-target': t.purpose, 'aria-label': `Change the ${t.purpose} target` }, 'Change'), ' ',
        el('button', { type: 'button', 'data-deploy': t.purpose, 'aria-label': `Deploy ${t.purpose} on ${node} now` }, 'Deploy now')) : null));
    if (!rows.length) rows.push(el('tr', {}, el('td', { colspan: isAdmin() ? 9 : 8 }, `No deploy targets on ${node}.` + (isAdmin() ? ' Set one with the form below.' : ''))));
    $('#target-table tbody').replaceChildren(...rows);
    $('#deploy-all').disabled = !targets.length;
  }

  // The form shows the chosen purpose's target as it is stored (empty for a new one).
  function fillTargetForm() {
    const f = $('#target-form');
    const t = state.deploy.targets.find((x) => x.purpose === f.purpose.value) || {};
    for (const k of ['cert', 'key', 'chain', 'owner', 'mode', 'reload', 'serves', 'starttls']) f[k].value = t[k] || '';
  }

  async function submitTarget(f) {
    const { node } = state.deploy;
    // every path, the owner and the reload as shown (an emptied one is cleared); the mode only when given
    const body = { purpose: f.purpose.value };
    for (const k of ['cert', 'key', 'chain', 'owner', 'reload', 'serves', 'starttls']) body[k] = f[k].value.trim();
    if (f.mode.value.trim() !== '') body.mode = f.mode.value.trim();
    const t = await api('PUT', '/nodes/' + encodeURIComponent(node) + '/deploy-targets', body);
    if (!state.deploy || state.deploy.node !== node) return;
    state.deploy.targets = state.deploy.targets.filter((x) => x.purpose !== t.purpose).concat([t])
      .sort((a, b) => (a.purpose < b.purpose ? -1 : a.purpose > b.purpose ? 1 : 0));
    renderTargets();
    fillTargetForm();
    say(`Deploy target for ${t.purpose} on ${t.node} saved.`);
  }

  function reloadText(i) {
    if (i.reload_timed_out) return `reload "${i.reload}" FAILED: killed after 120 seconds`;
    if (i.reload_status === 0) return `reload "${i.reload}" succeeded`;
    return `reload "${i.reload}" FAILED (exit status ${i.reload_status})`;
  }

  // A served check after a deploy (its "served" items): what the address served against the store.
  function servedText(c) {
    if (c.error) return `${c.address} served nothing: ${c.error}`;
    if (c.matches) return `${c.address} serves the stored certificate (SHA-256 ${c.sha256})`;
    return `${c.address} serves SHA-256 ${c.sha256}, the store holds ${c.stored_sha256}`;
  }

  // What a deploy did: per target the files written and the reload with its output, then what each
  // address serves; a refusal's error line first (a failed reload or served check comes with every
  // target's result).
  function renderDeploy(node, res, err) {
    const items = res.items || [], served = res.served || [];
    $('#deploy-result').replaceChildren(...[
      el('h3', {}, `Deploy on ${node}`),
      err ? el('p', { class: 'form-err', id: 'deploy-error' }, err instanceof ApiError ? err.message : 'The server could not be reached: ' + err.message)
        : el('p', { id: 'deploy-ok' }, `${items.length === 1 ? '1 target' : items.length + ' targets'} deployed.`),
      items.length ? el('ul', { id: 'deploy-items' }, items.map((i) => el('li', { 'data-purpose': i.purpose },
        el('strong', {}, i.purpose),
        el('ul', {}, [
          i.repaired ? el('li', {}, i.repaired) : null,
          ...(i.files || []).map((f) => el('li', {}, `wrote ${f}`)),
          i.reload ? el('li', { class: i.reload_status === 0 ? 'reload-ok' : 'form-err' }, reloadText(i)) : el('li', {}, 'no reload command'),
        ]),
        i.reload_output ? el('pre', { class: 'output', 'aria-label': `Output of the ${i.purpose} reload` }, i.reload_output) : null))) : null,
      served.length ? el('h4', {}, 'Served after the deploy') : null,
      served.length ? el('ul', { id: 'deploy-served' }, served.map((c) => el('li', { 'data-purpose': c.purpose, class: c.matches ? 'reload-ok' : 'form-err' },
        el('strong', {}, c.purpose), ': ', servedText(c)))) : null,
    ].filter(Boolean));
  }

  async function runDeploy(purpose) {
    const { node } = state.deploy;
    const t = purpose ? state.deploy.targets.find((x) => x.purpose === purpose) : null;
    const question = purpose
      ? `Write the ${purpose} files on ${node}${t && t.reload ? ` and run "${t.reload}"` : ''}?`
      : `Write the files of every deploy target on ${node} and run their reload commands?`;
    if (!window.confirm(question)) return;
    const buttons = $$('#deploy-box button[data-deploy], #deploy-all');
    for (const b of buttons) b.disabled = true;
    say('');
    $('#deploy-result').replaceChildren(el('p', {}, purpose ? `Deploying ${purpose} on ${node}…` : `Deploying every target on ${node}…`));
    try {
      renderDeploy(node, await api('POST', '/deploy', purpose ? { node, purpose } : { node }), null);
    } catch (err) {
      renderDeploy(node, (err instanceof ApiError && err.body) || {}, err);
    } finally {
      for (const b of buttons) b.disabled = false;
      if (state.deploy) $('#deploy-all').disabled = !state.deploy.targets.length;
    }
  }

  function deployClick(ev) {
    const b = ev.target.closest('button[data-deploy-node], button[data-edit-target], button[data-deploy], #deploy-all');
    if (!b) return;
    if (b.dataset.deployNode) showDeploy(b.dataset.deployNode).catch((err) => say(err.message, true));
    else if (b.dataset.editTarget) {
      const f = $('#target-form');
      f.purpose.value = b.dataset.editTarget;
      clearErrors(f);
      fillTargetForm();
      f.cert.focus();
    } else runDeploy(b.dataset.deploy || null);
  }

  // Deleting a node (with its certificates; a publisher with peers only after a second, named
  // confirmation) or an empty cluster, from the status view.
  async function deleteTopology(ev) {
    const b = ev.target.closest('button[data-delete]');
    if (!b) return;
    const what = b.dataset.delete, name = b.dataset.name;
    const question = what === 'node'
      ? `Delete the node ${name} with its certificates, pending CSRs and deploy targets? Its self-signed certificates leave the other nodes' trust stores.`
      : `Delete the cluster ${name}?`;
    if (!window.confirm(question)) return;
    try {
      const path = what === 'node' ? '/nodes/' : '/clusters/';
      const res = await withConfirm((force) => api('DELETE', path + encodeURIComponent(name) + (force ? '?force=true' : '')));
      await loadNodes();
      if (what === 'node') showChange(res, `Deleted node ${name}`);
      else {
        say(`Cluster ${name} deleted.`);
        await viewStatus();
      }
    } catch (err) {
      say(err.message, true);
    }
  }

  async function loadAudit() {
    const data = await api('GET', '/audit' + query({ offset: state.auditOffset, limit: LIMIT }));
    const items = data.items || [];
    $('#audit-table tbody').replaceChildren(...items.map((r) => el('tr', {},
      el('td', {}, r.id), el('td', {}, r.at), el('td', {}, r.account), el('td', {}, r.client),
      el('td', {}, r.action), el('td', {}, r.object), el('td', {}, r.result))));
    pager($('#audit-pager'), state.auditOffset, items.length, data.total || 0);
  }

  async function viewUsers() {
    show('users');
    const pw = $('#pw-form');
    if (!pw.name.value || !isAdmin()) pw.name.value = state.user;
    pw.name.readOnly = !isAdmin();
    if (!isAdmin()) return;
    const data = await api('GET', '/users');
    $('#users-table tbody').replaceChildren(...(data.items || []).map((u) => el('tr', {},
      el('td', {}, u.name), el('td', {}, u.role), el('td', {}, u.created || '—'),
      el('td', {}, u.name === state.user ? '(you)' : el('button', { type: 'button', class: 'danger', 'data-user': u.name, 'aria-label': 'Delete user ' + u.name }, 'Delete')))));
  }

  async function deleteUser(name) {
    if (!window.confirm(`Delete the user ${name}?`)) return;
    try {
      await api('DELETE', '/users/' + encodeURIComponent(name));
      say(`User ${name} deleted.`);
      await viewUsers();
    } catch (err) {
      say(err.message, true);
    }
  }

  async function submitUserAdd(f) {
    const body = { name: f.name.value.trim(), role: f.role.value, password: f.password.value };
    if (body.password.length < 12) throw new ApiError(400, { error: { message: 'The password needs at least 12 characters.', field: 'password' } });
    const u = await api('POST', '/users', body);
    f.reset();
    say(`User ${u.name} added (${u.role}).`);
    await viewUsers();
  }

  async function submitPassword(f) {
    const name = f.name.value.trim();
    if (f.password.value.length < 12) throw new ApiError(400, { error: { message: 'The password needs at least 12 characters.', field: 'password' } });
    await api('PUT', '/users/' + encodeURIComponent(name) + '/password', { password: f.password.value });
    f.password.value = '';
    say(`Password of ${name} changed.`);
  }

  // ---- ACME: accounts, each identity's ACME certificate, order, deploy, revoke, auto renew ----------

  const ACME_DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  const ACME_STATES = {
    none: 'none (nothing staged)', ordering: 'ordering', staged: 'staged (waiting to be deployed)',
    deployed: 'deployed', stuck: 'stuck (3 or more failed orders in a row)',
  };
  const ACME_REASONS = ['unspecified', 'keyCompromise', 'superseded', 'cessationOfOperation'];
  // the members of an item the page has its own words for; any other is shown as it comes
  const ACME_KNOWN = new Set(['node', 'purpose', 'account', 'state', 'auto', 'renew_at', 'ari', 'staged', 'last_sign',
    'last_deploy', 'failures', 'next_try', 'profile', 'profile_required', 'alternates', 'deploy_days', 'deploy_time', 'served']);

  // Any JSON value as one line of text ("—" for nothing), for members the page has no words for.
  function anyText(v) {
    if (v === null || v === undefined || v === '') return '—';
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    if (Array.isArray(v)) return v.length ? v.map(anyText).join(', ') : '—';
    if (typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k}: ${anyText(x)}`).join('; ') || '—';
    return String(v);
  }

  // A definition list whose values are text or elements.
  function dlOf(pairs, attrs) {
    return el('dl', { class: 'decoded', ...attrs }, pairs.flatMap(([k, v]) =>
      [el('dt', {}, k), el('dd', {}, v instanceof Node ? v : v === '' || v == null ? '—' : String(v))]));
  }

  // The last sign or deploy: its status and time, and its error line on a line of its own.
  function lastCell(l, what) {
    if (!l) return 'never';
    return el('span', {}, el('span', { class: l.status === 'ok' ? 'acme-ok' : 'acme-bad' }, l.status), ` at ${l.at}`,
      l.error ? el('span', { class: 'err-line', 'data-last': what }, l.error) : null);
  }

  function autoText(it) {
    if (!it.auto) return 'off';
    const days = it.deploy_days ? it.deploy_days.split(',').join(', ') : '';
    if (!days && !it.deploy_time) return 'on; a staged certificate is deployed at once';
    return `on; a staged certificate is deployed ${days ? 'on ' + days : 'on any day'}${it.deploy_time ? ' at ' + it.deploy_time + ' UTC' : ''}`;
  }

  // The last served check of the identity ({address, checked_at, sha256, stored_sha256, matches,
  // error} or null), in the deploy section's words, with when it was made.
  function acmeServedText(s) {
    if (!s) return "not checked: no address to check (a deploy target's served address)";
    if (typeof s !== 'object' || Array.isArray(s) || !s.address) return anyText(s);
    return `${servedText(s)}${s.checked_at ? ` (checked ${s.checked_at})` : ''}`;
  }

  function acmeItemPairs(it) {
    return [
      ['State', ACME_STATES[it.state] || it.state],
      ['Account', it.account],
      ['Auto renew', autoText(it)],
      ['Renew at (UTC)', it.renew_at || 'not planned'],
      ['ARI window (UTC)', it.ari ? `${it.ari.start} to ${it.ari.end}${it.ari.checked ? ` (asked the CA ${it.ari.checked})` : ''}` : "none known (the CA's window is asked for when it offers one)"],
      ['Last sign', lastCell(it.last_sign, 'sign')],
      ['Last deploy', lastCell(it.last_deploy, 'deploy')],
      ['Failures', it.failures ? `${it.failures} in a row; next try ${it.next_try || '—'}` : 'none'],
      ['Profile', it.profile ? `${it.profile} (${it.profile_required ? 'required' : 'preferred'})` : "the CA's default"],
      ['Alternate chains', list(it.alternates)],
      ...('served' in it ? [['Served', el('span', { class: it.served && !it.served.matches ? 'acme-bad' : null }, acmeServedText(it.served))]] : []),
      ...Object.keys(it).filter((k) => !ACME_KNOWN.has(k)).map((k) => [k, anyText(it[k])]),
    ];
  }

  // The staged certificate decoded, with its PEM and the CA's chain folded away.
  function stagedBox(it, id) {
    const c = it.staged;
    if (!c) return el('p', { class: 'acme-none' }, 'No certificate is staged.');
    return el('div', { class: 'acme-staged' },
      el('h4', {}, 'Staged certificate'),
      dlOf([
        ['Subject', c.subject], ['Issuer', c.issuer],
        ['Valid', `${c.not_before} to ${c.not_after} (${leftText(c.not_after)})`],
        ['SAN', list(c.san)], ['SHA-256', c.sha256], ['Serial', c.serial], ['Key', keyText(c)],
        ['Key usage', list(c.key_usage)], ['Extended key usage', list(c.ext_key_usage)],
      ], { 'data-staged': c.sha256 }),
      el('details', {}, el('summary', {}, 'Certificate and chain (PEM)'),
        el('label', { for: id + '-pem' }, 'Certificate and the CA\'s chain'),
        el('textarea', { id: id + '-pem', readonly: true, rows: 10, spellcheck: 'false' }, (c.pem || '') + (c.chain_pem || ''))));
  }

  // The admin's controls of one identity: order now, deploy, revoke with a reason, auto renew.
  function acmeControls(it, id) {
    const days = (it.deploy_days || '').split(',');
    const auto = el('form', { class: 'acme-auto', novalidate: true, 'aria-label': `Auto renew of ${it.purpose} on ${it.node}` },
      el('h4', {}, 'Auto renew'),
      el('p', { class: 'form-err', role: 'alert', hidden: true }),
      el('div', { class: 'row check' }, el('input', { id: id + '-on', name: 'on', type: 'checkbox', checked: it.auto }),
        el('label', { for: id + '-on' }, 'Renew when the CA\'s window (or two thirds of the lifetime) says so, and deploy')),
      el('fieldset', { class: 'row' }, el('legend', {}, 'Deploy on (none ticked: any day)'),
        ACME_DAYS.flatMap((d) => [el('input', { id: `${id}-${d}`, name: 'deploy_days', type: 'checkbox', value: d, checked: days.includes(d) }),
          el('label', { for: `${id}-${d}` }, d)]),
        el('span', { class: 'field-err', 'data-err-for': 'deploy_days' })),
      el('div', { class: 'row' }, el('label', { for: id + '-time' }, 'Deploy at (UTC, HH:MM; empty: as soon as staged)'),
        el('input', { id: id + '-time', name: 'deploy_time', value: it.deploy_time || '', placeholder: '02:00', autocomplete: 'off' }),
        el('span', { class: 'field-err', 'data-err-for': 'deploy_time' })),
      el('button', { type: 'submit' }, 'Save auto renew'));
    onSubmit(auto, (f) => saveAcmeAuto(it, f));
    return el('div', { class: 'acme-controls' },
      el('div', { class: 'actions' },
        el('button', { type: 'button', 'data-acme': 'order', disabled: !it.account, 'aria-label': `Order a certificate for ${it.purpose} on ${it.node} now` }, 'Order now'),
        el('button', { type: 'button', 'data-acme': 'deploy', disabled: !it.staged, 'aria-label': `Deploy the staged certificate for ${it.purpose} on ${it.node}` }, 'Deploy staged certificate'),
        el('span', {}, el('label', { for: id + '-reason' }, 'Revocation reason '),
          el('select', { id: id + '-reason', 'data-reason': '1' }, ACME_REASONS.map((r) => el('option', { value: r }, r)))),
        el('button', { type: 'button', class: 'danger', 'data-acme': 'revoke', 'aria-label': `Revoke the ACME certificate for ${it.purpose} on ${it.node}` }, 'Revoke')),
      auto);
  }

  function renderAcmeItems(items) {
    const box = $('#acme-items');
    if (!items.length) {
      box.replaceChildren(el('p', { id: 'acme-empty' }, 'No identity has an ACME certificate yet.' + (isAdmin() ? ' Order one below.' : '')));
      return;
    }
    box.replaceChildren(...items.map((it, i) => {
      const id = `acme-${i}`;
      return el('article', { class: 'acme-item state-' + it.state, 'data-node': it.node, 'data-purpose': it.purpose, 'aria-labelledby': id + '-title' },
        el('h3', { id: id + '-title' }, `${it.purpose} on ${it.node}`, el('span', { class: 'acme-state' }, it.state)),
        dlOf(acmeItemPairs(it), { class: 'decoded acme-facts' }),
        stagedBox(it, id),
        isAdmin() ? acmeControls(it, id) : null);
    }));
  }

  function renderAcmeAccounts(accounts) {
    const rows = accounts.map((a) => el('tr', { 'data-account': a.name },
      el('td', {}, a.name), el('td', {}, a.directory), el('td', {}, a.email || '—'), el('td', {}, a.kid),
      el('td', {}, a.eab_kid || '—'), el('td', {}, a.ca_file || "the system's CAs"), el('td', {}, a.created),
      el('td', {}, a.rolled || 'never'),
      isAdmin() ? el('td', {}, el('button', { type: 'button', 'data-rollover': a.name, 'aria-label': `Roll over the key of account ${a.name}` }, 'New key')) : null));
    if (!rows.length) rows.push(el('tr', {}, el('td', { colspan: isAdmin() ? 9 : 8 }, 'No ACME accounts.' + (isAdmin() ? ' Add one below.' : ''))));
    $('#acme-accounts tbody').replaceChildren(...rows);
    fillSelect($('#ao-account'), accounts.map((a) => a.name));
  }

  let acmeSeq = 0;
  async function loadAcme() {
    const seq = ++acmeSeq;
    const [accounts, items] = await Promise.all([api('GET', '/acme/accounts'), api('GET', '/acme')]);
    if (seq !== acmeSeq) return;
    state.acme = items.items || [];
    renderAcmeAccounts(accounts.items || []);
    renderAcmeItems(state.acme);
  }

  async function viewAcme() {
    show('acme');
    for (const f of ['#acme-account-form', '#acme-order-form']) clearErrors($(f));
    await loadAcme();
  }

  async function submitAcmeAccount(f) {
    const body = { name: f.name.value.trim(), directory: f.directory.value.trim(), agree_tos: f.agree_tos.checked };
    for (const k of ['email', 'ca_file', 'key', 'eab_kid']) if (f[k].value.trim()) body[k] = f[k].value.trim();
    if (f.eab_hmac.value) body.eab_hmac = f.eab_hmac.value.trim();
    if (!body.agree_tos) throw fieldError('agree_tos', "An account needs the CA's terms of service agreed to.");
    say(`Making the account ${body.name} at ${body.directory}…`);
    let a;
    try {
      a = await api('POST', '/acme/accounts', body);
    } finally {
      f.eab_hmac.value = ''; // the MAC key is not kept in the page
    }
    f.reset();
    say(`ACME account ${a.name} added: ${a.kid}`);
    await loadAcme();
  }

  async function rolloverAccount(name) {
    if (!window.confirm(`Give the ACME account ${name} a new key? The CA is told first; the old key is then forgotten.`)) return;
    try {
      const a = await api('POST', `/acme/accounts/${encodeURIComponent(name)}/rollover`);
      say(`ACME account ${a.name} now signs with a new key${a.recovered ? ' (an interrupted rollover was finished)' : ''}.`);
      await loadAcme();
    } catch (err) {
      say(err.message, true);
    }
  }

  // An order runs until the certificate is staged or the CA says no (seconds: the CA checks each name).
  async function acmeOrder(body) {
    say(`Ordering a certificate for ${body.purpose} on ${body.node} with account ${body.account}; the CA checks each name, which takes a few seconds…`);
    try {
      const it = await api('POST', '/acme/order', body);
      say(`Certificate staged for ${it.purpose} on ${it.node} (SHA-256 ${it.staged ? it.staged.sha256 : '—'}). Deploy it when you are ready.`);
    } finally {
      await loadAcme().catch(() => {}); // a failure is counted in the identity's state
    }
  }

  async function submitAcmeOrder(f) {
    const body = { node: f.node.value, purpose: f.purpose.value, account: f.account.value };
    if (!body.account) throw fieldError('account', 'Add an ACME account first.');
    if (f.profile.value.trim()) body.profile = f.profile.value.trim();
    if (f.profile_required.checked) {
      if (!body.profile) throw fieldError('profile', 'Name the profile to require.');
      body.profile_required = true;
    }
    await acmeOrder(body);
  }

  // What a deploy did: the certificate, the chain added, the nodes, warnings, the restart plan and
  // the deploy targets written; a refusal's error line first.
  function renderAcmeDeploy(node, purpose, res, err) {
    const targets = res.deploy || [];
    const plan = res.restart_plan || [];
    $('#acme-result').replaceChildren(...[
      el('h3', { id: 'acme-result-title', tabindex: '-1' }, `Deploy of ${purpose} on ${node}`),
      err ? el('p', { class: 'form-err', id: 'acme-deploy-error' }, err instanceof ApiError ? err.message : 'The server could not be reached: ' + err.message) : null,
      res.sha256 ? el('p', { id: 'acme-deploy-ok' }, `Deployed ${res.sha256}${res.already ? ' (it was already the identity)' : ''} on ${list(res.nodes)}; ` +
        `${res.chain_added === 1 ? '1 CA certificate' : (res.chain_added || 0) + ' CA certificates'} of the chain added to the trust store.`) : null,
      warningList(res.warnings),
      plan.length ? el('table', { id: 'acme-restart-plan' }, el('caption', {}, 'Restart plan: do these steps in order'),
        el('thead', {}, el('tr', {}, ['Step', 'Action', 'Node', 'Service'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, plan.map((s) => el('tr', {}, el('td', {}, s.step), el('td', {}, s.action), el('td', {}, s.node), el('td', {}, s.service || '—'))))) : null,
      targets.length ? el('ul', { id: 'acme-deploy-targets' }, targets.map((i) => el('li', {}, el('strong', {}, i.purpose), ` — ${(i.files || []).length} file(s) written; `,
        i.reload ? reloadText(i) : 'no reload command'))) : null,
      (res.served || []).length ? el('h4', {}, 'Served after the deploy') : null,
      (res.served || []).length ? el('ul', { id: 'acme-deploy-served' }, res.served.map((c) => el('li', { class: c.matches ? 'reload-ok' : 'form-err' },
        `${c.node || node} ${c.purpose || purpose}: `, servedText(c)))) : null,
      (res.notes || []).length ? el('ul', {}, res.notes.map((n) => el('li', {}, n))) : null,
    ].filter(Boolean));
    $('#acme-result-title').focus();
  }

  async function acmeAction(ev) {
    const b = ev.target.closest('button[data-acme], button[data-rollover]');
    if (!b) return;
    if (b.dataset.rollover) return rolloverAccount(b.dataset.rollover);
    const art = b.closest('article');
    const node = art.dataset.node, purpose = art.dataset.purpose;
    const it = (state.acme || []).find((x) => x.node === node && x.purpose === purpose);
    if (!it) return;
    say('');
    b.disabled = true;
    try {
      if (b.dataset.acme === 'order') {
        await acmeOrder({ node, purpose, account: it.account, ...(it.profile ? { profile: it.profile, profile_required: it.profile_required } : {}) });
      } else if (b.dataset.acme === 'deploy') {
        if (!window.confirm(`Deploy the staged certificate for ${purpose} on ${node}? It replaces the identity on every node in its scope; the node's deploy targets are then written and reloaded.`)) return;
        try {
          renderAcmeDeploy(node, purpose, await api('POST', '/acme/deploy', { node, purpose }), null);
          say(`Staged certificate deployed for ${purpose} on ${node}.`);
        } catch (err) {
          renderAcmeDeploy(node, purpose, (err instanceof ApiError && err.body) || {}, err);
        }
        await loadAcme();
      } else if (b.dataset.acme === 'revoke') {
        const reason = $('select[data-reason]', art).value;
        const which = it.staged ? 'staged' : 'deployed';
        if (!window.confirm(`Revoke the ${which} ACME certificate for ${purpose} on ${node} at its CA (reason: ${reason})? A revoked certificate cannot be trusted again.`)) return;
        const r = await withConfirm((force) => api('POST', '/acme/revoke', { node, purpose, reason, ...(force ? { force: true } : {}) }));
        say(`Revoked ${r.revoked} for ${purpose} on ${node} (${r.reason}).`);
        await loadAcme();
      }
    } catch (err) {
      say(err.message, true);
    } finally {
      b.disabled = false;
    }
  }

  async function saveAcmeAuto(it, f) {
    const time = f.deploy_time.value.trim();
    if (time && !/^([01]\d|2[0-3]):[0-5]\d$/.test(time)) throw fieldError('deploy_time', 'Enter the time as HH:MM (UTC), or leave it empty.');
    const days = $$('input[name="deploy_days"]', f).filter((c) => c.checked).map((c) => c.value).join(',');
    const r = await api('POST', '/acme/auto', { node: it.node, purpose: it.purpose, on: f.on.checked, deploy_days: days, deploy_time: time });
    say(`Auto renew for ${r.purpose} on ${r.node}: ${autoText(r)}.`);
    await loadAcme();
  }

  // ---- Local CA: the hierarchy, a CA made, a certificate issued from a CSR, a revocation, the CRL ----

  const CA_REASONS = ['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded',
    'cessationOfOperation', 'privilegeWithdrawn', 'aACompromise'];
  const caPath = (name, rest) => `/ca/${encodeURIComponent(name)}${rest || ''}`;

  // The CAs in the order of the hierarchy: each root, then the CAs under it (depth first), with
  // their depth. A CA whose parent is not listed stands as a root.
  function caTree(cas) {
    const names = new Set(cas.map((c) => c.name));
    const below = new Map();
    for (const c of cas) {
      const p = c.parent && names.has(c.parent) ? c.parent : '';
      if (!below.has(p)) below.set(p, []);
      below.get(p).push(c);
    }
    const out = [];
    const walk = (parent, depth) => {
      for (const c of below.get(parent) || []) {
        out.push({ c, depth });
        if (depth < 16) walk(c.name, depth + 1);
      }
    };
    walk('', 0);
    return out;
  }

  function caUrls(c) {
    if (!c.base_url) return el('td', {}, 'No base URL: what it issues names no CRL or OCSP URL.');
    return el('td', { class: 'ca-urls' }, el('span', {}, `Base: ${c.base_url}`), el('span', {}, `CRL: ${c.crl_url}`),
      el('span', {}, `OCSP: ${c.ocsp_url}`),
      el('span', { 'data-ocsp-status': '1' }, `OCSP answers: ${c.ocsp_answers || 0} signed ahead by ${c.ocsp_responder === 'delegated' ? 'a delegated responder' : 'the CA'}` +
        (c.ocsp_oldest ? `, oldest ${c.ocsp_oldest}` : '')));
  }

  function renderCas(cas) {
    const rows = caTree(cas).map(({ c, depth }) => el('tr', { 'data-ca': c.name, class: rowClass(c.not_after) },
      el('td', { class: `ca-name ca-depth-${Math.min(depth, 4)}` }, depth ? el('span', { 'aria-hidden': 'true' }, '└ ') : null,
        el('strong', {}, c.name),
        el('span', { class: 'kind' }, c.parent ? `under ${c.parent}` : c.imported ? 'imported' : 'root')),
      el('td', {}, c.subject),
      expiryCell(c.not_after),
      el('td', { 'data-count': 'issued' }, String(c.issued)),
      el('td', { 'data-count': 'revoked' }, String(c.revoked)),
      el('td', { 'data-crl-status': '1' }, c.crl ? [`number ${c.crl.number}`, el('span', { class: 'days' }, `next update ${c.crl.next_update}`)]
        : 'none yet (the first is made when it is downloaded, or by the CRL duty)'),
      caUrls(c),
      el('td', {}, el('a', { href: '/api/v1' + caPath(c.name, '/crl'), download: `${c.name}.crl`, 'data-crl-download': c.name,
        'aria-label': `Download the CRL of ${c.name}` }, 'Download CRL'))));
    if (!rows.length) rows.push(el('tr', {}, el('td', { colspan: 8 }, 'No local CA yet.' + (isAdmin() ? ' Create a root below.' : ''))));
    $('#ca-table tbody').replaceChildren(...rows);
    const names = cas.map((c) => c.name);
    fillSelect($('#cc-parent'), names, 'None: a root (signs itself)');
    for (const sel of $$('.ca-select')) fillSelect(sel, names);
  }

  let caSeq = 0;
  async function loadCas() {
    const seq = ++caSeq;
    const data = await api('GET', '/ca');
    if (seq !== caSeq) return;
    state.cas = data.items || [];
    renderCas(state.cas);
  }

  async function viewCa() {
    show('ca');
    for (const f of ['#ca-create-form', '#ca-issue-form', '#ca-revoke-form']) clearErrors($(f));
    const profile = $('#ci-profile');
    const keep = profile.value;
    profile.replaceChildren(el('option', { value: 'copy' }, "copy: the request's own extensions"),
      el('option', { value: 'lsc' }, "lsc: a phone's LSC (RSA)"),
      ...union('purposes').map((p) => el('option', { value: p }, `${p}: the purpose's key usages`)));
    if ($$('option', profile).some((o) => o.value === keep)) profile.value = keep;
    if (!$('#cr-reason').options.length) $('#cr-reason').replaceChildren(...CA_REASONS.map((r) => el('option', { value: r }, r)));
    await loadCas();
  }

  async function submitCaCreate(f) {
    const body = { name: f.name.value.trim() };
    if (!body.name) throw fieldError('name', 'Name the CA.');
    if (f.parent.value) body.parent = f.parent.value;
    if (f.key.value) body.key = f.key.value;
    if (f.subject.value.trim()) body.subject = f.subject.value.trim();
    if (f.days.value.trim()) {
      if (!wholeNumber(f.days.value, 1, 36500)) throw fieldError('days', 'Enter a whole number of days from 1 to 36500, or leave it empty.');
      body.days = Number(f.days.value);
    }
    say(`Making the CA ${body.name}${body.parent ? ' under ' + body.parent : ''}; its key is made first…`);
    const c = await api('POST', '/ca', body);
    f.reset();
    say(`CA ${c.name} made${c.parent ? ' under ' + c.parent : ' (a root)'}: ${c.subject}, valid until ${c.not_after}.`);
    await loadCas();
  }

  // A CSR file read in the browser: PEM as it is, DER wrapped as PEM.
  async function loadCaCsrFile(ev) {
    const f = $('#ca-issue-form');
    clearErrors(f);
    const file = ev.target.files[0];
    if (!file) return;
    try {
      if (file.size > 64 * 1024) throw fieldError('csr_file', 'The file is larger than 64 KiB; no CSR is that large.');
      const bytes = new Uint8Array(await file.arrayBuffer());
      const text = new TextDecoder().decode(bytes);
      let bin = '';
      if (!text.includes('-----BEGIN')) for (const b of bytes) bin += String.fromCharCode(b);
      f.csr.value = text.includes('-----BEGIN') ? text
        : `-----BEGIN CERTIFICATE REQUEST-----\n${btoa(bin).replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE REQUEST-----\n`;
    } catch (err) {
      showError(f, err instanceof ApiError ? err : fieldError('csr_file', 'The file could not be read: ' + err.message));
    }
  }

  // The certificate just issued: its serial, the PEM and its download.
  function renderCaIssued(ca, r) {
    $('#ca-issued').replaceChildren(
      el('h3', { id: 'ca-issued-title', tabindex: '-1' }, `Issued by ${ca}: serial ${r.serial}`),
      el('label', { for: 'ca-issued-pem' }, 'The certificate (PEM)'),
      el('textarea', { id: 'ca-issued-pem', readonly: true, rows: 10, spellcheck: 'false' }, r.pem),
      el('p', { class: 'actions' }, el('a', { id: 'ca-issued-download', href: '/api/v1' + caPath(ca, '/issued') + query({ serial: r.serial, format: 'pem' }),
        download: `${ca}-${r.serial}.pem` }, 'Download the certificate')));
    $('#ca-issued-title').focus();
  }

  async function submitCaIssue(f) {
    const ca = f.ca.value;
    if (!ca) throw fieldError('ca', 'Create a CA first.');
    const body = { csr: f.csr.value.trim() };
    if (!body.csr) throw fieldError('csr', 'Paste the CSR (PEM) or choose its file.');
    if (f.profile.value) body.profile = f.profile.value;
    if (f.days.value.trim()) {
      if (!wholeNumber(f.days.value, 1, 36500)) throw fieldError('days', 'Enter a whole number of days from 1 to 36500, or leave it empty.');
      body.days = Number(f.days.value);
    }
    const r = await api('POST', caPath(ca, '/issue'), body);
    renderCaIssued(ca, r);
    say(`Certificate ${r.serial} issued by ${ca}.`);
    await loadCas();
  }

  // A revocation is final: the certificate is looked up first, so the confirmation names it.
  async function submitCaRevoke(f) {
    const ca = f.ca.value, serial = f.serial.value.trim(), reason = f.reason.value;
    if (!ca) throw fieldError('ca', 'Create a CA first.');
    if (!serial) throw fieldError('serial', 'Enter the serial number of the certificate to revoke.');
    const it = ((await api('GET', caPath(ca, '/issued') + query({ serial }))).items || [])[0];
    if (!it) throw fieldError('serial', `${ca} issued no certificate with that serial.`);
    if (it.revoked_at) throw fieldError('serial', `${it.serial} is revoked already (${it.revoked_at}, ${it.reason}).`);
    if (!window.confirm(`Revoke ${it.serial} (${it.subject}), issued by ${ca}, with the reason ${reason}? ` +
      'A revocation cannot be undone; the CA\'s CRL is made again at once.')) {
      say('Nothing revoked.');
      return;
    }
    const r = await api('POST', caPath(ca, '/revoke'), { serial, reason });
    f.serial.value = '';
    say(`Revoked ${r.serial} at ${r.ca} (${r.reason}); its CRL is made again.`);
    await loadCas();
  }

  // ---- login, logout, routing ---------------------------------------------------------------------

  async function submitLogin(f) {
    let r;
    try {
      r = await api('POST', '/login', { user: f.user.value.trim(), password: f.password.value });
    } catch (err) {
      f.password.value = '';
      // A wrong password has no "field"; it belongs next to the password.
      if (err instanceof ApiError && err.status === 401 && !err.field) err.field = 'password';
      throw err;
    }
    Object.assign(state, { user: r.user, role: r.role, csrf: r.csrf });
    f.reset();
    applyRole();
    await loadNodes();
    say(`Logged in as ${r.user} (${r.role}).`, false, true);
    location.hash = '#certs';
  }

  async function logout() {
    try {
      await api('POST', '/logout');
    } catch (err) {
      // The session may already be gone; the page forgets it either way.
    }
    forget();
    say('Logged out.', false, true);
    if (location.hash === '#login') route();
    else location.hash = '#login';
  }

  const ADMIN_VIEWS = ['self-signed', 'upload'];
  const views = {
    certs: () => viewList(false),
    trust: (arg, p) => viewTrust(p),
    cert: (id) => viewCert(id),
    'self-signed': (arg, p) => { fillFrom($('#ss-form'), p); show('self-signed'); },
    csr: viewCsr,
    upload: (arg, p) => { fillUpload(p); show('upload'); },
    result: renderChange,
    doctor: () => { show('doctor'); return loadDoctor(); },
    tools: () => { show('tools'); syncValTrust(); },
    monitor: viewMonitor,
    revocation: viewRevocation,
    acme: viewAcme,
    ca: viewCa,
    status: viewStatus,
    audit: () => { show('audit'); return loadAudit(); },
    users: viewUsers,
  };

  async function route() {
    // #view/arg?key=value&...: the query fills the view's form (links from the doctor and errors)
    const [where, qs] = location.hash.replace(/^#/, '').split('?');
    const [name, arg] = where.split('/');
    const params = Object.fromEntries(new URLSearchParams(qs || ''));
    if (!state.user) {
      show('login');
      $('#login-user').focus();
      return;
    }
    const view = views[name] ? name : 'certs';
    if (ADMIN_VIEWS.includes(view) && !isAdmin()) {
      say('That page needs the admin role.', true, true);
      location.replace('#certs');
      return;
    }
    try {
      await views[view](arg, params);
    } catch (err) {
      if (err.status !== 401) say(err.message, true);
    }
  }

  function pageButtons(box, offsetKey, reload) {
    box.addEventListener('click', (ev) => {
      const b = ev.target.closest('button[data-dir]');
      if (!b) return;
      state[offsetKey] = Math.max(0, state[offsetKey] + Number(b.dataset.dir) * LIMIT);
      reload().catch((err) => say(err.message, true));
    });
  }

  const nodeSyncs = [];

  async function start() {
    addErrorSlots();
    $('#mon-freq-unit').after($('#mon-freq-err')); // the frequency's error after its unit
    for (const s of $$('.key-select')) fillSelect(s, KEYS, 'Purpose default');
    for (const s of $$('.hash-select')) fillSelect(s, HASHES, 'Default (sha256)');
    for (const f of ['#ss-form', '#csr-form', '#csr-get-form', '#up-form', '#val-form', '#import-form', '#acme-order-form']) nodeSyncs.push(linkNodeSelect($(f)));

    onSubmit($('#login-form'), submitLogin);
    onSubmit($('#filter-form'), async () => { state.certOffset = 0; await loadCerts(); });
    onSubmit($('#ss-form'), submitSelfSigned);
    onSubmit($('#csr-form'), submitCsr);
    onSubmit($('#csr-get-form'), submitCsrGet);
    onSubmit($('#up-form'), submitUpload);
    onSubmit($('#doctor-form'), loadDoctor);
    onSubmit($('#val-form'), submitValidate);
    onSubmit($('#fetch-form'), submitFetch);
    onSubmit($('#import-form'), submitImport);
    for (const r of $$('#val-form input[name="trust"]')) r.addEventListener('change', syncValTrust);
    $('#val-file').addEventListener('change', loadValFile);
    onSubmit($('#user-add-form'), submitUserAdd);
    onSubmit($('#pw-form'), submitPassword);
    onSubmit($('#monitor-form'), submitMonitor);
    onSubmit($('#rev-form'), submitRevocation);
    onSubmit($('#crl-upload-form'), submitCrlUpload);
    onSubmit($('#dp-form'), submitDp);
    onSubmit($('#crl-sched-form'), submitSchedule);
    onSubmit($('#acme-account-form'), submitAcmeAccount);
    onSubmit($('#acme-order-form'), submitAcmeOrder);
    $('#view-acme').addEventListener('click', acmeAction);
    onSubmit($('#ca-create-form'), submitCaCreate);
    onSubmit($('#ca-issue-form'), submitCaIssue);
    onSubmit($('#ca-revoke-form'), submitCaRevoke, 'serial');
    $('#ci-file').addEventListener('change', loadCaCsrFile);
    $('#crl-update').addEventListener('click', updateCrls);
    $('#rev-check-now').addEventListener('click', checkRevocationNow);
    $('#crl-table').addEventListener('click', (ev) => {
      const b = ev.target.closest('button[data-crl-remove]');
      if (b) removeCrl(b.dataset.crlRemove);
    });
    $('#dp-list').addEventListener('click', (ev) => {
      const b = ev.target.closest('button[data-dp]');
      if (b) removeDp(b.dataset.dp);
    });

    $('#f-node').addEventListener('change', () => { syncFilterChoices(); state.certOffset = 0; loadCerts(); });
    for (const s of ['#f-purpose', '#f-store']) $(s).addEventListener('change', () => { state.certOffset = 0; loadCerts(); });
    $('#f-clear').addEventListener('click', () => {
      $('#filter-form').reset();
      syncFilterChoices();
      state.certOffset = 0;
      loadCerts();
    });
    for (const s of ['#csr-node', '#csr-purpose', '#csr-single', '#csr-multi']) $(s).addEventListener('change', previewCsr);
    for (const r of $$('input[name="kind"]')) r.addEventListener('change', syncUploadKind);
    pageButtons($('#cert-pager'), 'certOffset', loadCerts);
    pageButtons($('#audit-pager'), 'auditOffset', loadAudit);
    $('#cert-delete').addEventListener('click', deleteCert);
    $('#view-status').addEventListener('click', deleteTopology);
    $('#clusters-table').addEventListener('click', (ev) => {
      const b = ev.target.closest('button[data-cluster]');
      if (b) showClusterSettings(b.dataset.cluster).catch((err) => say(err.message, true));
    });
    onSubmit($('#cluster-form'), submitClusterSettings);
    $('#view-status').addEventListener('click', deployClick);
    $('#tg-purpose').addEventListener('change', () => { clearErrors($('#target-form')); fillTargetForm(); });
    onSubmit($('#target-form'), submitTarget);
    $('#doctor-table').addEventListener('click', doctorAction);
    $('#csr-discard').addEventListener('click', discardCsr);
    $('#mon-run').addEventListener('click', runMonitor);
    $('#soon-show').addEventListener('click', showSoonInList);
    $('#mon-smtp-password-clear').addEventListener('change', (ev) => { $('#mon-smtp-password').disabled = ev.target.checked; });
    $('#users-table').addEventListener('click', (ev) => {
      const b = ev.target.closest('button[data-user]');
      if (b) deleteUser(b.dataset.user);
    });
    $('#logout').addEventListener('click', logout);
    window.addEventListener('hashchange', () => {
      if (!state.keepMsg) say('');
      state.keepMsg = false;
      route();
    });

    // A reload keeps the session: the cookie is still there, the CSRF token is asked for again.
    try {
      const s = await api('GET', '/session');
      Object.assign(state, { user: s.user, role: s.role, csrf: s.csrf });
      applyRole();
      await loadNodes();
    } catch (err) {
      forget();
    }
    await route();
  }

  document.addEventListener('DOMContentLoaded', start);
})();
