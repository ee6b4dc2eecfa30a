// Static guards for the rules the Content-Security-Policy and the XSS tests rely on: no HTML
// parsing of strings, no eval, no inline scripts or styles, no tokens in storage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const WEB = new URL('../../web/', import.meta.url).pathname;

function ourFiles(dir = WEB) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'vendor') continue;
    if (statSync(path).isDirectory()) out.push(...ourFiles(path));
    else out.push(path);
  }
  return out;
}

test('our scripts never parse strings as HTML or code, nor keep anything in web storage', () => {
  const forbidden = [/\.innerHTML\b/, /\.outerHTML\b/, /insertAdjacentHTML/, /document\.write/, /\beval\s*\(/, /new\s+Function\s*\(/,
    /localStorage/, /sessionStorage/, /setAttribute\(\s*['"]style['"]/, /setAttribute\(\s*['"]on/, /\.srcdoc\b/, /createContextualFragment/, /DOMParser/];
  const scripts = ourFiles().filter((f) => f.endsWith('.js'));
  assert.ok(scripts.length > 15, 'found the scripts');
  const hits = [];
  for (const file of scripts) {
    const text = readFileSync(file, 'utf8');
    for (const re of forbidden) if (re.test(text)) hits.push(`${file.slice(WEB.length)}: ${re}`);
  }
  assert.deepEqual(hits, []);
});

test('index.html has no inline script or style and loads everything from /app/', () => {
  const html = readFileSync(join(WEB, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'every <script> has a src');
  assert.doesNotMatch(html, /<style/);
  assert.doesNotMatch(html, /\sstyle=/);
  assert.doesNotMatch(html, /\son[a-z]+=/i);
  const refs = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  for (const ref of refs) assert.ok(ref.startsWith('/app/') || ref.startsWith('#') || ref === 'data:,', `${ref} is served by the gateway`);
  for (const ref of refs.filter((r) => r.startsWith('/app/'))) statSync(join(WEB, ref.slice('/app/'.length)));
});

test('the run view shows chart SVG only through an image data: URL', () => {
  const text = readFileSync(join(WEB, 'js/ui/runpanel.js'), 'utf8');
  assert.match(text, /h\('img', \{ class: 'chart', src: svgDataURL\(chart\)/);
});

test('state-changing requests carry the CSRF token and same-origin credentials', () => {
  const text = readFileSync(join(WEB, 'js/ui/api.js'), 'utf8');
  assert.match(text, /X-CSRF-Token/);
  assert.match(text, /credentials: 'same-origin'/);
});
