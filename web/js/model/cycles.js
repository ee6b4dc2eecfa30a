// Workflows are acyclic (the server refuses cycles; loops are a node). The editor refuses an
// edge that would close one before the server has to.

/** True when an edge from `fromNode` to `toNode` would close a cycle (including a self-loop). */
export function wouldCreateCycle(graph, fromNode, toNode) {
  if (fromNode === toNode) return true;
  // A cycle appears exactly when fromNode is already reachable from toNode.
  const seen = new Set([toNode]);
  const stack = [toNode];
  while (stack.length) {
    const id = stack.pop();
    for (const next of graph.successors(id)) {
      if (next === fromNode) return true;
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return false;
}

/** Node ids in dependency order (Kahn, ties by insertion order), and a node on a cycle if any. */
export function topologicalOrder(graph) {
  const indegree = new Map();
  for (const id of graph.nodes.keys()) indegree.set(id, 0);
  for (const e of graph.edges.values()) {
    if (indegree.has(e.from.node) && indegree.has(e.to.node)) indegree.set(e.to.node, indegree.get(e.to.node) + 1);
  }
  const ready = [...graph.nodes.keys()].filter((id) => indegree.get(id) === 0);
  const order = [];
  for (let head = 0; head < ready.length; head++) {
    const id = ready[head];
    order.push(id);
    for (const next of graph.successors(id)) {
      indegree.set(next, indegree.get(next) - 1);
      if (indegree.get(next) === 0) ready.push(next);
    }
  }
  const cycleNode = order.length < graph.nodes.size ? [...graph.nodes.keys()].find((id) => indegree.get(id) > 0) : null;
  return { order, cycleNode };
}
