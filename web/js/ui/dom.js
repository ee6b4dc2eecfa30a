// Building DOM without HTML strings: every text, whether ours, the user's or the server's,
// goes in through text nodes and attribute setters, so markup in a node name or a run output
// is shown as characters and never parsed.

/**
 * h('button', {class: 'x', onclick: fn, 'aria-label': 'y'}, 'text', child, ...): attributes by
 * setAttribute (event handlers by addEventListener), string children as text nodes.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) {
      // Handlers only as functions: an on* attribute from a string would be code.
      if (typeof v !== 'function') throw new Error(`${k} must be a function`);
      el.addEventListener(k.slice(2), v);
    }
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') throw new Error('set styles through classes or element.style, not attributes (CSP)');
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces all children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Pretty JSON as a <pre> (text only). */
export function jsonBlock(value, label) {
  const text = value === undefined ? '(none)' : JSON.stringify(value, null, 2);
  return h('pre', { class: 'json', tabindex: '0', 'aria-label': label ?? 'JSON' }, text.length > 200_000 ? `${text.slice(0, 200_000)}\n… (truncated)` : text);
}

/** A small modal dialog (native <dialog>); returns {dialog, close}. */
export function modal(title, body, { onClose, className = '' } = {}) {
  const titleID = `dlg-${Math.random().toString(36).slice(2)}`;
  const dialog = h('dialog', { class: `modal ${className}`, 'aria-labelledby': titleID },
    h('div', { class: 'modal-head' }, h('h2', { id: titleID }, title), h('button', { class: 'icon', type: 'button', 'aria-label': 'Close', onclick: () => close() }, '×')),
    body);
  const close = () => {
    if (dialog.open) dialog.close();
  };
  dialog.addEventListener('close', () => {
    dialog.remove();
    onClose?.();
  });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, close };
}

export function formatTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}
