// Whether an output port may feed an input port, with a reason when not. The type rule is
// the server's (WorkflowValidator.incompatibility) so the editor never accepts an edge that
// saving would refuse.
import { ancestors } from './cycles.js';

function declaredTypes(schema) {
  const t = schema?.type;
  if (t === undefined) return null;
  const list = Array.isArray(t) ? t.filter((x) => typeof x === 'string') : typeof t === 'string' ? [t] : [];
  return new Set(list);
}

/**
 * Why values of a port with schema `output` cannot flow into one with schema `input`, or null
 * when they can. An integer is a number; a port without a declared type takes anything.
 */
export function incompatibility(output, input) {
  const produced = declaredTypes(output);
  const accepted = declaredTypes(input);
  if (!produced || !accepted) return null;
  const widened = new Set(accepted);
  if (accepted.has('number')) widened.add('integer');
  if ([...produced].every((t) => widened.has(t))) return null;
  return `the output produces ${[...produced].sort().join(' or ')} but the input accepts ${[...accepted].sort().join(' or ')}`;
}

/**
 * Checks a would-be edge from {node, port} to {node, port}: both nodes and ports exist, the
 * edge is new, the types fit, and no cycle results. Returns null when it may be made, or a
 * sentence saying why not (for a title, aria-description or announcement).
 */
export function connectionProblem(graph, catalog, from, to, upstream) {
  const source = graph.nodes.get(from.node);
  const target = graph.nodes.get(to.node);
  if (!source) return `there is no node "${from.node}"`;
  if (!target) return `there is no node "${to.node}"`;
  if (from.node === to.node) return 'a node cannot connect to itself';
  const out = catalog.port(source.type, 'out', from.port);
  if (!out) return `${source.type} has no output port "${from.port}"`;
  const input = catalog.port(target.type, 'in', to.port);
  if (!input) return `${target.type} has no input port "${to.port}"`;
  if (graph.findEdge(from, to)) return 'these ports are already connected';
  const reason = incompatibility(out.schema, input.schema);
  if (reason) return reason;
  if ((upstream ?? ancestors(graph, from.node)).has(to.node)) return 'this connection would make a cycle; workflows must be acyclic (use a loop node to repeat)';
  return null;
}

/**
 * Every input port of every other node, each with `problem` (null when `from` may connect to it):
 * what the canvas highlights while a connection is being made.
 */
export function connectionTargets(graph, catalog, from) {
  const result = [];
  const upstream = ancestors(graph, from.node);
  for (const node of graph.nodes.values()) {
    for (const port of catalog.inputs(node.type)) {
      const to = { node: node.id, port: port.name };
      result.push({ ...to, problem: connectionProblem(graph, catalog, from, to, upstream) });
    }
  }
  return result;
}
