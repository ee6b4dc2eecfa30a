// The palette: node types from the catalog by category, filtered by a search box. Each item can
// be dragged onto the canvas, or added with Enter (at a free spot near the view's centre).
import { h, replace } from './dom.js';
import { NODE_TYPE_MIME } from './canvas.js';

export function buildPalette(catalog, { onAdd }) {
  const search = h('input', { type: 'search', placeholder: 'Search node types', 'aria-label': 'Search node types' });
  const lists = h('div', { class: 'palette-lists' });
  const root = h('nav', { class: 'palette', 'aria-label': 'Node palette' }, search, lists);

  const item = (t) => {
    const li = h('div', {
      class: 'ptype', tabindex: '0', draggable: 'true', role: 'button', 'data-type': t.name,
      'aria-label': `${t.title} (${t.name}): ${t.description} Press Enter to add it to the canvas.`, title: t.description,
    }, h('span', { class: 't' }, t.title), h('span', { class: 'n' }, t.name));
    li.addEventListener('dragstart', (e) => {
      e.dataTransfer.setData(NODE_TYPE_MIME, t.name);
      e.dataTransfer.setData('text/plain', t.name);
      e.dataTransfer.effectAllowed = 'copy';
    });
    li.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        onAdd(t.name);
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const all = [...lists.querySelectorAll('.ptype')];
        const i = all.indexOf(li) + (e.key === 'ArrowDown' ? 1 : -1);
        all[Math.max(0, Math.min(all.length - 1, i))]?.focus();
      }
    });
    li.addEventListener('dblclick', () => onAdd(t.name));
    return h('li', {}, li);
  };

  const render = () => {
    const q = search.value.trim();
    if (q) {
      const found = catalog.search(q);
      replace(lists, h('h2', {}, `${found.length} match${found.length === 1 ? '' : 'es'}`), h('ul', { 'aria-label': 'Matching node types' }, found.map(item)));
      return;
    }
    replace(lists, catalog.categories().map((group) => {
      const id = `cat-${group.name.replace(/\W/g, '')}`;
      return [h('h2', { id }, group.name), h('ul', { 'aria-labelledby': id }, group.types.map(item))];
    }));
  };
  search.addEventListener('input', render);
  search.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      lists.querySelector('.ptype')?.focus();
    } else if (e.key === 'Enter') {
      const first = catalog.search(search.value)[0];
      if (first) onAdd(first.name);
    }
  });
  render();
  return root;
}
