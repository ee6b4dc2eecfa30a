// The property pane: a form generated from the selected node's config JSON Schema. Labels are
// tied to inputs, messages to fields (aria-describedby), checks run as the user types and the
// value is committed (one undo step) when a field changes. Server problems for the node are
// shown on the field they name. Secret fields offer secret names only; values are never fetched.
import { h, replace } from './dom.js';
import { formFields, parseInput, formatValue, checkValue, secretReference } from '../model/schema-form.js';
import { defineJqMode } from './jq-mode.js';

/** The per-node execution options the server accepts beside config (WorkflowValidator.nodeOptionsSchema). */
const OPTIONS_SCHEMA = {
  type: 'object',
  properties: {
    retry: { type: 'object', description: 'max_attempts, initial_backoff_ms, max_backoff_ms, multiplier, jitter, retry_on ("retryable" or "any")' },
    timeout_ms: { type: 'integer', minimum: 1, description: "Milliseconds one attempt may take (at most the type's limit)" },
    concurrency: { type: 'integer', minimum: 1, maximum: 10000, description: 'Most executions of this node at once across the tenant' },
  },
};

let uid = 0;
const nextID = (p) => `${p}-${++uid}`;

export class PropertyPane {
  constructor(editor, { secretNames, onConnect, onTestNode, onDelete, onLeave }) {
    this.editor = editor;
    this.secretNames = secretNames;
    this.hooks = { onConnect, onTestNode, onDelete, onLeave };
    this.problems = new Map();
    this.general = [];
    this.el = h('aside', { class: 'props', 'aria-label': 'Properties' });
    // Escape goes back to the node on the canvas (inside a code editor, the first Escape leaves it).
    this.el.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape' || e.defaultPrevented || e.target.closest?.('.CodeMirror')) return;
      const id = this.selectedID();
      if (id) this.hooks.onLeave?.(id);
    });
    this.shownID = undefined;
    this.codeMirrors = [];
    editor.on((c) => {
      if (c.kind === 'selection' || c.kind === 'load') this.render();
      else if (c.kind === 'graph' && (String(c.label).startsWith('undid') || String(c.label).startsWith('redid') || this.selectedID() !== this.shownID || !this.editor.graph.nodes.has(this.shownID))) this.render();
      else if (c.kind === 'graph' && c.label?.startsWith('connect')) this.render();
    });
    this.render();
  }

  selectedID() {
    return this.editor.selection.size === 1 ? [...this.editor.selection][0] : null;
  }

  setProblems(byNode, general = []) {
    this.problems = byNode ?? new Map();
    this.general = general;
    this.render();
  }

  /** Moves focus to the first field with a problem, or else the first field of the pane. */
  focus() {
    const target = this.el.querySelector('[aria-invalid="true"]') ?? this.el.querySelector('input, textarea, select, button') ?? this.el;
    if (target.tagName === 'TEXTAREA' && target.nextSibling?.CodeMirror) target.nextSibling.CodeMirror.focus();
    else target.focus();
  }

  render() {
    for (const cm of this.codeMirrors) cm.toTextArea?.();
    this.codeMirrors = [];
    this.pending = [];
    const id = this.selectedID();
    this.shownID = id;
    if (!id) {
      const n = this.editor.selection.size;
      replace(this.el,
        h('h2', {}, n ? `${n} nodes selected` : 'Workflow'),
        this.general.length ? h('ul', { class: 'problems', 'aria-label': 'Problems with the workflow' }, this.general.map((g) => h('li', {}, g))) : null,
        n ? h('p', {}, 'Arrow keys move them, Delete removes them, Ctrl+D duplicates.') : h('p', {}, 'Select a node to edit its settings. Press ? for keyboard shortcuts.'));
      return;
    }
    const node = this.editor.graph.nodes.get(id);
    const spec = this.editor.catalog.get(node.type);
    const problems = this.problems.get(id) ?? [];
    const fields = formFields(spec?.config_schema ?? {}, node.type);
    const fieldKeys = new Set(fields.map((f) => f.key));
    const nodeLevel = problems.filter((p) => !(p.path && fieldKeys.has(p.path[0])));
    const textFields = [];

    const idInput = this.textRow('Node id', node.id, (value, showError) => {
      const problem = this.editor.renameNodeID(id, value.trim());
      showError(problem ?? '');
    }, 'Used in edges and run results; letters, digits, _ and -');
    const nameInput = this.textRow('Name', node.name ?? '', (value) => this.editor.updateNode(id, { name: value }, `rename ${id}`));

    replace(this.el,
      h('h2', {}, node.name || node.id),
      h('p', { class: 'hint' }, `${spec?.title ?? node.type} (${node.type})${spec?.description ? ` — ${spec.description}` : ''}`),
      nodeLevel.length ? h('ul', { class: 'problems', 'aria-label': 'Problems with this node' }, nodeLevel.map((p) => h('li', {}, p.field ? `${p.field}: ${p.message}` : p.message))) : null,
      nameInput, idInput,
      h('h3', {}, 'Settings'),
      fields.length ? fields.map((f) => this.fieldRow(id, node, f, problems, textFields)) : h('p', { class: 'hint' }, 'This node type has no settings.'),
      this.secretHelper(textFields),
      this.optionsSection(id, node),
      this.connections(id),
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: () => this.hooks.onTestNode?.([id]) }, 'Test this node'), ' ',
        h('button', { type: 'button', onclick: () => this.hooks.onDelete?.() }, 'Delete node')));
    for (const attach of this.pending.splice(0)) attach();
  }

  textRow(label, value, commit, hint) {
    const inputID = nextID('f');
    const errID = nextID('e');
    const hintID = hint ? nextID('h') : null;
    const err = h('span', { class: 'error', id: errID });
    const input = h('input', { id: inputID, type: 'text', value, 'aria-describedby': [hintID, errID].filter(Boolean).join(' ') });
    const showError = (m) => {
      err.textContent = m;
      input.setAttribute('aria-invalid', m ? 'true' : 'false');
    };
    input.addEventListener('change', () => commit(input.value, showError));
    return h('div', { class: 'field' }, h('label', { for: inputID }, label), input, hint ? h('span', { class: 'hint', id: hintID }, hint) : null, err);
  }

  commitConfig(id, key, value) {
    const node = this.editor.graph.nodes.get(id);
    if (!node) return;
    const config = structuredClone(node.config ?? {});
    if (value === undefined) delete config[key];
    else config[key] = value;
    if (JSON.stringify(config) === JSON.stringify(node.config)) return;
    this.editor.updateNode(id, { config }, `edit ${id} ${key}`);
  }

  fieldRow(id, node, field, problems, textFields) {
    const inputID = nextID('f');
    const errID = nextID('e');
    const hintID = nextID('h');
    const serverProblem = problems.find((p) => p.path && p.path[0] === field.key);
    const err = h('span', { class: 'error', id: errID });
    const describedBy = `${hintID} ${errID}`;
    const value = node.config?.[field.key];
    let input;
    const showError = (m) => {
      err.textContent = m ?? '';
      input.setAttribute('aria-invalid', m ? 'true' : 'false');
      wrapper.classList.toggle('invalid', Boolean(m));
    };
    const check = (text) => {
      const parsed = parseInput(field, text);
      if (parsed.error) return { message: parsed.error };
      if (parsed.value === undefined && field.required) return { message: 'is required' };
      return { message: checkValue(field.schema, parsed.value), value: parsed.value };
    };
    const onInput = (text) => showError(check(text).message);
    const onChange = (text) => {
      const { message, value: v } = check(text);
      showError(message);
      if (!message || field.kind === 'code') {
        const parsed = parseInput(field, text);
        if (!parsed.error) this.commitConfig(id, field.key, parsed.value);
      }
    };
    const common = { id: inputID, 'aria-describedby': describedBy, 'aria-required': field.required ? 'true' : null };
    switch (field.kind) {
      case 'checkbox':
        input = h('input', { ...common, type: 'checkbox' });
        input.checked = Boolean(value);
        input.addEventListener('change', () => this.commitConfig(id, field.key, input.checked ? true : undefined));
        break;
      case 'select':
        input = h('select', common, h('option', { value: '' }, field.required ? '(choose)' : '(default)'), field.options.map((o) => h('option', { value: o }, o)));
        input.value = value === undefined ? '' : String(value);
        input.addEventListener('change', () => onChange(input.value));
        break;
      case 'secret': {
        input = h('select', common, h('option', { value: '' }, '(none)'));
        const current = typeof value === 'string' ? value : '';
        if (current) input.append(h('option', { value: current }, current));
        input.value = current;
        this.secretNames().then((names) => {
          for (const n of names) if (n !== current) input.append(h('option', { value: n }, n));
        }).catch(() => input.append(h('option', { value: '', disabled: true }, '(secret names unavailable)')));
        input.addEventListener('change', () => onChange(input.value));
        break;
      }
      case 'integer':
      case 'number':
        input = h('input', { ...common, type: 'number', inputmode: 'numeric', step: field.kind === 'integer' ? '1' : 'any', min: field.schema.minimum, max: field.schema.maximum });
        input.value = formatValue(field, value);
        input.addEventListener('input', () => onInput(input.value));
        input.addEventListener('change', () => onChange(input.value));
        break;
      case 'list':
      case 'json':
      case 'code':
        input = h('textarea', { ...common, rows: field.kind === 'list' ? 3 : 5, spellcheck: 'false', class: field.kind === 'code' ? 'code-fallback' : null });
        input.value = formatValue(field, value);
        input.addEventListener('input', () => onInput(input.value));
        input.addEventListener('change', () => onChange(input.value));
        if (field.kind === 'code') textFields.push({ field, input });
        break;
      default:
        input = h('input', { ...common, type: 'text', maxlength: field.schema.maxLength });
        input.value = formatValue(field, value);
        input.addEventListener('input', () => onInput(input.value));
        input.addEventListener('change', () => onChange(input.value));
        textFields.push({ field, input });
    }
    const labelID = nextID('l');
    const wrapper = h('div', { class: `field ${field.kind === 'checkbox' ? 'checkbox' : ''} ${field.kind === 'code' ? 'code-field' : ''}` },
      h('label', { for: inputID, id: labelID }, field.label, field.required ? ' (required)' : ''),
      input,
      h('span', { class: 'hint', id: hintID }, field.description || field.key),
      err);
    if (field.kind === 'checkbox') wrapper.append(wrapper.children[0]);
    if (serverProblem) showError(serverProblem.message);
    if (field.kind === 'code') this.attachCodeMirror(input, field, labelID, describedBy, (text) => onChange(text), wrapper);
    return wrapper;
  }

  attachCodeMirror(textarea, field, labelID, describedBy, commit, wrapper) {
    const CodeMirror = window.CodeMirror;
    if (!CodeMirror) return;
    defineJqMode(CodeMirror);
    // Attached by render() once the form is in the document, before anyone can focus it.
    this.pending.push(() => {
      if (!textarea.isConnected) return;
      const cm = CodeMirror.fromTextArea(textarea, {
        mode: field.mode === 'sql' ? 'text/x-sqlite' : 'jq', lineNumbers: true, matchBrackets: true, viewportMargin: Infinity,
        extraKeys: { Tab: false, 'Shift-Tab': false, Esc: () => cm.getInputField().blur() },
      });
      const inputField = cm.getInputField();
      inputField.setAttribute('aria-labelledby', labelID);
      inputField.setAttribute('aria-describedby', describedBy);
      inputField.setAttribute('aria-multiline', 'true');
      cm.on('blur', () => {
        cm.save();
        commit(cm.getValue());
      });
      wrapper.querySelector('label')?.addEventListener('click', () => cm.focus());
      this.codeMirrors.push(cm);
      cm.refresh();
    });
  }

  secretHelper(textFields) {
    if (!textFields.length) return null;
    const selectID = nextID('s');
    const targetID = nextID('t');
    const secret = h('select', { id: selectID }, h('option', { value: '' }, '(choose a secret)'));
    this.secretNames().then((names) => names.forEach((n) => secret.append(h('option', { value: n }, n)))).catch(() => {});
    const target = h('select', { id: targetID }, textFields.map((t, i) => h('option', { value: String(i) }, t.field.label)));
    return h('details', { class: 'secret-helper' },
      h('summary', {}, 'Use a tenant secret in a field'),
      h('p', { class: 'hint' }, 'Inserts a reference such as {{ secrets.name }}; the value is resolved when the step runs and is never shown here.'),
      h('div', { class: 'field' }, h('label', { for: selectID }, 'Secret'), secret),
      h('div', { class: 'field' }, h('label', { for: targetID }, 'Field'), target),
      h('button', { type: 'button', onclick: () => {
        const t = textFields[Number(target.value)];
        if (!t || !secret.value) return;
        const cm = this.codeMirrors.find((c) => c.getTextArea() === t.input);
        if (cm) {
          cm.replaceSelection(secretReference(secret.value));
          cm.save();
          t.input.dispatchEvent(new Event('change'));
        } else {
          t.input.value += secretReference(secret.value);
          t.input.dispatchEvent(new Event('change'));
        }
      } }, 'Insert reference'));
  }

  optionsSection(id, node) {
    const fields = formFields(OPTIONS_SCHEMA, '');
    const rows = fields.map((field) => {
      const inputID = nextID('f');
      const errID = nextID('e');
      const input = field.kind === 'json'
        ? h('textarea', { id: inputID, rows: 3, 'aria-describedby': errID, spellcheck: 'false' })
        : h('input', { id: inputID, type: 'number', step: '1', 'aria-describedby': errID });
      input.value = formatValue(field, node.extra?.[field.key]);
      const err = h('span', { class: 'error', id: errID });
      const problem = (this.problems.get(id) ?? []).find((p) => p.field?.startsWith(field.key));
      if (problem) err.textContent = problem.message;
      input.addEventListener('change', () => {
        const parsed = parseInput(field, input.value);
        const message = parsed.error ?? checkValue(field.schema, parsed.value);
        err.textContent = message ?? '';
        input.setAttribute('aria-invalid', message ? 'true' : 'false');
        if (message) return;
        const extra = structuredClone(this.editor.graph.nodes.get(id).extra ?? {});
        if (parsed.value === undefined) delete extra[field.key];
        else extra[field.key] = parsed.value;
        this.editor.updateNode(id, { extra }, `edit ${id} ${field.key}`);
      });
      return h('div', { class: 'field' }, h('label', { for: inputID }, field.label), input, h('span', { class: 'hint' }, field.description), err);
    });
    return h('details', {}, h('summary', {}, 'Retry, timeout and concurrency'), rows);
  }

  connections(id) {
    const edges = this.editor.graph.edgesOf(id);
    const name = (n) => this.editor.graph.nodes.get(n)?.name || n;
    return h('section', { 'aria-label': 'Connections' },
      h('h3', {}, 'Connections'),
      edges.length ? h('ul', { class: 'conn-list' }, edges.map((e) => {
        const text = e.from.node === id ? `${e.from.port} → ${name(e.to.node)} (${e.to.port})` : `${name(e.from.node)} (${e.from.port}) → ${e.to.port}`;
        return h('li', {}, h('span', {}, text), h('button', { type: 'button', 'aria-label': `Remove connection ${text}`, onclick: () => this.editor.disconnect(e.id) }, 'Remove'));
      })) : h('p', { class: 'hint' }, 'Not connected.'),
      h('button', { type: 'button', onclick: () => this.hooks.onConnect?.() }, 'Connect… (C)'));
  }
}
