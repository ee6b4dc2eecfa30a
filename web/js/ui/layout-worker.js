// Auto-layout off the main thread: dagre (vendored from Debian's node-dagre-layout) lays out
// {nodes: [{id, width, height}], edges: [{from, to}]} left to right and answers top-left
// positions by id. The page snaps them to the grid and applies them as one undo step.
/* global dagre */
importScripts('/app/vendor/dagre/dagre.min.js');

self.onmessage = (event) => {
  const { nodes, edges, id } = event.data;
  try {
    const g = new dagre.graphlib.Graph({ multigraph: true });
    g.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 80, marginx: 0, marginy: 0 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const n of nodes) g.setNode(n.id, { width: n.width, height: n.height });
    edges.forEach((e, i) => g.setEdge(e.from, e.to, {}, `e${i}`));
    dagre.layout(g);
    const positions = {};
    for (const n of nodes) {
      const p = g.node(n.id);
      positions[n.id] = { x: p.x - n.width / 2, y: p.y - n.height / 2 };
    }
    self.postMessage({ id, positions });
  } catch (error) {
    self.postMessage({ id, error: String(error?.message ?? error) });
  }
};
