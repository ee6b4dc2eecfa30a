import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldEvents, describeEvent, chartSVG, svgDataURL, nodeResults, isTerminal } from '../../web/js/model/run.js';
import { Catalog } from '../../web/js/model/catalog.js';
import { nodeLabel, portLabel } from '../../web/js/model/a11y.js';
import { fixture, catalog } from './helpers.mjs';

test('folding a failed run gives node statuses, retries and the dead letter', () => {
  const { events } = fixture('run-failed-events.json');
  const state = foldEvents(events);
  assert.equal(state.status, 'failed');
  assert.equal(state.nodes.fetch.status, 'succeeded');
  assert.equal(state.nodes.sink.status, 'failed');
  assert.equal(state.nodes.sink.attempts, 3);
  assert.deepEqual(state.nodes.sink.errors.map((e) => e.willRetry), [true, true, false]);
  assert.ok(state.deadLetter, 'RunFailed names its dead letter');
  assert.equal(state.lastSeq, 17);
  assert.equal(isTerminal(state.status), true);
});

test('folding page by page equals folding at once, and repeated pages are ignored', () => {
  const { events } = fixture('run-failed-events.json');
  let state = foldEvents(events.slice(0, 6));
  assert.equal(state.status, 'running');
  assert.equal(isTerminal(state.status), false);
  state = foldEvents(events.slice(4, 12), state);
  state = foldEvents(events.slice(12), state);
  assert.deepEqual(state, foldEvents(events));
});

test('the timeline describes retries with their error', () => {
  const { events } = fixture('run-failed-events.json');
  const failed = events.find((e) => e.type === 'StepFailed');
  assert.match(describeEvent(failed), /^sink: failed \(attempt 1\): HTTP 501 .* retrying in \d+ ms$/s);
});

test('chart outputs are recognised and become data: URLs; anything else is not a chart', () => {
  const dry = fixture('dry-run.json');
  const svg = chartSVG(dry.nodes.chart.output);
  assert.ok(svg.startsWith('<svg'));
  const url = svgDataURL(svg);
  assert.ok(url.startsWith('data:image/svg+xml;charset=utf-8,%3Csvg'));
  assert.equal(decodeURIComponent(url.slice(url.indexOf(',') + 1)), svg);
  assert.equal(chartSVG({ svg: '<img src=x onerror=alert(1)>' }), null);
  assert.equal(chartSVG({ svg: 42 }), null);
  assert.equal(chartSVG(null), null);
  assert.equal(nodeResults(dry).sink.status, 'succeeded');
});

test('accessible names say type, name, id, status and ports', () => {
  const c = catalog();
  const node = { id: 'pick', type: 'jq', name: 'Pick items' };
  assert.equal(nodeLabel(node, c.get('jq'), 'failed'), 'jq node “Pick items” (id pick), status failed, inputs: in; outputs: out');
  assert.equal(nodeLabel({ id: 's', type: 'trigger.manual', name: '' }, c.get('trigger.manual')), 'Manual trigger node (id s), inputs: none; outputs: out');
  assert.equal(portLabel(node, 'in', c.port('chart', 'in', 'in')), 'input port in of Pick items (accepts object or array)');
});

test('the catalog groups by category in palette order and searches by words', () => {
  const c = catalog();
  const names = c.categories().map((g) => g.name);
  assert.equal(names[0], 'Triggers');
  assert.equal(names.at(-1), 'Sinks');
  assert.equal(c.search('prom')[0].name, 'sink.prometheus');
  assert.equal(c.search('jq')[0].name, 'jq');
  assert.deepEqual(c.search('time series').map((t) => t.name).slice(0, 1), ['timeseries.aggregate']);
  assert.deepEqual(c.search('zzzz'), []);
  assert.equal(c.search('').length, 22);
  assert.throws(() => new Catalog({}), /items/);
});
