// Single sign-on screens: the tenant admins' identity providers page (providers, what to give
// each IdP, SSO settings, group-to-role mapping) and the sign-in page's provider list.
// Everything the server or the user sends is set as text; the OIDC client secret lives only in
// a password field that is cleared as the request leaves.
import { h, replace, formatTime } from './dom.js';
import { setStatus } from './announce.js';
import { problemSummary } from '../model/problems.js';
import {
  providerBody, fieldErrors, idpSetup, providerSummary, settingsBody, mappingRows, mappingsBody, mappingErrorGroup, signInURL, tenantOrDefault,
} from '../model/identity.js';

const ROLES = ['viewer', 'operator', 'editor', 'auditor', 'admin', 'owner'];

/**
 * A labelled form field with its own error line: {wrap, input, error(text)}. The input is
 * described by its hint and its error, and marked invalid while the error is shown.
 */
function field(id, label, input, hint) {
  input.id = id;
  const errID = `${id}-err`;
  const hintID = hint ? `${id}-hint` : null;
  input.setAttribute('aria-describedby', [hintID, errID].filter(Boolean).join(' '));
  const err = h('span', { id: errID, class: 'error' });
  const checkbox = input.type === 'checkbox';
  const wrap = h('div', { class: checkbox ? 'field checkbox' : 'field' },
    checkbox ? [input, h('label', { for: id }, label)] : [h('label', { for: id }, label), input],
    hint ? h('span', { id: hintID, class: 'hint' }, hint) : null, err);
  return {
    wrap, input,
    error(text) {
      err.textContent = text ?? '';
      if (text) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    },
  };
}

/** Shows a 422 (or any) problem on the fields it names; the rest in `general`. Returns the first field marked. */
function showProblem(error, fields, general) {
  for (const f of Object.values(fields)) f.error('');
  const { byField, general: rest } = fieldErrors(error.problem, Object.keys(fields));
  for (const [name, messages] of byField) fields[name].error(messages.join('; '));
  general.textContent = rest.length ? rest.join('; ') : byField.size ? '' : problemSummary(error.problem, error.status);
  const first = [...byField.keys()][0];
  return first ? fields[first].input : null;
}

function failure(main, error) {
  const message = error.status === 403 ? 'You are not allowed to manage identity providers.' : `Could not load identity providers: ${problemSummary(error.problem, error.status)}`;
  replace(main, h('div', { class: 'page' }, h('h1', {}, 'Identity providers'), h('p', { role: 'alert' }, message)));
}

export async function identityProvidersPage(main, { api }) {
  let providers;
  let settings;
  let groups;
  try {
    [providers, settings, groups] = await Promise.all([
      api.get(api.t('identity-providers')), api.get(api.t('sso-settings')), api.get(api.t('group-roles'))]);
  } catch (error) {
    failure(main, error);
    return;
  }
  const reload = () => identityProvidersPage(main, { api });
  const items = providers?.items ?? [];
  replace(main, h('div', { class: 'page idp-page' },
    h('h1', {}, 'Identity providers'),
    h('p', {}, 'Single sign-on for this tenant through OpenID Connect or SAML. Each provider shows what to enter at the identity provider. Client secrets are stored as tenant secrets and never shown again.'),
    h('section', { 'aria-labelledby': 'idp-list-title' }, h('h2', { id: 'idp-list-title' }, 'Providers'),
      items.length ? h('ul', { class: 'idp-list' }, items.map((p) => providerCard(p, api, reload))) : h('p', {}, 'None yet: add one below.')),
    addProviderSection(api, reload),
    settingsSection(api, settings),
    groupRolesSection(api, groups)));
}

function providerCard(p, api, reload) {
  const titleID = `idp-${p.id}-title`;
  const dl = (rows, label) => h('dl', { class: 'kv', 'aria-label': label }, rows.map(({ label: k, value }) => [h('dt', {}, k), h('dd', {}, value)]));
  const setup = idpSetup(p);
  return h('li', { class: 'idp', 'aria-labelledby': titleID, dataset: { id: p.id } },
    h('h3', { id: titleID }, `${p.name} `, h('span', { class: 'badge' }, p.type === 'saml' ? 'SAML' : 'OIDC')),
    h('p', { class: 'hint' }, `Added ${formatTime(p.created_at)}`),
    h('h4', {}, 'Give the identity provider'),
    h('dl', { class: 'kv setup', 'aria-label': `What to give the identity provider for ${p.name}` }, setup.map(({ label, value }) => [
      h('dt', {}, label),
      h('dd', {}, h('code', {}, value), ' ', h('button', { type: 'button', 'aria-label': `Copy ${label} of ${p.name}`, onclick: async () => {
        try {
          await navigator.clipboard.writeText(value);
          setStatus(`${label} copied.`, 'ok');
        } catch {
          setStatus('Copying is not allowed here; select the text instead.', 'error');
        }
      } }, 'Copy')),
    ])),
    h('details', {}, h('summary', {}, 'Settings'), dl(providerSummary(p), `Settings of ${p.name}`)),
    h('p', {}, h('button', { type: 'button', 'aria-label': `Delete identity provider ${p.name}`, onclick: async (e) => {
      if (!confirm(`Delete the identity provider "${p.name}"? Sessions it started end at once.`)) return;
      e.target.disabled = true;
      try {
        await api.del(api.t('identity-providers', p.id));
        setStatus(`Identity provider "${p.name}" deleted.`, 'ok');
        reload();
      } catch (error) {
        setStatus(`Could not delete: ${problemSummary(error.problem, error.status)}`, 'error');
        e.target.disabled = false;
      }
    } }, 'Delete')));
}

function addProviderSection(api, reload) {
  const text = (attrs = {}) => h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', ...attrs });
  const type = h('select', {}, h('option', { value: 'oidc' }, 'OpenID Connect'), h('option', { value: 'saml' }, 'SAML 2.0'));
  const f = {
    type: field('idp-type', 'Protocol', type),
    name: field('idp-name', 'Name', text({ required: true }), 'Shown on the sign-in page.'),
    issuer: field('idp-issuer', 'Issuer', text({ type: 'url', placeholder: 'https://login.example.com' }), 'Its discovery document is read at first sign-in.'),
    client_id: field('idp-client-id', 'Client ID', text()),
    client_secret: field('idp-client-secret', 'Client secret', h('input', { type: 'password', autocomplete: 'new-password' }), 'Stored as a tenant secret; never shown again.'),
    scopes: field('idp-scopes', 'Scopes', text({ placeholder: 'openid email profile groups' }), 'Separated by spaces; empty: openid email profile groups.'),
    groups_claim: field('idp-groups-claim', 'Groups claim', text({ placeholder: 'groups' })),
    metadata_xml: field('idp-metadata-xml', 'IdP metadata XML', h('textarea', { rows: 6, spellcheck: 'false', class: 'mono' })),
    metadata_url: field('idp-metadata-url', 'IdP metadata URL', text({ type: 'url' }), 'Read once, when the provider is added.'),
    entity_id: field('idp-entity-id', 'IdP entity ID', text()),
    sso_url: field('idp-sso-url', 'IdP sign-on URL (HTTP-Redirect)', text({ type: 'url' })),
    certificate_pem: field('idp-certificate', 'IdP signing certificate (PEM)', h('textarea', { rows: 5, spellcheck: 'false', class: 'mono' })),
    allow_idp_initiated: field('idp-allow-idp-initiated', 'Allow sign-in started at the identity provider', h('input', { type: 'checkbox' })),
    groups_attribute: field('idp-groups-attribute', 'Groups attribute', text({ placeholder: 'groups' })),
  };
  const sourceName = 'idp-saml-source';
  const source = (value, label, checked) => {
    const id = `${sourceName}-${value}`;
    return h('span', { class: 'radio' }, h('input', { type: 'radio', name: sourceName, id, value, checked, onchange: sync }), h('label', { for: id }, label));
  };
  const sources = h('fieldset', { class: 'saml-source' }, h('legend', {}, 'IdP details from'),
    source('metadata_xml', 'Metadata XML', true), source('metadata_url', 'Metadata URL', false), source('manual', 'Entity ID, URL and certificate', false));
  const oidc = h('fieldset', { class: 'proto' }, h('legend', {}, 'OpenID Connect'),
    f.issuer.wrap, f.client_id.wrap, f.client_secret.wrap, f.scopes.wrap, f.groups_claim.wrap);
  const saml = h('fieldset', { class: 'proto' }, h('legend', {}, 'SAML'), sources,
    f.metadata_xml.wrap, f.metadata_url.wrap, f.entity_id.wrap, f.sso_url.wrap, f.certificate_pem.wrap, f.allow_idp_initiated.wrap, f.groups_attribute.wrap);
  const general = h('p', { class: 'error', role: 'alert' });
  const chosenSource = () => saml.querySelector(`input[name="${sourceName}"]:checked`)?.value ?? 'metadata_xml';
  function sync() {
    const isSAML = type.value === 'saml';
    oidc.hidden = isSAML;
    saml.hidden = !isSAML;
    const s = chosenSource();
    f.metadata_xml.wrap.hidden = s !== 'metadata_xml';
    f.metadata_url.wrap.hidden = s !== 'metadata_url';
    for (const k of ['entity_id', 'sso_url', 'certificate_pem']) f[k].wrap.hidden = s !== 'manual';
  }
  type.addEventListener('change', sync);
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Add provider');
  const form = h('form', { class: 'idp-form', 'aria-labelledby': 'idp-add-title', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    const values = { type: type.value, source: chosenSource(), allow_idp_initiated: f.allow_idp_initiated.input.checked };
    for (const [k, x] of Object.entries(f)) if (k !== 'allow_idp_initiated' && k !== 'type') values[k] = x.input.value;
    // The secret leaves the page with this request and nowhere else.
    f.client_secret.input.value = '';
    const body = providerBody(values);
    submit.disabled = true;
    try {
      const created = await api.post(api.t('identity-providers'), body);
      setStatus(`Identity provider "${created.name}" added.`, 'ok');
      await reload();
      document.querySelector(`.idp[data-id="${CSS.escape(created.id)}"] h3`)?.setAttribute('tabindex', '-1');
      document.querySelector(`.idp[data-id="${CSS.escape(created.id)}"] h3`)?.focus();
    } catch (error) {
      submit.disabled = false;
      const first = showProblem(error, f, general);
      if (body.type === 'oidc' && error.status === 422) general.textContent = [general.textContent, 'Enter the client secret again.'].filter(Boolean).join(' ');
      (first ?? general).focus?.();
      setStatus('The provider was not added.', 'error');
    }
  } },
  f.type.wrap, f.name.wrap, oidc, saml, general, submit);
  sync();
  return h('section', { 'aria-labelledby': 'idp-add-title' }, h('h2', { id: 'idp-add-title' }, 'Add a provider'), form);
}

function settingsSection(api, current) {
  const f = {
    jit_provisioning: field('sso-jit', 'Create users at their first sign-in (just-in-time)', h('input', { type: 'checkbox' })),
    session_idle_minutes: field('sso-idle', 'Session idle timeout (minutes)', h('input', { type: 'number', min: '1', max: '1440', step: '1', inputmode: 'numeric' }), '1 to 1440.'),
    session_absolute_minutes: field('sso-absolute', 'Session lifetime (minutes)', h('input', { type: 'number', min: '5', max: '43200', step: '1', inputmode: 'numeric' }), '5 to 43200.'),
  };
  const fill = (s) => {
    f.jit_provisioning.input.checked = Boolean(s?.jit_provisioning);
    f.session_idle_minutes.input.value = String(s?.session_idle_minutes ?? '');
    f.session_absolute_minutes.input.value = String(s?.session_absolute_minutes ?? '');
  };
  fill(current);
  const general = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'idp-form', 'aria-labelledby': 'sso-settings-title', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    for (const x of Object.values(f)) x.error('');
    general.textContent = '';
    const { body, error } = settingsBody({
      jit_provisioning: f.jit_provisioning.input.checked, session_idle_minutes: f.session_idle_minutes.input.value,
      session_absolute_minutes: f.session_absolute_minutes.input.value,
    });
    if (error) {
      f[error.field].error(error.message);
      f[error.field].input.focus();
      return;
    }
    try {
      fill(await api.put(api.t('sso-settings'), body));
      setStatus('Single sign-on settings saved.', 'ok');
    } catch (err) {
      (showProblem(err, f, general) ?? general).focus?.();
      setStatus('The settings were not saved.', 'error');
    }
  } }, f.jit_provisioning.wrap, f.session_idle_minutes.wrap, f.session_absolute_minutes.wrap, general,
  h('button', { type: 'submit' }, 'Save settings'));
  return h('section', { 'aria-labelledby': 'sso-settings-title' }, h('h2', { id: 'sso-settings-title' }, 'Sign-in settings'), form);
}

function groupRolesSection(api, current) {
  const tbody = h('tbody', {});
  const general = h('p', { class: 'error', role: 'alert' });
  let serial = 0;
  const rows = [];
  const addRow = ({ group = '', role = 'viewer' } = {}) => {
    const n = serial++;
    const groupInput = h('input', { type: 'text', id: `gr-group-${n}`, autocomplete: 'off', 'aria-label': 'Group name', 'aria-describedby': `gr-err-${n}` });
    groupInput.value = group;
    const roleSelect = h('select', { id: `gr-role-${n}`, 'aria-describedby': `gr-err-${n}` }, ROLES.map((r) => h('option', { value: r }, r)));
    roleSelect.value = ROLES.includes(role) ? role : 'viewer';
    const err = h('span', { id: `gr-err-${n}`, class: 'error' });
    const label = () => groupInput.value.trim() || 'new row';
    roleSelect.setAttribute('aria-label', 'Role');
    const row = { groupInput, roleSelect, err, tr: null };
    row.tr = h('tr', {}, h('td', {}, groupInput), h('td', {}, roleSelect, ' ', err),
      h('td', {}, h('button', { type: 'button', 'aria-label': `Remove mapping ${label()}`, onclick: () => {
        rows.splice(rows.indexOf(row), 1);
        row.tr.remove();
        addButton.focus();
      } }, 'Remove')));
    groupInput.addEventListener('change', () => row.tr.querySelector('button').setAttribute('aria-label', `Remove mapping ${label()}`));
    rows.push(row);
    tbody.append(row.tr);
    return row;
  };
  const clearErrors = () => {
    general.textContent = '';
    for (const r of rows) {
      r.err.textContent = '';
      r.groupInput.removeAttribute('aria-invalid');
      r.roleSelect.removeAttribute('aria-invalid');
    }
  };
  const render = (mappings) => {
    rows.length = 0;
    tbody.replaceChildren();
    for (const m of mappingRows(mappings)) addRow(m);
  };
  render(current?.mappings);
  const addButton = h('button', { type: 'button', onclick: () => addRow().groupInput.focus() }, 'Add a mapping');
  const form = h('form', { 'aria-labelledby': 'gr-title', onsubmit: async (e) => {
    e.preventDefault();
    clearErrors();
    const { mappings, error } = mappingsBody(rows.map((r) => ({ group: r.groupInput.value, role: r.roleSelect.value })));
    if (error) {
      const r = rows[error.index];
      r.err.textContent = error.message;
      r.groupInput.setAttribute('aria-invalid', 'true');
      r.groupInput.focus();
      return;
    }
    try {
      render((await api.put(api.t('group-roles'), { mappings })).mappings);
      setStatus('Group roles saved.', 'ok');
    } catch (err) {
      const errors = Array.isArray(err.problem?.errors) ? err.problem.errors : [];
      const rest = [];
      let first = null;
      for (const x of errors) {
        const r = rows.find((row) => row.groupInput.value.trim() === mappingErrorGroup(x.field));
        if (r) {
          r.err.textContent = String(x.message ?? '');
          r.roleSelect.setAttribute('aria-invalid', 'true');
          first ??= r.roleSelect;
        } else rest.push(x.field ? `${x.field}: ${x.message}` : String(x.message ?? ''));
      }
      general.textContent = rest.join('; ') || (first ? '' : problemSummary(err.problem, err.status));
      (first ?? general).focus?.();
      setStatus('The group roles were not saved.', 'error');
    }
  } },
  h('table', { class: 'list group-roles' }, h('caption', { class: 'visually-hidden' }, 'Group to role mappings'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Group (as the provider sends it)'), h('th', { scope: 'col' }, 'Role'), h('th', { scope: 'col' }, 'Actions'))),
    tbody),
  general, h('p', {}, addButton, ' ', h('button', { type: 'submit' }, 'Save group roles')));
  return h('section', { 'aria-labelledby': 'gr-title' }, h('h2', { id: 'gr-title' }, 'Group roles'),
    h('p', {}, 'Users signed in through single sign-on get the roles mapped to the groups their provider says they belong to.'),
    form);
}

/**
 * The sign-in page's single sign-on part: a tenant field (default "default") and the tenant's
 * providers from GET /sso/{tenant} as links to their login URL, returning to `returnTo`.
 */
export function ssoChooser(api, { tenant = 'default', returnTo = '/' } = {}) {
  const input = h('input', { id: 'sso-tenant', type: 'text', autocomplete: 'organization', spellcheck: 'false', required: true });
  input.value = tenant;
  const list = h('div', { class: 'sso-providers', 'aria-live': 'polite' });
  const load = async () => {
    const slug = tenantOrDefault(input.value);
    replace(list, h('p', {}, 'Loading…'));
    try {
      const answer = await api.get(`/sso/${encodeURIComponent(slug)}`);
      const providers = (answer?.providers ?? []).map((p) => ({ ...p, href: signInURL(p.login_url, returnTo) })).filter((p) => p.href);
      replace(list, providers.length
        ? [h('h2', {}, `Single sign-on for ${answer.tenant ?? slug}`),
          h('ul', { class: 'sso-list' }, providers.map((p) => h('li', {}, h('a', { class: 'button', href: p.href, dataset: { type: p.type } },
            `Sign in with ${p.name}`, ' ', h('span', { class: 'hint' }, p.type === 'saml' ? 'SAML' : 'OpenID Connect')))))]
        : h('p', {}, `The tenant "${answer?.tenant ?? slug}" has no single sign-on providers.`));
    } catch (error) {
      replace(list, h('p', { role: 'alert' }, error.status === 404 ? `There is no tenant "${slug}".` : `Could not load the providers: ${problemSummary(error.problem, error.status)}`));
    }
  };
  const form = h('form', { class: 'filters', 'aria-label': 'Choose your tenant', onsubmit: (e) => {
    e.preventDefault();
    load();
  } }, h('label', { for: 'sso-tenant' }, 'Tenant', input), h('button', { type: 'submit' }, 'Show sign-in options'));
  load();
  return h('section', { 'aria-label': 'Single sign-on' }, form, list);
}
