// To and from the server's workflow definition JSON:
//   {"nodes": [{"id", "type", "config", "name"?, "position"?: {"x", "y"}, ...}], "edges": [{"from": "a.out", "to": "b.in"}]}
// The server keeps `name` and `position` (and notes, disabled, retry, timeout_ms, concurrency)
// beside a node without interpreting them (WorkflowDefinition.nodePresentationKeys), so the
// layout travels with each saved version.
import { Graph } from './graph.js';
import { formatEndpoint, parseEndpoint, DEFAULT_IN, DEFAULT_OUT } from './endpoint.js';
import { topologicalOrder } from './cycles.js';
import { GRID, snap } from './geometry.js';

/** Keys the server accepts on a node besides id, type and config, other than name and position. */
export const NODE_OPTION_KEYS = ['notes', 'disabled', 'retry', 'timeout_ms', 'concurrency'];

/** The definition to PUT/POST for this graph. */
export function toDefinition(graph) {
  const nodes = [];
  for (const n of graph.nodes.values()) {
    const o = { id: n.id, type: n.type, config: structuredClone(n.config ?? {}) };
    if (n.name) o.name = n.name;
    o.position = { x: Math.round(n.position.x), y: Math.round(n.position.y) };
    for (const [k, v] of Object.entries(n.extra ?? {})) if (!(k in o)) o[k] = structuredClone(v);
    nodes.push(o);
  }
  const edges = [...graph.edges.values()].map((e) => ({ from: formatEndpoint(e.from), to: formatEndpoint(e.to) }));
  return { nodes, edges };
}

/**
 * Reads a definition, or a whole workflow object holding one under `definition`. Nodes without
 * a position are laid out left to right by dependency rank. Throws an Error whose message says
 * what is wrong with the shape (the server judges everything else).
 */
export function fromDefinition(json) {
  const def = json && typeof json === 'object' && 'definition' in json ? json.definition : json;
  if (!def || typeof def !== 'object' || !Array.isArray(def.nodes)) throw new Error('a workflow definition needs a "nodes" array');
  if (def.edges !== undefined && !Array.isArray(def.edges)) throw new Error('"edges" must be an array');
  const graph = new Graph();
  const unplaced = [];
  def.nodes.forEach((n, i) => {
    if (!n || typeof n !== 'object' || typeof n.id !== 'string' || typeof n.type !== 'string') {
      throw new Error(`nodes[${i}] needs a string "id" and "type"`);
    }
    if (graph.nodes.has(n.id)) throw new Error(`node id "${n.id}" is used twice`);
    const { id, type, config, name, position, ...rest } = n;
    const hasPosition = position && Number.isFinite(position.x) && Number.isFinite(position.y);
    graph.addNode({ id, type, config: config ?? {}, name: typeof name === 'string' ? name : '', position: hasPosition ? position : { x: 0, y: 0 }, extra: rest });
    if (!hasPosition) unplaced.push(id);
  });
  (def.edges ?? []).forEach((e, i) => {
    if (!e || typeof e.from !== 'string' || typeof e.to !== 'string') throw new Error(`edges[${i}] needs string "from" and "to"`);
    graph.addEdge(parseEndpoint(e.from, DEFAULT_OUT), parseEndpoint(e.to, DEFAULT_IN));
  });
  if (unplaced.length) placeByRank(graph, new Set(unplaced));
  return graph;
}

/** Positions the given nodes in columns by dependency rank (a quick layout before dagre's). */
export function placeByRank(graph, ids) {
  const rank = new Map();
  const { order } = topologicalOrder(graph);
  for (const id of order) {
    let r = 0;
    for (const e of graph.edges.values()) if (e.to.node === id && rank.has(e.from.node)) r = Math.max(r, rank.get(e.from.node) + 1);
    rank.set(id, r);
  }
  const rows = new Map();
  for (const id of ids) {
    const r = rank.get(id) ?? 0;
    const row = rows.get(r) ?? 0;
    rows.set(r, row + 1);
    graph.nodes.get(id).position = { x: snap(r * 260, GRID), y: snap(row * 140, GRID) };
  }
}
