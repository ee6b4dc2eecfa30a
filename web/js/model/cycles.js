// Workflows are acyclic (the server refuses cycles; loops are a node). The editor refuses an
// edge that would close one before the server has to.

/** True when an edge from `fromNode` to `toNode` would close a cycle (including a self-loop). */
export function wouldCreateCycle(graph, fromNode, toNode) {
  // A cycle appears exactly when toNode already reaches fromNode, i.e. is one of its ancestors.
  return fromNode === toNode || ancestors(graph, fromNode).has(toNode);
}

/**
 * Every node with a path to `id` (not `id` itself unless on a cycle). One pass over the edges
 * and one walk, so checking all of a canvas's ports against one source stays linear.
 */
export function ancestors(graph, id) {
  const predecessors = new Map();
  for (const e of graph.edges.values()) {
    if (!predecessors.has(e.to.node)) predecessors.set(e.to.node, []);
    predecessors.get(e.to.node).push(e.from.node);
  }
  const seen = new Set();
  const stack = [id];
  while (stack.length) {
    for (const prev of predecessors.get(stack.pop()) ?? []) {
      if (!seen.has(prev)) {
        seen.add(prev);
        stack.push(prev);
      }
    }
  }
  return seen;
}

/** Node ids in dependency order (Kahn, ties by insertion order), and a node on a cycle if any. */
export function topologicalOrder(graph) {
  const indegree = new Map();
  for (const id of graph.nodes.keys()) indegree.set(id, 0);
  for (const e of graph.edges.values()) {
    if (indegree.has(e.from.node) && indegree.has(e.to.node)) indegree.set(e.to.node, indegree.get(e.to.node) + 1);
  }
  const successors = new Map();
  for (const e of graph.edges.values()) {
    if (!successors.has(e.from.node)) successors.set(e.from.node, []);
    successors.get(e.from.node).push(e.to.node);
  }
  const ready = [...graph.nodes.keys()].filter((id) => indegree.get(id) === 0);
  const order = [];
  for (let head = 0; head < ready.length; head++) {
    const id = ready[head];
    order.push(id);
    for (const next of successors.get(id) ?? []) {
      if (!indegree.has(next)) continue;
      indegree.set(next, indegree.get(next) - 1);
      if (indegree.get(next) === 0) ready.push(next);
    }
  }
  const cycleNode = order.length < graph.nodes.size ? [...graph.nodes.keys()].find((id) => indegree.get(id) > 0) : null;
  return { order, cycleNode };
}
