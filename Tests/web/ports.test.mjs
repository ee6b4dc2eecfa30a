import { test } from 'node:test';
import assert from 'node:assert/strict';
import { incompatibility, connectionProblem, connectionTargets } from '../../web/js/model/ports.js';
import { Graph } from '../../web/js/model/graph.js';
import { catalog } from './helpers.mjs';

test('type compatibility follows the server rule', () => {
  assert.equal(incompatibility({ type: 'integer' }, { type: 'number' }), null);
  assert.equal(incompatibility({}, { type: 'array' }), null, 'untyped output goes anywhere');
  assert.equal(incompatibility({ type: 'object' }, {}), null, 'untyped input takes anything');
  assert.equal(incompatibility({ type: ['object', 'array'] }, { type: ['array', 'object'] }), null);
  assert.equal(
    incompatibility({ type: 'object' }, { type: 'array' }),
    'the output produces object but the input accepts array',
  );
  assert.match(incompatibility({ type: 'number' }, { type: 'integer' }), /produces number/);
});

function pipeline() {
  const g = new Graph();
  g.addNode({ id: 'fetch', type: 'http.request' });
  g.addNode({ id: 'agg', type: 'timeseries.aggregate' });
  g.addNode({ id: 'pick', type: 'jq' });
  g.addNode({ id: 'chart', type: 'chart' });
  g.addNode({ id: 'start', type: 'trigger.manual' });
  return g;
}

test('an object output cannot feed an array input, and the reason says so', () => {
  const g = pipeline();
  const reason = connectionProblem(g, catalog(), { node: 'fetch', port: 'out' }, { node: 'agg', port: 'in' });
  assert.equal(reason, 'the output produces object but the input accepts array');
  assert.equal(connectionProblem(g, catalog(), { node: 'pick', port: 'out' }, { node: 'agg', port: 'in' }), null);
});

test('unknown ports, triggers as targets, self-loops, duplicates and cycles are refused', () => {
  const g = pipeline();
  const c = catalog();
  assert.match(connectionProblem(g, c, { node: 'fetch', port: 'nope' }, { node: 'pick', port: 'in' }), /no output port "nope"/);
  assert.match(connectionProblem(g, c, { node: 'fetch', port: 'out' }, { node: 'start', port: 'in' }), /trigger.manual has no input port "in"/);
  assert.equal(connectionProblem(g, c, { node: 'pick', port: 'out' }, { node: 'pick', port: 'in' }), 'a node cannot connect to itself');
  g.addEdge('fetch.out', 'pick.in');
  assert.equal(connectionProblem(g, c, { node: 'fetch', port: 'out' }, { node: 'pick', port: 'in' }), 'these ports are already connected');
  g.addEdge('pick.out', 'agg.in');
  assert.match(connectionProblem(g, c, { node: 'agg', port: 'out' }, { node: 'fetch', port: 'in' }), /cycle/);
  assert.match(connectionProblem(g, c, { node: 'ghost', port: 'out' }, { node: 'fetch', port: 'in' }), /no node "ghost"/);
});

test('connection targets mark compatible inputs and explain the others', () => {
  const g = pipeline();
  const targets = connectionTargets(g, catalog(), { node: 'fetch', port: 'out' });
  const by = Object.fromEntries(targets.map((t) => [t.node, t.problem]));
  assert.equal(by.pick, null);
  assert.equal(by.chart, null, 'chart takes object or array');
  assert.match(by.agg, /accepts array/);
  assert.match(by.fetch, /itself/);
  assert.ok(!('start' in by), 'a trigger has no input to offer');
});
