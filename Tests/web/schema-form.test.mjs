import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formFields, parseInput, formatValue, checkValue, validateConfig, secretReference } from '../../web/js/model/schema-form.js';
import { catalog } from './helpers.mjs';

const schemaOf = (type) => catalog().get(type).config_schema;
const field = (type, key) => formFields(schemaOf(type), type).find((f) => f.key === key);

test('fields get widgets from their schema; required ones come first', () => {
  const fields = formFields(schemaOf('http.request'), 'http.request');
  assert.equal(fields[0].key, 'url');
  assert.equal(fields[0].required, true);
  assert.equal(field('http.request', 'method').kind, 'select');
  assert.deepEqual(field('http.request', 'method').options, ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);
  assert.equal(field('http.request', 'ignore_errors').kind, 'checkbox');
  assert.equal(field('http.request', 'timeout_ms').kind, 'integer');
  assert.equal(field('http.request', 'headers').kind, 'json');
  assert.equal(field('timeseries.aggregate', 'group_by').kind, 'list');
  assert.equal(field('timeseries.aggregate', 'bucket_seconds').label, 'Bucket seconds');
  assert.equal(field('timeseries.aggregate', 'labels_field').kind, 'text', '["string", "null"] is a text field');
  assert.equal(formFields({ properties: { x: { type: ['string', 'integer'] } } }, 't')[0].kind, 'json');
});

test('jq and SQL programs are code fields with their mode; webhook secrets are chosen by name', () => {
  assert.deepEqual([field('jq', 'program').kind, field('jq', 'program').mode], ['code', 'jq']);
  assert.deepEqual([field('sql', 'query').kind, field('sql', 'query').mode], ['code', 'sql']);
  assert.equal(field('trigger.webhook', 'secret').kind, 'secret');
  assert.equal(field('trigger.webhook', 'path').kind, 'text');
  assert.equal(secretReference('prom_token'), '{{ secrets.prom_token }}');
});

test('typed input becomes config values, or an error to show beside the field', () => {
  assert.deepEqual(parseInput({ kind: 'integer' }, '60'), { value: 60 });
  assert.deepEqual(parseInput({ kind: 'integer' }, '1.5'), { error: 'must be a whole number' });
  assert.deepEqual(parseInput({ kind: 'number' }, 'abc'), { error: 'must be a number' });
  assert.deepEqual(parseInput({ kind: 'integer' }, ''), { value: undefined });
  assert.deepEqual(parseInput({ kind: 'list' }, 'host\n\n job \n'), { value: ['host', 'job'] });
  assert.match(parseInput({ kind: 'json' }, '{bad').error, /not valid JSON/);
  assert.deepEqual(parseInput({ kind: 'json' }, '{"a": "b"}'), { value: { a: 'b' } });
  assert.equal(formatValue({ kind: 'list' }, ['a', 'b']), 'a\nb');
  assert.equal(formatValue({ kind: 'json' }, { a: 1 }), '{\n  "a": 1\n}');
});

test('inline validation matches the schema bounds', () => {
  const bucket = schemaOf('timeseries.aggregate').properties.bucket_seconds;
  assert.equal(checkValue(bucket, 0), 'must be at least 1');
  assert.equal(checkValue(bucket, 60), null);
  assert.equal(checkValue(schemaOf('http.request').properties.url, ''), 'must not be empty');
  assert.equal(checkValue(schemaOf('http.request').properties.method, 'TRACE'), 'must be one of GET, POST, PUT, PATCH, DELETE, HEAD');
  assert.equal(checkValue({ type: 'number' }, 3), null, 'an integer is a number');
  assert.equal(checkValue({ type: 'integer' }, 'x'), 'must be integer');
  assert.equal(checkValue(schemaOf('http.request').properties.headers, { A: 1 }), '"A" must be string');
});

test('a whole config is checked for required, unknown and out-of-range fields', () => {
  const problems = validateConfig(schemaOf('http.request'), { method: 'GET', nope: 1, timeout_ms: 0 });
  assert.equal(problems.get('url'), 'is required');
  assert.equal(problems.get('nope'), 'is not a known field');
  assert.equal(problems.get('timeout_ms'), 'must be at least 1');
  assert.equal(validateConfig(schemaOf('http.request'), { url: 'http://x' }).size, 0);
});
