// The list screens: workflows, and for tenant admins the audit log (with filters), API tokens,
// secret names and policies. Everything the server sends is set as text.
import { h, replace, formatTime, jsonBlock } from './dom.js';
import { setStatus } from './announce.js';
import { problemSummary } from '../model/problems.js';

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
    field('action', 'Action (e.g. workflow.update)'), field('principal', 'Principal'), field('outcome', 'Outcome', ['', 'success', 'failure', 'denied']),
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
      h('p', {}, 'Token values are shown once, when created with the API; this list holds metadata only.'),
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
      h('p', {}, 'Names and versions only: secret values are never returned by the server. Use one in a node as {{ secrets.name }}.'),
      table('Secrets', ['Name', 'Kind', 'Version', 'Last rotated', 'Rotation interval', 'Limited to workflows'], items.map((s) => h('tr', {},
        h('td', {}, s.name), h('td', {}, s.kind ?? ''), h('td', {}, String(s.version ?? '')), h('td', {}, formatTime(s.last_rotated_at)),
        h('td', {}, s.rotation_interval_seconds ? `${s.rotation_interval_seconds} s` : ''), h('td', {}, (s.workflow_ids ?? []).join(', ') || 'all'))))));
  } catch (error) {
    failure(main, 'secrets', error);
  }
}

export async function policiesPage(main, { api }) {
  try {
    const body = await api.get(api.t('policies'));
    const own = body.items ?? body.policies ?? [];
    replace(main, h('div', { class: 'page' }, h('h1', {}, 'Policies'),
      h('h2', {}, "The tenant's policies"),
      own.length ? own.map((p) => h('section', {}, h('h3', {}, p.name ?? p.id ?? 'policy'), jsonBlock(p.text ?? p, `Policy ${p.name ?? ''}`))) : h('p', {}, 'None yet.'),
      h('h2', {}, 'Built-in defaults'),
      (body.defaults ?? []).map((d) => h('details', {}, h('summary', {}, d.file), h('pre', { class: 'json', tabindex: '0' }, d.text)))));
  } catch (error) {
    failure(main, 'policies', error);
  }
}
