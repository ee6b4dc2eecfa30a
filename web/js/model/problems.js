// The server's validation problems (422 application/problem+json with
// `errors: [{node?, edge?, port?, field?, message}]`, see Gateway/Problem.swift) sorted by the
// node and field they concern, so the canvas can mark nodes and the property pane fields.

/**
 * Groups a problem body: {byNode: Map<nodeID, [{field, path, port, edge, message}]>, general:
 * [text]}. `path` is the field inside the node's config as an array (["bucket_seconds"]), or
 * null for fields outside config (e.g. "retry.max_attempts" stays in `field`).
 */
export function groupProblems(problem) {
  const byNode = new Map();
  const general = [];
  const errors = Array.isArray(problem?.errors) ? problem.errors : [];
  for (const e of errors) {
    const message = String(e?.message ?? '');
    if (typeof e?.node === 'string') {
      const list = byNode.get(e.node) ?? [];
      list.push({ field: e.field ?? null, path: configPath(e.field), port: e.port ?? null, edge: e.edge ?? null, message });
      byNode.set(e.node, list);
    } else {
      general.push([e?.edge ? `edge ${e.edge}` : null, e?.field ? `${e.field}` : null].filter(Boolean).join(', ') + (e?.edge || e?.field ? ': ' : '') + message);
    }
  }
  if (!errors.length && problem?.detail) general.push(String(problem.detail));
  return { byNode, general };
}

/** "config.child.node.type" -> ["child", "node", "type"]; anything not under config -> null. */
export function configPath(field) {
  if (typeof field !== 'string' || !field.startsWith('config')) return null;
  const rest = field.slice('config'.length);
  if (rest === '') return [];
  if (!rest.startsWith('.') && !rest.startsWith('[')) return null;
  return rest.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== '');
}

/** A one-line summary of any problem+json body, for a status message. */
export function problemSummary(problem, status) {
  if (problem && typeof problem === 'object') {
    const title = problem.title ? String(problem.title) : `HTTP ${status ?? problem.status ?? ''}`.trim();
    return problem.detail ? `${title}: ${problem.detail}` : title;
  }
  return `HTTP ${status}`;
}
