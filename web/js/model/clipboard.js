// Copy, paste and duplicate. A clip holds copies of the chosen nodes and the edges between
// them; pasting gives every node a fresh id and rewires those edges to the new ids.
import { freshNodeID } from './graph.js';
import { addNode, addEdge } from './commands.js';

/** A clip of `ids` (unknown ids are skipped). */
export function copyNodes(graph, ids) {
  const set = new Set(ids.filter((id) => graph.nodes.has(id)));
  return {
    nodes: [...set].map((id) => structuredClone(graph.nodes.get(id))),
    edges: [...graph.edges.values()].filter((e) => set.has(e.from.node) && set.has(e.to.node)).map((e) => structuredClone({ from: e.from, to: e.to })),
  };
}

/**
 * The commands that paste `clip` into `graph` shifted by `offset`, with `place(position, node)`
 * choosing each node's final position (to avoid overlaps). Returns {commands, ids} with the
 * new ids in clip order. Run the commands in one history transaction.
 */
export function pasteCommands(graph, clip, offset = { x: 40, y: 40 }, place = (p) => p) {
  const mapping = new Map();
  const taken = new Set();
  const commands = [];
  for (const n of clip.nodes) {
    const id = freshNodeID(graph, n.type, taken);
    taken.add(id);
    mapping.set(n.id, id);
    const position = place({ x: n.position.x + offset.x, y: n.position.y + offset.y }, n);
    commands.push(addNode(graph, { ...structuredClone(n), id, position }));
  }
  for (const e of clip.edges) {
    commands.push(addEdge(graph, { node: mapping.get(e.from.node), port: e.from.port }, { node: mapping.get(e.to.node), port: e.to.port }));
  }
  return { commands, ids: [...mapping.values()] };
}

/** A clip as text for the system clipboard, and back (null when the text is not one). */
export function clipToText(clip) {
  return JSON.stringify({ flowgate_clip: 1, ...clip });
}

export function clipFromText(text) {
  try {
    const o = JSON.parse(text);
    if (o?.flowgate_clip !== 1 || !Array.isArray(o.nodes) || !Array.isArray(o.edges)) return null;
    return { nodes: o.nodes, edges: o.edges };
  } catch {
    return null;
  }
}
