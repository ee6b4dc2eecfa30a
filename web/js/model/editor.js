// The editor's state without any DOM: the graph, its one undo/redo stack, the selection, and
// every user-level operation (add, connect, move, drag, copy/paste, delete, layout). The UI
// calls these and re-renders on the change events it receives.
import { Graph, freshNodeID } from './graph.js';
import { History, batch } from './history.js';
import * as cmd from './commands.js';
import { connectionProblem } from './ports.js';
import { nodeSize, placeWithoutOverlap, dragTarget, snap, snapPoint, GRID } from './geometry.js';
import { copyNodes, pasteCommands } from './clipboard.js';
import { toDefinition, fromDefinition } from './serialize.js';
import { isValidNodeID } from './endpoint.js';

export class Editor {
  constructor(catalog, { grid = GRID, snapToGrid = true } = {}) {
    this.catalog = catalog;
    this.graph = new Graph();
    this.history = new History();
    this.selection = new Set();
    this.selectedEdge = null;
    this.grid = grid;
    this.snapToGrid = snapToGrid;
    this.listeners = new Set();
    this.revision = 0;
    this.savedRevision = 0;
    this.clip = null;
  }

  /** Subscribes to changes: fn({kind, ids?, label?}); returns the unsubscribe function. */
  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(change) {
    if (change.kind !== 'selection' && change.kind !== 'preview') this.revision++;
    for (const fn of this.listeners) fn(change);
  }

  get dirty() {
    return this.revision !== this.savedRevision;
  }

  markSaved() {
    this.savedRevision = this.revision;
  }

  // MARK: sizes and placement

  sizeOf(node) {
    return nodeSize(this.catalog.inputs(node.type).length, this.catalog.outputs(node.type).length);
  }

  rectOf(id) {
    const n = this.graph.nodes.get(id);
    return n ? { x: n.position.x, y: n.position.y, ...this.sizeOf(n) } : null;
  }

  /** Map id -> world rect of every node. */
  rects() {
    const m = new Map();
    for (const id of this.graph.nodes.keys()) m.set(id, this.rectOf(id));
    return m;
  }

  otherRects(exclude) {
    const out = [];
    for (const [id, r] of this.rects()) if (!exclude.has(id)) out.push(r);
    return out;
  }

  // MARK: operations (each one undo step)

  run(command) {
    this.history.execute(command);
    this.emit({ kind: 'graph', label: command.label });
    return command;
  }

  /** Adds a node of `type` at (or near, without overlap) `at`; selects it; returns its id. */
  addNode(type, at = { x: 0, y: 0 }, { name, config } = {}) {
    const spec = this.catalog.get(type);
    if (!spec) throw new Error(`unknown node type "${type}"`);
    const id = freshNodeID(this.graph, type);
    const size = nodeSize(spec.inputs.length, spec.outputs.length);
    const position = placeWithoutOverlap(at, size, [...this.rects().values()], { grid: this.grid });
    this.run(cmd.addNode(this.graph, { id, type, name: name ?? spec.title ?? type, config: config ?? this.catalog.defaultConfig(type), position }));
    this.select([id]);
    return id;
  }

  /** Connects two endpoints; returns null, or the reason it was refused (nothing changes then). */
  connect(from, to) {
    const problem = connectionProblem(this.graph, this.catalog, from, to);
    if (problem) return problem;
    this.run(cmd.addEdge(this.graph, from, to));
    return null;
  }

  disconnect(edgeID) {
    if (!this.graph.edges.has(edgeID)) return;
    if (this.selectedEdge === edgeID) this.selectedEdge = null;
    this.run(cmd.removeEdge(this.graph, edgeID));
  }

  /** Deletes the selected nodes (with their edges) and the selected edge, as one step. */
  deleteSelection() {
    const ids = [...this.selection].filter((id) => this.graph.nodes.has(id));
    const commands = [];
    if (this.selectedEdge && this.graph.edges.has(this.selectedEdge)) {
      const e = this.graph.edges.get(this.selectedEdge);
      if (!ids.includes(e.from.node) && !ids.includes(e.to.node)) commands.push(cmd.removeEdge(this.graph, this.selectedEdge));
    }
    if (ids.length) commands.push(cmd.removeNodes(this.graph, ids));
    if (!commands.length) return 0;
    this.history.transaction('delete', () => commands.forEach((c) => this.history.execute(c)));
    this.selection.clear();
    this.selectedEdge = null;
    this.emit({ kind: 'graph', label: 'delete' });
    return ids.length;
  }

  /** Moves the selection by (dx, dy) world units as one step (arrow keys). */
  nudgeSelection(dx, dy) {
    const moves = [...this.selection].filter((id) => this.graph.nodes.has(id)).map((id) => {
      const p = this.graph.nodes.get(id).position;
      return { id, from: { ...p }, to: { x: p.x + dx, y: p.y + dy } };
    });
    if (!moves.length) return;
    this.run(cmd.moveNodes(this.graph, moves));
  }

  /**
   * Starts dragging `ids` (the first is the one under the pointer: guides align it). Positions
   * change live ('preview' events) and become one undo step on end(); cancel() puts them back.
   */
  startDrag(ids) {
    const list = ids.filter((id) => this.graph.nodes.has(id));
    const starts = new Map(list.map((id) => [id, { ...this.graph.nodes.get(id).position }]));
    const others = this.otherRects(new Set(list));
    const lead = list[0];
    let guides = [];
    const session = {
      update: (delta, { snapToGrid = this.snapToGrid, guides: useGuides = true } = {}) => {
        if (!lead) return [];
        const leadStart = starts.get(lead);
        const target = dragTarget(leadStart, delta, this.sizeOf(this.graph.nodes.get(lead)), others, { grid: this.grid, snapToGrid, guides: useGuides });
        const shift = { x: target.position.x - leadStart.x, y: target.position.y - leadStart.y };
        for (const [id, s] of starts) this.graph.nodes.get(id).position = { x: s.x + shift.x, y: s.y + shift.y };
        guides = target.guides;
        this.emit({ kind: 'preview', ids: list, guides });
        return guides;
      },
      end: () => {
        const moves = list
          .map((id) => ({ id, from: starts.get(id), to: { ...this.graph.nodes.get(id).position } }))
          .filter((m) => m.from.x !== m.to.x || m.from.y !== m.to.y);
        if (moves.length) {
          this.history.record(cmd.moveNodes(this.graph, moves));
          this.emit({ kind: 'graph', label: moves.length === 1 ? `move ${moves[0].id}` : `move ${moves.length} nodes`, ids: list });
        }
        return moves.length;
      },
      cancel: () => {
        for (const [id, s] of starts) this.graph.nodes.get(id).position = { ...s };
        this.emit({ kind: 'preview', ids: list, guides: [] });
      },
    };
    return session;
  }

  updateNode(id, patch, label) {
    if (!this.graph.nodes.has(id)) return;
    this.run(cmd.updateNode(this.graph, id, patch, label));
  }

  /** Renames a node's id (edges follow); returns an error message or null. */
  renameNodeID(oldID, newID) {
    if (oldID === newID) return null;
    if (!isValidNodeID(newID)) return "must be 1-64 letters, digits, '_' or '-', starting with a letter or '_'";
    if (this.graph.nodes.has(newID)) return `"${newID}" is already used`;
    this.run(cmd.renameNodeID(this.graph, oldID, newID));
    if (this.selection.delete(oldID)) this.selection.add(newID);
    return null;
  }

  // MARK: clipboard

  copySelection() {
    this.clip = copyNodes(this.graph, [...this.selection]);
    return this.clip;
  }

  /** Pastes a clip (default: the last copied) offset from where it came from, avoiding overlaps; selects the copies. */
  paste(clip = this.clip, offset = { x: 2 * this.grid, y: 2 * this.grid }) {
    if (!clip || !clip.nodes.length) return [];
    const placed = [...this.rects().values()];
    const place = (p, n) => {
      const size = this.sizeOf(n);
      const at = placeWithoutOverlap(p, size, placed, { grid: this.grid });
      placed.push({ ...at, ...size });
      return at;
    };
    const { commands, ids } = pasteCommands(this.graph, clip, offset, place);
    this.history.transaction(`paste ${ids.length} nodes`, () => commands.forEach((c) => this.history.execute(c)));
    this.select(ids, { emit: false });
    this.emit({ kind: 'graph', label: 'paste', ids });
    return ids;
  }

  duplicateSelection() {
    return this.paste(copyNodes(this.graph, [...this.selection]));
  }

  // MARK: layout

  /** Applies positions (Map or object id -> {x, y}) snapped to the grid, as one step. */
  applyLayout(positions, label = 'auto-layout') {
    const entries = positions instanceof Map ? [...positions] : Object.entries(positions);
    const moves = entries
      .filter(([id]) => this.graph.nodes.has(id))
      .map(([id, p]) => ({ id, from: { ...this.graph.nodes.get(id).position }, to: snapPoint(p, this.grid) }));
    if (!moves.length) return;
    this.run(cmd.moveNodes(this.graph, moves, label));
  }

  /** What the layout worker needs: nodes with sizes, edges by node. */
  layoutInput() {
    return {
      nodes: [...this.graph.nodes.values()].map((n) => ({ id: n.id, ...this.sizeOf(n) })),
      edges: [...this.graph.edges.values()].map((e) => ({ from: e.from.node, to: e.to.node })),
    };
  }

  // MARK: selection

  select(ids, { add = false, emit = true } = {}) {
    if (!add) this.selection.clear();
    for (const id of ids) if (this.graph.nodes.has(id)) this.selection.add(id);
    this.selectedEdge = null;
    if (emit) this.emit({ kind: 'selection' });
  }

  toggle(id) {
    if (this.selection.has(id)) this.selection.delete(id);
    else if (this.graph.nodes.has(id)) this.selection.add(id);
    this.emit({ kind: 'selection' });
  }

  selectEdge(id) {
    this.selection.clear();
    this.selectedEdge = this.graph.edges.has(id) ? id : null;
    this.emit({ kind: 'selection' });
  }

  selectAll() {
    this.select([...this.graph.nodes.keys()]);
  }

  clearSelection() {
    this.select([]);
  }

  // MARK: undo

  undo() {
    const c = this.history.undo();
    if (c) this.afterHistory(`undid ${c.label}`);
    return c;
  }

  redo() {
    const c = this.history.redo();
    if (c) this.afterHistory(`redid ${c.label}`);
    return c;
  }

  afterHistory(label) {
    for (const id of [...this.selection]) if (!this.graph.nodes.has(id)) this.selection.delete(id);
    if (this.selectedEdge && !this.graph.edges.has(this.selectedEdge)) this.selectedEdge = null;
    this.emit({ kind: 'graph', label });
  }

  // MARK: load and save

  /** Replaces the graph with a definition (clears undo, selection). */
  load(definition) {
    this.graph = fromDefinition(definition);
    this.history.clear();
    this.selection.clear();
    this.selectedEdge = null;
    this.emit({ kind: 'load' });
    this.markSaved();
  }

  toDefinition() {
    return toDefinition(this.graph);
  }
}

export { snap, batch };
