// A run as the run view shows it, folded from the event log of GET .../runs/{run}/events
// (types as in Engine/RunState.swift), plus the rule for chart outputs.

export const TERMINAL = new Set(['succeeded', 'failed']);

export function isTerminal(status) {
  return TERMINAL.has(status);
}

/**
 * Folds events into {status, nodes: {id: {status, attempts, errors: [{attempt, message, willRetry,
 * retryInMs}], input, outputs, items: {succeeded, failed}}}, error, deadLetter, lastSeq}.
 * `into` continues an earlier fold, so polling can feed each page as it comes.
 */
export function foldEvents(events, into) {
  const state = into ?? { status: 'queued', nodes: {}, error: null, deadLetter: null, lastSeq: 0 };
  const node = (id) => (state.nodes[id] ??= { status: 'pending', attempts: 0, errors: [], input: undefined, outputs: undefined, items: { succeeded: 0, failed: 0 } });
  for (const e of events) {
    if (typeof e.seq === 'number' && e.seq <= state.lastSeq) continue; // a page seen already
    state.lastSeq = Math.max(state.lastSeq, e.seq ?? 0);
    const d = e.data ?? {};
    switch (e.type) {
      case 'RunCreated':
      case 'RunRedriven':
        state.status = 'queued';
        break;
      case 'RunStarted':
        state.status = 'running';
        break;
      case 'StepStarted': {
        const n = node(e.node);
        n.status = 'running';
        n.attempts = Math.max(n.attempts, d.attempt ?? n.attempts + 1);
        if (d.input !== undefined) n.input = d.input;
        break;
      }
      case 'StepSucceeded':
        node(e.node).status = 'succeeded';
        node(e.node).outputs = d.outputs;
        break;
      case 'StepFailed':
        node(e.node).status = d.will_retry ? 'retrying' : 'failed';
        node(e.node).errors.push({ attempt: d.attempt ?? null, message: String(d.error ?? ''), willRetry: Boolean(d.will_retry), retryInMs: d.retry_in_ms ?? null });
        break;
      case 'StepSkipped':
        node(e.node).status = 'skipped';
        break;
      case 'ItemSucceeded':
        node(e.node).items.succeeded++;
        break;
      case 'ItemFailed':
        node(e.node).items.failed++;
        break;
      case 'RunSucceeded':
        state.status = 'succeeded';
        break;
      case 'RunFailed':
        state.status = 'failed';
        state.error = d.error ?? null;
        state.deadLetter = d.dead_letter ?? null;
        break;
      default:
        break;
    }
  }
  return state;
}

/** A one-line description of an event for the timeline (plain text; the UI sets it as textContent). */
export function describeEvent(e) {
  const d = e.data ?? {};
  const who = e.node ? `${e.node}: ` : '';
  switch (e.type) {
    case 'StepStarted':
      return `${who}started (attempt ${d.attempt ?? 1})`;
    case 'StepSucceeded':
      return `${who}succeeded`;
    case 'StepFailed':
      return `${who}failed (attempt ${d.attempt ?? '?'}): ${d.error ?? ''}${d.will_retry ? ` — retrying in ${d.retry_in_ms ?? '?'} ms` : ''}`;
    case 'StepSkipped':
      return `${who}skipped`;
    case 'RunFailed':
      return `run failed${d.node ? ` at ${d.node}` : ''}: ${d.error ?? ''}`;
    default:
      return `${who}${e.type}`;
  }
}

/**
 * The SVG text of a chart node's output ({svg: "<svg ...", series}), or null. The UI shows it
 * only as an <img> with a data: URL, where no script in it can run.
 */
export function chartSVG(output) {
  const svg = output?.svg;
  return typeof svg === 'string' && /^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(svg) ? svg : null;
}

export function svgDataURL(svg) {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** The node outputs of a run or dry-run body (GET .../runs/{run} or POST .../test). */
export function nodeResults(body) {
  const result = {};
  for (const [id, n] of Object.entries(body?.nodes ?? {})) {
    result[id] = { status: n.status, attempts: n.attempts, input: n.input, output: n.output, outputs: n.outputs, error: n.error ?? null };
  }
  return result;
}
