import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { toYAML } from '../../web/js/model/yaml.js';
import { fixture } from './helpers.mjs';

test('YAML export writes block style and quotes what would not read back as a string', () => {
  const yaml = toYAML({ name: 'hello', count: 3, y: 'n', ok: true, none: null, list: ['a', 'true', '1.5', ''], empty: {}, nested: { k: 'x: y' } });
  assert.equal(yaml, [
    'name: hello', 'count: 3', '"y": "n"', 'ok: true', 'none: null',
    'list:', '  - a', '  - "true"', '  - "1.5"', '  - ""',
    'empty: {}', 'nested:', '  k: "x: y"', '',
  ].join('\n'));
});

test('a whole workflow survives a YAML round trip (checked with PyYAML when present)', (t) => {
  const workflow = fixture('workflow.json');
  const doc = { name: workflow.name, description: workflow.description, definition: workflow.definition };
  const yaml = toYAML(doc);
  assert.match(yaml, /^name: "canonical <img src=x onerror=alert\(1\)>"$/m);
  assert.match(yaml, /^  nodes:\n    - config: \{\}/m);
  let parsed;
  try {
    parsed = execFileSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], { input: yaml, encoding: 'utf8' });
  } catch {
    t.skip('python3 with PyYAML is not available');
    return;
  }
  assert.deepEqual(JSON.parse(parsed), doc);
});
