// A modal list to choose from, usable by keyboard alone: an optional search box, arrow keys to
// move, Enter to choose, Escape to close. Disabled items say why (aria-disabled + text).
import { h, modal, replace } from './dom.js';

/**
 * Opens the list. `items(query)` returns [{label, detail?, disabled?, why?, value}]; `onPick(value)`
 * runs on Enter/click of an enabled item. Returns the close function.
 */
export function chooseFrom({ title, items, onPick, search = false, placeholder = 'Search', className = 'chooser' }) {
  const listID = `lb-${Math.random().toString(36).slice(2)}`;
  const list = h('ul', { role: 'listbox', id: listID, 'aria-label': title, tabindex: search ? '-1' : '0' });
  const input = search ? h('input', { type: 'search', placeholder, 'aria-label': placeholder, 'aria-controls': listID, 'aria-autocomplete': 'list', role: 'combobox', 'aria-expanded': 'true' }) : null;
  let current = [];
  let active = 0;
  const render = () => {
    current = items(input ? input.value : '');
    if (active >= current.length) active = Math.max(0, current.length - 1);
    replace(list, current.length ? current.map((item, i) => {
      const id = `${listID}-${i}`;
      const li = h('li', { id, role: 'option', 'aria-selected': i === active ? 'true' : 'false', 'aria-disabled': item.disabled ? 'true' : null, onclick: () => pick(i) },
        item.label, item.detail ? h('span', { class: 'why' }, item.detail) : null, item.disabled && item.why ? h('span', { class: 'why' }, `Not possible: ${item.why}`) : null);
      return li;
    }) : h('li', { role: 'option', 'aria-disabled': 'true', 'aria-selected': 'false' }, 'Nothing matches'));
    const activeEl = list.children[active];
    (input ?? list).setAttribute('aria-activedescendant', activeEl?.id ?? '');
    activeEl?.scrollIntoView?.({ block: 'nearest' });
  };
  const pick = (i) => {
    const item = current[i];
    if (!item || item.disabled) return;
    close();
    onPick(item.value);
  };
  const onKey = (e) => {
    if (e.key === 'ArrowDown') active = Math.min(current.length - 1, active + 1);
    else if (e.key === 'ArrowUp') active = Math.max(0, active - 1);
    else if (e.key === 'Home') active = 0;
    else if (e.key === 'End') active = current.length - 1;
    else if (e.key === 'Enter') {
      e.preventDefault();
      pick(active);
      return;
    } else return;
    e.preventDefault();
    render();
  };
  const { dialog, close } = modal(title, h('div', {}, input, list), { className });
  (input ?? list).addEventListener('keydown', onKey);
  input?.addEventListener('input', () => {
    active = 0;
    render();
  });
  render();
  (input ?? list).focus();
  return { close, dialog };
}
