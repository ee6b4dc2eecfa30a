import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromDefinition, toDefinition } from '../../web/js/model/serialize.js';
import { groupProblems, configPath, problemSummary } from '../../web/js/model/problems.js';
import { copyNodes, clipToText, clipFromText } from '../../web/js/model/clipboard.js';
import { fixture } from './helpers.mjs';

test('a saved workflow round-trips through the graph unchanged', () => {
  const workflow = fixture('workflow.json');
  const graph = fromDefinition(workflow);
  const back = toDefinition(graph);
  const sort = (d) => ({ nodes: [...d.nodes].sort((a, b) => a.id.localeCompare(b.id)), edges: [...d.edges].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to)) });
  assert.deepEqual(sort(back), sort(workflow.definition));
  assert.equal(graph.nodes.get('fetch').name, 'Fetch metrics');
  assert.deepEqual(graph.nodes.get('pick').position, { x: 480, y: 0 });
});

test('node options the server keeps travel in the node; nodes without position get one', () => {
  const graph = fromDefinition({
    nodes: [
      { id: 'a', type: 'http.request', config: { url: 'http://x' }, retry: { max_attempts: 3 }, timeout_ms: 500 },
      { id: 'b', type: 'core.noop' },
    ],
    edges: [{ from: 'a', to: 'b' }],
  });
  const def = toDefinition(graph);
  assert.deepEqual(def.nodes[0].retry, { max_attempts: 3 });
  assert.equal(def.nodes[0].timeout_ms, 500);
  assert.deepEqual(def.nodes[1].config, {});
  assert.deepEqual(def.edges, [{ from: 'a.out', to: 'b.in' }], 'default ports are written out');
  assert.ok(def.nodes[1].position.x > def.nodes[0].position.x, 'a successor is placed to the right');
  assert.ok(!('name' in def.nodes[1]), 'an empty name is not sent');
});

test('malformed definitions are refused with a useful message', () => {
  assert.throws(() => fromDefinition({}), /"nodes" array/);
  assert.throws(() => fromDefinition({ nodes: [{ id: 1, type: 'x' }] }), /nodes\[0\]/);
  assert.throws(() => fromDefinition({ nodes: [{ id: 'a', type: 'x' }, { id: 'a', type: 'x' }] }), /used twice/);
  assert.throws(() => fromDefinition({ nodes: [], edges: [{ from: 'a' }] }), /edges\[0\]/);
});

test('server validation problems are grouped by node and config field', () => {
  const [bucket, jq, cycle] = fixture('validation-problems.json').problems;
  const a = groupProblems(bucket);
  assert.deepEqual(a.byNode.get('agg'), [{ field: 'config.bucket_seconds', path: ['bucket_seconds'], port: null, edge: null, message: 'must be at least 1' }]);
  assert.deepEqual(groupProblems(jq).byNode.get('pick')[0].path, ['program']);
  const c = groupProblems(cycle);
  assert.equal(c.byNode.get('fetch')[0].field, null);
  assert.match(c.byNode.get('fetch')[0].message, /cycle/);
  const general = groupProblems({ title: 'Invalid input', detail: 'name: must be 1-200 bytes', errors: [{ field: 'name', message: 'must be 1-200 bytes' }] });
  assert.deepEqual(general.general, ['name: must be 1-200 bytes']);
  assert.equal(problemSummary(bucket), `Invalid input: ${bucket.detail}`);
});

test('config paths handle nesting and reject fields outside config', () => {
  assert.deepEqual(configPath('config.child.node.type'), ['child', 'node', 'type']);
  assert.deepEqual(configPath('config.group_by[2]'), ['group_by', '2']);
  assert.equal(configPath('retry.max_attempts'), null);
  assert.equal(configPath('configuration'), null);
  assert.equal(configPath(undefined), null);
});

test('a clip survives the system clipboard and foreign text is ignored', () => {
  const graph = fromDefinition(fixture('workflow.json'));
  const clip = copyNodes(graph, ['pick', 'agg', 'ghost']);
  assert.equal(clip.nodes.length, 2);
  assert.equal(clip.edges.length, 1);
  assert.deepEqual(clipFromText(clipToText(clip)), clip);
  assert.equal(clipFromText('hello'), null);
  assert.equal(clipFromText('{"nodes": []}'), null);
});
