// The editor screen: toolbar, palette, canvas, property pane and run panel around one Editor
// model, plus save, versions, import/export, dry-run and runs against the API.
import { h, modal, replace, formatTime } from './dom.js';
import { Editor } from '../model/editor.js';
import { CanvasView } from './canvas.js';
import { buildPalette } from './palette.js';
import { PropertyPane } from './properties.js';
import { RunPanel } from './runpanel.js';
import { chooseFrom } from './listbox.js';
import { autoLayout } from './layout.js';
import { showShortcuts } from './shortcuts.js';
import { announce, setStatus } from './announce.js';
import { groupProblems, problemSummary } from '../model/problems.js';
import { connectionTargets } from '../model/ports.js';
import { connectAnnouncement } from '../model/a11y.js';
import { diffDefinitions, describeDiff } from '../model/diff.js';
import { fromDefinition } from '../model/serialize.js';
import { toYAML } from '../model/yaml.js';

export async function editorPage(main, { api, catalog }, { workflowID = null, runID = null } = {}) {
  const editor = new Editor(catalog);
  const wf = { id: workflowID, name: '', description: '', version: null };
  let secretsCache = null;
  const secretNames = () => (secretsCache ??= api.all(api.t('secrets')).then((items) => items.map((s) => s.name)).catch((e) => {
    secretsCache = null;
    throw e;
  }));

  let canvas;
  const pane = new PropertyPane(editor, {
    secretNames,
    onConnect: () => connectByKeyboard(),
    onTestNode: (ids) => dryRun(ids),
    onDelete: () => {
      editor.deleteSelection();
      canvas.el.focus();
    },
    onLeave: (id) => canvas.focusNode(id),
  });
  canvas = new CanvasView(editor, {
    openNode: (id) => {
      editor.select([id]);
      pane.focus();
    },
    quickAdd: (at) => quickAdd(at),
    connectByKeyboard: () => connectByKeyboard(),
    layout: () => layout(),
    undo: () => undo(),
    redo: () => redo(),
  });
  const runs = new RunPanel({ api, editor, canvas, onOpenRun: () => runID && followRun(runID) });
  const palette = buildPalette(catalog, {
    onAdd: (type) => {
      const id = editor.addNode(type, canvas.focusPoint());
      announce(`added ${catalog.get(type).title} as ${id}`);
      canvas.focusNode(id);
    },
  });

  // Toolbar
  const nameInput = h('input', { class: 'wf-name', type: 'text', 'aria-label': 'Workflow name', placeholder: 'Workflow name' });
  nameInput.addEventListener('input', () => {
    wf.name = nameInput.value;
    updateDirty();
  });
  const dirtyEl = h('span', { class: 'dirty', 'aria-live': 'off' });
  const undoBtn = h('button', { type: 'button', onclick: () => undo() }, 'Undo');
  const redoBtn = h('button', { type: 'button', onclick: () => redo() }, 'Redo');
  const fileInput = h('input', { type: 'file', accept: '.json,.yaml,.yml,application/json', class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true' });
  fileInput.addEventListener('change', () => importFile(fileInput.files?.[0]));
  const toolbar = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Workflow actions' },
    nameInput,
    h('button', { type: 'button', class: 'primary', onclick: () => save() }, 'Save'), dirtyEl,
    h('span', { class: 'sep' }),
    undoBtn, redoBtn,
    h('button', { type: 'button', onclick: () => layout() }, 'Auto-layout'),
    h('button', { type: 'button', onclick: () => canvas.fit() }, 'Fit'),
    h('span', { class: 'sep' }),
    h('button', { type: 'button', onclick: () => dryRunDialog() }, 'Test…'),
    h('button', { type: 'button', onclick: () => runDialog() }, 'Run…'),
    h('button', { type: 'button', onclick: () => runsList() }, 'Runs'),
    h('span', { class: 'sep' }),
    h('button', { type: 'button', onclick: () => versions() }, 'Versions'),
    h('button', { type: 'button', onclick: () => exportAs('json') }, 'Export JSON'),
    h('button', { type: 'button', onclick: () => exportAs('yaml') }, 'Export YAML'),
    h('button', { type: 'button', onclick: () => fileInput.click() }, 'Import'), fileInput,
    h('button', { type: 'button', 'aria-label': 'Keyboard shortcuts', onclick: () => showShortcuts() }, '?'));

  const root = h('div', { class: 'editor' }, h('h1', { class: 'visually-hidden' }, 'Workflow editor'), toolbar, palette, canvas.el, pane.el, runs.el);
  replace(main, root);

  function updateDirty() {
    dirtyEl.textContent = editor.dirty ? 'unsaved changes' : wf.version ? `version ${wf.version}` : '';
    undoBtn.disabled = !editor.history.canUndo;
    redoBtn.disabled = !editor.history.canRedo;
    undoBtn.title = editor.history.undoLabel ? `Undo ${editor.history.undoLabel} (Ctrl+Z)` : 'Nothing to undo';
    redoBtn.title = editor.history.redoLabel ? `Redo ${editor.history.redoLabel} (Ctrl+Shift+Z)` : 'Nothing to redo';
  }
  editor.on((c) => {
    if (c.kind !== 'preview') updateDirty();
  });

  function undo() {
    const c = editor.undo();
    announce(c ? `undid ${c.label}` : 'nothing to undo');
  }
  function redo() {
    const c = editor.redo();
    announce(c ? `redid ${c.label}` : 'nothing to redo');
  }

  function showProblems(problem) {
    const grouped = groupProblems(problem);
    canvas.setProblems(grouped.byNode);
    pane.setProblems(grouped.byNode, grouped.general);
    const first = [...grouped.byNode.keys()][0];
    if (first && editor.graph.nodes.has(first)) {
      editor.select([first]);
      canvas.reveal(first);
    }
  }
  function clearProblems() {
    canvas.setProblems(new Map());
    pane.setProblems(new Map(), []);
  }

  // MARK: quick add and keyboard connect

  function quickAdd(at) {
    chooseFrom({
      title: 'Add a node', search: true, placeholder: 'Type to search node types', className: 'quickadd',
      items: (q) => catalog.search(q).map((t) => ({ label: `${t.title} (${t.name})`, detail: t.category, value: t.name })),
      onPick: (type) => {
        const id = editor.addNode(type, at);
        announce(`added ${catalog.get(type).title} as ${id}`);
        canvas.focusNode(id);
      },
    });
  }

  function connectByKeyboard() {
    const id = editor.selection.size === 1 ? [...editor.selection][0] : null;
    if (!id) {
      announce('select one node first, then press C to connect it');
      setStatus('Select one node first, then press C to connect it.');
      return;
    }
    const node = editor.graph.nodes.get(id);
    const outs = catalog.outputs(node.type);
    const items = [];
    for (const out of outs) {
      const from = { node: id, port: out.name };
      for (const target of connectionTargets(editor.graph, catalog, from)) {
        if (target.node === id) continue;
        const other = editor.graph.nodes.get(target.node);
        const to = { node: target.node, port: target.port };
        items.push({ label: `${outs.length > 1 ? `${out.name} → ` : ''}${other.name || other.id} (${other.id}) · ${target.port}`, disabled: Boolean(target.problem), why: target.problem, value: { from, to } });
      }
    }
    items.sort((a, b) => Number(a.disabled) - Number(b.disabled));
    chooseFrom({
      title: `Connect ${node.name || id} to…`, search: true, placeholder: 'Filter targets',
      items: (q) => items.filter((i) => i.label.toLowerCase().includes(q.toLowerCase())),
      onPick: ({ from, to }) => {
        const problem = editor.connect(from, to);
        announce(problem ? `cannot connect: ${problem}` : connectAnnouncement(editor, from, to));
        canvas.focusNode(id);
      },
    });
  }

  async function layout() {
    if (!editor.graph.nodes.size) return;
    try {
      const positions = await autoLayout(editor.layoutInput());
      editor.applyLayout(positions);
      canvas.fit();
      announce('auto-layout applied; undo restores the previous positions');
    } catch (error) {
      setStatus(`auto-layout failed: ${error.message}`, 'error');
    }
  }

  // MARK: load and save

  async function load(id) {
    const w = await api.get(api.t('workflows', id));
    wf.id = w.id;
    wf.name = w.name;
    wf.description = w.description ?? '';
    wf.version = w.version;
    nameInput.value = w.name;
    editor.load(w.definition ?? { nodes: [], edges: [] });
    clearProblems();
    updateDirty();
    requestAnimationFrame(() => canvas.fit());
  }

  async function save() {
    if (!wf.name.trim()) {
      setStatus('Give the workflow a name before saving.', 'error');
      nameInput.setAttribute('aria-invalid', 'true');
      nameInput.focus();
      return false;
    }
    nameInput.removeAttribute('aria-invalid');
    const definition = editor.toDefinition();
    try {
      const saved = wf.id
        ? await api.put(api.t('workflows', wf.id), { name: wf.name, definition, version: wf.version })
        : await api.post(api.t('workflows'), { name: wf.name, description: wf.description, definition });
      const wasNew = !wf.id;
      wf.id = saved.id;
      wf.version = saved.version;
      editor.markSaved();
      clearProblems();
      updateDirty();
      setStatus(`Saved version ${saved.version}.`, 'ok');
      if (wasNew) history.replaceState(null, '', `#/workflows/${encodeURIComponent(saved.id)}`);
      return true;
    } catch (error) {
      if (error.status === 422) {
        showProblems(error.problem);
        setStatus(`Not saved: ${problemSummary(error.problem, error.status)}`, 'error');
      } else if (error.status === 409) {
        setStatus('Not saved: someone saved a newer version since you opened this one. Export your changes, reload and merge them.', 'error');
      } else {
        setStatus(`Not saved: ${problemSummary(error.problem, error.status)}`, 'error');
      }
      return false;
    }
  }

  // MARK: versions, export, import

  async function versions() {
    if (!wf.id) {
      setStatus('This workflow has not been saved yet; it has no versions.');
      return;
    }
    try {
      const { items } = await api.get(api.t('workflows', wf.id, 'versions'));
      const diffOut = h('ul', { class: 'diff', 'aria-live': 'polite' });
      const rows = items.slice().reverse().map((v) => h('tr', {},
        h('td', {}, String(v.version)), h('td', {}, formatTime(v.created_at)), h('td', {}, v.created_by ?? ''),
        h('td', {},
          h('button', { type: 'button', onclick: () => {
            const lines = describeDiff(diffDefinitions(v.definition, editor.toDefinition()));
            replace(diffOut, lines.length ? lines.map((l) => h('li', {}, l)) : h('li', {}, `The editor matches version ${v.version}.`));
          } }, 'Compare with editor'), ' ',
          h('button', { type: 'button', onclick: () => {
            close();
            editor.load(v.definition);
            editor.revision++;
            updateDirty();
            setStatus(`Loaded version ${v.version} into the editor; save to make it the newest version.`);
          } }, 'Load'))));
      const { close } = modal('Versions', h('div', {},
        h('table', { class: 'list' }, h('thead', {}, h('tr', {}, h('th', {}, 'Version'), h('th', {}, 'Saved'), h('th', {}, 'By'), h('th', {}, ''))), h('tbody', {}, rows)),
        h('h3', {}, 'Differences'), diffOut));
    } catch (error) {
      setStatus(`Could not list versions: ${problemSummary(error.problem, error.status)}`, 'error');
    }
  }

  /** Downloads {name, description, definition} as JSON or YAML (both import again). */
  function exportAs(format) {
    const doc = { name: wf.name, description: wf.description, definition: editor.toDefinition() };
    const body = format === 'yaml' ? toYAML(doc) : JSON.stringify(doc, null, 2);
    const url = URL.createObjectURL(new Blob([body], { type: format === 'yaml' ? 'application/yaml' : 'application/json' }));
    const a = h('a', { href: url, download: `${(wf.name || 'workflow').replace(/[^\w.-]+/g, '_')}.${format}` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    setStatus(`Exported the workflow as ${format.toUpperCase()}.`);
  }

  async function importFile(file) {
    fileInput.value = '';
    if (!file) return;
    const text = await file.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    if (json === null) {
      // YAML: the server reads it (POST with application/yaml creates a workflow).
      try {
        const created = await api.post(api.t('workflows'), text, { headers: { 'Content-Type': 'application/yaml' } });
        setStatus(`Imported "${created.name}" as a new workflow.`, 'ok');
        location.hash = `#/workflows/${encodeURIComponent(created.id)}`;
      } catch (error) {
        setStatus(`Import failed: ${problemSummary(error.problem, error.status)}`, 'error');
      }
      return;
    }
    try {
      fromDefinition(json);
    } catch (error) {
      setStatus(`Import failed: ${error.message}`, 'error');
      return;
    }
    editor.load(json.definition ?? json);
    editor.revision++;
    if (json.name && !wf.name) {
      wf.name = json.name;
      nameInput.value = json.name;
    }
    updateDirty();
    canvas.fit();
    setStatus('Imported; save to create a new version.');
  }

  // MARK: test and run

  /** Asks for a JSON input (and, for tests with a selection, whether to test only it). */
  function inputDialog(title, actionLabel, onSubmit, { selection = [] } = {}) {
    const areaID = `in-${Math.random().toString(36).slice(2)}`;
    const errID = `${areaID}-e`;
    const area = h('textarea', { id: areaID, class: 'sample', rows: 6, spellcheck: 'false', 'aria-describedby': errID });
    area.value = inputDialog.last ?? '{}';
    const err = h('p', { id: errID, class: 'error' });
    const onlyID = `${areaID}-only`;
    const only = selection.length ? h('input', { type: 'checkbox', id: onlyID }) : null;
    const { close } = modal(title, h('form', { onsubmit: (e) => {
      e.preventDefault();
      let input;
      try {
        input = JSON.parse(area.value || '{}');
      } catch (error) {
        err.textContent = `The input is not valid JSON: ${error.message}`;
        area.setAttribute('aria-invalid', 'true');
        return;
      }
      inputDialog.last = area.value;
      close();
      onSubmit(input, only?.checked ? selection : null);
    } }, h('label', { for: areaID }, 'Input (JSON)'), area, err,
    only ? h('p', {}, only, ' ', h('label', { for: onlyID }, `Only the ${selection.length} selected node${selection.length > 1 ? 's' : ''}`)) : null,
    h('button', { type: 'submit', class: 'primary' }, actionLabel)));
    area.focus();
  }

  function dryRunDialog() {
    inputDialog('Test the workflow (dry run)', 'Run the test', (input, nodes) => dryRun(nodes, input), { selection: [...editor.selection] });
  }

  async function dryRun(nodes, input = {}) {
    if (!wf.id) {
      setStatus('Save the workflow once before testing it (the dry run belongs to a workflow).');
      if (!(await save())) return;
    }
    const body = { input, definition: editor.toDefinition() };
    if (nodes?.length) body.nodes = nodes;
    setStatus('Testing…');
    try {
      const result = await api.post(api.t('workflows', wf.id, 'test'), body);
      clearProblems();
      runs.showDryRun(result);
      setStatus(`Dry run ${result.status}.`, result.status === 'succeeded' ? 'ok' : 'error');
    } catch (error) {
      if (error.status === 422) showProblems(error.problem);
      setStatus(`Test failed: ${problemSummary(error.problem, error.status)}`, 'error');
    }
  }

  function runDialog() {
    inputDialog('Start a run', 'Start the run', (input) => startRun(input));
  }

  async function startRun(input) {
    if (!wf.id || editor.dirty) {
      setStatus('Saving first: a run uses the newest saved version.');
      if (!(await save())) return;
    }
    try {
      const run = await api.post(api.t('workflows', wf.id, 'runs'), { input }, { headers: { 'Idempotency-Key': crypto.randomUUID() } });
      history.replaceState(null, '', `#/runs/${encodeURIComponent(run.id)}`);
      runID = run.id;
      followRun(run.id, run);
    } catch (error) {
      setStatus(`Could not start the run: ${problemSummary(error.problem, error.status)}`, 'error');
    }
  }

  function followRun(id, run = { id }) {
    setStatus(`Following run ${id}…`);
    runs.follow(api.t('runs', id), run);
  }

  async function runsList() {
    if (!wf.id) {
      setStatus('This workflow has not been saved yet; it has no runs.');
      return;
    }
    try {
      const { items } = await api.get(api.t('workflows', wf.id, 'runs'));
      const { close } = modal('Runs', items.length ? h('table', { class: 'list' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Run'), h('th', {}, 'Status'), h('th', {}, 'Version'), h('th', {}, 'Started'))),
        h('tbody', {}, items.map((r) => h('tr', {},
          h('td', {}, h('a', { href: `#/runs/${encodeURIComponent(r.id)}`, onclick: () => close() }, r.id)),
          h('td', { class: `st-${r.status}` }, r.status), h('td', {}, String(r.workflow_version)), h('td', {}, formatTime(r.created_at))))))
        : h('p', {}, 'No runs yet.'));
    } catch (error) {
      setStatus(`Could not list runs: ${problemSummary(error.problem, error.status)}`, 'error');
    }
  }

  // Ctrl+S anywhere in the editor (on its own root, which goes away with it).
  root.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
      e.preventDefault();
      save();
    }
  });

  if (runID) {
    const run = await api.get(api.t('runs', runID));
    await load(run.workflow_id);
    followRun(runID, run);
  } else if (workflowID) {
    await load(workflowID);
  } else {
    updateDirty();
    nameInput.focus();
  }
  return { isDirty: () => editor.dirty, editor, canvas };
}
