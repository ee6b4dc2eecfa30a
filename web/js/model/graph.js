// The workflow graph the editor works on: nodes with an id, type, name, config and position,
// and edges between named ports. Plain data and small mutators; undo lives in history.js and
// every change the UI makes goes through commands.js, never through these directly.
import { parseEndpoint, formatEndpoint, DEFAULT_IN, DEFAULT_OUT } from './endpoint.js';

export class Graph {
  constructor() {
    /** @type {Map<string, {id, type, name, config, position: {x, y}, extra}>} */
    this.nodes = new Map();
    /** @type {Map<string, {id, from: {node, port}, to: {node, port}}>} */
    this.edges = new Map();
    this.nextEdge = 1;
  }

  /** Adds a node (a copy of `node`); its id must be new. */
  addNode(node) {
    if (this.nodes.has(node.id)) throw new Error(`node "${node.id}" already exists`);
    const copy = {
      id: node.id,
      type: node.type,
      name: node.name ?? '',
      config: structuredClone(node.config ?? {}),
      position: { x: node.position?.x ?? 0, y: node.position?.y ?? 0 },
      extra: structuredClone(node.extra ?? {}),
    };
    this.nodes.set(copy.id, copy);
    return copy;
  }

  /** Removes a node and returns it with the edges that touched it (also removed). */
  removeNode(id) {
    const node = this.nodes.get(id);
    if (!node) return null;
    const edges = this.edgesOf(id);
    for (const e of edges) this.edges.delete(e.id);
    this.nodes.delete(id);
    return { node, edges };
  }

  /** Adds an edge; `from`/`to` are "node.port" strings or {node, port}. Returns the edge. */
  addEdge(from, to, id) {
    const f = typeof from === 'string' ? parseEndpoint(from, DEFAULT_OUT) : { ...from };
    const t = typeof to === 'string' ? parseEndpoint(to, DEFAULT_IN) : { ...to };
    const edgeID = id ?? `e${this.nextEdge++}`;
    if (this.edges.has(edgeID)) throw new Error(`edge "${edgeID}" already exists`);
    const edge = { id: edgeID, from: f, to: t };
    this.edges.set(edgeID, edge);
    return edge;
  }

  removeEdge(id) {
    const edge = this.edges.get(id);
    this.edges.delete(id);
    return edge ?? null;
  }

  /** The edge joining exactly these endpoints, if any. */
  findEdge(from, to) {
    for (const e of this.edges.values()) {
      if (e.from.node === from.node && e.from.port === from.port && e.to.node === to.node && e.to.port === to.port) return e;
    }
    return null;
  }

  /** Edges that start or end at this node. */
  edgesOf(id) {
    return [...this.edges.values()].filter((e) => e.from.node === id || e.to.node === id);
  }

  /** Ids of nodes fed by this node. */
  successors(id) {
    return [...this.edges.values()].filter((e) => e.from.node === id).map((e) => e.to.node);
  }

  /** A deep copy (for snapshots in tests and exports). */
  clone() {
    const g = new Graph();
    for (const n of this.nodes.values()) g.addNode(n);
    for (const e of this.edges.values()) g.addEdge(e.from, e.to, e.id);
    g.nextEdge = this.nextEdge;
    return g;
  }

  /** A comparable plain form: nodes by id, edges as "a.out -> b.in" sorted. */
  snapshot() {
    const nodes = {};
    for (const n of [...this.nodes.values()].sort((a, b) => a.id.localeCompare(b.id))) nodes[n.id] = structuredClone(n);
    const edges = [...this.edges.values()].map((e) => `${formatEndpoint(e.from)} -> ${formatEndpoint(e.to)}`).sort();
    return { nodes, edges };
  }
}

/** A fresh node id for a type: "http.request" -> "http_request_1", unique in the graph. */
export function freshNodeID(graph, type, taken = new Set()) {
  let base = String(type).replace(/[^A-Za-z0-9_-]/g, '_').replace(/^[^A-Za-z_]/, '_$&').slice(0, 56) || 'node';
  for (let i = 1; ; i++) {
    const id = `${base}_${i}`;
    if (!graph.nodes.has(id) && !taken.has(id)) return id;
  }
}
