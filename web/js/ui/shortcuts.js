// The keyboard shortcut overlay (?).
import { h, modal } from './dom.js';

export const SHORTCUTS = [
  ['Tab / Shift+Tab', 'move between nodes (focus selects)'],
  ['Arrow keys', 'move the selected nodes one grid step (Shift: five)'],
  ['Enter', 'edit the focused node in the property pane (Escape returns to the node)'],
  ['N or /', 'quick-add a node at the pointer or the view centre'],
  ['Enter (palette)', 'add the focused node type'],
  ['C', 'connect the selected node: choose an output and a target input'],
  ['Click output, click input', 'connect with the mouse (or drag between them)'],
  ['Delete / Backspace', 'delete the selected nodes or connection'],
  ['Ctrl+C / Ctrl+V / Ctrl+D', 'copy, paste, duplicate'],
  ['Ctrl+A', 'select every node'],
  ['Shift+drag', 'select with a marquee; Shift+click adds to the selection'],
  ['Drag the background / Space+drag', 'pan'],
  ['Wheel / + / - / 0', 'zoom toward the pointer, in, out, reset'],
  ['F', 'fit the workflow to the view'],
  ['L', 'auto-layout (one undo step)'],
  ['Alt while dragging', 'no grid snap or alignment'],
  ['Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y', 'undo, redo'],
  ['Ctrl+S', 'save a new version'],
  ['Escape', 'cancel connecting, clear the selection, close dialogs'],
  ['?', 'this list'],
];

export function showShortcuts() {
  modal('Keyboard shortcuts', h('dl', {}, SHORTCUTS.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])), { className: 'shortcuts' });
}
