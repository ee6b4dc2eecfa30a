// What changed between two workflow definitions (e.g. two saved versions): nodes added,
// removed, changed (which keys), moved only, and edges added and removed.

const key = (e) => `${e.from} -> ${e.to}`;
const norm = (text, port) => (text.includes('.') ? text : `${text}.${port}`);

export function diffDefinitions(before, after) {
  const a = new Map((before?.nodes ?? []).map((n) => [n.id, n]));
  const b = new Map((after?.nodes ?? []).map((n) => [n.id, n]));
  const result = { added: [], removed: [], changed: [], moved: [], edgesAdded: [], edgesRemoved: [] };
  for (const id of b.keys()) if (!a.has(id)) result.added.push(id);
  for (const id of a.keys()) if (!b.has(id)) result.removed.push(id);
  for (const [id, old] of a) {
    const now = b.get(id);
    if (!now) continue;
    const keys = new Set([...Object.keys(old), ...Object.keys(now)]);
    keys.delete('position');
    const changedKeys = [...keys].filter((k) => JSON.stringify(old[k]) !== JSON.stringify(now[k])).sort();
    if (changedKeys.length) result.changed.push({ id, keys: changedKeys });
    else if (JSON.stringify(old.position) !== JSON.stringify(now.position)) result.moved.push(id);
  }
  const edges = (d) => new Set((d?.edges ?? []).map((e) => key({ from: norm(e.from, 'out'), to: norm(e.to, 'in') })));
  const ea = edges(before);
  const eb = edges(after);
  result.edgesAdded = [...eb].filter((e) => !ea.has(e)).sort();
  result.edgesRemoved = [...ea].filter((e) => !eb.has(e)).sort();
  return result;
}

/** Plain-text lines describing a diff, empty when the definitions are the same. */
export function describeDiff(d) {
  const lines = [];
  for (const id of d.added) lines.push(`added node ${id}`);
  for (const id of d.removed) lines.push(`removed node ${id}`);
  for (const c of d.changed) lines.push(`changed ${c.id}: ${c.keys.join(', ')}`);
  if (d.moved.length) lines.push(`moved ${d.moved.join(', ')}`);
  for (const e of d.edgesAdded) lines.push(`added edge ${e}`);
  for (const e of d.edgesRemoved) lines.push(`removed edge ${e}`);
  return lines;
}
