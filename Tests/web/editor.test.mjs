import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Editor } from '../../web/js/model/editor.js';
import { rectsOverlap } from '../../web/js/model/geometry.js';
import { catalog } from './helpers.mjs';

function canonical() {
  const ed = new Editor(catalog());
  const ids = {
    start: ed.addNode('trigger.manual', { x: 0, y: 0 }),
    fetch: ed.addNode('http.request', { x: 260, y: 0 }, { config: { url: 'http://example.test/m' } }),
    pick: ed.addNode('jq', { x: 520, y: 0 }, { config: { program: '.body.data[]' } }),
    agg: ed.addNode('timeseries.aggregate', { x: 780, y: 0 }),
    chart: ed.addNode('chart', { x: 1040, y: 0 }),
  };
  const o = (node) => ({ node, port: 'out' });
  const i = (node) => ({ node, port: 'in' });
  assert.equal(ed.connect(o(ids.start), i(ids.fetch)), null);
  assert.equal(ed.connect(o(ids.fetch), i(ids.pick)), null);
  assert.equal(ed.connect(o(ids.pick), i(ids.agg)), null);
  assert.equal(ed.connect(o(ids.agg), i(ids.chart)), null);
  return { ed, ids };
}

test('building the canonical pipeline gives the definition the server expects', () => {
  const { ed, ids } = canonical();
  const def = ed.toDefinition();
  assert.equal(def.nodes.length, 5);
  assert.deepEqual(def.edges.map((e) => `${e.from}->${e.to}`), [
    `${ids.start}.out->${ids.fetch}.in`,
    `${ids.fetch}.out->${ids.pick}.in`,
    `${ids.pick}.out->${ids.agg}.in`,
    `${ids.agg}.out->${ids.chart}.in`,
  ]);
  const fetch = def.nodes.find((n) => n.id === ids.fetch);
  assert.deepEqual(fetch.config, { url: 'http://example.test/m' });
  assert.equal(fetch.name, 'HTTP request', 'a new node is named after its type title');
  assert.deepEqual(Object.keys(fetch).sort(), ['config', 'id', 'name', 'position', 'type']);
});

test('a refused connection changes nothing and says why', () => {
  const { ed, ids } = canonical();
  const edges = ed.graph.edges.size;
  const steps = ed.history.done.length;
  const reason = ed.connect({ node: ids.fetch, port: 'out' }, { node: ids.agg, port: 'in' });
  assert.match(reason, /object but the input accepts array/);
  assert.equal(ed.graph.edges.size, edges);
  assert.equal(ed.history.done.length, steps);
});

test('dropping a node onto another places it without overlap', () => {
  const ed = new Editor(catalog());
  const a = ed.addNode('core.noop', { x: 100, y: 100 });
  const b = ed.addNode('core.noop', { x: 110, y: 105 });
  assert.ok(!rectsOverlap(ed.rectOf(a), ed.rectOf(b)));
});

test('a drag with many pointer moves is one undo step', () => {
  const { ed, ids } = canonical();
  const before = { ...ed.graph.nodes.get(ids.pick).position };
  const drag = ed.startDrag([ids.pick]);
  for (let i = 1; i <= 25; i++) drag.update({ x: i * 3, y: i * 7 });
  assert.equal(drag.end(), 1);
  const after = ed.graph.nodes.get(ids.pick).position;
  assert.notDeepEqual(after, before);
  assert.equal(after.x % 20, 0, 'snapped to the grid');
  assert.equal(ed.history.undoLabel, `move ${ids.pick}`);
  ed.undo();
  assert.deepEqual(ed.graph.nodes.get(ids.pick).position, before);
  ed.redo();
  assert.deepEqual(ed.graph.nodes.get(ids.pick).position, after);
});

test('a cancelled drag or one that ends where it began records nothing', () => {
  const { ed, ids } = canonical();
  const steps = ed.history.done.length;
  const before = { ...ed.graph.nodes.get(ids.agg).position };
  const d1 = ed.startDrag([ids.agg]);
  d1.update({ x: 200, y: 200 });
  d1.cancel();
  assert.deepEqual(ed.graph.nodes.get(ids.agg).position, before);
  const d2 = ed.startDrag([ids.agg]);
  d2.update({ x: 200, y: 0 });
  d2.update({ x: 2, y: 1 });
  assert.equal(d2.end(), 0);
  assert.equal(ed.history.done.length, steps);
});

test('dragging a multi-selection moves every node by the same amount', () => {
  const { ed, ids } = canonical();
  const a0 = { ...ed.graph.nodes.get(ids.fetch).position };
  const b0 = { ...ed.graph.nodes.get(ids.pick).position };
  const drag = ed.startDrag([ids.fetch, ids.pick]);
  drag.update({ x: 0, y: 400 }, { guides: false });
  drag.end();
  assert.equal(ed.graph.nodes.get(ids.fetch).position.y - a0.y, 400);
  assert.equal(ed.graph.nodes.get(ids.pick).position.y - b0.y, 400);
  assert.equal(ed.graph.nodes.get(ids.pick).position.x, b0.x);
});

test('delete removes the selection with its edges; undo brings both back', () => {
  const { ed, ids } = canonical();
  const snapshot = ed.graph.snapshot();
  ed.select([ids.pick, ids.agg]);
  assert.equal(ed.deleteSelection(), 2);
  assert.equal(ed.graph.nodes.size, 3);
  assert.equal(ed.graph.edges.size, 1);
  ed.undo();
  assert.deepEqual(ed.graph.snapshot(), snapshot);
});

test('deleting a selected edge removes only it', () => {
  const { ed } = canonical();
  const first = [...ed.graph.edges.keys()][0];
  ed.selectEdge(first);
  ed.deleteSelection();
  assert.equal(ed.graph.edges.size, 3);
  assert.equal(ed.graph.nodes.size, 5);
});

test('copy and paste duplicates nodes and their inner edges with fresh ids, as one step', () => {
  const { ed, ids } = canonical();
  ed.select([ids.pick, ids.agg]);
  ed.copySelection();
  const pasted = ed.paste();
  assert.equal(pasted.length, 2);
  assert.ok(pasted.every((id) => !Object.values(ids).includes(id)));
  assert.equal(ed.graph.nodes.size, 7);
  assert.equal(ed.graph.edges.size, 5, 'the pick->agg edge is copied, edges to outside nodes are not');
  const copiedEdge = [...ed.graph.edges.values()].at(-1);
  assert.deepEqual([copiedEdge.from.node, copiedEdge.to.node], pasted);
  assert.deepEqual([...ed.selection], pasted);
  for (const id of pasted) for (const other of ed.graph.nodes.keys()) if (other !== id) assert.ok(!rectsOverlap(ed.rectOf(id), ed.rectOf(other)));
  ed.undo();
  assert.equal(ed.graph.nodes.size, 5);
  assert.equal(ed.graph.edges.size, 4);
});

test('duplicate keeps config but not identity', () => {
  const { ed, ids } = canonical();
  ed.select([ids.pick]);
  const [copy] = ed.duplicateSelection();
  assert.notEqual(copy, ids.pick);
  assert.deepEqual(ed.graph.nodes.get(copy).config, { program: '.body.data[]' });
  ed.graph.nodes.get(copy).config.program = 'changed';
  assert.equal(ed.graph.nodes.get(ids.pick).config.program, '.body.data[]');
});

test('arrow-key nudges and auto-layout are single steps; layout snaps to the grid', () => {
  const { ed, ids } = canonical();
  ed.select([ids.chart]);
  const p = { ...ed.graph.nodes.get(ids.chart).position };
  ed.nudgeSelection(20, 0);
  assert.equal(ed.graph.nodes.get(ids.chart).position.x, p.x + 20);
  ed.applyLayout({ [ids.start]: { x: 13, y: 27 }, [ids.chart]: { x: 509, y: 3 } });
  assert.deepEqual(ed.graph.nodes.get(ids.start).position, { x: 20, y: 20 });
  assert.deepEqual(ed.graph.nodes.get(ids.chart).position, { x: 500, y: 0 });
  ed.undo();
  assert.equal(ed.graph.nodes.get(ids.chart).position.x, p.x + 20);
  ed.undo();
  assert.deepEqual(ed.graph.nodes.get(ids.chart).position, p);
});

test('editing config and renaming an id are undoable; edges follow a renamed id', () => {
  const { ed, ids } = canonical();
  ed.updateNode(ids.pick, { config: { program: '.x' } });
  assert.equal(ed.graph.nodes.get(ids.pick).config.program, '.x');
  assert.match(ed.renameNodeID(ids.pick, 'bad id'), /letters/);
  assert.match(ed.renameNodeID(ids.pick, ids.agg), /already used/);
  assert.equal(ed.renameNodeID(ids.pick, 'pick'), null);
  assert.ok(ed.toDefinition().edges.some((e) => e.from === 'pick.out'));
  ed.undo();
  assert.ok(ed.toDefinition().edges.some((e) => e.from === `${ids.pick}.out`));
  ed.undo();
  assert.equal(ed.graph.nodes.get(ids.pick).config.program, '.body.data[]');
});

test('change events tell the UI what happened and track unsaved changes', () => {
  const ed = new Editor(catalog());
  const kinds = [];
  ed.on((c) => kinds.push(c.kind));
  assert.equal(ed.dirty, false);
  ed.addNode('core.noop');
  assert.equal(ed.dirty, true);
  ed.markSaved();
  ed.clearSelection();
  assert.equal(ed.dirty, false, 'selection is not a change to save');
  assert.deepEqual(kinds, ['graph', 'selection', 'selection']);
});

test('announcements name what moved and what was connected', async () => {
  const { moveAnnouncement, connectAnnouncement } = await import('../../web/js/model/a11y.js');
  const { ed, ids } = canonical();
  ed.select([ids.pick]);
  ed.nudgeSelection(20, 0);
  const p = ed.graph.nodes.get(ids.pick).position;
  assert.equal(moveAnnouncement(ed, [ids.pick]), `moved jq to ${p.x}, ${p.y}`);
  assert.equal(moveAnnouncement(ed, [ids.pick, ids.agg]), 'moved 2 nodes');
  assert.equal(connectAnnouncement(ed, { node: ids.pick, port: 'out' }, { node: ids.agg, port: 'in' }), 'connected jq out to Aggregate time series in');
});
