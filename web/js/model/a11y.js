// Accessible names and announcements, as plain strings (the UI puts them in aria-label and the
// live region with setAttribute/textContent).

/** "jq node “Pick items” (id pick), status failed, inputs: in; outputs: out". */
export function nodeLabel(node, spec, status) {
  const ins = (spec?.inputs ?? []).map((p) => p.name).join(', ') || 'none';
  const outs = (spec?.outputs ?? []).map((p) => p.name).join(', ') || 'none';
  const name = node.name ? `“${node.name}” ` : '';
  return `${spec?.title ?? node.type} node ${name}(id ${node.id})${status ? `, status ${status}` : ''}, inputs: ${ins}; outputs: ${outs}`;
}

/** "output port out of Pick items (accepts object or array)". */
export function portLabel(node, direction, port) {
  const t = port.schema?.type;
  const types = t === undefined ? 'any value' : Array.isArray(t) ? t.join(' or ') : t;
  return `${direction === 'in' ? 'input' : 'output'} port ${port.name} of ${node.name || node.id} (${direction === 'in' ? 'accepts' : 'produces'} ${types})`;
}

export function moveAnnouncement(editor, ids) {
  if (ids.length !== 1) return `moved ${ids.length} nodes`;
  const n = editor.graph.nodes.get(ids[0]);
  return n ? `moved ${n.name || n.id} to ${Math.round(n.position.x)}, ${Math.round(n.position.y)}` : '';
}

export function connectAnnouncement(editor, from, to) {
  const name = (id) => editor.graph.nodes.get(id)?.name || id;
  return `connected ${name(from.node)} ${from.port} to ${name(to.node)} ${to.port}`;
}
