// The property form of a node, derived from its type's config JSON Schema: one field per
// property with the widget that suits it, and the checks the form runs as the user types
// (the server repeats them, and more, on save).

/** Code fields and their editor mode, by node type and property. */
const CODE_FIELDS = { 'jq.program': 'jq', 'sql.query': 'sql' };

/** True for a property that names a tenant secret (chosen from the list, never typed or shown). */
export function isSecretNameField(key, prop) {
  return key === 'secret' || /name of the tenant secret/i.test(prop?.description ?? '');
}

/** Words for a label: "bucket_seconds" -> "Bucket seconds". */
export function humanize(key) {
  const s = String(key).replace(/[_.-]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Field descriptors for a config schema: {key, label, kind, required, description, schema,
 * mode?, options?}. Kinds: text, code, secret, select, checkbox, number, integer, list, json.
 */
export function formFields(schema, typeName) {
  const props = schema?.properties ?? {};
  const required = new Set(schema?.required ?? []);
  return Object.keys(props)
    .sort((a, b) => (required.has(b) - required.has(a)) || a.localeCompare(b))
    .map((key) => {
      const prop = props[key] ?? {};
      const field = { key, label: humanize(key), required: required.has(key), description: prop.description ?? '', schema: prop };
      // ["string", "null"] and the like: the widget of the one non-null type (empty means unset).
      const nonNull = Array.isArray(prop.type) ? prop.type.filter((t) => t !== 'null') : null;
      const type = nonNull ? (nonNull.length === 1 ? nonNull[0] : null) : prop.type;
      if (CODE_FIELDS[`${typeName}.${key}`]) return { ...field, kind: 'code', mode: CODE_FIELDS[`${typeName}.${key}`] };
      if (Array.isArray(prop.enum)) return { ...field, kind: 'select', options: prop.enum.map(String) };
      if (type === 'string' && isSecretNameField(key, prop)) return { ...field, kind: 'secret' };
      if (type === 'string') return { ...field, kind: 'text' };
      if (type === 'boolean') return { ...field, kind: 'checkbox' };
      if (type === 'integer' || type === 'number') return { ...field, kind: type };
      if (type === 'array' && prop.items?.type === 'string') return { ...field, kind: 'list' };
      return { ...field, kind: 'json' };
    });
}

/**
 * Turns what the user typed into a config value: {value} or {error}. An empty input means
 * "not set" ({value: undefined}).
 */
export function parseInput(field, text) {
  switch (field.kind) {
    case 'checkbox':
      return { value: Boolean(text) };
    case 'integer':
    case 'number': {
      if (String(text).trim() === '') return { value: undefined };
      const n = Number(text);
      if (!Number.isFinite(n)) return { error: 'must be a number' };
      if (field.kind === 'integer' && !Number.isInteger(n)) return { error: 'must be a whole number' };
      return { value: n };
    }
    case 'list': {
      const items = String(text).split('\n').map((s) => s.trim()).filter(Boolean);
      return { value: items.length ? items : undefined };
    }
    case 'json': {
      if (String(text).trim() === '') return { value: undefined };
      try {
        return { value: JSON.parse(text) };
      } catch (e) {
        return { error: `is not valid JSON (${e.message})` };
      }
    }
    default:
      return { value: text === '' ? undefined : String(text) };
  }
}

/** The text an input shows for a config value. */
export function formatValue(field, value) {
  if (value === undefined || value === null) return field.kind === 'checkbox' ? false : '';
  if (field.kind === 'checkbox') return Boolean(value);
  if (field.kind === 'list') return Array.isArray(value) ? value.join('\n') : '';
  if (field.kind === 'json') return JSON.stringify(value, null, 2);
  return String(value);
}

function typeOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** The message for a value against a property schema (a subset of JSON Schema), or null. */
export function checkValue(prop, value) {
  if (value === undefined) return null;
  if (prop.type) {
    const allowed = Array.isArray(prop.type) ? prop.type : [prop.type];
    const t = typeOf(value);
    if (!allowed.includes(t) && !(t === 'integer' && allowed.includes('number'))) return `must be ${allowed.join(' or ')}`;
  }
  if (Array.isArray(prop.enum) && !prop.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) return `must be one of ${prop.enum.join(', ')}`;
  if (typeof value === 'number') {
    if (prop.minimum !== undefined && value < prop.minimum) return `must be at least ${prop.minimum}`;
    if (prop.maximum !== undefined && value > prop.maximum) return `must be at most ${prop.maximum}`;
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (prop.minLength !== undefined && length < prop.minLength) return prop.minLength === 1 ? 'must not be empty' : `must be at least ${prop.minLength} characters`;
    if (prop.maxLength !== undefined && length > prop.maxLength) return `must be at most ${prop.maxLength} characters`;
    if (prop.pattern && !new RegExp(prop.pattern, 'u').test(value)) return `must match ${prop.pattern}`;
  }
  if (Array.isArray(value)) {
    if (prop.maxItems !== undefined && value.length > prop.maxItems) return `must have at most ${prop.maxItems} items`;
    if (prop.items) {
      for (const [i, item] of value.entries()) {
        const m = checkValue(prop.items, item);
        if (m) return `item ${i + 1} ${m}`;
      }
    }
  }
  if (typeOf(value) === 'object' && prop.additionalProperties && typeof prop.additionalProperties === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const m = checkValue(prop.additionalProperties, v);
      if (m) return `"${k}" ${m}`;
    }
  }
  return null;
}

/** Every problem of a whole config: Map key -> message (required fields, types, bounds, unknown keys). */
export function validateConfig(schema, config) {
  const problems = new Map();
  const props = schema?.properties ?? {};
  for (const key of schema?.required ?? []) {
    if (config?.[key] === undefined) problems.set(key, 'is required');
  }
  for (const [key, value] of Object.entries(config ?? {})) {
    if (!(key in props)) {
      if (schema?.additionalProperties === false) problems.set(key, 'is not a known field');
      continue;
    }
    const m = checkValue(props[key], value);
    if (m) problems.set(key, m);
  }
  return problems;
}

/** The reference a config string uses to a tenant secret, resolved when the step runs. */
export function secretReference(name) {
  return `{{ secrets.${name} }}`;
}
