import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffDefinitions, describeDiff } from '../../web/js/model/diff.js';
import { fixture } from './helpers.mjs';

test('comparing two versions names added, removed, changed and moved nodes and edges', () => {
  const { items } = fixture('versions.json');
  const v1 = items.find((v) => v.version === 1).definition;
  const v2 = items.find((v) => v.version === 2).definition;
  const d = diffDefinitions(v1, v2);
  assert.deepEqual(d.changed, [{ id: 'pick', keys: ['config'] }]);
  assert.deepEqual(describeDiff(d), ['changed pick: config']);
  const edited = structuredClone(v2);
  edited.nodes = edited.nodes.filter((n) => n.id !== 'sink');
  edited.nodes.push({ id: 'log', type: 'core.log', config: {} });
  edited.nodes.find((n) => n.id === 'chart').position = { x: 0, y: 999 };
  edited.edges = edited.edges.filter((e) => e.to !== 'sink.in');
  edited.edges.push({ from: 'agg', to: 'log' });
  const d2 = diffDefinitions(v2, edited);
  assert.deepEqual(d2.added, ['log']);
  assert.deepEqual(d2.removed, ['sink']);
  assert.deepEqual(d2.moved, ['chart']);
  assert.deepEqual(d2.edgesAdded, ['agg.out -> log.in']);
  assert.deepEqual(d2.edgesRemoved, ['agg.out -> sink.in']);
  assert.deepEqual(describeDiff(diffDefinitions(v2, v2)), []);
});
