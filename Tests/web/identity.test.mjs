// The identity-provider and sign-in model: request bodies hold only what the admin filled in,
// 422 errors land on their fields, setup values come from the server's answer, and sign-in
// links stay local.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  providerBody, fieldErrors, idpSetup, providerSummary, settingsBody, mappingRows, mappingsBody, mappingErrorGroup, signInURL, localPath,
  splitList, tenantOrDefault,
} from '../../web/js/model/identity.js';

// Answers captured from the real gateway (POST .../identity-providers).
const OIDC = {
  client_id: 'abc', client_secret_name: 'sso_8d96983c446840f2b261adb000efabd3', created_at: '2026-11-27T14:25:01.345Z', groups_claim: 'groups',
  id: '8d96983c-4468-40f2-b261-adb000efabd3', issuer: 'https://idp.example.test',
  login_url: 'http://127.0.0.1:18931/sso/default/8d96983c-4468-40f2-b261-adb000efabd3/login', name: 'Okta',
  redirect_uri: 'http://127.0.0.1:18931/sso/default/8d96983c-4468-40f2-b261-adb000efabd3/callback', scopes: ['openid', 'email'],
  token_endpoint_auth: 'client_secret_basic', type: 'oidc', updated_at: '2026-11-27T14:25:01.345Z',
};
const SAML = {
  acs_url: 'http://127.0.0.1:18931/sso/default/1269bb8d/acs', allow_idp_initiated: true, certificate_count: 1, entity_id: 'https://idp.example.test/metadata',
  groups_attribute: 'memberOf', id: '1269bb8d', login_url: 'http://127.0.0.1:18931/sso/default/1269bb8d/login',
  metadata_url: 'http://127.0.0.1:18931/sso/default/1269bb8d/metadata', name: 'ADFS', sp_entity_id: 'http://127.0.0.1:18931/sso/default/1269bb8d/metadata',
  sso_url: 'https://idp.example.test/sso', type: 'saml',
};

test('an OIDC body carries the secret as typed and leaves empty optional fields to the server', () => {
  assert.deepEqual(providerBody({ type: 'oidc', name: ' Okta ', issuer: ' https://idp.example.test ', client_id: 'abc', client_secret: ' s3 ', scopes: '', groups_claim: '' }),
    { type: 'oidc', name: 'Okta', issuer: 'https://idp.example.test', client_id: 'abc', client_secret: ' s3 ' });
  assert.deepEqual(providerBody({ type: 'oidc', name: 'x', issuer: 'i', client_id: 'c', client_secret: 's', scopes: 'openid, email  groups', groups_claim: 'roles' }).scopes,
    ['openid', 'email', 'groups']);
  assert.equal(providerBody({ type: 'oidc', name: 'x', scopes: '', groups_claim: 'roles' }).groups_claim, 'roles');
});

test('a SAML body sends only the chosen source of the IdP details', () => {
  const values = { type: 'saml', name: 'ADFS', metadata_xml: ' <md/> ', metadata_url: 'https://m', entity_id: 'e', sso_url: 's', certificate_pem: 'p', allow_idp_initiated: true, groups_attribute: '' };
  assert.deepEqual(providerBody({ ...values, source: 'metadata_xml' }), { type: 'saml', name: 'ADFS', metadata_xml: '<md/>', allow_idp_initiated: true });
  assert.deepEqual(providerBody({ ...values, source: 'metadata_url', groups_attribute: 'memberOf' }),
    { type: 'saml', name: 'ADFS', metadata_url: 'https://m', allow_idp_initiated: true, groups_attribute: 'memberOf' });
  assert.deepEqual(providerBody({ ...values, source: 'manual', allow_idp_initiated: false }),
    { type: 'saml', name: 'ADFS', entity_id: 'e', sso_url: 's', certificate_pem: 'p', allow_idp_initiated: false });
  assert.ok(!('client_secret' in providerBody({ ...values, client_secret: 'x' })));
});

test('422 errors land on the fields the form has; the rest are general', () => {
  const problem = { status: 422, detail: 'issuer: must be an https URL', errors: [{ field: 'issuer', message: 'must be an https URL' }, { field: 'token_endpoint_auth', message: 'bad' }, { message: 'other' }] };
  const { byField, general } = fieldErrors(problem, ['issuer', 'name']);
  assert.deepEqual([...byField], [['issuer', ['must be an https URL']]]);
  assert.deepEqual(general, ['token_endpoint_auth: bad', 'other']);
  assert.deepEqual(fieldErrors({ status: 409, detail: 'an identity provider named "Okta" already exists' }, ['name']).general, ['an identity provider named "Okta" already exists']);
  assert.deepEqual(fieldErrors(null).general, []);
});

test('what to give the IdP comes from the answer: redirect URI for OIDC, SP entity ID, ACS and metadata URLs for SAML', () => {
  assert.deepEqual(idpSetup(OIDC), [{ label: 'Redirect URI', value: OIDC.redirect_uri }]);
  assert.deepEqual(idpSetup(SAML).map((r) => r.value), [SAML.sp_entity_id, SAML.acs_url, SAML.metadata_url]);
  assert.deepEqual(idpSetup({ type: 'oidc' }), []);
});

test('the settings shown never include a secret, only the name it is stored under', () => {
  const text = JSON.stringify(providerSummary(OIDC));
  assert.match(text, /stored as tenant secret sso_8d96/);
  assert.deepEqual(providerSummary(SAML).map((r) => r.label), ['IdP entity ID', 'IdP sign-on URL', 'Signing certificates', 'IdP-initiated sign-in', 'Groups attribute']);
  assert.equal(providerSummary({ ...SAML, groups_attribute: null }).at(-1).value, '(none)');
});

test('SSO settings are whole minutes', () => {
  assert.deepEqual(settingsBody({ jit_provisioning: false, session_idle_minutes: '30', session_absolute_minutes: ' 600 ' }),
    { body: { jit_provisioning: false, session_idle_minutes: 30, session_absolute_minutes: 600 } });
  assert.deepEqual(settingsBody({ jit_provisioning: true, session_idle_minutes: '1.5', session_absolute_minutes: '600' }).error.field, 'session_idle_minutes');
  assert.deepEqual(settingsBody({ session_idle_minutes: '5', session_absolute_minutes: '' }).error.field, 'session_absolute_minutes');
});

test('group-role rows round-trip, refuse nameless and doubled groups, and errors find their group', () => {
  assert.deepEqual(mappingRows({ ops: 'operator', eng: 'editor' }), [{ group: 'eng', role: 'editor' }, { group: 'ops', role: 'operator' }]);
  assert.deepEqual(mappingsBody([{ group: ' eng ', role: 'editor' }, { group: '', role: '' }]), { mappings: { eng: 'editor' } });
  assert.deepEqual(mappingsBody([{ group: '', role: 'viewer' }]).error.index, 0);
  assert.match(mappingsBody([{ group: 'a', role: 'viewer' }, { group: 'a ', role: 'admin' }]).error.message, /mapped twice/);
  assert.deepEqual(mappingsBody([]), { mappings: {} });
  assert.equal(mappingErrorGroup('mappings.eng.team'), 'eng.team');
  assert.equal(mappingErrorGroup('mappings'), null);
});

test('sign-in links are local and carry the way back', () => {
  assert.equal(signInURL('/sso/default/abc/login', '/#/workflows/1'), '/sso/default/abc/login?return_to=%2F%23%2Fworkflows%2F1');
  assert.equal(signInURL('/sso/default/abc/login?x=1', '/'), '/sso/default/abc/login?x=1&return_to=%2F');
  assert.equal(signInURL('/sso/default/abc/login', 'https://evil.example/'), '/sso/default/abc/login?return_to=%2F');
  for (const bad of ['https://evil.example/login', '//evil.example/x', 'javascript:alert(1)', '/\\evil', null]) assert.equal(signInURL(bad, '/'), null, String(bad));
  assert.equal(localPath('//x'), '/');
  assert.deepEqual(splitList(' a,b  c '), ['a', 'b', 'c']);
  assert.equal(tenantOrDefault('  '), 'default');
  assert.equal(tenantOrDefault(' acme '), 'acme');
});
