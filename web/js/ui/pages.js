// The list screens: workflows, and for tenant admins the audit log (with filters), API tokens,
// secret names and policies. Everything the server sends is set as text.
import { h, replace, formatTime, jsonBlock } from './dom.js';
import { setStatus } from './announce.js';
import { problemSummary } from '../model/problems.js';
import { defineCedarMode } from './cedar-mode.js';

/** Puts a Cedar CodeMirror over a textarea already in the page (the textarea stays the value's home). */
function cedarEditor(area, labelID, describedBy) {
  const CodeMirror = window.CodeMirror;
  if (!CodeMirror || !area.isConnected) return null;
  defineCedarMode(CodeMirror);
  const cm = CodeMirror.fromTextArea(area, { mode: 'cedar', lineNumbers: true, matchBrackets: true, viewportMargin: Infinity, extraKeys: { Tab: false, 'Shift-Tab': false } });
  cm.getInputField().setAttribute('aria-labelledby', labelID);
  cm.getInputField().setAttribute('aria-describedby', describedBy);
  cm.getInputField().setAttribute('aria-multiline', 'true');
  cm.on('change', () => cm.save());
  // An editor made inside a closed <details> measures nothing until it is shown.
  area.closest('details')?.addEventListener('toggle', () => cm.refresh());
  return cm;
}

function failure(main, what, error) {
  const message = error.status === 403 ? `You are not allowed to see ${what}.` : `Could not load ${what}: ${problemSummary(error.problem, error.status)}`;
  replace(main, h('div', { class: 'page' }, h('h1', {}, what[0].toUpperCase() + what.slice(1)), h('p', { role: 'alert' }, message)));
}

function table(caption, headers, rows) {
  return h('table', { class: 'list' }, h('caption', { class: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: String(headers.length) }, 'None.'))));
}

export async function workflowsPage(main, { api }) {
  try {
    const items = await api.all(api.t('workflows'));
    replace(main, h('div', { class: 'page' },
      h('h1', {}, 'Workflows'),
      h('p', {}, h('a', { href: '#/editor' }, 'New workflow')),
      table('Workflows', ['Name', 'Version', 'Updated'], items.map((w) => h('tr', {},
        h('td', {}, h('a', { href: `#/workflows/${encodeURIComponent(w.id)}` }, w.name || w.id)),
        h('td', {}, String(w.version)), h('td', {}, formatTime(w.updated_at)))))));
  } catch (error) {
    failure(main, 'workflows', error);
  }
}

export async function auditPage(main, { api }, query = {}) {
  const field = (name, label, options) => {
    const id = `audit-${name}`;
    const input = options
      ? h('select', { id, name }, options.map((o) => h('option', { value: o }, o || '(any)')))
      : h('input', { id, name, type: 'text' });
    input.value = query[name] ?? '';
    return h('label', { for: id }, label, input);
  };
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter the audit log' },
    field('action', 'Action (e.g. workflow.update)'), field('principal', 'Principal'), field('outcome', 'Outcome', ['', 'success', 'denied', 'not_found', 'throttled', 'rejected', 'error']),
    h('button', { type: 'submit' }, 'Filter'));
  const results = h('div', {});
  replace(main, h('div', { class: 'page' }, h('h1', {}, 'Audit log'), form, results));
  let after = null;
  const load = async (more) => {
    const q = Object.fromEntries(new FormData(form));
    try {
      const page = await api.get(api.t('audit'), { query: { ...q, limit: 100, after: more ? after : undefined } });
      after = page.next ?? null;
      const rows = (page.items ?? []).map((e) => h('tr', {},
        h('td', {}, formatTime(e.at)), h('td', {}, e.principal ?? ''), h('td', {}, e.action ?? ''), h('td', {}, e.resource ?? ''),
        h('td', {}, `${e.decision ?? ''} / ${e.outcome ?? ''}`), h('td', {}, (e.reasons ?? []).join(', ')),
        h('td', {}, h('details', {}, h('summary', {}, 'detail'), jsonBlock(e.detail, 'Audit detail')))));
      const t = table('Audit entries', ['When', 'Principal', 'Action', 'Resource', 'Decision / outcome', 'Policies', 'Detail'], rows);
      if (more) results.querySelector('tbody').append(...rows);
      else replace(results, t);
      results.querySelector('.more')?.remove();
      if (after) results.append(h('button', { type: 'button', class: 'more', onclick: () => load(true) }, 'Older entries'));
    } catch (error) {
      replace(results, h('p', { role: 'alert' }, error.status === 403 ? 'Only auditors and admins may read the audit log.' : problemSummary(error.problem, error.status)));
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    load(false);
  });
  await load(false);
}

export async function tokensPage(main, { api }) {
  try {
    const items = await api.all(api.t('tokens'));
    replace(main, h('div', { class: 'page' }, h('h1', {}, 'API tokens'),
      h('p', {}, 'A token value is shown once, right after it is created; this list holds metadata only.'),
      createTokenForm(main, api),
      table('API tokens', ['Name', 'Role', 'Created', 'Expires', 'Revoked', 'Actions'], items.map((t) => h('tr', {},
        h('td', {}, t.name), h('td', {}, t.role), h('td', {}, formatTime(t.created_at)), h('td', {}, formatTime(t.expires_at) || 'never'),
        h('td', {}, formatTime(t.revoked_at)),
        h('td', {}, t.revoked_at ? '' : h('button', { type: 'button', 'aria-label': `Revoke token ${t.name}`, onclick: async (e) => {
          if (!confirm(`Revoke the token "${t.name}"?`)) return;
          e.target.disabled = true;
          try {
            await api.del(api.t('tokens', t.id));
            setStatus('Token revoked.', 'ok');
            tokensPage(main, { api });
          } catch (error) {
            setStatus(`Could not revoke: ${problemSummary(error.problem, error.status)}`, 'error');
            e.target.disabled = false;
          }
        } }, 'Revoke')))))));
  } catch (error) {
    failure(main, 'tokens', error);
  }
}

export async function secretsPage(main, { api }) {
  try {
    const items = await api.all(api.t('secrets'));
    replace(main, h('div', { class: 'page' }, h('h1', {}, 'Secrets'),
      h('p', {}, 'Names and versions only: secret values are written here but never shown or returned. Use one in a node as {{ secrets.name }}.'),
      createSecretForm(main, api),
      table('Secrets', ['Name', 'Kind', 'Version', 'Last rotated', 'Rotation interval', 'Limited to workflows', 'Rotate'], items.map((s) => h('tr', {},
        h('td', {}, s.name), h('td', {}, s.kind ?? ''), h('td', {}, String(s.version ?? '')), h('td', {}, formatTime(s.last_rotated_at)),
        h('td', {}, s.rotation_interval_seconds ? `${s.rotation_interval_seconds} s` : ''), h('td', {}, (s.workflow_ids ?? []).join(', ') || 'all'),
        h('td', {}, rotateSecretForm(main, api, s)))))));
  } catch (error) {
    failure(main, 'secrets', error);
  }
}

export async function policiesPage(main, { api }) {
  let body;
  try {
    body = await api.get(api.t('policies'));
  } catch (error) {
    failure(main, 'policies', error);
    return;
  }
  const own = body.items ?? [];
  const editor = (policy) => {
    const areaID = `pol-${policy?.id ?? 'new'}`;
    const errID = `${areaID}-err`;
    const idID = `${areaID}-id`;
    const area = h('textarea', { id: areaID, class: 'cedar', rows: 8, spellcheck: 'false', 'aria-describedby': errID });
    const labelID = `${areaID}-label`;
    let cm = null;
    queueMicrotask(() => {
      cm = cedarEditor(area, labelID, errID);
    });
    area.value = policy?.text ?? '@id("my-policy")\npermit (principal, action, resource)\nwhen { false };';
    const idInput = policy ? null : h('input', { id: idID, type: 'text', required: true });
    const err = h('p', { id: errID, class: 'error', role: 'alert' });
    const save = async (e) => {
      e.preventDefault();
      cm?.save();
      cm?.getWrapperElement().removeAttribute('aria-invalid');
      err.textContent = '';
      area.removeAttribute('aria-invalid');
      try {
        if (policy) await api.put(api.t('policies', policy.id), { text: area.value });
        else await api.post(api.t('policies'), { id: idInput.value.trim(), text: area.value });
        setStatus('Policy saved.', 'ok');
        policiesPage(main, { api });
      } catch (error) {
        const where = (error.problem?.errors ?? []).map((x) => (x.line ? `line ${x.line}, column ${x.column ?? '?'}: ${x.message}` : x.message)).join('; ');
        err.textContent = where || problemSummary(error.problem, error.status);
        area.setAttribute('aria-invalid', 'true');
        const first = error.problem?.errors?.[0];
        cm?.getWrapperElement().setAttribute('aria-invalid', 'true');
        if (first?.line) {
          // Put the caret where the problem is.
          if (cm) {
            cm.focus();
            cm.setCursor({ line: first.line - 1, ch: Math.max(0, (first.column ?? 1) - 1) });
          } else {
            const lines = area.value.split('\n');
            const offset = lines.slice(0, first.line - 1).reduce((n, l) => n + l.length + 1, 0) + Math.max(0, (first.column ?? 1) - 1);
            area.focus();
            area.setSelectionRange(offset, offset);
          }
        }
      }
    };
    return h('form', { class: 'policy', onsubmit: save, 'aria-label': policy ? `Policy ${policy.id}` : 'New policy' },
      policy ? h('h3', {}, `${policy.id} (version ${policy.version})`) : [h('label', { for: idID }, 'Policy id'), ' ', idInput],
      h('div', {}, h('label', { for: areaID, id: labelID }, 'Cedar')), area, err,
      h('button', { type: 'submit' }, policy ? 'Save a new version' : 'Add policy'),
      policy ? [' ', h('button', { type: 'button', onclick: async () => {
        if (!confirm(`Delete the policy "${policy.id}"?`)) return;
        try {
          await api.del(api.t('policies', policy.id));
          policiesPage(main, { api });
        } catch (error) {
          err.textContent = problemSummary(error.problem, error.status);
        }
      } }, 'Delete')] : null);
  };
  replace(main, h('div', { class: 'page' }, h('h1', {}, 'Policies'),
    h('h2', {}, "The tenant's policies"),
    own.length ? own.map(editor) : h('p', {}, 'None yet.'),
    h('details', {}, h('summary', {}, 'Add a policy'), editor(null)),
    simulator(api),
    h('h2', {}, 'Built-in defaults'),
    (body.defaults ?? []).map((d) => h('details', {}, h('summary', {}, d.file), h('pre', { class: 'json', tabindex: '0' }, d.text)))));
}

/** POST .../authorize: would this principal be allowed this action on this resource, and why. */
function simulator(api) {
  const field = (id, label, input) => h('label', { for: id }, label, input);
  const pType = h('select', { id: 'sim-ptype' }, h('option', { value: 'User' }, 'User'), h('option', { value: 'ApiToken' }, 'ApiToken'));
  const pID = h('input', { id: 'sim-pid', type: 'text', required: true });
  const action = h('input', { id: 'sim-action', type: 'text', required: true, placeholder: 'workflow.update' });
  const rType = h('input', { id: 'sim-rtype', type: 'text', required: true, placeholder: 'Workflow' });
  const rID = h('input', { id: 'sim-rid', type: 'text', required: true });
  const ctx = h('textarea', { id: 'sim-context', rows: 2, spellcheck: 'false' });
  ctx.value = '{}';
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'filters', onsubmit: async (e) => {
    e.preventDefault();
    let context;
    try {
      context = JSON.parse(ctx.value || '{}');
    } catch (error) {
      replace(out, h('p', { role: 'alert' }, `Context is not valid JSON: ${error.message}`));
      return;
    }
    try {
      const r = await api.post(api.t('authorize'), { principal: { type: pType.value, id: pID.value.trim() }, action: action.value.trim(), resource: { type: rType.value.trim(), id: rID.value.trim() }, context });
      replace(out,
        h('p', { class: r.decision === 'allow' ? 'st-succeeded' : 'st-failed' }, `Decision: ${r.decision}`),
        h('p', {}, `Determining policies: ${(r.determining ?? []).join(', ') || 'none (default deny)'}`),
        (r.errors ?? []).length ? h('p', { class: 'st-failed' }, `Errors: ${r.errors.join('; ')}`) : null,
        table('Policy evaluation', ['Policy', 'Effect', 'Outcome'], (r.policies ?? []).map((x) => h('tr', {}, h('td', {}, x.id), h('td', {}, x.effect), h('td', {}, x.outcome)))));
    } catch (error) {
      replace(out, h('p', { role: 'alert' }, problemSummary(error.problem, error.status)));
    }
  } },
  field('sim-ptype', 'Principal type', pType), field('sim-pid', 'Principal id', pID), field('sim-action', 'Action', action),
  field('sim-rtype', 'Resource type', rType), field('sim-rid', 'Resource id', rID), field('sim-context', 'Context (JSON)', ctx),
  h('button', { type: 'submit' }, 'Explain'));
  return h('section', { 'aria-labelledby': 'sim-title' }, h('h2', { id: 'sim-title' }, 'Simulate a request'), form, out);
}

export async function deadLettersPage(main, { api }) {
  try {
    const items = await api.all(api.t('dead-letters'), { query: { status: 'open' } });
    replace(main, h('div', { class: 'page' }, h('h1', {}, 'Dead letters'),
      h('p', {}, 'Steps and items that exhausted their retries, newest first. Re-driving runs the step (and what follows) again in the same run.'),
      table('Open dead letters', ['When', 'Run', 'Node', 'Item', 'Attempts', 'Error', 'Actions'], items.map((d) => h('tr', {},
        h('td', {}, formatTime(d.created_at)), h('td', {}, h('a', { href: `#/runs/${encodeURIComponent(d.run_id)}` }, d.run_id)),
        h('td', {}, d.node_id), h('td', {}, d.item_index === null || d.item_index === undefined ? '' : String(d.item_index)),
        h('td', {}, String(d.attempts)), h('td', {}, d.error),
        h('td', {}, h('button', { type: 'button', 'aria-label': `Re-drive ${d.node_id} of run ${d.run_id}`, onclick: async (e) => {
          e.target.disabled = true;
          try {
            await api.post(api.t('dead-letters', d.id, 'redrive'), {});
            setStatus('Re-driven.', 'ok');
            deadLettersPage(main, { api });
          } catch (error) {
            setStatus(`Could not re-drive: ${problemSummary(error.problem, error.status)}`, 'error');
            e.target.disabled = false;
          }
        } }, 'Re-drive')))))));
  } catch (error) {
    failure(main, 'dead letters', error);
  }
}

export async function quotasPage(main, { api }) {
  try {
    const q = await api.get(api.t('quotas'));
    replace(main, h('div', { class: 'page' }, h('h1', {}, 'Quotas'),
      h('p', {}, 'Set by platform administrators.'),
      table('Quotas', ['Quota', 'Limit'], Object.entries(q ?? {}).map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', {}, typeof v === 'object' ? JSON.stringify(v) : String(v)))))));
  } catch (error) {
    failure(main, 'quotas', error);
  }
}

export async function scimTokensPage(main, { api }) {
  try {
    const items = await api.all(api.t('scim-tokens'));
    replace(main, h('div', { class: 'page' }, h('h1', {}, 'SCIM tokens'),
      h('p', {}, 'Tokens your identity provider uses to provision users and groups; values are shown once, at creation.'),
      table('SCIM tokens', ['Name', 'Created', 'Expires', 'Revoked', 'Actions'], items.map((t) => h('tr', {},
        h('td', {}, t.name), h('td', {}, formatTime(t.created_at)), h('td', {}, formatTime(t.expires_at) || 'never'), h('td', {}, formatTime(t.revoked_at)),
        h('td', {}, t.revoked_at ? '' : h('button', { type: 'button', 'aria-label': `Revoke SCIM token ${t.name}`, onclick: async () => {
          if (!confirm(`Revoke the SCIM token "${t.name}"?`)) return;
          try {
            await api.del(api.t('scim-tokens', t.id));
            scimTokensPage(main, { api });
          } catch (error) {
            setStatus(`Could not revoke: ${problemSummary(error.problem, error.status)}`, 'error');
          }
        } }, 'Revoke')))))));
  } catch (error) {
    failure(main, 'SCIM tokens', error);
  }
}

const ROLES = ['viewer', 'operator', 'editor', 'auditor', 'admin', 'owner'];

function createTokenForm(main, api) {
  const name = h('input', { id: 'tok-name', type: 'text', required: true });
  const role = h('select', { id: 'tok-role' }, ROLES.map((r) => h('option', { value: r }, r)));
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'filters', 'aria-label': 'Create a token', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const created = await api.post(api.t('tokens'), { name: name.value.trim(), role: role.value });
      const value = h('input', { id: 'tok-value', type: 'text', readonly: true, size: '60', 'aria-describedby': 'tok-once' });
      value.value = created.token ?? '';
      replace(out, h('p', { id: 'tok-once' }, `Token "${created.name}" (${created.role}). Copy it now: it is not shown again and not kept by this page.`),
        h('label', { for: 'tok-value' }, 'Token'), ' ', value, ' ',
        h('button', { type: 'button', onclick: async () => {
          await navigator.clipboard?.writeText(value.value).catch(() => {});
          setStatus('Copied.', 'ok');
        } }, 'Copy'), ' ',
        h('button', { type: 'button', onclick: () => tokensPage(main, { api }) }, 'Done (forget it)'));
      value.select();
    } catch (error) {
      replace(out, h('p', { role: 'alert' }, problemSummary(error.problem, error.status)));
    }
  } }, h('label', { for: 'tok-name' }, 'Name', name), h('label', { for: 'tok-role' }, 'Role', role), h('button', { type: 'submit' }, 'Create token'));
  return h('section', {}, h('h2', {}, 'Create a token'), form, out);
}

function createSecretForm(main, api) {
  const name = h('input', { id: 'sec-name', type: 'text', required: true, autocomplete: 'off' });
  const value = h('input', { id: 'sec-value', type: 'password', autocomplete: 'new-password' });
  const generate = h('input', { id: 'sec-generate', type: 'checkbox' });
  const out = h('p', { role: 'status' });
  const form = h('form', { class: 'filters', 'aria-label': 'Add a secret', onsubmit: async (e) => {
    e.preventDefault();
    const body = generate.checked ? { name: name.value.trim(), generate: true } : { name: name.value.trim(), value: value.value };
    value.value = '';
    try {
      await api.post(api.t('secrets'), body);
      setStatus(`Secret "${body.name}" stored.`, 'ok');
      secretsPage(main, { api });
    } catch (error) {
      out.textContent = problemSummary(error.problem, error.status);
    }
  } }, h('label', { for: 'sec-name' }, 'Name', name), h('label', { for: 'sec-value' }, 'Value (never shown again)', value),
  h('label', { for: 'sec-generate' }, 'Generate a random value', generate), h('button', { type: 'submit' }, 'Add secret'));
  return h('section', {}, h('h2', {}, 'Add a secret'), form, out);
}

function rotateSecretForm(main, api, secret) {
  const id = `rot-${secret.id}`;
  const value = secret.generated ? null : h('input', { id, type: 'password', autocomplete: 'new-password', 'aria-label': `New value for ${secret.name}` });
  return h('form', { onsubmit: async (e) => {
    e.preventDefault();
    const body = value ? { value: value.value } : {};
    if (value) value.value = '';
    try {
      await api.post(api.t('secrets', secret.id, 'rotate'), body);
      setStatus(`Secret "${secret.name}" rotated.`, 'ok');
      secretsPage(main, { api });
    } catch (error) {
      setStatus(`Could not rotate: ${problemSummary(error.problem, error.status)}`, 'error');
    }
  } }, value, ' ', h('button', { type: 'submit', 'aria-label': `Rotate ${secret.name}` }, secret.generated ? 'Generate new value' : 'Rotate'));
}
