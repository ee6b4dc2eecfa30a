import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph, freshNodeID } from '../../web/js/model/graph.js';
import { parseEndpoint, isValidNodeID } from '../../web/js/model/endpoint.js';
import { wouldCreateCycle, topologicalOrder } from '../../web/js/model/cycles.js';

test('endpoints split at the last dot and default their port', () => {
  assert.deepEqual(parseEndpoint('a.out', 'out'), { node: 'a', port: 'out' });
  assert.deepEqual(parseEndpoint('b', 'in'), { node: 'b', port: 'in' });
  assert.deepEqual(parseEndpoint('x.y.true', 'out'), { node: 'x.y', port: 'true' });
});

test('node ids follow the server rule', () => {
  assert.ok(isValidNodeID('fetch_1'));
  assert.ok(isValidNodeID('_a-b'));
  assert.ok(!isValidNodeID('1abc'));
  assert.ok(!isValidNodeID('a.b'));
  assert.ok(!isValidNodeID('x'.repeat(65)));
});

test('removing a node removes its edges and reports them', () => {
  const g = new Graph();
  for (const id of ['a', 'b', 'c']) g.addNode({ id, type: 'core.noop' });
  g.addEdge('a.out', 'b.in');
  g.addEdge('b.out', 'c.in');
  const removed = g.removeNode('b');
  assert.equal(removed.edges.length, 2);
  assert.equal(g.edges.size, 0);
  assert.deepEqual([...g.nodes.keys()], ['a', 'c']);
});

test('adding a duplicate node id throws', () => {
  const g = new Graph();
  g.addNode({ id: 'a', type: 'core.noop' });
  assert.throws(() => g.addNode({ id: 'a', type: 'core.noop' }), /already exists/);
});

test('fresh ids are valid and unique per type', () => {
  const g = new Graph();
  g.addNode({ id: 'http_request_1', type: 'http.request' });
  const id = freshNodeID(g, 'http.request');
  assert.equal(id, 'http_request_2');
  assert.ok(isValidNodeID(id));
  assert.ok(isValidNodeID(freshNodeID(g, '9lives.type')));
});

test('an edge back to an ancestor or to itself would make a cycle', () => {
  const g = new Graph();
  for (const id of ['a', 'b', 'c', 'd']) g.addNode({ id, type: 'core.noop' });
  g.addEdge('a.out', 'b.in');
  g.addEdge('b.out', 'c.in');
  assert.equal(wouldCreateCycle(g, 'c', 'a'), true);
  assert.equal(wouldCreateCycle(g, 'b', 'b'), true);
  assert.equal(wouldCreateCycle(g, 'a', 'c'), false);
  assert.equal(wouldCreateCycle(g, 'c', 'd'), false);
});

test('topological order lists dependencies first and names a node on a cycle', () => {
  const g = new Graph();
  for (const id of ['c', 'b', 'a']) g.addNode({ id, type: 'core.noop' });
  g.addEdge('a.out', 'b.in');
  g.addEdge('b.out', 'c.in');
  assert.deepEqual(topologicalOrder(g).order, ['a', 'b', 'c']);
  assert.equal(topologicalOrder(g).cycleNode, null);
  g.addEdge('c.out', 'a.in');
  assert.ok(['a', 'b', 'c'].includes(topologicalOrder(g).cycleNode));
});

test('clone is deep', () => {
  const g = new Graph();
  g.addNode({ id: 'a', type: 'core.set', config: { fields: { k: 'v' } } });
  const copy = g.clone();
  copy.nodes.get('a').config.fields.k = 'changed';
  assert.equal(g.nodes.get('a').config.fields.k, 'v');
});

test('ancestors are every node with a path to the given one', async () => {
  const { ancestors } = await import('../../web/js/model/cycles.js');
  const g = new Graph();
  for (const id of ['a', 'b', 'c', 'd', 'e']) g.addNode({ id, type: 'core.noop' });
  g.addEdge('a.out', 'c.in');
  g.addEdge('b.out', 'c.in');
  g.addEdge('c.out', 'd.in');
  assert.deepEqual([...ancestors(g, 'd')].sort(), ['a', 'b', 'c']);
  assert.deepEqual([...ancestors(g, 'a')], []);
  assert.deepEqual([...ancestors(g, 'e')], []);
});

test('checking every port of a 500-node chain against one source stays fast', async () => {
  const { connectionTargets } = await import('../../web/js/model/ports.js');
  const { catalog } = await import('./helpers.mjs');
  const g = new Graph();
  for (let i = 0; i < 500; i++) g.addNode({ id: `n${i}`, type: 'core.noop' });
  for (let i = 1; i < 500; i++) g.addEdge(`n${i - 1}.out`, `n${i}.in`);
  const started = performance.now();
  const targets = connectionTargets(g, catalog(), { node: 'n250', port: 'out' });
  const elapsed = performance.now() - started;
  assert.equal(targets.filter((t) => t.problem && /cycle/.test(t.problem)).length, 250, 'n0..n249 are upstream');
  assert.ok(elapsed < 500, `took ${elapsed} ms`);
});
