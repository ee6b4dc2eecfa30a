import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as geo from '../../web/js/model/geometry.js';

test('snapping rounds to the nearest grid line', () => {
  assert.equal(geo.snap(29, 20), 20);
  assert.equal(geo.snap(31, 20), 40);
  assert.equal(geo.snap(-11, 20), -20);
  assert.deepEqual(geo.snapPoint({ x: 9, y: 51 }), { x: 0, y: 60 });
});

test('node size grows with the larger port list', () => {
  assert.ok(geo.nodeSize(1, 5).height > geo.nodeSize(1, 1).height);
  assert.equal(geo.nodeSize(0, 0).height, geo.nodeSize(1, 1).height);
});

test('alignment guides pull a near edge onto another node and report the line', () => {
  const other = { x: 100, y: 300, width: 200, height: 80 };
  const moving = { x: 104, y: 0, width: 200, height: 80 };
  const found = geo.alignmentGuides(moving, [other], 6);
  assert.equal(found.dx, -4);
  assert.equal(found.dy, 0);
  assert.deepEqual(found.guides, [{ axis: 'x', at: 100, from: 0, to: 380 }]);
  assert.deepEqual(geo.alignmentGuides({ ...moving, x: 120 }, [other], 6).guides, []);
});

test('a drag snaps to the grid unless an alignment wins on that axis', () => {
  const size = { width: 200, height: 80 };
  const plain = geo.dragTarget({ x: 0, y: 0 }, { x: 33, y: 47 }, size, []);
  assert.deepEqual(plain.position, { x: 40, y: 40 });
  const other = { x: 135, y: 500, width: 200, height: 80 };
  const aligned = geo.dragTarget({ x: 0, y: 0 }, { x: 133, y: 47 }, size, [other]);
  assert.deepEqual(aligned.position, { x: 135, y: 40 }, 'x aligns with the other node, y snaps');
  const free = geo.dragTarget({ x: 0, y: 0 }, { x: 33, y: 47 }, size, [], { snapToGrid: false });
  assert.deepEqual(free.position, { x: 33, y: 47 });
});

test('placement without overlap keeps the wanted spot when free and finds a near free one otherwise', () => {
  const size = { width: 200, height: 80 };
  assert.deepEqual(geo.placeWithoutOverlap({ x: 41, y: 39 }, size, []), { x: 40, y: 40 });
  const occupied = [{ x: 0, y: 0, width: 200, height: 80 }];
  const p = geo.placeWithoutOverlap({ x: 10, y: 10 }, size, occupied);
  assert.ok(!geo.rectsOverlap({ ...p, ...size }, occupied[0], 19), `placed at ${JSON.stringify(p)} overlaps`);
  assert.equal(p.x % 20, 0);
  assert.equal(p.y % 20, 0);
  // A crowded spot still finds room.
  const crowd = [];
  for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) crowd.push({ x: i * 220, y: j * 100, width: 200, height: 80 });
  const q = geo.placeWithoutOverlap({ x: 440, y: 200 }, size, crowd);
  assert.ok(crowd.every((o) => !geo.rectsOverlap({ ...q, ...size }, o)));
});

test('zooming keeps the world point under the cursor fixed', () => {
  const t = { x: 30, y: -20, k: 1 };
  const cursor = { x: 400, y: 300 };
  const before = geo.screenToWorld(t, cursor);
  const z = geo.zoomAt(t, 2, cursor);
  assert.equal(z.k, 2);
  const after = geo.screenToWorld(z, cursor);
  assert.ok(Math.abs(before.x - after.x) < 1e-9 && Math.abs(before.y - after.y) < 1e-9);
  assert.equal(geo.zoomAt({ x: 0, y: 0, k: 3 }, 10, cursor).k, geo.MAX_ZOOM);
});

test('fit to view centres the bounds and never zooms in past 1', () => {
  const box = { x: 100, y: 100, width: 400, height: 200 };
  const t = geo.fitTransform(box, 1000, 800, 40);
  assert.equal(t.k, 1);
  const centre = geo.worldToScreen(t, { x: 300, y: 200 });
  assert.deepEqual(centre, { x: 500, y: 400 });
  const big = geo.fitTransform({ x: 0, y: 0, width: 9200, height: 100 }, 1000, 800, 40);
  assert.ok(big.k < 0.11 && big.k >= geo.MIN_ZOOM);
});

test('a marquee selects the nodes it touches, dragged in any direction', () => {
  const rects = new Map([
    ['a', { x: 0, y: 0, width: 100, height: 50 }],
    ['b', { x: 300, y: 0, width: 100, height: 50 }],
  ]);
  assert.deepEqual(geo.marqueeHits({ x: 150, y: 60 }, { x: -10, y: 20 }, rects), ['a']);
  assert.deepEqual(geo.marqueeHits({ x: -10, y: -10 }, { x: 500, y: 10 }, rects), ['a', 'b']);
  assert.deepEqual(geo.marqueeHits({ x: 150, y: 0 }, { x: 250, y: 100 }, rects), []);
});
