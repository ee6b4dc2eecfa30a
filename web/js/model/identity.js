// Identity providers, single sign-on settings and the group-to-role mapping as the screens
// need them, no DOM: request bodies from form values (only what the admin filled in, so the
// server's defaults apply), 422 problems by field, what an admin must give the IdP, and the
// sign-in page's links.

/** Splits "openid email, groups" into ["openid", "email", "groups"]. */
export function splitList(text) {
  return String(text ?? '').split(/[\s,]+/).filter(Boolean);
}

const trimmed = (v) => String(v ?? '').trim();

/**
 * The POST body for a new provider from the form's values:
 * {type: 'oidc', name, issuer, client_id, client_secret, scopes (text), groups_claim}
 * {type: 'saml', name, source: 'metadata_xml'|'metadata_url'|'manual', metadata_xml,
 *  metadata_url, entity_id, sso_url, certificate_pem, allow_idp_initiated, groups_attribute}.
 * Empty optional fields are left out; the client secret is passed as typed (not trimmed).
 */
export function providerBody(v) {
  const body = { type: v.type, name: trimmed(v.name) };
  if (v.type === 'oidc') {
    body.issuer = trimmed(v.issuer);
    body.client_id = trimmed(v.client_id);
    body.client_secret = String(v.client_secret ?? '');
    const scopes = splitList(v.scopes);
    if (scopes.length) body.scopes = scopes;
    if (trimmed(v.groups_claim)) body.groups_claim = trimmed(v.groups_claim);
    return body;
  }
  const source = v.source ?? 'metadata_xml';
  if (source === 'metadata_xml') body.metadata_xml = String(v.metadata_xml ?? '').trim();
  else if (source === 'metadata_url') body.metadata_url = trimmed(v.metadata_url);
  else {
    body.entity_id = trimmed(v.entity_id);
    body.sso_url = trimmed(v.sso_url);
    body.certificate_pem = String(v.certificate_pem ?? '').trim();
  }
  body.allow_idp_initiated = Boolean(v.allow_idp_initiated);
  if (trimmed(v.groups_attribute)) body.groups_attribute = trimmed(v.groups_attribute);
  return body;
}

/**
 * A 422 problem's `errors` by field: {byField: Map<field, [message]>, general: [text]}.
 * Fields not in `known` (or errors without one) are general, with their field named.
 */
export function fieldErrors(problem, known = []) {
  const byField = new Map();
  const general = [];
  const errors = Array.isArray(problem?.errors) ? problem.errors : [];
  for (const e of errors) {
    const field = typeof e?.field === 'string' ? e.field : null;
    const message = String(e?.message ?? '');
    if (field && known.includes(field)) byField.set(field, [...(byField.get(field) ?? []), message]);
    else general.push(field ? `${field}: ${message}` : message);
  }
  if (!errors.length && problem?.detail) general.push(String(problem.detail));
  return { byField, general };
}

/**
 * What an admin must enter at the identity provider for this provider, from the API's answer:
 * [{label, value}] (OIDC: the redirect URI; SAML: SP entity id, ACS URL, SP metadata URL).
 */
export function idpSetup(provider) {
  const rows = provider?.type === 'saml'
    ? [['SP entity ID', provider.sp_entity_id], ['Assertion consumer service (ACS) URL', provider.acs_url], ['SP metadata URL', provider.metadata_url]]
    : [['Redirect URI', provider?.redirect_uri]];
  return rows.filter(([, value]) => typeof value === 'string' && value).map(([label, value]) => ({ label, value }));
}

/** The provider's own settings worth showing (never a secret; the API has none to show). */
export function providerSummary(provider) {
  if (provider?.type === 'saml') {
    return [['IdP entity ID', provider.entity_id], ['IdP sign-on URL', provider.sso_url],
      ['Signing certificates', provider.certificate_count === undefined ? undefined : String(provider.certificate_count)],
      ['IdP-initiated sign-in', provider.allow_idp_initiated ? 'allowed' : 'refused'],
      ['Groups attribute', provider.groups_attribute ?? '(none)']]
      .filter(([, v]) => v !== undefined && v !== null).map(([label, value]) => ({ label, value: String(value) }));
  }
  return [['Issuer', provider?.issuer], ['Client ID', provider?.client_id], ['Scopes', (provider?.scopes ?? []).join(' ')],
    ['Groups claim', provider?.groups_claim ?? '(none)'], ['Client secret', provider?.client_secret_name ? `stored as tenant secret ${provider.client_secret_name}` : undefined]]
    .filter(([, v]) => v !== undefined && v !== null && v !== '').map(([label, value]) => ({ label, value: String(value) }));
}

/** The PUT body of the SSO settings from form values, or {error: {field, message}}. */
export function settingsBody(v) {
  const body = { jit_provisioning: Boolean(v.jit_provisioning) };
  for (const key of ['session_idle_minutes', 'session_absolute_minutes']) {
    const text = trimmed(v[key]);
    if (!/^\d+$/.test(text)) return { error: { field: key, message: 'must be a whole number of minutes' } };
    body[key] = Number(text);
  }
  return { body };
}

/** {"group": "role"} -> [{group, role}], sorted by group. */
export function mappingRows(mappings) {
  return Object.entries(mappings ?? {}).map(([group, role]) => ({ group, role: String(role) })).sort((a, b) => a.group.localeCompare(b.group));
}

/**
 * [{group, role}] -> {mappings} for the PUT, or {error: {index, message}} for a row without a
 * group name or a group named twice. Rows with neither group nor role are skipped.
 */
export function mappingsBody(rows) {
  const mappings = {};
  for (const [index, row] of rows.entries()) {
    const group = trimmed(row.group);
    if (!group && !row.role) continue;
    if (!group) return { error: { index, message: 'a group name is required' } };
    if (Object.hasOwn(mappings, group)) return { error: { index, message: `the group "${group}" is mapped twice` } };
    mappings[group] = row.role;
  }
  return { mappings };
}

/** The group a group-roles error names ("mappings.eng" -> "eng"), or null. */
export function mappingErrorGroup(field) {
  return typeof field === 'string' && field.startsWith('mappings.') ? field.slice('mappings.'.length) : null;
}

/**
 * Where a sign-in button leads: the provider's login URL (a local path from GET /sso/{tenant})
 * with `return_to` the page's local path. Anything but a local path is refused (null), so a
 * hostile answer cannot send the browser elsewhere.
 */
export function signInURL(loginURL, returnTo) {
  if (typeof loginURL !== 'string' || !loginURL.startsWith('/') || loginURL.startsWith('//') || loginURL.includes('\\')) return null;
  const back = localPath(returnTo);
  return `${loginURL}${loginURL.includes('?') ? '&' : '?'}return_to=${encodeURIComponent(back)}`;
}

/** A local path to come back to ("/", "/#/workflows"); anything else becomes "/". */
export function localPath(path) {
  return typeof path === 'string' && path.startsWith('/') && !path.startsWith('//') && !path.includes('\\') ? path : '/';
}

/** The tenant as typed, trimmed; empty means "default". */
export function tenantOrDefault(text) {
  return trimmed(text) || 'default';
}
