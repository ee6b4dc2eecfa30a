// Sizes, grid snapping, alignment guides, overlap-free placement and the viewport transform.
// World coordinates are the positions saved with the workflow; the screen is the canvas.

export const GRID = 20;
export const NODE_WIDTH = 200;
const HEADER = 44;
const PORT_ROW = 22;

/** The size of a node of a type with these port counts (the DOM node is drawn at this size). */
export function nodeSize(inputs = 1, outputs = 1) {
  const rows = Math.max(1, inputs, outputs);
  return { width: NODE_WIDTH, height: HEADER + PORT_ROW * rows + 8 };
}

/** Where port `index` of `count` sits, relative to the node's top-left corner. */
export function portOffset(side, index, size) {
  return { x: side === 'in' ? 0 : size.width, y: HEADER + PORT_ROW * index + PORT_ROW / 2 };
}

export function snap(value, grid = GRID) {
  return Math.round(value / grid) * grid;
}

export function snapPoint(p, grid = GRID) {
  return { x: snap(p.x, grid), y: snap(p.y, grid) };
}

export function rectsOverlap(a, b, margin = 0) {
  return a.x < b.x + b.width + margin && b.x < a.x + a.width + margin && a.y < b.y + b.height + margin && b.y < a.y + a.height + margin;
}

/** The rectangle enclosing all `rects`, or null for none. */
export function bounds(rects) {
  if (!rects.length) return null;
  let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
  for (const r of rects) {
    x1 = Math.min(x1, r.x);
    y1 = Math.min(y1, r.y);
    x2 = Math.max(x2, r.x + r.width);
    y2 = Math.max(y2, r.y + r.height);
  }
  return { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
}

/**
 * Alignment of `moving` with `others`: for each axis, the closest pair of edges or centres
 * within `threshold` world units. Returns the shift that aligns them and the guide lines to draw
 * ({axis: 'x'|'y', at, from, to}).
 */
export function alignmentGuides(moving, others, threshold = 6) {
  const lines = (r, axis) =>
    axis === 'x' ? [r.x, r.x + r.width / 2, r.x + r.width] : [r.y, r.y + r.height / 2, r.y + r.height];
  const result = { dx: 0, dy: 0, guides: [] };
  for (const axis of ['x', 'y']) {
    let best = null;
    for (const o of others) {
      for (const m of lines(moving, axis)) {
        for (const t of lines(o, axis)) {
          const d = t - m;
          if (Math.abs(d) <= threshold && (!best || Math.abs(d) < Math.abs(best.d))) best = { d, at: t, other: o };
        }
      }
    }
    if (!best) continue;
    if (axis === 'x') result.dx = best.d;
    else result.dy = best.d;
    const o = best.other;
    const span = axis === 'x'
      ? [Math.min(moving.y, o.y), Math.max(moving.y + moving.height, o.y + o.height)]
      : [Math.min(moving.x, o.x), Math.max(moving.x + moving.width, o.x + o.width)];
    result.guides.push({ axis, at: best.at, from: span[0], to: span[1] });
  }
  return result;
}

/**
 * Where a dragged node lands: its start plus the pointer's travel, snapped to the grid, unless an
 * alignment with another node is within reach, which wins on that axis.
 */
export function dragTarget(start, delta, size, others, { grid = GRID, snapToGrid = true, guides = true, threshold = 6 } = {}) {
  let x = start.x + delta.x;
  let y = start.y + delta.y;
  const raw = { x, y, width: size.width, height: size.height };
  const found = guides ? alignmentGuides(raw, others, threshold) : { dx: 0, dy: 0, guides: [] };
  const alignedX = found.guides.some((g) => g.axis === 'x');
  const alignedY = found.guides.some((g) => g.axis === 'y');
  x = alignedX ? x + found.dx : snapToGrid ? snap(x, grid) : x;
  y = alignedY ? y + found.dy : snapToGrid ? snap(y, grid) : y;
  return { position: { x, y }, guides: found.guides };
}

/**
 * The free grid position nearest to `want` for a node of `size` that overlaps none of `others`
 * (keeping `margin` between them): what a drop or paste uses so nodes never land on each other.
 */
export function placeWithoutOverlap(want, size, others, { grid = GRID, margin = GRID } = {}) {
  const start = snapPoint(want, grid);
  const free = (p) => !others.some((o) => rectsOverlap({ x: p.x, y: p.y, ...size }, o, margin - 1));
  if (free(start)) return start;
  // Rings of grid steps around the wanted point, nearest first.
  for (let ring = 1; ring <= 60; ring++) {
    const candidates = [];
    for (let i = -ring; i <= ring; i++) {
      for (const [cx, cy] of [[i, -ring], [i, ring], [-ring, i], [ring, i]]) candidates.push({ x: start.x + cx * grid, y: start.y + cy * grid });
    }
    candidates.sort((a, b) => Math.hypot(a.x - start.x, a.y - start.y) - Math.hypot(b.x - start.x, b.y - start.y));
    const found = candidates.find(free);
    if (found) return found;
  }
  const all = bounds(others);
  return { x: start.x, y: snap(all.y + all.height + margin, grid) + grid };
}

// Viewport: screen = world * k + (x, y).

export const MIN_ZOOM = 0.1;
export const MAX_ZOOM = 4;

export function screenToWorld(t, p) {
  return { x: (p.x - t.x) / t.k, y: (p.y - t.y) / t.k };
}

export function worldToScreen(t, p) {
  return { x: p.x * t.k + t.x, y: p.y * t.k + t.y };
}

/** Zooms by `factor` keeping the world point under `cursor` (screen) where it is. */
export function zoomAt(t, factor, cursor) {
  const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, t.k * factor));
  const world = screenToWorld(t, cursor);
  return { k, x: cursor.x - world.x * k, y: cursor.y - world.y * k };
}

/** The transform that shows `box` (world) centred in a viewport of this size, zoom at most 1. */
export function fitTransform(box, width, height, padding = 40) {
  if (!box || box.width <= 0 || box.height <= 0) return { x: padding, y: padding, k: 1 };
  const k = Math.min(1, Math.max(MIN_ZOOM, Math.min((width - 2 * padding) / box.width, (height - 2 * padding) / box.height)));
  return { k, x: (width - box.width * k) / 2 - box.x * k, y: (height - box.height * k) / 2 - box.y * k };
}

/** Ids of the rects (Map id -> rect) that a marquee rectangle (any corner order) touches. */
export function marqueeHits(a, b, rects) {
  const box = { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), width: Math.abs(a.x - b.x), height: Math.abs(a.y - b.y) };
  const hits = [];
  for (const [id, r] of rects) if (rectsOverlap(box, r)) hits.push(id);
  return hits;
}

/** An edge's SVG path: a horizontal cubic from an output port to an input port. */
export function edgePath(p1, p2) {
  const dx = Math.max(40, Math.abs(p2.x - p1.x) / 2);
  return `M ${p1.x} ${p1.y} C ${p1.x + dx} ${p1.y}, ${p2.x - dx} ${p2.y}, ${p2.x} ${p2.y}`;
}
