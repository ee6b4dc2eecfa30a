// Edge endpoints as the server writes them: "node.port". The node id is everything before the
// last dot (WorkflowDefinition.endpoint), and a missing port means the default one.

/** The default port of a source ("out") and of a target ("in"). */
export const DEFAULT_OUT = 'out';
export const DEFAULT_IN = 'in';

/** Splits "node.port" (or "node", meaning the default port) into {node, port}. */
export function parseEndpoint(text, defaultPort) {
  const dot = text.lastIndexOf('.');
  if (dot < 0) return { node: text, port: defaultPort };
  return { node: text.slice(0, dot), port: text.slice(dot + 1) };
}

/** "node.port". */
export function formatEndpoint({ node, port }) {
  return `${node}.${port}`;
}

/** The same rule as the server's WorkflowValidator.isValidID. */
export function isValidNodeID(id) {
  return typeof id === 'string' && /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(id);
}
