// The run view: a dry-run result or a live run, with the event timeline, each node's input,
// output, errors and retries, the dead letter, and chart outputs shown inline as images
// (an SVG in an <img> cannot run scripts; it is never inserted as markup).
import { h, replace, jsonBlock, formatTime } from './dom.js';
import { foldEvents, describeEvent, chartSVG, svgDataURL, isTerminal, nodeResults } from '../model/run.js';
import { topologicalOrder } from '../model/cycles.js';
import { announce, setStatus } from './announce.js';
import { problemSummary } from '../model/problems.js';

// The run event types the engine writes; each arrives as a named server-sent event.
const EVENT_TYPES = ['RunCreated', 'RunStarted', 'StepStarted', 'StepSucceeded', 'StepFailed', 'StepSkipped', 'ItemSucceeded', 'ItemFailed', 'RunSucceeded', 'RunFailed', 'RunRedriven'];

export class RunPanel {
  constructor({ api, editor, canvas, onOpenRun }) {
    this.api = api;
    this.editor = editor;
    this.canvas = canvas;
    this.onOpenRun = onOpenRun;
    this.title = h('h2', { class: 'run-title' });
    this.statusEl = h('span', { class: 'run-status', role: 'status' });
    this.extra = h('span', { class: 'run-extra' });
    this.timeline = h('ol', { class: 'timeline', 'aria-label': 'Event timeline' });
    this.results = h('div', { class: 'node-results', 'aria-label': 'Node results' });
    this.el = h('section', { class: 'runpanel', hidden: true, 'aria-label': 'Run' },
      h('div', { class: 'run-head' }, this.title, this.statusEl, this.extra,
        h('button', { type: 'button', class: 'icon', 'aria-label': 'Close the run view', onclick: () => this.close() }, '×')),
      h('div', { class: 'run-body' },
        h('section', { 'aria-label': 'Timeline' }, h('h3', {}, 'Timeline'), this.timeline),
        h('section', { 'aria-label': 'Nodes' }, h('h3', {}, 'Nodes'), this.results)));
    this.token = 0;
  }

  close() {
    this.token++;
    this.el.hidden = true;
    this.canvas.setStatuses(null);
  }

  open(title) {
    this.token++;
    this.el.hidden = false;
    this.title.textContent = title;
    replace(this.timeline);
    replace(this.results);
    replace(this.extra);
    return this.token;
  }

  /** Shows a dry-run answer (POST .../test). */
  showDryRun(body) {
    this.open('Dry run (nothing was stored or sent)');
    this.statusEl.textContent = body.status;
    this.statusEl.className = `run-status st-${body.status}`;
    replace(this.timeline, h('li', {}, 'A dry run has no stored events; each node\'s input and output are on the right.'));
    const results = nodeResults(body);
    this.canvas.setStatuses(Object.fromEntries(Object.entries(results).map(([id, r]) => [id, r.status])));
    this.renderResults(results, body.error);
    announce(`dry run ${body.status}`);
  }

  /** Follows a run until it ends: its events as they are committed (server-sent events from
   * `.../stream`; the browser reconnects with Last-Event-ID), node status on the canvas, then
   * the results. Falls back to reading `.../events` page by page where EventSource is missing. */
  async follow(tenantRunPath, run) {
    const token = this.open(`Run ${run.id}`);
    let state = foldEvents([]);
    const path = tenantRunPath;
    let finished = false;
    // Nothing of the previous run or dry run may show until this run's events arrive.
    this.statusEl.textContent = state.status;
    this.statusEl.className = `run-status st-${state.status}`;
    this.canvas.setStatuses(null);
    const apply = async (fresh) => {
      if (token !== this.token || finished) return;
      state = foldEvents(fresh, state);
      for (const e of fresh) this.timeline.append(this.eventItem(e));
      this.statusEl.textContent = state.status;
      this.statusEl.className = `run-status st-${state.status}`;
      this.canvas.setStatuses(Object.fromEntries(Object.entries(state.nodes).map(([id, n]) => [id, n.status])));
      if (isTerminal(state.status)) {
        finished = true;
        const full = await this.api.get(path);
        if (token !== this.token) return;
        this.renderResults(nodeResults(full), full.error, state);
        if (state.deadLetter) this.showDeadLetter(state.deadLetter);
        setStatus(`run ${state.status}`, state.status === 'succeeded' ? 'ok' : 'error');
        return;
      }
      this.renderResults(Object.fromEntries(Object.entries(state.nodes).map(([id, n]) => [id, { status: n.status, attempts: n.attempts, input: n.input, output: n.outputs?.out ?? n.outputs, error: n.errors.at(-1)?.message ?? null }])), null, state);
    };
    if (typeof EventSource === 'function') {
      const source = new EventSource(`${path}/stream`);
      const stop = () => source.close();
      const onEvent = (message) => {
        // Stops when another run is shown or the editor has been left.
        if (token !== this.token || !this.el.isConnected || finished) { stop(); return; }
        let event;
        try { event = JSON.parse(message.data); } catch { return; }
        if (typeof event.seq !== 'number' || event.seq <= state.lastSeq) return;
        apply([event]).then(() => { if (finished) stop(); }, (error) => setStatus(`could not follow the run: ${problemSummary(error.problem, error.status)}`, 'error'));
      };
      for (const type of EVENT_TYPES) source.addEventListener(type, onEvent);
      source.onmessage = onEvent;
      source.onerror = () => {
        // The server ends each stream after a while and the browser reconnects by itself; a
        // run that ended closes it here.
        if (finished || token !== this.token) stop();
      };
      return;
    }
    const poll = async () => {
      if (token !== this.token || !this.el.isConnected) return;
      try {
        let page;
        do {
          page = await this.api.get(`${path}/events`, { query: { after_seq: state.lastSeq, limit: 1000 } });
          if (token !== this.token) return;
          await apply((page.events ?? []).filter((e) => e.seq > state.lastSeq));
        } while (page.next_after_seq !== null && page.next_after_seq !== undefined);
        if (!finished) setTimeout(poll, 1000);
      } catch (error) {
        setStatus(`could not follow the run: ${problemSummary(error.problem, error.status)}`, 'error');
        if (token === this.token) setTimeout(poll, 3000);
      }
    };
    await poll();
  }

  eventItem(e) {
    const failed = e.type === 'StepFailed' || e.type === 'RunFailed';
    return h('li', { class: failed ? 'failed' : null }, h('span', { class: 'seq' }, `#${e.seq}`), h('time', { datetime: e.at }, formatTime(e.at)), ' ', describeEvent(e));
  }

  showDeadLetter(id) {
    const button = h('button', { type: 'button', onclick: async () => {
      button.disabled = true;
      try {
        await this.api.post(this.api.t('dead-letters', id, 'redrive'), {});
        setStatus('re-driven; following the run again', 'ok');
        this.onOpenRun?.();
      } catch (error) {
        setStatus(`re-drive failed: ${problemSummary(error.problem, error.status)}`, 'error');
        button.disabled = false;
      }
    } }, 'Re-drive the failed step');
    replace(this.extra, h('span', {}, `Dead letter ${id} `), button);
  }

  renderResults(results, runError, state) {
    const order = topologicalOrder(this.editor.graph).order;
    const ids = [...new Set([...order.filter((id) => id in results), ...Object.keys(results)])];
    const blocks = [];
    if (runError) blocks.push(h('p', { class: 'st-failed' }, `Run error: ${runError}`));
    for (const id of ids) {
      const r = results[id];
      const node = this.editor.graph.nodes.get(id);
      const errors = state?.nodes?.[id]?.errors ?? [];
      const items = state?.nodes?.[id]?.items;
      const chart = chartSVG(r.output) ?? chartSVG(r.outputs?.out);
      blocks.push(h('details', { open: chart || r.status === 'failed' ? true : null },
        h('summary', {}, node?.name || id, h('span', { class: `st st-${r.status}` }, `${r.status}${r.attempts > 1 ? ` after ${r.attempts} attempts` : ''}`)),
        chart ? h('img', { class: 'chart', src: svgDataURL(chart), alt: `Chart output of ${node?.name || id}` }) : null,
        r.error ? h('p', { class: 'st-failed' }, `Error: ${r.error}`) : null,
        items && items.succeeded + items.failed > 0 ? h('p', {}, `Items: ${items.succeeded} succeeded, ${items.failed} failed`) : null,
        errors.length ? h('ol', { 'aria-label': 'Attempts' }, errors.map((e) => h('li', {}, `attempt ${e.attempt ?? '?'}: ${e.message}${e.willRetry ? ` (retried after ${e.retryInMs ?? '?'} ms)` : ''}`))) : null,
        h('h4', {}, 'Input'), jsonBlock(r.input, `Input of ${id}`),
        h('h4', {}, 'Output'), jsonBlock(r.outputs ?? r.output, `Output of ${id}`)));
    }
    replace(this.results, blocks.length ? blocks : h('p', {}, 'No node has run yet.'));
  }
}
