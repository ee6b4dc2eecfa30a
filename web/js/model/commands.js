// The changes the editor makes to a graph, each as a reversible command for history.js.

export function addNode(graph, node) {
  return {
    label: `add ${node.name || node.id}`,
    apply: () => graph.addNode(node),
    revert: () => graph.removeNode(node.id),
  };
}

/** Removes nodes with every edge that touches them; undo restores both, with the same edge ids. */
export function removeNodes(graph, ids) {
  let removed = [];
  return {
    label: ids.length === 1 ? `delete ${ids[0]}` : `delete ${ids.length} nodes`,
    apply() {
      removed = ids.map((id) => graph.removeNode(id)).filter(Boolean);
    },
    revert() {
      for (const { node } of removed) graph.addNode(node);
      const seen = new Set();
      for (const { edges } of removed) {
        for (const e of edges) {
          if (seen.has(e.id)) continue;
          seen.add(e.id);
          graph.addEdge(e.from, e.to, e.id);
        }
      }
    },
  };
}

export function addEdge(graph, from, to, id) {
  let edgeID = id;
  return {
    label: `connect ${from.node}.${from.port} to ${to.node}.${to.port}`,
    apply() {
      edgeID = graph.addEdge(from, to, edgeID).id;
    },
    revert() {
      graph.removeEdge(edgeID);
    },
    get edgeID() {
      return edgeID;
    },
  };
}

export function removeEdge(graph, id) {
  const edge = graph.edges.get(id);
  return {
    label: 'delete connection',
    apply: () => graph.removeEdge(id),
    revert: () => graph.addEdge(edge.from, edge.to, edge.id),
  };
}

/** Moves nodes: `moves` is [{id, from: {x, y}, to: {x, y}}]. */
export function moveNodes(graph, moves, label) {
  const set = (key) => () => {
    for (const m of moves) {
      const n = graph.nodes.get(m.id);
      if (n) n.position = { ...m[key] };
    }
  };
  return { label: label ?? (moves.length === 1 ? `move ${moves[0].id}` : `move ${moves.length} nodes`), apply: set('to'), revert: set('from') };
}

/** Changes fields of a node (name, config, extra): `patch` holds the new values. */
export function updateNode(graph, id, patch, label) {
  const node = graph.nodes.get(id);
  const before = {};
  for (const key of Object.keys(patch)) before[key] = structuredClone(node[key]);
  const after = structuredClone(patch);
  const set = (values) => () => {
    const n = graph.nodes.get(id);
    for (const [k, v] of Object.entries(values)) n[k] = structuredClone(v);
  };
  return { label: label ?? `edit ${id}`, apply: set(after), revert: set(before) };
}

/** Gives a node a new id, rewriting the edges that name it. */
export function renameNodeID(graph, oldID, newID) {
  const swap = (a, b) => () => {
    const node = graph.nodes.get(a);
    graph.nodes.delete(a);
    node.id = b;
    // Keep insertion order stable enough for the user: re-adding at the end is acceptable.
    graph.nodes.set(b, node);
    for (const e of graph.edges.values()) {
      if (e.from.node === a) e.from.node = b;
      if (e.to.node === a) e.to.node = b;
    }
  };
  return { label: `rename ${oldID} to ${newID}`, apply: swap(oldID, newID), revert: swap(newID, oldID) };
}
