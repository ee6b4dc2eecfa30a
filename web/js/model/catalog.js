// The node-type catalog from GET /api/v1/node-types: {items: [{name, title, category,
// description, inputs: [{name, schema, description}], outputs: [...], config_schema, mode,
// limits}]}. The palette, ports and property forms are all built from it.

/** The order categories appear in the palette; others follow alphabetically. */
const CATEGORY_ORDER = ['Triggers', 'Sources', 'Transform', 'Scripts', 'Timeseries', 'Flow', 'Sinks'];

export class Catalog {
  /** @param {{items: object[]}|object[]} json the body of GET /api/v1/node-types */
  constructor(json) {
    const items = Array.isArray(json) ? json : json?.items;
    if (!Array.isArray(items)) throw new Error('the node-type catalog must be {"items": [...]}');
    this.types = new Map(items.map((t) => [t.name, t]));
  }

  get(name) {
    return this.types.get(name) ?? null;
  }

  /** Input port specs of a type ([] for an unknown type). */
  inputs(name) {
    return this.get(name)?.inputs ?? [];
  }

  outputs(name) {
    return this.get(name)?.outputs ?? [];
  }

  port(typeName, direction, port) {
    const list = direction === 'in' ? this.inputs(typeName) : this.outputs(typeName);
    return list.find((p) => p.name === port) ?? null;
  }

  /** Categories with their types, in palette order, each list sorted by title. */
  categories() {
    const groups = new Map();
    for (const t of this.types.values()) {
      const c = t.category || 'Other';
      if (!groups.has(c)) groups.set(c, []);
      groups.get(c).push(t);
    }
    const rank = (c) => {
      const i = CATEGORY_ORDER.indexOf(c);
      return i < 0 ? CATEGORY_ORDER.length : i;
    };
    return [...groups.entries()]
      .sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]))
      .map(([name, types]) => ({ name, types: types.sort((a, b) => (a.title || a.name).localeCompare(b.title || b.name)) }));
  }

  /**
   * Types matching every word of `query` in name, title, category or description, best first
   * (a match at the start of the title or name ranks above one elsewhere).
   */
  search(query) {
    const words = String(query ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const all = [...this.types.values()];
    if (!words.length) return all.sort((a, b) => a.name.localeCompare(b.name));
    const scored = [];
    for (const t of all) {
      const title = (t.title || '').toLowerCase();
      const name = t.name.toLowerCase();
      const hay = `${name} ${title} ${(t.category || '').toLowerCase()} ${(t.description || '').toLowerCase()}`;
      if (!words.every((w) => hay.includes(w))) continue;
      let score = 0;
      for (const w of words) {
        if (name === w || title === w) score += 100;
        else if (name.startsWith(w) || title.startsWith(w)) score += 50;
        else if (name.includes(w) || title.includes(w)) score += 20;
        else score += 1;
      }
      scored.push({ t, score });
    }
    return scored.sort((a, b) => b.score - a.score || a.t.name.localeCompare(b.t.name)).map((s) => s.t);
  }

  /** A starting config for a new node: each required property's `default`, or an empty value of its type. */
  defaultConfig(name) {
    const schema = this.get(name)?.config_schema ?? {};
    const config = {};
    for (const key of schema.required ?? []) {
      const prop = schema.properties?.[key] ?? {};
      if ('default' in prop) config[key] = structuredClone(prop.default);
    }
    return config;
  }
}
