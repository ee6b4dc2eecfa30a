// Boot: the session decides between the sign-in screen and the app; then a small hash router.
import { h, replace } from './ui/dom.js';
import { api } from './ui/api.js';
import { initAnnouncer, setStatus } from './ui/announce.js';
import { Catalog } from './model/catalog.js';
import { editorPage } from './ui/editor-page.js';
import { workflowsPage, auditPage, tokensPage, secretsPage, policiesPage, deadLettersPage, quotasPage, scimTokensPage } from './ui/pages.js';
import { showShortcuts } from './ui/shortcuts.js';
import { identityProvidersPage, ssoChooser } from './ui/identity.js';
import { problemSummary } from './model/problems.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
initAnnouncer(document.getElementById('live'), document.getElementById('status'));

let ctx = null;
let current = null; // {isDirty()} of the editor on screen

function signIn(message) {
  nav.hidden = true;
  replace(who);
  const returnTo = `${location.pathname}${location.search}${location.hash}`;
  replace(main, h('div', { class: 'signin' },
    h('h1', {}, 'Sign in to Flowgate'),
    message ? h('p', { role: 'alert' }, message) : null,
    h('p', {}, 'Sign in through your tenant\'s single sign-on below, or open the one-time sign-in link printed when the server first started (http://…/login?code=…).'),
    ssoChooser(api, { tenant: new URLSearchParams(location.search).get('tenant') || 'default', returnTo })));
}

async function boot() {
  let session;
  try {
    session = await api.get('/api/v1/session');
  } catch (error) {
    if (error.status === 401) return signIn();
    replace(main, h('div', { class: 'page' }, h('h1', {}, 'Flowgate is unavailable'), h('p', { role: 'alert' }, problemSummary(error.problem, error.status))));
    return;
  }
  api.csrf = session.csrf_token;
  api.tenant = session.tenant;
  // A session that ends mid-edit must not throw the editor away: say so and keep the page.
  api.onUnauthorized = () => setStatus('Your session has ended. Sign in again in another tab (your changes here are kept), then retry.', 'error');
  const catalog = new Catalog(await api.get('/api/v1/node-types'));
  ctx = { api, catalog, session };
  nav.hidden = false;
  replace(who,
    h('span', {}, `${session.principal?.name ?? session.principal?.id ?? ''} · ${session.tenant}`),
    h('button', { type: 'button', onclick: async () => {
      try {
        await api.post('/api/v1/session/logout', {});
      } finally {
        signIn('You are signed out.');
      }
    } }, 'Sign out'));
  window.addEventListener('hashchange', route);
  window.addEventListener('beforeunload', (e) => {
    if (current?.isDirty?.()) e.preventDefault();
  });
  document.addEventListener('keydown', (e) => {
    const typing = e.target.closest?.('input, textarea, select, [contenteditable], .CodeMirror');
    if (e.key === '?' && !typing && !document.querySelector('dialog[open]')) {
      e.preventDefault();
      showShortcuts();
    }
  });
  route();
}

let lastHash = null;
async function route() {
  if (!ctx) return;
  const hash = location.hash || '#/workflows';
  if (current?.isDirty?.() && lastHash && hash !== lastHash && !confirm('Leave the editor? Unsaved changes will be lost.')) {
    history.replaceState(null, '', lastHash);
    return;
  }
  lastHash = hash;
  const parts = hash.slice(2).split('/').map(decodeURIComponent);
  for (const a of nav.querySelectorAll('a')) {
    if (a.getAttribute('href') === `#/${parts[0]}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  current = null;
  setStatus('');
  try {
    switch (parts[0]) {
      case 'editor':
        current = await editorPage(main, ctx, {});
        break;
      case 'workflows':
        if (parts[1]) current = await editorPage(main, ctx, { workflowID: parts[1] });
        else await workflowsPage(main, ctx);
        break;
      case 'runs':
        current = await editorPage(main, ctx, { runID: parts[1] });
        break;
      case 'audit':
        await auditPage(main, ctx);
        break;
      case 'tokens':
        await tokensPage(main, ctx);
        break;
      case 'secrets':
        await secretsPage(main, ctx);
        break;
      case 'policies':
        await policiesPage(main, ctx);
        break;
      case 'dead-letters':
        await deadLettersPage(main, ctx);
        break;
      case 'quotas':
        await quotasPage(main, ctx);
        break;
      case 'scim-tokens':
        await scimTokensPage(main, ctx);
        break;
      case 'identity-providers':
        await identityProvidersPage(main, ctx);
        break;
      default:
        await workflowsPage(main, ctx);
    }
  } catch (error) {
    replace(main, h('div', { class: 'page' }, h('h1', {}, 'Something went wrong'), h('p', { role: 'alert' }, error.problem ? problemSummary(error.problem, error.status) : String(error.message ?? error))));
  }
  document.title = `Flowgate · ${parts[0] || 'workflows'}`;
}

boot();
