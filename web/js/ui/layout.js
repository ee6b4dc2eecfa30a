// Runs the dagre layout in a Web Worker and resolves with positions by node id.
let worker = null;
let nextID = 1;
const waiting = new Map();

export function autoLayout(input) {
  if (!worker) {
    worker = new Worker('/app/js/ui/layout-worker.js');
    worker.onmessage = (e) => {
      const done = waiting.get(e.data.id);
      waiting.delete(e.data.id);
      if (!done) return;
      if (e.data.error) done.reject(new Error(e.data.error));
      else done.resolve(e.data.positions);
    };
    worker.onerror = (e) => {
      for (const w of waiting.values()) w.reject(new Error(e.message || 'the layout worker failed'));
      waiting.clear();
      worker = null;
    };
  }
  const id = nextID++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, ...input });
  });
}
