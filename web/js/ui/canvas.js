// The canvas: HTML nodes and one SVG edge layer inside a CSS-transformed viewport. Pointer and
// keyboard input become Editor operations; the editor's change events drive re-rendering
// (whole sync on graph changes, only the moved nodes and their edges while dragging).
import { h, svg, replace } from './dom.js';
import { announce } from './announce.js';
import { portOffset, edgePath, screenToWorld, zoomAt, fitTransform, bounds, marqueeHits, GRID } from '../model/geometry.js';
import { connectionTargets } from '../model/ports.js';
import { nodeLabel, portLabel, moveAnnouncement, connectAnnouncement } from '../model/a11y.js';
import { formatEndpoint } from '../model/endpoint.js';

const DRAG_THRESHOLD = 4;
export const NODE_TYPE_MIME = 'application/x-flowgate-node-type';

export class CanvasView {
  /**
   * @param editor the model
   * @param hooks {openNode(id), quickAdd(worldPoint), connectByKeyboard(), layout(), changed()}
   */
  constructor(editor, hooks) {
    this.editor = editor;
    this.hooks = hooks;
    this.t = { x: 40, y: 40, k: 1 };
    this.nodeEls = new Map();
    this.edgeEls = new Map();
    this.statuses = new Map();
    this.problems = new Map();
    this.edgeProblems = new Set();
    this.connecting = null;
    this.lastPointer = null;
    this.spaceDown = false;

    this.edgeLayer = svg('svg', { class: 'edges', 'aria-hidden': 'true' });
    this.edgeGroup = svg('g');
    this.guideGroup = svg('g');
    this.tempPath = svg('path', { class: 'temp', d: '' });
    this.edgeLayer.append(this.edgeGroup, this.guideGroup, this.tempPath);
    this.nodeLayer = h('div', { class: 'nodes' });
    this.viewport = h('div', { class: 'viewport' }, this.edgeLayer, this.nodeLayer);
    this.marquee = h('div', { class: 'marquee', hidden: true });
    // The dot grid is its own layer, moved by transform modulo one cell: panning repaints nothing.
    this.gridLayer = h('div', { class: 'grid-bg', 'aria-hidden': 'true' });
    this.emptyHint = h('div', { class: 'empty-hint' }, 'Drag a node type here, press Enter on one in the palette, or press N to add a node.');
    this.minimap = svg('svg', { class: 'minimap', role: 'img', 'aria-label': 'Minimap; click to move the view' });
    this.zoomControls = h('div', { class: 'zoom-controls' },
      h('button', { type: 'button', 'aria-label': 'Zoom in', title: 'Zoom in (+)', onclick: () => this.zoomBy(1.25) }, '+'),
      h('button', { type: 'button', 'aria-label': 'Zoom out', title: 'Zoom out (-)', onclick: () => this.zoomBy(0.8) }, '−'),
      h('button', { type: 'button', 'aria-label': 'Fit to view', title: 'Fit to view (F)', onclick: () => this.fit() }, 'Fit'));
    this.el = h('div', {
      class: 'canvas', tabindex: '0', role: 'application', 'aria-roledescription': 'workflow canvas',
      'aria-label': 'Workflow canvas. Tab moves between nodes; press ? for keyboard shortcuts.',
    }, this.gridLayer, this.viewport, this.marquee, this.emptyHint, this.zoomControls, this.minimap);

    this.el.addEventListener('pointerdown', (e) => this.onPointerDown(e));
    this.el.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.el.addEventListener('keydown', (e) => this.onKeyDown(e));
    this.el.addEventListener('keyup', (e) => {
      if (e.key === ' ') this.spaceDown = false;
    });
    this.el.addEventListener('dblclick', (e) => this.onDoubleClick(e));
    this.el.addEventListener('pointermove', (e) => {
      this.lastPointer = this.localPoint(e);
    });
    this.el.addEventListener('dragover', (e) => {
      if ([...e.dataTransfer.types].includes(NODE_TYPE_MIME)) {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
      }
    });
    this.el.addEventListener('drop', (e) => this.onDrop(e));
    this.minimap.addEventListener('pointerdown', (e) => this.onMinimap(e));
    this.el.addEventListener('focusin', (e) => {
      const nodeEl = e.target.closest?.('.node');
      if (nodeEl && !this.editor.selection.has(nodeEl.dataset.id)) this.editor.select([nodeEl.dataset.id]);
    });

    editor.on((change) => this.onChange(change));
    this.applyTransform();
    this.renderAll();
  }

  // MARK: coordinates

  localPoint(e) {
    const r = this.el.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  worldPoint(e) {
    return screenToWorld(this.t, this.localPoint(e));
  }

  /** The world point at the centre of the visible canvas (or the last pointer position). */
  focusPoint() {
    const r = this.el.getBoundingClientRect();
    const p = this.lastPointer ?? { x: r.width / 2, y: r.height / 2 };
    return screenToWorld(this.t, p);
  }

  applyTransform() {
    const { x, y, k } = this.t;
    this.viewport.style.transform = `translate(${x}px, ${y}px) scale(${k})`;
    const cell = GRID * k;
    if (this.gridCell !== cell) {
      this.gridCell = cell;
      this.gridLayer.style.backgroundSize = `${cell}px ${cell}px`;
      this.gridLayer.style.left = this.gridLayer.style.top = `${-cell}px`;
      this.gridLayer.style.right = this.gridLayer.style.bottom = `${-cell}px`;
      this.gridLayer.hidden = cell < 6;
    }
    const mod = (v) => ((v % cell) + cell) % cell;
    this.gridLayer.style.transform = `translate(${mod(x)}px, ${mod(y)}px)`;
    // Repainting the minimap re-layerizes the whole page, so it waits for the pan to end.
    if (!this.el.classList.contains('panning')) this.scheduleMinimap();
  }

  zoomBy(factor, at) {
    const r = this.el.getBoundingClientRect();
    this.t = zoomAt(this.t, factor, at ?? { x: r.width / 2, y: r.height / 2 });
    this.applyTransform();
    announce(`zoom ${Math.round(this.t.k * 100)}%`);
  }

  fit() {
    const r = this.el.getBoundingClientRect();
    const box = bounds([...this.editor.rects().values()]);
    this.t = fitTransform(box, r.width || 800, r.height || 600);
    this.applyTransform();
  }

  /** Scrolls the view so node `id` is visible. */
  reveal(id) {
    const rect = this.editor.rectOf(id);
    if (!rect) return;
    const r = this.el.getBoundingClientRect();
    const sx = rect.x * this.t.k + this.t.x;
    const sy = rect.y * this.t.k + this.t.y;
    if (sx < 0 || sy < 0 || sx + rect.width * this.t.k > r.width || sy + rect.height * this.t.k > r.height) {
      this.t = { ...this.t, x: r.width / 2 - (rect.x + rect.width / 2) * this.t.k, y: r.height / 2 - (rect.y + rect.height / 2) * this.t.k };
      this.applyTransform();
    }
  }

  // MARK: rendering

  onChange(change) {
    if (change.kind === 'preview') {
      for (const id of change.ids) this.positionNode(id);
      this.updateEdgesFor(new Set(change.ids));
      this.drawGuides(change.guides ?? []);
      return; // the minimap catches up when the drag ends (a 'graph' change)
    }
    if (change.kind === 'selection') {
      this.renderSelection();
      return;
    }
    this.renderAll();
  }

  renderAll() {
    const graph = this.editor.graph;
    for (const [id, rec] of this.nodeEls) {
      if (!graph.nodes.has(id)) {
        rec.el.remove();
        this.nodeEls.delete(id);
      }
    }
    for (const node of graph.nodes.values()) {
      let rec = this.nodeEls.get(node.id);
      if (!rec || rec.type !== node.type) {
        rec?.el.remove();
        rec = this.buildNode(node);
        this.nodeEls.set(node.id, rec);
        this.nodeLayer.append(rec.el);
      }
      this.updateNode(node.id);
    }
    for (const [id, rec] of this.edgeEls) {
      if (!graph.edges.has(id)) {
        rec.path.remove();
        rec.hit.remove();
        this.edgeEls.delete(id);
      }
    }
    for (const edge of graph.edges.values()) {
      if (!this.edgeEls.has(edge.id)) {
        const path = svg('path', { class: 'edge' });
        const hit = svg('path', { class: 'hit', 'data-edge': edge.id });
        hit.addEventListener('pointerdown', (e) => {
          e.stopPropagation();
          this.editor.selectEdge(edge.id);
          const ed = this.editor.graph.edges.get(edge.id);
          if (ed) announce(`selected connection ${formatEndpoint(ed.from)} to ${formatEndpoint(ed.to)}; press Delete to remove it`);
          this.el.focus();
        });
        this.edgeGroup.append(path, hit);
        this.edgeEls.set(edge.id, { path, hit });
      }
    }
    this.updateEdgesFor(null);
    this.drawGuides([]);
    this.renderSelection();
    this.emptyHint.hidden = graph.nodes.size > 0;
    this.scheduleMinimap(true);
  }

  buildNode(node) {
    const spec = this.editor.catalog.get(node.type);
    const size = this.editor.sizeOf(node);
    const nameEl = h('span', { class: 'name' });
    const typeEl = h('span', { class: 'type' }, spec?.title ? `${spec.title} · ${node.type}` : node.type);
    const badge = h('span', { class: 'badge', 'aria-hidden': 'true' });
    const el = h('div', { class: `node cat-${(spec?.category ?? 'Other').replace(/\W/g, '')}`, tabindex: '0', role: 'group', 'data-id': node.id },
      h('div', { class: 'head' }, nameEl, typeEl), badge);
    el.style.height = `${size.height}px`;
    el.style.width = `${size.width}px`;
    const ports = new Map();
    const addPorts = (direction, list) => {
      list.forEach((port, i) => {
        const off = portOffset(direction, i, size);
        const btn = h('button', { type: 'button', class: `port ${direction}`, tabindex: '-1', 'data-port': port.name, 'data-dir': direction });
        btn.style.left = `${off.x}px`;
        btn.style.top = `${off.y}px`;
        const label = h('span', { class: `port-label ${direction}` }, port.name);
        label.style.top = `${off.y}px`;
        el.append(btn, label);
        ports.set(`${direction}:${port.name}`, btn);
      });
    };
    addPorts('in', spec?.inputs ?? []);
    addPorts('out', spec?.outputs ?? [{ name: 'out', schema: {} }]);
    return { el, nameEl, typeEl, badge, ports, type: node.type };
  }

  updateNode(id) {
    const node = this.editor.graph.nodes.get(id);
    const rec = this.nodeEls.get(id);
    if (!node || !rec) return;
    rec.el.dataset.id = id;
    rec.nameEl.textContent = node.name || node.id;
    const spec = this.editor.catalog.get(node.type);
    const status = this.statuses.get(id);
    const problems = this.problems.get(id) ?? [];
    rec.el.classList.toggle('has-problem', problems.length > 0);
    for (const c of [...rec.el.classList]) if (c.startsWith('status-')) rec.el.classList.remove(c);
    if (status) rec.el.classList.add(`status-${status}`);
    rec.badge.textContent = problems.length ? `${problems.length} problem${problems.length > 1 ? 's' : ''}` : status ?? '';
    let label = nodeLabel(node, spec, status);
    if (problems.length) label += `. Problems: ${problems.map((p) => (p.field ? `${p.field} ${p.message}` : p.message)).join('; ')}`;
    rec.el.setAttribute('aria-label', label);
    rec.el.title = problems.length ? problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('\n') : `${node.name || node.id} (${node.type})`;
    for (const [key, btn] of rec.ports) {
      const [dir, name] = key.split(':');
      const port = this.editor.catalog.port(node.type, dir, name) ?? { name, schema: {} };
      btn.setAttribute('aria-label', portLabel(node, dir, port));
      if (!this.connecting) btn.removeAttribute('title');
    }
    this.positionNode(id);
  }

  positionNode(id) {
    const node = this.editor.graph.nodes.get(id);
    const rec = this.nodeEls.get(id);
    // left/top rather than a transform per node: 500 transformed nodes made layerization and
    // hit testing dominate every frame (measured with tracing in headless Chromium).
    if (node && rec) {
      rec.el.style.left = `${node.position.x}px`;
      rec.el.style.top = `${node.position.y}px`;
    }
  }

  portPoint(nodeID, direction, port) {
    const node = this.editor.graph.nodes.get(nodeID);
    if (!node) return null;
    const list = direction === 'in' ? this.editor.catalog.inputs(node.type) : this.editor.catalog.outputs(node.type);
    const index = Math.max(0, list.findIndex((p) => p.name === port));
    const off = portOffset(direction, index, this.editor.sizeOf(node));
    return { x: node.position.x + off.x, y: node.position.y + off.y };
  }

  /** Redraws edges touching `ids` (all when null). */
  updateEdgesFor(ids) {
    for (const edge of this.editor.graph.edges.values()) {
      if (ids && !ids.has(edge.from.node) && !ids.has(edge.to.node)) continue;
      const rec = this.edgeEls.get(edge.id);
      const a = this.portPoint(edge.from.node, 'out', edge.from.port);
      const b = this.portPoint(edge.to.node, 'in', edge.to.port);
      if (!rec || !a || !b) continue;
      const d = edgePath(a, b);
      rec.path.setAttribute('d', d);
      rec.hit.setAttribute('d', d);
      rec.path.classList.toggle('problem', this.edgeProblems.has(`${formatEndpoint(edge.from)} -> ${formatEndpoint(edge.to)}`));
    }
  }

  renderSelection() {
    for (const [id, rec] of this.nodeEls) {
      const on = this.editor.selection.has(id);
      rec.el.classList.toggle('selected', on);
      // role=group has no aria-selected; the state is given as a description instead.
      if (on) rec.el.setAttribute('aria-description', 'selected');
      else rec.el.removeAttribute('aria-description');
    }
    for (const [id, rec] of this.edgeEls) rec.path.classList.toggle('selected', id === this.editor.selectedEdge);
  }

  drawGuides(guides) {
    replace(this.guideGroup, guides.map((g) => (g.axis === 'x'
      ? svg('line', { class: 'guide', x1: g.at, x2: g.at, y1: g.from - 20, y2: g.to + 20 })
      : svg('line', { class: 'guide', y1: g.at, y2: g.at, x1: g.from - 20, x2: g.to + 20 }))));
  }

  /** Run status per node id (Map or object), shown as a badge and class; null clears. */
  setStatuses(statuses) {
    this.statuses = new Map(statuses ? Object.entries(statuses instanceof Map ? Object.fromEntries(statuses) : statuses) : []);
    for (const id of this.nodeEls.keys()) this.updateNode(id);
  }

  /** Server validation problems by node (Map id -> [{field, message, edge}]). */
  setProblems(byNode) {
    this.problems = byNode ?? new Map();
    this.edgeProblems = new Set([...this.problems.values()].flat().map((p) => p.edge).filter(Boolean));
    for (const id of this.nodeEls.keys()) this.updateNode(id);
    this.updateEdgesFor(null);
  }

  /** Redraws the minimap on the next frame; `nodesChanged` when node rects must be rebuilt too. */
  scheduleMinimap(nodesChanged = false) {
    this.minimapNodesDirty ||= nodesChanged;
    if (this.minimapPending) return;
    this.minimapPending = true;
    requestAnimationFrame(() => {
      this.minimapPending = false;
      this.drawMinimap();
    });
  }

  drawMinimap() {
    if (this.minimapNodesDirty || !this.minimapNodes) {
      // Node rectangles change with the graph, not while panning: rebuilt only when dirty.
      const rects = [...this.editor.rects().values()];
      this.minimapBounds = bounds(rects);
      this.minimapNodes = svg('g', {}, rects.map((n) => svg('rect', { class: 'n', x: n.x, y: n.y, width: n.width, height: n.height, rx: 6 })));
      this.minimapView = svg('rect', { class: 'view' });
      replace(this.minimap, this.minimapNodes, this.minimapView);
      this.minimapNodesDirty = false;
    }
    const r = this.el.getBoundingClientRect();
    const view = { ...screenToWorld(this.t, { x: 0, y: 0 }), width: r.width / this.t.k, height: r.height / this.t.k };
    const box = bounds(this.minimapBounds ? [this.minimapBounds, view] : [view]);
    const pad = 40;
    this.minimapBox = { x: box.x - pad, y: box.y - pad, width: box.width + 2 * pad, height: box.height + 2 * pad };
    this.minimap.setAttribute('viewBox', `${this.minimapBox.x} ${this.minimapBox.y} ${this.minimapBox.width} ${this.minimapBox.height}`);
    this.minimap.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    for (const [k, v] of Object.entries({ x: view.x, y: view.y, width: view.width, height: view.height })) this.minimapView.setAttribute(k, v);
  }

  onMinimap(e) {
    e.stopPropagation();
    e.preventDefault();
    const move = (ev) => {
      const m = this.minimap.getBoundingClientRect();
      const b = this.minimapBox;
      const scale = Math.max(b.width / m.width, b.height / m.height);
      const wx = b.x + (ev.clientX - m.left - (m.width - b.width / scale) / 2) * scale;
      const wy = b.y + (ev.clientY - m.top - (m.height - b.height / scale) / 2) * scale;
      const r = this.el.getBoundingClientRect();
      this.t = { ...this.t, x: r.width / 2 - wx * this.t.k, y: r.height / 2 - wy * this.t.k };
      this.applyTransform();
    };
    move(e);
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }

  // MARK: pointer input

  onPointerDown(e) {
    if (e.button !== 0 && e.button !== 1) return;
    const port = e.target.closest?.('.port');
    const nodeEl = e.target.closest?.('.node');
    if (e.target.closest?.('.zoom-controls')) return;
    if (port) {
      e.preventDefault();
      e.stopPropagation();
      this.onPortPointerDown(e, port, nodeEl.dataset.id);
      return;
    }
    if (this.connecting && this.connecting.mode === 'click') this.cancelConnecting();
    if (nodeEl && e.button === 0 && !this.spaceDown) {
      this.onNodePointerDown(e, nodeEl.dataset.id);
      return;
    }
    // Background: pan (or marquee with Shift).
    e.preventDefault();
    this.el.focus({ preventScroll: true });
    if (e.shiftKey && e.button === 0) this.startMarquee(e);
    else this.startPan(e);
  }

  track(e, onMove, onUp) {
    const id = e.pointerId;
    // Captured pointers are not hit-tested on every move, which is most of a frame at 500 nodes.
    try {
      this.el.setPointerCapture(id);
    } catch {
      // a synthetic event without an active pointer
    }
    const move = (ev) => {
      if (ev.pointerId === id) onMove(ev);
    };
    const up = (ev) => {
      if (ev.pointerId !== id) return;
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      window.removeEventListener('pointercancel', up);
      onUp(ev, ev.type === 'pointercancel');
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
    window.addEventListener('pointercancel', up);
  }

  startPan(e) {
    const start = { x: e.clientX, y: e.clientY, tx: this.t.x, ty: this.t.y };
    let moved = false;
    this.el.classList.add('panning');
    this.track(e, (ev) => {
      const dx = ev.clientX - start.x;
      const dy = ev.clientY - start.y;
      if (Math.abs(dx) + Math.abs(dy) > DRAG_THRESHOLD) moved = true;
      this.t = { ...this.t, x: start.tx + dx, y: start.ty + dy };
      this.applyTransform();
    }, () => {
      this.el.classList.remove('panning');
      this.scheduleMinimap();
      if (!moved) this.editor.clearSelection();
    });
  }

  startMarquee(e) {
    const a = this.localPoint(e);
    const add = new Set(this.editor.selection);
    this.marquee.hidden = false;
    const draw = (b) => {
      this.marquee.style.left = `${Math.min(a.x, b.x)}px`;
      this.marquee.style.top = `${Math.min(a.y, b.y)}px`;
      this.marquee.style.width = `${Math.abs(a.x - b.x)}px`;
      this.marquee.style.height = `${Math.abs(a.y - b.y)}px`;
    };
    draw(a);
    let last = a;
    this.track(e, (ev) => {
      last = this.localPoint(ev);
      draw(last);
    }, () => {
      this.marquee.hidden = true;
      const hits = marqueeHits(screenToWorld(this.t, a), screenToWorld(this.t, last), this.editor.rects());
      this.editor.select([...add, ...hits]);
      announce(`${this.editor.selection.size} nodes selected`);
    });
  }

  onNodePointerDown(e, id) {
    if (e.shiftKey || e.ctrlKey || e.metaKey) {
      this.editor.toggle(id);
      return;
    }
    if (!this.editor.selection.has(id)) this.editor.select([id]);
    const ids = [id, ...[...this.editor.selection].filter((x) => x !== id)];
    const start = { x: e.clientX, y: e.clientY };
    let session = null;
    this.track(e, (ev) => {
      const delta = { x: (ev.clientX - start.x) / this.t.k, y: (ev.clientY - start.y) / this.t.k };
      if (!session && Math.abs(ev.clientX - start.x) + Math.abs(ev.clientY - start.y) < DRAG_THRESHOLD) return;
      session ??= this.editor.startDrag(ids);
      session.update(delta, { snapToGrid: !ev.altKey, guides: !ev.altKey });
    }, (ev, cancelled) => {
      if (!session) {
        this.nodeEls.get(id)?.el.focus({ preventScroll: true });
        return;
      }
      if (cancelled) session.cancel();
      else if (session.end()) announce(moveAnnouncement(this.editor, ids));
      this.drawGuides([]);
    });
  }

  onDoubleClick(e) {
    const nodeEl = e.target.closest?.('.node');
    if (nodeEl) this.hooks.openNode?.(nodeEl.dataset.id);
    else if (!e.target.closest?.('.minimap, .zoom-controls')) this.hooks.quickAdd?.(this.worldPoint(e));
  }

  onWheel(e) {
    e.preventDefault();
    const p = this.localPoint(e);
    if (e.shiftKey) {
      this.t = { ...this.t, x: this.t.x - e.deltaY, y: this.t.y - e.deltaX };
      this.applyTransform();
      return;
    }
    const factor = Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015));
    this.t = zoomAt(this.t, factor, p);
    this.applyTransform();
  }

  onDrop(e) {
    const type = e.dataTransfer.getData(NODE_TYPE_MIME);
    if (!type) return;
    e.preventDefault();
    const p = this.worldPoint(e);
    const spec = this.editor.catalog.get(type);
    if (!spec) return;
    const id = this.editor.addNode(type, { x: p.x - 100, y: p.y - 20 });
    announce(`added ${spec.title} as ${id}`);
    this.nodeEls.get(id)?.el.focus({ preventScroll: true });
  }

  // MARK: connecting

  onPortPointerDown(e, portEl, nodeID) {
    const dir = portEl.dataset.dir;
    const port = portEl.dataset.port;
    if (this.connecting) {
      if (dir === 'in') this.finishConnecting({ node: nodeID, port });
      else this.cancelConnecting();
      return;
    }
    if (dir !== 'out') {
      announce('start a connection from an output port (on the right of a node)');
      return;
    }
    this.startConnecting({ node: nodeID, port }, 'drag');
    const start = { x: e.clientX, y: e.clientY };
    let dragged = false;
    this.track(e, (ev) => {
      if (Math.abs(ev.clientX - start.x) + Math.abs(ev.clientY - start.y) > DRAG_THRESHOLD) dragged = true;
      const a = this.portPoint(nodeID, 'out', port);
      this.tempPath.setAttribute('d', edgePath(a, this.worldPoint(ev)));
    }, (ev) => {
      if (!dragged) {
        // Click-click: wait for a click on an input port (Escape cancels).
        this.connecting.mode = 'click';
        announce(`connecting from ${nodeID} ${port}: choose an input port, or press Escape`);
        return;
      }
      const target = document.elementFromPoint(ev.clientX, ev.clientY)?.closest?.('.port.in');
      const targetNode = target?.closest('.node')?.dataset.id;
      if (target && targetNode) this.finishConnecting({ node: targetNode, port: target.dataset.port });
      else this.cancelConnecting();
    });
  }

  /** Enters connecting mode from an output: marks every input port ok or bad (with the reason). */
  startConnecting(from, mode) {
    this.connecting = { from, mode };
    this.el.classList.add('connecting');
    this.nodeEls.get(from.node)?.ports.get(`out:${from.port}`)?.classList.add('source');
    for (const target of connectionTargets(this.editor.graph, this.editor.catalog, from)) {
      const btn = this.nodeEls.get(target.node)?.ports.get(`in:${target.port}`);
      if (!btn) continue;
      const problem = target.problem;
      btn.classList.toggle('ok', !problem);
      btn.classList.toggle('bad', Boolean(problem));
      btn.title = problem ? `Cannot connect: ${problem}` : `Connect ${from.node}.${from.port} here`;
      if (problem) btn.setAttribute('aria-description', `cannot connect: ${problem}`);
      else btn.removeAttribute('aria-description');
      btn.tabIndex = 0;
    }
  }

  finishConnecting(to) {
    const from = this.connecting?.from;
    this.cancelConnecting();
    if (!from) return;
    const problem = this.editor.connect(from, to);
    if (problem) announce(`cannot connect: ${problem}`);
    else announce(connectAnnouncement(this.editor, from, to));
    this.hooks.connectResult?.(problem);
  }

  cancelConnecting() {
    if (!this.connecting) return;
    this.connecting = null;
    this.el.classList.remove('connecting');
    this.tempPath.setAttribute('d', '');
    for (const rec of this.nodeEls.values()) {
      for (const btn of rec.ports.values()) {
        btn.classList.remove('ok', 'bad', 'source');
        btn.removeAttribute('title');
        btn.removeAttribute('aria-description');
        btn.tabIndex = -1;
      }
    }
  }

  // MARK: keyboard

  onKeyDown(e) {
    const ed = this.editor;
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key;
    if (key === ' ' && !e.target.closest?.('button')) {
      this.spaceDown = true;
      e.preventDefault();
      return;
    }
    if (key === 'Escape') {
      if (this.connecting) {
        this.cancelConnecting();
        announce('connection cancelled');
      } else ed.clearSelection();
      return;
    }
    if (key.startsWith('Arrow') && !mod) {
      if (!ed.selection.size) return;
      e.preventDefault();
      const step = e.shiftKey ? GRID * 5 : GRID;
      const d = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[key];
      ed.nudgeSelection(d[0], d[1]);
      announce(moveAnnouncement(ed, [...ed.selection]));
      if (ed.selection.size === 1) this.reveal([...ed.selection][0]);
      return;
    }
    if (key === 'Delete' || key === 'Backspace') {
      e.preventDefault();
      const edge = ed.selectedEdge;
      const n = ed.deleteSelection();
      announce(n ? `deleted ${n} node${n > 1 ? 's' : ''}` : edge ? 'deleted the connection' : 'nothing selected');
      this.el.focus();
      return;
    }
    if (mod) {
      const k = key.toLowerCase();
      if (k === 'z' && !e.shiftKey) this.hooks.undo?.();
      else if ((k === 'z' && e.shiftKey) || k === 'y') this.hooks.redo?.();
      else if (k === 'c') {
        const clip = ed.copySelection();
        announce(`copied ${clip.nodes.length} nodes`);
        this.hooks.copied?.(clip);
      } else if (k === 'v') {
        const ids = ed.paste();
        announce(`pasted ${ids.length} nodes`);
      } else if (k === 'd') {
        const ids = ed.duplicateSelection();
        announce(`duplicated ${ids.length} nodes`);
      } else if (k === 'a') {
        ed.selectAll();
        announce(`${ed.selection.size} nodes selected`);
      } else return;
      e.preventDefault();
      return;
    }
    if (e.altKey) return;
    switch (key) {
      case 'Enter':
        if (e.target.classList?.contains('node')) {
          e.preventDefault();
          this.hooks.openNode?.(e.target.dataset.id);
        }
        return;
      case 'n':
      case 'N':
      case '/':
        e.preventDefault();
        this.hooks.quickAdd?.(this.focusPoint());
        return;
      case 'c':
      case 'C':
        e.preventDefault();
        this.hooks.connectByKeyboard?.();
        return;
      case 'f':
      case 'F':
        this.fit();
        return;
      case 'l':
      case 'L':
        this.hooks.layout?.();
        return;
      case '+':
      case '=':
        this.zoomBy(1.25);
        return;
      case '-':
        this.zoomBy(0.8);
        return;
      case '0':
        this.t = { ...this.t, k: 1 };
        this.applyTransform();
        return;
      default:
    }
  }

  focusNode(id) {
    this.reveal(id);
    this.nodeEls.get(id)?.el.focus({ preventScroll: true });
  }
}
